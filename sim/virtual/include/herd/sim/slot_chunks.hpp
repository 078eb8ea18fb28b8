#pragma once
// A growing array of slots kept in fixed chunks, for the messages in flight. A vector grows
// by doubling: while it copies, the old and the new storage are both held (a million-server
// flood's in-flight table is hundreds of megabytes, so that moment set the run's peak), and
// afterwards up to half of it stands empty. Chunks are never copied, and at most one is
// partly used.

#include <cstddef>
#include <memory>
#include <vector>

namespace herd::sim {

template <typename T, std::size_t kChunkBits = 12>
class SlotChunks {
 public:
  static constexpr std::size_t kChunkSlots = std::size_t{1} << kChunkBits;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t i) noexcept { return chunks_[i >> kChunkBits][i & (kChunkSlots - 1)]; }
  const T& operator[](std::size_t i) const noexcept {
    return chunks_[i >> kChunkBits][i & (kChunkSlots - 1)];
  }
  // One more slot at the end, as made by T's default constructor (a chunk's slots are made
  // when the chunk is, and a slot past size() was never used).
  T& emplace_back() {
    if (size_ == chunks_.size() * kChunkSlots) {
      chunks_.push_back(std::make_unique<T[]>(kChunkSlots));
    }
    T& slot = (*this)[size_];
    ++size_;
    return slot;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace herd::sim
