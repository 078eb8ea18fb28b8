// The results database (sim/experiment/src/results_db.cpp): a summary read back from the summary table
// equals the one stored, field for field, for every field the table holds.
#include "herd/sim/results_db.hpp"

#include <catch2/catch.hpp>

using namespace herd::sim;

TEST_CASE("summary_from_metrics inverts summary_metrics", "[results]") {
  Summary s;
  s.updates = 1234;
  s.peer_messages = 98765;
  s.peer_lines = 123457;
  s.peer_bytes = 9876543210;
  s.propagation.p50_ns = 12'345'678;
  s.propagation.p95_ns = 98'765'432;
  s.propagation.p99_ns = 123'456'789'012;
  s.propagation.max_ns = 987'654'321'098;
  s.reach_mean = 0.987654321;
  s.reach_min = 0.5;
  s.lost_updates = 3;
  s.in_flight_updates = 7;
  s.ldh_max = 24;
  s.ldh_mean = 11.25;
  s.messages_per_update = 100.0 / 3.0;
  s.rmr = 2.0 / 7.0;
  s.rmr_mean = 0.1;
  s.reads = 10, s.stale_reads = 2, s.unknown_reads = 1, s.requests = 40;
  s.availability = 0.975;
  s.convergence_ns = 4'567'890'123;
  s.max_staleness_ns = 333'333'333;

  Summary r = summary_from_metrics(summary_metrics(s));
  CHECK(r.updates == s.updates);
  CHECK(r.peer_messages == s.peer_messages);
  CHECK(r.peer_lines == s.peer_lines);
  CHECK(r.peer_bytes == s.peer_bytes);
  CHECK(r.propagation.p50_ns == s.propagation.p50_ns);
  CHECK(r.propagation.p95_ns == s.propagation.p95_ns);
  CHECK(r.propagation.p99_ns == s.propagation.p99_ns);
  CHECK(r.propagation.max_ns == s.propagation.max_ns);
  CHECK(r.reach_mean == s.reach_mean);
  CHECK(r.reach_min == s.reach_min);
  CHECK(r.lost_updates == s.lost_updates);
  CHECK(r.in_flight_updates == s.in_flight_updates);
  CHECK(r.ldh_max == s.ldh_max);
  CHECK(r.ldh_mean == s.ldh_mean);
  CHECK(r.messages_per_update == s.messages_per_update);
  CHECK(r.rmr == s.rmr);
  CHECK(r.rmr_mean == s.rmr_mean);
  CHECK(r.stale_reads == s.stale_reads);
  CHECK(r.availability == s.availability);
  REQUIRE(r.convergence_ns);
  CHECK(*r.convergence_ns == *s.convergence_ns);
  CHECK(r.max_staleness_ns == s.max_staleness_ns);

  s.convergence_ns.reset();
  CHECK_FALSE(summary_from_metrics(summary_metrics(s)).convergence_ns);
}
