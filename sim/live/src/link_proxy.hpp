#pragma once
// One direction of a friendship, A -> B, made real: A's herd config names this proxy's port
// as B's peer port, so A's outbound link to B is a TCP connection to the proxy, which opens
// one to B's real peer port and forwards A's lines to B one by one, each after a delay drawn
// from the link's latency distribution (first in, first out, as TCP), dropping a line with
// the link's loss probability, holding lines while the link is clogged, and cutting the
// connection while the link is cut (a partition or a one-way cut). Every line handed to B
// is counted by kind for the traffic tables, except the greeting, which is never lost. Bytes
// B sends back (its answer to the greeting, by the protocol) go to A at once.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "herd/sim/metrics.hpp"
#include "herd/sim/prng.hpp"
#include "herd/sim/scenario.hpp"

namespace herd::sim::live {

using SteadyClock = std::chrono::steady_clock;

class LinkProxy {
 public:
  LinkProxy(boost::asio::io_context& io, std::uint32_t link, const DelayDistribution* latency,
            double loss, std::uint64_t seed, MetricsRecorder& metrics);
  ~LinkProxy();
  LinkProxy(const LinkProxy&) = delete;
  LinkProxy& operator=(const LinkProxy&) = delete;

  // Listens on 127.0.0.1 at a port the kernel picks; returns it.
  std::uint16_t listen();
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // B's peer port (changes when B restarts on new ports).
  void set_target(std::uint16_t port) { target_port_ = port; }
  // A cut link: its connection is closed and the lines in flight are lost; a new one is
  // accepted but leads nowhere (its lines are dropped) until the cut heals, when it is
  // closed so that the sender dials again and reaches B.
  void set_cut(bool cut);
  // Lines are not handed to B before this instant (nullopt: no clog; time_point::max(): for
  // ever).
  void set_clog_until(std::optional<SteadyClock::time_point> until);
  void set_latency(const DelayDistribution* latency) { latency_ = latency; }
  // Counting stops at the end of the run's drain (the servers still talk while they stop).
  void stop_counting() { counting_ = false; }
  void stop();

  // A greeting has been handed to B on a connection that is still open.
  [[nodiscard]] bool link_up() const;
  [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  class Session;
  friend class Session;
  void do_accept();
  void forget(const Session* session);
  SteadyClock::time_point arrival_for_next_line(SteadyClock::time_point last_arrival);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint32_t link_;
  const DelayDistribution* latency_;
  double loss_;
  Prng rng_;
  MetricsRecorder& metrics_;
  std::uint16_t port_ = 0;
  std::uint16_t target_port_ = 0;
  bool cut_ = false;
  bool counting_ = true;
  bool stopped_ = false;
  std::optional<SteadyClock::time_point> clog_until_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::uint64_t delivered_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace herd::sim::live
