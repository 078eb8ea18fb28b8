#pragma once
// The live backend: a scenario run on real herd-server processes over real TCP, in real
// time, with the scenario's faults made real (docs/live-backend.md). The runner starts one
// herd-server per server on 127.0.0.1, routes every one-way friend link through a userspace
// proxy it owns (latency, loss, cuts, clogs), drives the workload through real TCP clients,
// then reads the servers' observation files into the same MetricsRecorder the virtual
// runtime feeds, so every metric and the results database work on live runs.
//
// This header is free of Asio and of the virtual runtime: herd-sim's command layer includes
// it.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "herd/sim/herd_layout.hpp"
#include "herd/sim/metrics.hpp"
#include "herd/sim/scenario.hpp"

namespace herd::sim {

// The scenario asks for something the live backend cannot do, or a server would not start;
// what() says what and why.
struct LiveRunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The run was stopped by SIGINT or SIGTERM; everything it started is gone.
struct LiveRunInterrupted : std::runtime_error {
  explicit LiveRunInterrupted(int signal_number)
      : std::runtime_error("interrupted by signal " + std::to_string(signal_number)),
        signal(signal_number) {}
  int signal;
};

// What a watcher of a live run (herd-soak, docs/soak.md) is told, on the runner's thread.
struct LiveRunEvent {
  enum class Kind : std::uint8_t {
    server_ready,  // a herd-server process is up (at the start, and after each restart)
    time_zero,     // every server and link is up; the workload starts now
    stopping,      // the drain is over; the servers are about to be stopped
  };
  Kind kind = Kind::server_ready;
  std::filesystem::path folder;  // the run's private folder (logs in folder/"logs")
  Nanoseconds system_ns = 0;     // the host's system clock at the event
  // server_ready only:
  std::uint32_t server = 0;      // index in the herd layout
  int pid = 0;
  std::uint16_t client_port = 0;
};

struct LiveRunOptions {
  // The herd-server executable; empty: the one beside the running program
  // (/proc/self/exe's folder).
  std::filesystem::path server_bin;
  // Where the run's private folder (configs, logs, observation files) is made; empty: the
  // system temporary folder. The folder is removed at the end unless keep_dir is set.
  std::filesystem::path tmp_parent;
  bool keep_dir = false;
  // How clients talk to servers: a connection per command (the simulator's way, the
  // graders' way) or one persistent connection per server, commands pipelined on it.
  enum class Clients { per_command, persistent };
  Clients clients = Clients::per_command;
  // Probability that the link proxy drops a peer line (greetings excepted), on every link,
  // instead of the scenario's network.loss and per-link loss; unset: the scenario's.
  std::optional<double> link_loss;
  bool keep_deliveries = true;
  // Run the runner and its servers under SCHED_RR priority 1 when the system allows it
  // (root, or CAP_SYS_NICE; else 10 nice levels up if allowed), so that other load on the
  // host delays the injected latencies less; unprivileged runs keep their priority.
  bool raise_priority = true;
  // Progress lines (what the run is doing) for stderr; empty: silent.
  std::function<void(const std::string&)> progress;
  // Told of each server process that gets ready, of time 0 and of the stop; empty: nobody.
  std::function<void(const LiveRunEvent&)> on_event;
};

struct LiveCounters {
  std::uint64_t observations = 0;     // observation lines read
  std::uint64_t peer_deliveries = 0;  // lines the proxies handed to a server, greetings included
  std::uint64_t peer_dropped = 0;     // lines the proxies dropped (loss, a cut, a dead server)
  std::uint64_t client_commands = 0;
  std::uint64_t server_starts = 0;    // herd-server processes started, restarts included
  Nanoseconds simulated_ns = 0;       // the scenario's duration, run in real time
  Nanoseconds drained_ns = 0;         // real time waited after it for the herd to settle
  double wall_seconds = 0;
};

struct LiveOutcome {
  std::unique_ptr<MetricsRecorder> metrics;
  std::vector<FaultSpec> faults;  // scenario faults, then random ones, as run
  LiveCounters counters;
};

// What the live backend cannot run, one message per problem (empty: it can run it).
[[nodiscard]] std::vector<std::string> live_unsupported(const Scenario& scenario);

// Runs the scenario live. Throws LiveRunError (unsupported scenario, a server that does not
// start), LiveRunInterrupted (SIGINT/SIGTERM; the processes and the folder are cleaned up
// first).
[[nodiscard]] LiveOutcome run_live(const Scenario& scenario, const HerdLayout& layout,
                                   const LiveRunOptions& options);

}  // namespace herd::sim
