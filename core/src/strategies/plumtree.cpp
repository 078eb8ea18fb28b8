// Plumtree (Leitão, Pereira, Rodrigues, SRDS 2007) over the herd's fixed friend list: the
// friends are the peer sample, so there is no HyParView layer. Every link starts eager;
// links that keep delivering duplicates are pruned, so the eager links shrink to a spanning
// tree; the pruned (lazy) links carry short IHAVE announcements, and a server that hears of
// an update it lacks for longer than the graft timeout GRAFTs the link back into the tree.
//
// One tree serves every origin, and with concurrent broadcasts from different origins the
// paper's rules (prune on the first duplicate, graft per missing update) cut the tree faster
// than grafts mend it. The damping rules below — marked "(damping)" — keep it converging;
// docs/strategies/plumtree.md gives the measurements and specifies the peer messages.

#include "strategies/plumtree.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "strategies/plumtree_wire.hpp"

namespace herd::core {
namespace {

using plumtree_wire::Announcement;

// Limits, documented in docs/strategies/plumtree.md. Each bounds what a friend can make a
// server hold, whatever it sends (the line limits are in plumtree_wire.hpp).
constexpr std::size_t kMaxMissing = 1024;               // clients announced to us, not held
constexpr std::size_t kMaxPendingAnnouncements = 4096;  // (friend, client) IHAVEs to batch
constexpr std::size_t kMaxRepaired = 4096;              // recently repaired update ids

class Plumtree final : public PropagationStrategy {
 public:
  explicit Plumtree(const PropagationConfig& config)
      : ihave_delay_ns_(std::max<Nanoseconds>(0, config.plumtree_ihave_delay_ns)),
        graft_timeout_ns_(std::max<Nanoseconds>(1, config.plumtree_graft_timeout_ns)),
        prune_after_(config.plumtree_prune_after) {
    if (prune_after_ == 0) {
      throw std::invalid_argument(
          "plumtree: strategy.prune_after must be at least 1 (a link is pruned on that many "
          "duplicates in a row)");
    }
  }

  std::string_view name() const override { return "plumtree"; }

  void on_new_update(PeerChannel& ch, const LocationUpdate& update, std::uint32_t hops,
                     std::optional<PeerId> from) override {
    ensure_peers(ch);
    last_first_ = from;
    if (from) {
      // The update came over this link first, so the link is part of the tree. If we had
      // pruned it, the friend's push crossed our PRUNE and it is about to turn lazy: the
      // bare GRAFT keeps both ends eager (damping).
      if (!eager_[*from]) ch.send(*from, bare_graft_line());
      eager_[*from] = true;
      duplicates_[*from] = 0;
      drop_pending(*from, update.client);
    }
    settle_missing(ch, update.client);
    SharedText push_line;  // built once, shared by every eager friend
    for (PeerId peer = 0; peer < eager_.size(); ++peer) {
      if ((from && *from == peer) || !ch.peer_up(peer)) continue;
      if (eager_[peer]) {
        if (!push_line) push_line = peer_update_line(update, hops + 1);
        ch.send(peer, push_line);
      } else {
        announce(ch, peer, update.client);
      }
    }
  }

  // A repair (anti-entropy) is not a delivery over the tree: it leaves every link as it
  // is, eager or lazy, and counts no duplicate. The update still spreads along the tree,
  // marked as a repair so that the servers it reaches do not take it for a push either;
  // lazy links get nothing (their ends hear of it through the tree or their own repairs).
  void on_repaired_update(PeerChannel& ch, const LocationUpdate& update, std::uint32_t hops,
                          PeerId from) override {
    ensure_peers(ch);
    remember_repaired(update_id(*update.at_line));
    settle_missing(ch, update.client);
    SharedText line;  // built once, shared by every eager friend
    for (PeerId peer = 0; peer < eager_.size(); ++peer) {
      if (peer == from || !eager_[peer] || !ch.peer_up(peer)) continue;
      if (!line) line = repair_update_line(update, hops + 1);
      ch.send(peer, line);
    }
  }

