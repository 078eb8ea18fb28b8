// The live backend end to end: real herd-server processes, real TCP clients, the link
// proxies, faults made real, and the metrics read back from the servers' observations.
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "herd/sim/results_db.hpp"
#include "live_support.hpp"

using namespace herd::sim;
using herd::testing::TempDir;
using herd::testing::run_live_text;
using herd::testing::live_options;

namespace {

// A line of three servers, 5 ms per link, flooding without anti-entropy: each update costs
// exactly 2m - (n - 1) = 2 lines and reaches the far end in two hops.
const std::string kLine = R"(
[scenario]
name = "live-line"
seed = 7
duration = "2s"
drain = "2s"
sample_every = "500ms"

[herd]
servers = ["A", "B", "C"]
friends = [["A", "B"], ["B", "C"]]

[network]
latency = { dist = "constant", value = "5ms" }

[workload]
clients = 20
iamat = { rate = "40/s" }
whatsat = { rate = "10/s", radius_km = 10, bound = 2 }
end = "1800ms"
)";

}  // namespace

TEST_CASE("live: a fault-free run delivers everything and measures it like the simulator") {
  TempDir dir("herd-live-test");
  auto r = run_live_text(dir, kLine, live_options(dir));
  const Summary& s = r.summary;
  INFO("updates " << s.updates << ", p50 " << s.propagation.p50_ns << " ns, p99 "
                  << s.propagation.p99_ns << " ns, lines " << s.peer_lines);
  REQUIRE(s.updates > 20);
  CHECK(s.lost_updates == 0);
  CHECK(s.reach_min == 1.0);
  REQUIRE(s.convergence_ns.has_value());
  CHECK(s.availability == 1.0);
  CHECK(s.requests == r.outcome.counters.client_commands);
  CHECK(s.reads > 0);
  // Flooding on a line: 2 lines per update, none redundant (the far end hears it once).
  CHECK(s.peer_lines == 2 * s.updates);
  CHECK(s.messages_per_update == Approx(2.0));
  // One hop is the injected 5 ms plus loopback and scheduling; two hops twice that.
  CHECK(s.propagation.p50_ns >= 5'000'000);
  CHECK(s.propagation.p50_ns < 9'000'000);
  CHECK(s.propagation.max_ns >= 10'000'000);
  CHECK(s.propagation.max_ns < 40'000'000);
  CHECK(s.ldh_max == 2);
  // Every one-way link carried lines, counted by the proxies, greetings apart.
  const auto& links = r.outcome.metrics->traffic_by_link();
  REQUIRE(links.size() == 4);
  for (const auto& link : links) CHECK(link.lines >= 1);
  // Two greeting lines per link: the dialler's HELLO and, after the answer, its PROOF.
  CHECK(r.outcome.metrics->traffic_by_kind()[static_cast<std::size_t>(PeerLineKind::greeting)].lines == 8);
  // Staleness samples at 0, every 500 ms and at the end, for each of the three servers.
  CHECK(r.outcome.metrics->staleness().size() == 5 * 3);
  // The run's folder is gone.
  CHECK(herd::testing::no_live_folders(dir.path()));
}

TEST_CASE("live: persistent client connections get every command answered") {
  TempDir dir("herd-live-test");
  auto options = live_options(dir);
  options.clients = LiveRunOptions::Clients::persistent;
  // Scripted lines share the connection: a WHATSAT's multi-line reply, a "? " line, an IAMAT.
  const std::string scenario = kLine + R"(
[[workload.script]]
at = "1s"
server = "C"
line = "IAMAT scripted +34.068930-118.445127 1700000000.5"

[[workload.script]]
at = "1200ms"
server = "C"
line = "WHATSAT scripted 10 3"

[[workload.script]]
at = "1300ms"
server = "C"
line = "HELLO"
)";
  auto r = run_live_text(dir, scenario, options);
  CHECK(r.summary.updates > 20);
  CHECK(r.summary.availability == 1.0);
  CHECK(r.summary.requests == r.outcome.counters.client_commands);
  CHECK(r.summary.reads + r.summary.unknown_reads > 0);
  CHECK(r.summary.lost_updates == 0);
}

