#pragma once
// The state of one run on many threads (simulation_parallel.cpp); internal to herd_virtual.
//
// A window is a stretch of virtual time [start, end) that no line sent inside it can cross:
// every link's next draw is at least the lookahead, and links keep lines in order, so
// whatever a server sends in the window arrives at or after its end. Within a window the
// servers are therefore independent. Each thread (a lane) handles the window's events of
// its servers in their serial order and writes down what they did (records and actions);
// the main thread then commits those in the serial order of the whole herd, doing what
// the serial run does to the queue, the metrics, the checker and the fingerprint.

#include <atomic>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "herd/sim/simulation.hpp"

namespace herd::sim {

// True on a thread while it handles a window's events: Simulation::violation() then
// throws a LaneFailure, and the commit raises the violation when it reaches the event,
// with the time and event count the serial run reports.
extern thread_local bool on_lane_thread;

struct LaneFailure {
  std::optional<std::uint32_t> server;
  std::string what;
};

struct Simulation::Lane {
  enum class Outcome : std::uint8_t { delivered, dropped, paused, handled };
  // One event handled, in the lane's order (the serial order restricted to its servers).
  struct Record {
    Event event;  // a timer set inside the window has no sequence yet (the commit's)
    std::uint32_t server = 0;
    bool set_inside = false;  // a timer set inside the window
    Outcome outcome = Outcome::handled;
    PeerLineKind line_kind = PeerLineKind::other;
    bool failed = false;  // the lane stopped here: failure or error says why
    std::uint32_t size = 0;         // delivered: the line's bytes
    std::uint64_t bytes_word = 0;   // delivered: Fingerprint::bytes_word of them
    std::uint32_t actions_begin = 0, actions_end = 0;
  };
  // What handling it did beyond the server itself, in the order it did it. Kept small:
  // memos and observations, which only some actions have, sit in vectors of their own.
  static constexpr std::uint32_t kNone = 0xffffffff;
  struct Action {
    enum class Kind : std::uint8_t { send, lost, observe, timer };
    Kind kind = Kind::send;
    std::uint32_t link = 0;         // send, lost
    std::uint32_t extra = kNone;    // send: index in memos; observe: in observations
    Nanoseconds at_ns = 0;          // send: arrival; timer: when
    // send: the line, copied into text; or, when longer than a slot holds, its buffer.
    // Copying lets the lane free the server's buffer itself: freed on the main thread,
    // every line would cross malloc arenas and their locks.
    std::uint32_t text_at = 0, text_size = 0;
    core::SharedText long_line;
    // send: the link's connection and the receiver's lane, read here so that the commit
    // does not read the link (a cache miss on a big herd) again.
    core::ConnId conn = 0;
    std::uint16_t to_lane = 0;
  };
  // A timer one of its servers set inside the window: handled in the window too.
  struct Timer {
    Nanoseconds at_ns = 0;
    std::uint64_t order = 0;  // set order, which is the serial run's at equal times
    std::uint32_t server = 0;
  };

  unsigned index = 0;
  // Its servers' deliveries and timers: the commit appends to the inbox, the lane moves
  // it into its queue and takes the window's events from there (so the heap work is the
  // threads', not the commit's).
  EventQueue queue;
  std::vector<Event> inbox;
  std::vector<Event> handed;  // the window's events the main queue held (sent serially)
  std::vector<Event> events;  // the window's events of its servers, in order
  std::vector<Record> records;
  std::vector<Action> actions;
  std::string text;  // the lines of its send actions
  std::vector<core::PeerLineMemo> memos;
  std::vector<core::Observation> observations;
  std::vector<Timer> timers;  // a min-heap
  std::uint64_t timer_order = 0;
  std::vector<std::uint32_t> sent;  // servers that sent: their lookahead leaf is new
  std::optional<LaneFailure> failure;
  std::exception_ptr error;
  std::size_t cursor = 0;  // the commit's next record
  Nanoseconds now_ns = 0;
  bool firing = false;  // handling a timer (for the checker's re-arm rule)

