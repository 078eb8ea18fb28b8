#!/usr/bin/env python3
"""Turns the herd-bench JSON records of run_herd_bench.sh into one comparison table.

Input: JSON-lines files, one per repetition, one herd-bench record per line, each with a
"label" (the implementation: "C++", "C++ quiet", "Python"). With several repetitions each
figure is the median over them. Output: the table, the ratios against the Python reference,
and whether the project's targets are met.
"""

import json
import statistics
import sys

REFERENCE = "Python"
TARGETS = (
    # (what, metric key, bound, how it is judged)
    ("persistent throughput (replies/s) >= 20x Python", "persistent_replies", 20, "ratio"),
    ("persistent throughput (sustained) >= 20x Python", "sustained", 20, "ratio"),
    ("per-command throughput >= 5x Python", "per_command", 5, "ratio"),
    ("unloaded propagation p99 < 1 ms", "prop_p99", 1000, "below"),
)


# A paced run counts as sustained when the herd kept up: it ran at (nearly) the asked rate
# and every server held every client's last update within this long of the last reply.
SUSTAINED_LAG_MS = 100
SUSTAINED_SHARE = 0.95


def load(paths):
    """One file per repetition: a list of {label: [records]}."""
    reps = []
    for path in paths:
        rep = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rec = json.loads(line)
                    rep.setdefault(rec.get("label", "?"), []).append(rec)
        reps.append(rep)
    return reps


def pick(recs, mode, **where):
    for rec in recs:
        if rec["mode"] == mode and all((k in rec) == v for k, v in where.items()):
            return rec
    return {}


def sustained_rate(recs):
    """The highest paced persistent rate the herd kept up with, or None."""
    best = None
    for rec in recs:
        if rec["mode"] != "persistent" or "paced_rate_per_s" not in rec:
            continue
        kept_up = (rec.get("ok") and rec.get("converge_lag_ms", 1e9) <= SUSTAINED_LAG_MS
                   and rec["replies_per_s"] >= SUSTAINED_SHARE * rec["paced_rate_per_s"])
        if kept_up and (best is None or rec["replies_per_s"] > best):
            best = rec["replies_per_s"]
    return best


def metrics(recs):
    """The figures of one implementation in one repetition, None where a run is missing."""
    p = pick(recs, "persistent", paced_rate_per_s=False)
    c = pick(recs, "per-command")
    u = pick(recs, "propagation", background_load=False)
    l = pick(recs, "propagation", background_load=True)
    lat = p.get("latency_us", {})
    clat = c.get("latency_us", {})
    ud = u.get("delay_to_last_us", {})
    ld = l.get("delay_to_last_us", {})
    return {
        "persistent_replies": p.get("replies_per_s"),
        "persistent_converged": p.get("converged"),
        "persistent_applied": p.get("applied_per_s") if p.get("converged") else None,
        "converge_lag_ms": p.get("converge_lag_ms") if p.get("converged") else None,
        "persistent_p50_ms": lat.get("p50") and lat["p50"] / 1000,
        "persistent_p99_ms": lat.get("p99") and lat["p99"] / 1000,
        "sustained": sustained_rate(recs),
        "per_command": c.get("commands_per_s"),
        "per_command_p50_ms": clat.get("p50") and clat["p50"] / 1000,
        "per_command_p99_ms": clat.get("p99") and clat["p99"] / 1000,
        "prop_p50": ud.get("p50"),
        "prop_p99": ud.get("p99"),
        "prop_max": ud.get("max"),
        "load_rate": l.get("background_load", {}).get("achieved_per_s"),
        "loaded_p50": ld.get("p50"),
        "loaded_p99": ld.get("p99"),
        "replies_valid": all(r.get("invalid", 0) == 0 for r in recs),
    }


def median_metrics(per_rep):
    merged = {}
    for key in per_rep[0]:
        values = [m[key] for m in per_rep if m[key] is not None]
        if isinstance(per_rep[0][key], bool) or key in ("persistent_converged", "replies_valid"):
            merged[key] = f"{sum(bool(v) for v in values)}/{len(per_rep)}" if values else None
        else:
            merged[key] = statistics.median(values) if values else None
    merged["repetitions"] = len(per_rep)
    return merged


