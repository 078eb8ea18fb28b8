#include "herd/core/codec.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace herd::core {
namespace {

[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Where the protocol white space is in a line of at most 128 bytes, found 16 bytes at a time
// without a branch per byte: bit i is set when line[i] is white space, and every bit from
// the line's end on is set, so a field ends there too. Splitting lines on a byte-by-byte
// loop mispredicts a branch at every field boundary, and servers split every line they get.
class SpaceMask {
 public:
  static constexpr std::size_t kMaxBytes = 128;

  explicit SpaceMask(std::string_view line) noexcept {
    const std::size_t full = line.size() / 16;
    std::uint64_t words[2] = {0, 0};
    for (std::size_t block = 0; block < full; ++block) {
      words[block / 4] |= std::uint64_t{block_bits(line.data() + block * 16)} << (16 * (block % 4));
    }
    if (line.size() % 16 != 0 && line.size() >= 16) {
      // The last 16 bytes, overlapping the last full block: their bits land where they
      // belong, and the overlap sets nothing new.
      const std::size_t at = line.size() - 16;
      const std::uint64_t bits = block_bits(line.data() + at);
      words[at / 64] |= bits << (at % 64);
      if (at % 64 > 48) words[at / 64 + 1] |= bits >> (64 - at % 64);
    } else if (line.size() < 16) {
      std::uint64_t bits = 0;
      for (std::size_t i = 0; i < line.size(); ++i) {
        bits |= std::uint64_t{is_protocol_space(line[i])} << i;
      }
      words[0] = bits;
    }
    // Everything from the end on counts as white space.
    const std::size_t n = line.size();
    if (n < 64) {
      words[0] |= ~std::uint64_t{0} << n;
      words[1] = ~std::uint64_t{0};
    } else if (n < 128) {
      words[1] |= ~std::uint64_t{0} << (n - 64);
    }
    low_ = words[0];
    high_ = words[1];
  }

  // First position at or after `pos` that is (or is not) white space; kMaxBytes if none.
  [[nodiscard]] std::size_t next_space(std::size_t pos) const noexcept { return next(pos, false); }
  [[nodiscard]] std::size_t next_text(std::size_t pos) const noexcept { return next(pos, true); }

 private:
  static std::uint32_t block_bits(const char* p) noexcept {
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // ' ', or '\t' through '\r' (0x09 to 0x0d), compared as unsigned bytes.
    const __m128i space = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
    const __m128i ge_tab = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x09)), v);
    const __m128i le_cr = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x0d)), v);
    return static_cast<std::uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(space, _mm_and_si128(ge_tab, le_cr))));
#else
    std::uint32_t bits = 0;
    for (int i = 0; i < 16; ++i) bits |= std::uint32_t{is_protocol_space(p[i])} << i;
    return bits;
#endif
  }

  [[nodiscard]] std::size_t next(std::size_t pos, bool text) const noexcept {
    if (pos < 64) {
      std::uint64_t w = (text ? ~low_ : low_) >> pos;
      if (w != 0) return pos + static_cast<std::size_t>(std::countr_zero(w));
      pos = 64;
    }
    if (pos >= kMaxBytes) return kMaxBytes;
    std::uint64_t w = (text ? ~high_ : high_) >> (pos - 64);
    return w != 0 ? pos + static_cast<std::size_t>(std::countr_zero(w)) : kMaxBytes;
  }

  std::uint64_t low_ = 0;
  std::uint64_t high_ = 0;
};

// Splits a line into at most N+1 fields on protocol white space. `count` is the true number
// of fields, so callers can reject lines with too many.
template <std::size_t N>
struct Fields {
  std::array<std::string_view, N> at{};
  std::size_t count = 0;
};

template <std::size_t N>
[[nodiscard]] Fields<N> split_fields(std::string_view line) noexcept {
  Fields<N> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_protocol_space(line[i])) ++i;
    if (i == line.size()) break;
    std::size_t start = i;
    while (i < line.size() && !is_protocol_space(line[i])) ++i;
    if (fields.count < N) fields.at[fields.count] = line.substr(start, i - start);
    ++fields.count;
  }
  return fields;
}

