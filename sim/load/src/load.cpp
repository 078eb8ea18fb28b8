#include "herd/sim/load/load.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace herd::sim::load {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr auto kFirstBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxBackoff = std::chrono::milliseconds(200);

Clock::duration from_seconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

auto ignore_errors(boost::system::error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// What every thread shares: the clock's reference points and the command budget.
struct Shared {
  Clock::time_point start;
  Clock::time_point warmup_end;
  Clock::time_point stop_at = Clock::time_point::max();  // no command is due at or after it
  std::uint64_t count = 0;                               // 0: no budget
  std::atomic<std::uint64_t> claimed{0};                 // measured commands started
  std::atomic<bool> budget_spent{false};
  const std::atomic<bool>* interrupt = nullptr;

  bool interrupted() const { return interrupt != nullptr && interrupt->load(std::memory_order_relaxed); }

  // May a command due at `due` start? Warm-up commands always may; measured ones while
  // the duration and the count allow.
  bool claim(Clock::time_point due) {
    if (due >= stop_at || interrupted()) return false;
    if (due < warmup_end || count == 0) return true;
    std::uint64_t now = claimed.load(std::memory_order_relaxed);
    while (now < count) {
      if (claimed.compare_exchange_weak(now, now + 1, std::memory_order_relaxed)) return true;
    }
    budget_spent.store(true, std::memory_order_relaxed);
    return false;
  }
  bool issuing(Clock::time_point now) const {
    return now < stop_at && !budget_spent.load(std::memory_order_relaxed) && !interrupted();
  }
};

struct Pending {
  Command command;
  Clock::time_point due;       // latency runs from here
  Clock::time_point deadline;  // set when written
  bool measured = false;
};

class Worker {
 public:
  Worker(const LoadOptions& options, Shared& shared, unsigned index)
      : options_(options), shared_(shared), index_(index), sweeper_(io_), arrival_timer_(io_),
        rng_(core::derive_seed(options.seed, 0xa1100000ULL + index)) {
    const std::size_t targets = options.targets.size();
    const std::size_t stride = static_cast<std::size_t>(options.threads) * targets;
    for (std::size_t t = 0; t < targets; ++t) {
      sources_.emplace_back(options.workload, options.seed, index * targets + t, stride);
    }
    backlog_cap_ = options.max_backlog;
    shot_cap_ = std::max<std::size_t>(1, options.max_connections / options.threads);
  }

  void run();
  void merge_into(LoadResult& result) const;

  std::atomic<std::uint64_t> issued{0}, completed{0}, errors{0};
  std::atomic<bool> done{false};

 private:
  struct Connection {
    explicit Connection(asio::io_context& io, std::size_t target_index, std::size_t max_reply)
        : socket(io), wake(io), target(target_index), replies(max_reply) {}
    tcp::socket socket;
    asio::steady_timer wake;
    std::size_t target;
    std::deque<Pending> queue;    // due, not yet written
    std::deque<Pending> pending;  // written, awaiting their replies in order
    ReplyAssembler replies;
    bool connected = false;
    bool connecting = false;
    Clock::time_point connect_deadline;
    bool reading = false;
    bool timed_out = false;
    bool finished = false;
  };
  struct Shot {
    explicit Shot(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    Clock::time_point deadline;
    bool timed_out = false;
  };

  asio::awaitable<void> persistent_loop(Connection& conn);
  asio::awaitable<void> read_replies(Connection& conn);
  asio::awaitable<void> one_shot(std::size_t target, Pending pending, bool dispatched);
  void loop_ended();
  asio::awaitable<void> closed_slot(std::size_t target);
  asio::awaitable<void> arrivals();
  asio::awaitable<void> sweep();

  Pending make(std::size_t target, Clock::time_point due);
  void dispatch(Pending pending);
  void start_shot(std::size_t target, Pending pending);
  void finish(const Pending& pending, std::size_t target, const Verdict& verdict,
              Clock::time_point now);
  void fail(const Pending& pending, std::size_t target, ErrorKind kind, const std::string& detail,
            Clock::time_point now);
  void fail_all(std::deque<Pending>& commands, std::size_t target, ErrorKind kind,
                const std::string& detail);
  void top_up(Connection& conn);
  [[nodiscard]] bool closed_loop() const { return options_.rate_per_s <= 0; }
  [[nodiscard]] const std::string& name(std::size_t target) const {
    return options_.targets[target].text;
  }

  const LoadOptions& options_;
  Shared& shared_;
  unsigned index_;
  asio::io_context io_;
  asio::steady_timer sweeper_;
  asio::steady_timer arrival_timer_;
  core::Prng rng_;
  std::vector<CommandSource> sources_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::list<Shot*> shots_;  // in flight, for the sweeper
  std::deque<std::pair<std::size_t, Pending>> shot_backlog_;
  std::size_t backlog_cap_ = 0;
  std::size_t shot_cap_ = 1;
  std::size_t active_shots_ = 0;  // dispatched connections open, against shot_cap_
  std::size_t next_connection_ = 0;  // open loop: round robin over connections / targets
  std::size_t loops_ = 0;            // coroutines that issue or carry commands
  bool stop_signalled_ = false;

  LoadResult stats_;
  Clock::time_point last_measured_end_{};
};

void Worker::run() {
  const std::size_t targets = options_.targets.size();
  const std::size_t threads = options_.threads;
  if (options_.style == ConnectionStyle::persistent) {
    for (std::size_t j = index_; j < options_.connections; j += threads) {
      connections_.push_back(
          std::make_unique<Connection>(io_, j % targets, options_.max_reply_bytes));
    }
    for (auto& conn : connections_) {
      ++loops_;
      asio::co_spawn(io_, persistent_loop(*conn), asio::detached);
    }
  } else if (closed_loop()) {
    const std::size_t slots = options_.connections * options_.outstanding;
    for (std::size_t j = index_; j < slots; j += threads) {
      ++loops_;
      asio::co_spawn(io_, closed_slot(j % targets), asio::detached);
    }
  }
  if (!closed_loop()) {
    ++loops_;
    asio::co_spawn(io_, arrivals(), asio::detached);
  }
  asio::co_spawn(io_, sweep(), asio::detached);
  io_.run();
  for (const auto& source : sources_) stats_.whatsat_substituted += source.whatsat_substituted();
  done.store(true);
}

Pending Worker::make(std::size_t target, Clock::time_point due) {
  Pending p;
  p.command = sources_[target].next(wall_clock_ns());
  p.due = due;
  p.measured = due >= shared_.warmup_end;
  issued.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void Worker::finish(const Pending& p, std::size_t target, const Verdict& verdict,
                    Clock::time_point now) {
  if (!verdict.ok) {
    fail(p, target, verdict.error, verdict.detail, now);
    return;
  }
  if (p.command.kind == CommandKind::iamat) sources_[target].acknowledge(p.command);
  completed.fetch_add(1, std::memory_order_relaxed);
  if (!p.measured) {
    ++stats_.warmup_commands;
    return;
  }
  KindStats& kind = stats_.kinds[static_cast<std::size_t>(p.command.kind)];
  ++kind.issued;
  ++kind.ok;
  const auto ns = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(now - p.due).count()));
  kind.latency.record(ns);
  stats_.latency.record(ns);
  last_measured_end_ = std::max(last_measured_end_, now);
}

void Worker::fail(const Pending& p, std::size_t target, ErrorKind kind, const std::string& detail,
                  Clock::time_point now) {
  completed.fetch_add(1, std::memory_order_relaxed);
  errors.fetch_add(1, std::memory_order_relaxed);
  if (options_.on_failure) {
    options_.on_failure(Failure{target, p.command.kind, kind, p.due, now, p.measured, detail});
  }
  std::string& example = stats_.error_examples[static_cast<std::size_t>(kind)];
  if (example.empty()) example = name(target) + ": " + detail;
  if (!p.measured) {
    ++stats_.warmup_commands;
    ++stats_.warmup_errors;
    return;
  }
  KindStats& stats = stats_.kinds[static_cast<std::size_t>(p.command.kind)];
  ++stats.issued;
  ++stats.failed;
  ++stats_.errors[static_cast<std::size_t>(kind)];
  last_measured_end_ = std::max(last_measured_end_, now);
}

void Worker::fail_all(std::deque<Pending>& commands, std::size_t target, ErrorKind kind,
                      const std::string& detail) {
  const Clock::time_point now = Clock::now();
  for (const Pending& p : commands) fail(p, target, kind, detail, now);
  commands.clear();
}

// --- persistent connections -------------------------------------------------------------------

void Worker::top_up(Connection& conn) {
  if (!closed_loop()) return;
  while (conn.queue.size() + conn.pending.size() < options_.outstanding) {
    const Clock::time_point now = Clock::now();
    if (!shared_.claim(now)) return;
    conn.queue.push_back(make(conn.target, now));
  }
}

asio::awaitable<void> Worker::persistent_loop(Connection& conn) {
  boost::system::error_code ec;
  auto backoff = std::chrono::duration_cast<Clock::duration>(kFirstBackoff);
  const Target& target = options_.targets[conn.target];
  std::string batch;
  for (;;) {
    top_up(conn);
    if (conn.queue.empty() && conn.pending.empty() && !shared_.issuing(Clock::now())) break;
    if (!conn.connected && !conn.reading && !conn.queue.empty()) {
      conn.socket = tcp::socket(io_);
      ++stats_.connections_opened;
      conn.connecting = true;
      conn.timed_out = false;
      conn.connect_deadline = Clock::now() + from_seconds(options_.timeout_s);
      co_await conn.socket.async_connect(target.endpoint, ignore_errors(ec));
      conn.connecting = false;
      if (ec) {
        const ErrorKind kind = conn.timed_out ? ErrorKind::timeout
                               : ec == asio::error::connection_refused ? ErrorKind::connect_refused
                                                                       : ErrorKind::connect_failed;
        fail_all(conn.queue, conn.target, kind,
                 conn.timed_out ? "connect: no answer within " + std::to_string(options_.timeout_s) + " s"
                                : "connect: " + ec.message());
        conn.socket.close(ec);
        conn.wake.expires_after(backoff);
        co_await conn.wake.async_wait(ignore_errors(ec));
        backoff = std::min<Clock::duration>(2 * backoff, kMaxBackoff);
        continue;
      }
      backoff = kFirstBackoff;
      conn.socket.set_option(tcp::no_delay(true), ec);
      conn.connected = true;
      conn.replies.clear();
      conn.reading = true;
      asio::co_spawn(io_, read_replies(conn), asio::detached);
    }
    if (conn.connected && !conn.queue.empty()) {
      batch.clear();
      const Clock::time_point now = Clock::now();
      for (Pending& p : conn.queue) {
        batch.append(p.command.text).push_back('\n');
        p.deadline = now + from_seconds(options_.timeout_s);
        conn.pending.push_back(std::move(p));
      }
      conn.queue.clear();
      co_await asio::async_write(conn.socket, asio::buffer(batch), ignore_errors(ec));
      if (ec && conn.connected) {
        // The reader sees the socket close and accounts for what is pending.
        conn.socket.close(ec);
      }
      continue;
    }
    // Nothing to write: wait for a reply, an arrival, the reader's end or the stop, unless
    // one of them already happened while this loop was busy.
    const bool idle_end =
        conn.queue.empty() && conn.pending.empty() && !shared_.issuing(Clock::now());
    const bool can_connect = !conn.connected && !conn.reading && !conn.queue.empty();
    if (idle_end || can_connect) continue;
    conn.wake.expires_at(Clock::time_point::max());
    co_await conn.wake.async_wait(ignore_errors(ec));
  }
  conn.finished = true;
  if (conn.connected) {
    conn.socket.shutdown(tcp::socket::shutdown_send, ec);
    conn.socket.close(ec);
  }
  loop_ended();
}

asio::awaitable<void> Worker::read_replies(Connection& conn) {
  boost::system::error_code ec;
  ErrorKind cause = ErrorKind::closed_early;
  std::string detail;
  for (;;) {
    char* into = conn.replies.prepare(kReadChunk);
    const std::size_t got =
        co_await conn.socket.async_read_some(asio::buffer(into, kReadChunk), ignore_errors(ec));
    if (ec) {
      if (conn.timed_out) {
        cause = ErrorKind::timeout;
        detail = "no reply within " + std::to_string(options_.timeout_s) + " s";
      } else if (ec == asio::error::eof) {
        detail = "the server closed the connection with commands unanswered";
      } else if (ec == asio::error::connection_reset) {
        detail = "connection reset";
      } else if (ec == asio::error::operation_aborted) {
        detail = "connection closed after a failed write";
        cause = ErrorKind::io_error;
      } else {
        cause = ErrorKind::io_error;
        detail = "read: " + ec.message();
      }
      break;
    }
    conn.replies.commit(got);
    const Clock::time_point now = Clock::now();
    bool out_of_step = false;
    while (!conn.pending.empty()) {
      const auto verdict = conn.replies.next(conn.pending.front().command);
      if (!verdict) break;
      finish(conn.pending.front(), conn.target, *verdict, now);
      conn.pending.pop_front();
      if (!verdict->ok && verdict->error == ErrorKind::malformed_reply) {
        out_of_step = true;
        break;
      }
    }
    if (!out_of_step && conn.pending.empty() && conn.replies.buffered() > 0) {
      // Bytes nobody asked for: the stream cannot be trusted any more.
      out_of_step = true;
      ++stats_.unsolicited;
      std::string& example = stats_.error_examples[static_cast<std::size_t>(ErrorKind::malformed_reply)];
      if (example.empty()) example = name(conn.target) + ": bytes that answer no command";
    }
    if (out_of_step) {
      cause = ErrorKind::aborted;
      detail = "an earlier reply on this connection was malformed";
      break;
    }
    conn.wake.cancel();
  }
  conn.connected = false;
  conn.socket.close(ec);
  if (!conn.pending.empty()) {
    // The first command pending is the one that timed out, if one did; the rest only
    // shared its connection.
    if (cause == ErrorKind::timeout) {
      fail(conn.pending.front(), conn.target, ErrorKind::timeout, detail, Clock::now());
      conn.pending.pop_front();
      cause = ErrorKind::aborted;
      detail = "an earlier command on this connection timed out";
    }
    fail_all(conn.pending, conn.target, cause, detail);
  }
  conn.reading = false;
  conn.wake.cancel();
}

// --- a connection per command ----------------------------------------------------------------

asio::awaitable<void> Worker::one_shot(std::size_t target_index, Pending p, bool dispatched) {
  boost::system::error_code ec;
  const Target& target = options_.targets[target_index];
  Shot shot(io_);
  shot.deadline = Clock::now() + from_seconds(options_.timeout_s);
  p.deadline = shot.deadline;
  shots_.push_front(&shot);
  const auto registered = shots_.begin();
  ++stats_.connections_opened;
  ReplyAssembler replies(options_.max_reply_bytes);
  std::optional<Verdict> verdict;
  co_await shot.socket.async_connect(target.endpoint, ignore_errors(ec));
  if (ec) {
    const ErrorKind kind = shot.timed_out ? ErrorKind::timeout
                           : ec == asio::error::connection_refused ? ErrorKind::connect_refused
                                                                   : ErrorKind::connect_failed;
    verdict = Verdict{false, kind, "connect: " + ec.message()};
  }
  if (!verdict) {
    shot.socket.set_option(tcp::no_delay(true), ec);
    // As the graders do: the command without a newline, then half-close.
    co_await asio::async_write(shot.socket, asio::buffer(p.command.text), ignore_errors(ec));
    if (!ec) shot.socket.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      verdict = Verdict{false, shot.timed_out ? ErrorKind::timeout : ErrorKind::io_error,
                        "write: " + ec.message()};
    }
  }
  while (!verdict) {
    char* into = replies.prepare(kReadChunk);
    const std::size_t got =
        co_await shot.socket.async_read_some(asio::buffer(into, kReadChunk), ignore_errors(ec));
    replies.commit(got);
    if (ec == asio::error::eof) {
      verdict = replies.next(p.command);
      if (!verdict) {
        verdict = Verdict{false, ErrorKind::closed_early,
                          replies.has_partial() ? "the server closed the connection mid-reply"
                                                : "the server closed the connection without a reply"};
      } else if (verdict->ok && replies.buffered() > 0) {
        verdict = Verdict{false, ErrorKind::malformed_reply, "bytes after the reply"};
      }
    } else if (ec) {
      verdict = shot.timed_out ? Verdict{false, ErrorKind::timeout,
                                         "no reply within " + std::to_string(options_.timeout_s) + " s"}
                : ec == asio::error::connection_reset
                    ? Verdict{false, ErrorKind::closed_early, "connection reset"}
                    : Verdict{false, ErrorKind::io_error, "read: " + ec.message()};
    } else if (replies.buffered() > options_.max_reply_bytes) {
      verdict = Verdict{false, ErrorKind::malformed_reply,
                        "reply longer than " + std::to_string(options_.max_reply_bytes) + " bytes"};
    }
  }
  shots_.erase(registered);
  shot.socket.close(ec);
  finish(p, target_index, *verdict, Clock::now());
  if (dispatched) --active_shots_;
  // A freed connection takes the oldest command waiting for one.
  if (!shot_backlog_.empty()) {
    auto [next_target, next] = std::move(shot_backlog_.front());
    shot_backlog_.pop_front();
    start_shot(next_target, std::move(next));
  }
  loop_ended();
}

