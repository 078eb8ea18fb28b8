#pragma once
// Seeded random fault schedules ("swarm" testing): crashes, partitions and pauses drawn
// within a budget, so robustness runs explore many fault patterns, each replayable by seed.

#include <vector>

#include "herd/sim/herd_layout.hpp"
#include "herd/sim/prng.hpp"
#include "herd/sim/scenario.hpp"

namespace herd::sim {

// Draws the faults of `spec`. Each lasts between 1 ms and max_duration (default: a tenth of
// the window), starts inside [start, end) and, with max_down, never takes more than that
// many servers down (crashed or paused) at once; a fault that would exceed it is moved
// after the overlapping ones end.
[[nodiscard]] std::vector<FaultSpec> draw_random_faults(const RandomFaultSpec& spec,
                                                        const HerdLayout& layout,
                                                        const WorkloadSpec& workload,
                                                        Nanoseconds duration_ns, Prng& rng);

}  // namespace herd::sim