  void on_redundant_update(PeerChannel& ch, const StoredRecord& held, bool identical,
                           PeerId from) override {
    // Already held (or superseded): this link duplicates another path.
    ensure_peers(ch);
    if (from >= eager_.size()) return;
    if (!eager_[from]) {
      ch.send(from, prune_line());  // it still pushes to us: it has not seen a PRUNE yet
      return;
    }
    // The push of an update a repair brought here first: the repair won a race with the
    // tree, which says nothing about this link.
    if (identical && repaired_ids_.contains(held.id)) return;
    // (damping) A duplicate can be a race between concurrent broadcasts rather than a
    // redundant path: not from the link that just delivered something first, and only
    // after prune_after_ in a row (the paper's rule is 1). Nor is a server's last eager
    // link ever cut from its side.
    if (last_first_ == from) return;
    if (++duplicates_[from] < prune_after_) return;
    duplicates_[from] = 0;
    if (eager_links_up(ch) - (ch.peer_up(from) ? 1 : 0) == 0) return;
    eager_[from] = false;
    ch.send(from, prune_line());
  }

  bool on_peer_message(PeerChannel& ch, PeerId from, std::string_view line) override {
    std::string_view word = line.substr(0, line.find(' '));
    if (word != "IHAVE" && word != "GRAFT" && word != "PRUNE") return false;
    ensure_peers(ch);
    if (from >= eager_.size()) return true;
    if (word == "PRUNE") {
      if (line != "PRUNE") return malformed(ch, from, "PRUNE", line);
      on_prune(ch, from);
    } else if (word == "GRAFT") {
      on_graft(ch, from, line);
    } else {
      on_ihave(ch, from, line);
    }
    return true;
  }

  void on_peer_up(PeerChannel& ch, PeerId peer) override {
    // A (re)connected friend starts eager, as a new neighbour does in the paper: if that
    // duplicates a tree path, duplicates prune it again.
    ensure_peers(ch);
    if (peer >= eager_.size()) return;
    eager_[peer] = true;
    duplicates_[peer] = 0;
  }

  void on_peer_down(PeerChannel& ch, PeerId peer) override {
    // Nothing may wait on a friend we cannot reach: forget its announcements (a GRAFT to
    // it would be dropped) and what we meant to announce to it.
    ensure_peers(ch);
    for (auto& [client, m] : missing_) {
      m.announcers.erase(std::remove(m.announcers.begin(), m.announcers.end(), peer),
                         m.announcers.end());
    }
    if (auto it = pending_.find(peer); it != pending_.end()) {
      pending_count_ -= it->second.size();
      pending_.erase(it);
    }
  }

  void on_timeout(PeerChannel& ch) override {
    const Instant now = ch.now();
    if (flush_due_ && *flush_due_ <= now) flush(ch);
    while (!graft_timers_.empty() && graft_timers_.begin()->first <= now) {
      std::string_view client = graft_timers_.begin()->second;  // a key of missing_
      graft_timers_.erase(graft_timers_.begin());
      if (auto it = missing_.find(client); it != missing_.end()) expire(ch, it);
    }
  }

  std::optional<Instant> next_timeout() const override {
    std::optional<Instant> next = flush_due_;
    if (!graft_timers_.empty() && (!next || graft_timers_.begin()->first < *next)) {
      next = graft_timers_.begin()->first;
    }
    return next;
  }

 private:
  // An update some friends announced and this server lacks, keyed by its client.
  struct Missing {
    std::uint64_t id = 0;
    Nanoseconds client_time_ns = 0;
    std::string origin;
    std::deque<PeerId> announcers;  // in the order to GRAFT them; each friend at most once
    Instant due;
  };
  using MissingMap = std::map<std::string, Missing, std::less<>>;

  // Bounded: the oldest id is forgotten first. A push that a repair beat arrives within a
  // broadcast's time; only a burst of more repairs than that in between (a server restored
  // from nothing) forgets its id first, and then that push counts as one duplicate.
  void remember_repaired(std::uint64_t id) {
    if (!repaired_ids_.insert(id).second) return;
    repaired_order_.push_back(id);
    if (repaired_order_.size() > kMaxRepaired) {
      repaired_ids_.erase(repaired_order_.front());
      repaired_order_.pop_front();
    }
  }

