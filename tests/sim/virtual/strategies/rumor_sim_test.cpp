#include "herd/sim/simulation.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "herd/sim/generators.hpp"
#include "herd/sim/herd_builder.hpp"

// Rumor mongering on a complete graph against Demers et al., "Epidemic algorithms for
// replicated database maintenance" (PODC 1987), section 1.4: Table 1 (1000 sites, feedback
// and counters), Table 2 (1000 sites, blind and coin), the differential-equation result
// s = e^{-(k+1)(1-s)} and the residue-traffic relation s = e^{-m}.
//
// Why 500 servers and not the paper's 1000: a complete herd of n servers has n(n-1) one-way
// links, each a connection with its own state, and every link greets at start-up. At 1000
// servers one simulation takes 0.65 GB before the first rumor (measured; see
// docs/strategies/rumor.md, which also has the 1000-server figures from
// scenarios/scale/rumor-table1.toml), too much for a unit test. At 500 it is a quarter of that.
// Each simulation then runs many rumors one after another, each on its own client, spaced
// far enough apart that one has died out before the next starts: the expensive herd is
// built once per seed and each rumor is an independent sample.
//
// Two processes, two references. The paper's tables come from synchronous cycles: every
// infective site makes one contact per cycle against the state at the start of the cycle,
// and (to reproduce Table 1 to its printed digits) a useful contact sets the counter back to
// 0. That is `rounds = sync` with `counter_reset = true`. A herd whose servers tick at their
// own phases (`rounds = async`, the default) spreads contact by contact, the process the
// paper's differential equation describes; for feedback with counters that leaves more out
// (k = 1: 0.203 against the table's 0.176), so async runs are held to the equation. For
// blind with coin the two processes agree, and async runs are held to Table 2.
//
// Finite size. The references are for 1000 sites (the tables) or infinitely many (the
// equation); the tests run 500. scripts/rumor_model.py simulates the paper's process
// directly, with herd's one difference from it (a contact with the site a rumor came from
// costs interest but sends nothing: --herd). 4000 runs each, mean +- standard error:
//
//   variant (model flags)              n    k  residue s          traffic m
//   sync, reset (--rounds sync         500  1  0.1746 +- 0.0003   1.739 +- 0.001
//     --reset --herd)                  500  2  0.0366 +- 0.0001   3.292 +- 0.001
//                                     1000  1  0.1744 +- 0.0002   1.743
//                                     1000  2  0.0368 +- 0.0001   3.296
//   async (--rounds async --herd)      500  1  0.2029 +- 0.0004   1.589
//                                      500  2  0.0594 +- 0.0002   2.814
//   blind coin (--variant blind-coin   500  3  0.0602 +- 0.0004   2.812
//     --rounds async --herd)
//
// So at 500 sites the model sits 0.0014 (k = 1) and 0.0004 (k = 2) below Table 1's residue
// and 0.001 and 0.008 below its traffic. The allowance a measurement gets beyond 4 of its
// own standard errors is that gap, plus 4 standard errors of the model, plus half the last
// printed digit of the table (0.0005 for s, 0.005 for m), rounded up: s 0.0035 and 0.0015,
// m 0.01 and 0.02 (the Table1Row values below). The equation's limit (0.2032, 0.0595) and
// Table 2 (0.060) are within 0.001 of the model at 500; their allowance, kFiniteSize,
// keeps the 0.005 this test always had.

using namespace herd::sim;
using herd::core::kNanosPerMilli;
using herd::core::kNanosPerSecond;
using herd::core::PropagationConfig;
using Rounds = herd::core::PropagationConfig::Rounds;