// A plain decimal: digits, optionally '.' and at least one more digit. No sign, no
// exponent, no "inf"/"nan": every number on the wire is written this way.
[[nodiscard]] bool is_plain_decimal(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == 0) return false;
  if (i == text.size()) return true;
  if (text[i] != '.') return false;
  ++i;
  std::size_t fraction_start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  return i == text.size() && i > fraction_start;
}

// Exact powers of ten: every one up to 1e22 is a double without rounding. A decimal whose
// digits, read as an integer m, stay below 2^53 with at most 22 of them after the point is
// m / 10^f with both operands exact, and one IEEE division rounds that correctly: the same
// double from_chars gives, without its general machinery (Clinger's fast path).
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

[[nodiscard]] std::optional<double> to_double(std::string_view text) noexcept {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// "[+-]decimal", the sign mandatory, as ISO 6709 writes each coordinate. Reads the digits
// and checks the syntax in one pass (this runs twice for every update a server parses).
[[nodiscard]] std::optional<double> parse_signed_degrees(std::string_view text) noexcept {
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  constexpr std::uint64_t kExactLimit = std::uint64_t{1} << 53;
  std::uint64_t mantissa = 0;
  std::size_t i = 1, int_digits = 0, fraction_digits = 0;
  bool exact = true;
  for (; i < text.size() && is_digit(text[i]); ++i, ++int_digits) {
    exact = exact && mantissa < kExactLimit / 10;
    mantissa = mantissa * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (int_digits == 0) return std::nullopt;
  if (i < text.size()) {
    if (text[i] != '.') return std::nullopt;
    for (++i; i < text.size() && is_digit(text[i]); ++i, ++fraction_digits) {
      exact = exact && mantissa < kExactLimit / 10;
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(text[i] - '0');
    }
    if (fraction_digits == 0 || i != text.size()) return std::nullopt;
  }
  double magnitude = 0;
  if (exact && fraction_digits < std::size(kExactPowersOfTen)) {
    magnitude = static_cast<double>(mantissa) / kExactPowersOfTen[fraction_digits];
  } else if (auto general = to_double(text.substr(1))) {
    magnitude = *general;
  } else {
    return std::nullopt;
  }
  return text[0] == '-' ? -magnitude : magnitude;
}

// Whether the plain decimal "digits[.digits]" is above the whole number `limit`, decided on
// its digits: a double rounds 90.00000000000000000001 to 90.
[[nodiscard]] bool decimal_above(std::string_view digits, std::uint64_t limit) noexcept {
  const auto point = digits.find('.');
  std::string_view whole = digits.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view{} : digits.substr(point + 1);
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  if (whole.size() > 19) return true;  // beyond any limit we check, and beyond uint64
  std::uint64_t value = 0;
  for (char d : whole) value = value * 10 + static_cast<std::uint64_t>(d - '0');
  if (value != limit) return value > limit;
  return fraction.find_first_not_of('0') != std::string_view::npos;
}

}  // namespace

std::optional<GeoPoint> parse_iso6709(std::string_view text) noexcept {
  // The longitude starts at the second sign; the latitude's own sign is at position 0.
  std::size_t split = 1;
  while (split < text.size() && text[split] != '+' && text[split] != '-') ++split;
  if (split >= text.size()) return std::nullopt;
  auto lat = parse_signed_degrees(text.substr(0, split));
  auto lng = parse_signed_degrees(text.substr(split));
  if (!lat || !lng) return std::nullopt;
  if (*lat < -90.0 || *lat > 90.0 || *lng < -180.0 || *lng > 180.0) return std::nullopt;
  // At the edge the doubles may have rounded: decide on the digits.
  if ((std::fabs(*lat) == 90.0 && decimal_above(text.substr(1, split - 1), 90)) ||
      (std::fabs(*lng) == 180.0 && decimal_above(text.substr(split + 1), 180))) {
    return std::nullopt;
  }
  return GeoPoint{*lat, *lng};
}

std::optional<Nanoseconds> parse_posix_time_ns(std::string_view text) noexcept {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  // One pass: "digits[.digits]", at most 9 fraction digits. Seconds must fit in int64
  // nanoseconds with room for the fraction: |t| < 9.2e9 s, so at most 10 significant digits.
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / kNanosPerSecond - 1;
  std::size_t i = 0, significant = 0;
  std::int64_t seconds = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    if (significant > 0 || text[i] != '0') ++significant;
    if (significant > 10) return std::nullopt;
    seconds = seconds * 10 + (text[i] - '0');
  }
  if (i == 0 || seconds > kMaxSeconds) return std::nullopt;
  std::int64_t nanos = 0;
  std::size_t fraction_digits = 0;
  if (i < text.size()) {
    if (text[i] != '.') return std::nullopt;
    for (++i; i < text.size() && is_digit(text[i]); ++i) {
      if (++fraction_digits > 9) return std::nullopt;
      nanos = nanos * 10 + (text[i] - '0');
    }
    if (fraction_digits == 0 || i != text.size()) return std::nullopt;
  }
  constexpr std::int64_t kScale[] = {1000000000, 100000000, 10000000, 1000000, 100000,
                                     10000,      1000,      100,      10,      1};
  Nanoseconds total = seconds * kNanosPerSecond + nanos * kScale[fraction_digits];
  return negative ? -total : total;
}