void Worker::start_shot(std::size_t target, Pending pending) {
  ++loops_;
  ++active_shots_;
  asio::co_spawn(io_, one_shot(target, std::move(pending), true), asio::detached);
}

void Worker::loop_ended() {
  if (--loops_ == 0) sweeper_.cancel();
}

asio::awaitable<void> Worker::closed_slot(std::size_t target) {
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (!shared_.claim(now)) break;
    ++loops_;  // one_shot ends it
    co_await one_shot(target, make(target, now), false);
  }
  loop_ended();
}

// --- open loop ----------------------------------------------------------------------------------

void Worker::dispatch(Pending pending) {
  if (options_.style == ConnectionStyle::persistent) {
    if (connections_.empty()) return;
    Connection& conn = *connections_[next_connection_++ % connections_.size()];
    if (conn.queue.size() + conn.pending.size() >= backlog_cap_) {
      ++stats_.skipped;
      return;
    }
    conn.queue.push_back(std::move(pending));
    conn.wake.cancel();
    return;
  }
  const std::size_t target = next_connection_++ % options_.targets.size();
  if (active_shots_ < shot_cap_) {
    start_shot(target, std::move(pending));
  } else if (shot_backlog_.size() < backlog_cap_) {
    shot_backlog_.emplace_back(target, std::move(pending));
  } else {
    ++stats_.skipped;
  }
}

