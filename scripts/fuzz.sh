#!/usr/bin/env bash
# Builds the fuzz preset (clang, libFuzzer, ASan + UBSan) and runs every fuzz target for a
# bounded time, two at a time. Usage: scripts/fuzz.sh [seconds per target, default 60]
# Each target starts from its seed corpus in tests/fuzz/corpus/<name> and grows a working
# corpus in build/fuzz/corpus/<name> (the repository's seeds are never written to). A crash
# leaves its input in build/fuzz/crashes/ and fails the script; copy a reproducer into the
# seed corpus so the ordinary test suite replays it from then on (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
mkdir -p build/fuzz/crashes build/fuzz/logs
run_one() {
  local name="$1" seconds="$2"
  local bin="build/fuzz/bin/fuzz-${name//_/-}"
  mkdir -p "build/fuzz/corpus/$name"
  # A target's dictionary (tests/fuzz/<name>.dict), when it has one: the protocol's words.
  local dict=()
  [[ -f "tests/fuzz/$name.dict" ]] && dict=(-dict="tests/fuzz/$name.dict")
  # -rss_limit_mb and -max_len bound memory and input size; timeouts count as failures.
  if "$bin" "build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" -max_total_time="$seconds" \
      -rss_limit_mb=2048 -max_len=65536 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/crashes/$name-" "${dict[@]}" >"build/fuzz/logs/$name.log" 2>&1; then
    echo "fuzz $name: $(grep -E '^stat::number_of_executed_units' "build/fuzz/logs/$name.log" |
      awk '{print $2}') executions, $(grep -oE 'cov: [0-9]+' "build/fuzz/logs/$name.log" |
      tail -1), no crash"
  else
    echo "fuzz $name: FAILED, see build/fuzz/logs/$name.log and build/fuzz/crashes/"
    tail -30 "build/fuzz/logs/$name.log"
    return 1
  fi
}
export -f run_one
printf '%s\n' client_lines peer_lines herd_config scenario graph_formats |
  parallel --halt never -j 2 --line-buffer run_one {} "$seconds"
