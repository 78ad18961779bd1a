"""The layout holds: bot/ and the CLI use only index's public names, index never imports
discord, and the bot loads its cogs by name instead of importing them."""

import ast
from pathlib import Path

import index

ROOT = Path(__file__).resolve().parents[1]


def imports(folder: str) -> list[tuple[str, str, list[str]]]:
    """(file, module, names) of every import in the package `folder`, relative ones resolved."""
    out = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        package = ".".join(path.relative_to(ROOT).parent.parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                out += [(path.name, a.name, []) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                module = ".".join(p for p in (base, node.module or "") if p)
                out.append((path.name, module, [a.name for a in node.names]))
    return out


def test_bot_and_cli_import_only_the_public_engine():
    for folder in ("bot", "newsdesk"):
        for name, module, names in imports(folder):
            if module == "index" or module.startswith("index."):
                assert module == "index", f"{folder}/{name} imports {module}"
                assert set(names) <= set(index.__all__), f"{folder}/{name}: {names}"


def test_every_public_name_resolves():
    for name in index.__all__:
        assert getattr(index, name) is not None


def test_the_engine_never_imports_discord():
    assert not [(f, m) for f, m, _ in imports("index") if m.split(".")[0] == "discord"]


def test_the_bot_never_imports_a_cog():
    from bot.app import EXTENSIONS

    cogs = set(EXTENSIONS)
    app = [m for f, m, _ in imports("bot") if f == "app.py"]
    assert not cogs & set(app)
    for ext in EXTENSIONS:  # each is an extension discord.py can load by name
        module = __import__(ext, fromlist=["setup"])
        assert callable(module.setup)
