#pragma once
// The wire formats of docs/protocol.md, with no I/O: splitting a byte stream into lines,
// parsing client commands and peer messages, and rendering the replies byte for byte.
//
// Parsed commands hold string_views into the line they came from, because every operand a
// client sends is echoed back verbatim; the caller keeps the line alive while it uses them.

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "herd/core/time.hpp"

namespace herd::core {

// The protocol's white space (docs/protocol.md#framing): space, tab, CR, LF, form feed,
// vertical tab.
[[nodiscard]] constexpr bool is_protocol_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

struct GeoPoint {
  double lat_deg = 0;
  double lng_deg = 0;
};

// "+34.068930-118.445127": each part signed, decimal degrees, in range.
[[nodiscard]] std::optional<GeoPoint> parse_iso6709(std::string_view text) noexcept;
// POSIX seconds with an optional fraction of at most 9 digits, to integer nanoseconds.
[[nodiscard]] std::optional<Nanoseconds> parse_posix_time_ns(std::string_view text) noexcept;
// A WHATSAT radius in km: a finite decimal in (0, 50].
[[nodiscard]] std::optional<double> parse_radius_km(std::string_view text) noexcept;
// A WHATSAT information bound: an integer in [1, 20].
[[nodiscard]] std::optional<int> parse_bound(std::string_view text) noexcept;
// The AT line's time difference: explicit sign, seconds, 9 decimals ("+0.263873386").
[[nodiscard]] std::string format_time_diff(Nanoseconds diff_ns);
// Inverse of format_time_diff, strict: used to validate peer messages.
[[nodiscard]] bool is_time_diff(std::string_view text) noexcept;

struct IamatCommand {
  std::string_view client;
  std::string_view coords;       // verbatim, for the echo
  std::string_view client_time;  // verbatim, for the echo
  GeoPoint position;
  Nanoseconds client_time_ns = 0;
};

struct WhatsatCommand {
  std::string_view client;
  double radius_km = 0;
  int bound = 0;
};

// First line of a server-to-server connection: "HERD 1 <sender> [<auth>]".
struct PeerGreeting {
  std::string_view sender;
  std::string_view auth;
};

struct InvalidLine {};

using ClientLine = std::variant<InvalidLine, IamatCommand, WhatsatCommand, PeerGreeting>;

// Classifies one line (terminator already removed) received on a client connection.
[[nodiscard]] ClientLine parse_client_line(std::string_view line) noexcept;

// "AT <origin> <diff> <client> <coords> <client-time> <hops>": a location update between
// servers. Its first six fields are exactly the AT line the origin sent its client.
struct PeerUpdate {
  std::string_view at_line;  // the first six fields, as the client saw them
  std::string_view origin;
  std::string_view diff;
  std::string_view client;
  std::string_view coords;
  std::string_view client_time;
  GeoPoint position;
  Nanoseconds client_time_ns = 0;
  std::uint32_t hops = 0;
};

inline constexpr std::uint32_t kMaxHops = 1'000'000;

[[nodiscard]] std::optional<PeerUpdate> parse_peer_update(std::string_view line) noexcept;
// parse_peer_update in two steps, for a server that can settle most messages from the
// fields alone. split_peer_update checks the shape (the verb, seven fields, a valid hop
// count) and places the field views, leaving position and client_time_ns unset;
// check_peer_update_values then validates the time difference, coordinates and client
// timestamp and fills those two in. A line passes both exactly when parse_peer_update
// accepts it, and the results are then equal.
[[nodiscard]] std::optional<PeerUpdate> split_peer_update(std::string_view line) noexcept;
[[nodiscard]] bool check_peer_update_values(PeerUpdate& update) noexcept;
// The same without the hop count: an AT line as a client receives it (hops is 0).
[[nodiscard]] std::optional<PeerUpdate> parse_at_line(std::string_view line) noexcept;
// Its shape only, as split_peer_update: for a line validated before (a stored one).
[[nodiscard]] std::optional<PeerUpdate> split_at_line(std::string_view line) noexcept;

// "AT <origin> <diff> <client> <coords> <client-time>", the reply to an IAMAT.
[[nodiscard]] std::string format_at_line(std::string_view origin, Nanoseconds diff_ns,
                                         std::string_view client, std::string_view coords,
                                         std::string_view client_time);

// A places answer as WHATSAT sends it: runs of newlines collapsed to one, trailing
// newlines removed (docs/protocol.md#whatsat). The reply is then
// at_line + "\n" + this + "\n\n".
[[nodiscard]] std::string normalize_places_json(std::string_view json);

// Bytes from a client or a friend as a log may show them, whatever was sent: control bytes,
// DEL and backslash become escapes (\xNN, \\), everything else is copied.
void append_printable(std::string& out, std::string_view text);
[[nodiscard]] std::string printable(std::string_view text);
// The same for a log message that quotes a rejected line: at most kLogExcerptBytes of it,
// then "..." if it was longer.
inline constexpr std::size_t kLogExcerptBytes = 120;
[[nodiscard]] std::string log_excerpt(std::string_view line);

// Splits a byte stream into lines. A line ends at LF; one CR before the LF is part of the
// terminator. Lines longer than the limit are reported once as an overflow and the stream
// is not read further (the server closes such connections).
//
// Every connection of a server holds one, so it is kept small (40 bytes, not the 72 a
// std::string buffer and size_t offsets took): its buffer is a bare allocation with 32-bit
// size and offsets. A buffer that would pass 4 GiB counts as an overflow, whatever the limit.
class LineFramer {
 public:
  explicit LineFramer(std::size_t max_line_bytes) noexcept
      : max_line_bytes_(clamp_limit(max_line_bytes)) {}

