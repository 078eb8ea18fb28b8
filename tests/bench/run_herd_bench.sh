#!/usr/bin/env bash
# The C++ herd-server against the Python asyncio reference (python_herd/server.py) on the
# Winter 2023 herd (5 servers on loopback), with the same herd-bench runs for both:
#   persistent   IAMAT throughput, C pipelined connections per server: saturating, then
#                three paced runs bisecting the rate the herd sustains (flood keeping up)
#   per-command  IAMAT throughput, a connection per command like the graders
#   propagation  delay from an IAMAT to the last server holding it, unloaded and under a
#                background load of half the rate that implementation sustains
# and prints a table with both and the ratios.
#
# Usage: tests/bench/run_herd_bench.sh [HERD_SERVER] [options]
#   HERD_SERVER          herd-server binary (default build/release/bin/herd-server)
#   --bench BIN          herd-bench binary (default build/release/bin/herd-bench)
#   --warmup S --duration S --samples N    sizes of each run (defaults 1, 5, 1000)
#   --connections C --window W --workers K load shape (defaults 2, 8, 4)
#   --repeat N           run the whole comparison N times, interleaved; the table shows
#                        medians (useful on a shared or noisy machine; default 1)
#   --nice N             run the servers and herd-bench under `nice -n N` (e.g. -10, as root)
#                        so other work on a shared machine disturbs the figures less
#   --no-quiet           skip the extra C++ row with --quiet-traffic
#   --out DIR            keep the JSON records here (default: a temporary folder, removed)
#
# Both implementations log every line (the comparison is like for like); a second C++ row
# runs with --quiet-traffic. The herds run on free ports from a temporary copy of the
# config, with a temporary log folder; every process started here is stopped on exit.
# The load generator shares the machine's cores with the servers: see the figures as a
# comparison on one machine, not as absolute capacities.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
server_bin=""
bench_bin="$root/build/release/bin/herd-bench"
warmup=1
duration=5
samples=1000
connections=2
window=8
workers=4
quiet_row=1
repeat=1
niceness=0
out_dir=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --bench) bench_bin=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --nice) niceness=$2; shift 2 ;;
    --no-quiet) quiet_row=0; shift ;;
    --out) out_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    -*) echo "run_herd_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) server_bin=$1; shift ;;
  esac
done
if [[ -z "$server_bin" ]]; then
  for candidate in "$root/build/release/bin/herd-server" "$root/build/release/core/apps/herd-server"; do
    if [[ -x "$candidate" ]]; then server_bin=$candidate; break; fi
  done
fi
for bin in "$server_bin" "$bench_bin"; do
  if [[ -z "$bin" || ! -x "$bin" ]]; then
    echo "run_herd_bench.sh: not an executable: '${bin}' (build with cmake --preset release)" >&2
    exit 2
  fi
done
python=${PYTHON:-python3}
if ! "$python" -c 'import sys, tomllib; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "run_herd_bench.sh: the Python reference needs Python 3.11 or newer (tomllib)" >&2
  exit 2
fi

work=$(mktemp -d -t herd-bench-XXXXXX)
keep_out=1
if [[ -z "$out_dir" ]]; then out_dir=$work/results; keep_out=0; fi
mkdir -p "$out_dir"
pids=()

