#pragma once
// A first-in first-out queue on one vector whose front index moves: what a server queues
// (its outputs, a connection's replies) is drained completely after every input, so the
// vector empties again and again and its storage is reused. Unlike std::deque, an empty
// queue owns no memory: libstdc++'s deque allocates a 512-byte block on construction,
// which on a herd of a million servers is half a gigabyte of nothing.

#include <cstddef>
#include <utility>
#include <vector>

namespace herd::core {

template <typename T>
class VectorFifo {
 public:
  [[nodiscard]] bool empty() const noexcept { return head_ == items_.size(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size() - head_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return items_.capacity(); }
  T& front() { return items_[head_]; }
  void push_back(T item) { items_.push_back(std::move(item)); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return items_.emplace_back(std::forward<Args>(args)...);
  }
  void pop_front() {
    if (++head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      // A queue that is never drained completely must not grow without bound.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  // Trades storage with another queue, items and all.
  friend void swap(VectorFifo& a, VectorFifo& b) noexcept {
    a.items_.swap(b.items_);
    std::swap(a.head_, b.head_);
  }
  auto begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() { return items_.end(); }

 private:
  static constexpr std::size_t kCompactAfter = 64;
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace herd::core
