#!/usr/bin/env python3
"""bench/report.py -- turns the files bench/run.sh leaves in its work
directory into bench/results/DATE-NAME.md (tables) and .json (every figure).

Inputs in WORK (see bench/run.sh):
  time.TAG       "wall user sys maxrss_kb" from /usr/bin/time, for TAG in
                 trawl1 trawlN xapian fts5 scale-quarter scale-half
  stats.trawl1, stats.quarter, stats.half, stats.fts5   key=value lines
  q.ENGINE       per query: "median_us p95_us count" (or n/a, err)
  samples.ENGINE per query: every timed run in microseconds
  qerr.ENGINE    what the query harness printed on stderr
  trawl1.idx/ xapian.db/ fts5.db     the indexes, measured on disk here

1 MB = 10^6 bytes, as in trawl-index's own summary.
"""
import argparse
import datetime
import json
import os
import statistics

ENGINES = ["trawl", "xapian", "fts5"]
PEERS = ["xapian", "fts5"]
LABEL = {"trawl": "trawl", "xapian": "Xapian", "fts5": "SQLite FTS5"}
FLAG_PCT = 5.0  # hit counts differing from trawl's by more than this are flagged


# ---- Reading ---------------------------------------------------------------

def read_kv(path):
    """key=value lines -> dict of ints (or strings)."""
    out = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                out[k] = int(v) if v.lstrip("-").isdigit() else v
    return out


def read_time(path):
    """/usr/bin/time -f '%e %U %S %M' -> dict."""
    with open(path) as f:
        wall, user, sys_, rss = f.read().split()
    return {"wall_s": float(wall), "user_s": float(user), "sys_s": float(sys_),
            "cpu_s": float(user) + float(sys_), "peak_rss_mb": int(rss) * 1024 / 1e6}


def read_queries(path):
    """queries.txt -> list of {kind, trawl, xapian, fts5} (None for '-')."""
    qs = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            q = {"kind": cols[0]}
            for i, e in enumerate(ENGINES):
                q[e] = cols[i + 1] if cols[i + 1] != "-" else None
            qs.append(q)
    return qs


def read_round(work, suffix):
    """q.SUFFIX and samples.SUFFIX -> list of {median_us, p95_us, count, samples}."""
    res = []
    with open(os.path.join(work, "q." + suffix)) as f, \
            open(os.path.join(work, "samples." + suffix)) as s:
        for line, sline in zip(f, s):
            med, p95, cnt = line.split()
            if med in ("n/a", "err"):
                res.append({"status": med})
            else:
                res.append({"status": "ok", "median_us": float(med), "p95_us": float(p95),
                            "count": int(cnt), "samples": [float(x) for x in sline.split()]})
    return res


