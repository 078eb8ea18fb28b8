#!/usr/bin/env python3
"""herd-sim against the bare Python flood simulation (flood_des.py), same three workloads.

Runs herd-sim-bench and flood_des.py alternately, A B A B, --repeat times per workload, and
prints per workload the median deliveries per CPU second of each and their ratio (CPU time,
because a shared machine stretches wall time by whatever else runs; both programs are
single-threaded, so on a quiet machine the two agree).

Usage: tests/bench/compare_flood_des.py [--bench build/release/bin/herd-sim-bench]
                                        [--repeat 3] [--workload ws1000 ...]
"""

import argparse
import pathlib
import re
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# workload: herd-sim-bench arguments giving the same workload as flood_des.py's
BENCH_ARGS = {
    "ws1000": ["--only", "1", "--clients", "1000"],
    "ws1000-c10": ["--only", "1", "--clients", "10"],
    "complete5": ["--only", "5"],
}


def herd_sim(bench, workload):
    out = subprocess.run([bench, *BENCH_ARGS[workload]], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"(\d+) deliveries in ([\d.]+) s wall \(([\d.]+) s CPU\)", out)
    if not m:
        sys.exit(f"compare_flood_des.py: no figure in herd-sim-bench output:\n{out}")
    deliveries, wall, cpu = int(m.group(1)), float(m.group(2)), float(m.group(3))
    return deliveries, wall, cpu


def python_des(workload):
    out = subprocess.run([sys.executable, str(HERE / "flood_des.py"), workload], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"deliveries=(\d+) wall_s=([\d.]+) cpu_s=([\d.]+)", out)
    if not m:
        sys.exit(f"compare_flood_des.py: no figure in flood_des.py output:\n{out}")
    return int(m.group(1)), float(m.group(2)), float(m.group(3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default=str(ROOT / "build/release/bin/herd-sim-bench"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workload", action="append", choices=sorted(BENCH_ARGS))
    args = parser.parse_args()
    workloads = args.workload or list(BENCH_ARGS)
    rows = []
    for workload in workloads:
        sim_rates, py_rates = [], []
        for i in range(args.repeat):
            d, wall, cpu = herd_sim(args.bench, workload)
            sim_rates.append(d / cpu)
            print(f"{workload} run {i + 1}: herd-sim {d} deliveries, {wall:.2f} s wall, "
                  f"{cpu:.2f} s CPU", flush=True)
            d, wall, cpu = python_des(workload)
            py_rates.append(d / cpu)
            print(f"{workload} run {i + 1}: python  {d} deliveries, {wall:.2f} s wall, "
                  f"{cpu:.2f} s CPU", flush=True)
        rows.append((workload, statistics.median(sim_rates), min(sim_rates), max(sim_rates),
                     statistics.median(py_rates)))
    print()
    print("| workload | herd-sim deliveries/CPU s (median, range) | Python flood | ratio |")
    print("|---|---|---|---|")
    for workload, sim, lo, hi, py in rows:
        print(f"| {workload} | {sim / 1e6:.2f} M ({lo / 1e6:.2f}-{hi / 1e6:.2f}) | "
              f"{py / 1e6:.2f} M | {sim / py:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
