#include "pipelined_load.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace herd::bench {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// A paced connection sends at most this often, so a low rate does not cost a wake-up
// per command and a high one still spreads evenly.
constexpr auto kPacingTick = std::chrono::milliseconds(1);

}  // namespace

struct PipelinedLoad::Connection {
  Connection(asio::io_context& io, const Target& server, IamatSource source)
      : socket(io), wake(io), target(server), iamat(std::move(source)) {}

  struct Pending {
    std::string operands;
    Clock::time_point sent_at;
  };

  tcp::socket socket;
  asio::steady_timer wake;  // the writer sleeps on it; the reader cancels it to make room
  const Target& target;
  IamatSource iamat;
  std::deque<Pending> pending;
  LineBuffer replies;
  std::string client_id;
  std::string last_at_line;
  std::uint64_t paced_sent = 0;
  bool connected = false;
  bool closed = false;
};

PipelinedLoad::PipelinedLoad(asio::io_context& io, std::vector<Target> targets,
                             PipelinedLoadOptions options)
    : io_(io), targets_(std::move(targets)), options_(std::move(options)) {
  options_.window = std::max<std::size_t>(options_.window, 1);
  options_.connections_per_server = std::max<std::size_t>(options_.connections_per_server, 1);
}

PipelinedLoad::~PipelinedLoad() = default;

void PipelinedLoad::measure_between(Clock::time_point begin, Clock::time_point end) {
  measure_begin_ = begin;
  measure_end_ = end;
}

void PipelinedLoad::start() {
  started_ = true;
  paced_start_ = Clock::now();
  totals_.started_at = paced_start_;
  for (std::size_t c = 0; c < options_.connections_per_server; ++c) {
    for (const Target& target : targets_) {
      std::string id = options_.client_prefix + "-" + target.name + "-" + std::to_string(c);
      connections_.push_back(std::make_unique<Connection>(io_, target, IamatSource(id, options_.coords)));
      connections_.back()->client_id = std::move(id);
    }
  }
  open_connections_ = connections_.size();
  for (auto& conn : connections_) {
    asio::co_spawn(io_, run_connection(*conn), [this](const std::exception_ptr& error) {
      if (error) note_error(describe(error));
    });
  }
}

void PipelinedLoad::stop() {
  if (stopping_) return;
  stopping_ = true;
  stopped_at_ = Clock::now();
  for (auto& conn : connections_) conn->wake.cancel();
}

void PipelinedLoad::abort() {
  stop();
  for (auto& conn : connections_) {
    boost::system::error_code ignored;
    conn->socket.close(ignored);
  }
}

std::vector<FinalUpdate> PipelinedLoad::final_updates() const {
  std::vector<FinalUpdate> updates;
  for (const auto& conn : connections_) {
    if (!conn->last_at_line.empty()) updates.push_back({conn->client_id, conn->last_at_line});
  }
  return updates;
}

void PipelinedLoad::note_error(const std::string& what) {
  if (totals_.first_error.empty()) totals_.first_error = what;
}

asio::awaitable<void> PipelinedLoad::run_connection(Connection& conn) {
  boost::system::error_code ec;
  co_await conn.socket.async_connect(conn.target.endpoint,
                                     asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    ++totals_.connection_errors;
    note_error("connect to " + conn.target.name + ": " + ec.message());
    --open_connections_;
    co_return;
  }
  conn.socket.set_option(tcp::no_delay(true), ec);
  conn.connected = true;
  // The writer runs beside the reader; the reader owns the connection's lifetime.
  asio::co_spawn(io_, write_commands(conn), asio::detached);
  co_await read_replies(conn);
  conn.closed = true;
  conn.wake.cancel();
  totals_.unanswered += conn.pending.size();
  --open_connections_;
}

