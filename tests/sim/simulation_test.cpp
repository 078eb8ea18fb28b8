#include "herd/sim/simulation.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

using namespace herd::sim;
using herd::core::kNanosPerMilli;
using herd::core::kNanosPerSecond;

namespace {

HerdLayout make_layout(std::uint32_t n, const std::vector<std::pair<int, int>>& edges) {
  HerdLayout layout;
  layout.neighbours.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) layout.names.push_back("s" + std::to_string(i));
  for (auto [a, b] : edges) {
    layout.neighbours[a].push_back(b);
    layout.neighbours[b].push_back(a);
  }
  for (auto& list : layout.neighbours) std::sort(list.begin(), list.end());
  return layout;
}

HerdLayout line(std::uint32_t n) {
  std::vector<std::pair<int, int>> e;
  for (std::uint32_t i = 0; i + 1 < n; ++i) e.emplace_back(i, i + 1);
  return make_layout(n, e);
}

HerdLayout ring(std::uint32_t n) {
  std::vector<std::pair<int, int>> e;
  for (std::uint32_t i = 0; i < n; ++i) e.emplace_back(i, (i + 1) % n);
  return make_layout(n, e);
}

HerdLayout grid(std::uint32_t rows, std::uint32_t cols) {
  std::vector<std::pair<int, int>> e;
  for (std::uint32_t r = 0; r < rows; ++r) {
    for (std::uint32_t c = 0; c < cols; ++c) {
      std::uint32_t i = r * cols + c;
      if (c + 1 < cols) e.emplace_back(i, i + 1);
      if (r + 1 < rows) e.emplace_back(i, i + cols);
    }
  }
  return make_layout(rows * cols, e);
}

std::vector<int> hop_distances(const HerdLayout& layout, std::uint32_t from) {
  std::vector<int> d(layout.size(), -1);
  std::deque<std::uint32_t> q{from};
  d[from] = 0;
  while (!q.empty()) {
    auto u = q.front();
    q.pop_front();
    for (auto v : layout.neighbours[u]) {
      if (d[v] < 0) {
        d[v] = d[u] + 1;
        q.push_back(v);
      }
    }
  }
  return d;
}

Scenario scripted(Nanoseconds latency_ns, const std::string& origin, Nanoseconds duration_ns) {
  Scenario s;
  s.name = "test";
  s.seed = 42;
  s.duration_ns = duration_ns;
  s.network.latency = constant_delay(latency_ns);
  s.workload.script.push_back(ScriptedCommand{
      kNanosPerSecond, origin, "IAMAT kiwi +34.068930-118.445127 1700000001.000000000"});
  return s;
}

}  // namespace

TEST_CASE("sim: with constant latency every server learns at L times its hop distance") {
  const Nanoseconds L = 25 * kNanosPerMilli;
  struct Case {
    const char* name;
    HerdLayout layout;
    std::uint32_t origin;
  };
  std::vector<Case> cases{{"line 12", line(12), 0}, {"line 12 mid", line(12), 5},
                          {"ring 15", ring(15), 3}, {"grid 5x7", grid(5, 7), 17}};
  for (auto& c : cases) {
    INFO(c.name);
    Scenario s = scripted(L, c.layout.names[c.origin], 10 * kNanosPerSecond);
    auto distances = hop_distances(c.layout, c.origin);
    Simulation sim(s, c.layout);
    sim.run();
    const auto& m = sim.metrics();
    REQUIRE(m.updates().size() == 1);
    int eccentricity = *std::max_element(distances.begin(), distances.end());
    std::size_t checked = 0;
    for (const auto& d : m.deliveries()) {
      CHECK(d.at_ns == kNanosPerSecond + L * distances[d.server]);
      if (d.server != c.origin) CHECK(d.hops == static_cast<std::uint32_t>(distances[d.server]));
      ++checked;
    }
    CHECK(checked == c.layout.size());
    auto summary = m.summarize();
    CHECK(summary.ldh_max == static_cast<std::uint32_t>(eccentricity));
    CHECK(summary.reach_mean == 1.0);
    CHECK(summary.lost_updates == 0);
    CHECK(summary.propagation.max_ns == L * eccentricity);
    REQUIRE(summary.convergence_ns);
    CHECK(*summary.convergence_ns == L * eccentricity);
  }
}

TEST_CASE("sim: every server ends with the origin's AT line") {
  HerdLayout layout = ring(6);
  Simulation sim(scripted(5 * kNanosPerMilli, "s2", 5 * kNanosPerSecond), layout);
  sim.run();
  for (std::uint32_t i = 0; i < layout.size(); ++i) {
    const auto* record = sim.server(i)->records().find("kiwi");
    REQUIRE(record);
    CHECK(*record->update.at_line ==
          "AT s2 +0.000000000 kiwi +34.068930-118.445127 1700000001.000000000");
  }
}
