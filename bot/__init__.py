"""The Discord bot: a thin skin over `index/` (see bot/app.py)."""
