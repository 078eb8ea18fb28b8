#include "herd/sim/simulation.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "herd/sim/generators.hpp"
#include "herd/sim/herd_builder.hpp"
#include "herd/sim/random_graphs.hpp"

using namespace herd::sim;
using herd::core::kNanosPerMilli;
using herd::core::kNanosPerSecond;
using herd::core::PropagationConfig;

namespace {

// 20 IAMAT/s herd-wide from a cold start: several broadcasts from different origins are
// always in flight at once (a broadcast takes 0.3-0.5 s on these graphs), which is what
// makes a shared tree hard to keep.
constexpr Nanoseconds kDuration = 14 * kNanosPerSecond;
constexpr Nanoseconds kWorkloadEnd = 11 * kNanosPerSecond;  // then 3 s to settle
constexpr Nanoseconds kWarmUp = 5 * kNanosPerSecond;
constexpr Nanoseconds kGraftTimeout = kNanosPerSecond;

PropagationConfig strategy(PropagationConfig::Push push, Nanoseconds ihave_delay_ns = 0) {
  PropagationConfig p;
  p.push = push;
  p.plumtree_ihave_delay_ns = ihave_delay_ns;
  p.plumtree_graft_timeout_ns = kGraftTimeout;
  return p;
}

// Many clients, so that almost every update is its client's only one: per-update RMR is
// then exactly Plumtree's (a superseded update shares its holders with the newer one).
Scenario workload(PropagationConfig propagation, std::uint64_t seed) {
  Scenario s;
  s.name = "plumtree";
  s.seed = seed;
  s.duration_ns = kDuration;
  s.sample_every_ns = 3 * kNanosPerSecond;
  s.network.latency.kind = DelayDistribution::Kind::lognormal;
  s.network.latency.median_ns = 20 * kNanosPerMilli;
  s.network.latency.sigma = 0.5;
  s.workload.clients = 5000;
  s.workload.iamat_per_s = 20;
  s.workload.end_ns = kWorkloadEnd;
  s.strategy = std::string(herd::core::to_string(propagation.push));
  s.propagation = propagation;
  return s;
}

struct Figures {
  std::size_t updates = 0;
  double rmr_first10 = 0;  // mean RMR of the first ten updates
  std::vector<double> rmr_by_second;  // mean RMR of the updates accepted in each second
  double rmr_late = 0;     // mean RMR of updates accepted after the warm-up
  double rmr_late_max = 0;
  std::size_t late = 0;
  double reach_min = 1;    // over every update, servers live at the end
  double payload_per_update = 0;  // AT lines delivered (the metric's "messages")
  double lines_per_update = 0;    // every peer line delivered, IHAVE/GRAFT/PRUNE included
  double p99_ms = 0;
};

double rmr_of(const UpdateStats& u) {
  return static_cast<double>(u.deliveries) / static_cast<double>(u.holders - 1) - 1.0;
}

// RMR is taken over the updates accepted from `late_from_ns` on ("after warm-up"), and
// only over updates that are their client's only one (see workload()).
Figures measure(const Simulation& sim, Nanoseconds late_from_ns = kWarmUp) {
  const MetricsRecorder& m = sim.metrics();
  const auto summary = m.summarize();
  std::vector<int> per_client(m.client_names().size(), 0);
  for (const auto& u : m.updates()) ++per_client[u.client];
  Figures f;
  f.updates = m.updates().size();
  Nanoseconds last_ns = 0;
  for (const UpdateStats& u : m.updates()) last_ns = std::max(last_ns, u.accepted_ns);
  std::vector<double> second_total(static_cast<std::size_t>(last_ns / kNanosPerSecond) + 1, 0);
  std::vector<int> second_count(second_total.size(), 0);
  std::size_t first = 0;
  double first_total = 0, late_total = 0;
  for (const UpdateStats& u : m.updates()) {
    if (per_client[u.client] != 1 || u.holders < 2) continue;
    const double rmr = rmr_of(u);
    if (first < 10) {
      first_total += rmr;
      ++first;
    }
    auto second = static_cast<std::size_t>(u.accepted_ns / kNanosPerSecond);
    if (second < second_total.size()) {
      second_total[second] += rmr;
      ++second_count[second];
    }
    if (u.accepted_ns >= late_from_ns) {
      late_total += rmr;
      f.rmr_late_max = std::max(f.rmr_late_max, rmr);
      ++f.late;
    }
  }
  for (std::size_t i = 0; i < second_total.size(); ++i) {
    f.rmr_by_second.push_back(second_count[i] ? second_total[i] / second_count[i] : 0.0);
  }
  f.rmr_first10 = first ? first_total / static_cast<double>(first) : 0;
  f.rmr_late = f.late ? late_total / static_cast<double>(f.late) : 0;
  f.reach_min = summary.reach_min;
  const double updates = static_cast<double>(std::max<std::size_t>(1, f.updates));
  f.payload_per_update = static_cast<double>(summary.peer_messages) / updates;
  f.lines_per_update = summary.messages_per_update;  // every line but greetings
  f.p99_ms = static_cast<double>(summary.propagation.p99_ns) / 1e6;
  return f;
}

std::string describe(const std::string& what, const Figures& f) {
  char text[512];
  std::snprintf(text, sizeof text,
                "%s: %zu updates; RMR first 10 %.3f, after warm-up %.4f (max %.3f over %zu "
                "updates); reach min %.3f; per update %.1f AT lines, %.1f lines in all; "
                "p99 %.0f ms",
                what.c_str(), f.updates, f.rmr_first10, f.rmr_late, f.rmr_late_max, f.late,
                f.reach_min, f.payload_per_update, f.lines_per_update, f.p99_ms);
  std::string out = text;
  out += "; RMR by second:";
  for (double r : f.rmr_by_second) {
    std::snprintf(text, sizeof text, " %.3f", r);
    out += text;
  }
  return out;
}

Figures run(const HerdLayout& layout, PropagationConfig p, std::uint64_t seed) {
  Simulation sim(workload(p, seed), layout);
  sim.run();
  return measure(sim);
}

struct Graph {
  std::string name;
  HerdLayout layout;
};

std::vector<Graph> graphs() {
  RandomGraphOptions options;
  options.seed = 11;
  options.ensure_connected = true;
  return {
      {"watts_strogatz n=200 k=6 p=0.1", layout_of(watts_strogatz_graph(200, 6, 0.1, options))},
      {"random_regular n=200 d=4", layout_of(random_regular_graph(200, 4, options))},
      {"grid 10x20", layout_of(grid_graph(10, 20))},
  };
}

}  // namespace

