#pragma once
// Asio plumbing shared by the benchmark modes: resolved server endpoints, a line reader
// over a socket, and a join point for a group of coroutines.

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench_config.hpp"
#include "wire.hpp"

namespace herd::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A server of the herd under test, resolved once before any timing starts.
struct Target {
  std::string name;
  tcp::endpoint endpoint;
};

// Resolves every server's host and port; throws std::runtime_error naming the server.
[[nodiscard]] std::vector<Target> resolve_targets(const std::vector<ServerAddress>& servers);

// Connects with TCP_NODELAY set: commands are small and every microsecond of reply
// latency is part of what is measured.
[[nodiscard]] asio::awaitable<tcp::socket> connect_to(const Target& target);

// Writes all of `bytes`; throws std::runtime_error naming the server on failure.
[[nodiscard]] asio::awaitable<void> write_to(tcp::socket& socket, const Target& target,
                                             std::string_view bytes);

// Reads lines from a socket; throws std::runtime_error naming the server on errors and EOF.
class SocketLineReader {
 public:
  SocketLineReader(tcp::socket& socket, const Target& target)
      : socket_(socket), target_(target) {}
  // The next line without its terminator, valid until the next call.
  [[nodiscard]] asio::awaitable<std::string_view> read_line();

 private:
  tcp::socket& socket_;
  const Target& target_;
  LineBuffer buffer_;
};

// What went wrong, in one line: the message of an exception (for a system error, its
// code's message, without Boost's source location).
[[nodiscard]] std::string describe(const std::exception_ptr& error);

// Lets one coroutine wait until `count` others have called done().
class JoinCounter {
 public:
  JoinCounter(asio::any_io_executor executor, std::size_t count);
  void done();
  [[nodiscard]] asio::awaitable<void> wait();

 private:
  asio::steady_timer timer_;
  std::size_t remaining_;
};

}  // namespace herd::bench