TEST_CASE("live: crash, pause, partition and clog happen for real and the herd recovers") {
  TempDir dir("herd-live-test");
  const std::string scenario = R"(
[scenario]
name = "live-faults"
seed = 3
duration = "4s"
drain = "4s"

[herd]
servers = ["A", "B", "C", "D"]
friends = [["A", "B"], ["B", "C"], ["C", "D"], ["D", "A"]]

[strategy]
anti_entropy = true
anti_entropy_period = "300ms"

[network]
latency = { dist = "uniform", min = "2ms", max = "6ms" }

[workload]
clients = 30
iamat = { rate = "40/s" }
whatsat = { rate = "10/s" }
end = "3500ms"

[[faults]]
at = "500ms"
crash = "C"
for = "800ms"

[[faults]]
at = "1500ms"
pause = "B"
for = "500ms"

[[faults]]
at = "2200ms"
partition = [["A", "B"], ["C", "D"]]
for = "600ms"

[[faults]]
at = "3000ms"
clog = { between = [["A"], ["D"]] }
for = "300ms"
)";
  auto r = run_live_text(dir, scenario, live_options(dir));
  const Summary& s = r.summary;
  INFO("updates " << s.updates << ", availability " << s.availability << ", lost "
                  << s.lost_updates << ", dropped " << r.outcome.counters.peer_dropped);
  // C was killed and started again: five processes in all.
  CHECK(r.outcome.counters.server_starts == 5);
  // Commands sent to C while it was down got no answer.
  CHECK(s.availability < 1.0);
  CHECK(s.availability > 0.5);
  // Anti-entropy repairs what the crash (amnesia), the pause and the partition kept away.
  CHECK(s.lost_updates == 0);
  REQUIRE(s.convergence_ns.has_value());
  // Lines sent across the partition went nowhere.
  CHECK(r.outcome.counters.peer_dropped > 0);
  // Updates accepted while C was down reached it only after its restart: seconds, not ms.
  CHECK(s.propagation.max_ns > 200'000'000);
  CHECK(r.outcome.faults.size() == 4);
  CHECK(herd::testing::no_live_folders(dir.path()));
}

TEST_CASE("live: link loss drops lines and a latency fault slows its links") {
  TempDir dir("herd-live-test");
  auto options = live_options(dir);
  options.link_loss = 0.2;
  const std::string scenario = kLine + R"(
[[faults]]
at = "0s"
latency = { between = [["B"], ["C"]], dist = "constant", value = "40ms" }
for = "2s"
)";
  auto r = run_live_text(dir, scenario, options);
  const Summary& s = r.summary;
  INFO("updates " << s.updates << ", lost " << s.lost_updates << ", dropped "
                  << r.outcome.counters.peer_dropped << ", max " << s.propagation.max_ns);
  // One line in five is lost and flooding without anti-entropy never resends it.
  CHECK(r.outcome.counters.peer_dropped > 0);
  CHECK(s.lost_updates > 0);
  CHECK(s.reach_mean < 1.0);
  // C hears of A's updates through B only: 5 ms, then 40 ms, on every direct delivery.
  const auto& m = *r.outcome.metrics;
  int checked = 0;
  for (const auto& d : m.deliveries()) {
    const auto& u = m.updates()[d.update];
    if (!d.direct || d.server != 2 || u.origin != 0) continue;
    CHECK(d.at_ns - u.accepted_ns >= 45'000'000);
    ++checked;
  }
  CHECK(checked > 0);
}

TEST_CASE("live: the scenario's network.loss drops lines, and --link-loss overrides it") {
  TempDir dir("herd-live-test");
  std::string lossy = kLine;
  const std::string latency = "latency = { dist = \"constant\", value = \"5ms\" }\n";
  lossy.replace(lossy.find(latency), latency.size(), latency + "loss = 0.3\n");
  auto r = run_live_text(dir, lossy, live_options(dir));
  INFO("updates " << r.summary.updates << ", lost " << r.summary.lost_updates << ", dropped "
                  << r.outcome.counters.peer_dropped);
  CHECK(r.scenario.network.loss == 0.3);
  CHECK(r.outcome.counters.peer_dropped > 0);
  CHECK(r.summary.lost_updates > 0);
  // --link-loss 0 wins over the scenario: every update reaches every server.
  auto options = live_options(dir);
  options.link_loss = 0.0;
  auto none = run_live_text(dir, lossy, options);
  CHECK(none.summary.lost_updates == 0);
  CHECK(none.summary.reach_min == 1.0);
  CHECK(none.outcome.counters.peer_dropped < r.outcome.counters.peer_dropped);
  CHECK(herd::testing::no_live_folders(dir.path()));
}

