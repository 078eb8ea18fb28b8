#include "net.hpp"

#include <stdexcept>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace herd::bench {

std::vector<Target> resolve_targets(const std::vector<ServerAddress>& servers) {
  asio::io_context io;
  tcp::resolver resolver(io);
  std::vector<Target> targets;
  for (const ServerAddress& server : servers) {
    boost::system::error_code ec;
    auto results = resolver.resolve(server.host, std::to_string(server.port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error("cannot resolve server " + server.name + " (" + server.host +
                               "): " + ec.message());
    }
    targets.push_back({server.name, results.begin()->endpoint()});
  }
  return targets;
}

asio::awaitable<tcp::socket> connect_to(const Target& target) {
  tcp::socket socket(co_await asio::this_coro::executor);
  boost::system::error_code ec;
  co_await socket.async_connect(target.endpoint, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    throw std::runtime_error("connect to " + target.name + " (" +
                             target.endpoint.address().to_string() + ":" +
                             std::to_string(target.endpoint.port()) + "): " + ec.message());
  }
  socket.set_option(tcp::no_delay(true), ec);
  co_return socket;
}

asio::awaitable<void> write_to(tcp::socket& socket, const Target& target,
                               std::string_view bytes) {
  boost::system::error_code ec;
  co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw std::runtime_error("write to " + target.name + ": " + ec.message());
}

asio::awaitable<std::string_view> SocketLineReader::read_line() {
  constexpr std::size_t kReadChunk = 16 * 1024;
  for (;;) {
    if (auto line = buffer_.next_line()) co_return *line;
    if (buffer_.overflowed()) throw std::runtime_error(target_.name + " sent an over-long line");
    char* into = buffer_.prepare(kReadChunk);
    boost::system::error_code ec;
    const std::size_t got = co_await socket_.async_read_some(
        asio::buffer(into, buffer_.writable()), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) throw std::runtime_error(target_.name + " closed the connection");
    if (ec) throw std::runtime_error("read from " + target_.name + ": " + ec.message());
    buffer_.commit(got);
  }
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code().message();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

JoinCounter::JoinCounter(asio::any_io_executor executor, std::size_t count)
    : timer_(std::move(executor)), remaining_(count) {
  timer_.expires_at(asio::steady_timer::time_point::max());
}

void JoinCounter::done() {
  if (remaining_ > 0 && --remaining_ == 0) timer_.cancel();
}

asio::awaitable<void> JoinCounter::wait() {
  while (remaining_ > 0) {
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace herd::bench
