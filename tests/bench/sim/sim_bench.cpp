// herd-sim-bench: the simulator's performance figures (issue targets in brackets).
//   1. peer-message deliveries per wall second, 1,000-server Watts-Strogatz herd under
//      steady load, one core                                          [>= 2,000,000/s]
//   2. simulated seconds per wall second, Winter 2023 herd at 1,000 IAMAT/s   [>= 1,000x]
//   3. peak memory per (server, client) record held
//   4. wall time from 100 to 10,000 servers against the number of messages
//   5. (with --only 5 alone) deliveries per second on a complete herd of 5 at 1,000 IAMAT/s,
//      the third workload of tests/bench/compare_flood_des.py
// Usage: herd-sim-bench [--quick]   (--quick: smaller runs, for a smoke test)

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <ctime>
#include <string>
#include <vector>

#include "herd/sim/generators.hpp"
#include "herd/sim/herd_builder.hpp"
#include "herd/sim/random_graphs.hpp"
#include "herd/sim/simulation.hpp"

using namespace herd::sim;
using herd::core::kNanosPerMilli;
using herd::core::kNanosPerSecond;

// --invariants / --no-invariants: measure the simulator with or without its invariant
// checker (by default as herd-sim runs: see herd::sim::invariants_by_default).
std::optional<bool> g_invariants;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct Measured {
  double wall_s = 0;
  double cpu_s = 0;
  SimulationCounters counters;
  Summary summary;
};

Measured measure(const Scenario& scenario, const HerdLayout& layout) {
  SimulationOptions options;
  options.keep_deliveries = false;
  options.check_invariants = g_invariants;
  Simulation sim(scenario, layout, options);
  auto start = std::chrono::steady_clock::now();
  double cpu_start = cpu_seconds();
  sim.run();
  Measured m;
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.cpu_s = cpu_seconds() - cpu_start;
  m.counters = sim.counters();
  m.summary = sim.metrics().summarize();
  return m;
}

