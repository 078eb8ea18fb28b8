// `herd-sim run --trace` and `herd-sim trace` (sim/cli/src/trace_export.cpp) on real scenario
// files and databases: tracing leaves every other stored row as it was, the Perfetto JSON
// parses and has a flow per message, the SVG is well-formed with one arrow per message of
// its window, and what cannot be drawn or was not recorded is said, never dropped.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <sqlite3.h>

#include <numeric>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "herd/sim/trace.hpp"
#include "herd/sim/trace_export.hpp"
#include "herd_test/sqlite_rows.hpp"
#include "herd_test/temp_dir.hpp"
#include "cli_harness.hpp"
#include "xml_check.hpp"

using herd::testing::CliRun;
using herd::testing::herd_sim;
using herd::testing::TempDir;
using Catch::Matchers::Contains;
using namespace herd::sim;

namespace {

// Four servers on a line for three virtual seconds, a partition in the middle of it.
const std::string kScenario = R"(
[scenario]
name = "traced"
seed = 4
duration = "3s"

[herd]
servers = ["A", "B", "C", "D"]
friends = [["A", "B"], ["B", "C"], ["C", "D"]]

[network]
latency = { dist = "lognormal", median = "20ms", sigma = 0.5 }

[workload]
clients = 5
iamat = { rate = "10/s" }
whatsat = { rate = "3/s" }
end = "2500ms"

[[faults]]
at = "1s"
partition = [["A", "B"], ["C", "D"]]
for = "500ms"
)";

using herd::testing::query_rows;

std::int64_t count_of(const std::filesystem::path& db, const std::string& sql) {
  auto rows = query_rows(db, sql);
  REQUIRE(rows.size() == 1);
  return std::stoll(rows[0]);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("cli trace: --trace stores messages and changes no other stored row", "[trace]") {
  TempDir dir;
  const auto file = dir.write("traced.toml", kScenario);
  const auto plain = dir.path() / "plain.db", traced = dir.path() / "traced.db";
  CliRun a = herd_sim({"run", file.string(), "-q", "--db", plain.string()});
  CliRun b = herd_sim({"run", file.string(), "-q", "--trace", "--db", traced.string()});
  REQUIRE(a.code == 0);
  REQUIRE(b.code == 0);
  CHECK_THAT(b.out, Contains("trace: ") && Contains(" messages recorded"));
  CHECK(a.out.find("trace:") == std::string::npos);

  // Every table a run writes, every column but wall-clock metadata.
  for (const std::string table : {"servers", "friends", "faults", "updates", "applies", "reads",
                                  "staleness", "traffic", "traffic_kinds", "traffic_links",
                                  "summary"}) {
    INFO(table);
    const auto rows = query_rows(plain, "SELECT * FROM " + table + " ORDER BY rowid");
    CHECK(rows == query_rows(traced, "SELECT * FROM " + table + " ORDER BY rowid"));
    if (table != "faults") CHECK_FALSE(rows.empty());
  }
  const std::string runs =
      "SELECT run_id, scenario, scenario_text, overrides, seed, backend, strategy, fingerprint, "
      "duration_ns, drained_ns, events, servers, friend_edges FROM runs";
  CHECK(query_rows(plain, runs) == query_rows(traced, runs));
  CHECK(count_of(plain, "SELECT COUNT(*) FROM messages") == 0);
  CHECK(count_of(plain, "SELECT COUNT(*) FROM message_traces") == 0);

  // The trace's own books against the run's.
  const auto messages = count_of(traced, "SELECT COUNT(*) FROM messages");
  CHECK(messages > 50);
  CHECK(count_of(traced, "SELECT messages FROM message_traces WHERE run_id = 1") == messages);
  CHECK(count_of(traced, "SELECT truncated FROM message_traces") == 0);
  CHECK(count_of(traced, "SELECT COUNT(*) FROM messages WHERE outcome = 'applied'") ==
        count_of(traced, "SELECT COUNT(*) FROM applies WHERE hops > 0"));
  CHECK(count_of(traced, "SELECT COUNT(*) FROM messages WHERE outcome IN ('dropped', 'lost') "
                         "AND from_id IS NOT NULL AND to_id IS NOT NULL") ==
        count_of(traced, "SELECT value FROM traffic WHERE counter = 'peer_dropped'"));
  CHECK(query_rows(traced, "SELECT kind, COUNT(*), SUM(bytes) FROM messages WHERE from_id IS "
                           "NOT NULL AND to_id IS NOT NULL AND outcome IN ('applied', 'ignored', "
                           "'delivered', 'rejected') GROUP BY kind ORDER BY kind") ==
        query_rows(traced, "SELECT kind, lines, bytes FROM traffic_kinds ORDER BY kind"));
  // Updates are numbered as the updates table numbers them.
  CHECK(count_of(traced, "SELECT COUNT(*) FROM messages m WHERE update_id IS NOT NULL AND NOT "
                         "EXISTS (SELECT 1 FROM updates u WHERE u.run_id = m.run_id AND "
                         "u.update_id = m.update_id)") == 0);
}

TEST_CASE("cli trace: [scenario] trace and trace_limit; a truncated trace is said", "[trace]") {
  TempDir dir;
  const auto file = dir.write("traced.toml", kScenario);
  const auto db = dir.path() / "r.db";
  CliRun run = herd_sim({"run", file.string(), "-q", "--db", db.string(), "--set",
                         "scenario.trace=true", "--set", "scenario.trace_limit=40"});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Contains("TRUNCATED at the limit of 40"));
  CHECK(count_of(db, "SELECT COUNT(*) FROM messages") == 40);
  CHECK(count_of(db, "SELECT truncated FROM message_traces") == 1);
  CHECK(count_of(db, "SELECT unrecorded FROM message_traces") > 0);

  CliRun bad = herd_sim({"run", file.string(), "-q", "--no-db", "--set", "scenario.trace_limit=0"});
  CHECK(bad.code == 2);
}

