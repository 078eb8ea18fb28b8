#include "herd/sim/invariants.hpp"

#include <cstdio>

#include "herd/core/codec.hpp"

namespace herd::sim {
namespace {

std::string quote(const core::SharedText& line) { return "'" + core::log_excerpt(*line) + "'"; }

std::string seconds(core::Nanoseconds ns) {
  char text[48];
  std::snprintf(text, sizeof text, "%.9fs", static_cast<double>(ns) / 1e9);
  return text;
}

}  // namespace

std::uint64_t InvariantChecker::key(std::uint32_t server, std::string_view client) {
  // The client's hash mixed with the server: a collision would only make a check compare
  // the wrong pair, and held() confirms the client's name on every hit.
  return core::update_id(client) * 0x9e3779b97f4a7c15ULL ^ server;
}

std::optional<std::string> InvariantChecker::on_event(core::Nanoseconds at_ns,
                                                      core::Nanoseconds now_ns,
                                                      std::uint64_t events,
                                                      std::uint64_t max_events) {
  if (at_ns < now_ns) {
    return "virtual time ran backwards: an event at " + seconds(at_ns) + " after " +
           seconds(now_ns);
  }
  if (max_events != 0 && events > max_events) {
    return "the run passed its event cap of " + std::to_string(max_events) +
           " events (scenario.max_events)";
  }
  return std::nullopt;
}

std::optional<std::string> InvariantChecker::on_accepted(std::uint32_t server,
                                                         const core::SharedText& at_line,
                                                         std::uint64_t id) {
  if (known_.find(id) == known_.end()) {
    auto parsed = core::LocationUpdate::from_at_line(at_line);
    if (!parsed) return "accepted an update that is not an AT line: " + quote(at_line);
    known_.emplace(id, static_cast<std::uint32_t>(updates_.size()));
    updates_.push_back(*parsed);
    ids_.push_back(id);
  }
  return on_stored(server, at_line, id);
}

std::optional<std::string> InvariantChecker::on_stored(std::uint32_t server,
                                                       const core::SharedText& at_line,
                                                       std::uint64_t id) {
  auto found = known_.find(id);
  if (found == known_.end()) {
    return "stored a record no client sent (no server accepted it): " + quote(at_line);
  }
  const core::LocationUpdate& update = updates_[found->second];
  if (*update.at_line != *at_line) {
    return "stored " + quote(at_line) + " under the id of " + quote(update.at_line);
  }
  auto [it, fresh] = held_.try_emplace(key(server, update.client), found->second);
  if (!fresh) {
    const core::LocationUpdate& before = updates_[it->second];
    if (before.client != update.client) return std::nullopt;  // a key collision: skip
    if (core::compare_updates(update, before) <= 0) {
      return "went backwards for client " + std::string(update.client) + ": stored " +
             quote(at_line) + " over the newer " + quote(before.at_line);
    }
    it->second = found->second;
  }
  return std::nullopt;
}

void InvariantChecker::on_state_lost(std::uint32_t server) {
  for (std::uint32_t i = 0; i < updates_.size(); ++i) held_.erase(key(server, updates_[i].client));
}

std::optional<std::string> InvariantChecker::on_timer_rearmed(core::Nanoseconds fired_ns,
                                                              core::Nanoseconds next_ns) {
  if (next_ns > fired_ns) return std::nullopt;
  return "asked its timer to fire again at " + seconds(next_ns) +
         ", the instant it had just fired at: the run would spin";
}

std::optional<std::uint64_t> InvariantChecker::held(std::uint32_t server,
                                                    std::string_view client) const {
  auto it = held_.find(key(server, client));
  if (it == held_.end() || updates_[it->second].client != client) return std::nullopt;
  return ids_[it->second];
}

}  // namespace herd::sim