stop_herd() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
cleanup() {
  stop_herd
  if [[ $keep_out -eq 0 ]]; then rm -rf "$work"; else rm -rf "$work/logs"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

names=(Bailey Bona Campbell Clark Jaquez)
config=$work/herd.toml
# A copy of the Winter 2023 herd on free ports, logging into the temporary folder.
"$python" - "$root/scenarios/herds/winter2023.toml" "$config" "$work/logs" <<'EOF'
import re, socket, sys
template, path, log_dir = sys.argv[1:]
sockets = [socket.socket() for _ in range(5)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
ports = iter([s.getsockname()[1] for s in sockets])
for s in sockets:
    s.close()
text = open(template, encoding="utf-8").read()
text = re.sub(r"(?m)^port = \d+$", lambda m: f"port = {next(ports)}", text)
text = re.sub(r'(?m)^log_dir = ".*"$', f'log_dir = "{log_dir}"', text)
open(path, "w", encoding="utf-8").write(text)
EOF
mapfile -t ports < <(sed -n 's/^port = \([0-9]*\)$/\1/p' "$config")

wait_listening() {
  local port
  for port in "${ports[@]}"; do
    for _ in $(seq 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue 2; fi
      sleep 0.1
    done
    echo "run_herd_bench.sh: nothing listens on port $port" >&2
    return 1
  done
}

# start_herd KIND [extra args]: KIND is cpp or python.
start_herd() {
  local kind=$1; shift
  rm -rf "$work/logs"
  local name
  for name in "${names[@]}"; do
    if [[ $kind == cpp ]]; then
      nice -n "$niceness" "$server_bin" --config "$config" --name "$name" "$@" \
        >"$work/$name.out" 2>&1 &
    else
      nice -n "$niceness" "$python" "$here/python_herd/server.py" --config "$config" \
        --name "$name" >"$work/$name.out" 2>&1 &
    fi
    pids+=($!)
  done
  wait_listening
  sleep 0.5  # let the servers dial their friends before anything is timed
}

results=""  # the JSON-lines file of the current repetition

bench() {  # bench LABEL MODE [args]: one herd-bench run, its JSON line appended to $results
  local label=$1 mode=$2; shift 2
  echo "--- $label: $mode $*"
  local status=0
  nice -n "$niceness" "$bench_bin" --config "$config" --mode "$mode" --label "$label" "$@" \
    | tee "$work/last.txt" || status=$?
  if [[ $(tail -c 2 "$work/last.txt" | head -c 1) == "}" ]]; then
    tail -n 1 "$work/last.txt" >>"$results"
  fi
  if [[ $status -ne 0 ]]; then echo "    (herd-bench exit status $status: see above)"; fi
}

last_field() {  # last_field KEY: a number from the last JSON record, 0 when absent
  tail -n 1 "$results" | "$python" -c \
    "import json, sys; print(json.load(sys.stdin).get('$1', 0) or 0)"  || echo 0
}

run_suite() {  # run_suite LABEL: every mode against the herd that is running
  local label=$1
  local load=(--connections "$connections" --window "$window")
  bench "$label" persistent "${load[@]}" --warmup-s "$warmup" --duration-s "$duration"
  local saturated sustained=0
  saturated=$(last_field replies_per_s)
  # Saturating load lets replies outrun the flood; the sustained rate is the highest paced
  # rate at which the herd still keeps up (criterion in bench_table.py). Bisect it between
  # 0 and the saturating reply rate in three paced runs (to 1/8 of that rate). The wide
  # window keeps a latency spike from throttling the pacer.
  local lo=0 hi=1 mid rate replies lag converged
  for _ in 1 2 3; do
    mid=$("$python" -c "print(($lo + $hi) / 2)")
    rate=$("$python" -c "print(round(max(50.0, $mid * $saturated)))")
    bench "$label" persistent --connections "$connections" --window 256 --rate "$rate" \
      --warmup-s "$warmup" --duration-s "$duration" --converge-timeout-s 10
    replies=$(last_field replies_per_s)
    lag=$(last_field converge_lag_ms)
    converged=$(last_field converged)
    if "$python" -c "import sys; sys.exit(not ($converged and $lag <= 100 and $replies >= 0.95 * $rate))"; then
      sustained=$replies
      lo=$mid
    else
      hi=$mid
    fi
  done
  bench "$label" per-command --workers "$workers" --warmup-s "$warmup" --duration-s "$duration"
  bench "$label" propagation --samples "$samples" --duration-s 60
  # Under load: half of what the herd sustains (half of its reply rate if nothing was).
  local background
  background=$("$python" -c "print(max(1.0, 0.5 * ($sustained or $saturated)))")
  bench "$label" propagation --samples "$samples" --duration-s 60 --warmup-s "$warmup" \
    "${load[@]}" --background-load "$background"
  du -sh "$work/logs" 2>/dev/null | sed "s|$work/||; s|^|    log volume: |" || true
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs" \
  "(niceness $niceness)"
for round in $(seq "$repeat"); do
  if [[ $repeat -gt 1 ]]; then echo "=== repetition $round of $repeat"; fi
  results=$out_dir/results-$round.jsonl
  : >"$results"
  start_herd cpp
  run_suite "C++"
  stop_herd
  if [[ $quiet_row -eq 1 ]]; then
    start_herd cpp --quiet-traffic
    run_suite "C++ quiet"
    stop_herd
  fi
  start_herd python
  run_suite "Python"
  stop_herd
done
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) after the runs"

"$python" "$here/bench_table.py" "$out_dir"/results-*.jsonl
if [[ $keep_out -eq 1 ]]; then echo "JSON records: $out_dir/results-*.jsonl"; fi
