#pragma once
// Telling what an injected fault explains from what it does not (docs/soak.md#errors).
// A soak injects crashes, pauses, partitions and clogs on purpose, and each leaves expected
// marks: commands to a crashed or paused server fail, links to it go down. The soak counts
// every such mark, but holds against the run only those no fault explains.

#include <string>
#include <string_view>
#include <vector>

#include "herd/sim/scenario.hpp"

namespace herd::sim::soak {

struct FaultWindow {
  FaultSpec::Kind kind = FaultSpec::Kind::crash;
  double from_s = 0, to_s = 0;        // scenario time; to_s infinite for a permanent fault
  std::vector<std::string> involved;  // every server the fault names
  bool stops_servers = false;         // crash or pause: `involved` do not answer
};

[[nodiscard]] std::vector<FaultWindow> fault_windows(const std::vector<FaultSpec>& faults);

// A friend link of `owner` to or from `peer` went down at t_s: some fault naming either was
// in force within grace_s of t_s.
[[nodiscard]] bool explains_link_churn(const std::vector<FaultWindow>& windows,
                                       std::string_view owner, std::string_view peer, double t_s,
                                       double grace_s);

// A client command to `server`, due at due_s, failed at at_s: a crash or pause of that
// server was in force at some point of [due_s - grace_s, at_s + grace_s].
[[nodiscard]] bool explains_client_failure(const std::vector<FaultWindow>& windows,
                                           std::string_view server, double due_s, double at_s,
                                           double grace_s);

}  // namespace herd::sim::soak
