// Rumor mongering after Demers et al. (PODC 1987), section 1.4: push, one random friend per
// period, loss of interest by counter or coin, with or without feedback; rounds on each
// server's own phase or synchronous cycles, and a counter that counts unnecessary contacts
// in all or in a row. The peer message it adds (KNEW) and its limits are documented in
// docs/strategies/rumor.md.

#include "strategies/rumor.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace herd::core {
namespace {

// More hot rumors than this and the oldest is dropped: it has had the most periods to
// spread, and a server flooded with new updates must not grow without bound.
constexpr std::size_t kMaxHotRumors = 1024;
// Friends a rumor was pushed to whose KNEW is still welcome. A KNEW from anyone else is
// unsolicited (late, duplicated or forged) and must not cost the rumor its life.
constexpr std::size_t kRecentPushes = 8;
// Picks among all friends before falling back to a scan of the up ones: cheap on big herds
// where most links are up, exact when few are.
constexpr int kPickAttempts = 8;
constexpr std::string_view kKnew = "KNEW";

class RumorMongering final : public PropagationStrategy {
 public:
  explicit RumorMongering(const PropagationConfig& config)
      : feedback_(config.rumor_feedback),
        counter_(config.rumor_counter),
        sync_(config.rumor_rounds == PropagationConfig::Rounds::sync),
        reset_(config.rumor_counter_reset),
        k_(config.rumor_k),
        period_ns_(config.rumor_period_ns) {
    if (k_ == 0) throw std::invalid_argument("rumor: k must be at least 1 (strategy.k = 0)");
    if (period_ns_ <= 0) {
      throw std::invalid_argument("rumor: period must be positive (strategy.period = " +
                                  std::to_string(period_ns_) + " ns)");
    }
    if (reset_ && (!feedback_ || !counter_)) {
      // Blind, a server never learns whether a push taught anything; a coin keeps no count.
      throw std::invalid_argument(
          "rumor: strategy.counter_reset needs feedback = true and loss = \"counter\"");
    }
  }

  std::string_view name() const override { return "rumor"; }

  void on_new_update(PeerChannel& ch, const LocationUpdate& update, std::uint32_t hops,
                     std::optional<PeerId> from) override {
    if (ch.friend_count() == 0) return;  // nobody to tell
    if (auto it = by_client_.find(update.client); it != by_client_.end()) {
      // The server calls this only for updates newer than what it held: the hot rumor of
      // the same client is obsolete, and the newer one takes its place.
      forget(it->second);
    }
    if (hot_.size() >= kMaxHotRumors) evict_oldest(ch);
    std::uint64_t seq = next_seq_++;
    const Rumor& r =
        hot_.emplace(seq, Rumor{update, update_id(*update.at_line), hops, from}).first->second;
    by_id_.emplace(r.id, seq);
    by_client_.emplace(r.update.client, seq);
    arm(ch);
  }

  void on_redundant_update(PeerChannel& ch, const StoredRecord& held, bool identical,
                           PeerId from) override {
    if (!feedback_) return;
    if (identical) {
      // Synchronous cycles: a contact is unnecessary only if we knew the rumor when the
      // round began. Learning it earlier in this round (from another push that landed
      // first) leaves the push useful, so no KNEW.
      if (sync_ && held.applied_at.ns >= round_start(ch.now())) return;
      ch.send(from, SharedText(std::string(kKnew) + " " +
                                                        format_update_id(held.id) + "\n"));
    } else {
      // The friend pushed an update older than ours: rather than a KNEW it could not match
      // (we do not know the id of what it sent), hand it the newer one, which supersedes
      // its stale rumor there.
      ch.send(from, peer_update_line(held.update, std::min(held.hops + 1, kMaxHops)));
    }
  }

