#pragma once
// Units shared by every TOML file herd reads (herd configs and scenario files). Each parser
// throws std::invalid_argument with a message saying what was expected.

#include <string>
#include <string_view>

#include "herd/core/time.hpp"

namespace herd::config {

using core::Nanoseconds;

// "1.5s", "250ms", "2m", "1h", "10us", "7ns": a non-negative decimal number and a unit
// (ns us ms s m h), converted exactly in integer arithmetic ("1.5s" = 1'500'000'000 ns).
// Rejects signs, blanks, exponents, values finer than 1 ns and values beyond int64 ns.
[[nodiscard]] Nanoseconds parse_duration(std::string_view text);
// As parse_duration, but a leading '-' or '+' is allowed (clock skew).
[[nodiscard]] Nanoseconds parse_signed_duration(std::string_view text);
// The shortest exact rendering of a duration in the syntax above ("1.5s", "250ms", "0s").
[[nodiscard]] std::string format_duration(Nanoseconds duration_ns);
// "200/s", "30/min", "3600/h" or a bare non-negative number ("12.5", per second).
[[nodiscard]] double parse_rate_per_s(std::string_view text);
// "1.5m/s", "5km/h" or a bare non-negative number (metres per second).
[[nodiscard]] double parse_speed_mps(std::string_view text);

}  // namespace herd::config
