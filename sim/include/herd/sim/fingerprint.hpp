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
  void add_bytes(std::string_view bytes) noexcept {
    std::uint64_t h = bytes.size();
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, bytes.data() + i, 8);
      h = mix(h ^ w);
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
    add(mix(h ^ tail));
  }
  [[nodiscard]] std::uint64_t value() const noexcept { return state_; }

 private:
  // The SplitMix64 finaliser: cheap, and every input bit affects every output bit.
  static std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t state_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace herd::sim
