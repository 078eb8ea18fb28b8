#include "herd/core/name_list.hpp"

#include <cstring>
#include <limits>

namespace herd::core {

NameList::NameList(const std::vector<std::string>& names) {
  if (names.empty()) return;
  std::size_t chars = 0;
  for (const std::string& name : names) chars += name.size();
  if (names.size() >= std::numeric_limits<std::uint32_t>::max() ||
      chars > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("NameList: more than 4 GiB of names");
  }
  count_ = static_cast<std::uint32_t>(names.size());
  constexpr std::size_t kWord = sizeof(std::uint32_t);
  const std::size_t words = names.size() + 1 + (chars + kWord - 1) / kWord;
  data_ = std::make_unique_for_overwrite<std::uint32_t[]>(words);
  std::uint32_t* offsets = data_.get();
  char* out = reinterpret_cast<char*>(offsets + names.size() + 1);
  std::uint32_t at = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    offsets[i] = at;
    std::memcpy(out + at, names[i].data(), names[i].size());
    at += static_cast<std::uint32_t>(names[i].size());
  }
  offsets[names.size()] = at;
}

std::string_view NameList::at(std::size_t i) const {
  if (i >= count_) {
    throw std::out_of_range("NameList::at: " + std::to_string(i) + " of " +
                            std::to_string(count_));
  }
  return (*this)[i];
}

std::vector<std::string> NameList::to_vector() const {
  std::vector<std::string> names;
  names.reserve(count_);
  for (std::size_t i = 0; i < count_; ++i) names.emplace_back((*this)[i]);
  return names;
}

}  // namespace herd::core