asio::awaitable<void> Worker::arrivals() {
  boost::system::error_code ec;
  const double rate = options_.rate_per_s / options_.threads;
  // Evenly spaced arrivals start at once, each thread shifted so that all of them together
  // are evenly spaced too; Poisson arrivals start after their first gap.
  Clock::time_point due = shared_.start;
  if (options_.arrivals == Arrivals::fixed) due += from_seconds(index_ / options_.rate_per_s);
  auto next_gap = [&] {
    double seconds = 1.0 / rate;
    if (options_.arrivals == Arrivals::poisson) {
      // Exponential gaps; 1 - u is in (0, 1], so the log is finite.
      seconds = -std::log(1.0 - rng_.uniform_double()) / rate;
    }
    return from_seconds(seconds);
  };
  if (options_.arrivals == Arrivals::poisson) due += next_gap();
  for (;;) {
    arrival_timer_.expires_at(due);
    co_await arrival_timer_.async_wait(ignore_errors(ec));
    const Clock::time_point now = Clock::now();
    bool stop = false;
    // Every command due by now starts now, stamped with the time it was due.
    while (due <= now) {
      if (!shared_.claim(due)) {
        stop = true;
        break;
      }
      // The target is chosen at dispatch; make() needs it first for the client's source.
      const std::size_t target = options_.style == ConnectionStyle::persistent
                                     ? (connections_.empty() ? 0 : connections_[next_connection_ % connections_.size()]->target)
                                     : next_connection_ % options_.targets.size();
      dispatch(make(target, due));
      due += next_gap();
    }
    if (stop) break;
  }
  loop_ended();
  // The persistent connections may be waiting for arrivals that will not come.
  for (auto& conn : connections_) conn->wake.cancel();
}

