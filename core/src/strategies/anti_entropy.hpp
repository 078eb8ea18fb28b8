#pragma once
// Anti-entropy: periodic push-pull reconciliation with a random friend, and one on every new
// link, so a server that missed updates (down, partitioned, a lost message) gets them back.
// Digests are the record store's hierarchical bucket hashes (RecordStore::leaf_digest), so
// two servers find their differences by exchanging a few hundred hashes plus the differing
// records, not their whole tables.

#include <memory>

#include "herd/core/propagation.hpp"

namespace herd::core {

[[nodiscard]] std::unique_ptr<PropagationStrategy> make_anti_entropy(
    const PropagationConfig& config);

}  // namespace herd::core