namespace {

constexpr std::uint32_t kServers = 500;
constexpr Nanoseconds kPeriod = 100 * kNanosPerMilli;
constexpr Nanoseconds kLatency = 1 * kNanosPerMilli;  // 1% of a period: pushes land at once
constexpr Nanoseconds kGap = 8 * kNanosPerSecond;      // 80 periods between rumors
constexpr int kSeeds = 3;
constexpr int kRumorsPerSeed = 15;
// Beyond sampling error, how far 500 servers may sit from the equation's limit or from
// Table 2 (see the header comment).
constexpr double kFiniteSize = 0.005;

struct Sample {
  double residue = 0;  // fraction of servers that never held the update
  double traffic = 0;  // update messages delivered per server (the paper's m)
  double t_ave = 0;    // mean time to receive it, over servers that did, in periods
  double t_last = 0;   // time of the last server to receive it, in periods
};

struct MeanSe {
  double mean = 0;
  double se = 0;
};

MeanSe mean_se(const std::vector<double>& xs) {
  MeanSe r;
  for (double x : xs) r.mean += x;
  r.mean /= static_cast<double>(xs.size());
  double ss = 0;
  for (double x : xs) ss += (x - r.mean) * (x - r.mean);
  r.se = std::sqrt(ss / static_cast<double>(xs.size() - 1) / static_cast<double>(xs.size()));
  return r;
}

const HerdLayout& complete_herd() {
  static const HerdLayout layout = layout_of(complete_graph(kServers));
  return layout;
}

PropagationConfig rumor(bool feedback, bool counter, std::uint32_t k,
                        Rounds rounds = Rounds::async, bool reset = false) {
  PropagationConfig p;
  p.push = PropagationConfig::Push::rumor;
  p.rumor_feedback = feedback;
  p.rumor_counter = counter;
  p.rumor_k = k;
  p.rumor_period_ns = kPeriod;
  p.rumor_rounds = rounds;
  p.rumor_counter_reset = reset;
  return p;
}

// One herd, kRumorsPerSeed single-update rumors one after another. Each starts at a
// multiple of the period, so in sync rounds its origin first pushes one period later and
// times in periods count the paper's cycles.
std::vector<Sample> rumors(const PropagationConfig& p, std::uint64_t seed) {
  const HerdLayout& layout = complete_herd();
  Scenario s;
  s.name = "rumor-residue";
  s.seed = seed;
  s.duration_ns = kNanosPerSecond + kRumorsPerSeed * kGap;
  s.sample_every_ns = 0;
  s.network.latency = constant_delay(kLatency);
  s.propagation = p;
  for (int i = 0; i < kRumorsPerSeed; ++i) {
    s.workload.script.push_back(ScriptedCommand{
        kNanosPerSecond + i * kGap, layout.names[(static_cast<std::uint32_t>(i) * 37) % kServers],
        "IAMAT c" + std::to_string(i) + " +34.068930-118.445127 1700000001.000000000"});
  }
  Simulation sim(s, layout);
  sim.run();

  // Every rumor must have died out: no server still has a hot one (no strategy timer)...
  for (std::uint32_t i = 0; i < kServers; ++i) {
    REQUIRE(sim.server(i) != nullptr);
    REQUIRE_FALSE(sim.server(i)->poll_timeout());
  }
  const auto& updates = sim.metrics().updates();
  REQUIRE(updates.size() == static_cast<std::size_t>(kRumorsPerSeed));
  std::vector<Nanoseconds> first_held(updates.size() * kServers, -1);
  for (const Delivery& d : sim.metrics().deliveries()) {
    Nanoseconds& t = first_held[std::size_t{d.update} * kServers + d.server];
    if (t < 0 || d.at_ns < t) t = d.at_ns;
  }
  std::vector<Sample> out;
  for (std::size_t u = 0; u < updates.size(); ++u) {
    const UpdateStats& stats = updates[u];
    // ...and each one was quiet before the next began, so the samples do not overlap.
    REQUIRE(stats.last_delivery_ns + 2 * kPeriod < stats.accepted_ns + kGap);
    Sample x;
    x.residue = 1.0 - static_cast<double>(stats.holders) / kServers;
    x.traffic = static_cast<double>(stats.deliveries) / kServers;
    double sum = 0, last = 0;
    int count = 0;
    for (std::uint32_t srv = 0; srv < kServers; ++srv) {
      Nanoseconds t = first_held[u * kServers + srv];
      if (t < 0 || srv == stats.origin) continue;
      double periods = static_cast<double>(t - stats.accepted_ns) / static_cast<double>(kPeriod);
      sum += periods;
      last = std::max(last, periods);
      ++count;
    }
    x.t_ave = count ? sum / count : 0;
    x.t_last = last;
    out.push_back(x);
  }
  return out;
}

std::vector<Sample> samples(const PropagationConfig& p) {
  std::vector<Sample> all;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    auto some = rumors(p, seed);
    all.insert(all.end(), some.begin(), some.end());
  }
  return all;
}