// --- timeouts and the stop --------------------------------------------------------------------

asio::awaitable<void> Worker::sweep() {
  boost::system::error_code ec;
  // Timeouts are enforced to within a tenth of the timeout (and at most 100 ms).
  const Clock::duration tick = std::min<Clock::duration>(
      from_seconds(options_.timeout_s / 10), std::chrono::milliseconds(100));
  while (loops_ > 0) {
    sweeper_.expires_after(tick);
    co_await sweeper_.async_wait(ignore_errors(ec));
    const Clock::time_point now = Clock::now();
    for (auto& conn : connections_) {
      const bool reply_late =
          conn->connected && !conn->pending.empty() && now >= conn->pending.front().deadline;
      const bool connect_late = conn->connecting && now >= conn->connect_deadline;
      if ((reply_late || connect_late) && !conn->timed_out) {
        conn->timed_out = true;
        conn->socket.close(ec);
      }
    }
    for (Shot* shot : shots_) {
      if (now >= shot->deadline && !shot->timed_out) {
        shot->timed_out = true;
        shot->socket.close(ec);
      }
    }
    if (!stop_signalled_ && !shared_.issuing(now)) {
      stop_signalled_ = true;
      arrival_timer_.cancel();
      for (auto& conn : connections_) conn->wake.cancel();
    }
  }
}