std::size_t PipelinedLoad::commands_to_send(Connection& conn, Clock::time_point now,
                                            Clock::duration& wait) {
  const std::size_t room = options_.window - std::min(options_.window, conn.pending.size());
  std::size_t count = room;
  wait = Clock::duration::max();  // until the reader makes room
  if (options_.rate_per_s > 0) {
    const double rate = options_.rate_per_s / static_cast<double>(connections_.size());
    const double elapsed_s = seconds_between(paced_start_, now);
    auto due = static_cast<std::uint64_t>(std::floor(rate * elapsed_s));
    // A herd slower than the target rate must not build an unbounded backlog here.
    const std::uint64_t backlog_cap = 4 * options_.window;
    if (due > conn.paced_sent + backlog_cap) {
      totals_.skipped += due - conn.paced_sent - backlog_cap;
      conn.paced_sent = due - backlog_cap;
    }
    const std::uint64_t owed = due - std::min(due, conn.paced_sent);
    count = static_cast<std::size_t>(std::min<std::uint64_t>(owed, room));
    if (owed == 0) {
      const double next_s = static_cast<double>(conn.paced_sent + 1) / rate - elapsed_s;
      wait = std::max<Clock::duration>(
          kPacingTick, std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(next_s)));
    }
  }
  if (options_.max_commands > 0) {
    const std::uint64_t left = options_.max_commands - std::min(options_.max_commands, totals_.sent);
    count = static_cast<std::size_t>(std::min<std::uint64_t>(count, left));
    if (left == 0) stop();
  }
  return count;
}

asio::awaitable<void> PipelinedLoad::write_commands(Connection& conn) {
  std::string batch;
  boost::system::error_code ec;
  while (!stopping_ && !conn.closed) {
    const Clock::time_point now = Clock::now();
    Clock::duration wait{};
    const std::size_t count = commands_to_send(conn, now, wait);
    if (count == 0) {
      if (stopping_) break;
      if (wait == Clock::duration::max()) {
        conn.wake.expires_at(Clock::time_point::max());
      } else {
        conn.wake.expires_after(wait);
      }
      co_await conn.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    batch.clear();
    for (std::size_t i = 0; i < count; ++i) {
      std::string operands = conn.iamat.next_operands();
      batch.append("IAMAT ").append(operands).append("\n");
      conn.pending.push_back({std::move(operands), now});
    }
    totals_.sent += count;
    conn.paced_sent += count;
    co_await asio::async_write(conn.socket, asio::buffer(batch),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!stopping_) {
        ++totals_.connection_errors;
        note_error("write to " + conn.target.name + ": " + ec.message());
      }
      break;
    }
  }
  // Half-close: the server answers everything it received, then closes.
  conn.socket.shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> PipelinedLoad::read_replies(Connection& conn) {
  boost::system::error_code ec;
  for (;;) {
    char* into = conn.replies.prepare(kReadChunk);
    const std::size_t got = co_await conn.socket.async_read_some(
        asio::buffer(into, conn.replies.writable()), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
        ++totals_.connection_errors;
        note_error("read from " + conn.target.name + ": " + ec.message());
      } else if (!stopping_) {
        ++totals_.connection_errors;
        note_error(conn.target.name + " closed a persistent connection mid-run");
      }
      co_return;
    }
    conn.replies.commit(got);
    const Clock::time_point now = Clock::now();
    totals_.last_reply_at = now;
    const bool measured = now >= measure_begin_ && now < measure_end_;
    while (auto line = conn.replies.next_line()) {
      if (conn.pending.empty()) {
        ++totals_.invalid;
        note_error("unexpected line from " + conn.target.name + ": " + std::string(*line));
        continue;
      }
      const Connection::Pending& owed = conn.pending.front();
      if (is_at_reply(*line, conn.target.name, owed.operands)) {
        conn.last_at_line.assign(*line);
      } else {
        ++totals_.invalid;
        note_error("bad reply from " + conn.target.name + " to IAMAT " + owed.operands + ": " +
                   std::string(*line));
      }
      ++totals_.replies;
      if (measured) {
        ++totals_.measured_replies;
        totals_.latency.add((now - owed.sent_at).count());
      }
      conn.pending.pop_front();
    }
    if (conn.replies.overflowed()) {
      ++totals_.invalid;
      note_error("over-long reply line from " + conn.target.name);
      co_return;
    }
    conn.wake.cancel();
  }
}

}  // namespace herd::bench