  void append(std::string_view bytes);
  // Feeds bytes and hands every complete line to on_line (which returns false to stop: the
  // rest of the input is then dropped). Whole lines are taken straight from `bytes` when
  // nothing is buffered, so the common read of complete lines copies nothing; only an
  // unterminated tail is kept. Check overflowed() afterwards.
  template <typename OnLine>
  void feed(std::string_view bytes, OnLine&& on_line) {
    if (overflowed_) return;
    if (discarding_) {
      // The rest of an overlong line being skipped (skip_overlong_lines).
      const std::size_t lf = bytes.find('\n');
      if (lf == std::string_view::npos) return;
      bytes.remove_prefix(lf + 1);
      discarding_ = false;
      count_skipped();
    }
    if (buffered_bytes() == 0) {
      std::size_t start = 0;
      for (std::size_t lf; (lf = bytes.find('\n', start)) != std::string_view::npos;) {
        std::string_view line = bytes.substr(start, lf - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        start = lf + 1;
        if (line.size() > max_line_bytes_) {
          if (skip_overlong_) {
            count_skipped();
            continue;
          }
          overflowed_ = true;
          return;
        }
        if (!on_line(line)) return;
      }
      bytes.remove_prefix(start);
      if (bytes.empty()) return;
    }
    append(bytes);
    while (auto line = next_line()) {
      if (!on_line(*line)) return;
    }
  }
  // The next complete line, valid until the next call to append() or next_line().
  [[nodiscard]] std::optional<std::string_view> next_line();
  // After end of stream: the final unterminated line, if any bytes are left.
  [[nodiscard]] std::optional<std::string_view> take_rest();
  [[nodiscard]] bool overflowed() const noexcept { return overflowed_; }
  // The limit may change between lines (a connection that turns out to be a friend's link
  // gets the peer limit); it applies from the next line on.
  void set_max_line_bytes(std::size_t max_line_bytes) noexcept {
    max_line_bytes_ = clamp_limit(max_line_bytes);
  }
  [[nodiscard]] std::size_t max_line_bytes() const noexcept { return max_line_bytes_; }
  // From now on a line over the limit is dropped, counted in skipped_lines(), and framing
  // goes on after its LF, instead of stopping with overflowed(). For friends' links: one
  // rejected line must not cost the link (and make the friend redial and resend it).
  void skip_overlong_lines() noexcept { skip_overlong_ = true; }
  // Counts up to 2^32 - 1 and stays there.
  [[nodiscard]] std::uint64_t skipped_lines() const noexcept { return skipped_lines_; }
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return size_ - start_; }

 private:
  static constexpr std::uint32_t kMaxBuffer = 0xFFFF'FFFFu;
  // The limit as the framer keeps it: 2 below 2^32 at most, so limit + 1 fits too.
  [[nodiscard]] static std::uint32_t clamp_limit(std::size_t limit) noexcept {
    return static_cast<std::uint32_t>(std::min<std::size_t>(limit, kMaxBuffer - 2));
  }
  void count_skipped() noexcept {
    if (skipped_lines_ != kMaxBuffer) ++skipped_lines_;
  }
  void clear_buffer() noexcept { size_ = start_ = scan_from_ = 0; }

  std::unique_ptr<char[]> data_;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
  std::uint32_t start_ = 0;       // first byte not yet returned
  std::uint32_t scan_from_ = 0;   // bytes before this (from start_) hold no LF
  std::uint32_t max_line_bytes_;
  std::uint32_t skipped_lines_ = 0;
  bool overflowed_ = false;
  bool skip_overlong_ = false;
  bool discarding_ = false;  // skipping the unterminated rest of an overlong line
};

}  // namespace herd::core