Scenario steady(const char* name, double iamat_per_s, std::int64_t clients, Nanoseconds duration) {
  Scenario s;
  s.name = name;
  s.seed = 1;
  s.duration_ns = duration;
  s.sample_every_ns = 0;
  s.network.latency.kind = DelayDistribution::Kind::lognormal;
  s.network.latency.median_ns = 20 * kNanosPerMilli;
  s.network.latency.sigma = 0.5;
  s.workload.clients = clients;
  s.workload.iamat_per_s = iamat_per_s;
  return s;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

HerdLayout winter2023() {
  FriendGraph g(std::vector<std::string>{"Bailey", "Bona", "Campbell", "Clark", "Jaquez"});
  for (auto [a, b] : std::vector<std::pair<const char*, const char*>>{
           {"Clark", "Jaquez"}, {"Clark", "Bona"}, {"Campbell", "Bailey"},
           {"Campbell", "Bona"}, {"Campbell", "Jaquez"}, {"Bona", "Bailey"}}) {
    g.add_edge(a, b);
  }
  return layout_of(g);
}

void measure_memory(bool quick) {

    // Every client reports once to a 200-server herd; the records are what remains held.
    const std::int64_t clients = quick ? 200 : 2000;
    const std::uint32_t n = 200;
    long before = peak_rss_kib();
    HerdLayout layout = layout_of(ring_graph(n));
    Scenario s = steady("memory", static_cast<double>(clients) * 10, clients, 2 * kNanosPerSecond);
    s.workload.end_ns = kNanosPerSecond;
    SimulationOptions options;
    options.keep_deliveries = false;
    options.check_invariants = g_invariants;
    Simulation sim(s, layout, options);
    sim.run();
    std::uint64_t records = 0;
    for (std::uint32_t i = 0; i < n; ++i) records += sim.server(i)->records().size();
    long after = peak_rss_kib();
    std::printf("3. memory: %llu (server, client) records held, peak RSS grew %.1f MiB = %.0f "
                "bytes per record (simulator bookkeeping included)\n",
                static_cast<unsigned long long>(records), static_cast<double>(after - before) / 1024,
                static_cast<double>(after - before) * 1024 / static_cast<double>(records));
  
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-invariants") == 0) g_invariants = false;
    if (std::strcmp(argv[i], "--invariants") == 0) g_invariants = true;
  }
  bool quick = false;
  int only = 0;  // --only N runs measurement N alone
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = std::atoi(argv[++i]);
  }
  auto wanted = [&](int n) { return only == 0 || only == n; };
  std::int64_t clients_ws = 1000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--clients") == 0) clients_ws = std::atoll(argv[i + 1]);
  }
  const double scale = quick ? 0.1 : 1.0;

  if (wanted(3)) {
    // First, so that peak RSS before it is the program's baseline, not an earlier run's.
    measure_memory(quick);
  }
  if (wanted(1)) {
    RandomGraphOptions options;
    options.seed = 1;
    options.ensure_connected = true;
    HerdLayout ws = layout_of(watts_strogatz_graph(1000, 4, 0.1, options));
    Scenario s = steady("ws1000", 200, clients_ws, static_cast<Nanoseconds>(10 * scale * kNanosPerSecond));
    Measured m = measure(s, ws);
    std::printf("1. WS(1000, k=4, p=0.1), 200 IAMAT/s, %.0f s virtual: %llu deliveries in %.3f s "
                "wall (%.3f s CPU) = %.0f deliveries per wall second, %.0f per CPU second\n",
                static_cast<double>(s.duration_ns) / 1e9,
                static_cast<unsigned long long>(m.counters.peer_deliveries), m.wall_s, m.cpu_s,
                static_cast<double>(m.counters.peer_deliveries) / m.wall_s,
                static_cast<double>(m.counters.peer_deliveries) / m.cpu_s);
  }
  if (wanted(2)) {
    Scenario s = steady("winter2023", 1000, 1000, static_cast<Nanoseconds>(60 * scale * kNanosPerSecond));
    Measured m = measure(s, winter2023());
    double simulated = static_cast<double>(s.duration_ns) / 1e9;
    std::printf("2. Winter 2023 herd, 1000 IAMAT/s, %.0f s virtual in %.3f s wall = %.0fx "
                "real time (%llu updates, %llu events, %llu peer deliveries, p99 %.1f ms)\n",
                simulated, m.wall_s, simulated / m.wall_s,
                static_cast<unsigned long long>(m.summary.updates),
                static_cast<unsigned long long>(m.counters.events),
                static_cast<unsigned long long>(m.counters.peer_deliveries),
                static_cast<double>(m.summary.propagation.p99_ns) / 1e6);
  }
  if (only == 5) {
    // Only on request: the third workload of the comparison with tests/bench/flood_des.py.
    Scenario s = steady("complete5", 1000, 1000, static_cast<Nanoseconds>(60 * scale * kNanosPerSecond));
    Measured m = measure(s, layout_of(complete_graph(5)));
    std::printf("5. complete graph of 5, 1000 IAMAT/s, %.0f s virtual: %llu deliveries in %.3f s "
                "wall (%.3f s CPU) = %.0f deliveries per wall second, %.0f per CPU second\n",
                static_cast<double>(s.duration_ns) / 1e9,
                static_cast<unsigned long long>(m.counters.peer_deliveries), m.wall_s, m.cpu_s,
                static_cast<double>(m.counters.peer_deliveries) / m.wall_s,
                static_cast<double>(m.counters.peer_deliveries) / m.cpu_s);
  }
  if (!wanted(4)) return 0;
  std::printf("4. scaling, random 4-regular herds, 20 IAMAT/s for %.0f s virtual:\n",
              10 * scale);
  std::printf("   %8s %12s %10s %14s\n", "servers", "messages", "wall s", "ns per message");
  for (std::uint32_t n : {100u, 1000u, 10000u}) {
    if (quick && n > 1000) break;
    RandomGraphOptions options;
    options.seed = 2;
    options.ensure_connected = true;
    HerdLayout layout = layout_of(random_regular_graph(n, 4, options));
    Scenario s = steady("scale", 20, 1000, static_cast<Nanoseconds>(10 * scale * kNanosPerSecond));
    Measured m = measure(s, layout);
    std::printf("   %8u %12llu %10.3f %14.0f\n", n,
                static_cast<unsigned long long>(m.counters.peer_deliveries), m.wall_s,
                m.wall_s * 1e9 / static_cast<double>(m.counters.peer_deliveries));
  }
  return 0;
}