  bool on_peer_message(PeerChannel& ch, PeerId from, std::string_view line) override {
    if (line.substr(0, line.find(' ')) != kKnew) return false;
    std::optional<std::uint64_t> id;
    if (line.size() > kKnew.size() + 1) id = parse_update_id(line.substr(kKnew.size() + 1));
    if (!id) {
      ch.log_warn("rumor: ignored malformed line from " + std::string(ch.friend_name(from)) +
                  ": '" + log_excerpt(line) + "' (expected 'KNEW <16 hex digits>')");
      return true;
    }
    if (!feedback_) return true;  // blind: we never ask, so there is nothing to count
    auto it = by_id_.find(*id);
    if (it == by_id_.end()) return true;  // no longer hot: a late answer
    Rumor& r = hot_.at(it->second);
    auto pushed = std::find(r.recent.begin(), r.recent.end(), from);
    if (pushed == r.recent.end()) return true;  // we did not push it there lately
    r.recent.erase(pushed);
    lose_interest_maybe(ch, it->second, r);
    return true;
  }

  void on_timeout(PeerChannel& ch) override {
    if (!next_tick_ || ch.now() < *next_tick_) return;
    advance_grid(ch.now());
    push_round(ch);
    if (hot_.empty()) next_tick_.reset();
  }

  std::optional<Instant> next_timeout() const override { return next_tick_; }

 private:
  struct Rumor {
    LocationUpdate update;
    std::uint64_t id = 0;
    std::uint32_t hops = 0;         // as stored here; pushed as hops + 1
    std::optional<PeerId> from;     // never pushed back to the friend it came from
    std::uint32_t count = 0;        // counter: KNEWs (feedback) or pushes (blind), plus
                                    // contacts with `from`; in a row with counter reset
    std::vector<PeerId> recent{};   // pushed to, awaiting a possible KNEW; oldest first
  };

  // One period's work: the hot rumors that are still the newest their server holds all go
  // to one random friend whose link is up.
  void push_round(PeerChannel& ch) {
    drop_superseded(ch);
    if (hot_.empty()) return;
    if (reset_) judge_last_pushes();
    std::optional<PeerId> target = pick_up_friend(ch);
    if (!target) return;  // every link is down: try again next period
    std::vector<std::uint64_t> done;
    for (auto& [seq, r] : hot_) {
      if (r.from == target) {
        // A server never sends an update back to where it came from
        // (docs/protocol.md#rules). The friend surely knows it, so this is the paper's
        // unnecessary contact: it costs interest as a KNEW (feedback) or a push (blind)
        // would, without the traffic. It also lets a leaf whose only friend told it the
        // rumor fall silent.
        if (lost_interest(ch, r)) done.push_back(seq);
        continue;
      }
      ch.send(*target, peer_update_line(r.update, std::min(r.hops + 1, kMaxHops)));
      if (feedback_) {
        if (r.recent.size() == kRecentPushes) r.recent.erase(r.recent.begin());
        r.recent.push_back(*target);
      } else if (lost_interest(ch, r)) {
        done.push_back(seq);
      }
    }
    for (auto seq : done) forget(seq);
  }

  // Counter reset: the push of the last round that no KNEW answered taught its friend the
  // rumor (answers take well under a period), so the count of unnecessary contacts in a row
  // starts again. Judged once: a KNEW arriving later no longer counts.
  void judge_last_pushes() {
    for (auto& [seq, r] : hot_) {
      if (r.recent.empty()) continue;
      r.count = 0;
      r.recent.clear();
    }
  }

  // A hot rumor whose client has a newer record (stored without on_new_update, e.g. past the
  // hop limit) is obsolete: pushing it would only cost traffic.
  void drop_superseded(PeerChannel& ch) {
    std::vector<std::uint64_t> stale;
    for (const auto& [seq, r] : hot_) {
      const StoredRecord* held = ch.records().find(r.update.client);
      if (!held || held->id != r.id) stale.push_back(seq);
    }
    for (auto seq : stale) forget(seq);
  }

