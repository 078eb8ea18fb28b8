// The message trace's storage (results_db.cpp: messages, message_traces) and read side
// (trace.cpp): rows come back in send-time order with their update as the updates table
// numbers it, windows and server sets select, and missing runs, runs without a trace and
// databases of another schema version are refused with a message that says why.
#include "herd/sim/trace.hpp"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <string>

#include "herd/sim/message_trace.hpp"
#include "herd/sim/results_db.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim;
using herd::testing::TempDir;

namespace {

const char* const kAtLine = "AT s0 +0.000000000 kiwi +1+1 1700000001.000000000";

struct Fixture {
  Scenario scenario;
  HerdLayout layout;
  MetricsRecorder metrics{3};
  MessageTrace trace{100};
  std::uint64_t update = 0;

  Fixture() {
    scenario.name = "traced";
    scenario.source_text = "[scenario]\nname = \"traced\"\n";
    layout.names = {"alpha", "beta", "gamma"};
    layout.neighbours = {{1}, {0, 2}, {1}};
    update = herd::core::update_id(kAtLine);
    metrics.on_accepted(1000, 0, herd::core::SharedText(std::string(kAtLine)), update);
    using K = MessageKind;
    using O = MessageOutcome;
    // send, recv, update, from, to, bytes, kind, outcome (conns for client ends)
    trace.add({0, 5, 0, 0, 1, 15, K::greeting, O::delivered});
    trace.add({0, 5, 0, 1, 0, 15, K::greeting, O::delivered});
    trace.add({900, 1000, 0, 7, 0, 49, K::iamat, O::answered});  // conn 7 at alpha
    trace.add({1000, 1000, update, 0, 7, 51, K::reply_at, O::delivered});
    trace.add({1000, 1200, update, 0, 1, 53, K::at, O::applied});
    trace.add({1200, 1400, update, 1, 2, 53, K::at, O::applied});
    trace.add({1200, 1400, update, 1, 0, 53, K::at, O::ignored});
    trace.add({1500, 1500, 0, 2, 1, 20, K::ae_groups, O::dropped});
    trace.add({1600, 1700, 0, 9, 2, 12, K::client_other, O::rejected});
    trace.add({1700, 1700, 0, 2, 9, 14, K::reply_error, O::delivered});
    trace.add({1800, 1900, 0, 0, 1, 30, K::ae_pull, O::lost});
    trace.add({1900, 1900, 0, 0, 2, 30, K::whatsat, O::lost});  // to a crashed server
  }

  std::int64_t store(ResultsDb& db, bool with_trace) {
    RunRecord record;
    record.herd_version = "test";
    record.recorded_at = "2026-01-01T00:00:00Z";
    record.fingerprint = 1;
    if (with_trace) record.trace = &trace;
    return db.store_run(scenario, layout, {}, metrics, record);
  }
};

}  // namespace

TEST_CASE("trace db: a stored trace reads back in send order, every column", "[trace]") {
  TempDir dir("herd-trace");
  Fixture f;
  const auto path = dir.path() / "r.db";
  std::int64_t run = 0;
  {
    ResultsDb db(path);
    run = f.store(db, true);
  }
  const Trace t = read_trace(path, run);
  CHECK(t.info.messages == 12);
  CHECK(t.info.limit == 100);
  CHECK_FALSE(t.info.truncated);
  CHECK(t.info.unrecorded == 0);
  CHECK_FALSE(t.info.truncated_at_ns);
  CHECK(t.info.server_names == std::vector<std::string>{"alpha", "beta", "gamma"});
  REQUIRE(t.messages.size() == 12);
  for (std::size_t i = 0; i < 12; ++i) {
    const TraceMessage& m = t.messages[i];
    const MessageRecord& r = f.trace[i];
    INFO("row " << i);
    CHECK(m.send_ns == r.send_ns);
    CHECK(m.recv_ns == r.recv_ns);
    CHECK(m.kind == r.kind);
    CHECK(m.outcome == r.outcome);
    CHECK(m.bytes == r.bytes);
  }
  // The greeting, from server to server, carries nothing.
  CHECK(t.messages[0].from_server == 0u);
  CHECK(t.messages[0].to_server == 1u);
  CHECK_FALSE(t.messages[0].conn);
  CHECK_FALSE(t.messages[0].update_id);
  // The IAMAT comes from a client connection and its reply goes back to it; the update is
  // the updates table's number.
  CHECK_FALSE(t.messages[2].from_server);
  CHECK(t.messages[2].to_server == 0u);
  CHECK(t.messages[2].conn == 7u);
  CHECK_FALSE(t.messages[3].to_server);
  CHECK(t.messages[3].conn == 7u);
  CHECK(t.messages[3].update_id == 0);
  CHECK(t.messages[4].update_id == 0);
  // A command that never reached its server has no connection.
  CHECK_FALSE(t.messages[11].conn);
  CHECK(t.messages[11].outcome == MessageOutcome::lost);
}

