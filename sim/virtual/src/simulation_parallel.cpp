// One run on many threads: conservative windows and a commit in serial order
// (simulation_lanes.hpp says how, docs/performance.md#one-run-on-many-cores why).

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>

#include "herd/sim/delay_sampler.hpp"
#include "simulation_inline.hpp"
#include "simulation_lanes.hpp"

namespace herd::sim {

thread_local bool on_lane_thread = false;

namespace {

constexpr Nanoseconds kNever = std::numeric_limits<Nanoseconds>::max();
// After a window of fewer events than this per thread, the next is handled on the main
// thread alone: waking the others would cost more than the events.
constexpr std::size_t kMinEventsPerThread = 32;
// A lossy link's next line that gets through is found by replaying its loss draws; past
// this many lost in a row the link's lookahead is taken as zero (safe, and rare).
constexpr int kMaxLossReplays = 64;
constexpr int kSpins = 4000;
// Links brought up per pass of the threads at the start of a run.
constexpr std::uint32_t kBringUpPass = 1U << 16;

bool handled_on_threads(EventKind kind) {
  return kind == EventKind::deliver_peer || kind == EventKind::server_timer;
}

// Events after which links may be up or down, or draw from other distributions.
bool changes_links(EventKind kind) {
  return kind == EventKind::fault_start || kind == EventKind::fault_end ||
         kind == EventKind::link_up;
}

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

template <class T>
void wait_while_equal(const std::atomic<T>& value, T old) {
  for (int i = 0; i < kSpins; ++i) {
    if (value.load(std::memory_order_acquire) != old) return;
    relax();
  }
  while (value.load(std::memory_order_acquire) == old) value.wait(old, std::memory_order_acquire);
}

struct LaneThreadScope {
  LaneThreadScope() { on_lane_thread = true; }
  ~LaneThreadScope() { on_lane_thread = false; }
  LaneThreadScope(const LaneThreadScope&) = delete;
  LaneThreadScope& operator=(const LaneThreadScope&) = delete;
};

}  // namespace

std::string Simulation::parallel_refusal() const {
  if (trace_) return "it records a message trace, which is written as lines are sent";
  if (scenario_.network.reorder) {
    return "its links reorder lines (network.reorder), so no lookahead bounds a window";
  }
  if (layout_.size() < 2) return "the herd has one server";
  return {};
}

unsigned Simulation::run_threads() const {
  const unsigned asked = options_.threads != 0 ? options_.threads
                                               : std::max(1U, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::min<std::size_t>({asked, layout_.size(), 256}));
}

unsigned Simulation::setup_threads() const {
  return static_cast<unsigned>(std::clamp<std::size_t>(
      layout_.size() / kServersPerSetupThread, 1, std::max(1U, run_threads())));
}

void Simulation::for_each_on_threads(unsigned threads, std::size_t n,
                                     const std::function<void(std::size_t)>& fn) {
  if (threads < 2 || n < 2) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::vector<std::exception_ptr> errors(threads);
  const auto run = [&](unsigned t) {
    try {
      for (std::size_t i = n * t / threads; i < n * (t + 1) / threads; ++i) fn(i);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(run, t);
    run(0);
  }
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

std::uint32_t Simulation::server_of(const Event& event) const noexcept {
  return event.kind() == EventKind::deliver_peer ? links_[event.a].to : event.a;
}

// The delay of the next line on the link that will get through, drawn on a copy of its
// generator exactly as draw_arrival() will draw it. Lines lost before it arrive nowhere;
// lines after it arrive no earlier, since links keep order. Clogs only delay.
Nanoseconds Simulation::next_delay(std::uint32_t link_index) const {
  const Link& link = links_[link_index];
  if (!link.up) return kNever;  // only a fault or a reconnection brings it up
  const DelayDistribution& latency =
      latency_.empty() ? scenario_.network.latency : *latency_[link_index];
  if (link_rng_.empty()) {
    Prng none = no_draws_;
    return sample_delay(latency, none);
  }
  Prng rng = link_rng_[link_index];
  const double loss = loss_.empty() ? scenario_.network.loss : loss_[link_index];
  if (link.greeting_sent && loss > 0) {
    if (loss >= 1) return kNever;
    int lost = 0;
    while (rng.chance(loss)) {
      if (++lost == kMaxLossReplays) return 0;
    }
  }
  return sample_delay(latency, rng);
}

Nanoseconds Simulation::lookahead_of(std::uint32_t server) const {
  Nanoseconds least = kNever;
  for (std::uint32_t link = out_begin_[server]; link < out_begin_[server + 1]; ++link) {
    least = std::min(least, next_delay(link));
  }
  return least;
}

void Simulation::parallel_dirty(std::uint32_t server) { parallel_->dirty.push_back(server); }

void Simulation::refresh_lookahead() {
  Parallel& p = *parallel_;
  auto fix_up = [&p](std::size_t node) {
    for (node /= 2; node >= 1; node /= 2) p.tree[node] = std::min(p.tree[2 * node], p.tree[2 * node + 1]);
  };
  if (p.all_dirty) {
    for (std::uint32_t s = 0; s < layout_.size(); ++s) p.tree[p.leaves + s] = lookahead_of(s);
    for (std::size_t node = p.leaves - 1; node >= 1; --node) {
      p.tree[node] = std::min(p.tree[2 * node], p.tree[2 * node + 1]);
    }
    p.all_dirty = false;
  } else {
    for (std::uint32_t s : p.dirty) {
      p.tree[p.leaves + s] = lookahead_of(s);
      fix_up(p.leaves + s);
    }
    for (Lane& lane : p.lanes) {
      for (std::uint32_t s : lane.sent) fix_up(p.leaves + s);  // the lane set the leaf
    }
  }
  p.dirty.clear();
  for (Lane& lane : p.lanes) lane.sent.clear();
}

void Simulation::start_threads() {
  const unsigned threads = run_threads();
  if (threads < 2) return;
  parallel_ = std::make_unique<Parallel>();
  Parallel& p = *parallel_;
  p.threads = threads;
  p.lanes.resize(threads);
  for (unsigned i = 0; i < threads; ++i) p.lanes[i].index = i;
  while (p.leaves < layout_.size()) p.leaves *= 2;
  p.tree.assign(2 * p.leaves, kNever);
  for (unsigned i = 1; i < threads; ++i) {
    p.helpers.emplace_back([this, &p, i] {
      std::uint64_t seen = 0;
      for (;;) {
        wait_while_equal(p.generation, seen);
        seen = p.generation.load(std::memory_order_acquire);
        if (p.stop.load(std::memory_order_acquire)) return;
        if (p.bringing_up) {
          work_bring_up(p.lanes[i]);
        } else {
          work_lane(p.lanes[i]);
        }
        if (p.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) p.pending.notify_all();
      }
    });
  }
  parallel_report_.threads = threads;
}

void Simulation::run_lanes() {
  Parallel& p = *parallel_;
  p.pending.store(p.threads - 1, std::memory_order_release);
  p.generation.fetch_add(1, std::memory_order_acq_rel);
  p.generation.notify_all();
  if (p.bringing_up) {
    work_bring_up(p.lanes[0]);
  } else {
    work_lane(p.lanes[0]);
  }
  for (unsigned left = p.pending.load(std::memory_order_acquire); left != 0;
       left = p.pending.load(std::memory_order_acquire)) {
    wait_while_equal(p.pending, left);
  }
}

// Every link comes up at time 0, as bring_up() does link by link: the links' fields here,
// in link order (which numbers their connections); each server's side on its thread, in
// link order too; then the commit, in link order, to and from side, as the serial loop.
void Simulation::bring_up_on_threads() {
  Parallel& p = *parallel_;
  for (Link& link : links_) {
    link.up = true;
    link.conn = next_conn_++;
    link.floor_ns = now_ns_;
    link.greeting_sent = false;
  }
  p.window_end = now_ns_;  // nothing set now is handled now: it all goes to the queues
  // In passes of a bounded number of links: what the lanes write down for four million
  // greetings at once would be half a gigabyte.
  p.bringing_up = true;
  for (std::uint32_t first = 0; first < links_.size(); first += kBringUpPass) {
    p.bring_up_first = first;
    p.bring_up_end = static_cast<std::uint32_t>(
        std::min<std::size_t>(links_.size(), std::size_t{first} + kBringUpPass));
    run_lanes();
    while (Lane* best = p.earliest_lane()) {
      const std::size_t record = best->cursor++;
      if (best->records[record].failed) {
        if (best->error) std::rethrow_exception(best->error);
        violation(best->failure->server, best->failure->what);
      }
      apply_actions(*best, record);
    }
  }
  p.bringing_up = false;
  // Each lane sets its servers' lookahead leaves once all links are up.
  for (Lane& lane : p.lanes) {
    lane.failure.reset();
    lane.error = nullptr;
  }
  p.bring_up_first = p.bring_up_end = 0;
  p.bringing_up = true;
  run_lanes();
  p.bringing_up = false;
  for (Lane& lane : p.lanes) {
    if (lane.error) std::rethrow_exception(lane.error);
  }
  // The lanes set their servers' lookahead leaves; the inner nodes are made here.
  for (std::size_t node = p.leaves - 1; node >= 1; --node) {
    p.tree[node] = std::min(p.tree[2 * node], p.tree[2 * node + 1]);
  }
  for (Lane& lane : p.lanes) lane.sent.clear();
  p.all_dirty = false;
}

void Simulation::work_bring_up(Lane& lane) {
  Parallel& p = *parallel_;
  lane.start_pass();
  lane.now_ns = now_ns_;
  LaneThreadScope scope;
  // One record per side of a link that did something outside the server, keyed by
  // (link, side) so that the commit can merge the lanes in link order.
  const auto side = [&](std::uint32_t link, std::uint64_t which, std::uint32_t server,
                        const auto& handle) {
    Lane::Record& record = lane.records.emplace_back();
    record.event = Event{now_ns_, ((std::uint64_t{link} << 1) | which) << 8, link, 0};
    record.server = server;
    record.actions_begin = static_cast<std::uint32_t>(lane.actions.size());
    handle();
    lane_drain(lane, server);
    record.actions_end = static_cast<std::uint32_t>(lane.actions.size());
    if (record.actions_end == record.actions_begin) lane.records.pop_back();
  };
  try {
    if (p.bring_up_first == p.bring_up_end) {
      // The pass after the last: every link is up, each server's lookahead is known.
      for (std::uint32_t s = lane.index; s < layout_.size(); s += p.threads) {
        p.tree[p.leaves + s] = lookahead_of(s);
      }
      return;
    }
    for (std::uint32_t from = link_from(p.bring_up_first), link = p.bring_up_first;
         link < p.bring_up_end; ++from) {
      const bool mine = p.lane_of(from) == lane.index;
      for (; link < out_begin_[from + 1] && link < p.bring_up_end; ++link) {
        const std::uint32_t to = links_[link].to;
        if (p.lane_of(to) == lane.index) {
          side(link, 0, to, [&] {
            servers_[to].core->handle_conn_open(local_now(to, now_ns_), links_[link].conn);
          });
        }
        if (mine) {
          side(link, 1, from, [&] {
            servers_[from].core->handle_peer_up(local_now(from, now_ns_),
                                                static_cast<core::PeerId>(link - out_begin_[from]));
          });
        }
      }
    }
  } catch (LaneFailure& failure) {
    lane.failure = std::move(failure);
  } catch (...) {
    lane.error = std::current_exception();
  }
  lane.mark_stop();
}

void Simulation::run_on_threads(Nanoseconds end) {
  Parallel& p = *parallel_;
  const unsigned threads = p.threads;
  const Nanoseconds progress_step = std::max<Nanoseconds>(1, end / 100);
  Nanoseconds next_progress = progress_step;
  const std::size_t min_window = options_.parallel_min_events.value_or(kMinEventsPerThread * threads);
  for (;;) {
    refresh_lookahead();
    // The first event anywhere: the main queue's, or the lanes' (queued or in an inbox).
    const Event* first = queue_.empty() ? nullptr : &queue_.top();
    bool first_in_lanes = false;
    for (Lane& lane : p.lanes) {
      if (!lane.queue.empty() && (!first || EventQueue::earlier(lane.queue.top(), *first))) {
        first = &lane.queue.top();
        first_in_lanes = true;
      }
    }
    if (p.first_inbox && (!first || EventQueue::earlier(*p.first_inbox, *first))) {
      first = &*p.first_inbox;
      first_in_lanes = true;
    }
    if (!first || first->at_ns > end) break;
    const Nanoseconds lookahead = p.tree[1];
    const Nanoseconds limit = lookahead >= kNever - first->at_ns
                                  ? end + 1
                                  : std::min(end + 1, first->at_ns + lookahead);
    if (!first_in_lanes && !handled_on_threads(first->kind())) {
      const Event event = queue_.pop();
      step(event);
      ++parallel_report_.serial_events;
      if (changes_links(event.kind())) p.all_dirty = true;
    } else if (limit <= first->at_ns) {
      // No lookahead (a link that can deliver at once): one event, serially.
      const Event event = take_first();
      step(event);
      ++parallel_report_.serial_events;
    } else {
      // The window ends at the limit or at the first event the threads do not handle.
      for (Lane& lane : p.lanes) lane.handed.clear();
      while (!queue_.empty() && queue_.top().at_ns < limit &&
             handled_on_threads(queue_.top().kind())) {
        const Event event = queue_.pop();
        p.lanes[p.lane_of(server_of(event))].handed.push_back(event);
      }
      p.bound = queue_.empty() || queue_.top().at_ns >= limit ? Event{limit, 0, 0, 0} : queue_.top();
      p.window_end = p.bound.at_ns;
      run_window(p.last_window_events < min_window);
    }
    if (options_.progress && now_ns_ >= next_progress) {
      options_.progress(static_cast<double>(now_ns_) / static_cast<double>(end));
      next_progress = now_ns_ + progress_step;
    }
  }
  // The drain after the duration runs serially, on the main queue.
  for (Lane& lane : p.lanes) {
    for (const Event& event : lane.inbox) queue_.push_sequenced(event);
    while (!lane.queue.empty()) queue_.push_sequenced(lane.queue.pop());
  }
}

// The first event of the lanes' queues and inboxes and the main queue, taken out.
Event Simulation::take_first() {
  Parallel& p = *parallel_;
  for (Lane& lane : p.lanes) {
    for (const Event& event : lane.inbox) lane.queue.push_sequenced(event);
    lane.inbox.clear();
  }
  p.first_inbox.reset();
  EventQueue* from = queue_.empty() ? nullptr : &queue_;
  for (Lane& lane : p.lanes) {
    if (!lane.queue.empty() && (!from || EventQueue::earlier(lane.queue.top(), from->top()))) {
      from = &lane.queue;
    }
  }
  return from->pop();
}

// One window: each lane takes its events and handles them (on its thread, or all on this
// one when the window is small), then the commit replays their effects in serial order.
void Simulation::run_window(bool inline_lanes) {
  Parallel& p = *parallel_;
  if (!open_requests_.empty()) throw std::logic_error("parallel run: a client request is open");
  p.first_inbox.reset();
  if (inline_lanes) {
    for (Lane& lane : p.lanes) work_lane(lane);
  } else {
    run_lanes();
  }
  // Commit in the serial order: the lanes' window events, merged, with the timers they
  // set inside the window (queued by the commit as their causes commit, so by then in the
  // main queue).
  std::uint64_t committed = 0;
  for (;;) {
    Lane* best = p.earliest_lane();
    const bool from_queue =
        !queue_.empty() && queue_.top().at_ns < p.window_end &&
        (!best || EventQueue::earlier(queue_.top(), best->records[best->cursor].event));
    if (!from_queue && !best) break;
    if (from_queue) {
      const Event event = queue_.pop();
      commit(p.lanes[p.lane_of(event.a)], event);
    } else {
      commit(*best, best->records[best->cursor].event);
    }
    ++committed;
  }
  for (const Lane& lane : p.lanes) {
    if (lane.cursor != lane.records.size()) {
      throw std::logic_error("parallel run: a thread handled an event the commit did not reach");
    }
  }
  p.last_window_events = committed;
  ++parallel_report_.windows;
  parallel_report_.window_events += committed;
}

void Simulation::work_lane(Lane& lane) {
  Parallel& p = *parallel_;
  lane.start_pass();
  // The window's events: what the commit sent it, queued, up to the bound, merged with
  // what the main queue handed over (both in serial order).
  for (const Event& event : lane.inbox) lane.queue.push_sequenced(event);
  Lane::reset(lane.inbox);
  Lane::reset(lane.events);
  std::size_t h = 0;
  while (!lane.queue.empty() && EventQueue::earlier(lane.queue.top(), p.bound)) {
    const Event event = lane.queue.pop();
    while (h < lane.handed.size() && EventQueue::earlier(lane.handed[h], event)) {
      lane.events.push_back(lane.handed[h++]);
    }
    lane.events.push_back(event);
  }
  lane.events.insert(lane.events.end(), lane.handed.begin() + static_cast<std::ptrdiff_t>(h),
                     lane.handed.end());
  LaneThreadScope scope;
  const auto later = [](const Lane::Timer& x, const Lane::Timer& y) {
    return x.at_ns != y.at_ns ? x.at_ns > y.at_ns : x.order > y.order;
  };
  // Timers set inside the window go before a window event only if strictly earlier: at
  // equal times the event was queued first.
  const auto timers_before = [&](Nanoseconds at_ns) {
    while (!lane.timers.empty() && lane.timers.front().at_ns < at_ns) {
      std::pop_heap(lane.timers.begin(), lane.timers.end(), later);
      const Lane::Timer timer = lane.timers.back();
      lane.timers.pop_back();
      Event event{timer.at_ns, static_cast<std::uint64_t>(EventKind::server_timer), timer.server, 0};
      lane_event(lane, event, timer.server);
      lane.records.back().set_inside = true;
    }
  };
  try {
    const std::size_t n = lane.events.size();
    for (std::size_t i = 0; i < n; ++i) {
      const Event& event = lane.events[i];
      // As the serial loop does (prefetch_ahead): each step of the next deliveries' chains
      // of loads while this one is handled.
      if (prefetch_) {
        for (std::size_t k = 1; k <= EventQueue::kAhead && i + k < n; ++k) {
          prefetch_stage(lane.events[i + k], k - 1);
        }
      }
      timers_before(event.at_ns);
      lane_event(lane, event, server_of(event));
    }
    timers_before(p.window_end);
  } catch (LaneFailure& failure) {
    lane.failure = std::move(failure);
  } catch (...) {
    lane.error = std::current_exception();
  }
  lane.mark_stop();
}

// What deliver_peer() and on_timer() do, with the effects outside the server written down.
void Simulation::lane_event(Lane& lane, const Event& event, std::uint32_t server) {
  Lane::Record& record = lane.records.emplace_back();
  record.event = event;
  record.server = server;
  record.actions_begin = static_cast<std::uint32_t>(lane.actions.size());
  lane.now_ns = event.at_ns;
  if (event.kind() == EventKind::server_timer) {
    record.outcome = Lane::Outcome::handled;
    if (timer_due(server, event.at_ns)) {
      servers_[server].core->handle_timeout(local_now(server, event.at_ns));
      lane.firing = true;
      lane_drain(lane, server);
      lane.firing = false;
    }
  } else {
    const Link& link = links_[event.a];
    if (!link.up || link.conn != message_conn(event.payload)) {
      record.outcome = Lane::Outcome::dropped;
    } else if (servers_[server].paused) {
      record.outcome = Lane::Outcome::paused;
    } else {
      record.outcome = Lane::Outcome::delivered;
      const std::string_view bytes = message_text(event.payload);
      record.line_kind = classify_peer_line(bytes);
      record.size = static_cast<std::uint32_t>(bytes.size());
      record.bytes_word = Fingerprint::bytes_word(bytes);
      servers_[server].core->handle_conn_bytes(local_now(server, event.at_ns), link.conn, bytes,
                                               message_memo(event.payload));
      lane_drain(lane, server);
    }
  }
  lane.records.back().actions_end = static_cast<std::uint32_t>(lane.actions.size());
}

// What drain() does for a server handling a friend's line or a timer. No client is
// connected inside a window (requests open and close within their own event), so output
// meant for a connection is the violation drain() reports for it.
void Simulation::lane_drain(Lane& lane, std::uint32_t server) {
  Parallel& p = *parallel_;
  SimServer& s = servers_[server];
  bool sent = false;
  while (auto output = s.core->poll_output()) {
    std::visit(
        Overloaded{
            [&](core::SendToPeer& out) {
              const std::uint32_t link = out_begin_[server] + out.peer;
              const core::PeerLineMemo* memo = s.core->forward_memo(out.memo);
              Lane::Action& action = lane.actions.emplace_back();
              action.link = link;
              action.extra = Lane::kNone;
              const std::optional<Nanoseconds> arrival =
                  links_[link].up ? draw_arrival(link, lane.now_ns) : std::nullopt;
              sent = true;
              if (!arrival) {
                action.kind = Lane::Action::Kind::lost;
                return;
              }
              check_memo(link, *out.bytes, memo);
              action.kind = Lane::Action::Kind::send;
              action.conn = links_[link].conn;
              action.to_lane = static_cast<std::uint16_t>(p.lane_of(links_[link].to));
              action.at_ns = *arrival;
              const std::string_view line = *out.bytes;
              if (line.size() > kInlineBytes) {
                action.long_line = std::move(out.bytes);
              } else {
                action.text_at = static_cast<std::uint32_t>(lane.text.size());
                action.text_size = static_cast<std::uint32_t>(line.size());
                lane.text.append(line);
              }
              if (memo && share_parsing_) {
                action.extra = static_cast<std::uint32_t>(lane.memos.size());
                lane.memos.push_back(*memo);
              }
            },
            [&](core::SendToConn& out) { answered_link(server, out); },
            [&](core::ClosePeer& out) { dropped_link(server, out); },
            [&](core::CloseConn& out) { closed_link(server, out); },
            [&](core::QueryPlaces&) {
              violation(server, "asked for places while handling a friend's line or a timer");
            },
            [&](core::LogRecord&) {},
            [&](core::Observation& out) {
              Lane::Action& action = lane.actions.emplace_back();
              action.kind = Lane::Action::Kind::observe;
              action.extra = static_cast<std::uint32_t>(lane.observations.size());
              lane.observations.push_back(std::move(out));
            },
        },
        *output);
  }
  if (auto at = rearm_timer(server, lane.now_ns, lane.firing)) {
    Lane::Action& action = lane.actions.emplace_back();
    action.kind = Lane::Action::Kind::timer;
    action.at_ns = *at;
    if (*at < p.window_end) {
      lane.timers.push_back(Lane::Timer{*at, lane.timer_order++, server});
      std::push_heap(lane.timers.begin(), lane.timers.end(),
                     [](const Lane::Timer& x, const Lane::Timer& y) {
                       return x.at_ns != y.at_ns ? x.at_ns > y.at_ns : x.order > y.order;
                     });
    }
  }
  if (sent && !p.bringing_up) {
    p.tree[p.leaves + server] = lookahead_of(server);
    lane.sent.push_back(server);
  }
}

void Simulation::to_lane(Lane& lane, const Event& event) {
  Parallel& p = *parallel_;
  lane.inbox.push_back(event);
  if (!p.first_inbox || EventQueue::earlier(event, *p.first_inbox)) p.first_inbox = event;
}

// Does for one event what the serial run does outside the server, from what its lane
// wrote down, in the serial order.
void Simulation::commit(Lane& lane, const Event& event) {
  if (lane.cursor >= lane.records.size()) {
    throw std::logic_error("parallel run: no thread handled an event at t=" +
                           std::to_string(event.at_ns) + " ns");
  }
  Lane::Record& record = lane.records[lane.cursor++];
  if (record.event.at_ns != event.at_ns || record.event.kind() != event.kind() ||
      record.event.a != event.a) {
    throw std::logic_error("parallel run: server " + layout_.names[record.server] +
                           "'s thread handled its events in another order");
  }
  const std::uint32_t server = record.server;
  enter(event);
  if (event.kind() == EventKind::deliver_peer) {
    switch (record.outcome) {
      case Lane::Outcome::dropped:
        ++counters_.peer_dropped;
        free_in_flight(event.payload);
        break;
      case Lane::Outcome::paused:
        backlogs_[server].push_back(PausedInput{EventKind::deliver_peer, event.a, event.payload});
        break;
      case Lane::Outcome::delivered:
        ++counters_.peer_deliveries;
        metrics_.on_peer_line(event.a, record.line_kind, record.size);
        fingerprint_.add(record.bytes_word);
        free_in_flight(event.payload);
        break;
      case Lane::Outcome::handled:
        break;
    }
  }
  if (record.failed) {
    if (lane.error) std::rethrow_exception(lane.error);
    violation(lane.failure->server, lane.failure->what);
  }
  apply_actions(lane, lane.cursor - 1);
}

void Simulation::apply_actions(Lane& lane, std::size_t index) {
  Parallel& p = *parallel_;
  const Lane::Record& record = lane.records[index];
  const std::uint32_t server = record.server;
  for (std::uint32_t a = record.actions_begin; a < record.actions_end; ++a) {
    Lane::Action& action = lane.actions[a];
    switch (action.kind) {
      case Lane::Action::Kind::send: {
        if (action.at_ns < p.window_end) {
          throw std::logic_error("parallel run: a line arrives inside the window it was sent in");
        }
        const std::string_view line =
            action.long_line ? std::string_view(*action.long_line)
                             : std::string_view(lane.text).substr(action.text_at, action.text_size);
        const std::uint64_t slot =
            store_in_flight(action.conn, line, &action.long_line,
                            action.extra != Lane::kNone ? &lane.memos[action.extra] : nullptr);
        to_lane(p.lanes[action.to_lane],
                queue_.make(action.at_ns, EventKind::deliver_peer, action.link, slot));
        break;
      }
      case Lane::Action::Kind::lost:
        ++counters_.peer_dropped;
        break;
      case Lane::Action::Kind::observe:
        observe(server, lane.observations[action.extra]);
        break;
      case Lane::Action::Kind::timer:
        // One set inside the window is handled in it: the commit takes it from the main
        // queue when its turn comes.
        if (action.at_ns < p.window_end) {
          queue_.push(action.at_ns, EventKind::server_timer, server);
        } else {
          to_lane(lane, queue_.make(action.at_ns, EventKind::server_timer, server));
        }
        break;
    }
  }
}

}  // namespace herd::sim
