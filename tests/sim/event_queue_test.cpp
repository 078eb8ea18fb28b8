#include "herd/sim/event_queue.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
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
