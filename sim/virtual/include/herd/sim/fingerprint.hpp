#pragma once
// A run's fingerprint: a 64-bit hash folded over the ordered event trace (time, kind,
// endpoints, and the bytes every message carried). Equal fingerprints mean the two runs
// processed the same events in the same order with the same contents.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace herd::sim {

class Fingerprint {
 public:
  void add(std::uint64_t word) noexcept { state_ = mix(state_ ^ (word + 0x9e3779b97f4a7c15ULL)); }
  // Two words at once: one mix per event instead of two.
  void add(std::uint64_t a, std::uint64_t b) noexcept { state_ = mix(state_ ^ fold(a, b)); }
  // Sixteen bytes per step folded by a 64x64->128-bit multiply (as wyhash does): every
  // delivered message goes through here, and a mix per eight bytes cost more than the
  // rest of the bookkeeping of a delivery.
  void add_bytes(std::string_view bytes) noexcept { add(bytes_word(bytes)); }
  // What add_bytes folds in: a thread can hash a message while the run commits in order.
  [[nodiscard]] static std::uint64_t bytes_word(std::string_view bytes) noexcept {
    std::uint64_t h = 0x243f6a8885a308d3ULL ^ bytes.size();
    std::size_t i = 0;
    for (; i + 16 <= bytes.size(); i += 16) {
      h = fold(load(bytes.data() + i) ^ h, load(bytes.data() + i + 8) ^ 0x13198a2e03707344ULL);
    }
    std::uint64_t tail[2] = {0, 0};
    std::memcpy(tail, bytes.data() + i, bytes.size() - i);
    return fold(tail[0] ^ h, tail[1] ^ 0xa4093822299f31d0ULL);
  }
  [[nodiscard]] std::uint64_t value() const noexcept { return state_; }

 private:
  static std::uint64_t load(const char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  __extension__ using U128 = unsigned __int128;  // GCC and Clang on 64-bit targets
  static std::uint64_t fold(std::uint64_t a, std::uint64_t b) noexcept {
    U128 product = static_cast<U128>(a ^ 0x9e3779b97f4a7c15ULL) * (b ^ 0xbf58476d1ce4e5b9ULL);
    return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
  }
  // The SplitMix64 finaliser: cheap, and every input bit affects every output bit.
  static std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t state_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace herd::sim