TEST_CASE("live: what cannot be made real is refused, naming the fault") {
  TempDir dir("herd-live-test");
  const std::string scenario = kLine + R"(
[[faults]]
at = "1s"
clock = { server = "A", skew = "-250ms" }

)";
  CHECK_THROWS_AS(run_live_text(dir, scenario, live_options(dir)), LiveRunError);
  try {
    (void)run_live_text(dir, scenario, live_options(dir));
  } catch (const LiveRunError& e) {
    const std::string what = e.what();
    CHECK(what.find("faults[0]: clock faults") != std::string::npos);
  }
  auto options = live_options(dir);
  options.server_bin = dir.path() / "no-such-server";
  CHECK_THROWS_WITH(run_live_text(dir, kLine, options), Catch::Contains("no herd-server executable"));
}

namespace {

// The folder of a kept live run (its one herd-live-* folder in `dir`).
std::filesystem::path kept_folder(const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with("herd-live-")) return entry.path();
  }
  FAIL("no kept live folder in " << dir);
  return {};
}

// Rows in a server's record file after a kept live run.
std::int64_t stored_records(const std::filesystem::path& dir, const std::string& server) {
  {
    const auto file = kept_folder(dir) / "state" / (server + ".db");
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* count = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM records", -1, &count, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_step(count) == SQLITE_ROW);
    const std::int64_t rows = sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);
    sqlite3_close(db);
    return rows;
  }
}

}  // namespace

TEST_CASE("live: a crash restarts with the server's records unless it is an amnesia crash") {
  // Flooding without anti-entropy, and no IAMAT after the crash: whatever C holds at the
  // end it held before it was killed, or it has nothing.
  const bool amnesia = GENERATE(false, true);
  INFO("amnesia = " << amnesia);
  TempDir dir("herd-live-test");
  auto options = live_options(dir);
  options.keep_dir = true;
  const std::string scenario = R"(
[scenario]
name = "live-crash-state"
seed = 5
duration = "2s"
drain = "1s"

[herd]
servers = ["A", "B", "C"]
friends = [["A", "B"], ["B", "C"]]

[network]
latency = { dist = "constant", value = "2ms" }

[workload]
clients = 10
iamat = { rate = "40/s" }
whatsat = { rate = "5/s" }
end = "700ms"

[[faults]]
at = "1s"
crash = "C"
for = "400ms"
amnesia = )" + std::string(amnesia ? "true" : "false") + "\n";
  auto r = run_live_text(dir, scenario, options);
  const Summary& s = r.summary;
  INFO("updates " << s.updates << ", reach min " << s.reach_min);
  REQUIRE(s.updates > 10);
  CHECK(r.outcome.counters.server_starts == 4);
  if (amnesia) {
    // No crash keeps state, so no server kept a store: C came back empty.
    CHECK_FALSE(std::filesystem::exists(kept_folder(dir.path()) / "state"));
    CHECK(s.reach_min < 1.0);  // the metrics know C forgot
  } else {
    const std::int64_t at_a = stored_records(dir.path(), "A");
    const std::int64_t at_c = stored_records(dir.path(), "C");
    CHECK(at_a == 10);  // every client of the workload updated at least once
    CHECK(at_c == at_a);
    CHECK(s.reach_min == 1.0);
    CHECK(s.lost_updates == 0);
  }
}

TEST_CASE("live: a run stored in the results database is a live run with every table") {
  TempDir dir("herd-live-test");
  auto r = run_live_text(dir, kLine, live_options(dir));
  const auto db_path = dir.path() / "results.db";
  {
    ResultsDb db(db_path);
    RunRecord record;
    record.backend = "live";
    (void)db.store_run(r.scenario, r.layout, r.outcome.faults, *r.outcome.metrics, record);
    const auto runs = db.runs();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].backend == "live");
    CHECK(runs[0].fingerprint.empty());
    const auto updates = std::find_if(runs[0].summary.begin(), runs[0].summary.end(),
                                      [](const auto& m) { return m.first == "updates"; });
    REQUIRE(updates != runs[0].summary.end());
    CHECK(updates->second == static_cast<double>(r.summary.updates));
  }
}
