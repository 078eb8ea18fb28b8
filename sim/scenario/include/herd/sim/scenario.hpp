#pragma once
// A scenario: the whole experiment as plain data (docs/scenarios.md). Parsed from TOML by
// scenario_file.hpp, overridden field by field with --set, and replayed exactly from its
// seed. Durations are integer nanoseconds of virtual time.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herd/core/propagation.hpp"
#include "herd/core/time.hpp"

namespace herd::sim {

using core::Nanoseconds;

// A latency (or other delay) distribution. Parameters not used by a kind are ignored.
struct DelayDistribution {
  enum class Kind { constant, uniform, normal, lognormal, exponential, pareto, empirical };
  Kind kind = Kind::constant;
  Nanoseconds value_ns = 0;     // constant
  Nanoseconds min_ns = 0;       // uniform; also a floor for normal
  Nanoseconds max_ns = 0;       // uniform
  Nanoseconds mean_ns = 0;      // normal, exponential
  Nanoseconds stddev_ns = 0;    // normal
  Nanoseconds median_ns = 0;    // lognormal
  double sigma = 0;             // lognormal shape
  Nanoseconds scale_ns = 0;     // pareto x_m
  double shape = 0;             // pareto alpha
  std::vector<Nanoseconds> samples_ns;  // empirical: drawn uniformly
  std::string source;           // empirical: the file it came from, for reports
};

[[nodiscard]] inline DelayDistribution constant_delay(Nanoseconds value_ns) {
  DelayDistribution d;
  d.value_ns = value_ns;
  return d;
}

struct TopologySpec {
  enum class Kind { explicit_edges, generated, file };
  Kind kind = Kind::explicit_edges;
  // "file:line:column: herd.generate" (the key that chose this form), so errors found only
  // when the graph is built (a generator's limits, no connected draw) point into the file.
  std::string where;
  std::vector<std::string> servers;                          // explicit
  std::vector<std::pair<std::string, std::string>> friends;  // explicit
  std::string generator;  // line ring star grid tree complete erdos_renyi watts_strogatz
                          // barabasi_albert random_regular
  std::int64_t n = 0;
  std::int64_t k = 0;        // watts_strogatz neighbours, tree arity
  std::int64_t m = 0;        // barabasi_albert edges per new node
  std::int64_t degree = 0;   // random_regular
  std::int64_t rows = 0, cols = 0;  // grid
  bool torus = false;
  double p = 0;              // erdos_renyi, watts_strogatz
  std::string path;          // file: .dot .gv .gml, anything else an edge list
  bool ensure_connected = true;
};

// What one [[network.links]] entry changes on its links; a key it does not give keeps the
// [network] default (or an earlier entry's value for the same link).
struct LinkOverride {
  std::string where;  // "file:line:column: network.links[i]", for errors found at run time
  std::string a, b;
  bool both_directions = true;
  std::optional<DelayDistribution> latency;
  std::optional<double> loss;
};

struct NetworkSpec {
  DelayDistribution latency = constant_delay(1'000'000);  // 1 ms
  DelayDistribution client_latency = constant_delay(0);
  bool reorder = false;  // false: per-link FIFO like TCP
  // Probability in [0, 1) that a line on a link is lost for good: the link stays up, the
  // sender is not told, nothing resends it but the strategy (docs/scenarios.md#loss). A
  // link's greeting is never lost.
  double loss = 0;
  std::vector<LinkOverride> links;
  // How long a server takes to re-establish a link after it becomes possible again.
  Nanoseconds reconnect_ns = 0;
};

struct FaultSpec {
  enum class Kind {
    crash,          // servers stop; restart after duration (never, if duration is 0)
    pause,          // servers stop processing; inputs wait; resumes after duration
    partition,      // groups cut from each other (symmetric), heals after duration
    one_way,        // messages from `from` to `to` are lost, heals after duration
    clog,           // links between `from` and `to` hold messages until it ends
    latency,        // links between `from` and `to` get a new latency for the duration
    clock,          // per-server clock skew and drift from `at` on (duration ignored)
  };
  Kind kind = Kind::crash;
  Nanoseconds at_ns = 0;
  Nanoseconds duration_ns = 0;  // 0: permanent
  std::vector<std::string> servers;               // crash, pause, clock
  bool amnesia = true;                            // crash: restart without state
  std::vector<std::vector<std::string>> groups;   // partition
  std::vector<std::string> from, to;              // one_way, clog, latency
  DelayDistribution latency;                      // latency
  Nanoseconds skew_ns = 0;                        // clock
  double drift_ppm = 0;                           // clock
  std::string origin;  // "scenario" or "random" (from the random schedule), for reports
};

// The kind's name as a scenario file spells it ("crash", "one_way", ...); results and
// reports store the same name.
std::string_view to_string(FaultSpec::Kind kind);

// A seeded random fault schedule ("swarm" testing): faults drawn within a budget.
struct RandomFaultSpec {
  bool enabled = false;
  std::int64_t crashes = 0;
  std::int64_t partitions = 0;
  std::int64_t pauses = 0;
  Nanoseconds start_ns = 0;
  Nanoseconds end_ns = 0;         // 0: the workload's end
  Nanoseconds max_duration_ns = 0;
  std::int64_t max_down = 1;      // servers down at once, at most
  bool amnesia = true;
};

struct ScriptedCommand {
  Nanoseconds at_ns = 0;
  std::string server;
  std::string line;  // sent as-is, a newline appended
};

struct WorkloadSpec {
  std::int64_t clients = 0;
  enum class Attach { random, round_robin, sticky_random };
  Attach attach = Attach::random;  // sticky_random: a fixed server per client
  double iamat_per_s = 0;          // herd-wide Poisson rate
  double whatsat_per_s = 0;
  double whatsat_radius_km = 10;
  int whatsat_bound = 5;
  // Random waypoint mobility inside a bounding box (degrees).
  double lat_min = 33.5, lat_max = 34.5, lng_min = -119.0, lng_max = -117.5;
  double speed_mps = 1.5;
  Nanoseconds start_ns = 0;
  Nanoseconds end_ns = 0;  // 0: the scenario's duration
  std::vector<ScriptedCommand> script;
};

// The per-run metrics [expect.across_seeds] may take a quantile of, and their kind: a
// duration (limit a duration string, `max`), a count (an integer, `max`) or a ratio in
// [0, 1] (a number, `min`). Values as in docs/metrics.md.
enum class SeedMetricKind { duration, count, ratio };
struct SeedMetric {
  std::string_view key;
  SeedMetricKind kind;
};
inline constexpr SeedMetric kSeedMetrics[] = {
    {"convergence", SeedMetricKind::duration},  // a run that never converged: +infinity
    {"propagation_p50", SeedMetricKind::duration},
    {"propagation_p95", SeedMetricKind::duration},
    {"propagation_p99", SeedMetricKind::duration},
    {"propagation_max", SeedMetricKind::duration},
    {"max_staleness", SeedMetricKind::duration},
    {"lost_updates", SeedMetricKind::count},
    {"stale_reads", SeedMetricKind::count},
    {"ldh_max", SeedMetricKind::count},
    {"reach_min", SeedMetricKind::ratio},
    {"reach_mean", SeedMetricKind::ratio},
    {"availability", SeedMetricKind::ratio},
};

// One [expect.across_seeds] entry: the `quantile` of a per-run metric over the seeds a
// check runs (nearest rank) is at most `limit` (or at least it, for the ratios).
struct SeedQuantileExpectation {
  std::string metric;    // a key of kSeedMetrics (expectations.hpp), e.g. "convergence"
  double quantile = 0.5; // in [0, 1]
  double limit = 0;      // in the metric's unit: nanoseconds, a count or a ratio
  bool at_most = true;   // `max` (true) or `min` (false)
};

struct Expectations {
  // Seeds a check runs: the scenario's seed and the next seeds - 1 (`--seeds` overrides).
  std::optional<std::int64_t> seeds;
  std::vector<SeedQuantileExpectation> across_seeds;  // in file order
  std::optional<Nanoseconds> converge_within_ns;
  std::optional<Nanoseconds> propagation_p99_ns;
  std::optional<Nanoseconds> propagation_max_ns;
  std::optional<std::int64_t> lost_updates;
  std::optional<double> min_reach;
  std::optional<std::int64_t> max_stale_reads;
  std::optional<std::int64_t> max_ldh;
};

// Bounds that keep every sum the runtimes form (epoch + time + latency + fault length +
// drain + skew ...) inside int64 nanoseconds: each duration a scenario gives is at most
// kMaxScenarioDuration (10 years of virtual time), the epoch at most kMaxEpochSeconds
// (about the year 2182). Staleness sampling takes at most kMaxSampleInstants instants.
inline constexpr Nanoseconds kMaxScenarioDuration = 87'600LL * 3600 * core::kNanosPerSecond;
inline constexpr std::int64_t kMaxEpochSeconds =
    (std::numeric_limits<Nanoseconds>::max() - 8 * kMaxScenarioDuration) / core::kNanosPerSecond;
inline constexpr std::int64_t kMaxSampleInstants = 1'000'000;

// Default and greatest [scenario] trace_limit (message trace rows are numbered in 32 bits).
inline constexpr std::uint64_t kDefaultTraceLimit = 50'000'000;
inline constexpr std::uint64_t kMaxTraceLimit = 4'000'000'000ULL;

struct Scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  Nanoseconds duration_ns = 10 * core::kNanosPerSecond;
  Nanoseconds epoch_ns = 1'700'000'000LL * core::kNanosPerSecond;  // virtual time 0
  Nanoseconds sample_every_ns = core::kNanosPerSecond;             // staleness samples
  // After the duration the workload stops and the run goes on, peer traffic and timers
  // only, until every live server holds every update or this much virtual time has passed.
  Nanoseconds drain_ns = 10 * core::kNanosPerSecond;
  // A run that handles more events than this stops with an error (0: no cap).
  std::uint64_t max_events = 10'000'000'000ULL;
  // Record every peer and client message (docs/traces.md), at most trace_limit of them.
  bool trace = false;
  std::uint64_t trace_limit = kDefaultTraceLimit;
  std::string strategy = "flood";  // a label: the push strategy, "+anti-entropy" if on
  core::PropagationConfig propagation;
  TopologySpec topology;
  NetworkSpec network;
  std::vector<FaultSpec> faults;
  RandomFaultSpec random_faults;
  WorkloadSpec workload;
  Expectations expect;
  std::string places_db;  // empty: the built-in gazetteer
  std::string source_text;  // the scenario file as read, stored with each run
  std::string source_path;
};

}  // namespace herd::sim