  void ensure_peers(PeerChannel& ch) {
    // The friend list is fixed for a server's life; it is first seen through the channel.
    if (eager_.size() == ch.friend_count()) return;
    eager_.assign(ch.friend_count(), true);
    duplicates_.assign(ch.friend_count(), 0);
  }

  std::size_t eager_links_up(PeerChannel& ch) const {
    std::size_t n = 0;
    for (PeerId peer = 0; peer < eager_.size(); ++peer) n += eager_[peer] && ch.peer_up(peer);
    return n;
  }

  // Whether `held` is the announced update or newer. The announcement carries only the
  // first two keys of the total order; on a tie there with a different id the answer is
  // "no", which at worst costs one GRAFT whose reply is then the newer record anyway.
  static bool covers(const StoredRecord& held, std::uint64_t id, Nanoseconds client_time_ns,
                     std::string_view origin) {
    if (held.id == id) return true;
    if (held.update.client_time_ns != client_time_ns) {
      return held.update.client_time_ns > client_time_ns;
    }
    return held.update.origin() > origin;
  }

  // Built once per server, not once per process: a SharedText's count is not atomic, and
  // servers of two simulations may run on two threads.
  const SharedText& prune_line() {
    if (!prune_line_) prune_line_ = SharedText("PRUNE\n");
    return prune_line_;
  }
  const SharedText& bare_graft_line() {
    if (!bare_graft_line_) bare_graft_line_ = SharedText("GRAFT\n");
    return bare_graft_line_;
  }
  SharedText prune_line_;
  SharedText bare_graft_line_;

  bool malformed(PeerChannel& ch, PeerId from, std::string_view what, std::string_view line) {
    ch.log_warn("plumtree: ignored malformed " + std::string(what) + " from " +
                std::string(ch.friend_name(from)) + ": " + log_excerpt(line));
    return true;
  }

  void on_prune(PeerChannel& ch, PeerId from) {
    eager_[from] = false;
    duplicates_[from] = 0;
    // (damping) A server left with no eager link would hear of every update only by
    // announcement and graft each one; asking the pruner back costs one line, and that
    // link carries no duplicates any more, since nothing else feeds it.
    if (eager_links_up(ch) == 0 && ch.peer_up(from)) {
      eager_[from] = true;
      ch.send(from, bare_graft_line());
    }
  }

  // --- lazy push -------------------------------------------------------------------------

  void announce(PeerChannel& ch, PeerId peer, std::string_view client) {
    if (ihave_delay_ns_ == 0) {
      const StoredRecord* record = ch.records().find(client);
      if (record) send_ihave(ch, peer, {record});
      return;
    }
    auto& clients = pending_[peer];
    if (clients.find(client) == clients.end()) {
      clients.emplace(client);
      ++pending_count_;
    }
    if (pending_count_ >= kMaxPendingAnnouncements) {
      flush(ch);
    } else if (!flush_due_) {
      flush_due_ = ch.now() + ihave_delay_ns_;
    }
  }

  void drop_pending(PeerId peer, std::string_view client) {
    auto it = pending_.find(peer);
    if (it == pending_.end()) return;
    if (auto c = it->second.find(client); c != it->second.end()) {
      it->second.erase(c);
      --pending_count_;
    }
  }

  // One batch per friend; each announces the record held now, which is what the friend
  // needs even if it replaced the one that was queued.
  void flush(PeerChannel& ch) {
    flush_due_.reset();
    std::vector<const StoredRecord*> records;
    for (const auto& [peer, clients] : pending_) {
      records.clear();
      for (const auto& client : clients) {
        if (const StoredRecord* r = ch.records().find(client)) records.push_back(r);
      }
      send_ihave(ch, peer, records);
    }
    pending_.clear();
    pending_count_ = 0;
  }

