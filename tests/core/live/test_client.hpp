#pragma once
// A blocking TCP client for tests against live servers, with a deadline on every call so a
// broken server fails a test instead of hanging it. Two styles, as servers must serve
// (docs/protocol.md#connection-styles):
// grader (one command, half-close, read to EOF) and telnet (a line, its answer, the next).

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace herd::live::testing {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct TestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How a connection ended when we read it to the end.
enum class End { eof, reset, timeout };

struct ReadResult {
  std::string bytes;
  End end = End::timeout;
};

class TestClient {
 public:
  // Connects to 127.0.0.1:port; receive_buffer_bytes > 0 shrinks SO_RCVBUF first (for a
  // client that should look like a slow reader). Throws TestError.
  explicit TestClient(std::uint16_t port, int receive_buffer_bytes = 0,
                      Clock::duration timeout = 2s);
  ~TestClient();
  TestClient(TestClient&& other) noexcept;
  TestClient& operator=(TestClient&&) = delete;
  TestClient(const TestClient&) = delete;

  // Writes everything or throws TestError (a reset or the timeout).
  void send(std::string_view bytes, Clock::duration timeout = 2s);
  // Writes as much as the peer takes; returns how many bytes went out before an error.
  std::size_t send_until_error(std::string_view bytes, Clock::duration timeout = 5s);
  void shutdown_write();
  // Reads up to and including the first `delimiter`; throws TestError on EOF or timeout.
  std::string read_until(std::string_view delimiter, Clock::duration timeout = 2s);
  std::string read_line(Clock::duration timeout = 2s) { return read_until("\n", timeout); }
  // Reads until the server closes (or resets) the connection, or the timeout.
  ReadResult read_to_end(Clock::duration timeout = 2s);
  // True when the server has not closed the connection: nothing to read, no EOF.
  [[nodiscard]] bool still_open();
  void close();

 private:
  int fd_ = -1;
  std::string buffer_;  // read but not yet returned
};

// Grader style: connect, write `command` (no newline added), shut down the write side,
// read until the server closes. Throws TestError if it does not close in time.
[[nodiscard]] std::string grader_request(std::uint16_t port, std::string_view command,
                                         Clock::duration timeout = 3s);

}  // namespace herd::live::testing
