#pragma once
// Rumor mongering (Demers et al., "Epidemic algorithms for replicated database
// maintenance", PODC 1987): a server that learns an update keeps it "hot" and, every
// period, pushes its hot updates to one random friend; it loses interest by counter or coin,
// with or without feedback from the friend.

#include <memory>

#include "herd/core/propagation.hpp"

namespace herd::core {

[[nodiscard]] std::unique_ptr<PropagationStrategy> make_rumor_mongering(
    const PropagationConfig& config);

}  // namespace herd::core
