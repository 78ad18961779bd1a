"""Reporting for bench/run.py: the targets table and the printed summary of one run's JSON."""

from __future__ import annotations


def targets(res: dict) -> list[dict]:
    rows = []

    def add(name, target, value, ok, fmt="{:.3g}"):
        rows.append({"target": name, "wanted": target, "measured": fmt.format(value)
                     if isinstance(value, float) else str(value), "met": ok})  # fmt: skip

    tp = res.get("throughput", {})
    if tp:
        r = tp["build_contextual"]["ratio_vs_raw"]
        add("build / raw encode (contextual)", ">= 0.9", r, r >= 0.9)
        r = tp["build_standalone"]["ratio_vs_raw"]
        add("build / raw encode (standalone)", ">= 0.9", r, r >= 0.9)
        r = tp["build_standalone"]["ratio_vs_raw_same_inputs"]
        add("build / raw encode of passages + sentences (standalone)", ">= 0.9", r, r >= 0.9)
    syn = res.get("rebuild_synthetic")
    if syn:
        ok = syn["passages_embedded"] == 0 and syn["seconds"] < 3
        add(f"no-change rebuild, {syn['articles']} articles", "0 embedded, < 3 s",
            f"{syn['passages_embedded']} embedded, {syn['seconds']:.2f} s", ok)  # fmt: skip
    for row in res.get("sizes", []):
        n, lat = row["passages"], row["latency_ms"]
        if n == 100_000:
            add("p50 / p99 at 100k", "<= 15 / 50 ms", f"{lat['p50']:.1f} / {lat['p99']:.1f} ms",
                lat["p50"] <= 15 and lat["p99"] <= 50)  # fmt: skip
        if n == 1_000_000:
            add("p50 at 1M", "<= 25 ms", f"{lat['p50']:.1f} ms", lat["p50"] <= 25)
            add("recall@10 at 1M", ">= 0.95", row["recall@10"], row["recall@10"] >= 0.95)
        if n == max(r["passages"] for r in res["sizes"]):
            add(f"index bytes / raw at {n:,}", "<= 1.2", row["index_vs_raw"],
                row["index_vs_raw"] <= 1.2)  # fmt: skip
    gpu = res["meta"].get("gpu")
    if gpu and tp:
        c, d = tp["build_contextual"]["passages_per_s"], tp["build_standalone"]["passages_per_s"]
        add(f"GPU build throughput ({gpu})", ">= 20,000 passages/s (H100)",
            f"{d:,.0f} standalone (default), {c:,.0f} contextual; {tp['passages']:,} passages",
            d >= 20_000)  # fmt: skip
    else:
        add("H100 build throughput", ">= 20,000 passages/s", "not measured: no GPU here", None)
    return rows


def print_report(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    tp = res.get("throughput")
    if tp:
        t = Table(title=f"Build throughput ({tp['articles']} articles, {tp['passages']} passages)")
        for col in ("", "passages/s", "vs raw encode", "stages (s)"):
            t.add_column(col)
        t.add_row(
            "raw SentenceTransformer.encode", f"{tp['raw_encode_passages_per_s']:.1f}", "1.00", ""
        )
        for mode in ("contextual", "standalone"):
            b = tp[f"build_{mode}"]
            stages = ", ".join(f"{k} {v:.1f}" for k, v in b["stages_s"].items())
            t.add_row(
                f"Engine.build ({mode})",
                f"{b['passages_per_s']:.1f}",
                f"{b['ratio_vs_raw']:.2f}",
                stages,
            )
        t.add_row(
            f"raw encode of passages + {tp['sentences']} sentences, vs standalone build",
            "",
            f"{tp['build_standalone']['ratio_vs_raw_same_inputs']:.2f}",
            "",
        )
        nc = tp["rebuild_no_change"]
        t.add_row(
            "no-change rebuild", f"{nc['seconds']:.2f} s", f"{nc['passages_embedded']} embedded", ""
        )
        syn = res.get("rebuild_synthetic")
        if syn:
            t.add_row(f"no-change rebuild, {syn['articles']} synthetic articles",
                      f"{syn['seconds']:.2f} s", f"{syn['passages_embedded']} embedded",
                      f"first build {syn['first_build_s']:.1f}")  # fmt: skip
        console.print(t)
    if res.get("sizes"):
        backend = res["sizes"][0].get("backend", "torch")
        t = Table(title=f"Queries via Engine.ask (embed + search + format), {backend} backend")
        for col in ("passages", "index", "recall@10", "p50 / p95 / p99 ms", "embed/faiss/bm25 p50 ms",
                    "other backend: p50 / p99, embed ms", "start-up s", "RSS MB", "index/raw"):  # fmt: skip
            t.add_column(col)
        for r in res["sizes"]:
            lat, st = r["latency_ms"], r["stages_ms_p50"]
            t.add_row(
                f"{r['passages']:,}", r["index"], f"{r['recall@10']:.3f}",
                f"{lat['p50']:.1f} / {lat['p95']:.1f} / {lat['p99']:.1f}",
                f"{st['embed']:.1f} / {st['faiss']:.1f} / {st['bm25']:.1f}",
                f"{r['other_backend']}: {r['latency_other_ms']['p50']:.1f} / "
                f"{r['latency_other_ms']['p99']:.1f}, {r['embed_other_ms_p50']:.1f}"
                if "latency_other_ms" in r else "n/a",
                f"{r['startup_s']:.2f}", f"{r['rss_bytes'] / 2**20:.0f}", f"{r['index_vs_raw']:.3f}",
            )  # fmt: skip
        console.print(t)
        ab = [r for r in res["sizes"] if "latency_fusion_ab_ms" in r]
        if ab:
            t = Table(title="Learned fusion vs the hand-set blend, interleaved (p50 / p99 ms)")
            for col in ("passages", "learned", "blend", "learned / blend p50"):
                t.add_column(col)
            for r in ab:
                f = r["latency_fusion_ab_ms"]
                t.add_row(
                    f"{r['passages']:,}",
                    f"{f['learned']['p50']:.1f} / {f['learned']['p99']:.1f}",
                    f"{f['blend']['p50']:.1f} / {f['blend']['p99']:.1f}",
                    f"{f['learned']['p50'] / f['blend']['p50']:.2f}",
                )
            console.print(t)
    ox = res.get("onnx")
    if ox and "skipped" not in ox:
        t = Table(
            title=f"CPU backends on the same passages (recall@5 over {ox['recall_questions']} questions)"
        )
        for col in ("backend", "passages/s", "speed-up", "min cos vs torch", "recall@5",
                    "faster, recall@5 -<1 pt"):  # fmt: skip
            t.add_column(col)
        for name in ("torch", "onnx", "onnx-int8"):
            o = ox[name]
            rec = "n/a" if o["recall@5"] is None else f"{o['recall@5']:.3f}"
            t.add_row(name, f"{o['passages_per_s']:.1f}", f"{o['speedup_vs_torch']:.2f}",
                      f"{o['min_cosine_vs_torch']:.4f}", rec, str(o.get("meets_rule_on_slice", "")))  # fmt: skip
        console.print(t)
    elif ox:
        console.print(f"ONNX Runtime: skipped ({ox['skipped']})")
    t = Table(title="Targets")
    for col in ("target", "wanted", "measured", "met"):
        t.add_column(col)
    for r in res["targets"]:
        t.add_row(
            r["target"], r["wanted"], r["measured"], {True: "yes", False: "NO", None: "-"}[r["met"]]
        )
    console.print(t)