TEST_CASE("plumtree sim: eager links shrink to a spanning tree so RMR falls to about 0") {
  for (const Graph& g : graphs()) {
    Figures f = run(g.layout, strategy(PropagationConfig::Push::plumtree), 3);
    WARN(describe("plumtree " + g.name, f));
    CHECK(f.updates > 180);
    CHECK(f.reach_min == 1.0);
    CHECK(f.rmr_first10 > 0.3);  // the first broadcasts flood and prune
    CHECK(f.late > 90);
    CHECK(f.rmr_late < 0.05);
  }
}

TEST_CASE("plumtree sim: far fewer AT lines per update than flooding with the same reach") {
  const Graph g = graphs().front();
  Figures flood = run(g.layout, strategy(PropagationConfig::Push::flood), 3);
  Figures tree = run(g.layout, strategy(PropagationConfig::Push::plumtree), 3);
  Figures batched =
      run(g.layout, strategy(PropagationConfig::Push::plumtree, 100 * kNanosPerMilli), 3);
  WARN(describe("flood " + g.name, flood));
  WARN(describe("plumtree " + g.name, tree));
  WARN(describe("plumtree ihave_delay=100ms " + g.name, batched));
  CHECK(flood.reach_min == 1.0);
  CHECK(tree.reach_min == 1.0);
  CHECK(batched.reach_min == 1.0);
  // A spanning tree carries n-1 = 199 AT lines per update; flooding 2|E| - (n-1) = 1001.
  CHECK(flood.payload_per_update > 990);
  CHECK(tree.payload_per_update < 0.3 * flood.payload_per_update);
  CHECK(tree.rmr_late < 0.02 * flood.rmr_late);
  // Batching announcements cuts the lines on the lazy links without touching the tree.
  CHECK(batched.lines_per_update < 0.6 * tree.lines_per_update);
  CHECK(batched.rmr_late < 0.05);
}

