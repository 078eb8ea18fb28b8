#pragma once
// The metric definitions of docs/metrics.md, computed from the observations servers emit. The
// recorder has global knowledge (every acceptance everywhere), which no server has; that is
// what lets it say how stale a server is.
//
// "Server s holds update u" means s holds u or a newer update of the same client. For each
// (server, client) the recorder keeps how many of the client's accepted updates, in
// acceptance order, the server holds; an update is delivered to s the first time that count
// passes it. Staleness, reach, convergence and propagation delay all follow from that count.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herd/core/record_store.hpp"
#include "herd/core/time.hpp"
#include "herd/sim/flat_index.hpp"

namespace herd::sim {

using core::Nanoseconds;
using ServerIndex = std::uint32_t;
using UpdateIndex = std::uint32_t;

struct UpdateStats {
  core::LocationUpdate update;
  std::uint32_t client = 0;
  ServerIndex origin = 0;
  Nanoseconds accepted_ns = 0;
  std::uint32_t holders = 0;       // servers that hold it (or newer), origin included
  std::uint32_t ldh = 0;           // most hops any server needed to get it directly
  std::uint64_t deliveries = 0;    // peer messages carrying it that reached a server
  Nanoseconds last_delivery_ns = 0;
};

struct Delivery {
  UpdateIndex update = 0;
  ServerIndex server = 0;
  Nanoseconds at_ns = 0;
  std::uint32_t hops = 0;  // 0 when superseded by a newer update rather than received
  bool direct = false;
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
  std::uint64_t peer_messages = 0;       // delivered to a server, redundant ones included
  Percentiles propagation;               // over (update, server ≠ origin)
  double reach_mean = 0, reach_min = 0;  // over servers live at the end
  std::uint64_t lost_updates = 0;        // not held by every server live at the end
  std::uint32_t ldh_max = 0;
  double ldh_mean = 0;
  double messages_per_update = 0;
  double rmr_mean = 0;
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
  void on_applied(Nanoseconds now, ServerIndex server, std::uint64_t id, std::uint32_t hops);
  void on_ignored(Nanoseconds now, ServerIndex server, std::uint64_t id);
  void on_read(Nanoseconds now, ServerIndex server, const core::SharedText& at_line,
               std::uint64_t id);
  void on_request(bool answered);  // a client command and whether a reply came
  void on_unknown_read() { ++unknown_reads_; }
  void on_server_down(Nanoseconds now, ServerIndex server);
  void on_server_up(Nanoseconds now, ServerIndex server, bool lost_state);
  // A fault healed (partition, clog, restart): convergence is measured from the last one.
  void on_heal(Nanoseconds now);
  void sample_staleness(Nanoseconds now);

  [[nodiscard]] Summary summarize() const;
  [[nodiscard]] const std::vector<UpdateStats>& updates() const noexcept { return updates_; }
  [[nodiscard]] const std::vector<Delivery>& deliveries() const noexcept { return deliveries_; }
  [[nodiscard]] const std::vector<ReadStats>& reads() const noexcept { return reads_; }
  [[nodiscard]] const std::vector<StalenessSample>& staleness() const noexcept {
    return staleness_;
  }
  [[nodiscard]] const std::vector<std::string>& client_names() const noexcept {
    return client_names_;
  }
  // Pairs (live server, client) where the server lacks the newest accepted update.
  [[nodiscard]] std::uint64_t lagging_pairs() const noexcept { return lagging_; }

 private:
  struct ClientState {
    std::vector<UpdateIndex> accepted;  // in acceptance order
    std::optional<UpdateIndex> newest;  // under the herd's total order
    std::uint32_t caught_up = 0;        // live servers holding everything accepted
  };
  std::uint32_t client_index(std::string_view name);
  std::optional<UpdateIndex> find_update(std::uint64_t id) const;
  std::uint32_t& held(ServerIndex server, std::uint32_t client);
  void hold(Nanoseconds now, ServerIndex server, UpdateIndex update, std::uint32_t hops);
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
  std::vector<std::uint32_t> held_;
  std::uint64_t lagging_ = 0;
  std::vector<Delivery> deliveries_;
  std::vector<Nanoseconds> delays_ns_;
  std::uint64_t deliveries_direct_ = 0;
  std::uint64_t peer_messages_ = 0;
  std::vector<ReadStats> reads_;
  std::uint64_t unknown_reads_ = 0, requests_ = 0, answered_ = 0;
  std::vector<StalenessSample> staleness_;
  Nanoseconds last_disturbance_ns_ = 0;
  std::optional<Nanoseconds> converged_at_ns_;
};

}  // namespace herd::sim
