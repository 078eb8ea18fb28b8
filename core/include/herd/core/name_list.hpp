#pragma once
// A short list of names in one allocation: every server of a herd keeps its friends' names,
// and a std::vector<std::string> of four costs 144 bytes of heap where this costs about 64.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace herd::core {

class NameList {
 public:
  NameList() = default;
  explicit NameList(const std::vector<std::string>& names);

  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] std::string_view operator[](std::size_t i) const noexcept {
    const std::uint32_t* offsets = this->offsets();
    return {chars() + offsets[i], offsets[i + 1] - offsets[i]};
  }
  // As operator[], but an index out of range throws std::out_of_range.
  [[nodiscard]] std::string_view at(std::size_t i) const;
  [[nodiscard]] std::vector<std::string> to_vector() const;
  // Where the offsets and characters are, for a prefetch hint.
  [[nodiscard]] const void* block() const noexcept { return data_.get(); }

 private:
  // count_ + 1 offsets into the characters, then the characters.
  [[nodiscard]] const std::uint32_t* offsets() const noexcept { return data_.get(); }
  [[nodiscard]] const char* chars() const noexcept {
    return reinterpret_cast<const char*>(data_.get() + count_ + 1);
  }
  std::unique_ptr<std::uint32_t[]> data_;
  std::uint32_t count_ = 0;
};

}  // namespace herd::core
