#pragma once
// Positions for drawing a friend graph: Boost.Graph's Fruchterman-Reingold force-directed
// layout from a seeded random start, so one graph always gets the same picture; above
// kForceLayoutMax servers (where it would take minutes) a circle in server id order. The
// result is stretched over a side * aspect by side rectangle.

#include <cstdint>
#include <vector>

#include "herd/gui/chart_data.hpp"

namespace herd::gui {

inline constexpr std::size_t kForceLayoutMax = 1200;

struct LayoutOptions {
  std::uint32_t seed = 1;
  double side = 1000;                 // the layout's height, in scene units
  double aspect = 1.6;                // its width is side * aspect (screens are wide)
  std::size_t max_servers = 20'000;   // larger graphs are refused (std::length_error)
};

// One position per server 0..servers-1. Edges naming a server at or past `servers` are
// ignored. Deterministic: the same input gives the same positions.
[[nodiscard]] std::vector<Point> force_layout(std::size_t servers,
                                              const std::vector<sim::StoredEdge>& edges,
                                              const LayoutOptions& options = {});

}  // namespace herd::gui
