#pragma once
// The client side of the herd wire protocol as the benchmark needs it, with no I/O:
// generating IAMAT operands that are always a new update, checking that a reply is the
// exact AT line for the command it answers, and framing replies out of a byte stream.
//
// herd-bench checks replies itself rather than with herd_core's codec, so a bug in the
// server's codec cannot hide behind the same bug in its checker.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "herd/sim/load/protocol.hpp"

namespace herd::bench {

// The wall clock, POSIX times and time differences as herd-load formats and checks them
// (sim/load/protocol.hpp).
using herd::sim::load::format_posix_time;
using herd::sim::load::is_time_diff;
using herd::sim::load::wall_clock_ns;


// A short id that differs between runs, so updates of one run never collide with the
// records a herd kept from an earlier run.
[[nodiscard]] std::string run_nonce();

// One simulated client: a fixed id and coordinates, and a client time that rises with
// every command, so each IAMAT is newer than the last and floods the whole herd.
class IamatSource {
 public:
  IamatSource(std::string client_id, std::string coords);
  // "<client> <coords> <time>": the operands of the next IAMAT, echoed in its AT reply.
  [[nodiscard]] std::string next_operands();

 private:
  std::string client_id_;
  std::string coords_;
  std::int64_t last_ns_ = 0;
};


// True when `line` is exactly "AT <server> <diff> <operands>": the reply that `server`
// owes to the IAMAT with these operands.
[[nodiscard]] bool is_at_reply(std::string_view line, std::string_view server,
                               std::string_view operands) noexcept;

// True when `line` is "AT <some server> <diff> <operands>": a stored AT line of the
// update with these operands, whichever server received it.
[[nodiscard]] bool is_at_line_for(std::string_view line, std::string_view operands) noexcept;

// Splits received bytes into lines (LF terminated, one CR before it dropped).
class LineBuffer {
 public:
  explicit LineBuffer(std::size_t max_line_bytes = 64 * 1024)
      : max_line_bytes_(max_line_bytes) {}

  // Room to receive into: at least `min_bytes` writable bytes at the end of the buffer.
  [[nodiscard]] char* prepare(std::size_t min_bytes);
  [[nodiscard]] std::size_t writable() const noexcept { return buffer_.size() - end_; }
  void commit(std::size_t bytes) noexcept { end_ += bytes; }

  // The next complete line, valid until the next prepare(); nullopt when none is complete.
  [[nodiscard]] std::optional<std::string_view> next_line();
  // A line longer than the limit arrived: the peer is not speaking the protocol.
  [[nodiscard]] bool overflowed() const noexcept { return overflowed_; }
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return end_ - start_; }

 private:
  std::string buffer_;
  std::size_t start_ = 0;
  std::size_t end_ = 0;
  std::size_t max_line_bytes_;
  bool overflowed_ = false;
};

// Reassembles WHATSAT replies line by line: either "? <command>" (the server does not
// know the client yet) or the stored AT line, the places JSON and an empty line.
class WhatsatReplyParser {
 public:
  enum class Outcome { unknown_client, found, malformed };
  struct Reply {
    Outcome outcome = Outcome::malformed;
    std::string at_line;  // when found
  };

  // Feeds one line; returns the reply once its last line has been fed.
  [[nodiscard]] std::optional<Reply> feed(std::string_view line);

 private:
  bool in_body_ = false;
  std::size_t body_lines_ = 0;
  std::string at_line_;
};

}  // namespace herd::bench
