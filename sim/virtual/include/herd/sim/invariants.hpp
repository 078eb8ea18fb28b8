#pragma once
// Invariants every simulated run must keep, checked while it runs rather than only at the
// end (docs/ci.md#invariants). The checker keeps its own books, apart from the metrics
// recorder and the servers it watches: it hears what servers report and compares that with
// what clients sent, so a bug in a strategy, the core or the recorder shows up here as a
// violation with the event where it happened, not as a quietly wrong number.
//
// Checked on every event: virtual time never runs backwards; a run stays under its event
// cap; a server's timer never re-arms for the instant it just fired at (a spin).
// Checked on every record a server stores: the update was sent by a client (accepted at its
// origin first); a server's record for a client never goes backwards in the herd's total
// order (unless the server restarted without its state). Checked at the end: every live
// server's store holds exactly what the recorder says it holds; every link that is up has
// greeted (a link's lines answered as a client's stop the run at once, in the simulator).

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "herd/core/record_store.hpp"
#include "herd/core/time.hpp"

namespace herd::sim {

class InvariantChecker {
 public:
  InvariantChecker() = default;

  // Each returns a description of the broken invariant, or nothing.
  [[nodiscard]] static std::optional<std::string> on_event(core::Nanoseconds at_ns,
                                                           core::Nanoseconds now_ns,
                                                           std::uint64_t events,
                                                           std::uint64_t max_events);
  [[nodiscard]] std::optional<std::string> on_accepted(std::uint32_t server,
                                                       const core::SharedText& at_line,
                                                       std::uint64_t id);
  [[nodiscard]] std::optional<std::string> on_stored(std::uint32_t server,
                                                     const core::SharedText& at_line,
                                                     std::uint64_t id);
  void on_state_lost(std::uint32_t server);
  [[nodiscard]] static std::optional<std::string> on_timer_rearmed(core::Nanoseconds fired_ns,
                                                                   core::Nanoseconds next_ns);

  // The update a server's records should hold for `client`, by the checker's own books.
  [[nodiscard]] std::optional<std::uint64_t> held(std::uint32_t server,
                                                  std::string_view client) const;
  [[nodiscard]] std::size_t updates() const noexcept { return updates_.size(); }

 private:
  [[nodiscard]] static std::uint64_t key(std::uint32_t server, std::string_view client);
  std::unordered_map<std::uint64_t, std::uint32_t> known_;  // update id -> index
  std::vector<core::LocationUpdate> updates_;
  std::vector<std::uint64_t> ids_;
  // (server, client) -> index of the update held; lookups only, never iterated in an order
  // that reaches the output (on_state_lost erases, whatever the order).
  std::unordered_map<std::uint64_t, std::uint32_t> held_;
};

}  // namespace herd::sim
