// Playback state (gui/lib/src/playback.cpp) against the applies rows of a real run: at every
// moment a server holds the update iff it has a delivery row at or before that moment, and the
// highlighted links are the friends the deliveries came from.
#include "herd/gui/playback.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "dash_fixture.hpp"
#include "herd/gui/run_data.hpp"

using namespace herd::gui;
using herd::sim::ResultsReader;

TEST_CASE("playback state at each time matches the stored deliveries", "[gui][playback]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  const auto run_id = db.runs[0];
  const auto updates = reader.updates(run_id);
  const auto friends = reader.friends(run_id);
  std::set<std::pair<std::uint32_t, std::uint32_t>> edges;
  for (const auto& e : friends) edges.insert({e.a, e.b}), edges.insert({e.b, e.a});
  REQUIRE(updates.size() > 10);
  std::size_t checked = 0;
  for (std::uint32_t u = 0; u < updates.size(); u += 7) {
    const auto rows = reader.applies_of_update(run_id, u);
    REQUIRE_FALSE(rows.empty());
    const auto span = playback_span(rows.data(), rows.data() + rows.size());
    CHECK(span.begin_ns == updates[u].accepted_ns);

    // Before acceptance nobody holds it; at acceptance the origin does.
    auto before = playback_state(rows.data(), rows.data() + rows.size(), 12, span.begin_ns - 1);
    CHECK(before.holders == 0);
    auto start = playback_state(rows.data(), rows.data() + rows.size(), 12, span.begin_ns);
    CHECK(start.holds[updates[u].origin] == 1);

    for (int step = 0; step <= 20; ++step) {
      const std::int64_t t = span.begin_ns + (span.end_ns - span.begin_ns) * step / 20;
      auto state = playback_state(rows.data(), rows.data() + rows.size(), 12, t);
      std::size_t holders = 0;
      for (std::uint32_t s = 0; s < 12; ++s) {
        bool has_row = false;
        for (const auto& r : rows) has_row |= (r.server_id == s && r.at_ns <= t);
        CHECK(static_cast<bool>(state.holds[s]) == has_row);
        holders += has_row;
      }
      CHECK(state.holders == holders);
      // Each link carried it from a holder to a friend, before now.
      std::set<std::uint32_t> reached;
      for (const auto& l : state.links) {
        CHECK(edges.count({l.from, l.to}) == 1);
        CHECK(state.holds[l.from] == 1);
        CHECK(state.holds[l.to] == 1);
        CHECK(l.at_ns <= t);
        CHECK(reached.insert(l.to).second);  // a server gets it over one link
      }
      ++checked;
    }
    auto end = playback_state(rows.data(), rows.data() + rows.size(), 12, span.end_ns);
    CHECK(end.holders == updates[u].holders);
    CHECK(end.delivered == rows.size());
  }
  CHECK(checked > 20);
}

TEST_CASE("the run's apply index returns each update's rows", "[gui][playback]") {
  herd::testing::DashDb db;
  ResultsReader reader(db.path);
  auto run = load_run(reader, db.runs[1]);
  for (std::uint32_t u = 0; u < run->updates.size(); ++u) {
    auto [first, last] = run->applies_of(u);
    auto rows = reader.applies_of_update(db.runs[1], u);
    REQUIRE(static_cast<std::size_t>(last - first) == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      CHECK(first[i].server_id == rows[i].server_id);
      CHECK(first[i].at_ns == rows[i].at_ns);
    }
  }
  auto [a, b] = run->applies_of(static_cast<std::uint32_t>(run->updates.size()));
  CHECK(a == b);
}
