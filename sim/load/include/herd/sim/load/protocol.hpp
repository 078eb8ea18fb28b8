#pragma once
// The client side of the herd client protocol (docs/protocol.md#client-protocol) as a load
// generator needs it, without I/O: seeded clients that make IAMAT and WHATSAT commands, a
// reply assembler that cuts replies out of a byte stream, and the checks every reply must
// pass. The checks are written from the protocol text, not with herd_core's codec, so a
// bug in the server's codec cannot hide behind the same bug in its checker, and they hold
// for any server that speaks the protocol (herd-server, the Python reference herd).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herd/core/prng.hpp"

namespace herd::sim::load {

enum class CommandKind : std::uint8_t { iamat, whatsat };
inline constexpr std::size_t kCommandKinds = 2;
[[nodiscard]] const char* to_string(CommandKind kind) noexcept;

// Why a command failed. Every issued command ends either answered well or with one of these.
enum class ErrorKind : std::uint8_t {
  connect_refused,  // the target refused the connection (nothing listens)
  connect_failed,   // any other connect failure (unreachable, timed out in the kernel, ...)
  timeout,          // no complete reply within the per-command timeout
  question_reply,   // the server answered "? ...": it rejected the command
  malformed_reply,  // a reply that breaks the protocol, or does not answer this command
  closed_early,     // the connection ended (EOF or reset) before the reply was complete
  io_error,         // a write or read failed otherwise
  aborted,          // given up because an earlier command on its connection failed
};
inline constexpr std::size_t kErrorKinds = 8;
[[nodiscard]] const char* to_string(ErrorKind kind) noexcept;

struct Command {
  CommandKind kind = CommandKind::iamat;
  std::string text;      // the command line, without a terminator
  std::string operands;  // IAMAT: "<client> <coords> <time>", echoed in the AT reply
  std::string client;    // whose location it sets or asks for
  std::size_t client_index = 0;  // in its CommandSource
  unsigned bound = 0;    // WHATSAT: the most places the reply may list
};

// One client's moving position and rising clock.
struct ClientState {
  std::string name;
  double lat = 0, lon = 0;
  std::int64_t last_time_ns = 0;
  bool acknowledged = false;  // some IAMAT of it got a well-formed AT reply
};

struct WorkloadOptions {
  std::size_t clients = 100;
  double whatsat_fraction = 0.0;  // share of commands that are WHATSATs, in [0, 1]
  double radius_km = 10;           // WHATSAT radius, in (0, 50]
  unsigned bound = 5;              // WHATSAT bound, in [1, 20]
  std::string client_prefix = "load";
};

// Makes commands for a set of clients, from a seed. Client names and starting points come
// from the seed alone; each IAMAT moves its client a little (also seeded) and carries the
// wall-clock time, kept strictly rising per client so every IAMAT is a new update. A
// WHATSAT asks about a client whose IAMAT this target has acknowledged; while there is none
// the command is an IAMAT instead (counted in `whatsat_substituted`).
class CommandSource {
 public:
  // `first_client` and `stride` pick this source's share of the clients (client i belongs to
  // the source with i % stride == first_client), so several threads never share one.
  CommandSource(const WorkloadOptions& options, std::uint64_t seed, std::size_t first_client = 0,
                std::size_t stride = 1);

  [[nodiscard]] Command next(std::int64_t wall_ns);
  // The reply to this IAMAT was well formed: its client may now be asked about.
  void acknowledge(const Command& iamat);
  [[nodiscard]] std::uint64_t whatsat_substituted() const noexcept { return substituted_; }
  [[nodiscard]] const std::vector<ClientState>& clients() const noexcept { return clients_; }

 private:
  WorkloadOptions options_;
  core::Prng rng_;
  std::vector<ClientState> clients_;
  std::vector<std::size_t> known_;  // indexes of acknowledged clients
  std::uint64_t substituted_ = 0;
};

// "+34.068930-118.445127": ISO 6709 style, six decimals, both signs.
[[nodiscard]] std::string format_coords(double lat, double lon);
// "1621464827.959498503": POSIX seconds with nine decimals.
[[nodiscard]] std::string format_posix_time(std::int64_t ns);
// Nanoseconds since the POSIX epoch, from the wall clock.
[[nodiscard]] std::int64_t wall_clock_ns();

// How a reply was judged.
struct Verdict {
  bool ok = false;
  ErrorKind error = ErrorKind::malformed_reply;  // when !ok
  std::string detail;                            // when !ok: what was wrong, for the first-error line
};

// "+0.263873386": an explicit sign, digits, a point and exactly nine digits.
[[nodiscard]] bool is_time_diff(std::string_view text) noexcept;
// "+34.068930-118.445127": two signed decimals, latitude in [-90, 90], longitude in [-180, 180].
[[nodiscard]] bool is_coords(std::string_view text) noexcept;
// "1621464827.959498503": optional sign, digits, optionally a point and 1 to 9 digits.
[[nodiscard]] bool is_client_time(std::string_view text) noexcept;

// The IAMAT reply: exactly "AT <server> <diff> <operands as sent>", single spaces.
[[nodiscard]] Verdict check_iamat_reply(std::string_view line, std::string_view operands);
// A WHATSAT reply's parts: its AT line must be a well-formed AT line of `client`; its body
// a JSON object with a "results" array of at most `bound` places and a "status" string.
[[nodiscard]] Verdict check_whatsat_reply(std::string_view at_line, std::string_view json,
                                          std::string_view client, unsigned bound);

// Cuts the replies to a sequence of commands out of the bytes a connection delivers: an
// IAMAT's reply is one line; a WHATSAT's is either one "? " line or an AT line, the JSON
// and an empty line. Lines end at LF (a CR before it is dropped). Memory is bounded: a
// reply longer than `max_reply_bytes` is malformed.
class ReplyAssembler {
 public:
  explicit ReplyAssembler(std::size_t max_reply_bytes) : max_reply_bytes_(max_reply_bytes) {}

  // Room to receive into.
  [[nodiscard]] char* prepare(std::size_t bytes);
  void commit(std::size_t bytes) noexcept { end_ += bytes; }
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - start_; }

  // The next complete reply to `command`, judged; nullopt when more bytes are needed.
  // After a malformed verdict the stream is out of step: close the connection.
  [[nodiscard]] std::optional<Verdict> next(const Command& command);
  // At end of input: a reply cut short (some bytes of it arrived) or never started.
  [[nodiscard]] bool has_partial() const noexcept { return end_ > start_ || in_whatsat_body_; }
  void clear() noexcept;

 private:
  [[nodiscard]] std::optional<std::string_view> next_line();
  std::string buffer_;
  std::size_t start_ = 0;
  std::size_t end_ = 0;
  std::size_t scanned_ = 0;  // bytes after start_ already searched for a LF
  std::size_t max_reply_bytes_;
  bool in_whatsat_body_ = false;
  std::string at_line_;
  std::string body_;
};

}  // namespace herd::sim::load
