// Durations, rates and speeds as written in scenario files and on the command line.
// Durations are converted in integer arithmetic: a double cannot hold every nanosecond of
// an hour-long run, and "0.1s" must be exactly 100'000'000 ns on every platform.

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "herd/config/units.hpp"

namespace herd::config {
namespace {

constexpr std::string_view kDurationHint =
    "a duration such as \"1.5s\" or \"250ms\" (a number and one of ns us ms s m h)";

// A unit is coefficient × 10^exponent nanoseconds; keeping the power of ten separate lets
// the fraction be divided exactly.
struct DurationUnit {
  std::string_view suffix;
  std::int64_t coefficient;
  int exponent;
};

// Longest suffixes first so "ms" is not read as "m" followed by garbage.
constexpr std::array<DurationUnit, 7> kDurationUnits{{
    {"ns", 1, 0},
    {"us", 1, 3},
    {"\xC2\xB5s", 1, 3},  // µs
    {"ms", 1, 6},
    {"s", 1, 9},
    {"m", 6, 10},
    {"h", 36, 11},
}};

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

[[noreturn]] void bad_duration(std::string_view text, std::string_view why = {}) {
  std::string message = "expected " + std::string(kDurationHint) + ", got " + in_quotes(text);
  if (!why.empty()) message += " (" + std::string(why) + ")";
  throw std::invalid_argument(message);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::int64_t pow10(int exponent) {
  std::int64_t result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

// Multiplies and adds with an overflow check; the message names the input.
std::int64_t mul_checked(std::int64_t a, std::int64_t b, std::string_view text) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) bad_duration(text, "too large for 64-bit nanoseconds");
  return out;
}

std::int64_t add_checked(std::int64_t a, std::int64_t b, std::string_view text) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) bad_duration(text, "too large for 64-bit nanoseconds");
  return out;
}

Nanoseconds parse_unsigned_duration(std::string_view text, std::string_view whole) {
  std::size_t pos = 0;
  std::int64_t integer_part = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    integer_part = add_checked(mul_checked(integer_part, 10, whole), text[pos] - '0', whole);
    ++pos;
  }
  if (pos == 0) bad_duration(whole);
  std::string_view fraction;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    fraction = text.substr(start, pos - start);
    if (fraction.empty()) bad_duration(whole);
  }
  const std::string_view suffix = text.substr(pos);
  const DurationUnit* unit = nullptr;
  for (const auto& candidate : kDurationUnits) {
    if (suffix == candidate.suffix) unit = &candidate;
  }
  if (unit == nullptr) {
    bad_duration(whole,
                 suffix.empty() ? "the unit is missing" : "unknown unit " + in_quotes(suffix));
  }

  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  // A fraction with more than 13 significant digits is never a whole number of ns for
  // these units (at most 2^2 of the 10^k can come from the coefficient), so 15 is safe.
  if (fraction.size() > 15) bad_duration(whole, "finer than one nanosecond");
  std::int64_t fraction_digits = 0;
  for (char c : fraction) fraction_digits = fraction_digits * 10 + (c - '0');
  const auto fraction_places = static_cast<int>(fraction.size());

  // value = (integer + digits / 10^places) × coefficient × 10^exponent
  Nanoseconds fraction_ns = 0;
  const std::int64_t scaled = fraction_digits * unit->coefficient;  // < 10^15 × 36
  if (fraction_places <= unit->exponent) {
    fraction_ns = mul_checked(scaled, pow10(unit->exponent - fraction_places), whole);
  } else {
    const std::int64_t divisor = pow10(fraction_places - unit->exponent);
    if (scaled % divisor != 0) bad_duration(whole, "finer than one nanosecond");
    fraction_ns = scaled / divisor;
  }
  const Nanoseconds whole_ns = mul_checked(mul_checked(integer_part, unit->coefficient, whole),
                                           pow10(unit->exponent), whole);
  return add_checked(whole_ns, fraction_ns, whole);
}