def read_results(work, tag):
    """The query results of TAG: one run (q.TAG), or rounds (q.TAG.1, q.TAG.2,
    ...) whose samples are pooled, median and p95 taken over all of them."""
    if os.path.exists(os.path.join(work, "q." + tag)):
        return read_round(work, tag)
    rounds = []
    while os.path.exists(os.path.join(work, "q.%s.%d" % (tag, len(rounds) + 1))):
        rounds.append(read_round(work, "%s.%d" % (tag, len(rounds) + 1)))
    res = []
    for i, first in enumerate(rounds[0]):
        if first["status"] != "ok" or any(r[i]["status"] != "ok" for r in rounds):
            res.append({"status": first["status"] if first["status"] != "ok" else "err"})
            continue
        s = sorted(x for r in rounds for x in r[i]["samples"])
        p95 = s[max(0, -(-95 * len(s) // 100) - 1)]
        res.append({"status": "ok", "median_us": statistics.median(s), "p95_us": p95,
                    "count": first["count"], "samples": s})
    return res


def tree_bytes(path):
    """Apparent size of a file or of every file under a directory."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for d, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total


def read_text(path, limit=40):
    try:
        with open(path) as f:
            lines = [l.rstrip("\n") for l in f if l.strip()]
    except OSError:
        return []
    return lines[:limit] + (["... (%d more lines)" % (len(lines) - limit)] if len(lines) > limit else [])


# ---- Figures ---------------------------------------------------------------

def pooled(results, idxs):
    """Median and p95 (nearest rank) over every timed run of queries IDXS."""
    s = sorted(x for i in idxs for x in results[i].get("samples", []))
    if not s:
        return None
    p95 = s[max(0, -(-95 * len(s) // 100) - 1)]
    return {"median_us": statistics.median(s), "p95_us": p95, "queries": len(idxs)}


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


# ---- Formatting ------------------------------------------------------------

def num(x, unit=""):
    if x is None:
        return "n/a"
    if abs(x) >= 1000:
        s = "{:,.0f}".format(x)
    elif abs(x) >= 100:
        s = "%.0f" % x
    elif abs(x) >= 10:
        s = "%.1f" % x
    else:
        s = "%.2f" % x
    return s + unit


def times(r):
    return "n/a" if r is None else "%.2f×" % r


def pct(x):
    return "n/a" if x is None else "%.1f%%" % (100 * x)


def table(head, rows, align=None):
    align = align or ["l"] + ["r"] * (len(head) - 1)
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def signed_pct(d):
    return "+∞%" if d is None else "%+.0f%%" % d


def build_note(index, builds, pairs):
    """How the build figures were chosen, with the spread of wall times."""
    if builds * pairs <= 1:
        return "Each build ran once."
    spread = "; ".join("%s %s s" % (tag, "/".join(num(r["wall_s"]) for r in index[tag]["runs"]))
                       for tag in ("trawl1", "trawlN", "xapian", "fts5"))
    return ("Xapian and FTS5 built the index %d times, trawl %d times with each thread count "
            "(%d back-to-back pairs a round), in rounds (each engine in every round); the "
            "figures are each engine's median run by wall time (wall times of every run, "
            "in order: %s)." % (builds, builds * pairs, pairs, spread))


def md_escape(s):
    return s.replace("|", "\\|")


# ---- Main ------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    for a in ("work", "name", "queries", "out", "command", "corpora", "commit",
              "load-start", "load-end", "versions"):
        ap.add_argument("--" + a, required=True)
    for a in ("threads", "reps", "warmup"):
        ap.add_argument("--" + a, type=int, required=True)
    ap.add_argument("--builds", type=int, default=1)
    ap.add_argument("--pairs", type=int, default=1)
    o = ap.parse_args()
    W = o.work
    today = datetime.date.today().isoformat()

    # -- corpus and indexing
    st = read_kv(os.path.join(W, "stats.trawl1"))
    fts = read_kv(os.path.join(W, "stats.fts5"))
    input_bytes = st["input_bytes"]
    in_mb = input_bytes / 1e6
    docs = {"trawl": st["docs"], "fts5": fts["docs"]}
    xout = read_kv(os.path.join(W, "out.xapian"))
    docs["xapian"] = xout.get("documents")
    warnings = []
    if len(set(docs.values())) != 1:
        warnings.append("document counts differ: " + ", ".join(
            "%s %s" % (LABEL[e], docs[e]) for e in ENGINES))

    xdir = os.path.join(W, "xapian.db")
    xfiles = {f: os.path.getsize(os.path.join(xdir, f)) for f in sorted(os.listdir(xdir))}
    xtotal = sum(xfiles.values())
    xstore = xfiles.get("docdata.glass", 0)
    trawl_disk = tree_bytes(os.path.join(W, "trawl1.idx"))

    index = {}
    for tag, eng, thr in (("trawl1", "trawl", 1), ("trawlN", "trawl", o.threads),
                          ("xapian", "xapian", 1), ("fts5", "fts5", 1)):
        t = read_time(os.path.join(W, "time." + tag))
        t["threads"] = thr
        t["engine"] = eng
        # every build of the engine; the one above is the median by wall time
        n = o.builds * (o.pairs if eng == "trawl" else 1)
        runs = [os.path.join(W, "time.%s.%d" % (tag, r)) for r in range(1, n + 1)]
        t["runs"] = [read_time(r) for r in runs if os.path.exists(r)]
        t["mb_per_s_wall"] = in_mb / t["wall_s"] if t["wall_s"] else None
        t["mb_per_s_cpu"] = in_mb / t["cpu_s"] if t["cpu_s"] else None
        index[tag] = t
    index["trawl1"]["size"] = {
        "total": st["bytes_total"], "without_stored": st["bytes_total"] - st["bytes_store"],
        "on_disk": trawl_disk,
        "parts": {"dictionary": st["bytes_dict"], "doc ids+freqs": st["bytes_postings"],
                  "positions": st["bytes_positions"], "per-doc data": st["bytes_docs"],
                  "stored documents": st["bytes_store"]}}
    index["trawlN"]["size"] = {"total": tree_bytes(os.path.join(W, "trawlN.idx"))}
    index["xapian"]["size"] = {"total": xtotal, "without_stored": xtotal - xstore,
                               "parts": xfiles}
    index["fts5"]["size"] = {"total": fts["bytes_total"],
                             "without_stored": fts["bytes_index"],
                             "parts": {"docs_content (stored text)": fts["bytes_content"],
                                       "full-text index and the rest": fts["bytes_index"],
                                       "free pages": fts["bytes_free"]}}
    if abs(trawl_disk - st["bytes_total"]) > max(4096, st["bytes_total"] // 100):
        warnings.append("trawl's stats say %d bytes but its directory holds %d"
                        % (st["bytes_total"], trawl_disk))

    # The N-thread speed-up: each pair's ratio (builds seconds apart), then
    # their median -- and the ratio of the two medians, for comparison.
    pair_ratios = [a["wall_s"] / b["wall_s"]
                   for a, b in zip(index["trawl1"]["runs"], index["trawlN"]["runs"])
                   if a["wall_s"] and b["wall_s"]]
    index["trawlN"]["speedup"] = {
        "pairs": pair_ratios,
        "median_of_pairs": statistics.median(pair_ratios) if pair_ratios else None,
        "ratio_of_medians": ratio(index["trawl1"]["wall_s"], index["trawlN"]["wall_s"])}
    if o.threads > 1 and index["trawlN"]["wall_s"] > 0.9 * index["trawl1"]["wall_s"]:
        warnings.append("trawl's %d-thread build (%.2f s wall) was not clearly faster than "
                        "its 1-thread build (%.2f s wall)"
                        % (o.threads, index["trawlN"]["wall_s"], index["trawl1"]["wall_s"]))

    # -- queries
    qs = read_queries(o.queries)
    res = {e: read_results(W, e) for e in ENGINES}
    for e in ENGINES:
        if len(res[e]) != len(qs):
            raise SystemExit("report: q.%s has %d lines for %d queries" % (e, len(res[e]), len(qs)))
    # trawl again with every core a search (trawl_search_opts.threads):
    # the same answers are required, the latencies are reported apart
    resN = read_results(W, "trawlN") if os.path.exists(os.path.join(W, "q.trawlN.1")) else None
    if resN is not None:
        if len(resN) != len(qs):
            raise SystemExit("report: q.trawlN has %d lines for %d queries" % (len(resN), len(qs)))
        for i in range(len(qs)):
            if resN[i].get("count") != res["trawl"][i].get("count"):
                warnings.append("query %d: trawl counts %s with %d threads a search, %s with one"
                                % (i + 1, resN[i].get("count"), o.threads, res["trawl"][i].get("count")))
    flagged = []
    qrows = []
    for i, q in enumerate(qs):
        row = {"kind": q["kind"], "query": {e: q[e] for e in ENGINES}}
        for e in ENGINES:
            r = res[e][i]
            row[e] = dict(r)
        if resN is not None:
            row["trawl_threads"] = dict(resN[i])
        tc = row["trawl"].get("count")
        for e in PEERS:
            pc = row[e].get("count")
            if tc is None or pc is None:
                continue
            # None: trawl found nothing and the peer found something.
            diff = 100.0 * (pc - tc) / tc if tc else (0.0 if pc == 0 else None)
            row[e]["diff_pct"] = diff
            row[e]["flag"] = diff is None or abs(diff) > FLAG_PCT
            if row[e]["flag"]:
                flagged.append((i, e, diff))
        qrows.append(row)

    kinds = []
    for q in qs:
        if q["kind"] not in kinds:
            kinds.append(q["kind"])

    def ok(e, i):
        return res[e][i]["status"] == "ok"

    kind_stats = {}
    for k in kinds + ["all"]:
        idx = [i for i, q in enumerate(qs) if k in ("all", q["kind"])]
        ks = {}
        for e in ENGINES:
            ks[e] = pooled(res[e], [i for i in idx if ok(e, i)])
        for e in PEERS:
            common = [i for i in idx if ok(e, i) and ok("trawl", i)]
            t, p = pooled(res["trawl"], common), pooled(res[e], common)
            ks["trawl/" + e] = ratio(t and t["median_us"], p and p["median_us"])
            if resN is not None:
                common = [i for i in common if resN[i]["status"] == "ok"]
                t, p = pooled(resN, common), pooled(res[e], common)
                ks["trawl_threads/" + e] = ratio(t and t["median_us"], p and p["median_us"])
        if resN is not None:
            both = [i for i in idx if ok("trawl", i) and resN[i]["status"] == "ok"]
            ks["trawl_threads"] = pooled(resN, both)
            t1 = pooled(res["trawl"], both)
            ks["trawl_threads/trawl"] = ratio(ks["trawl_threads"] and ks["trawl_threads"]["median_us"],
                                              t1 and t1["median_us"])
        kind_stats[k] = ks

    # -- scaling
    scaling = []
    whole = "largest" if os.path.exists(os.path.join(W, "stats.largest")) else None
    for part, frac in (("quarter", 0.25), ("half", 0.5), (whole, 1.0)):
        if part:
            s = read_kv(os.path.join(W, "stats." + part))
            t = read_time(os.path.join(W, "time.scale-" + part))
            r = read_results(W, part)
        else:
            s, t, r = st, index["trawl1"], res["trawl"]
        lat = pooled(r, [i for i in range(len(r)) if r[i]["status"] == "ok"])
        mb = s["input_bytes"] / 1e6
        scaling.append({"fraction": frac, "docs": s["docs"], "input_mb": mb,
                        "wall_s": t["wall_s"], "cpu_s": t["cpu_s"],
                        "mb_per_s_wall": mb / t["wall_s"] if t["wall_s"] else None,
                        "peak_rss_mb": t["peak_rss_mb"], "index_bytes": s["bytes_total"],
                        "index_fraction": s["bytes_total"] / s["input_bytes"] if s["input_bytes"] else None,
                        "median_us": lat and lat["median_us"], "p95_us": lat and lat["p95_us"]})

    errors = {e: read_text(os.path.join(W, "qerr." + e)) for e in ENGINES}

    # -- JSON
    meta = {"date": today, "name": o.name, "command": o.command, "corpora": o.corpora.split(),
            "commit": o.commit, "versions": o.versions, "reps": o.reps, "warmup": o.warmup,
            "builds": o.builds, "pairs": o.pairs,
            "threads": o.threads, "cores": os.cpu_count(),
            "cpu": cpu_model(), "loadavg_start": o.load_start, "loadavg_end": o.load_end}
    data = {"meta": meta,
            "corpus": {"docs": docs, "input_bytes": input_bytes,
                       "input_file_bytes": read_kv_safe_size(os.path.join(W, "input.jsonl"))},
            "indexing": index, "queries": qrows, "kinds": kind_stats,
            "scaling": scaling, "warnings": warnings,
            "query_errors": {e: v for e, v in errors.items() if v},
            "count_flags": [{"query": qs[i]["trawl"], "engine": e, "diff_pct": d}
                            for i, e, d in flagged]}
    os.makedirs(o.out, exist_ok=True)
    base = os.path.join(o.out, "%s-%s" % (today, o.name))
    with open(base + ".json", "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")

    # -- Markdown
    L = []
    L.append("# trawl benchmark: %s, %s" % (o.name, today))
    L.append("")
    L.append("Reproduce (from the repository root):\n\n    %s\n" % o.command)
    L.append("- input: %s — %s documents, %s of title+body text (%s of JSON Lines)"
             % (", ".join("`%s`" % c for c in o.corpora.split()), "{:,}".format(st["docs"]),
                num(in_mb, " MB"), num(data["corpus"]["input_file_bytes"] / 1e6, " MB")))
    L.append("- trawl %s; %s" % (o.commit, o.versions))
    L.append("- machine: %s, %d cores; load average %s at the start, %s at the end "
             "(other work on the machine makes wall times noisy: CPU seconds are steadier)"
             % (meta["cpu"], meta["cores"] or 0, o.load_start, o.load_end))
    L.append("- queries: %d in bench/queries.txt; each run = parse + top 10 by BM25 + exact count; "
             "%d timed runs of each query in all, in %d round(s) (each engine once a round, "
             "%d warm-up pass(es) first in each)" % (len(qs), o.reps, o.builds, o.warmup))
    L.append("")

    L.append("## Indexing and index size\n")
    t1, tN, xa, fs = index["trawl1"], index["trawlN"], index["xapian"], index["fts5"]
    rows = []

    def fig(label, key, fmt=num, sub=None):
        g = (lambda d: d["size"][sub]) if sub else (lambda d: d[key])
        vals = [g(t1), g(xa), g(fs)]
        rows.append([label] + [fmt(v) for v in vals] +
                    [times(ratio(vals[0], vals[1])), times(ratio(vals[0], vals[2]))])

    fig("build wall time, s", "wall_s")
    fig("build CPU time (user+sys), s", "cpu_s")
    fig("indexing speed, MB/s of text (wall)", "mb_per_s_wall")
    fig("indexing speed, MB/s of text (CPU)", "mb_per_s_cpu")
    fig("peak RSS, MB", "peak_rss_mb")
    rows.append(["index size, MB (with stored text)"] +
                ["%s (%s)" % (num(d["size"]["total"] / 1e6), pct(d["size"]["total"] / input_bytes))
                 for d in (t1, xa, fs)] +
                [times(ratio(t1["size"]["total"], xa["size"]["total"])),
                 times(ratio(t1["size"]["total"], fs["size"]["total"]))])
    rows.append(["index size without stored text, MB"] +
                ["%s (%s)" % (num(d["size"]["without_stored"] / 1e6),
                              pct(d["size"]["without_stored"] / input_bytes))
                 for d in (t1, xa, fs)] +
                [times(ratio(t1["size"]["without_stored"], xa["size"]["without_stored"])),
                 times(ratio(t1["size"]["without_stored"], fs["size"]["without_stored"]))])
    # trawl's multi-threaded build against the same single-threaded peers.
    for label, key in (("build wall time, s", "wall_s"), ("build CPU time, s", "cpu_s"),
                       ("indexing speed, MB/s (wall)", "mb_per_s_wall"),
                       ("peak RSS, MB", "peak_rss_mb")):
        rows.append(["%s — trawl with %d threads" % (label, o.threads), num(tN[key]),
                     num(xa[key]), num(fs[key]), times(ratio(tN[key], xa[key])),
                     times(ratio(tN[key], fs[key]))])
    L.append(table(["figure", "trawl", "Xapian", "SQLite FTS5",
                    "trawl ÷ Xapian", "trawl ÷ FTS5"], rows))
    L.append("")
    L.append("Ratios are trawl's figure divided by the peer's: below 1 means trawl takes less "
             "time, memory or disk; for MB/s, above 1 means trawl is faster. Sizes are in %% of "
             "the %s of title+body text. *With stored text* is the whole index on disk: all "
             "three keep the documents (trawl its compressed document store, Xapian the "
             "document data in docdata.glass, FTS5 its normal content table). *Without stored "
             "text* takes that part out: trawl less its stored documents, Xapian less "
             "docdata.glass, FTS5 less the docs_content table — the searchable index alone. "
             "Every build is single-threaded except trawl's in the rows marked "
             "*trawl with N threads*; their peer columns repeat the single-threaded peers. "
             "%s"
             % (num(in_mb, " MB"), build_note(index, o.builds, o.pairs)))
    L.append("")
    prow = []
    for part, b in index["trawl1"]["size"]["parts"].items():
        prow.append(["trawl: " + part, num(b / 1e6), pct(b / input_bytes),
                     pct(b / st["bytes_total"])])
    prow.append(["**trawl: total**", num(st["bytes_total"] / 1e6),
                 pct(st["bytes_total"] / input_bytes), "100.0%"])
    for f, b in ((f, b) for f, b in xfiles.items() if b):
        prow.append(["Xapian: " + f + (" (stored text)" if f == "docdata.glass" else ""),
                     num(b / 1e6), pct(b / input_bytes), pct(b / xtotal)])
    for part, b in index["fts5"]["size"]["parts"].items():
        prow.append(["FTS5: " + part, num(b / 1e6), pct(b / input_bytes),
                     pct(b / fts["bytes_total"])])
    sp = tN["speedup"]
    if sp["pairs"]:
        L.append("**Speed-up with %d threads** (wall): %s, the median of %d back-to-back pairs "
                 "of builds (1 thread and %d, seconds apart, which goes first alternating; "
                 "every pair: %s); the ratio of the two medians above is %s."
                 % (o.threads, times(sp["median_of_pairs"]), len(sp["pairs"]), o.threads,
                    " ".join("%.2f" % r for r in sp["pairs"]), times(sp["ratio_of_medians"])))
        L.append("")
    L.append("<details><summary>Index size by part</summary>\n")
    L.append(table(["part", "MB", "% of text", "% of its index"], prow))
    L.append("\n</details>\n")

    L.append("## Query latency by kind\n")
    L.append("Microseconds, pooled over every timed run of the kind's queries that the engine "
             "can express. The ratio compares medians over the queries both engines ran; below 1 "
             "means trawl is faster.\n")
    rows = []
    for k in kinds + ["all"]:
        ks = kind_stats[k]
        n = len([q for q in qs if k in ("all", q["kind"])])
        r = ["**all**" if k == "all" else k, n]
        for e in ENGINES:
            p = ks[e]
            r += [num(p["median_us"]), num(p["p95_us"])] if p else ["n/a", "n/a"]
        r += [times(ks["trawl/xapian"]), times(ks["trawl/fts5"])]
        rows.append(r)
    L.append(table(["kind", "queries", "trawl median", "trawl p95", "Xapian median", "Xapian p95",
                    "FTS5 median", "FTS5 p95", "trawl ÷ Xapian", "trawl ÷ FTS5"], rows))
    L.append("")

    if resN is not None:
        L.append("## Query latency with %d threads a search\n" % o.threads)
        L.append("trawl again, each search allowed %d threads (`trawl_search_opts.threads`, "
                 "`trawl-query --threads`): a search that reads many postings is cut into slices of "
                 "the documents, worked on at once; a light one stays on one thread. Xapian and "
                 "FTS5 run each query on one thread, so these are not the ratios above, which "
                 "compare one thread with one. Same queries, same counts, measured in the same "
                 "rounds, unpinned.\n" % o.threads)
        rows = []
        for k in kinds + ["all"]:
            ks = kind_stats[k]
            n = len([q for q in qs if k in ("all", q["kind"])])
            p1, pn = ks["trawl"], ks.get("trawl_threads")
            rows.append(["**all**" if k == "all" else k, n,
                         num(p1["median_us"]) if p1 else "n/a",
                         num(pn["median_us"]) if pn else "n/a",
                         num(pn["p95_us"]) if pn else "n/a",
                         times(ks.get("trawl_threads/trawl")),
                         times(ks.get("trawl_threads/xapian")),
                         times(ks.get("trawl_threads/fts5"))])
        L.append(table(["kind", "queries", "trawl 1 thread median",
                        "trawl %d threads median" % o.threads, "trawl %d threads p95" % o.threads,
                        "%d threads ÷ 1" % o.threads, "÷ Xapian", "÷ FTS5"], rows))
        L.append("")

    L.append("## Hit counts and latency per query\n")
    L.append("Exact match counts (Xapian with check_at_least = all documents, FTS5 by COUNT(*)). "
             "A peer's count more than %g%% away from trawl's is in bold with the difference; "
             "differences are expected where the engines analyse text differently (see "
             "bench/README.md). Latency: median µs of the timed runs." % FLAG_PCT)
    L.append("")
    rows = []
    for i, row in enumerate(qrows):
        cells = [str(i + 1), row["kind"], "`%s`" % md_escape(row["query"]["trawl"])]
        for e in ENGINES:
            r = row[e]
            if r["status"] != "ok":
                cells.append(r["status"])
            elif r.get("flag"):
                cells.append("**%s (%s)**" % ("{:,}".format(r["count"]), signed_pct(r["diff_pct"])))
            else:
                cells.append("{:,}".format(r["count"]))
        for e in ENGINES:
            r = row[e]
            cells.append(num(r["median_us"]) if r["status"] == "ok" else r["status"])
        rows.append(cells)
    L.append(table(["#", "kind", "trawl query", "trawl hits", "Xapian hits", "FTS5 hits",
                    "trawl µs", "Xapian µs", "FTS5 µs"], rows,
                   ["r", "l", "l"] + ["r"] * 6))
    L.append("")
    L.append("<details><summary>The queries as given to Xapian and FTS5</summary>\n")
    L.append(table(["#", "Xapian", "FTS5"],
                   [[str(i + 1)] + ["`%s`" % md_escape(q[e]) if q[e] else "n/a" for e in PEERS]
                    for i, q in enumerate(qs)], ["r", "l", "l"]))
    L.append("\n</details>\n")

    L.append("## Scaling (trawl, 1 thread)\n")
    rows = []
    for s in scaling:
        rows.append([{0.25: "1/4", 0.5: "1/2", 1.0: "all"}[s["fraction"]], "{:,}".format(s["docs"]),
                     num(s["input_mb"]), num(s["wall_s"]), num(s["cpu_s"]),
                     num(s["mb_per_s_wall"]), num(s["peak_rss_mb"]),
                     "%s (%s)" % (num(s["index_bytes"] / 1e6), pct(s["index_fraction"])),
                     num(s["median_us"]), num(s["p95_us"])])
    L.append(table(["part of the input", "docs", "text MB", "build wall s", "build CPU s",
                    "MB/s (wall)", "peak RSS MB", "index MB (% of text)",
                    "query median µs", "query p95 µs"], rows))
    L.append("\nThe parts are the first quarter, half and all of %s, in corpus order. Query "
             "latency is pooled over all the queries of bench/queries.txt.\n"
             % ("the largest collection (%s)" % os.path.basename(max(o.corpora.split(), key=os.path.getsize))
                if whole else "the input"))

    if warnings or flagged or any(errors.values()):
        L.append("## Warnings\n")
        for w in warnings:
            L.append("- " + w)
        for i, e, d in flagged:
            L.append("- query %d `%s`: %s counts %s vs trawl (%s vs %s)"
                     % (i + 1, md_escape(qs[i]["trawl"]), LABEL[e], signed_pct(d),
                        "{:,}".format(res[e][i]["count"]), "{:,}".format(res["trawl"][i]["count"])))
        for e in ENGINES:
            if errors[e]:
                L.append("- %s query harness said:\n\n```\n%s\n```" % (LABEL[e], "\n".join(errors[e])))
        L.append("")
    with open(base + ".md", "w") as f:
        f.write("\n".join(L))
    print("bench: wrote %s.md and %s.json" % (base, base))


def read_kv_safe_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