template <typename F>
MeanSe over(const std::vector<Sample>& xs, F field) {
  std::vector<double> v;
  for (const Sample& x : xs) v.push_back(field(x));
  return mean_se(v);
}

// The paper's equation for feedback: s = e^{-(k+1)(1-s)}, its root in (0, 1).
double equation_residue(std::uint32_t k) {
  double lo = 1e-12, hi = 1 - 1e-9;  // f(s) = s - e^{-(k+1)(1-s)}: f(lo) < 0 < f(hi)
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    double f = mid - std::exp(-(k + 1.0) * (1.0 - mid));
    (f < 0 ? lo : hi) = mid;
  }
  return lo;
}

struct Published {
  double residue, traffic, t_ave, t_last;
};

struct Measured {
  MeanSe residue, traffic, exp_gap, t_ave, t_last;
};

Measured measure(const std::vector<Sample>& xs) {
  return Measured{over(xs, [](const Sample& x) { return x.residue; }),
                  over(xs, [](const Sample& x) { return x.traffic; }),
                  over(xs, [](const Sample& x) { return x.residue - std::exp(-x.traffic); }),
                  over(xs, [](const Sample& x) { return x.t_ave; }),
                  over(xs, [](const Sample& x) { return x.t_last; })};
}

void report(const std::string& what, const Measured& m, const Published& paper,
            std::size_t count) {
  WARN(what << " on " << kServers << " servers over " << count << " rumors: residue "
            << m.residue.mean << " +- " << m.residue.se << " (paper " << paper.residue
            << "), traffic m " << m.traffic.mean << " +- " << m.traffic.se << " (paper "
            << paper.traffic << "), residue - e^-m " << m.exp_gap.mean << " +- "
            << m.exp_gap.se << ", t_ave " << m.t_ave.mean << " (paper " << paper.t_ave
            << ") and t_last " << m.t_last.mean << " (paper " << paper.t_last
            << ") in periods");
}

// Counters make the traffic of contact-by-contact spreading exact: every holder sends k
// unnecessary messages and all but the origin received one necessary message, so
// m = (k+1)(1-s) - 1/n (less the rare contacts with the friend a rumor came from, which cost
// interest but send nothing). With synchronous cycles or counter reset it is only a floor:
// two pushes that reach one server in the same cycle are both necessary, and a reset
// counter asks for more than k unnecessary contacts in all.
void check_counter_traffic(const std::vector<Sample>& xs, std::uint32_t k, bool exact) {
  for (const Sample& x : xs) {
    double expected = (k + 1.0) * (1.0 - x.residue) - 1.0 / kServers;
    if (exact) CHECK(x.traffic <= expected + 1e-9);
    CHECK(x.traffic >= expected - 0.02 * (k + 1));
  }
}

// A row of Table 1 and what 500 servers may add to 4 standard errors (header comment).
struct Table1Row {
  std::uint32_t k;
  Published paper;
  double residue_allowance, traffic_allowance;
};

void check_table1(const Table1Row& row) {
  auto xs = samples(rumor(true, true, row.k, Rounds::sync, true));
  Measured m = measure(xs);
  report("sync rounds, feedback counter with reset, k=" + std::to_string(row.k), m, row.paper,
         xs.size());
  CHECK(std::abs(m.residue.mean - row.paper.residue) <=
        4 * m.residue.se + row.residue_allowance);
  CHECK(std::abs(m.traffic.mean - row.paper.traffic) <=
        4 * m.traffic.se + row.traffic_allowance);
  CHECK(std::abs(m.exp_gap.mean) <= 4 * m.exp_gap.se + kFiniteSize);
  check_counter_traffic(xs, row.k, false);
}

