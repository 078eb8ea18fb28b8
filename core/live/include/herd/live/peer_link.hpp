#pragma once
// The outbound link from this server to one friend (PeerId = the friend's index in the
// core's friend list). It dials, tells the owner the link is up (the core then sends its
// greeting), writes what the core floods, reads whatever comes back so that a drop is
// noticed at once, and after a drop or a failed dial tries again with capped exponential
// backoff. Jitter comes from a generator seeded by the two server names, so runs do not
// depend on OS entropy and two servers do not retry in lockstep.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "herd/core/server.hpp"
#include "herd/live/config.hpp"
#include "herd/live/write_queue.hpp"

namespace herd::live {

class ServerLog;

class PeerLinkEvents {
 public:
  virtual void on_peer_up(core::PeerId peer) = 0;
  virtual void on_peer_down(core::PeerId peer) = 0;
  virtual void on_peer_bytes(core::PeerId peer, std::string_view bytes) = 0;

 protected:
  ~PeerLinkEvents() = default;
};

struct BackoffPolicy {
  std::chrono::milliseconds initial{50};
  std::chrono::milliseconds max{2000};
};

// Capped exponential backoff with deterministic jitter in [delay/2, delay].
class Backoff {
 public:
  Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), state_(seed) {}
  [[nodiscard]] std::chrono::milliseconds next();
  void reset() noexcept { attempt_ = 0; }

 private:
  BackoffPolicy policy_;
  std::uint64_t state_;
  unsigned attempt_ = 0;
};

class PeerLink {
 public:
  PeerLink(boost::asio::io_context& io, core::PeerId id, const std::string& self_name,
           std::string friend_name, Endpoint address, PeerLinkEvents& events, ServerLog& log,
           std::size_t max_output_bytes, BackoffPolicy backoff = {},
           std::vector<std::uint16_t> avoid_local_ports = {},
           std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  void start();
  void stop();
  // Queues bytes for the friend; false (and counted) when the link is down.
  bool send(core::SharedText bytes);
  // The friend is back (it greeted us): a link waiting out its backoff dials now, and the
  // backoff starts over.
  void redial_now();
  // Gives up the connection as after any loss (the friend failed its greeting): the link
  // dials again after its backoff.
  void drop(const std::string& why);

  [[nodiscard]] bool up() const noexcept { return state_ == State::up; }
  [[nodiscard]] std::uint64_t dropped_messages() const noexcept { return dropped_messages_; }
  [[nodiscard]] std::uint64_t connects() const noexcept { return connects_; }

 private:
  enum class State { waiting, connecting, up, stopped };

  void do_resolve();
  void on_resolve(std::uint64_t generation, const boost::system::error_code& ec,
                  const boost::asio::ip::tcp::resolver::results_type& endpoints);
  void on_connect(std::uint64_t generation, const boost::system::error_code& ec);
  void on_tls_handshake(std::uint64_t generation, const boost::system::error_code& ec);
  void link_established(std::uint64_t generation);
  void do_read();
  void on_read(std::uint64_t generation, const boost::system::error_code& ec, std::size_t bytes);
  void do_write();
  void on_write(std::uint64_t generation, const boost::system::error_code& ec);
  void connect_failed(const boost::system::error_code& ec, std::string_view what);
  void lose(const std::string& why);
  void schedule_retry();
  void fail(const boost::system::error_code& ec, std::string_view what);

  boost::asio::io_context& io_;
  core::PeerId id_;
  std::string friend_name_;
  Endpoint address_;
  PeerLinkEvents& events_;
  ServerLog& log_;
  std::size_t max_output_bytes_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer retry_timer_;
  Backoff backoff_;
  std::shared_ptr<WriteQueue> queue_ = std::make_shared<WriteQueue>();
  std::array<char, 16 * 1024> read_buffer_{};
  State state_ = State::waiting;
  // Bumped whenever the socket is given up, so completions of an older attempt are ignored.
  std::uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point up_since_{};
  bool failing_ = false;  // the last attempt failed too; log further failures quietly
  std::uint64_t dropped_messages_ = 0;
  std::uint64_t connects_ = 0;
  // Local ports the link must not keep (the herd's client ports): `lsof -ti:PORT` matches a
  // socket's local port too.
  std::vector<std::uint16_t> avoid_local_ports_;
  // With TLS (client side, checking the friend's certificate against the herd's CA): one
  // stream per connection, kept alive by the operations still running on it.
  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::shared_ptr<TlsStream> tls_;
};

}  // namespace herd::live
