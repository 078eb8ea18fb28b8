#include "convergence_check.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace herd::bench {

namespace {

// A backlogged herd needs its CPU to catch up: do not poll it in a tight loop.
constexpr auto kPollPause = std::chrono::milliseconds(2);
constexpr auto kAbortGrace = std::chrono::seconds(2);

struct ServerCheck {
  const Target* target = nullptr;
  bool done = false;
  Clock::time_point done_at;
};

asio::awaitable<void> check_server(ServerCheck& check, const std::vector<FinalUpdate>& updates,
                                   Clock::time_point give_up, ConvergenceResult& result) {
  tcp::socket socket = co_await connect_to(*check.target);
  SocketLineReader lines(socket, *check.target);
  WhatsatReplyParser whatsat;
  asio::steady_timer pause(socket.get_executor());
  for (const FinalUpdate& update : updates) {
    const std::string command = "WHATSAT " + update.client + " 1 1\n";
    for (;;) {
      if (Clock::now() >= give_up) {
        if (result.first_error.empty()) {
          result.first_error = check.target->name + " never showed \"" + update.at_line + "\"";
        }
        co_return;
      }
      co_await write_to(socket, *check.target, command);
      std::optional<WhatsatReplyParser::Reply> reply;
      while (!reply) reply = whatsat.feed(co_await lines.read_line());
      ++result.polls;
      if (reply->outcome == WhatsatReplyParser::Outcome::malformed) {
        throw std::runtime_error("malformed WHATSAT reply from " + check.target->name);
      }
      if (reply->outcome == WhatsatReplyParser::Outcome::found &&
          reply->at_line == update.at_line) {
        break;
      }
      pause.expires_after(kPollPause);
      co_await pause.async_wait(asio::use_awaitable);
    }
  }
  check.done = true;
  check.done_at = Clock::now();
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

ConvergenceResult wait_for_convergence(const std::vector<Target>& targets,
                                       const std::vector<FinalUpdate>& updates,
                                       Clock::duration timeout) {
  ConvergenceResult result;
  asio::io_context io;
  const Clock::time_point give_up = Clock::now() + timeout;
  std::vector<ServerCheck> checks(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    checks[i].target = &targets[i];
    asio::co_spawn(io, check_server(checks[i], updates, give_up, result),
                   [&result](const std::exception_ptr& error) {
                     if (error && result.first_error.empty()) {
                       result.first_error = describe(error);
                     }
                   });
  }
  // Every check ends by itself at `give_up` unless a server stops answering altogether.
  io.run_until(give_up + kAbortGrace);
  result.converged = std::all_of(checks.begin(), checks.end(),
                                 [](const ServerCheck& check) { return check.done; });
  for (const ServerCheck& check : checks) {
    if (check.done) result.converged_at = std::max(result.converged_at, check.done_at);
  }
  if (!result.converged && result.first_error.empty()) {
    result.first_error = "the herd did not converge in time";
  }
  return result;
}

}  // namespace herd::bench
