#pragma once
// The deterministic virtual-time runtime: many core::Server instances on one thread, joined
// by simulated links that carry the same protocol lines as TCP would. The simulation adds no
// protocol logic; it decides only when bytes arrive, which links exist, and what clients send.
//
// Determinism: one seed; sub-seeds per link and for the workload and fault schedule; events
// ordered by (time, sequence); no wall clock and no iteration over unordered containers that
// reaches the output. The fingerprint folds the ordered event trace.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "herd/core/server.hpp"
#include "herd/sim/event_queue.hpp"
#include "herd/sim/fingerprint.hpp"
#include "herd/sim/invariants.hpp"
#include "herd/sim/herd_layout.hpp"
#include "herd/sim/huge_pages.hpp"
#include "herd/sim/message_trace.hpp"
#include "herd/sim/metrics.hpp"
#include "herd/sim/prng.hpp"
#include "herd/sim/scenario.hpp"
#include "herd/sim/server_arena.hpp"
#include "herd/sim/slot_chunks.hpp"
#include "herd/sim/workload.hpp"

namespace herd::places {
class OfflineGazetteer;
}

namespace herd::sim {

struct SimulationOptions {
  bool keep_deliveries = true;                       // per-(update, server) rows
  const places::OfflineGazetteer* places = nullptr;  // null: every WHATSAT gets ZERO_RESULTS
  // Called now and then with the fraction of virtual time done (for progress on stderr).
  std::function<void(double)> progress;
  // Check the run's invariants while it runs (herd/sim/invariants.hpp); a violation throws
  // InvariantViolation. Unset: on when the environment has HERD_CHECK_INVARIANTS=1 (every
  // ctest preset sets it) or in a build with assertions on, off otherwise: the checker's
  // books cost about half again the run's time on big herds.
  std::optional<bool> check_invariants;
  // Builds each server's strategy instead of core::make_propagation (a strategy under
  // development, or a broken one planted by a test).
  core::StrategyFactory strategy_factory;
  // Record a message trace (docs/traces.md); unset: as the scenario's `trace` says.
  std::optional<bool> trace;
  // Called with every client command as it is sent (virtual time, server, line): how a
  // shrinker turns a drawn workload into an explicit script.
  std::function<void(Nanoseconds, std::uint32_t, const std::string&)> on_client_command;
  // Parse a flood's line once for all the friends it goes to and hand each receiver the
  // result with the bytes (core::PeerLineMemo), instead of each receiver parsing it again.
  // Off: every receiver parses. Results are identical either way (tests compare them); the
  // switch exists to show that. Unset: on, unless the environment has HERD_SHARED_PARSING=0.
  std::optional<bool> share_parsing;
  // Threads for this one run (docs/performance.md#one-run-on-many-cores). 1: serial. More:
  // the events of each stretch of virtual time no message can cross (the lookahead) are
  // handled on that many threads, servers split among them, and their effects committed in
  // the serial order, so the fingerprint, the metrics and every row are the serial run's.
  // 0: one per core. A run that cannot be split runs serially, and parallel() says why.
  unsigned threads = 1;
  // After a window of fewer events than this, the next runs on the calling thread alone, as
  // waking the others would cost more (unset: 32 per thread). Tests set 1 so that every
  // window goes to the threads.
  std::optional<std::size_t> parallel_min_events;
};

// Whether runs share parsing when SimulationOptions does not say.
[[nodiscard]] bool shared_parsing_by_default();

// A run broke one of the simulator's invariants (docs/ci.md#invariants lists them): the
// results would be wrong, so the run stops with what happened, where and when.
struct InvariantViolation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Whether runs check invariants when SimulationOptions does not say.
[[nodiscard]] bool invariants_by_default();

// How a run used its threads (SimulationOptions::threads).
struct ParallelReport {
  unsigned threads = 1;             // threads the run used
  std::string serial_because;       // why a run asked to use threads ran serially, or empty
  std::uint64_t windows = 0;        // lookahead windows handled on the threads
  std::uint64_t window_events = 0;  // events handled in them
  std::uint64_t serial_events = 0;  // events handled one at a time: the workload, faults,
                                    // samples, windows too small to split, the drain
};

struct SimulationCounters {
  std::uint64_t events = 0;
  std::uint64_t peer_deliveries = 0;   // peer messages handed to a server
  std::uint64_t peer_dropped = 0;      // lost to link loss, or in flight to a link or server going down
  std::uint64_t client_commands = 0;
  Nanoseconds simulated_ns = 0;  // the scenario's duration
  Nanoseconds drained_ns = 0;    // virtual time run after it, until the herd settled
};

class Simulation {
 public:
  Simulation(const Scenario& scenario, HerdLayout layout, SimulationOptions options = {});
  // Shares a herd that other runs (a second seed, --verify-determinism, a shrinker's
  // thousands of runs) or the caller (the summary, the results database) use as well: a
  // million servers' names and friends are worth holding once.
  Simulation(const Scenario& scenario, std::shared_ptr<const HerdLayout> layout,
             SimulationOptions options = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs to the scenario's duration. Call once.
  void run();

  [[nodiscard]] std::uint64_t fingerprint() const noexcept { return fingerprint_.value(); }
  [[nodiscard]] const SimulationCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const MetricsRecorder& metrics() const noexcept { return metrics_; }
  [[nodiscard]] const ParallelReport& parallel() const noexcept { return parallel_report_; }
  // A run on threads also builds and frees its servers on them, a thread per this many.
  static constexpr std::size_t kServersPerSetupThread = 16384;
  [[nodiscard]] const HerdLayout& layout() const noexcept { return layout_; }
  [[nodiscard]] const std::vector<FaultSpec>& faults() const noexcept { return faults_; }
  // Every message of the run, when the scenario asked for a trace (docs/traces.md); null
  // otherwise.
  [[nodiscard]] const MessageTrace* trace() const noexcept { return trace_ ? &*trace_ : nullptr; }
  // The server as it is now (after run(): at the end); null while crashed.
  [[nodiscard]] const core::Server* server(std::uint32_t index) const;

 private:
  // The simulator's state is laid out by server and by link in flat arrays, since a herd
  // of a million servers has four million links: every byte here is four megabytes there.
  // A server's links out are links out_begin_[s] .. out_begin_[s + 1] - 1, in its friends'
  // (PeerId) order; its links in are listed in in_links_ from in_begin_[s], by link index.
  // What only some runs need (a generator per link, per-link latency and loss, clog times,
  // clock offsets, a paused server's backlog) lives in side tables made when first needed.
  struct Link {
    // Non-reordering links: the latest arrival so far (a line never overtakes the one sent
    // before it). Reordering links: the arrival of the epoch's greeting, which no later
    // line may overtake.
    Nanoseconds floor_ns = 0;
    // The link's connection at `to` while it is up: a new one each time it comes up, so it
    // also tells a line sent in an earlier connection of the link from a current one.
    core::ConnId conn = 0;
    std::uint32_t to = 0;
    bool up = false;
    bool reconnect_pending = false;
    bool greeting_sent = false;
  };
  struct PausedInput {
    EventKind kind;
    std::uint32_t a;
    std::uint64_t payload;
  };
  static constexpr Nanoseconds kNoTimer = std::numeric_limits<Nanoseconds>::min();
  struct SimServer {
    ServerArena::Handle core;  // in arena_
    Nanoseconds timer_at_ns = kNoTimer;  // the server_timer event in force, if any
    std::int32_t crashes_active = 0;     // crash faults in force
    bool up = true;
    bool paused = false;
  };
  struct ClockOffset {
    Nanoseconds skew_ns = 0;
    double drift_ppm = 0;
    Nanoseconds drift_from_ns = 0;
  };
  // A message on the wire. Its bytes are copied in when it is sent, while they are still in
  // cache, so delivering it later reads one slot rather than a buffer's owner and then the
  // buffer (two cache misses per delivery on big herds). Longer lines keep the shared buffer.
  // A forwarded update line also carries its parse (options_.share_parsing), made by the
  // sender without parsing; the receiver reads it with the bytes.
  static constexpr std::size_t kInlineBytes = 120;
  // (Its link is the delivery event's.)
  struct alignas(64) InFlight {
    core::PeerLineMemo memo;
    std::uint32_t size = 0;
    bool has_memo = false;
    core::ConnId conn = 0;  // the link's connection when it was sent
    core::SharedText overflow;  // set when the line does not fit inline
    char inline_bytes[kInlineBytes];
    [[nodiscard]] const core::PeerLineMemo* memo_if() const noexcept {
      return has_memo ? &memo : nullptr;
    }
    [[nodiscard]] std::string_view text() const noexcept {
      return overflow ? std::string_view(*overflow) : std::string_view(inline_bytes, size);
    }
  };
  // Short lines (a link's greeting above all: at start-up every link's greeting is in
  // flight at once, four million of them in a herd of a million servers) go in slots a
  // quarter the size. A slot number's low bit says which kind it is.
  static constexpr std::size_t kSmallBytes = 20;
  struct alignas(32) SmallInFlight {
    core::ConnId conn = 0;
    std::uint32_t size = 0;
    char bytes[kSmallBytes];
  };
  [[nodiscard]] std::string_view message_text(std::uint64_t slot) const noexcept {
    if (slot & 1) {
      const SmallInFlight& m = small_in_flight_[slot >> 1];
      return {m.bytes, m.size};
    }
    return in_flight_[slot >> 1].text();
  }
  [[nodiscard]] const core::PeerLineMemo* message_memo(std::uint64_t slot) const noexcept {
    return slot & 1 ? nullptr : in_flight_[slot >> 1].memo_if();
  }
  [[nodiscard]] core::ConnId message_conn(std::uint64_t slot) const noexcept {
    return slot & 1 ? small_in_flight_[slot >> 1].conn : in_flight_[slot >> 1].conn;
  }
  struct OpenRequest {
    ClientCommand::Kind kind = ClientCommand::Kind::iamat;
    bool answered = false;
  };

  void build_servers(const Scenario& scenario);
  void build_links(const Scenario& scenario);
  void schedule_faults(const Scenario& scenario);
  [[nodiscard]] core::ServerConfig server_config(std::uint32_t index) const;
  [[nodiscard]] core::Instant local_now(std::uint32_t server) const {
    return local_now(server, now_ns_);
  }
  [[nodiscard]] core::Instant local_now(std::uint32_t server, Nanoseconds now) const;

  void dispatch(const Event& event);
  void prefetch_ahead();
  void deliver_peer(std::uint32_t link, std::uint64_t slot);
  void submit(ClientCommand command);
  void deliver_client(std::uint64_t slot);
  void on_timer(std::uint32_t server, Nanoseconds at_ns);
  void drain(std::uint32_t server);
  void send(std::uint32_t link, core::SharedText bytes, const core::PeerLineMemo* memo);
  void finish_request(core::ConnId conn);
  [[noreturn]] void violation(std::optional<std::uint32_t> server, const std::string& what) const;
  [[nodiscard]] std::string link_peer_name(std::uint32_t server, core::ConnId conn) const;
  void drain_until_settled(Nanoseconds end);
  void step(const Event& event);
  void enter(const Event& event);  // step()'s bookkeeping before the event is handled
  // Shared by the serial path and the threads (defined in src/simulation_inline.hpp, which
  // both include): when a line sent now on the link arrives (the link's draws taken), or
  // nothing if the link loses it.
  inline std::optional<Nanoseconds> draw_arrival(std::uint32_t link, Nanoseconds now);
  // The server's timer event to push after it handled something, if any.
  inline std::optional<Nanoseconds> rearm_timer(std::uint32_t server, Nanoseconds now,
                                                bool firing);
  // Whether the server's timer event at at_ns is the one in force (and clears it if so).
  inline bool timer_due(std::uint32_t server, Nanoseconds at_ns);
  inline void observe(std::uint32_t server, core::Observation& out);
  inline void check_memo(std::uint32_t link, std::string_view bytes,
                         const core::PeerLineMemo* memo) const;
  [[noreturn]] void answered_link(std::uint32_t server, const core::SendToConn& out) const;
  [[noreturn]] void closed_link(std::uint32_t server, const core::CloseConn& out) const;
  [[noreturn]] void dropped_link(std::uint32_t server, const core::ClosePeer& out) const;

  // One run on many threads (simulation_parallel.cpp).
  struct Lane;
  struct Parallel;
  [[nodiscard]] std::string parallel_refusal() const;
  // Threads SimulationOptions::threads asks for (0: one per core), capped by the herd.
  [[nodiscard]] unsigned run_threads() const;
  [[nodiscard]] unsigned setup_threads() const;
  // Calls fn(0) .. fn(n - 1), each index once, on up to `threads` threads, in contiguous
  // runs; rethrows the first exception of the lowest run once all have finished.
  static void for_each_on_threads(unsigned threads, std::size_t n,
                                  const std::function<void(std::size_t)>& fn);
  void start_threads();
  void run_lanes();  // one pass: lane 0 here, the others on their threads; returns when done
  void bring_up_on_threads();
  void work_bring_up(Lane& lane);
  void apply_actions(Lane& lane, std::size_t record);  // the effects of lane.records[record]
  void run_on_threads(Nanoseconds end);
  void run_window(bool inline_lanes);
  [[nodiscard]] Event take_first();
  void to_lane(Lane& lane, const Event& event);
  void work_lane(Lane& lane);
  void lane_event(Lane& lane, const Event& event, std::uint32_t server);
  void lane_drain(Lane& lane, std::uint32_t server);
  // Step `stage` of a delivery's loads, for the event that many places ahead (0: the next).
  void prefetch_stage(const Event& event, std::size_t stage) const noexcept;
  void commit(Lane& lane, const Event& event);
  [[nodiscard]] std::uint32_t server_of(const Event& event) const noexcept;
  [[nodiscard]] Nanoseconds next_delay(std::uint32_t link) const;
  [[nodiscard]] Nanoseconds lookahead_of(std::uint32_t server) const;
  void refresh_lookahead();
  void parallel_dirty(std::uint32_t server);  // it sent: its lookahead changed
  void check_stores_at_end() const;

  void start_fault(std::size_t index);
  void end_fault(std::size_t index);
  void crash(std::uint32_t server);
  void restart(std::uint32_t server, bool amnesia);
  void resume(std::uint32_t server);
  [[nodiscard]] bool blocked(std::uint32_t from, std::uint32_t to) const;
  [[nodiscard]] bool should_be_up(std::uint32_t link) const;
  void reevaluate_links();
  void reevaluate_link(std::uint32_t link);
  void bring_up(std::uint32_t link);
  void bring_up(std::uint32_t link, std::uint32_t from);
  void bring_down(std::uint32_t link);
  std::vector<std::uint32_t> links_between(const std::vector<std::string>& a,
                                           const std::vector<std::string>& b) const;

  // Copies the line into a slot; a line too long for one keeps *owner's buffer instead.
  std::uint64_t store_in_flight(core::ConnId conn, std::string_view bytes, core::SharedText* owner,
                                const core::PeerLineMemo* memo);
  [[nodiscard]] std::uint32_t link_from(std::uint32_t link) const;
  [[nodiscard]] core::PeerId link_peer(std::uint32_t link) const {
    return static_cast<core::PeerId>(link - out_begin_[link_from(link)]);
  }
  [[nodiscard]] std::span<const std::uint32_t> in_links(std::uint32_t server) const {
    return {in_links_.data() + in_begin_[server], in_links_.data() + in_begin_[server + 1]};
  }
  void prepare_link_tables();
  void free_in_flight(std::uint64_t slot);

  // Message trace (only when trace_ is set; see docs/traces.md).
  void trace_send(std::uint32_t link, std::uint64_t slot, Nanoseconds arrival,
                  std::string_view bytes);
  void trace_dropped(std::uint32_t link, std::string_view bytes);
  [[nodiscard]] std::uint32_t take_trace_row(std::uint64_t slot);
  void trace_lost(std::uint32_t row, std::string_view bytes);
  void trace_observed(std::uint32_t server, const core::Observation& out);
  void trace_reply(std::uint32_t server, const core::SendToConn& out);
  void finish_trace();

  Scenario scenario_;
  std::shared_ptr<const HerdLayout> shared_layout_;  // never null
  const HerdLayout& layout_;                         // *shared_layout_
  SimulationOptions options_;
  EventQueue queue_;
  Fingerprint fingerprint_;
  SimulationCounters counters_;
  std::optional<InvariantChecker> checker_;
  std::optional<std::uint32_t> timer_firing_;  // the server whose timer is being handled
  MetricsRecorder metrics_;
  Workload workload_;
  Prng client_rng_;
  // The big tables are in huge pages (huge_pages.hpp); the arena outlives servers_.
  ServerArena arena_;
  HugeVector<SimServer> servers_;
  HugeVector<Link> links_;
  HugeVector<std::uint32_t> out_begin_;  // by server, and one past the last
  HugeVector<std::uint32_t> in_begin_;   // by server, and one past the last
  HugeVector<std::uint32_t> in_links_;
  // Side tables by link (empty: every link as the scenario's network says).
  HugeVector<Prng> link_rng_;  // empty when no latency or loss of the run draws
  Prng no_draws_{0};            // passed to sample_delay then; never advanced
  std::vector<const DelayDistribution*> base_latency_;  // set by network.links overrides
  std::vector<const DelayDistribution*> latency_;       // as base_latency_ or a latency fault
  std::vector<double> loss_;
  std::vector<Nanoseconds> clog_until_ns_;
  std::vector<ClockOffset> clocks_;  // by server, once a clock fault starts
  // Inputs waiting in paused servers, in arrival order. Few servers pause, so a map by
  // server rather than an empty vector in every server.
  std::map<std::uint32_t, std::vector<PausedInput>> backlogs_;
  std::vector<FaultSpec> faults_;          // scenario faults, then random ones
  std::vector<bool> fault_active_;
  std::vector<std::vector<int>> cut_sides_;  // per partition/one_way fault, per server
  std::vector<std::size_t> active_cuts_;     // in start order
  SlotChunks<InFlight> in_flight_;             // slot = index * 2
  HugeVector<SmallInFlight> small_in_flight_;  // slot = index * 2 + 1
  // Free slots, as slot numbers: the heads of lists threaded through the free slots' conn
  // fields. A separate stack of them would cost another 8 bytes a link (every greeting is
  // freed at start-up), twice that once doubled.
  static constexpr std::uint64_t kNoFreeSlot = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t free_slots_ = kNoFreeSlot;        // of in_flight_
  std::uint64_t free_small_slots_ = kNoFreeSlot;  // of small_in_flight_
  // Short slots in use. The greetings of a big herd's start-up fill millions of them at
  // once; when the last is freed, a table of at least kReleaseSmallSlots slots is given
  // back (32 bytes a link) instead of being kept through the rest of the run, and so are
  // the event queue's spare chunks.
  std::uint64_t small_live_ = 0;
  static constexpr std::size_t kReleaseSmallSlots = 4096;
  std::vector<ClientCommand> commands_;    // delivered or waiting, by slot
  std::vector<std::uint64_t> free_commands_;
  // Client requests waiting for their reply and close. A request is answered within the
  // event that delivers it (places look-ups are synchronous here), so there are only ever
  // a few: a short vector beats a hash map that allocates per request.
  std::vector<std::pair<core::ConnId, OpenRequest>> open_requests_;
  OpenRequest* open_request(core::ConnId conn);
  core::ConnId next_conn_ = 1;
  Nanoseconds now_ns_ = 0;
  Nanoseconds last_sample_ns_ = -1;
  bool draining_ = false;  // past the duration: no workload, faults or samples
  bool ran_ = false;
  bool prefetch_ = false;  // see prefetch_ahead()
  bool share_parsing_ = true;  // see SimulationOptions::share_parsing

  std::unique_ptr<Parallel> parallel_;  // set while a run uses threads
  ParallelReport parallel_report_;

  std::optional<MessageTrace> trace_;
  std::vector<std::uint32_t> in_flight_row_;  // by in-flight slot: its trace row
  std::vector<std::uint32_t> command_row_;    // by command slot
  // The delivery being handled, whose outputs say what became of it.
  struct TraceDelivery {
    bool active = false;
    std::uint32_t row = MessageTrace::kNoRow;  // none past the trace's limit
    std::uint32_t server = 0;  // the receiver
    core::ConnId conn = 0;     // client commands: their connection
    bool warned = false;       // the receiver logged a warning while handling it
  };
  TraceDelivery tracing_;
};

}  // namespace herd::sim