void Worker::merge_into(LoadResult& result) const {
  for (std::size_t k = 0; k < kCommandKinds; ++k) {
    result.kinds[k].issued += stats_.kinds[k].issued;
    result.kinds[k].ok += stats_.kinds[k].ok;
    result.kinds[k].failed += stats_.kinds[k].failed;
    result.kinds[k].latency.merge(stats_.kinds[k].latency);
  }
  result.latency.merge(stats_.latency);
  for (std::size_t e = 0; e < kErrorKinds; ++e) {
    result.errors[e] += stats_.errors[e];
    if (result.error_examples[e].empty()) result.error_examples[e] = stats_.error_examples[e];
  }
  result.warmup_commands += stats_.warmup_commands;
  result.warmup_errors += stats_.warmup_errors;
  result.skipped += stats_.skipped;
  result.whatsat_substituted += stats_.whatsat_substituted;
  result.connections_opened += stats_.connections_opened;
  result.unsolicited += stats_.unsolicited;
  if (last_measured_end_ != Clock::time_point{}) {
    result.measured_s = std::max(result.measured_s, seconds_between(shared_.warmup_end, last_measured_end_));
  }
}

}  // namespace

// --- targets and options ------------------------------------------------------------------------

Target parse_target(std::string_view text) {
  const std::string shown = "target \"" + std::string(text) + "\"";
  Target target;
  target.text = std::string(text);
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw LoadError(shown + ": expected [IPv6]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) throw LoadError(shown + ": expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      throw LoadError(shown + ": an IPv6 address goes in brackets, [::1]:12001");
    }
  }
  if (host.empty()) throw LoadError(shown + ": the host is empty");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    throw LoadError(shown + ": the port must be a number from 1 to 65535");
  }
  target.host = std::string(host);
  target.port = static_cast<std::uint16_t>(value);
  return target;
}