// A non-negative finite decimal number filling all of `text`.
double parse_plain_number(std::string_view text, std::string_view whole, std::string_view hint) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value)) {
    throw std::invalid_argument("expected " + std::string(hint) + ", got " + in_quotes(whole));
  }
  if (value < 0) {
    throw std::invalid_argument("must not be negative, got " + in_quotes(whole));
  }
  return value;
}

// "<number>/<unit>" or "<number><unit>" with one of the given units; a bare number uses
// the first unit.
struct UnitScale {
  std::string_view suffix;
  double factor;
};

template <std::size_t N>
double parse_scaled(std::string_view text, const std::array<UnitScale, N>& units,
                    std::string_view hint) {
  for (const auto& unit : units) {
    if (unit.suffix.empty() || text.size() <= unit.suffix.size()) continue;
    if (text.substr(text.size() - unit.suffix.size()) == unit.suffix) {
      return parse_plain_number(text.substr(0, text.size() - unit.suffix.size()), text, hint) *
             unit.factor;
    }
  }
  return parse_plain_number(text, text, hint);
}

void append_decimal(std::string& out, std::uint64_t whole, std::uint64_t fraction, int places) {
  out += std::to_string(whole);
  if (fraction == 0) return;
  std::string digits = std::to_string(fraction);
  digits.insert(0, static_cast<std::size_t>(places) - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  out += '.';
  out += digits;
}

}  // namespace

Nanoseconds parse_duration(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    bad_duration(text, "durations here cannot carry a sign");
  }
  return parse_unsigned_duration(text, text);
}

Nanoseconds parse_signed_duration(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    const Nanoseconds magnitude = parse_unsigned_duration(text.substr(1), text);
    return text.front() == '-' ? -magnitude : magnitude;
  }
  return parse_unsigned_duration(text, text);
}

std::string format_duration(Nanoseconds duration_ns) {
  std::string sign;
  auto magnitude = static_cast<std::uint64_t>(duration_ns);
  if (duration_ns < 0) {
    sign = "-";
    magnitude = ~magnitude + 1;  // two's complement negation, safe for INT64_MIN
  }
  if (magnitude == 0) return "0s";
  // Whole minutes and hours read best as such; anything else in the largest decimal unit.
  constexpr std::uint64_t kMinute = 60ULL * 1'000'000'000ULL;
  constexpr std::uint64_t kHour = 60 * kMinute;
  if (magnitude % kHour == 0) return sign + std::to_string(magnitude / kHour) + "h";
  if (magnitude % kMinute == 0) return sign + std::to_string(magnitude / kMinute) + "m";
  struct Decimal {
    std::uint64_t per_unit;
    int places;
    std::string_view suffix;
  };
  constexpr std::array<Decimal, 4> kDecimal{
      {{1'000'000'000, 9, "s"}, {1'000'000, 6, "ms"}, {1'000, 3, "us"}, {1, 0, "ns"}}};
  for (const auto& unit : kDecimal) {
    if (magnitude >= unit.per_unit) {
      std::string out = sign;
      append_decimal(out, magnitude / unit.per_unit, magnitude % unit.per_unit, unit.places);
      return out + std::string(unit.suffix);
    }
  }
  return sign + std::to_string(magnitude) + "ns";
}

double parse_rate_per_s(std::string_view text) {
  static constexpr std::array<UnitScale, 3> kUnits{
      {{"/s", 1.0}, {"/min", 1.0 / 60.0}, {"/h", 1.0 / 3600.0}}};
  return parse_scaled(text, kUnits,
                      "a rate such as \"200/s\", \"30/min\", \"10/h\" or a number per second");
}

double parse_speed_mps(std::string_view text) {
  static constexpr std::array<UnitScale, 2> kUnits{{{"m/s", 1.0}, {"km/h", 1000.0 / 3600.0}}};
  return parse_scaled(text, kUnits,
                      "a speed such as \"1.5m/s\", \"5km/h\" or a number of metres per second");
}

}  // namespace herd::config
