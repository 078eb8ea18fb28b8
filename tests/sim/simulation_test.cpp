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

namespace {
Scenario busy(std::uint64_t seed) {
  Scenario s;
  s.name = "busy";
  s.seed = seed;
  s.duration_ns = 20 * kNanosPerSecond;
  s.network.latency.kind = DelayDistribution::Kind::lognormal;
  s.network.latency.median_ns = 20 * kNanosPerMilli;
  s.network.latency.sigma = 0.6;
  s.network.reorder = true;
  s.workload.clients = 50;
  s.workload.iamat_per_s = 40;
  s.workload.whatsat_per_s = 10;
  s.workload.end_ns = 15 * kNanosPerSecond;
  FaultSpec crash;
  crash.kind = FaultSpec::Kind::crash;
  crash.at_ns = 3 * kNanosPerSecond;
  crash.duration_ns = 2 * kNanosPerSecond;
  crash.servers = {"s3"};
  s.faults.push_back(crash);
  s.random_faults.enabled = true;
  s.random_faults.partitions = 2;
  s.random_faults.pauses = 1;
  s.random_faults.max_duration_ns = kNanosPerSecond;
  return s;
}

std::uint64_t fingerprint_of(const Scenario& s, const HerdLayout& layout) {
  Simulation sim(s, layout);
  sim.run();
  return sim.fingerprint();
}
}  // namespace

TEST_CASE("sim: same scenario and seed give the same fingerprint and metrics") {
  HerdLayout layout = ring(8);
  Simulation a(busy(7), layout), b(busy(7), layout);
  a.run();
  b.run();
  CHECK(a.fingerprint() == b.fingerprint());
  CHECK(a.counters().events == b.counters().events);
  CHECK(a.counters().events > 1000);
  auto sa = a.metrics().summarize(), sb = b.metrics().summarize();
  CHECK(sa.updates == sb.updates);
  CHECK(sa.propagation.p99_ns == sb.propagation.p99_ns);
  CHECK(sa.stale_reads == sb.stale_reads);
}

TEST_CASE("sim: a different seed gives a different fingerprint") {
  HerdLayout layout = ring(8);
  CHECK(fingerprint_of(busy(7), layout) != fingerprint_of(busy(8), layout));
}

TEST_CASE("sim: with no faults every update reaches every server") {
  Scenario s = busy(3);
  s.faults.clear();
  s.random_faults.enabled = false;
  Simulation sim(s, grid(3, 4));
  sim.run();
  auto summary = sim.metrics().summarize();
  CHECK(summary.updates > 300);
  CHECK(summary.reach_mean == 1.0);
  CHECK(summary.reach_min == 1.0);
  CHECK(summary.lost_updates == 0);
  CHECK(summary.availability == 1.0);
  REQUIRE(summary.convergence_ns);
  CHECK(sim.metrics().lagging_pairs() == 0);
}

TEST_CASE("sim: a partitioned server's staleness grows at exactly 1 s per s until it heals") {
  Scenario s;
  s.name = "partition";
  s.seed = 1;
  s.duration_ns = 12 * kNanosPerSecond;
  s.sample_every_ns = 500 * kNanosPerMilli;
  s.network.latency = constant_delay(10 * kNanosPerMilli);
  FaultSpec cut;
  cut.kind = FaultSpec::Kind::partition;
  cut.at_ns = kNanosPerSecond;
  cut.duration_ns = 8 * kNanosPerSecond;
  cut.groups = {{"s0", "s1", "s2"}, {"s3"}};
  s.faults.push_back(cut);
  // One update at 2 s on the majority side; s3 cannot get it during the partition, and
  // flooding never resends it after the heal at 9 s. The client's next report at 10 s
  // reaches s3, which then holds something newer: staleness drops to 0.
  s.workload.script = {
      {2 * kNanosPerSecond, "s0", "IAMAT kiwi +1+1 1700000002.000000000"},
      {10 * kNanosPerSecond, "s0", "IAMAT kiwi +1+2 1700000010.000000000"},
  };
  Simulation sim(s, ring(4));
  sim.run();
  std::vector<StalenessSample> s3;
  for (const auto& sample : sim.metrics().staleness()) {
    if (sample.server == 3) s3.push_back(sample);
  }
  REQUIRE(s3.size() > 10);
  int growing = 0;
  for (const auto& sample : s3) {
    if (sample.at_ns < 2 * kNanosPerSecond) {
      CHECK(sample.max_staleness_ns == 0);
    } else if (sample.at_ns < 10 * kNanosPerSecond) {
      CHECK(sample.max_staleness_ns == sample.at_ns - 2 * kNanosPerSecond);
      ++growing;
    } else if (sample.at_ns > 10 * kNanosPerSecond) {
      CHECK(sample.max_staleness_ns == 0);
    }
  }
  CHECK(growing == 16);
  CHECK(sim.metrics().summarize().lost_updates == 0);
}

TEST_CASE("sim: a crashed server loses client requests and rejoins the flood after restart") {
  Scenario s;
  s.name = "crash";
  s.seed = 5;
  s.duration_ns = 10 * kNanosPerSecond;
  s.network.latency = constant_delay(5 * kNanosPerMilli);
  FaultSpec crash;
  crash.kind = FaultSpec::Kind::crash;
  crash.at_ns = 2 * kNanosPerSecond;
  crash.duration_ns = 3 * kNanosPerSecond;
  crash.servers = {"s1"};
  s.faults.push_back(crash);
  s.workload.script = {
      {3 * kNanosPerSecond, "s1", "IAMAT lost +1+1 1700000003.000000000"},
      {6 * kNanosPerSecond, "s0", "IAMAT kiwi +1+1 1700000006.000000000"},
  };
  Simulation sim(s, line(3));
  sim.run();
  auto summary = sim.metrics().summarize();
  CHECK(summary.requests == 2);
  CHECK(summary.answered == 1);
  CHECK(summary.updates == 1);
  CHECK(summary.reach_mean == 1.0);
  REQUIRE(sim.server(2)->records().find("kiwi"));
}

TEST_CASE("sim: a crash that starts as another ends keeps the server down until the last ends") {
  Scenario s;
  s.name = "back-to-back";
  s.seed = 2;
  s.duration_ns = 10 * kNanosPerSecond;
  s.network.latency = constant_delay(5 * kNanosPerMilli);
  FaultSpec first;
  first.kind = FaultSpec::Kind::crash;
  first.at_ns = 4 * kNanosPerSecond;  // listed first, but starts after the second
  first.duration_ns = 2 * kNanosPerSecond;
  first.servers = {"s1"};
  FaultSpec second = first;
  second.at_ns = 2 * kNanosPerSecond;  // ends at 4 s, the instant the first starts
  s.faults = {first, second};
  s.workload.script = {
      {5 * kNanosPerSecond, "s1", "IAMAT during +1+1 1700000005.000000000"},
      {7 * kNanosPerSecond, "s1", "IAMAT after +1+1 1700000007.000000000"},
  };
  Simulation sim(s, line(3));
  sim.run();
  auto summary = sim.metrics().summarize();
  CHECK(summary.requests == 2);
  CHECK(summary.answered == 1);  // down at 5 s, back by 7 s
  CHECK(sim.server(1) != nullptr);
}
