#include "herd/sim/event_queue.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <queue>
#include <vector>

#include "herd/core/prng.hpp"

using namespace herd::sim;

TEST_CASE("event queue: events pop by time then by the order they were pushed") {
  // Many ties (times drawn from a small range) and interleaved pushes and pops, as a run
  // does: the pop order must be exactly a stable sort of what was pushed by time.
  herd::core::Prng rng(42);
  EventQueue queue;
  struct Pushed {
    Nanoseconds at_ns;
    std::uint32_t id;
  };
  std::vector<Pushed> pending;  // pushed, not yet popped
  std::uint32_t next_id = 0;
  Nanoseconds now = 0;
  std::size_t popped = 0;
  for (int round = 0; round < 20000; ++round) {
    for (auto n = rng.uniform_u64(4); n > 0; --n) {
      Nanoseconds at = now + static_cast<Nanoseconds>(rng.uniform_u64(50));
      queue.push(at, EventKind::deliver_peer, next_id, 0);
      pending.push_back({at, next_id++});
    }
    for (auto n = rng.uniform_u64(4); n > 0 && !queue.empty(); --n) {
      // The expected event: earliest time, and among those the first pushed.
      auto expected = std::min_element(pending.begin(), pending.end(),
                                       [](const Pushed& x, const Pushed& y) {
                                         return x.at_ns != y.at_ns ? x.at_ns < y.at_ns : x.id < y.id;
                                       });
      REQUIRE(queue.top().a == expected->id);
      Event e = queue.pop();
      REQUIRE(e.a == expected->id);
      REQUIRE(e.at_ns == expected->at_ns);
      REQUIRE(e.kind() == EventKind::deliver_peer);
      now = e.at_ns;
      pending.erase(expected);
      ++popped;
    }
    REQUIRE(queue.size() == pending.size());
  }
  CHECK(popped > 10000);
}

namespace {

// A reference queue: the stable sort by time that the event queue must reproduce.
struct Reference {
  struct Pushed {
    Nanoseconds at_ns;
    std::uint32_t id;
  };
  std::vector<Pushed> pending;
  std::vector<Pushed>::iterator nth(std::size_t n) {
    std::vector<Pushed*> sorted;
    for (auto& p : pending) sorted.push_back(&p);
    std::sort(sorted.begin(), sorted.end(), [](const Pushed* x, const Pushed* y) {
      return x->at_ns != y->at_ns ? x->at_ns < y->at_ns : x->id < y->id;
    });
    return pending.begin() + (sorted[n] - pending.data());
  }
};

}  // namespace

TEST_CASE("event queue: peeking ahead then scheduling earlier keeps the exact order") {
  // The run loop peeks at the next two events (for prefetching) before the current event
  // schedules new ones, which may fall between now and the peeked time, or at now itself.
  // Times span nanoseconds to hours, negative ones included, and second() must name the
  // true second event whenever it names one.
  herd::core::Prng rng(7);
  EventQueue queue;
  Reference ref;
  std::uint32_t next_id = 0;
  Nanoseconds now = -5'000'000'000LL;
  auto push_at = [&](Nanoseconds at) {
    queue.push(at, EventKind::server_timer, next_id, 0);
    ref.pending.push_back({at, next_id++});
  };
  auto later_than_now = [&]() -> Nanoseconds {
    switch (rng.uniform_u64(4)) {
      case 0: return now;  // a tie with the current time
      case 1: return now + static_cast<Nanoseconds>(rng.uniform_u64(100));
      case 2: return now + static_cast<Nanoseconds>(rng.uniform_u64(1'000'000));
      default: return now + static_cast<Nanoseconds>(rng.uniform_u64(3'600'000'000'000ULL));
    }
  };
  for (int i = 0; i < 200; ++i) push_at(later_than_now());
  std::size_t seconds_checked = 0;
  for (int round = 0; round < 30000 && !queue.empty(); ++round) {
    REQUIRE(queue.top().a == ref.nth(0)->id);
    if (const Event* s = queue.second()) {
      REQUIRE(ref.pending.size() >= 2);
      REQUIRE(s->a == ref.nth(1)->id);
      ++seconds_checked;
    }
    Event e = queue.pop();
    auto expected = ref.nth(0);
    REQUIRE(e.a == expected->id);
    REQUIRE(e.at_ns == expected->at_ns);
    now = e.at_ns;
    ref.pending.erase(expected);
    // Peek as the run loop does, then schedule: often before the peeked event.
    if (!queue.empty()) {
      (void)queue.top();
      (void)queue.second();
    }
    for (auto n = rng.uniform_u64(3); n > 0; --n) push_at(later_than_now());
    REQUIRE(queue.size() == ref.pending.size());
  }
  CHECK(seconds_checked > 1000);
  // Drained in order to the end.
  while (!queue.empty()) {
    auto expected = ref.nth(0);
    Event e = queue.pop();
    REQUIRE(e.a == expected->id);
    ref.pending.erase(expected);
  }
  CHECK(ref.pending.empty());
}

TEST_CASE("event queue: an event before the current time still pops next") {
  // Nothing in a simulation schedules into the past, but the queue does not rely on it.
  EventQueue queue;
  queue.push(100, EventKind::sample, 1);
  queue.push(200, EventKind::sample, 2);
  CHECK(queue.pop().a == 1);
  CHECK(queue.top().a == 2);
  queue.push(50, EventKind::sample, 3);
  queue.push(50, EventKind::sample, 4);
  queue.push(150, EventKind::sample, 5);
  CHECK(queue.pop().a == 3);
  CHECK(queue.pop().a == 4);
  CHECK(queue.pop().a == 5);
  CHECK(queue.pop().a == 2);
  CHECK(queue.empty());
  // An emptied queue starts over at whatever time comes next, earlier or later.
  queue.push(-10, EventKind::sample, 6);
  queue.push(-10, EventKind::sample, 7);
  CHECK(queue.pop().a == 6);
  CHECK(queue.pop().a == 7);
}