  // Empties a buffer of the last pass. One that pass used little of gives its storage
  // back: the start-up burst's passes fill millions of entries, a flood's windows
  // thousands, and kept through the run, the burst's room was 5% of a million-server
  // flood's peak on two threads.
  template <typename Buffer>
  static void reset(Buffer& buffer) {
    constexpr std::size_t kKeepBytes = std::size_t{1} << 20;
    if (buffer.capacity() * sizeof(buffer[0]) > kKeepBytes &&
        buffer.size() < buffer.capacity() / 4) {
      Buffer().swap(buffer);
    } else {
      buffer.clear();
    }
  }
  // A new pass: what the last one wrote down has been committed.
  void start_pass() {
    reset(records);
    reset(actions);
    reset(text);
    reset(memos);
    reset(observations);
    timers.clear();
    cursor = 0;
    failure.reset();
    error = nullptr;
  }
  // After a pass stopped by a failure or an error: its last record is where.
  void mark_stop() {
    if ((failure || error) && !records.empty()) {
      records.back().failed = true;
      records.back().actions_end = static_cast<std::uint32_t>(actions.size());
    }
  }
  // The next record the commit may take from this lane, if any: one of a timer set inside
  // the window waits for the main queue to hand the timer over.
  [[nodiscard]] const Record* next_record() const {
    if (cursor >= records.size() || records[cursor].set_inside) return nullptr;
    return &records[cursor];
  }
};

// Calls the function over the lambdas' overload set: std::visit on an Output.
template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

struct Simulation::Parallel {
  unsigned threads = 2;
  // Server s is handled by thread s % threads. Runs of neighbouring servers per thread
  // (fewer shared cache lines) measured no faster: a window's events cluster where the
  // floods are, and dealing servers one by one spreads them best.
  [[nodiscard]] unsigned lane_of(std::uint32_t server) const noexcept { return server % threads; }
  std::vector<Lane> lanes;
  // The window: events before `bound` in the serial order, (end, 0) or the first event
  // the threads do not handle. window_end is its time.
  Event bound;
  Nanoseconds window_end = 0;
  std::optional<Event> first_inbox;  // the earliest event the commit put in an inbox
  std::size_t last_window_events = 0;
  bool bringing_up = false;  // the pass brings the links up (work_bring_up), not a window
  std::uint32_t bring_up_first = 0, bring_up_end = 0;  // the links of that pass
  // A min-tree over servers of lookahead_of(): tree[leaves + s] is server s's, tree[1] the
  // herd's. Lanes write their servers' leaves; the main thread fixes the inner nodes.
  std::size_t leaves = 1;
  std::vector<Nanoseconds> tree;
  std::vector<std::uint32_t> dirty;  // servers that sent outside a window
  bool all_dirty = true;             // links came up or down, or their latency changed
  std::atomic<std::uint64_t> generation{0};  // bumped to start a window (or to stop)
  std::atomic<unsigned> pending{0};          // helper threads still handling it
  std::atomic<bool> stop{false};
  std::vector<std::thread> helpers;

  // The lane whose next record comes first in the serial order, or null if none has one.
  [[nodiscard]] Lane* earliest_lane() {
    Lane* best = nullptr;
    for (Lane& lane : lanes) {
      const Lane::Record* next = lane.next_record();
      if (next && (!best || EventQueue::earlier(next->event, best->records[best->cursor].event))) {
        best = &lane;
      }
    }
    return best;
  }

  Parallel() = default;
  Parallel(const Parallel&) = delete;
  Parallel& operator=(const Parallel&) = delete;
  ~Parallel() {
    stop.store(true, std::memory_order_release);
    generation.fetch_add(1, std::memory_order_acq_rel);
    generation.notify_all();
    for (auto& t : helpers) t.join();
  }
};

}  // namespace herd::sim
