#!/usr/bin/env python3
"""The simulator at scale: peak memory, set-up and delivery speed of big herds.

For each herd size, runs scenarios/scale/flood-scale.toml twice under /usr/bin/time -v: once
with no workload (the set-up alone: building the herd, greeting every link, tearing down)
and once with its few flooded updates. From the pair it prints, per binary:
  peak RSS of the flood run, bytes per server of the set-up run, the flood's deliveries per
  CPU second beyond the set-up (peer_messages / (CPU of flood - CPU of set-up)), and the
  set-up run's wall and CPU seconds.
With two binaries (a baseline and a candidate) the runs alternate A B A B and the table
shows medians of --repeat runs. CPU seconds are user + system: on a busy machine wall time
stretches with whatever else runs.

Usage: tests/bench/scale_table.py [--sizes 10000 100000 1000000] [--repeat 3]
                                  HERD_SIM [HERD_SIM ...]
"""

import argparse
import pathlib
import re
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
SCENARIO = ROOT / "scenarios/scale/flood-scale.toml"


def timed_run(binary, n, setup_only):
    cmd = ["/usr/bin/time", "-v", binary, "run", str(SCENARIO), "--no-db", "--summary-only",
           "--set", f"herd.generate.n={n}"]
    if setup_only:
        cmd += ["--set", "workload.iamat.rate=0/s"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"scale_table.py: {' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    err, out = proc.stderr, proc.stdout

    def field(pattern, text):
        m = re.search(pattern, text)
        if not m:
            sys.exit(f"scale_table.py: no {pattern!r} in the output of {' '.join(cmd)}")
        return m.group(1)

    wall_text = field(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", err)
    wall = 0.0
    for part in wall_text.split(":"):
        wall = wall * 60 + float(part)
    return {
        "rss_kib": int(field(r"Maximum resident set size \(kbytes\): (\d+)", err)),
        "cpu_s": float(field(r"User time \(seconds\): ([\d.]+)", err))
        + float(field(r"System time \(seconds\): ([\d.]+)", err)),
        "wall_s": wall,
        "deliveries": int(field(r"peer_messages\s+(\d+)", out)),
        "fingerprint": field(r"fingerprint ([0-9a-f]+)", out),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| herd-sim | servers | peak RSS | bytes per server (set-up) | deliveries | "
          "deliveries per CPU s | µs per delivery | set-up + tear-down wall / CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        runs = {b: [] for b in args.binaries}
        for _ in range(args.repeat):
            for binary in args.binaries:
                setup = timed_run(binary, n, True)
                flood = timed_run(binary, n, False)
                runs[binary].append((setup, flood))
        fingerprints = {flood["fingerprint"] for r in runs.values() for _, flood in r}
        if len(fingerprints) != 1:
            sys.exit(f"scale_table.py: the binaries disagree at n={n}: {sorted(fingerprints)}")
        for binary in args.binaries:
            med = lambda f: statistics.median(f(s, fl) for s, fl in runs[binary])
            rss = med(lambda s, fl: fl["rss_kib"]) * 1024
            per_server = med(lambda s, fl: s["rss_kib"]) * 1024 / n
            deliveries = runs[binary][0][1]["deliveries"]
            rate = med(lambda s, fl: deliveries / max(fl["cpu_s"] - s["cpu_s"], 1e-3))
            print(f"| {binary} | {n:,} | {rss / 1e9:.2f} GB | {per_server:,.0f} | {deliveries:,} | "
                  f"{rate / 1e3:,.0f} k | {1e6 / rate:.2f} | "
                  f"{med(lambda s, fl: s['wall_s']):.1f} / {med(lambda s, fl: s['cpu_s']):.1f} s |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
