#pragma once
// Epidemic broadcast trees (Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees", SRDS
// 2007): eager push along a spanning tree that emerges from pruning duplicate links, lazy
// IHAVE announcements on the other links, and GRAFT to repair the tree when an announced
// update does not arrive in time.

#include <memory>

#include "herd/core/propagation.hpp"

namespace herd::core {

[[nodiscard]] std::unique_ptr<PropagationStrategy> make_plumtree(const PropagationConfig& config);

}  // namespace herd::core
