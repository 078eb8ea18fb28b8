#pragma once
// After a load run: waits until every server of the herd holds the last update of every
// load client, i.e. until the flood has caught up with what the clients were told.
//
// A herd can answer IAMATs faster than it floods them, queueing updates between servers;
// its reply rate alone would then overstate what it sustains. The time this check takes
// (the convergence lag) exposes such a backlog, and an update that never arrives is a
// lost update.

#include <cstdint>
#include <string>
#include <vector>

#include "net.hpp"
#include "stats.hpp"

namespace herd::bench {

// The AT line the origin last sent for one client: what every server must end up storing.
struct FinalUpdate {
  std::string client;
  std::string at_line;
};

struct ConvergenceResult {
  bool converged = false;
  Clock::time_point converged_at;  // when the last server was seen holding the last update
  std::uint64_t polls = 0;
  std::string first_error;
};

// Polls every server with WHATSAT until each returns each client's final AT line, or until
// `timeout` passes. Bounded: `timeout` plus a few seconds at most.
[[nodiscard]] ConvergenceResult wait_for_convergence(const std::vector<Target>& targets,
                                                     const std::vector<FinalUpdate>& updates,
                                                     Clock::duration timeout);

}  // namespace herd::bench
