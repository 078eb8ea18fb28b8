#include "per_command_load.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace herd::bench {

namespace {

constexpr std::size_t kMaxReplyBytes = 64 * 1024;
// After a failed connect a worker pauses, so a refusing server is not hammered in a loop.
constexpr auto kRetryPause = std::chrono::milliseconds(10);

}  // namespace

PerCommandLoad::PerCommandLoad(asio::io_context& io, std::vector<Target> targets,
                               PerCommandOptions options)
    : io_(io), targets_(std::move(targets)), options_(std::move(options)) {
  options_.workers_per_server = std::max<std::size_t>(options_.workers_per_server, 1);
}

void PerCommandLoad::measure_between(Clock::time_point begin, Clock::time_point end) {
  measure_begin_ = begin;
  measure_end_ = end;
}

void PerCommandLoad::start() {
  started_ = true;
  totals_.started_at = Clock::now();
  const std::size_t workers = options_.workers_per_server * targets_.size();
  in_use_.assign(workers, nullptr);
  last_updates_.assign(workers, FinalUpdate{});
  active_workers_ = workers;
  for (std::size_t i = 0; i < workers; ++i) {
    asio::co_spawn(io_, run_worker(i), [this](const std::exception_ptr& error) {
      if (error) note_error(describe(error));
    });
  }
}

void PerCommandLoad::stop() {
  if (stopping_) return;
  stopping_ = true;
  stopped_at_ = Clock::now();
}

void PerCommandLoad::abort() {
  stop();
  for (tcp::socket* socket : in_use_) {
    boost::system::error_code ignored;
    if (socket != nullptr) socket->close(ignored);
  }
}

std::vector<FinalUpdate> PerCommandLoad::final_updates() const {
  std::vector<FinalUpdate> updates;
  for (const FinalUpdate& update : last_updates_) {
    if (!update.at_line.empty()) updates.push_back(update);
  }
  return updates;
}

void PerCommandLoad::note_error(const std::string& what) {
  if (totals_.first_error.empty()) totals_.first_error = what;
}

asio::awaitable<void> PerCommandLoad::run_worker(std::size_t index) {
  const Target& target = targets_[index % targets_.size()];
  const std::string client = options_.client_prefix + "-" + std::to_string(index);
  IamatSource iamat(client, options_.coords);
  last_updates_[index].client = client;
  asio::steady_timer pause(io_);
  while (!stopping_) {
    if (options_.max_commands > 0 && totals_.started >= options_.max_commands) {
      stop();
      break;
    }
    tcp::socket socket(io_);
    in_use_[index] = &socket;
    const bool ok = co_await one_command(target, iamat, socket, last_updates_[index]);
    in_use_[index] = nullptr;
    if (!ok && !stopping_) {
      pause.expires_after(kRetryPause);
      boost::system::error_code ignored;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }
  --active_workers_;
}

asio::awaitable<bool> PerCommandLoad::one_command(const Target& target, IamatSource& iamat,
                                                  tcp::socket& socket, FinalUpdate& last) {
  boost::system::error_code ec;
  const Clock::time_point begin = Clock::now();
  ++totals_.started;
  co_await socket.async_connect(target.endpoint, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    ++totals_.connection_errors;
    note_error("connect to " + target.name + ": " + ec.message());
    co_return false;
  }
  socket.set_option(tcp::no_delay(true), ec);
  // Like the graders: one command, no trailing newline, then half-close.
  const std::string operands = iamat.next_operands();
  const std::string command = "IAMAT " + operands;
  co_await asio::async_write(socket, asio::buffer(command),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    ++totals_.connection_errors;
    note_error("write to " + target.name + ": " + ec.message());
    co_return false;
  }
  std::string reply;
  co_await asio::async_read(socket, asio::dynamic_buffer(reply, kMaxReplyBytes),
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec != asio::error::eof) {
    ++totals_.connection_errors;
    note_error("read from " + target.name + ": " + ec.message());
    co_return false;
  }
  const Clock::time_point end = Clock::now();
  totals_.last_reply_at = end;
  ++totals_.completed;
  const std::string_view text(reply);
  const bool one_line = text.size() > 1 && text.back() == '\n' &&
                        text.find('\n') == text.size() - 1;
  if (one_line && is_at_reply(text.substr(0, text.size() - 1), target.name, operands)) {
    last.at_line.assign(text.substr(0, text.size() - 1));
  } else {
    ++totals_.invalid;
    note_error("bad reply from " + target.name + " to IAMAT " + operands + ": " + reply);
  }
  if (end >= measure_begin_ && end < measure_end_) {
    ++totals_.measured_completed;
    totals_.latency.add((end - begin).count());
  }
  co_return true;
}

}  // namespace herd::bench
