#include "herd/live/peer_link.hpp"

#include <chrono>
#include <vector>

#include <catch2/catch.hpp>

using herd::live::Backoff;
using herd::live::BackoffPolicy;
using std::chrono::milliseconds;

TEST_CASE("link backoff: doubles from 50 ms to a 2 s cap, jittered within [d/2, d]") {
  Backoff backoff(BackoffPolicy{}, 42);
  const std::vector<long> caps_ms = {50, 100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000};
  for (const long cap : caps_ms) {
    const auto delay = backoff.next();
    INFO("cap " << cap << " ms, got " << delay.count() << " ms");
    CHECK(delay >= milliseconds(cap / 2));
    CHECK(delay <= milliseconds(cap));
  }
  backoff.reset();
  CHECK(backoff.next() <= milliseconds(50));
}

TEST_CASE("link backoff: the same seed gives the same delays, another seed others") {
  Backoff a(BackoffPolicy{}, 7);
  Backoff b(BackoffPolicy{}, 7);
  Backoff c(BackoffPolicy{}, 8);
  std::vector<milliseconds> from_a, from_b, from_c;
  for (int i = 0; i < 12; ++i) {
    from_a.push_back(a.next());
    from_b.push_back(b.next());
    from_c.push_back(c.next());
  }
  CHECK(from_a == from_b);
  CHECK(from_a != from_c);
}
