// What the topology view shows for a clicked server or link (gui/lib/src/inspect.cpp),
// against a real run's rows: a server's record for a client is the newest update of that
// client whenever the server holds it, and a link's figures are its stored traffic.
#include "herd/gui/inspect.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "dash_fixture.hpp"
#include "herd/core/codec.hpp"
#include "herd/core/record_store.hpp"

using namespace herd::gui;
using herd::sim::ResultsReader;

TEST_CASE("a server's record table holds the newest update of each client it holds",
          "[gui][inspect]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  RunCache cache;
  const auto run = cache.get(reader, db.runs[0]);
  REQUIRE(run->updates.size() > 10);
  // The newest update of each client over the whole run, from the updates table alone.
  std::map<std::string, std::uint32_t> newest;
  for (const auto& u : run->updates) {
    auto it = newest.find(u.client);
    if (it == newest.end()) {
      newest.emplace(u.client, u.update_id);
      continue;
    }
    const auto a = herd::core::parse_at_line(u.at_line);
    const auto b = herd::core::parse_at_line(run->updates[it->second].at_line);
    REQUIRE(a);
    REQUIRE(b);
    if (herd::core::compare_updates(*a, *b) > 0) it->second = u.update_id;
  }
  const std::int64_t end = run->run.duration_ns + run->run.drained_ns;
  // s03 crashes without its state; its table after the crash is not what it holds (the
  // header says so), so it is left out here.
  std::size_t checked = 0;
  for (std::uint32_t s = 0; s < run->servers.size(); ++s) {
    if (run->servers[s].name == "s03") continue;
    const auto rows = server_records(*run, s, end);
    std::map<std::string, std::uint32_t> table;
    for (const auto& r : rows) {
      CHECK(table.emplace(r.client, r.update_id).second);  // one row per client
      CHECK(r.stored_ns <= end);
      CHECK(r.delay_ns == r.stored_ns - r.accepted_ns);
    }
    for (const auto& [client, u] : newest) {
      // Holding the newest update (a delivery row, direct or not) means the record is it.
      bool holds = false;
      auto [first, last] = run->applies_of(u);
      for (auto* a = first; a != last; ++a) holds = holds || (a->server_id == s && a->at_ns <= end);
      if (!holds) continue;
      INFO("server " << s << " client " << client);
      REQUIRE(table.count(client) == 1);
      CHECK(table[client] == u);
      ++checked;
    }
  }
  CHECK(checked > 50);
  // Before anything was accepted, no server holds a record.
  CHECK(server_records(*run, 0, run->updates.front().accepted_ns - 1).empty());
  // Mid-run, nothing stored later than the moment asked for is listed.
  const std::int64_t mid = run->updates[run->updates.size() / 2].accepted_ns;
  for (const auto& r : server_records(*run, 1, mid)) CHECK(r.stored_ns <= mid);
}

TEST_CASE("a link's report is its stored traffic and the updates it brought first",
          "[gui][inspect]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  RunCache cache;
  const auto run = cache.get(reader, db.runs[0]);
  std::uint64_t lines = 0, stored_lines = 0, first = 0, stored_first = 0;
  for (const auto& l : run->links) stored_lines += l.lines;
  for (const auto& a : run->applies) stored_first += a.from_id != herd::sim::kNoFrom ? 1 : 0;
  REQUIRE(stored_first > 0);
  for (const auto& e : run->edges) {
    const LinkReport r = link_report(*run, e.b, e.a);  // either order
    CHECK(r.a == std::min(e.a, e.b));
    CHECK(r.b == std::max(e.a, e.b));
    CHECK(r.lines_ab > 0);  // a greeting at least
    lines += r.lines_ab + r.lines_ba;
    first += r.updates_ab + r.updates_ba;
  }
  CHECK(lines == stored_lines);    // every line went over a friend link
  CHECK(first == stored_first);    // every direct delivery came over one
  const LinkReport one = link_report(*run, run->edges[0].a, run->edges[0].b);
  const std::string text = describe(*run, one);
  CHECK(text.find(run->servers[one.a].name + " \u2192 " + run->servers[one.b].name) == 0);
  CHECK(text.find(std::to_string(one.lines_ba) + " lines") != std::string::npos);
}
