#pragma once
// The three measurements herd-bench makes against a running herd, each bounded in time and
// count, each returning one machine-readable record and a human-readable summary.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "net.hpp"

namespace herd::bench {

struct BenchOptions {
  // The defaults keep a 5-server herd on 2 cores busy without starving it: more in flight
  // only lengthens the queues (replies outrun the flood), it does not add throughput.
  std::size_t connections_per_server = 2;  // persistent mode and background load
  std::size_t window = 8;                  // commands in flight per persistent connection
  double rate_per_s = 0;                   // persistent mode paced herd-wide; 0 = saturate
  std::size_t workers_per_server = 4;      // per-command mode
  double warmup_s = 1.0;
  double duration_s = 5.0;
  std::uint64_t max_commands = 0;          // 0 = bounded by time only
  std::size_t samples = 200;               // propagation mode
  double sample_timeout_s = 5.0;
  double sample_gap_ms = 2.0;
  double poll_interval_us = 100.0;         // pause between two WHATSAT polls of one server
  // Propagation under load: "" (none), "R" commands/s, or "P%" of a capacity measured first.
  std::string background_load;
  double capacity_probe_s = 2.0;
  // After a load run, how long the herd gets to hold every client's last update.
  double converge_timeout_s = 30.0;
};

struct BenchReport {
  boost::json::object record;  // one JSON line
  std::string text;            // for people
  bool ok = false;             // every reply valid, no connection failed, nothing lost
};

[[nodiscard]] BenchReport run_persistent(const std::vector<Target>& targets,
                                         const BenchOptions& options);
[[nodiscard]] BenchReport run_per_command(const std::vector<Target>& targets,
                                          const BenchOptions& options);
[[nodiscard]] BenchReport run_propagation(const std::vector<Target>& targets,
                                          const BenchOptions& options);

// Parses --background-load: a rate ("2000", "2000/s") or a share of capacity ("50%").
// Throws std::invalid_argument naming the text when it is neither.
struct BackgroundLoad {
  double rate_per_s = 0;
  double capacity_share = 0;  // in (0, 1] when given as a percentage
};
[[nodiscard]] BackgroundLoad parse_background_load(const std::string& text);

}  // namespace herd::bench