TEST_CASE("trace db: windows select on send time, server sets on either end", "[trace]") {
  TempDir dir("herd-trace");
  Fixture f;
  const auto path = dir.path() / "r.db";
  std::int64_t run = 0;
  {
    ResultsDb db(path);
    run = f.store(db, true);
  }
  TraceQuery window;
  window.from_ns = 1000;
  window.to_ns = 1600;
  const Trace w = read_trace(path, run, window);
  REQUIRE(w.messages.size() == 5);  // sent at 1000, 1000, 1200, 1200, 1500
  CHECK(w.messages.front().send_ns == 1000);
  CHECK(w.messages.back().send_ns == 1500);
  // Ties keep the order they were sent in.
  CHECK(w.messages[0].kind == MessageKind::reply_at);
  CHECK(w.messages[2].to_server == 2u);

  TraceQuery gamma;
  gamma.servers = {2};
  const Trace g = read_trace(path, run, gamma);
  REQUIRE(g.messages.size() == 5);
  for (const auto& m : g.messages) CHECK((m.from_server == 2u || m.to_server == 2u));

  // Visiting stops when asked to.
  std::uint64_t seen = 0;
  CHECK(for_each_trace_message(path, run, {}, [&](const TraceMessage&) { return ++seen < 3; }) == 3);
  CHECK_THROWS_WITH(read_trace(path, run, {}, 11), Catch::Contains("more than 11 messages"));
  TraceQuery bad;
  bad.servers = {3};
  CHECK_THROWS_WITH(read_trace(path, run, bad), Catch::Contains("has no server 3"));
}

TEST_CASE("trace db: a truncated trace says so", "[trace]") {
  TempDir dir("herd-trace");
  Fixture f;
  MessageTrace small(3);
  f.trace.for_each([&](const MessageRecord& row) { (void)small.add(row); });
  const auto path = dir.path() / "r.db";
  std::int64_t run = 0;
  {
    ResultsDb db(path);
    RunRecord record;
    record.trace = &small;
    run = db.store_run(f.scenario, f.layout, {}, f.metrics, record);
  }
  const TraceInfo info = read_trace_info(path, run);
  CHECK(info.truncated);
  CHECK(info.messages == 3);
  CHECK(info.limit == 3);
  CHECK(info.unrecorded == 9);
  CHECK(info.truncated_at_ns == 1000);
}

TEST_CASE("trace db: missing runs, runs without a trace and other files are refused", "[trace]") {
  TempDir dir("herd-trace");
  Fixture f;
  const auto path = dir.path() / "r.db";
  std::int64_t traced = 0, plain = 0;
  {
    ResultsDb db(path);
    traced = f.store(db, true);
    plain = f.store(db, false);
  }
  CHECK_NOTHROW(read_trace_info(path, traced));
  CHECK(traced_runs(path) == std::vector<std::int64_t>{traced});
  CHECK_THROWS_WITH(read_trace_info(path, plain), Catch::Contains("without a message trace") &&
                                                      Catch::Contains("--trace"));
  CHECK_THROWS_WITH(read_trace_info(path, 99), Catch::Contains("no run 99") &&
                                                   Catch::Contains("runs 1 to 2"));
  CHECK_THROWS_WITH(read_trace_info(dir.path() / "none.db", 1),
                    Catch::Contains("no such results database"));
  dir.write("text.db", "not a database at all, just text");
  CHECK_THROWS_AS(read_trace_info(dir.path() / "text.db", 1), ResultsError);
}

TEST_CASE("trace db: a schema 3 database is refused, naming its version", "[trace]") {
  TempDir dir("herd-trace");
  const auto path = dir.path() / "old.db";
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "INSERT INTO meta VALUES ('schema_version', '3');"
                         "CREATE TABLE runs (run_id INTEGER PRIMARY KEY);",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  CHECK_THROWS_WITH(read_trace_info(path, 1), Catch::Contains("schema version 3") &&
                                                  Catch::Contains("reads 4"));
  // The writer refuses to append to it too, and leaves it as it was.
  CHECK_THROWS_WITH(ResultsDb(path), Catch::Contains("results schema version 3") &&
                                         Catch::Contains("this build writes 4"));
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'messages'", -1,
                             &q, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  CHECK(sqlite3_column_int(q, 0) == 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_CASE("trace db: merging databases carries traces to the renumbered runs", "[trace]") {
  TempDir dir("herd-trace");
  Fixture f;
  const auto a = dir.path() / "a.db", b = dir.path() / "b.db";
  {
    ResultsDb db(a);
    (void)f.store(db, true);
  }
  {
    ResultsDb db(b);
    (void)f.store(db, false);
    CHECK(db.merge_from(a).copied == 1);
  }
  const Trace merged = read_trace(b, 2);
  const Trace original = read_trace(a, 1);
  CHECK(merged.info.messages == original.info.messages);
  REQUIRE(merged.messages.size() == original.messages.size());
  for (std::size_t i = 0; i < merged.messages.size(); ++i) {
    CHECK(merged.messages[i].send_ns == original.messages[i].send_ns);
    CHECK(merged.messages[i].update_id == original.messages[i].update_id);
    CHECK(merged.messages[i].outcome == original.messages[i].outcome);
  }
  CHECK_THROWS_WITH(read_trace_info(b, 1), Catch::Contains("without a message trace"));
}
