#pragma once
// IAMAT load over persistent connections: C connections to every server of the herd, each
// keeping up to W commands in flight (pipelined), either as fast as the herd answers or
// paced to a target rate. Every reply is checked against the command it answers.
//
// Used for the `persistent` mode and as the background load of the `propagation` mode.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "convergence_check.hpp"
#include "net.hpp"
#include "stats.hpp"

namespace herd::bench {

struct PipelinedLoadOptions {
  std::size_t connections_per_server = 4;
  std::size_t window = 32;          // commands in flight per connection
  double rate_per_s = 0;            // herd-wide target; 0 = as fast as the window allows
  std::uint64_t max_commands = 0;   // stop sending after this many; 0 = no cap
  std::string client_prefix = "load";
  std::string coords = "+34.068930-118.445127";
};

struct LoadTotals {
  std::uint64_t sent = 0;
  std::uint64_t replies = 0;
  std::uint64_t invalid = 0;            // replies that are not the AT line owed
  std::uint64_t unanswered = 0;         // commands still unanswered when their connection ended
  std::uint64_t connection_errors = 0;  // failed connects and connections lost mid-run
  std::uint64_t skipped = 0;            // paced commands given up because the window was full
  std::uint64_t measured_replies = 0;   // replies received inside the measurement window
  LatencySamples latency;               // write of the command to its reply, inside the window
  Clock::time_point started_at;
  Clock::time_point last_reply_at;
  std::string first_error;
};

class PipelinedLoad {
 public:
  PipelinedLoad(asio::io_context& io, std::vector<Target> targets, PipelinedLoadOptions options);
  ~PipelinedLoad();
  PipelinedLoad(const PipelinedLoad&) = delete;
  PipelinedLoad& operator=(const PipelinedLoad&) = delete;

  // Replies received in [begin, end) count as measured; set before start().
  void measure_between(Clock::time_point begin, Clock::time_point end);
  void start();
  // Stops sending and half-closes every connection; the servers answer what they hold
  // and close, which ends the run.
  void stop();
  // Closes every socket at once, for a herd that does not close in time.
  void abort();

  [[nodiscard]] bool finished() const noexcept { return open_connections_ == 0 && started_; }
  [[nodiscard]] const LoadTotals& totals() const noexcept { return totals_; }
  // When sending stopped (stop() or the command cap), for rates over a cut-short window.
  [[nodiscard]] Clock::time_point stopped_at() const noexcept { return stopped_at_; }
  // Each client's last AT reply, which the whole herd must end up storing.
  [[nodiscard]] std::vector<FinalUpdate> final_updates() const;

 private:
  struct Connection;

  asio::awaitable<void> run_connection(Connection& conn);
  asio::awaitable<void> write_commands(Connection& conn);
  asio::awaitable<void> read_replies(Connection& conn);
  [[nodiscard]] std::size_t commands_to_send(Connection& conn, Clock::time_point now,
                                             Clock::duration& wait);
  void note_error(const std::string& what);

  asio::io_context& io_;
  std::vector<Target> targets_;
  PipelinedLoadOptions options_;
  std::vector<std::unique_ptr<Connection>> connections_;
  LoadTotals totals_;
  Clock::time_point measure_begin_;
  Clock::time_point measure_end_ = Clock::time_point::max();
  Clock::time_point paced_start_;
  Clock::time_point stopped_at_ = Clock::time_point::max();
  std::size_t open_connections_ = 0;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace herd::bench
