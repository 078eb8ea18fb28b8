#pragma once
// The herd a simulation runs: server names and the undirected friend graph as sorted
// adjacency lists. Built from a scenario's topology (explicit, generated or loaded).

#include <cstdint>
#include <string>
#include <vector>

namespace herd::sim {

struct HerdLayout {
  std::vector<std::string> names;
  std::vector<std::vector<std::uint32_t>> neighbours;  // sorted, no self loops

  [[nodiscard]] std::uint32_t size() const noexcept {
    return static_cast<std::uint32_t>(names.size());
  }
  // The index of a server by name; throws std::invalid_argument naming it if unknown.
  [[nodiscard]] std::uint32_t index_of(const std::string& name) const;
  [[nodiscard]] std::uint64_t edge_count() const noexcept;
};

}  // namespace herd::sim
