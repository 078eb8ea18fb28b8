#include "test_client.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace herd::live::testing {

namespace {

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw TestError(std::string("poll: ") + std::strerror(errno));
  }
}

}  // namespace

TestClient::TestClient(std::uint16_t port, int receive_buffer_bytes, Clock::duration timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw TestError(std::string("socket: ") + std::strerror(errno));
  if (receive_buffer_bytes > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw TestError("connect to port " + std::to_string(port) + ": " + why);
    }
    const bool ready = wait_for(fd_, POLLOUT, Clock::now() + timeout);
    int error = ETIMEDOUT;
    socklen_t length = sizeof error;
    if (ready) ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      ::close(fd_);
      throw TestError("connect to port " + std::to_string(port) + ": " + std::strerror(error));
    }
  }
}

TestClient::~TestClient() { close(); }

TestClient::TestClient(TestClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

void TestClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TestClient::send(std::string_view bytes, Clock::duration timeout) {
  const std::size_t sent = send_until_error(bytes, timeout);
  if (sent != bytes.size()) {
    throw TestError("send: only " + std::to_string(sent) + " of " + std::to_string(bytes.size()) +
                    " bytes went out");
  }
}

std::size_t TestClient::send_until_error(std::string_view bytes, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd_, POLLOUT, deadline)) break;
    } else {
      break;
    }
  }
  return sent;
}

void TestClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

std::string TestClient::read_until(std::string_view delimiter, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const auto at = buffer_.find(delimiter); at != std::string::npos) {
      std::string out = buffer_.substr(0, at + delimiter.size());
      buffer_.erase(0, at + delimiter.size());
      return out;
    }
    if (!wait_for(fd_, POLLIN, deadline)) {
      throw TestError("timed out waiting for a reply; got so far: " + buffer_);
    }
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0) {
      throw TestError("connection closed while waiting for a reply; got so far: " + buffer_);
    } else if (errno != EAGAIN && errno != EINTR) {
      throw TestError(std::string("recv: ") + std::strerror(errno) + "; got so far: " + buffer_);
    }
  }
}

ReadResult TestClient::read_to_end(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  ReadResult result;
  result.bytes = std::exchange(buffer_, {});
  for (;;) {
    if (!wait_for(fd_, POLLIN, deadline)) {
      result.end = End::timeout;
      return result;
    }
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      result.bytes.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0) {
      result.end = End::eof;
      return result;
    } else if (errno != EAGAIN && errno != EINTR) {
      result.end = End::reset;
      return result;
    }
  }
}

bool TestClient::still_open() {
  char byte = 0;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK);
  return n < 0 && errno == EAGAIN;
}

std::string grader_request(std::uint16_t port, std::string_view command,
                           Clock::duration timeout) {
  TestClient client(port);
  client.send(command);
  client.shutdown_write();
  ReadResult result = client.read_to_end(timeout);
  if (result.end == End::timeout) {
    throw TestError("server did not close after answering; got: " + result.bytes);
  }
  return result.bytes;
}

}  // namespace herd::live::testing
