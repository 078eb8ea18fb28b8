#pragma once
// The bytes all client connections of one server hold in their write queues together
// ([limits] max_total_output_bytes). Each connection reports its own share whenever it
// changes; the server closes the connection with the largest share while the total is over
// the limit, so clients that stop reading cannot add up to more memory than this.

#include <cstddef>

namespace herd::live {

class OutputBudget {
 public:
  explicit OutputBudget(std::size_t limit_bytes) noexcept : limit_bytes_(limit_bytes) {}

  // One connection's share went from `before` to `after` bytes.
  void update(std::size_t before, std::size_t after) noexcept {
    total_bytes_ = total_bytes_ - before + after;
  }

  [[nodiscard]] std::size_t total_bytes() const noexcept { return total_bytes_; }
  [[nodiscard]] std::size_t limit_bytes() const noexcept { return limit_bytes_; }
  [[nodiscard]] bool exceeded() const noexcept { return total_bytes_ > limit_bytes_; }

 private:
  std::size_t limit_bytes_;
  std::size_t total_bytes_ = 0;
};

}  // namespace herd::live