  // Sends the announcements as few IHAVE lines as the limits allow. An entry too long for
  // any IHAVE line (a client ID of kilobytes) is pushed in full instead.
  void send_ihave(PeerChannel& ch, PeerId peer, const std::vector<const StoredRecord*>& records) {
    std::string line = "IHAVE";
    std::size_t entries = 0;
    auto send_line = [&] {
      if (entries == 0) return;
      ch.send(peer, SharedText(line + "\n"));
      line = "IHAVE";
      entries = 0;
    };
    for (const StoredRecord* record : records) {
      std::string entry = plumtree_wire::format_ihave_entry(*record);
      if (5 + entry.size() + 1 > plumtree_wire::kMaxIhaveLineBytes) {
        ch.send(peer, peer_update_line(record->update, record->hops + 1));
        continue;
      }
      if (entries == plumtree_wire::kMaxIhaveEntries ||
          line.size() + entry.size() + 1 > plumtree_wire::kMaxIhaveLineBytes) {
        send_line();
      }
      line += entry;
      ++entries;
    }
    send_line();
  }

  // --- tree repair -----------------------------------------------------------------------

  void on_ihave(PeerChannel& ch, PeerId from, std::string_view line) {
    if (!plumtree_wire::parse_ihave(line, fields_, announcements_)) {
      malformed(ch, from, "IHAVE", line);
      return;
    }
    for (const Announcement& a : announcements_) note_announcement(ch, from, a);
  }

  void note_announcement(PeerChannel& ch, PeerId from, const Announcement& a) {
    const StoredRecord* held = ch.records().find(a.client);
    if (held && covers(*held, a.id, a.client_time_ns, a.origin)) return;
    auto it = missing_.find(a.client);
    if (it == missing_.end()) {
      if (missing_.size() >= kMaxMissing) {
        // Dropped: a later push, announcement or anti-entropy brings it. Logged sparsely.
        ++missing_dropped_;
        if ((missing_dropped_ & (missing_dropped_ - 1)) == 0) {
          ch.log_warn("plumtree: missing-update table full (" + std::to_string(kMaxMissing) +
                      " clients); " + std::to_string(missing_dropped_) +
                      " announcements ignored so far");
        }
        return;
      }
      // (damping) The first wait is drawn from [timeout, 1.5 x timeout): servers that heard
      // the same announcement at once do not all graft at once; the first repair usually
      // reaches the others before their timers run out.
      const auto jitter_bound =
          static_cast<std::uint64_t>(std::max<Nanoseconds>(1, graft_timeout_ns_ / 2));
      const auto jitter_ns = static_cast<Nanoseconds>(ch.rng().uniform_u64(jitter_bound));
      Missing m{a.id, a.client_time_ns, std::string(a.origin), {from},
                ch.now() + graft_timeout_ns_ + jitter_ns};
      it = missing_.emplace(std::string(a.client), std::move(m)).first;
      graft_timers_.emplace(it->second.due, it->first);
      return;
    }
    Missing& m = it->second;
    auto known = std::find(m.announcers.begin(), m.announcers.end(), from);
    bool newer = a.client_time_ns != m.client_time_ns ? a.client_time_ns > m.client_time_ns
                                                      : a.origin > m.origin;
    if (newer) {
      // The friend holds something newer than any earlier announcer claimed: ask it first.
      m.id = a.id;
      m.client_time_ns = a.client_time_ns;
      m.origin = std::string(a.origin);
      if (known != m.announcers.end()) m.announcers.erase(known);
      m.announcers.push_front(from);
    } else if (known == m.announcers.end()) {
      m.announcers.push_back(from);
    }
  }

