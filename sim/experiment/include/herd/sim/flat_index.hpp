#pragma once
// A map from 64-bit keys to 32-bit values by open addressing: one probe into a flat array
// where std::unordered_map chases a bucket and then a node. The recorder looks an update
// up by its id for every peer message a simulation delivers.

#include <cstdint>
#include <optional>
#include <vector>

#include "herd/core/prng.hpp"

namespace herd::sim {

class FlatIndex {
 public:
  [[nodiscard]] std::optional<std::uint32_t> find(std::uint64_t key) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = spread(key) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.value_plus_one == 0) return std::nullopt;
      if (s.key == key) return s.value_plus_one - 1;
    }
  }
  // Adds key -> value; the key must not be present yet.
  void insert(std::uint64_t key, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(slots_, Slot{key, value + 1});
    ++size_;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint64_t value_plus_one = 0;  // 0: empty
  };
  // Keys may be hashes already, or small integers: mix them either way.
  static std::size_t spread(std::uint64_t key) noexcept {
    return static_cast<std::size_t>(core::SplitMix64::mix(key));
  }
  static void place(std::vector<Slot>& slots, Slot slot) noexcept {
    const std::size_t mask = slots.size() - 1;
    std::size_t i = spread(slot.key) & mask;
    while (slots[i].value_plus_one != 0) i = (i + 1) & mask;
    slots[i] = slot;
  }
  void grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    for (const Slot& s : slots_) {
      if (s.value_plus_one != 0) place(bigger, s);
    }
    slots_.swap(bigger);
  }
  std::vector<Slot> slots_ = std::vector<Slot>(64);
  std::size_t size_ = 0;
};

}  // namespace herd::sim