namespace {

struct CrashRun {
  Figures figures;  // RMR and reach over the updates after the repair window
  Nanoseconds slowest_in_window_ns = 0;
  std::uint64_t deliveries_after_window = 0;
  std::uint64_t grafted_after_window = 0;  // deliveries that took longer than the graft timeout
};

constexpr Nanoseconds kCrashAt = 4 * kNanosPerSecond;
constexpr Nanoseconds kRepairedAt = 12 * kNanosPerSecond;
constexpr Nanoseconds kCrashGraftTimeout = 1500 * kNanosPerMilli;

// Three updates from server 0, alone in the herd, build the tree from server 0 (a link is
// pruned on its third duplicate), so server 0's friends are its children; the
// best-connected of them is crashed for good at 4 s, under 20 updates/s until 20 s.
// Latency is a constant 20 ms and the graft timeout (1.5 s) exceeds every path of a
// breadth-first tree of these graphs, so a delivery slower than the timeout is one that a
// GRAFT fetched.
CrashRun run_with_crash(const HerdLayout& layout, std::uint32_t victim) {
  PropagationConfig p = strategy(PropagationConfig::Push::plumtree);
  p.plumtree_graft_timeout_ns = kCrashGraftTimeout;
  Scenario s = workload(p, 5);
  s.duration_ns = 23 * kNanosPerSecond;
  s.workload.end_ns = 20 * kNanosPerSecond;
  s.network.latency = constant_delay(20 * kNanosPerMilli);
  s.workload.start_ns = 2 * kNanosPerSecond;
  for (int i = 0; i < 3; ++i) {
    s.workload.script.push_back(
        ScriptedCommand{(1 + i) * 500 * kNanosPerMilli, layout.names[0],
                        "IAMAT warm" + std::to_string(i) + " +1+1 1700000000.5"});
  }
  FaultSpec crash;
  crash.kind = FaultSpec::Kind::crash;
  crash.at_ns = kCrashAt;
  crash.duration_ns = 0;  // never restarts
  crash.servers = {layout.names[victim]};
  s.faults.push_back(crash);
  Simulation sim(s, layout);
  sim.run();
  const MetricsRecorder& m = sim.metrics();
  CrashRun r;
  for (const auto& d : m.deliveries()) {
    const UpdateStats& u = m.updates()[d.update];
    const Nanoseconds delay = d.at_ns - u.accepted_ns;
    if (u.accepted_ns >= kCrashAt && u.accepted_ns < kRepairedAt) {
      r.slowest_in_window_ns = std::max(r.slowest_in_window_ns, delay);
    } else if (u.accepted_ns >= kRepairedAt && d.server != u.origin) {
      ++r.deliveries_after_window;
      if (delay >= kCrashGraftTimeout) ++r.grafted_after_window;
    }
  }
  r.figures = measure(sim, kRepairedAt);
  // Reach among the live servers (all but the victim), per update after the window.
  r.figures.reach_min = 1;
  const std::uint32_t live = layout.size() - 1;
  for (const auto& u : m.updates()) {
    if (u.accepted_ns < kRepairedAt) continue;
    r.figures.reach_min = std::min(r.figures.reach_min, static_cast<double>(u.holders) / live);
  }
  return r;
}

}  // namespace

TEST_CASE("plumtree sim: the tree repairs by GRAFT after a tree node crashes") {
  for (const Graph& g : graphs()) {
    std::uint32_t victim = g.layout.neighbours[0].front();
    for (std::uint32_t n : g.layout.neighbours[0]) {
      if (g.layout.neighbours[n].size() > g.layout.neighbours[victim].size()) victim = n;
    }
    CrashRun r = run_with_crash(g.layout, victim);
    WARN(describe("plumtree, " + g.layout.names[victim] + " (degree " +
                      std::to_string(g.layout.neighbours[victim].size()) +
                      ") crashed at 4 s, after-warm-up figures from 12 s, " + g.name,
                  r.figures) +
         "; slowest delivery of updates from 4-12 s " +
         std::to_string(r.slowest_in_window_ns / kNanosPerMilli) + " ms; after 12 s " +
         std::to_string(r.grafted_after_window) + " of " +
         std::to_string(r.deliveries_after_window) + " deliveries waited for a GRAFT");
    // Servers cut off from the tree waited for a GRAFT; once it is repaired, updates take
    // tree paths again and reach every live server about once.
    CHECK(r.slowest_in_window_ns >= kCrashGraftTimeout);
    CHECK(r.figures.late > 100);
    CHECK(r.figures.reach_min == 1.0);
    CHECK(r.figures.rmr_late < 0.05);
    CHECK(r.grafted_after_window * 20 < r.deliveries_after_window);
  }
}

TEST_CASE("plumtree sim: same seed gives the same fingerprint") {
  RandomGraphOptions options;
  options.seed = 4;
  options.ensure_connected = true;
  HerdLayout layout = layout_of(watts_strogatz_graph(30, 4, 0.2, options));
  Scenario s = workload(strategy(PropagationConfig::Push::plumtree, 20 * kNanosPerMilli), 9);
  s.workload.clients = 40;  // updates supersede each other too
  s.duration_ns = 8 * kNanosPerSecond;
  s.workload.end_ns = 5 * kNanosPerSecond;
  Simulation a(s, layout), b(s, layout);
  a.run();
  b.run();
  CHECK(a.fingerprint() == b.fingerprint());
  CHECK(a.metrics().summarize().reach_min == 1.0);
  CHECK(a.metrics().summarize().lost_updates == 0);
}

