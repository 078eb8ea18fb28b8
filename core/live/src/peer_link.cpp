#include "herd/live/peer_link.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

#include "herd/live/server_log.hpp"

namespace herd::live {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// A link that stayed up this long counts as healthy: the next drop retries quickly again.
constexpr auto kHealthyUptime = std::chrono::seconds(2);

std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::chrono::milliseconds Backoff::next() {
  const auto doubled = policy_.initial.count() << std::min(attempt_, 20U);
  const auto base = std::min<std::int64_t>(doubled, policy_.max.count());
  if (attempt_ < 20) ++attempt_;
  // Upper 53 bits make a uniform double in [0, 1).
  const double unit = static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53;
  const auto half = base / 2;
  return std::chrono::milliseconds(half + static_cast<std::int64_t>(unit * static_cast<double>(base - half)));
}

PeerLink::PeerLink(asio::io_context& io, core::PeerId id, const std::string& self_name,
                   std::string friend_name, Endpoint address, PeerLinkEvents& events,
                   ServerLog& log, std::size_t max_output_bytes, BackoffPolicy backoff,
                   std::vector<std::uint16_t> avoid_local_ports,
                   std::shared_ptr<asio::ssl::context> tls)
    : io_(io),
      id_(id),
      friend_name_(std::move(friend_name)),
      address_(std::move(address)),
      events_(events),
      log_(log),
      max_output_bytes_(max_output_bytes),
      resolver_(io),
      socket_(io),
      retry_timer_(io),
      backoff_(backoff, fnv1a(friend_name_, fnv1a(self_name) ^ 0x5bd1e995ULL)),
      avoid_local_ports_(std::move(avoid_local_ports)),
      tls_context_(std::move(tls)) {}

void PeerLink::start() {
  if (state_ != State::waiting) return;
  do_resolve();
}

void PeerLink::stop() {
  state_ = State::stopped;
  ++generation_;
  resolver_.cancel();
  retry_timer_.cancel();
  error_code ignored;
  socket_.close(ignored);
  dropped_messages_ += queue_->clear();
}

bool PeerLink::send(core::SharedText bytes) {
  if (state_ != State::up) {
    ++dropped_messages_;
    return false;
  }
  queue_->push(std::move(bytes));
  if (queue_->pending_bytes() > max_output_bytes_) {
    lose("output queue exceeded " + std::to_string(max_output_bytes_) +
         " bytes (friend not reading)");
    return false;
  }
  if (!queue_->writing()) do_write();
  return true;
}

void PeerLink::redial_now() {
  backoff_.reset();
  if (state_ != State::waiting) return;  // dialling already, up, or stopped
  ++generation_;                         // the pending retry's completion is now stale
  retry_timer_.cancel();
  log_.file(spdlog::level::debug, "link to " + friend_name_ + ": " + friend_name_ +
                                      " is back; dialling now");
  do_resolve();
}

void PeerLink::drop(const std::string& why) { lose(why); }

void PeerLink::do_resolve() {
  state_ = State::connecting;
  resolver_.async_resolve(
      address_.host, std::to_string(address_.port),
      [this, generation = generation_](const error_code& ec, const tcp::resolver::results_type& r) {
        on_resolve(generation, ec, r);
      });
}

void PeerLink::on_resolve(std::uint64_t generation, const error_code& ec,
                          const tcp::resolver::results_type& endpoints) {
  if (generation != generation_ || state_ == State::stopped) return;
  if (ec) {
    connect_failed(ec, "resolve");
    return;
  }
  asio::async_connect(socket_, endpoints,
                      [this, generation](const error_code& connect_ec, const tcp::endpoint&) {
                        on_connect(generation, connect_ec);
                      });
}

void PeerLink::on_connect(std::uint64_t generation, const error_code& ec) {
  if (generation != generation_ || state_ == State::stopped) return;
  if (ec) {
    connect_failed(ec, "connect");
    return;
  }
  error_code ignored;
  if (!avoid_local_ports_.empty()) {
    error_code local_ec;
    const auto local = socket_.local_endpoint(local_ec);
    if (!local_ec && std::find(avoid_local_ports_.begin(), avoid_local_ports_.end(),
                               local.port()) != avoid_local_ports_.end()) {
      // The kernel picked a herd client port as our ephemeral port: stopping that server by
      // its port would stop us too. Never seen in practice; cheap to rule out.
      log_.file(spdlog::level::info, "link to " + friend_name_ + ": local port " +
                                         std::to_string(local.port()) +
                                         " is a client port of the herd; dialling again");
      socket_.close(ignored);
      schedule_retry();
      return;
    }
  }
  socket_.set_option(tcp::no_delay(true), ignored);
  if (!tls_context_) {
    link_established(generation);
    return;
  }
  tls_ = std::make_shared<TlsStream>(socket_, *tls_context_);
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [this, generation, stream = tls_](const error_code& handshake_ec) {
                          on_tls_handshake(generation, handshake_ec);
                        });
}

