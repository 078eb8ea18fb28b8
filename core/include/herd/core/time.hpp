#pragma once
// Time as the core sees it: an integer nanosecond count since the POSIX epoch, always passed
// in by the runtime (wall clock when live, virtual and possibly skewed in the simulator).

#include <compare>
#include <cstdint>

namespace herd::core {

using Nanoseconds = std::int64_t;

inline constexpr Nanoseconds kNanosPerMicro = 1'000;
inline constexpr Nanoseconds kNanosPerMilli = 1'000'000;
inline constexpr Nanoseconds kNanosPerSecond = 1'000'000'000;

struct Instant {
  Nanoseconds ns = 0;
  friend constexpr auto operator<=>(Instant, Instant) = default;
  friend constexpr Instant operator+(Instant a, Nanoseconds d) { return Instant{a.ns + d}; }
  friend constexpr Nanoseconds operator-(Instant a, Instant b) { return a.ns - b.ns; }
};

}  // namespace herd::core
