#pragma once
// The live runtime's idea of `now` for the core: the wall clock in integer nanoseconds since
// the POSIX epoch, because AT lines compare the server's receive time with the client's.

#include <chrono>

#include "herd/core/time.hpp"

namespace herd::live {

[[nodiscard]] inline core::Instant wall_now() noexcept {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return core::Instant{std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count()};
}

}  // namespace herd::live