namespace {

// The order the queue must give, by a structure that is plainly right.
struct HeapReference {
  struct Later {
    bool operator()(const Event& x, const Event& y) const { return EventQueue::earlier(y, x); }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap;
};

}  // namespace

TEST_CASE("event queue: a start-up burst of 300,000 events, then a run that feeds it") {
  // As a big herd starts: every link's greeting in flight at once with times spread over
  // tens of milliseconds, then each delivery schedules another a latency later. Enough
  // events to fill many chunks and split buckets many times over; the events ahead(k)
  // names must be the true next ones.
  herd::core::Prng rng(2024);
  EventQueue queue;
  HeapReference ref;
  auto push = [&](Nanoseconds at, std::uint32_t id) {
    Event e = queue.make(at, EventKind::deliver_peer, id, id % 7);
    queue.push_sequenced(e);
    ref.heap.push(e);
  };
  std::uint32_t id = 0;
  for (; id < 300'000; ++id) push(static_cast<Nanoseconds>(rng.uniform_u64(60'000'000)), id);
  std::size_t checked_ahead = 0;
  for (int i = 0; i < 450'000 && !queue.empty(); ++i) {
    const Event expected = ref.heap.top();
    REQUIRE(queue.top().sequence_and_kind == expected.sequence_and_kind);
    const Event e = queue.pop();
    ref.heap.pop();
    REQUIRE(e.sequence_and_kind == expected.sequence_and_kind);
    REQUIRE(e.at_ns == expected.at_ns);
    REQUIRE(e.a == expected.a);
    REQUIRE(e.payload == expected.payload);
    if (i % 300 == 0 && ref.heap.size() > EventQueue::kAhead) {
      // ahead(k) for k < kAhead: the k-th event after top, exactly.
      auto copy = ref.heap;
      for (std::size_t k = 0; k < EventQueue::kAhead; ++k) {
        const Event* seen = queue.ahead(k);
        REQUIRE(seen != nullptr);
        REQUIRE(seen->sequence_and_kind == copy.top().sequence_and_kind);
        copy.pop();
      }
      ++checked_ahead;
    }
    // Half the deliveries schedule one more, at a latency (ties with now included).
    if (i < 150'000 && rng.uniform_u64(2) == 0) {
      const auto latency = rng.uniform_u64(3) == 0 ? 0 : rng.uniform_u64(40'000'000);
      push(e.at_ns + static_cast<Nanoseconds>(latency), id++);
    }
    REQUIRE(queue.size() == ref.heap.size());
  }
  CHECK(checked_ahead > 1000);
  CHECK(queue.empty());
  CHECK(ref.heap.empty());
}

TEST_CASE("event queue: events made by other queues keep their sequence, in any push order") {
  // A parallel run merges events made by one queue into another: equal times, sequences
  // out of order, and times before the last one popped must all come out in (time,
  // sequence) order.
  herd::core::Prng rng(5);
  EventQueue maker;
  std::vector<Event> made;
  for (int i = 0; i < 20000; ++i) {
    made.push_back(maker.make(static_cast<Nanoseconds>(rng.uniform_u64(1000)) * 1000,
                              EventKind::server_timer, static_cast<std::uint32_t>(i)));
  }
  for (std::size_t i = made.size() - 1; i > 0; --i) {  // a seeded shuffle
    std::swap(made[i], made[rng.uniform_u64(i + 1)]);
  }
  EventQueue queue;
  HeapReference ref;
  std::size_t next = 0;
  // Half at once (big buckets, split around times many events share), then interleaved.
  for (; next < made.size() / 2; ++next) {
    queue.push_sequenced(made[next]);
    ref.heap.push(made[next]);
  }
  while (next < made.size() || !queue.empty()) {
    for (auto n = rng.uniform_u64(8); n > 0 && next < made.size(); --n, ++next) {
      queue.push_sequenced(made[next]);
      ref.heap.push(made[next]);
    }
    for (auto n = rng.uniform_u64(6); n > 0 && !queue.empty(); --n) {
      REQUIRE(queue.pop().sequence_and_kind == ref.heap.top().sequence_and_kind);
      ref.heap.pop();
    }
  }
  CHECK(ref.heap.empty());
}

TEST_CASE("event queue: moved and shrunk mid-run, the order holds") {
  herd::core::Prng rng(11);
  EventQueue queue;
  HeapReference ref;
  std::uint32_t id = 0;
  for (; id < 50'000; ++id) {
    Event e = queue.make(static_cast<Nanoseconds>(rng.uniform_u64(1'000'000'000)),
                         EventKind::deliver_peer, id);
    queue.push_sequenced(e);
    ref.heap.push(e);
  }
  for (int round = 0; round < 40'000; ++round) {
    if (round % 5000 == 0) {
      queue.shrink_to_fit();
      EventQueue moved(std::move(queue));
      queue = std::move(moved);
    }
    REQUIRE(queue.pop().sequence_and_kind == ref.heap.top().sequence_and_kind);
    const Nanoseconds now = ref.heap.top().at_ns;
    ref.heap.pop();
    Event e = queue.make(now + static_cast<Nanoseconds>(rng.uniform_u64(10'000'000)),
                         EventKind::deliver_peer, id++);
    queue.push_sequenced(e);
    ref.heap.push(e);
  }
  while (!queue.empty()) {
    REQUIRE(queue.pop().sequence_and_kind == ref.heap.top().sequence_and_kind);
    ref.heap.pop();
  }
  CHECK(ref.heap.empty());
}
