#pragma once
// The push strategies: how a server spreads an update it has just stored.

#include <memory>

#include "herd/core/propagation.hpp"

namespace herd::core {

// flood, gossip, rumor or plumtree, as config.push says.
[[nodiscard]] std::unique_ptr<PropagationStrategy> make_push_strategy(
    const PropagationConfig& config);

}  // namespace herd::core