TEST_CASE("cli trace: Perfetto JSON parses, names each server's track, one flow per message",
          "[trace]") {
  TempDir dir;
  const auto file = dir.write("traced.toml", kScenario);
  const auto db = dir.path() / "r.db";
  REQUIRE(herd_sim({"run", file.string(), "-q", "--trace", "--db", db.string()}).code == 0);
  const auto json_file = dir.path() / "t.json";
  CliRun run = herd_sim({"trace", db.string(), "--run", "1", "-o", json_file.string()});
  REQUIRE(run.code == 0);
  const auto messages = static_cast<std::size_t>(count_of(db, "SELECT COUNT(*) FROM messages"));
  CHECK_THAT(run.out, Contains(std::to_string(messages) + " messages"));

  const boost::json::value doc = boost::json::parse(herd::testing::read_file(json_file));
  const auto& events = doc.at("traceEvents").as_array();
  std::size_t starts = 0, finishes = 0, slices = 0;
  std::vector<std::string> tracks;
  for (const auto& e : events) {
    const auto& o = e.as_object();
    const std::string ph(o.at("ph").as_string());
    if (ph == "s") ++starts;
    if (ph == "f") {
      ++finishes;
      CHECK(o.at("bp").as_string() == "e");
    }
    if (ph == "X") {
      ++slices;
      const auto& args = o.at("args").as_object();
      CHECK(args.contains("kind"));
      CHECK(args.contains("outcome"));
      CHECK(args.contains("bytes"));
      CHECK(args.contains("update"));
    }
    if (ph == "M" && o.at("name").as_string() == "thread_name") {
      tracks.emplace_back(o.at("args").at("name").as_string());
    }
  }
  CHECK(starts == messages);
  CHECK(finishes == messages);
  CHECK(slices == 2 * messages);
  CHECK(tracks == std::vector<std::string>{"A", "B", "C", "D", "clients"});

  // A window and a server set narrow it.
  CliRun part = herd_sim({"trace", db.string(), "--run", "1", "--format", "perfetto", "-o",
                          json_file.string(), "--from", "1s", "--to", "1500ms", "--servers", "D"});
  REQUIRE(part.code == 0);
  TraceQuery q;
  q.from_ns = 1'000'000'000;
  q.to_ns = 1'500'000'000;
  q.servers = {3};
  const auto expected = read_trace(db, 1, q).messages.size();
  CHECK(expected > 0);
  CHECK(expected < messages);
  const std::string text = herd::testing::read_file(json_file);
  CHECK(occurrences(text, "\"ph\":\"s\"") == expected);

  // Over its cap: refused, no file left behind.
  const auto big = dir.path() / "big.json";
  CHECK(herd_sim({"trace", db.string(), "--run", "1", "-o", big.string(), "--max-messages", "10"})
            .code == 2);
  CHECK_FALSE(std::filesystem::exists(big));
}

