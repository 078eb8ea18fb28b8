#pragma once
// herd_load: drives any server that speaks the herd client protocol (herd-server, the
// Python reference herd) with IAMAT/WHATSAT load and measures what comes back
// (docs/herd-load.md).
//
// Load is open loop (commands arrive at a set rate, Poisson or evenly spaced, seeded; the
// latency of each runs from when it was due, so a slow server cannot hide its queueing) or
// closed loop (N commands outstanding per connection). Connections are either one per
// command, as the course's graders connect (connect, the command without a newline,
// half-close, read to EOF), or persistent with pipelining. Every reply is checked against
// the protocol; every command ends answered well or with an ErrorKind.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "herd/sim/load/histogram.hpp"
#include "herd/sim/load/protocol.hpp"

namespace herd::sim::load {

struct LoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Target {
  std::string text;  // as given: "host:port"
  std::string host;
  std::uint16_t port = 0;
  boost::asio::ip::tcp::endpoint endpoint;  // set by resolve_targets
};

// Parses "host:port" ("[::1]:12001" for IPv6). Throws LoadError saying what is wrong.
[[nodiscard]] Target parse_target(std::string_view text);
// Parses and resolves each target (the first address of each). Throws LoadError naming the
// target that cannot be used.
[[nodiscard]] std::vector<Target> resolve_targets(const std::vector<std::string>& texts);

enum class ConnectionStyle { per_command, persistent };
enum class Arrivals { poisson, fixed };
[[nodiscard]] const char* to_string(ConnectionStyle style) noexcept;
[[nodiscard]] const char* to_string(Arrivals arrivals) noexcept;

// What the run has done so far, for a progress line; counters over every thread.
struct Progress {
  double elapsed_s = 0;
  bool warming_up = false;
  std::uint64_t issued = 0;     // commands started (warm-up included)
  std::uint64_t completed = 0;  // commands ended, well or not
  std::uint64_t errors = 0;
  std::uint64_t in_flight = 0;
};

// One command that ended with an error, as it happened (for a watcher that needs to know
// when and where, as herd-soak does to tell injected faults from real errors).
struct Failure {
  std::size_t target = 0;  // index in LoadOptions::targets
  CommandKind command = CommandKind::iamat;
  ErrorKind error = ErrorKind::io_error;
  std::chrono::steady_clock::time_point due;  // when the command was due
  std::chrono::steady_clock::time_point at;   // when it was given up
  bool measured = false;                       // false: due during the warm-up
  std::string_view detail;                     // valid during the call only
};

struct LoadOptions {
  std::vector<Target> targets;  // resolved
  ConnectionStyle style = ConnectionStyle::persistent;
  // persistent: connections, spread round robin over the targets and the threads.
  // per-command, closed loop: concurrent connect-command-close loops.
  std::size_t connections = 1;
  std::size_t outstanding = 1;  // closed loop: commands in flight per connection
  double rate_per_s = 0;        // open loop over all targets; 0 = closed loop
  Arrivals arrivals = Arrivals::poisson;
  WorkloadOptions workload;
  std::uint64_t seed = 1;
  double duration_s = 0;       // issue commands for this long after the warm-up; 0 = no limit
  std::uint64_t count = 0;     // issue this many commands after the warm-up; 0 = no limit
  double warmup_s = 0;         // commands due before this are run but not measured
  double timeout_s = 5;        // per command, from when it was written
  std::size_t max_connections = 1000;  // sockets open at once, over all threads
  std::size_t max_reply_bytes = 1 << 20;
  std::size_t max_backlog = 10000;  // open loop: commands waiting to be written, per thread
  unsigned threads = 1;
  // When it turns true (e.g. from a SIGINT handler), no further command starts, as at the
  // end of the duration; the run then waits for the commands in flight and reports.
  const std::atomic<bool>* interrupt = nullptr;
  // Called from run_load's thread about once a second while the load runs.
  std::function<void(const Progress&)> progress;
  // Called for every failed command, on the thread of the worker that ran it (so from
  // several threads at once when threads > 1); it must be quick. Empty: nobody is told.
  std::function<void(const Failure&)> on_failure;
};

// Checks the options for contradictions and limits; throws LoadError saying which option.
void validate(const LoadOptions& options);

struct KindStats {
  std::uint64_t issued = 0;  // measured commands of this kind that ended
  std::uint64_t ok = 0;      // answered with a well-formed reply
  std::uint64_t failed = 0;  // ended with an error
  Histogram latency;         // ns, well-formed replies only
};

struct LoadResult {
  std::array<KindStats, kCommandKinds> kinds;  // measured commands only
  Histogram latency;                           // every kind
  std::array<std::uint64_t, kErrorKinds> errors{};  // measured commands only
  std::array<std::string, kErrorKinds> error_examples;  // the first of each kind, any phase
  std::uint64_t warmup_commands = 0;  // commands due during the warm-up
  std::uint64_t warmup_errors = 0;
  std::uint64_t skipped = 0;  // open loop: due but dropped, the backlog being full
  std::uint64_t whatsat_substituted = 0;  // WHATSATs sent as IAMATs: no client known yet
  std::uint64_t connections_opened = 0;   // connect attempts
  std::uint64_t unsolicited = 0;  // persistent connections closed for bytes that answer no command
  double measured_s = 0;  // from the end of the warm-up to the last measured command's end
  double wall_s = 0;      // the whole run

  [[nodiscard]] std::uint64_t measured() const noexcept;
  [[nodiscard]] std::uint64_t ok() const noexcept;
  [[nodiscard]] std::uint64_t failed() const noexcept;
  [[nodiscard]] double throughput_per_s() const noexcept;  // ok / measured_s
};

// Runs the load to its end (duration or count, then every command in flight answered or
// timed out). Throws LoadError for bad options.
[[nodiscard]] LoadResult run_load(const LoadOptions& options);

}  // namespace herd::sim::load
