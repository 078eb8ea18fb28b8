#include "herd/sim/herd_layout.hpp"

#include <algorithm>
#include <stdexcept>

namespace herd::sim {

std::uint32_t HerdLayout::index_of(const std::string& name) const {
  // Names are few enough to search, and a scenario's names are resolved once, up front.
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) throw std::invalid_argument("no server named '" + name + "' in the herd");
  return static_cast<std::uint32_t>(it - names.begin());
}

std::uint64_t HerdLayout::edge_count() const noexcept {
  std::uint64_t degree_sum = 0;
  for (const auto& n : neighbours) degree_sum += n.size();
  return degree_sum / 2;
}

}  // namespace herd::sim