void check_equation(std::uint32_t k, const Published& table1) {
  auto xs = samples(rumor(true, true, k));
  Measured m = measure(xs);
  const double equation = equation_residue(k);
  report("async rounds, feedback counter k=" + std::to_string(k), m, table1, xs.size());
  WARN("paper's equation s = e^-(k+1)(1-s) gives " << equation);
  const double bound = 4 * m.residue.se + kFiniteSize;
  CHECK(std::abs(m.residue.mean - equation) <= bound);
  // Table 1 comes from synchronous cycles: contact by contact leaves more out.
  CHECK(m.residue.mean - 4 * m.residue.se > table1.residue);
  // s = e^{-m}, which every row of both tables obeys.
  CHECK(std::abs(m.exp_gap.mean) <= 4 * m.exp_gap.se + kFiniteSize);
  check_counter_traffic(xs, k, true);
}

}  // namespace

TEST_CASE("rumor sim: sync rounds with counter reset reproduce Table 1 for feedback k=1") {
  // Demers et al. Table 1 row k = 1: residue 0.176, traffic 1.74, t_ave 11.0, t_last 16.8.
  check_table1(Table1Row{1, Published{0.176, 1.74, 11.0, 16.8}, 0.0035, 0.01});
}

TEST_CASE("rumor sim: sync rounds with counter reset reproduce Table 1 for feedback k=2") {
  // Demers et al. Table 1 row k = 2: residue 0.037, traffic 3.30, t_ave 12.1, t_last 16.9.
  check_table1(Table1Row{2, Published{0.037, 3.30, 12.1, 16.9}, 0.0015, 0.02});
}

TEST_CASE("rumor sim: async feedback with counter k=1 on 500 servers follows the equation") {
  check_equation(1, Published{0.176, 1.74, 11.0, 16.8});
}

TEST_CASE("rumor sim: async feedback with counter k=2 on 500 servers follows the equation") {
  check_equation(2, Published{0.037, 3.30, 12.1, 16.9});
}

TEST_CASE("rumor sim: blind with coin k=3 on 500 servers leaves the residue of Table 2") {
  // Demers et al. Table 2 row k = 3: residue 0.060, traffic 2.82, t_ave 15, t_last 32.
  const Published table2{0.060, 2.82, 15, 32};
  auto xs = samples(rumor(false, false, 3));
  Measured m = measure(xs);
  report("async rounds, blind coin k=3", m, table2, xs.size());
  const double bound = 4 * m.residue.se + kFiniteSize;
  CHECK(std::abs(m.residue.mean - table2.residue) <= bound);
  CHECK(std::abs(m.traffic.mean - table2.traffic) <= 4 * m.traffic.se + 0.05);
  CHECK(std::abs(m.exp_gap.mean) <= 4 * m.exp_gap.se + kFiniteSize);
}

TEST_CASE("rumor sim: the same seed replays the same epidemic and another seed does not") {
  HerdLayout layout = layout_of(complete_graph(40));
  for (Rounds rounds : {Rounds::async, Rounds::sync}) {
    INFO("rounds " << herd::core::to_string(rounds));
    auto run = [&](std::uint64_t seed) {
      Scenario s;
      s.seed = seed;
      s.duration_ns = 10 * kNanosPerSecond;
      s.network.latency = constant_delay(kLatency);
      s.propagation = rumor(true, rounds == Rounds::sync, 2, rounds, rounds == Rounds::sync);
      s.workload.script.push_back(
          ScriptedCommand{kNanosPerSecond, layout.names[0],
                          "IAMAT kiwi +34.068930-118.445127 1700000001.000000000"});
      Simulation sim(s, layout);
      sim.run();
      const auto& u = sim.metrics().updates().at(0);
      return std::tuple(sim.fingerprint(), u.holders, u.deliveries);
    };
    auto a = run(5);
    CHECK(std::get<2>(a) > 40);  // the rumor did spread
    CHECK(run(5) == a);
    CHECK(std::get<0>(run(6)) != std::get<0>(a));
  }
}