void PeerLink::on_tls_handshake(std::uint64_t generation, const error_code& ec) {
  if (generation != generation_ || state_ == State::stopped) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    error_code ignored;
    socket_.close(ignored);
    // Always worth reading: a certificate problem does not fix itself.
    log_.file(spdlog::level::warn, "link to " + friend_name_ + ": TLS handshake with " +
                                       to_string(address_) + " failed: " + ec.message());
    failing_ = true;
    schedule_retry();
    return;
  }
  link_established(generation);
}

void PeerLink::link_established(std::uint64_t generation) {
  state_ = State::up;
  failing_ = false;
  ++connects_;
  up_since_ = std::chrono::steady_clock::now();
  log_.file(spdlog::level::debug, "link to " + friend_name_ + ": connected to " + to_string(address_));
  events_.on_peer_up(id_);
  // The core's greeting may already have failed the link.
  if (state_ == State::up && generation == generation_) do_read();
}

void PeerLink::do_read() {
  auto handler = [this, generation = generation_, stream = tls_](const error_code& ec,
                                                                 std::size_t n) {
    on_read(generation, ec, n);
  };
  if (tls_) {
    tls_->async_read_some(asio::buffer(read_buffer_), std::move(handler));
  } else {
    socket_.async_read_some(asio::buffer(read_buffer_), std::move(handler));
  }
}

void PeerLink::on_read(std::uint64_t generation, const error_code& ec, std::size_t bytes) {
  if (generation != generation_ || state_ != State::up) return;
  if (ec == asio::error::eof || (tls_ && ec == asio::ssl::error::stream_truncated)) {
    lose("closed by " + friend_name_);
    return;
  }
  if (ec) {
    fail(ec, "read");
    return;
  }
  events_.on_peer_bytes(id_, std::string_view(read_buffer_.data(), bytes));
  if (generation == generation_ && state_ == State::up) do_read();
}

void PeerLink::do_write() {
  auto buffers = queue_->start_batch();
  // The handler keeps its own queue alive: after a drop, a new connection gets a new queue
  // while the old write may still be completing with pointers into the old one.
  auto handler = [this, queue = queue_, generation = generation_, stream = tls_](
                     const error_code& ec, std::size_t) {
    queue->finish_batch();
    on_write(generation, ec);
  };
  if (tls_) {
    asio::async_write(*tls_, buffers, std::move(handler));
  } else {
    asio::async_write(socket_, buffers, std::move(handler));
  }
}

void PeerLink::on_write(std::uint64_t generation, const error_code& ec) {
  if (generation != generation_ || state_ != State::up) return;
  if (ec) {
    fail(ec, "write");
    return;
  }
  if (queue_->has_queued()) do_write();
}

void PeerLink::connect_failed(const error_code& ec, std::string_view what) {
  if (ec == asio::error::operation_aborted) return;
  error_code ignored;
  socket_.close(ignored);
  // The first failure of a streak is worth reading; the retries every couple of seconds while
  // a friend stays down are not.
  const auto level = failing_ ? spdlog::level::debug : spdlog::level::info;
  failing_ = true;
  log_.file(level, "link to " + friend_name_ + ": cannot " + std::string(what) + " " +
                       to_string(address_) + ": " + ec.message());
  schedule_retry();
}

void PeerLink::lose(const std::string& why) {
  if (state_ != State::up) return;
  state_ = State::waiting;
  ++generation_;
  dropped_messages_ += queue_->clear();
  queue_ = std::make_shared<WriteQueue>();
  error_code ignored;
  socket_.close(ignored);
  if (std::chrono::steady_clock::now() - up_since_ >= kHealthyUptime) backoff_.reset();
  // The core logs the drop itself (a warning); this adds why.
  log_.file(spdlog::level::info, "link to " + friend_name_ + " lost: " + why);
  // Posted: lose() may run inside send(), while the owner is dispatching the core's outputs.
  asio::post(io_, [this] {
    if (state_ != State::stopped) events_.on_peer_down(id_);
  });
  schedule_retry();
}

void PeerLink::schedule_retry() {
  state_ = State::waiting;
  ++generation_;
  const auto delay = backoff_.next();
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([this, generation = generation_](const error_code& ec) {
    if (ec || generation != generation_ || state_ != State::waiting) return;
    do_resolve();
  });
}

void PeerLink::fail(const error_code& ec, std::string_view what) {
  if (ec == asio::error::operation_aborted) return;
  lose(std::string(what) + ": " + ec.message());
}

}  // namespace herd::live
