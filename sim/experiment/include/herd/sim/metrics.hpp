#pragma once
// The metric definitions of docs/metrics.md, computed from the observations servers emit.
// The recorder has global knowledge (every acceptance everywhere), which no server has; that
// is what lets it say how stale a server is.
//
// "Server s holds update u" means s holds u or a newer update of the same client, newer in
// the herd's total order (core::compare_updates), whatever order the updates were accepted
// in. For each (server, client) the recorder keeps how many of the client's accepted
// updates, in that total order, the server holds; an update is delivered to s the first time
// that count passes it (only the first time: a server refilled after losing its state is
// not delivered to twice). Staleness, reach, convergence and propagation delay all follow.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "herd/core/record_store.hpp"
#include "herd/core/time.hpp"
#include "herd/sim/flat_index.hpp"
#include "herd/sim/huge_pages.hpp"

namespace herd::sim {

using core::Nanoseconds;
using ServerIndex = std::uint32_t;
using UpdateIndex = std::uint32_t;
inline constexpr ServerIndex kNoServer = 0xffffffffu;

// What a peer line is, by its first word (and the second for anti-entropy's "AE ...").
enum class PeerLineKind : std::uint8_t {
  greeting,   // HERD 1 <sender> [<auth>]
  at,         // AT ... <hops>: an update pushed by the strategy
  ihave,      // Plumtree
  graft,
  prune,
  knew,       // rumor mongering's feedback
  ae_groups,  // anti-entropy digests, pulls and repairs
  ae_leaves,
  ae_pull,
  ae_push,
  other,
};
inline constexpr std::size_t kPeerLineKinds = 11;
[[nodiscard]] const char* to_string(PeerLineKind kind) noexcept;
[[nodiscard]] PeerLineKind classify_peer_line(std::string_view line) noexcept;

struct LineCount {
  std::uint64_t lines = 0;
  std::uint64_t bytes = 0;  // each line's "\n" included
};

struct UpdateStats {
  core::LocationUpdate update;
  std::uint32_t client = 0;
  ServerIndex origin = 0;
  Nanoseconds accepted_ns = 0;
  std::uint32_t holders = 0;       // servers that ever held it (or newer), origin included
  std::uint32_t ldh = 0;           // most hops any server needed to get it directly
  std::uint64_t deliveries = 0;    // peer lines carrying it (AT, AE PUSH) that reached a server
  Nanoseconds last_delivery_ns = 0;
};

struct Delivery {
  UpdateIndex update = 0;
  ServerIndex server = 0;
  Nanoseconds at_ns = 0;
  std::uint32_t hops = 0;  // 0 when superseded by a newer update rather than received
  bool direct = false;
  // The friend whose line delivered it (direct deliveries from a peer); kNoServer for the
  // origin and indirect deliveries. The edges of a flood's spanning tree.
  ServerIndex from = kNoServer;
};

struct ReadStats {
  Nanoseconds at_ns = 0;
  ServerIndex server = 0;
  std::uint32_t client = 0;
  std::optional<UpdateIndex> update;  // the AT line it answered with
  bool stale = false;
};

struct StalenessSample {
  Nanoseconds at_ns = 0;
  ServerIndex server = 0;
  std::uint32_t stale_clients = 0;
  Nanoseconds max_staleness_ns = 0;
  Nanoseconds mean_staleness_ns = 0;  // over clients with at least one accepted update
};

struct Percentiles {
  std::uint64_t count = 0;
  Nanoseconds p50_ns = 0, p95_ns = 0, p99_ns = 0, max_ns = 0;
  double mean_ns = 0;
};

struct Summary {
  std::uint64_t updates = 0;
  std::uint64_t deliveries_direct = 0;
  std::uint64_t peer_messages = 0;       // update-carrying lines delivered, redundant included
  std::uint64_t peer_lines = 0;          // every peer line delivered except greetings
  std::uint64_t peer_bytes = 0;          // their bytes
  Percentiles propagation;               // over (update, server ≠ origin)
  double reach_mean = 0, reach_min = 0;  // over servers live at the end
  std::uint64_t lost_updates = 0;        // not held by every server live at the end
  std::uint64_t in_flight_updates = 0;   // not held everywhere when the workload ended, but
                                         // held by every live server after the drain
  std::uint32_t ldh_max = 0;
  double ldh_mean = 0;
  double messages_per_update = 0;        // peer_lines / updates
  double rmr = 0;                        // peer_lines / Σ(holders − 1) − 1
  double rmr_mean = 0;                   // per update, update-carrying lines only
  std::uint64_t reads = 0, stale_reads = 0, unknown_reads = 0;
  std::uint64_t requests = 0, answered = 0;
  double availability = 1;
  std::optional<Nanoseconds> convergence_ns;  // empty: never converged
  Nanoseconds max_staleness_ns = 0;
};

class MetricsRecorder {
 public:
  explicit MetricsRecorder(std::uint32_t servers, bool keep_deliveries = true);

