#!/usr/bin/env bash
# End to end: a sweep run on one thread and on several stores the same rows and writes the
# same table and chart; rerunning it skips the stored cells; three shards run with GNU
# parallel and merged give the unsharded table and chart byte for byte; a failed
# expectation exits 1 naming the cell, a broken sweep 2, and merge refuses another schema
# version.
# Usage: sweep_shards_test.sh HERD_SIM SWEEP_TEST_DIR   (exits 77, "skipped", without parallel)
set -euo pipefail

herd_sim="$1"
here="$2"
if ! command -v parallel >/dev/null; then
  echo "GNU parallel is not installed (scripts/install.sh installs it); skipping"
  exit 77
fi
if ! command -v sqlite3 >/dev/null; then
  echo "sqlite3 is not installed (scripts/install.sh installs it); skipping"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Every stored column and table that does not depend on the wall clock, in run order.
dump() {
  sqlite3 "$1" "SELECT run_id, scenario, seed, strategy, fingerprint, events, sweep_id, variant, overrides FROM runs ORDER BY run_id;
                SELECT * FROM summary ORDER BY run_id, metric;
                SELECT * FROM updates ORDER BY run_id, update_id;
                SELECT * FROM traffic_kinds ORDER BY run_id, kind;
                SELECT * FROM friends ORDER BY run_id, a, b;"
}

"$herd_sim" sweep "$here/tiny.toml" --db serial.db --jobs 1 -q --markdown serial.md > serial.out
"$herd_sim" sweep "$here/tiny.toml" --db threads.db --jobs 3 -q --markdown threads.md > threads.out
cmp serial.md threads.md || fail "--jobs 3 wrote another table than --jobs 1"
[ "$(dump serial.db)" = "$(dump threads.db)" ] || fail "--jobs 3 stored other rows than --jobs 1"
[ "$(sqlite3 serial.db 'SELECT COUNT(*) FROM runs')" = 12 ] || fail "expected 12 runs in serial.db"
[ "$(sqlite3 serial.db "SELECT COUNT(DISTINCT sweep_id) FROM runs WHERE sweep_id LIKE 'tiny@%'")" = 1 ] ||
  fail "runs.sweep_id not set"

# A rerun skips the stored cells and writes the same table; --append stores them again.
"$herd_sim" sweep "$here/tiny.toml" --db serial.db -q --markdown rerun.md > rerun.out
grep -q "skipped 12 cells already stored" rerun.out || fail "rerun did not report skipped cells: $(cat rerun.out)"
[ "$(sqlite3 serial.db 'SELECT COUNT(*) FROM runs')" = 12 ] || fail "rerun appended runs"
cmp serial.md rerun.md || fail "rerun wrote another table"
"$herd_sim" sweep "$here/tiny.toml" --db appended.db -q --jobs 2 > /dev/null
"$herd_sim" sweep "$here/tiny.toml" --db appended.db -q --jobs 2 --append > /dev/null
[ "$(sqlite3 appended.db 'SELECT COUNT(*) FROM runs')" = 24 ] || fail "--append did not store the cells again"

# Three shards in parallel, merged, reported: the unsharded table.
parallel --halt now,fail=1 "$herd_sim" sweep "$here/tiny.toml" --shard {}/3 --db shard{}.db --jobs 1 -q '>' shard{}.out ::: 0 1 2
"$herd_sim" merge merged.db shard0.db shard1.db shard2.db > merge.out
[ "$(sqlite3 merged.db 'SELECT COUNT(*) FROM runs')" = 12 ] || fail "merged.db does not hold 12 runs"
[ "$(sqlite3 merged.db 'SELECT MIN(run_id), MAX(run_id), COUNT(DISTINCT run_id) FROM runs')" = "1|12|12" ] ||
  fail "merge did not renumber run_ids 1..12"
for table in summary updates applies servers friends traffic traffic_kinds traffic_links; do
  want=$(( $(sqlite3 shard0.db "SELECT COUNT(*) FROM $table") + $(sqlite3 shard1.db "SELECT COUNT(*) FROM $table") +
           $(sqlite3 shard2.db "SELECT COUNT(*) FROM $table") ))
  [ "$(sqlite3 merged.db "SELECT COUNT(*) FROM $table")" = "$want" ] || fail "merge lost rows of $table"
done
"$herd_sim" sweep "$here/tiny.toml" --db merged.db --report-only --markdown merged.md > report.out
cmp serial.md merged.md || { diff serial.md merged.md >&2 || true; fail "merged shards give another table"; }
# Merging a shard again copies nothing: its cells are there already.
"$herd_sim" merge merged.db shard1.db > remerge.out
grep -q "0 runs, skipped" remerge.out || fail "merging a shard twice copied it again: $(cat remerge.out)"

# A failed expectation: exit 1, naming the cell and the expectation.
set +e
"$herd_sim" sweep "$here/failing.toml" --db failing.db -q > failing.out 2> failing.err
status=$?
set -e
[ "$status" = 1 ] || fail "a failed expectation exited $status, not 1"
grep -q "FAILED tiny-line / flood ldh<=1 / seed 3: expect max_ldh <= 1" failing.err ||
  fail "the failure does not name the cell: $(cat failing.err)"
# ... and so does the report of a database holding it.
set +e
"$herd_sim" sweep "$here/failing.toml" --db failing.db --report-only > /dev/null 2>&1
status=$?
set -e
[ "$status" = 1 ] || fail "--report-only over a failed cell exited $status, not 1"

# A broken sweep: exit 2.
set +e
"$herd_sim" sweep "$here/broken.toml" --db broken.db -q > /dev/null 2> broken.err
status=$?
set -e
[ "$status" = 2 ] || fail "a broken sweep exited $status, not 2"
grep -q "no-such-scenario.toml" broken.err || fail "the error does not name the missing file: $(cat broken.err)"

# Merge refuses a database of another schema version.
sqlite3 old.db "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                INSERT INTO meta VALUES ('schema_version', '2');"
set +e
"$herd_sim" merge refused.db old.db > /dev/null 2> refused.err
status=$?
set -e
[ "$status" = 2 ] || fail "merging an old schema exited $status, not 2"
grep -q "schema version 2" refused.err || fail "the refusal does not say why: $(cat refused.err)"
echo "sweep shards test: ok"
