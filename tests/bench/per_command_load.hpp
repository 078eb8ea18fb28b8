#pragma once
// IAMAT load the way the course's graders send it: each command on its own connection
// (connect, write one command with no trailing newline, shut down the write side, read to
// EOF). Many workers run at once, spread evenly over the servers of the herd.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "convergence_check.hpp"
#include "net.hpp"
#include "stats.hpp"

namespace herd::bench {

struct PerCommandOptions {
  std::size_t workers_per_server = 8;
  std::uint64_t max_commands = 0;  // stop after this many; 0 = no cap
  std::string client_prefix = "grader";
  std::string coords = "+34.068930-118.445127";
};

struct PerCommandTotals {
  std::uint64_t started = 0;
  std::uint64_t completed = 0;          // a reply was read to EOF
  std::uint64_t invalid = 0;            // the reply was not exactly the AT line owed
  std::uint64_t connection_errors = 0;  // connect, write or read failed
  std::uint64_t measured_completed = 0;
  LatencySamples latency;               // connect to EOF, inside the window
  Clock::time_point started_at;
  Clock::time_point last_reply_at;
  std::string first_error;
};

class PerCommandLoad {
 public:
  PerCommandLoad(asio::io_context& io, std::vector<Target> targets, PerCommandOptions options);

  // Commands completed in [begin, end) count as measured; set before start().
  void measure_between(Clock::time_point begin, Clock::time_point end);
  void start();
  // Workers finish the command they are on and stop.
  void stop();
  // Closes the sockets in use, for a herd that does not answer in time.
  void abort();

  [[nodiscard]] bool finished() const noexcept { return active_workers_ == 0 && started_; }
  [[nodiscard]] const PerCommandTotals& totals() const noexcept { return totals_; }
  [[nodiscard]] Clock::time_point stopped_at() const noexcept { return stopped_at_; }
  // Each worker's last AT reply, which the whole herd must end up storing.
  [[nodiscard]] std::vector<FinalUpdate> final_updates() const;

 private:
  asio::awaitable<void> run_worker(std::size_t index);
  asio::awaitable<bool> one_command(const Target& target, IamatSource& iamat, tcp::socket& socket,
                                    FinalUpdate& last);
  void note_error(const std::string& what);

  asio::io_context& io_;
  std::vector<Target> targets_;
  PerCommandOptions options_;
  std::vector<tcp::socket*> in_use_;  // each worker's current socket, for abort()
  std::vector<FinalUpdate> last_updates_;  // by worker
  PerCommandTotals totals_;
  Clock::time_point measure_begin_;
  Clock::time_point measure_end_ = Clock::time_point::max();
  Clock::time_point stopped_at_ = Clock::time_point::max();
  std::size_t active_workers_ = 0;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace herd::bench