std::optional<double> parse_radius_km(std::string_view text) noexcept {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (!is_plain_decimal(text)) return std::nullopt;
  auto value = to_double(text);
  if (!value || *value <= 0.0 || *value > 50.0) return std::nullopt;
  if (*value == 50.0 && decimal_above(text, 50)) return std::nullopt;  // 50.000...001
  return value;
}

std::optional<int> parse_bound(std::string_view text) noexcept {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty() || text.size() > 3) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 20) return std::nullopt;
  return value;
}

std::string format_time_diff(Nanoseconds diff_ns) {
  // Work in unsigned magnitude so INT64_MIN does not overflow on negation.
  std::uint64_t magnitude = diff_ns < 0 ? 0 - static_cast<std::uint64_t>(diff_ns)
                                        : static_cast<std::uint64_t>(diff_ns);
  std::uint64_t seconds = magnitude / kNanosPerSecond;
  std::uint64_t nanos = magnitude % kNanosPerSecond;
  std::array<char, 40> buf{};
  char* p = buf.data();
  *p++ = diff_ns < 0 ? '-' : '+';
  p = std::to_chars(p, buf.data() + buf.size(), seconds).ptr;
  *p++ = '.';
  for (int i = 8; i >= 0; --i) {
    p[i] = static_cast<char>('0' + nanos % 10);
    nanos /= 10;
  }
  p += 9;
  return std::string(buf.data(), p);
}

bool is_time_diff(std::string_view text) noexcept {
  if (text.size() < 12 || (text[0] != '+' && text[0] != '-')) return false;
  text.remove_prefix(1);
  std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 11) return false;
  if (text.size() - dot - 1 != 9) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i != dot && !is_digit(text[i])) return false;
  }
  return true;
}

ClientLine parse_client_line(std::string_view line) noexcept {
  auto fields = split_fields<4>(line);
  if (fields.count == 0) return InvalidLine{};
  std::string_view verb = fields.at[0];
  if (verb == "IAMAT" && fields.count == 4) {
    auto position = parse_iso6709(fields.at[2]);
    auto time_ns = parse_posix_time_ns(fields.at[3]);
    if (!position || !time_ns) return InvalidLine{};
    return IamatCommand{fields.at[1], fields.at[2], fields.at[3], *position, *time_ns};
  }
  if (verb == "WHATSAT" && fields.count == 4) {
    auto radius = parse_radius_km(fields.at[2]);
    auto bound = parse_bound(fields.at[3]);
    if (!radius || !bound) return InvalidLine{};
    return WhatsatCommand{fields.at[1], *radius, *bound};
  }
  if (verb == "HERD" && (fields.count == 3 || fields.count == 4) && fields.at[1] == "1") {
    return PeerGreeting{fields.at[2], fields.count == 4 ? fields.at[3] : std::string_view{}};
  }
  return InvalidLine{};
}