  // `id` is core::update_id(*at_line), which the server already computed.
  void on_accepted(Nanoseconds now, ServerIndex server, const core::SharedText& at_line,
                   std::uint64_t id);
  // `from`: the friend whose line carried it (kNoServer if not known).
  void on_applied(Nanoseconds now, ServerIndex server, std::uint64_t id, std::uint32_t hops,
                  ServerIndex from = kNoServer);
  void on_ignored(Nanoseconds now, ServerIndex server, std::uint64_t id);
  // A peer line handed to server `to` on link `link` (from server `from`).
  void on_peer_line(std::uint32_t link, PeerLineKind kind, std::size_t bytes) {
    LineCount& k = by_kind_[static_cast<std::size_t>(kind)];
    ++k.lines;
    k.bytes += bytes;
    if (link < by_link_.size()) {
      ++by_link_[link].lines;
      by_link_[link].bytes += bytes;
    }
  }
  // Per-link traffic is kept for this many links (index = the runtime's link number).
  void track_links(std::size_t links) { by_link_.assign(links, LineCount{}); }
  // The workload ended: updates not held everywhere now and held everywhere later were in
  // flight, not lost.
  void mark_workload_end();
  void on_read(Nanoseconds now, ServerIndex server, const core::SharedText& at_line,
               std::uint64_t id);
  void on_request(bool answered);  // a client command and whether a reply came
  void on_unknown_read() { ++unknown_reads_; }
  void on_server_down(Nanoseconds now, ServerIndex server);
  void on_server_up(Nanoseconds now, ServerIndex server, bool lost_state);
  // A fault healed (partition, clog, restart): convergence is measured from the last one.
  void on_heal(Nanoseconds now);
  void sample_staleness(Nanoseconds now);
  // Room for this many more staleness samples of every server, when the run knows how many
  // it will take (a bound: none is made for an absurd number).
  void reserve_staleness_samples(std::size_t samples);

  [[nodiscard]] Summary summarize() const;
  [[nodiscard]] const std::vector<UpdateStats>& updates() const noexcept { return updates_; }
  [[nodiscard]] const std::vector<Delivery>& deliveries() const noexcept { return deliveries_; }
  // A server that restarted without its state and got back an update it had held before:
  // not a delivery (that counts once), but how fast a strategy refills a server.
  [[nodiscard]] const std::vector<Delivery>& refills() const noexcept { return refills_; }
  [[nodiscard]] const std::vector<ReadStats>& reads() const noexcept { return reads_; }
  [[nodiscard]] std::span<const StalenessSample> staleness() const noexcept {
    return staleness_;
  }
  [[nodiscard]] const std::vector<std::string>& client_names() const noexcept {
    return client_names_;
  }
  // The index (updates(), the results' update_id) of the update with this core::update_id.
  [[nodiscard]] std::optional<UpdateIndex> update_index(std::uint64_t id) const {
    return find_update(id);
  }
  // The newest update `server` holds of client number `client`, by the recorder's count.
  [[nodiscard]] std::optional<std::uint64_t> newest_held(ServerIndex server,
                                                         std::uint32_t client) const;
  // Pairs (live server, client) where the server lacks the newest accepted update.
  [[nodiscard]] std::uint64_t lagging_pairs() const noexcept { return lagging_; }
  [[nodiscard]] const std::array<LineCount, kPeerLineKinds>& traffic_by_kind() const noexcept {
    return by_kind_;
  }
  [[nodiscard]] std::span<const LineCount> traffic_by_link() const noexcept {
    return by_link_;
  }

 private:
  struct ClientState {
    // Accepted updates in the herd's total order (oldest first), which is not always the
    // order they were accepted in: a server holding ordered[i] holds everything before it.
    std::vector<UpdateIndex> ordered;
    // since[i]: the earliest acceptance time among ordered[i..], so a server that holds
    // the first i has lacked something since since[i].
    std::vector<Nanoseconds> since;
    std::optional<UpdateIndex> newest;  // ordered.back()
    std::uint32_t caught_up = 0;        // live servers holding everything accepted
  };
  std::uint32_t client_index(std::string_view name);
  std::optional<UpdateIndex> find_update(std::uint64_t id) const;
  std::uint32_t& held(ServerIndex server, std::uint32_t client);
  void hold(Nanoseconds now, ServerIndex server, UpdateIndex update, std::uint32_t hops,
            ServerIndex from = kNoServer);
  // Records that `server` holds `update` for the first time (or does nothing if it held it
  // before losing its state).
  void first_hold(Nanoseconds now, ServerIndex server, UpdateIndex update, bool direct,
                  std::uint32_t hops, ServerIndex from = kNoServer);
  [[nodiscard]] std::uint32_t live_holders(UpdateIndex update) const;
  void settle(Nanoseconds now);

  std::uint32_t servers_;
  bool keep_deliveries_;
  std::vector<bool> live_;
  std::uint32_t live_count_;
  std::vector<UpdateStats> updates_;
  FlatIndex update_by_id_;
  std::vector<ClientState> clients_;
  std::vector<std::string> client_names_;
  FlatIndex client_by_hash_;  // by update_id(name); the name is checked on a hit
  // The counts, client-major: [client * servers + server]. A flood touches one client's
  // row on every server in a short time, so the row stays in cache while it spreads.
  HugeVector<std::uint32_t> held_;
  std::uint64_t lagging_ = 0;
  std::vector<Delivery> deliveries_;
  std::vector<Delivery> refills_;
  std::vector<Nanoseconds> delays_ns_;
  std::uint64_t deliveries_direct_ = 0;
  std::uint64_t peer_messages_ = 0;
  std::vector<ReadStats> reads_;
  std::uint64_t unknown_reads_ = 0, requests_ = 0, answered_ = 0;
  HugeVector<StalenessSample> staleness_;
  std::array<LineCount, kPeerLineKinds> by_kind_{};
  HugeVector<LineCount> by_link_;  // held_, staleness_ and this grow with the herd
  // (update << 32 | server) pairs a server held before it restarted without its state:
  // holding them again is not a new delivery. Membership only; never iterated.
  std::unordered_set<std::uint64_t> held_before_amnesia_;
  std::vector<bool> incomplete_at_workload_end_;  // set by mark_workload_end()
  Nanoseconds last_disturbance_ns_ = 0;
  std::optional<Nanoseconds> converged_at_ns_;
};

}  // namespace herd::sim
