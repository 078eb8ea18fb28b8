#include "link_proxy.hpp"

#include <algorithm>
#include <deque>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "herd/sim/delay_sampler.hpp"

namespace herd::sim::live {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
// A line longer than this (the peer line limit is 64 KiB plus a little by default) ends the
// connection: the proxy keeps at most this much of a partial line.
constexpr std::size_t kMaxLineBytes = 1 << 20;
// Lines waiting for their delay beyond this many bytes pause reading from A (B is slow or
// stopped); reading resumes below half.
constexpr std::size_t kMaxQueuedBytes = 64 << 20;
constexpr std::size_t kReadBytes = 16 * 1024;
}  // namespace

class LinkProxy::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(LinkProxy& proxy, tcp::socket from, bool blackhole)
      : proxy_(proxy), a_(std::move(from)), b_(proxy.io_), timer_(proxy.io_),
        blackhole_(blackhole) {}

  void start() {
    error_code ec;
    a_.set_option(tcp::no_delay(true), ec);
    if (blackhole_) {
      // The link is cut: A may connect, but nothing it sends goes anywhere.
      read_a();
      return;
    }
    const tcp::endpoint target(asio::ip::address_v4::loopback(), proxy_.target_port_);
    b_.async_connect(target, [self = shared_from_this()](const error_code& ec) {
      if (self->closed_) return;
      if (ec) {
        // B is down: A's link drops at once, as it would without the proxy.
        self->close(true);
        return;
      }
      error_code ignored;
      self->b_.set_option(tcp::no_delay(true), ignored);
      self->connected_ = true;
      self->read_b();
      self->pump();
    });
    read_a();
  }

  // Closes both sides; lines still waiting are lost (a link that goes down loses what is in
  // flight on it). `reset`: abort A's side so its dial fails fast.
  void close(bool reset = false) {
    if (closed_) return;
    closed_ = true;
    proxy_.dropped_ += queue_.size();
    queue_.clear();
    error_code ignored;
    if (reset) a_.set_option(asio::socket_base::linger(true, 0), ignored);
    a_.close(ignored);
    b_.close(ignored);
    timer_.cancel();
    proxy_.forget(this);
  }

  [[nodiscard]] bool greeted() const noexcept { return greeted_ && !closed_; }
  [[nodiscard]] bool blackhole() const noexcept { return blackhole_; }

 private:
  struct Pending {
    SteadyClock::time_point due;
    std::string line;
  };

  void read_a() {
    if (closed_ || reading_a_) return;
    if (queued_bytes_ > kMaxQueuedBytes) return;  // resumed by pump()
    reading_a_ = true;
    a_.async_read_some(asio::buffer(read_buffer_),
                       [self = shared_from_this()](const error_code& ec, std::size_t n) {
                         self->reading_a_ = false;
                         if (self->closed_) return;
                         if (ec) {
                           // A is gone (stopped, killed, or dropped the link).
                           self->close();
                           return;
                         }
                         self->take(std::string_view(self->read_buffer_.data(), n));
                         self->read_a();
                       });
  }

  void take(std::string_view bytes) {
    partial_.append(bytes);
    std::size_t start = 0;
    for (std::size_t nl = partial_.find('\n'); nl != std::string::npos;
         nl = partial_.find('\n', start)) {
      enqueue(partial_.substr(start, nl + 1 - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
    if (partial_.size() > kMaxLineBytes) close(true);
    pump();
  }

  void enqueue(std::string line) {
    // The greeting (HERD 2: a HELLO, then a PROOF once B has answered) is never lost: the
    // scenario's loss applies to the link's traffic, and a lost greeting line would only
    // hold the link down until the handshake timed out.
    const bool greeting = std::string_view(line).starts_with("HERD ");
    if (blackhole_) {
      if (!greeting) ++proxy_.dropped_;
      return;
    }
    if (!greeting && proxy_.loss_ > 0 && proxy_.rng_.chance(proxy_.loss_)) {
      ++proxy_.dropped_;
      return;
    }
    last_due_ = proxy_.arrival_for_next_line(last_due_);
    queued_bytes_ += line.size();
    queue_.push_back(Pending{last_due_, std::move(line)});
  }

  // Hands B every line that is due, then waits for the next one.
  void pump() {
    if (closed_ || !connected_ || writing_) return;
    const auto now = SteadyClock::now();
    const auto clog = proxy_.clog_until_;
    std::string batch;
    std::vector<std::size_t> sizes;
    while (!queue_.empty() && queue_.front().due <= now && (!clog || *clog <= now)) {
      sizes.push_back(queue_.front().line.size());
      batch += queue_.front().line;
      queue_.pop_front();
    }
    if (!batch.empty()) {
      writing_ = true;
      auto data = std::make_shared<std::string>(std::move(batch));
      asio::async_write(b_, asio::buffer(*data),
                        [self = shared_from_this(), data,
                         sizes = std::move(sizes)](const error_code& ec, std::size_t) {
                          self->writing_ = false;
                          if (self->closed_) return;
                          if (ec) {
                            self->close(true);
                            return;
                          }
                          self->delivered(*data, sizes);
                          self->pump();
                        });
      return;
    }
    if (queue_.empty()) return;
    auto next = queue_.front().due;
    if (clog && *clog > next) next = *clog;
    if (next == SteadyClock::time_point::max()) return;  // clogged for ever: set_clog wakes us
    timer_.expires_at(next);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->pump();
    });
  }

 public:
  void wake() {
    timer_.cancel();
    if (!writing_) pump();
  }

 private:
  void delivered(const std::string& data, const std::vector<std::size_t>& sizes) {
    std::size_t offset = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      std::string_view line(data.data() + offset, sizes[i]);
      offset += sizes[i];
      queued_bytes_ -= sizes[i];
      ++proxy_.delivered_;
      // Up once the greeting is complete: after the dialler's PROOF, B takes its lines.
      if (line.starts_with("HERD 2 PROOF ")) greeted_ = true;
      if (proxy_.counting_) {
        std::string_view text = line;
        if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        proxy_.metrics_.on_peer_line(proxy_.link_, classify_peer_line(text), line.size());
      }
    }
    if (!reading_a_ && queued_bytes_ <= kMaxQueuedBytes / 2) read_a();
  }

  void read_b() {
    b_.async_read_some(asio::buffer(back_buffer_),
                       [self = shared_from_this()](const error_code& ec, std::size_t n) {
                         if (self->closed_) return;
                         if (ec) {
                           // B is gone: A's link drops.
                           self->close(true);
                           return;
                         }
                         self->back_to_a(std::string(self->back_buffer_.data(), n));
                       });
  }

  void back_to_a(std::string bytes) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(a_, asio::buffer(*data),
                      [self = shared_from_this(), data](const error_code& ec, std::size_t) {
                        if (self->closed_) return;
                        if (ec) {
                          self->close();
                          return;
                        }
                        self->read_b();
                      });
  }

  LinkProxy& proxy_;
  tcp::socket a_;
  tcp::socket b_;
  asio::steady_timer timer_;
  std::array<char, kReadBytes> read_buffer_{};
  std::array<char, kReadBytes> back_buffer_{};
  std::string partial_;
  std::deque<Pending> queue_;
  std::size_t queued_bytes_ = 0;
  SteadyClock::time_point last_due_{};
  bool connected_ = false;
  bool reading_a_ = false;
  bool writing_ = false;
  bool greeted_ = false;
  bool closed_ = false;
  bool blackhole_ = false;
};