namespace {

// Plumtree with anti-entropy under the plumtree workload, with the best-connected child of
// server 0 crashed at 4 s and restarted without state at 6 s: its friends' links come up
// again and anti-entropy hands it every record it lost, while every server's periodic
// rounds keep catching updates still in flight in the tree. Repairs must not move the tree.
//
// What shows it is RMR after the restart has settled: redundant update deliveries, repairs
// included (the recorder cannot tell them apart). A repair taken for a push grafts the link
// it came over and counts duplicates towards pruning, so every race between a round and
// the tree adds eager links. Measured on this test (seeds 7, 8, 9), RMR after 8 s:
//
//   rounds   repairs as plain AT (before)   repairs as AE PUSH (now)   plumtree alone
//   1 s      0.171 0.190 0.167              0.105 0.122 0.073          0.000 (seed 7)
//   3 s      0.102 0.085 0.092              0.024 0.039 0.030
//
// and, counted in a build for measuring only, the PRUNE and GRAFT lines over the whole run:
// 4732/958, 4752/928, 6047/940 before and 960/137, 810/84, 1813/324 now with 1 s rounds,
// against 1009/256 for plumtree alone. What RMR still shows is the repairs' own redundant
// deliveries and the tree's copy of an update a repair beat: with repair deliveries left
// out of the count, RMR after 8 s was 0.024 with 1 s rounds and 0.006 with 3 s (seed 7).
struct RepairRun {
  Figures figures;  // RMR from kRepairSettled on
  std::uint64_t lost = 0;
  double reach_min = 0;
  bool converged = false;
};

constexpr Nanoseconds kRepairCrashAt = 4 * kNanosPerSecond;
constexpr Nanoseconds kRepairRestartAt = 6 * kNanosPerSecond;
constexpr Nanoseconds kRepairSettled = 8 * kNanosPerSecond;

RepairRun run_with_repairs(const HerdLayout& layout, std::uint32_t victim, bool anti_entropy,
                           Nanoseconds period_ns, std::uint64_t seed) {
  PropagationConfig p = strategy(PropagationConfig::Push::plumtree);
  p.anti_entropy = anti_entropy;
  p.anti_entropy_period_ns = period_ns;
  Scenario s = workload(p, seed);
  s.duration_ns = 16 * kNanosPerSecond;
  s.workload.end_ns = 13 * kNanosPerSecond;
  FaultSpec f;
  f.kind = FaultSpec::Kind::crash;
  f.at_ns = kRepairCrashAt;
  f.duration_ns = kRepairRestartAt - kRepairCrashAt;
  f.servers = {layout.names[victim]};
  f.amnesia = true;
  s.faults.push_back(f);
  Simulation sim(s, layout);
  sim.run();
  RepairRun r;
  r.figures = measure(sim, kRepairSettled);
  const Summary summary = sim.metrics().summarize();
  r.lost = summary.lost_updates;
  r.reach_min = summary.reach_min;
  r.converged = summary.convergence_ns.has_value();
  return r;
}

std::string describe(const std::string& what, const RepairRun& r) {
  char text[128];
  std::snprintf(text, sizeof text, "; lost %llu, reach min %.4f, %s",
                static_cast<unsigned long long>(r.lost), r.reach_min,
                r.converged ? "converged" : "never converged");
  return describe(what, r.figures) + text;
}

}  // namespace

TEST_CASE("plumtree sim: anti-entropy repairs a restarted server without moving the tree") {
  const Graph g = graphs().front();
  std::uint32_t victim = g.layout.neighbours[0].front();
  for (std::uint32_t n : g.layout.neighbours[0]) {
    if (g.layout.neighbours[n].size() > g.layout.neighbours[victim].size()) victim = n;
  }
  const std::string crash = g.layout.names[victim] + " crashed 4-6 s without state, " + g.name;
  // Plumtree alone: the tree after the restart, and a herd that never gets the lost records
  // back.
  RepairRun alone = run_with_repairs(g.layout, victim, false, kNanosPerSecond, 7);
  WARN(describe("plumtree alone, " + crash, alone));
  CHECK(alone.lost > 0);
  CHECK(alone.figures.rmr_late < 0.01);
  // With anti-entropy the herd converges; the RMR bounds lie about half way between the
  // worst seed now and the best seed when repairs were taken for pushes (header of
  // RepairRun).
  for (Nanoseconds period : {kNanosPerSecond, 3 * kNanosPerSecond}) {
    const double rmr_bound = period == kNanosPerSecond ? 0.145 : 0.06;
    for (std::uint64_t seed : {7u, 8u, 9u}) {
      RepairRun r = run_with_repairs(g.layout, victim, true, period, seed);
      WARN(describe("plumtree+AE, rounds every " + std::to_string(period / kNanosPerSecond) +
                        " s, seed " + std::to_string(seed) + ", " + crash,
                    r));
      CHECK(r.lost == 0);
      CHECK(r.reach_min == 1.0);
      CHECK(r.converged);
      CHECK(r.figures.late > 80);
      CHECK(r.figures.rmr_late < rmr_bound);
    }
  }
}