ROWS = (
    # (title, key, format, ratio: "higher" is better / "lower" is better / None)
    ("persistent, saturating: IAMAT replies/s", "persistent_replies", "{:,.0f}", "higher"),
    ("  herd converged after the load", "persistent_converged", "{}", None),
    ("  applied herd-wide/s (start to convergence)", "persistent_applied", "{:,.0f}", "higher"),
    ("  flood lag after the load (ms)", "converge_lag_ms", "{:,.1f}", None),
    ("  reply latency p50 (ms)", "persistent_p50_ms", "{:,.2f}", None),
    ("  reply latency p99 (ms)", "persistent_p99_ms", "{:,.2f}", None),
    ("persistent, paced: sustained IAMAT/s", "sustained", "{:,.0f}", "higher"),
    ("per-command: commands/s", "per_command", "{:,.0f}", "higher"),
    ("per-command: latency p50 (ms)", "per_command_p50_ms", "{:,.2f}", None),
    ("per-command: latency p99 (ms)", "per_command_p99_ms", "{:,.2f}", None),
    ("propagation unloaded: p50 (us)", "prop_p50", "{:,.0f}", "lower"),
    ("propagation unloaded: p99 (us)", "prop_p99", "{:,.0f}", "lower"),
    ("propagation unloaded: max (us)", "prop_max", "{:,.0f}", None),
    ("under load: background IAMAT/s", "load_rate", "{:,.0f}", None),
    ("propagation under load: p50 (us)", "loaded_p50", "{:,.0f}", "lower"),
    ("propagation under load: p99 (us)", "loaded_p99", "{:,.0f}", "lower"),
    ("every reply valid (runs)", "replies_valid", "{}", None),
)


def cell(fmt, value):
    return "-" if value is None else fmt.format(value)


def main():
    reps = load(sys.argv[1:])
    labels = sorted({label for rep in reps for label in rep},
                    key=lambda label: (label == REFERENCE, label))
    figures = {label: median_metrics([metrics(rep[label]) for rep in reps if label in rep])
               for label in labels}
    others = [label for label in labels if label != REFERENCE]
    ratio_cols = [f"{label} / {REFERENCE}" for label in others] if REFERENCE in figures else []
    header = ["", *labels, *ratio_cols]
    table = [header]
    for title, key, fmt, better in ROWS:
        row = [title, *(cell(fmt, figures[label][key]) for label in labels)]
        for label in others if ratio_cols else []:
            ours, ref = figures[label][key], figures[REFERENCE][key]
            if better and isinstance(ours, (int, float)) and isinstance(ref, (int, float)) \
                    and ours and ref:
                row.append(f"{(ours / ref if better == 'higher' else ref / ours):.1f}x")
            else:
                row.append("")
        table.append(row)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for n, row in enumerate(table):
        print("  ".join(text.ljust(widths[0]) if i == 0 else text.rjust(widths[i])
                        for i, text in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    reps = max(f["repetitions"] for f in figures.values())
    if reps > 1:
        print(f"(medians over {reps} repetitions)")
    print("(ratios: throughput ours/Python; latency Python/ours, so higher is better)")
    print(f"(sustained: the highest paced rate reached with every server holding every "
          f"client's last update within {SUSTAINED_LAG_MS} ms of the last reply)")

    if REFERENCE in figures and "C++" in figures:
        print("\ntargets for the C++ server (logging on, like the reference):")
        for what, key, bound, how in TARGETS:
            ours, ref = figures["C++"][key], figures[REFERENCE][key]
            if ours is None or (how == "ratio" and not ref):
                verdict = "not measured"
            elif how == "ratio":
                verdict = f"{'met' if ours / ref >= bound else 'MISSED'} ({ours / ref:.1f}x)"
            else:
                verdict = f"{'met' if ours < bound else 'MISSED'} ({ours:,.0f} us)"
            print(f"  {what}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