  // The graft timer of one missing update ran out: GRAFT an announcer that can be reached,
  // and give the next one its turn after another timeout (as the paper does).
  void expire(PeerChannel& ch, MissingMap::iterator it) {
    Missing& m = it->second;
    const StoredRecord* held = ch.records().find(it->first);
    if (held && covers(*held, m.id, m.client_time_ns, m.origin)) {
      missing_.erase(it);
      return;
    }
    std::erase_if(m.announcers, [&](PeerId p) { return !ch.peer_up(p); });
    if (m.announcers.empty()) {
      missing_.erase(it);
      return;
    }
    // (damping) An announcer whose link is already eager (grafted for another update) is
    // asked first: re-using one repaired link adds no new cycle to the tree.
    auto pick = std::find_if(m.announcers.begin(), m.announcers.end(),
                             [&](PeerId p) { return eager_[p]; });
    if (pick == m.announcers.end()) pick = m.announcers.begin();
    const PeerId peer = *pick;
    m.announcers.erase(pick);
    eager_[peer] = true;
    duplicates_[peer] = 0;
    send_graft(ch, peer, it);
    // (damping) The grafted link is now a tree link: ask it at once for everything else it
    // announced and we miss, instead of grafting other links for those one by one.
    for (auto other = missing_.begin(); other != missing_.end(); ++other) {
      if (other == it) continue;
      auto& announcers = other->second.announcers;
      auto pos = std::find(announcers.begin(), announcers.end(), peer);
      if (pos == announcers.end()) continue;
      announcers.erase(pos);
      send_graft(ch, peer, other);
    }
  }

  // Sends GRAFT for one missing update and restarts its timer for the next announcer.
  void send_graft(PeerChannel& ch, PeerId peer, MissingMap::iterator it) {
    Missing& m = it->second;
    ch.send(peer, SharedText(plumtree_wire::format_graft(m.id, it->first)));
    graft_timers_.erase({m.due, std::string_view(it->first)});
    m.due = ch.now() + graft_timeout_ns_;
    graft_timers_.emplace(m.due, it->first);
  }

  // An update of `client` was just stored: announcements it answers need no GRAFT.
  void settle_missing(PeerChannel& ch, std::string_view client) {
    auto it = missing_.find(client);
    if (it == missing_.end()) return;
    const StoredRecord* held = ch.records().find(client);
    const Missing& m = it->second;
    if (!held || !covers(*held, m.id, m.client_time_ns, m.origin)) return;
    graft_timers_.erase({m.due, std::string_view(it->first)});
    missing_.erase(it);
  }

  void on_graft(PeerChannel& ch, PeerId from, std::string_view line) {
    auto graft = plumtree_wire::parse_graft(line, fields_);
    if (!graft) {
      malformed(ch, from, "GRAFT", line);
      return;
    }
    eager_[from] = true;
    duplicates_[from] = 0;
    if (!graft->client) return;  // bare GRAFT: the link is back in the tree, nothing missing
    // The record held now, which may be newer than the one asked for: newer wins anyway.
    if (const StoredRecord* record = ch.records().find(*graft->client)) {
      ch.send(from, peer_update_line(record->update, record->hops + 1));
    }
  }

  Nanoseconds ihave_delay_ns_;
  Nanoseconds graft_timeout_ns_;
  std::uint32_t prune_after_;               // (damping) duplicates in a row that prune a link
  std::vector<bool> eager_;                 // by PeerId; false: lazy
  std::vector<std::uint32_t> duplicates_;   // by PeerId: duplicates in a row since a first delivery
  std::optional<PeerId> last_first_;        // the link of the latest new update, if from a friend
  MissingMap missing_;
  // (due, client): the graft timers, in firing order; the views point at missing_'s keys.
  std::set<std::pair<Instant, std::string_view>> graft_timers_;
  std::map<PeerId, std::set<std::string, std::less<>>> pending_;  // IHAVEs awaiting a batch
  std::size_t pending_count_ = 0;
  std::optional<Instant> flush_due_;
  std::uint64_t missing_dropped_ = 0;
  std::set<std::uint64_t> repaired_ids_;      // updates stored from repairs, lookups only
  std::deque<std::uint64_t> repaired_order_;  // the same ids, oldest first
  std::vector<std::string_view> fields_;        // scratch, reused across messages
  std::vector<Announcement> announcements_;     // scratch
};

}  // namespace

std::unique_ptr<PropagationStrategy> make_plumtree(const PropagationConfig& config) {
  return std::make_unique<Plumtree>(config);
}

}  // namespace herd::core
