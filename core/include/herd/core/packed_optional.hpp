#pragma once
// An optional that spends one value of T on "none" rather than a flag: std::optional<T> of
// an 8-byte T takes 16 bytes, and every connection of a server holds a few of them.

#include <cassert>
#include <optional>

namespace herd::core {

template <typename T, T kNone>
class PackedOptional {
 public:
  constexpr PackedOptional() noexcept = default;
  constexpr PackedOptional(std::nullopt_t) noexcept {}  // NOLINT: as std::optional
  constexpr PackedOptional(T value) noexcept : value_(value) {  // NOLINT: as std::optional
    assert(!(value == kNone) && "PackedOptional: the value that stands for none");
  }

  [[nodiscard]] constexpr bool has_value() const noexcept { return !(value_ == kNone); }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] constexpr const T& operator*() const noexcept { return value_; }
  constexpr void reset() noexcept { value_ = kNone; }
  // As std::optional: equal to a value when it holds that value.
  friend constexpr bool operator==(const PackedOptional& a, const T& b) noexcept {
    return a.has_value() && a.value_ == b;
  }

 private:
  T value_ = kNone;
};

}  // namespace herd::core