TEST_CASE("cli trace: the SVG diagram is well-formed with one arrow per message", "[trace]") {
  TempDir dir;
  const auto file = dir.write("traced.toml", kScenario);
  const auto db = dir.path() / "r.db";
  REQUIRE(herd_sim({"run", file.string(), "-q", "--trace", "--db", db.string()}).code == 0);
  const auto svg = dir.path() / "t.svg";
  CliRun run = herd_sim({"trace", db.string(), "--run", "1", "-o", svg.string(), "--from", "900ms",
                         "--to", "1600ms", "--servers", "B,C"});
  REQUIRE(run.code == 0);
  TraceQuery q;
  q.from_ns = 900'000'000;
  q.to_ns = 1'600'000'000;
  q.servers = {1, 2};
  const Trace expected = read_trace(db, 1, q);
  REQUIRE(expected.messages.size() > 10);
  std::size_t crosses = 0;
  for (const auto& m : expected.messages) {
    crosses += m.outcome == MessageOutcome::lost || m.outcome == MessageOutcome::dropped ? 1 : 0;
  }
  CHECK(crosses > 0);  // the partition cut B from C at 1 s

  const std::string text = herd::testing::read_file(svg);
  const auto xml = xml_check::parse(text);
  REQUIRE(xml.well_formed);
  std::size_t arrows = 0, lost = 0;
  for (const auto& e : xml.elements) {
    if (e.name != "path") continue;
    auto cls = e.attributes.find("class");
    if (cls == e.attributes.end() || !cls->second.starts_with("m ")) continue;
    // Legend samples are paths too, but outside the messages group: they carry no title.
    if (cls->second.find(" o-") == std::string::npos) continue;
    ++arrows;
    if (cls->second.ends_with("o-lost") || cls->second.ends_with("o-dropped")) ++lost;
  }
  CHECK(arrows == expected.messages.size());
  CHECK(lost == crosses);
  CHECK(xml.count("title") == expected.messages.size());
  // Lifelines for B and C, and lanes for the servers and clients beyond them.
  CHECK_THAT(text, Contains(">B</text>") && Contains(">C</text>") &&
                       Contains("(other servers)") && Contains("(clients)"));
}

namespace {
// The bands of a binned diagram: each <path class="b ..."> with the count its title starts with.
std::vector<std::uint64_t> band_counts(const std::string& svg) {
  std::vector<std::uint64_t> counts;
  const std::regex band(R"re(<path class="b k-[^"]*"[^>]*><title>(\d+) messages? )re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), band); it != std::sregex_iterator(); ++it) {
    counts.push_back(std::stoull((*it)[1].str()));
  }
  return counts;
}
}  // namespace

TEST_CASE("cli trace: past --max-arrows the SVG bins messages into counted bands", "[trace]") {
  TempDir dir;
  const auto file = dir.write("traced.toml", kScenario);
  const auto db = dir.path() / "r.db";
  REQUIRE(herd_sim({"run", file.string(), "-q", "--trace", "--db", db.string()}).code == 0);
  TraceQuery q;  // the whole run, B and C
  q.servers = {1, 2};
  const auto expected = read_trace(db, 1, q).messages.size();
  REQUIRE(expected > 20);
  auto draw = [&](std::size_t cap, const std::string& name) {
    const auto svg = dir.path() / name;
    CliRun run = herd_sim({"trace", db.string(), "--run", "1", "-o", svg.string(), "--servers", "B,C",
                           "--max-arrows", std::to_string(cap)});
    REQUIRE(run.code == 0);
    return herd::testing::read_file(svg);
  };

  // At the cap: still one arrow a message.
  const std::string at_cap = draw(expected, "at.svg");
  CHECK(band_counts(at_cap).empty());
  CHECK(xml_check::parse(at_cap).count("title") == expected);

  // One past it: bands, every message in exactly one, at most the cap of them.
  const std::string over = draw(expected - 1, "over.svg");
  const auto xml = xml_check::parse(over);
  REQUIRE(xml.well_formed);
  auto counts = band_counts(over);
  REQUIRE_FALSE(counts.empty());
  CHECK(counts.size() <= expected - 1);
  CHECK(std::accumulate(counts.begin(), counts.end(), std::uint64_t{0}) == expected);
  CHECK(xml.count("title") == counts.size());  // no arrows besides
  CHECK_THAT(over, Contains("each band is the messages from one lane to another"));

  // A tiny cap widens the slices until the bands fit: B, C, other servers and clients make
  // at most 4 x 4 lane pairs, so 16 bands hold the whole window in one slice.
  const std::string tiny = draw(16, "tiny.svg");
  REQUIRE(xml_check::parse(tiny).well_formed);
  counts = band_counts(tiny);
  CHECK(counts.size() <= 16);
  CHECK(std::accumulate(counts.begin(), counts.end(), std::uint64_t{0}) == expected);
}

