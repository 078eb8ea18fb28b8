#pragma once
// Measures how long an update takes to reach the whole herd, end to end as a client sees
// it: an IAMAT goes to one server (rotating over the herd), and every other server is
// polled with WHATSAT on a persistent connection until it returns this update's AT line.
// A sample's delay is from writing the IAMAT to the reply that shows the LAST server
// holding it, so it includes one poll round trip of detection granularity.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net.hpp"
#include "stats.hpp"

namespace herd::bench {

struct PropagationOptions {
  std::size_t samples = 200;
  Clock::duration max_time = std::chrono::seconds(60);      // the whole run
  Clock::duration sample_timeout = std::chrono::seconds(5);  // one update's deadline
  Clock::duration gap = std::chrono::milliseconds(2);        // idle time between samples
  // Pause between two polls of one server. Polling back to back keeps every server of the
  // herd and the prober runnable at once, and on a machine with fewer cores than that the
  // scheduler, not the herd, then sets the delay; a short pause leaves the cores to the flood.
  Clock::duration poll_interval = std::chrono::microseconds(100);
  std::string client_prefix = "probe";
  // Open ocean, so a places look-up near it is cheap and empty on every server.
  std::string coords = "+0.000000-150.000000";
};

struct PropagationResult {
  LatencySamples to_last;    // IAMAT written -> last server seen holding the update
  LatencySamples to_each;    // IAMAT written -> each non-origin server seen holding it
  std::uint64_t samples = 0; // updates sent
  std::uint64_t lost = 0;    // updates some server did not show within the sample timeout
  std::uint64_t invalid = 0; // wrong IAMAT replies, or a stored AT line not the origin's
  std::uint64_t polls = 0;   // WHATSAT round trips
  LatencySamples poll_rtt;   // their round-trip times: the granularity of detection
  std::string first_error;
  bool failed = false;       // a connection broke; the run ended early
};

class PropagationProbe {
 public:
  PropagationProbe(asio::io_context& io, std::vector<Target> targets, PropagationOptions options);
  ~PropagationProbe();
  PropagationProbe(const PropagationProbe&) = delete;
  PropagationProbe& operator=(const PropagationProbe&) = delete;

  void start();
  void abort();
  [[nodiscard]] bool finished() const noexcept { return finished_; }
  [[nodiscard]] const PropagationResult& result() const noexcept { return result_; }

 private:
  struct Channel;
  struct Sample;

  asio::awaitable<void> run();
  asio::awaitable<void> one_sample(std::size_t index);
  asio::awaitable<void> await_iamat_reply(Channel& origin, Sample& sample, std::size_t slot);
  asio::awaitable<void> poll_until_held(Channel& channel, Sample& sample, std::size_t slot);
  void note_error(const std::string& what);

  asio::io_context& io_;
  std::vector<Target> targets_;
  PropagationOptions options_;
  std::vector<std::unique_ptr<Channel>> channels_;
  PropagationResult result_;
  std::string nonce_;
  bool finished_ = false;
};

}  // namespace herd::bench
