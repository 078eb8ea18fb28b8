#pragma once
// What the serial loop and the threads of a parallel run (simulation_parallel.cpp) both do
// per delivery, defined here so that both inline it: as out-of-line calls they cost the
// serial loop about 35 instructions a delivery.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "herd/core/codec.hpp"
#include "herd/core/peer_line_memo.hpp"
#include "herd/sim/delay_sampler.hpp"
#include "herd/sim/simulation.hpp"

namespace herd::sim {

inline std::optional<Nanoseconds> Simulation::draw_arrival(std::uint32_t link_index,
                                                           Nanoseconds now) {
  Link& link = links_[link_index];
  const bool greeting = !link.greeting_sent;  // a link's first line of its epoch
  link.greeting_sent = true;
  // Loss as the live link proxy does it: the line vanishes, the link stays up and nothing
  // resends it. The greeting is spared, as on a TCP connection that could not be opened
  // without it. Drawn first, from the link's own generator, as the proxy draws.
  // (next_delay() in simulation_parallel.cpp replays these draws on a copy of the
  // generator: change the two together.)
  const double loss = loss_.empty() ? scenario_.network.loss : loss_[link_index];
  if (!greeting && loss > 0 && link_rng_[link_index].chance(loss)) return std::nullopt;
  const DelayDistribution& latency =
      latency_.empty() ? scenario_.network.latency : *latency_[link_index];
  // A distribution that draws nothing needs no generator (and the run has none then).
  Nanoseconds arrival =
      now + (link_rng_.empty() ? sample_delay(latency, no_draws_)
                               : sample_delay(latency, link_rng_[link_index]));
  if (!scenario_.network.reorder) {
    arrival = std::max(arrival, link.floor_ns);
  } else if (greeting) {
    link.floor_ns = arrival;
  } else {
    // Lines overtake each other, as on a pool of connections, but a connection is only
    // used once it has greeted: nothing arrives before the link's greeting.
    arrival = std::max(arrival, link.floor_ns);
  }
  if (!clog_until_ns_.empty()) arrival = std::max(arrival, clog_until_ns_[link_index]);
  if (!scenario_.network.reorder) link.floor_ns = arrival;
  return arrival;
}

inline void Simulation::check_memo(std::uint32_t link_index, std::string_view bytes,
                            const core::PeerLineMemo* memo) const {
  if (!memo || !checker_) return;
  // The sender made the memo without parsing; it must be what parsing the line gives.
  const auto parsed = core::PeerLineMemo::of_bytes(bytes);
  if (!parsed || !parsed->same_as(*memo)) {
    violation(link_from(link_index), "sent '" + core::log_excerpt(bytes) +
                                         "' with a parse memo that differs from the line's own");
  }
}

inline bool Simulation::timer_due(std::uint32_t server, Nanoseconds at_ns) {
  SimServer& s = servers_[server];
  if (!s.up || s.timer_at_ns != at_ns) return false;  // superseded or crashed
  if (s.paused) return false;  // resume() drains and re-arms
  s.timer_at_ns = kNoTimer;
  return true;
}

inline void Simulation::observe(std::uint32_t server, core::Observation& out) {
  switch (out.kind) {
    case core::ObservationKind::update_accepted:
      if (checker_) {
        if (auto broken = checker_->on_accepted(server, out.update, out.update_id)) {
          violation(server, *broken);
        }
      }
      metrics_.on_accepted(now_ns_, server, out.update, out.update_id);
      break;
    case core::ObservationKind::update_applied:
      if (checker_) {
        if (auto broken = checker_->on_stored(server, out.update, out.update_id)) {
          violation(server, *broken);
        }
      }
      metrics_.on_applied(now_ns_, server, out.update_id, out.hops,
                          out.from ? layout_.neighbours[server][*out.from] : kNoServer);
      if (tracing_.row != MessageTrace::kNoRow) trace_observed(server, out);
      break;
    case core::ObservationKind::update_ignored:
      metrics_.on_ignored(now_ns_, server, out.update_id);
      if (tracing_.row != MessageTrace::kNoRow) trace_observed(server, out);
      break;
    case core::ObservationKind::read_answered:
      metrics_.on_read(now_ns_, server, out.update, out.update_id);
      break;
  }
}

inline std::optional<Nanoseconds> Simulation::rearm_timer(std::uint32_t server, Nanoseconds now,
                                                   bool firing) {
  SimServer& s = servers_[server];
  auto deadline = s.core->poll_timeout();
  if (!deadline) return std::nullopt;
  Nanoseconds at = now + std::max<Nanoseconds>(0, deadline->ns - local_now(server, now).ns);
  if (checker_ && firing) {
    if (auto broken = InvariantChecker::on_timer_rearmed(now, at)) violation(server, *broken);
  }
  if (s.timer_at_ns != kNoTimer && at >= s.timer_at_ns) return std::nullopt;
  s.timer_at_ns = at;
  return at;
}

}  // namespace herd::sim