namespace {

// The same questions answered byte by byte, for lines longer than a SpaceMask covers.
class SpaceScan {
 public:
  explicit SpaceScan(std::string_view line) noexcept : line_(line) {}
  [[nodiscard]] std::size_t next_space(std::size_t pos) const noexcept {
    while (pos < line_.size() && !is_protocol_space(line_[pos])) ++pos;
    return pos;
  }
  [[nodiscard]] std::size_t next_text(std::size_t pos) const noexcept {
    while (pos < line_.size() && is_protocol_space(line_[pos])) ++pos;
    return pos;
  }

 private:
  std::string_view line_;
};

// Fields of an update line: "AT <origin> <diff> <client> <coords> <client-time>" and, for a
// peer update, " <hops>". Any run of protocol white space separates fields, as everywhere
// in the protocol. One pass over the bytes: every peer message a server receives comes here.
template <typename Spaces>
std::optional<PeerUpdate> parse_update_fields(std::string_view line, bool with_hops,
                                              const Spaces& spaces) noexcept {
  std::size_t pos = 0;
  auto skip_space = [&]() __attribute__((always_inline)) {
    pos = std::min(spaces.next_text(pos), line.size());
  };
  auto field = [&]() __attribute__((always_inline)) -> std::string_view {
    skip_space();
    std::size_t start = pos;
    pos = std::min(spaces.next_space(pos), line.size());
    return line.substr(start, pos - start);
  };
  std::string_view verb = field();
  if (verb != "AT") return std::nullopt;
  PeerUpdate update;
  update.origin = field();
  update.diff = field();
  update.client = field();
  update.coords = field();
  update.client_time = field();
  if (update.client_time.empty()) return std::nullopt;  // fewer than six fields
  const char* at_end = line.data() + pos;
  if (with_hops) {
    std::string_view hops_text = field();
    if (hops_text.empty() || hops_text.size() > 7) return std::nullopt;
    std::uint32_t hops = 0;
    for (char c : hops_text) {
      if (!is_digit(c)) return std::nullopt;
      hops = hops * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (hops == 0 || hops > kMaxHops) return std::nullopt;
    update.hops = hops;
  }
  skip_space();
  if (pos != line.size()) return std::nullopt;  // more fields than expected
  update.at_line = std::string_view(verb.data(), static_cast<std::size_t>(at_end - verb.data()));
  return update;
}

std::optional<PeerUpdate> split_update_fields(std::string_view line, bool with_hops) noexcept {
  if (line.size() <= SpaceMask::kMaxBytes) {
    return parse_update_fields(line, with_hops, SpaceMask(line));
  }
  return parse_update_fields(line, with_hops, SpaceScan(line));
}

std::optional<PeerUpdate> parse_update_fields(std::string_view line, bool with_hops) noexcept {
  auto update = split_update_fields(line, with_hops);
  if (!update || !check_peer_update_values(*update)) return std::nullopt;
  return update;
}

}  // namespace

std::optional<PeerUpdate> split_peer_update(std::string_view line) noexcept {
  return split_update_fields(line, true);
}

bool check_peer_update_values(PeerUpdate& update) noexcept {
  if (!is_time_diff(update.diff)) return false;
  auto position = parse_iso6709(update.coords);
  auto time_ns = parse_posix_time_ns(update.client_time);
  if (!position || !time_ns) return false;
  update.position = *position;
  update.client_time_ns = *time_ns;
  return true;
}

std::optional<PeerUpdate> parse_peer_update(std::string_view line) noexcept {
  return parse_update_fields(line, true);
}

std::optional<PeerUpdate> parse_at_line(std::string_view line) noexcept {
  return parse_update_fields(line, false);
}

std::optional<PeerUpdate> split_at_line(std::string_view line) noexcept {
  return split_update_fields(line, false);
}

std::string format_at_line(std::string_view origin, Nanoseconds diff_ns, std::string_view client,
                           std::string_view coords, std::string_view client_time) {
  std::string diff = format_time_diff(diff_ns);
  std::string line;
  line.reserve(3 + origin.size() + 1 + diff.size() + 1 + client.size() + 1 + coords.size() + 1 +
               client_time.size());
  line.append("AT ").append(origin).append(" ").append(diff).append(" ").append(client);
  line.append(" ").append(coords).append(" ").append(client_time);
  return line;
}

std::string normalize_places_json(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '\n' && !out.empty() && out.back() == '\n') continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

namespace {

[[nodiscard]] constexpr bool needs_escape(char ch) noexcept {
  auto byte = static_cast<unsigned char>(ch);
  return byte < 0x20 || byte == 0x7f || ch == '\\';
}

}  // namespace

// Log files must stay readable whatever a client sends. Runs of ordinary bytes (nearly
// every line) are copied in one piece: this is on every logged line's path.
void append_printable(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!needs_escape(text[i])) continue;
    out.append(text.substr(start, i - start));
    auto byte = static_cast<unsigned char>(text[i]);
    if (text[i] == '\\') {
      out.append("\\\\");
    } else {
      out.append("\\x").push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
    start = i + 1;
  }
  out.append(text.substr(start));
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_printable(out, text);
  return out;
}