std::vector<Target> resolve_targets(const std::vector<std::string>& texts) {
  if (texts.empty()) throw LoadError("no target given: name at least one host:port");
  asio::io_context io;
  tcp::resolver resolver(io);
  std::vector<Target> targets;
  for (const std::string& text : texts) {
    Target target = parse_target(text);
    boost::system::error_code ec;
    const auto results = resolver.resolve(target.host, std::to_string(target.port),
                                          tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      throw LoadError("target \"" + text + "\": cannot resolve " + target.host + ": " +
                      (ec ? ec.message() : std::string("no address")));
    }
    // The first IPv4 address if there is one: "localhost" often resolves to ::1 first,
    // while servers of the assignment listen on 127.0.0.1.
    target.endpoint = results.begin()->endpoint();
    for (const auto& entry : results) {
      if (entry.endpoint().address().is_v4()) {
        target.endpoint = entry.endpoint();
        break;
      }
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

const char* to_string(ConnectionStyle style) noexcept {
  return style == ConnectionStyle::persistent ? "persistent" : "per-command";
}

const char* to_string(Arrivals arrivals) noexcept {
  return arrivals == Arrivals::poisson ? "poisson" : "fixed";
}

void validate(const LoadOptions& o) {
  if (o.targets.empty()) throw LoadError("no target given: name at least one host:port");
  if (o.duration_s <= 0 && o.count == 0) {
    throw LoadError("give a duration (--duration) or a command count (--count)");
  }
  if (!(o.duration_s >= 0) || !(o.warmup_s >= 0) || !(o.rate_per_s >= 0)) {
    throw LoadError("duration, warm-up and rate must not be negative");
  }
  if (!(o.timeout_s > 0)) throw LoadError("--timeout must be positive");
  if (o.threads == 0) throw LoadError("--threads must be at least 1");
  if (o.connections == 0) throw LoadError("--connections must be at least 1");
  if (o.outstanding == 0) throw LoadError("--outstanding must be at least 1");
  if (o.max_connections == 0) throw LoadError("--max-connections must be at least 1");
  if (o.max_backlog == 0) throw LoadError("--max-backlog must be at least 1");
  if (o.max_reply_bytes < 256) throw LoadError("--max-reply-bytes must be at least 256");
  if (o.workload.whatsat_fraction < 0 || o.workload.whatsat_fraction > 1) {
    throw LoadError("--whatsat must be a fraction from 0 to 1");
  }
  if (!(o.workload.radius_km > 0) || o.workload.radius_km > 50) {
    throw LoadError("--radius must be above 0 and at most 50 (km)");
  }
  if (o.workload.bound < 1 || o.workload.bound > 20) throw LoadError("--bound must be 1 to 20");
  if (o.workload.client_prefix.empty() ||
      o.workload.client_prefix.find_first_of(" \t\r\n\f\v") != std::string::npos) {
    throw LoadError("--client-prefix must be non-empty, without white space");
  }
  const std::size_t needed = o.style == ConnectionStyle::persistent
                                 ? o.connections
                                 : (o.rate_per_s > 0 ? 0 : o.connections * o.outstanding);
  if (needed > o.max_connections) {
    throw LoadError("the load would hold " + std::to_string(needed) +
                    " connections open at once, over --max-connections " +
                    std::to_string(o.max_connections));
  }
  if (o.threads > o.max_connections) {
    throw LoadError("--threads must not exceed --max-connections");
  }
  if (o.style == ConnectionStyle::persistent && o.connections < o.threads) {
    throw LoadError("persistent style: --connections must be at least --threads");
  }
  if (o.workload.clients == 0) throw LoadError("--clients must be at least 1");
  // Each client keeps a name and a position: a cap keeps a typo from taking the memory.
  if (o.workload.clients > 1'000'000) throw LoadError("--clients must be at most 1000000");
  if (o.threads > 256) throw LoadError("--threads must be at most 256");
}

std::uint64_t LoadResult::measured() const noexcept { return ok() + failed(); }

std::uint64_t LoadResult::ok() const noexcept {
  std::uint64_t n = 0;
  for (const auto& k : kinds) n += k.ok;
  return n;
}

std::uint64_t LoadResult::failed() const noexcept {
  std::uint64_t n = 0;
  for (const auto& k : kinds) n += k.failed;
  return n;
}

double LoadResult::throughput_per_s() const noexcept {
  return measured_s > 0 ? static_cast<double>(ok()) / measured_s : 0.0;
}

LoadResult run_load(const LoadOptions& given) {
  validate(given);
  LoadOptions options = given;
  // Every (thread, target) pair needs a client of its own.
  options.workload.clients =
      std::max(options.workload.clients, static_cast<std::size_t>(options.threads) * options.targets.size());
  Shared shared;
  shared.start = Clock::now();
  shared.warmup_end = shared.start + from_seconds(options.warmup_s);
  if (options.duration_s > 0) shared.stop_at = shared.warmup_end + from_seconds(options.duration_s);
  shared.count = options.count;
  shared.interrupt = options.interrupt;

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < options.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(options, shared, i));
  }
  std::vector<std::thread> threads;
  for (auto& worker : workers) threads.emplace_back([&worker] { worker->run(); });

  auto all_done = [&] {
    return std::all_of(workers.begin(), workers.end(), [](const auto& w) { return w->done.load(); });
  };
  Clock::time_point next_report = shared.start + std::chrono::seconds(1);
  while (!all_done()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const Clock::time_point now = Clock::now();
    if (options.progress && now >= next_report) {
      next_report += std::chrono::seconds(1);
      Progress p;
      p.elapsed_s = seconds_between(shared.start, now);
      p.warming_up = now < shared.warmup_end;
      for (const auto& w : workers) {
        p.issued += w->issued.load(std::memory_order_relaxed);
        p.completed += w->completed.load(std::memory_order_relaxed);
        p.errors += w->errors.load(std::memory_order_relaxed);
      }
      p.in_flight = p.issued - std::min(p.issued, p.completed);
      options.progress(p);
    }
  }
  for (auto& thread : threads) thread.join();

  LoadResult result;
  for (const auto& worker : workers) worker->merge_into(result);
  result.wall_s = seconds_between(shared.start, Clock::now());
  return result;
}

}  // namespace herd::sim::load