TEST_CASE("cli trace: bad runs, servers and formats are usage errors", "[trace]") {
  TempDir dir;
  const auto file = dir.write("traced.toml", kScenario);
  const auto db = dir.path() / "r.db";
  REQUIRE(herd_sim({"run", file.string(), "-q", "--db", db.string()}).code == 0);
  const auto out = (dir.path() / "t.json").string();
  CHECK(herd_sim({"trace", db.string(), "--run", "1", "-o", out}).code == 2);  // no trace
  REQUIRE(herd_sim({"run", file.string(), "-q", "--trace", "--db", db.string()}).code == 0);
  CHECK(herd_sim({"trace", db.string(), "--run", "2", "-o", out}).code == 0);
  CHECK(herd_sim({"trace", db.string(), "--run", "3", "-o", out}).code == 2);
  CHECK(herd_sim({"trace", db.string(), "--run", "2", "-o", out, "--servers", "Z"}).code == 2);
  CHECK(herd_sim({"trace", db.string(), "--run", "2", "-o", (dir.path() / "t.txt").string()}).code == 2);
  CHECK(herd_sim({"trace", db.string(), "--run", "2", "-o", out, "--from", "2s", "--to", "1s"}).code == 2);
}

TEST_CASE("cli trace: a diagram of more than 10,000 messages streams out whole", "[trace]") {
  TempDir dir;
  const auto file = dir.write("traced.toml", kScenario);
  const auto db = dir.path() / "r.db";
  REQUIRE(herd_sim({"run", file.string(), "-q", "--trace", "--db", db.string(), "--set",
                    "workload.iamat.rate=1500/s"})
              .code == 0);
  const auto messages = static_cast<std::size_t>(count_of(db, "SELECT COUNT(*) FROM messages"));
  REQUIRE(messages > 10'000);
  const auto svg = dir.path() / "all.svg";
  REQUIRE(herd_sim({"trace", db.string(), "--run", "1", "-o", svg.string(), "--max-arrows",
                    "100000"})
              .code == 0);
  const std::string text = herd::testing::read_file(svg);
  const auto xml = xml_check::parse(text);
  REQUIRE(xml.well_formed);
  CHECK(xml.count("title") == messages);  // one per arrow
}

TEST_CASE("cli trace: check --trace --db stores traces; big herds need a server set", "[trace]") {
  TempDir dir;
  const auto file = dir.write("traced.toml", kScenario);
  const auto db = dir.path() / "c.db";
  REQUIRE(herd_sim({"check", file.string(), "-q", "--trace", "--db", db.string()}).code == 0);
  CHECK(count_of(db, "SELECT COUNT(*) FROM message_traces") == 1);
  CHECK(count_of(db, "SELECT COUNT(*) FROM messages") > 50);

  std::ostringstream out;
  SequenceSvgOptions narrow;
  narrow.max_lanes = 3;
  CHECK_THROWS_WITH(write_sequence_svg(out, db, 1, {}, narrow),
                    Contains("4 servers") && Contains("--servers"));
  TraceQuery two;
  two.servers = {0, 3};
  CHECK(write_sequence_svg(out, db, 1, two, narrow) > 0);
}