std::string log_excerpt(std::string_view line) {
  std::string out = printable(line.substr(0, kLogExcerptBytes));
  if (line.size() > kLogExcerptBytes) out += "...";
  return out;
}

void LineFramer::append(std::string_view bytes) {
  if (overflowed_) return;
  // Drop consumed bytes before growing, so a long-lived connection's buffer stays small.
  if (start_ > 0 && (start_ == size_ || start_ >= 4096)) {
    std::memmove(data_.get(), data_.get() + start_, size_ - start_);
    size_ -= start_;
    start_ = 0;
  }
  if (bytes.empty()) return;
  if (bytes.size() > kMaxBuffer - size_) {
    overflowed_ = true;  // 4 GiB buffered: over any limit the framer keeps
    return;
  }
  const std::uint32_t needed = size_ + static_cast<std::uint32_t>(bytes.size());
  if (needed > capacity_) {
    const std::uint64_t doubled = std::uint64_t{capacity_} * 2;
    const auto capacity = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(kMaxBuffer, std::max<std::uint64_t>({doubled, needed, 64})));
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
  size_ = needed;
}

std::optional<std::string_view> LineFramer::next_line() {
  for (;;) {
    if (overflowed_) return std::nullopt;
    const std::string_view buffered(data_.get(), size_);
    const std::size_t lf = buffered.find('\n', std::size_t{start_} + scan_from_);
    if (lf == std::string_view::npos) {
      scan_from_ = size_ - start_;
      // +1: the line may still end in the CR of a CRLF whose LF has not arrived.
      if (std::size_t{scan_from_} > std::size_t{max_line_bytes_} + 1) {
        if (!skip_overlong_) {
          overflowed_ = true;
          return std::nullopt;
        }
        // Drop what arrived of it; feed() drops the rest up to its LF.
        clear_buffer();
        discarding_ = true;
      }
      return std::nullopt;
    }
    std::string_view line = buffered.substr(start_, lf - start_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line_bytes_) {
      if (!skip_overlong_) {
        overflowed_ = true;
        return std::nullopt;
      }
      count_skipped();
      start_ = static_cast<std::uint32_t>(lf + 1);
      scan_from_ = 0;
      continue;
    }
    start_ = static_cast<std::uint32_t>(lf + 1);
    scan_from_ = 0;
    return line;
  }
}

std::optional<std::string_view> LineFramer::take_rest() {
  if (discarding_) {
    discarding_ = false;
    count_skipped();
    return std::nullopt;
  }
  if (overflowed_ || start_ == size_) return std::nullopt;
  std::string_view line(data_.get() + start_, size_ - start_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > max_line_bytes_) {
    if (skip_overlong_) {
      count_skipped();
      start_ = size_;
      return std::nullopt;
    }
    overflowed_ = true;
    return std::nullopt;
  }
  start_ = size_;
  scan_from_ = 0;
  return line;
}

}  // namespace herd::core