LinkProxy::LinkProxy(asio::io_context& io, std::uint32_t link, const DelayDistribution* latency,
                     double loss, std::uint64_t seed, MetricsRecorder& metrics)
    : io_(io), acceptor_(io), link_(link), latency_(latency), loss_(loss), rng_(seed),
      metrics_(metrics) {}

LinkProxy::~LinkProxy() { stop(); }

std::uint16_t LinkProxy::listen() {
  const tcp::endpoint any(asio::ip::address_v4::loopback(), 0);
  acceptor_.open(any.protocol());
  acceptor_.bind(any);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  return port_;
}

void LinkProxy::do_accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (stopped_) return;
    if (!ec) {
      auto session = std::make_shared<Session>(*this, std::move(socket), cut_);
      sessions_.push_back(session);
      session->start();
    }
    do_accept();
  });
}

void LinkProxy::forget(const Session* session) {
  std::erase_if(sessions_, [&](const auto& s) { return s.get() == session; });
}

SteadyClock::time_point LinkProxy::arrival_for_next_line(SteadyClock::time_point last_arrival) {
  // A heavy-tailed draw (Pareto) can be centuries; no line waits longer than an hour.
  constexpr Nanoseconds kMaxDelay = 3600LL * 1'000'000'000;
  const Nanoseconds delay = latency_ ? std::min(sample_delay(*latency_, rng_), kMaxDelay) : 0;
  const auto arrival = SteadyClock::now() + std::chrono::nanoseconds(delay);
  return std::max(arrival, last_arrival);
}

// Cutting a link drops its connection, as the simulator brings the link down, losing what
// is in flight; the sender redials and gets a connection that leads nowhere (a real
// partition is not noticed by TCP either). Healing drops that connection, so the sender
// redials at once (its backoff is short after a long-lived connection) and reaches B.
void LinkProxy::set_cut(bool cut) {
  if (cut == cut_) return;
  cut_ = cut;
  auto sessions = sessions_;
  for (auto& session : sessions) {
    if (session->blackhole() != cut) session->close(true);
  }
}

void LinkProxy::set_clog_until(std::optional<SteadyClock::time_point> until) {
  clog_until_ = until;
  auto sessions = sessions_;
  for (auto& session : sessions) session->wake();
}

bool LinkProxy::link_up() const {
  return std::any_of(sessions_.begin(), sessions_.end(),
                     [](const auto& s) { return s->greeted(); });
}

void LinkProxy::stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  auto sessions = sessions_;
  for (auto& session : sessions) session->close();
  sessions_.clear();
}

}  // namespace herd::sim::live