  std::optional<PeerId> pick_up_friend(PeerChannel& ch) {
    const std::size_t n = ch.friend_count();
    for (int i = 0; i < kPickAttempts; ++i) {
      auto peer = static_cast<PeerId>(ch.rng().uniform_u64(n));
      if (ch.peer_up(peer)) return peer;
    }
    // Rejection failed: few links are up. Choose uniformly among exactly those.
    std::vector<PeerId> up;
    for (PeerId p = 0; p < n; ++p) {
      if (ch.peer_up(p)) up.push_back(p);
    }
    if (up.empty()) return std::nullopt;
    return up[static_cast<std::size_t>(ch.rng().uniform_u64(up.size()))];
  }

  // After a push (blind) or a KNEW (feedback): true when the rumor should stop.
  bool lost_interest(PeerChannel& ch, Rumor& r) {
    if (counter_) return ++r.count >= k_;
    return ch.rng().chance(1.0 / static_cast<double>(k_));
  }

  void lose_interest_maybe(PeerChannel& ch, std::uint64_t seq, Rumor& r) {
    if (lost_interest(ch, r)) forget(seq);
    if (hot_.empty()) next_tick_.reset();
  }

  void forget(std::uint64_t seq) {
    auto it = hot_.find(seq);
    if (it == hot_.end()) return;
    by_id_.erase(it->second.id);
    by_client_.erase(it->second.update.client);
    hot_.erase(it);
  }

  void evict_oldest(PeerChannel& ch) {
    ++evicted_;
    if (evicted_ == 1 || evicted_ % 1000 == 0) {
      ch.log_warn("rumor: more than " + std::to_string(kMaxHotRumors) +
                  " hot rumors; dropped the oldest (" + std::to_string(evicted_) +
                  " dropped so far)");
    }
    forget(hot_.begin()->first);
  }

  // Async: each server ticks on its own grid, grid_start_ + j * period, whose offset is
  // drawn once so that servers are not in lockstep; the grid is kept while idle so a
  // server's cadence does not depend on when it last had something to say. Sync: every
  // server's grid is the multiples of the period, so all push at once.
  void arm(PeerChannel& ch) {
    if (next_tick_) return;
    if (!grid_start_ && sync_) grid_start_ = Instant{0};
    if (!grid_start_) {
      grid_start_ = ch.now() + 1 + static_cast<Nanoseconds>(
                                       ch.rng().uniform_u64(static_cast<std::uint64_t>(period_ns_)));
      next_tick_ = grid_start_;
      return;
    }
    advance_grid(ch.now());
  }

  // Sets next_tick_ to the first grid point after `now`.
  void advance_grid(Instant now) {
    Nanoseconds since = now - *grid_start_;
    Nanoseconds periods = since < 0 ? 0 : since / period_ns_ + 1;
    next_tick_ = *grid_start_ + periods * period_ns_;
  }

  // The start of the synchronous round `now` falls in: the last multiple of the period.
  Nanoseconds round_start(Instant now) const {
    Nanoseconds rem = now.ns % period_ns_;
    return now.ns - (rem < 0 ? rem + period_ns_ : rem);
  }

  bool feedback_;
  bool counter_;
  bool sync_;
  bool reset_;
  std::uint32_t k_;
  Nanoseconds period_ns_;
  std::map<std::uint64_t, Rumor> hot_;  // by arrival order: pushes go out oldest first
  std::unordered_map<std::uint64_t, std::uint64_t> by_id_;          // lookups only
  std::unordered_map<std::string_view, std::uint64_t> by_client_;  // views into hot_
  std::uint64_t next_seq_ = 0;
  std::uint64_t evicted_ = 0;
  std::optional<Instant> grid_start_;
  std::optional<Instant> next_tick_;
};

}  // namespace

std::unique_ptr<PropagationStrategy> make_rumor_mongering(const PropagationConfig& config) {
  return std::make_unique<RumorMongering>(config);
}

}  // namespace herd::core
