// The message trace the simulator records (sim/virtual/src/simulation.cpp, docs/traces.md):
// it agrees with the metrics recorder and the run's counters, is the same for the same seed,
// changes nothing else about a run, and says when it stopped at its limit.
#include "herd/sim/simulation.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

using namespace herd::sim;
using herd::core::kNanosPerMilli;
using herd::core::kNanosPerSecond;

namespace {

HerdLayout grid3() {
  HerdLayout layout;
  layout.neighbours.resize(9);
  for (std::uint32_t i = 0; i < 9; ++i) layout.names.push_back("s" + std::to_string(i));
  for (std::uint32_t r = 0; r < 3; ++r) {
    for (std::uint32_t c = 0; c < 3; ++c) {
      const std::uint32_t i = r * 3 + c;
      if (c + 1 < 3) {
        layout.neighbours[i].push_back(i + 1);
        layout.neighbours[i + 1].push_back(i);
      }
      if (r + 1 < 3) {
        layout.neighbours[i].push_back(i + 3);
        layout.neighbours[i + 3].push_back(i);
      }
    }
  }
  for (auto& list : layout.neighbours) std::sort(list.begin(), list.end());
  return layout;
}

// Busy, with reordering, anti-entropy (on by default), a crash that keeps its state, a
// partition, a one-way cut, a pause and a few scripted lines the servers must refuse.
Scenario eventful(std::uint64_t seed) {
  Scenario s;
  s.name = "eventful";
  s.seed = seed;
  s.duration_ns = 12 * kNanosPerSecond;
  s.network.latency.kind = DelayDistribution::Kind::lognormal;
  s.network.latency.median_ns = 15 * kNanosPerMilli;
  s.network.latency.sigma = 0.6;
  s.network.reorder = true;
  s.network.reconnect_ns = 200 * kNanosPerMilli;
  s.workload.clients = 30;
  s.workload.iamat_per_s = 40;
  s.workload.whatsat_per_s = 15;
  s.workload.end_ns = 10 * kNanosPerSecond;
  FaultSpec crash;
  crash.kind = FaultSpec::Kind::crash;
  crash.at_ns = 2 * kNanosPerSecond;
  crash.duration_ns = 2 * kNanosPerSecond;
  crash.servers = {"s4"};
  crash.amnesia = false;  // a refill after amnesia applies without a new applies row
  s.faults.push_back(crash);
  FaultSpec partition;
  partition.kind = FaultSpec::Kind::partition;
  partition.at_ns = 5 * kNanosPerSecond;
  partition.duration_ns = 1500 * kNanosPerMilli;
  partition.groups = {{"s0", "s1", "s3"}, {"s2", "s4", "s5", "s6", "s7", "s8"}};
  s.faults.push_back(partition);
  FaultSpec cut;
  cut.kind = FaultSpec::Kind::one_way;
  cut.at_ns = 7 * kNanosPerSecond;
  cut.duration_ns = kNanosPerSecond;
  cut.from = {"s8"};
  cut.to = {"s7", "s5"};
  s.faults.push_back(cut);
  FaultSpec pause;
  pause.kind = FaultSpec::Kind::pause;
  pause.at_ns = 8500 * kNanosPerMilli;
  pause.duration_ns = 700 * kNanosPerMilli;
  pause.servers = {"s2"};
  s.faults.push_back(pause);
  s.workload.script = {
      {kNanosPerSecond, "s0", "HELLO there"},
      {3 * kNanosPerSecond, "s4", "IAMAT lost +1+1 1700000003.000000000"},  // s4 is down
      {6 * kNanosPerSecond, "s6", "WHATSAT nobody 10 3"},
  };
  s.trace = true;
  return s;
}

bool same_row(const MessageRecord& a, const MessageRecord& b) {
  return a.send_ns == b.send_ns && a.recv_ns == b.recv_ns && a.update == b.update &&
         a.from == b.from && a.to == b.to && a.bytes == b.bytes && a.kind == b.kind &&
         a.outcome == b.outcome;
}

bool handed_over(MessageOutcome o) {
  return o == MessageOutcome::applied || o == MessageOutcome::ignored ||
         o == MessageOutcome::delivered || o == MessageOutcome::rejected;
}

}  // namespace

TEST_CASE("trace: rows agree with the metrics and the run's counters", "[trace]") {
  Simulation sim(eventful(11), grid3());
  sim.run();
  REQUIRE(sim.trace() != nullptr);
  const MessageTrace& rows = *sim.trace();
  REQUIRE(rows.size() > 2000);
  CHECK_FALSE(sim.trace()->truncated());

  std::array<LineCount, kPeerLineKinds> by_kind{};
  std::uint64_t applied = 0, handed = 0, dropped = 0, lost = 0, requests = 0, answered = 0,
                rejected_requests = 0, lost_requests = 0, replies = 0;
  std::array<std::uint64_t, kMessageOutcomes> outcomes{};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const MessageRecord& r = rows[i];
    if (i > 0) CHECK(rows[i - 1].send_ns <= r.send_ns);
    CHECK(r.recv_ns >= r.send_ns);
    ++outcomes[static_cast<std::size_t>(r.outcome)];
    if (is_peer_kind(r.kind)) {
      CHECK(r.from < 9);
      CHECK(r.to < 9);
      if (handed_over(r.outcome)) {
        ++handed;
        by_kind[static_cast<std::size_t>(r.kind)].lines++;
        by_kind[static_cast<std::size_t>(r.kind)].bytes += r.bytes;
      }
      if (r.outcome == MessageOutcome::applied) {
        ++applied;
        CHECK(sim.metrics().update_index(r.update).has_value());
      }
      if (r.outcome == MessageOutcome::ignored) CHECK(r.update != 0);
      if (r.outcome == MessageOutcome::dropped) ++dropped;
      if (r.outcome == MessageOutcome::lost) ++lost;
      CHECK(r.outcome != MessageOutcome::answered);
    } else if (r.kind == MessageKind::reply_at || r.kind == MessageKind::reply_error) {
      ++replies;
      CHECK(r.to != 0);  // the connection
      CHECK(r.recv_ns == r.send_ns);
    } else {
      ++requests;
      if (r.outcome == MessageOutcome::answered) {
        ++answered;
        CHECK(r.update != 0);
      }
      if (r.outcome == MessageOutcome::rejected) ++rejected_requests;
      if (r.outcome == MessageOutcome::lost) ++lost_requests;
    }
  }
  // What each outcome needs in this run happened at least once.
  CHECK(outcomes[static_cast<std::size_t>(MessageOutcome::applied)] > 0);
  CHECK(outcomes[static_cast<std::size_t>(MessageOutcome::ignored)] > 0);
  CHECK(outcomes[static_cast<std::size_t>(MessageOutcome::lost)] > 0);
  CHECK(rejected_requests >= 2);  // HELLO and the WHATSAT of an unknown client
  CHECK(lost_requests >= 1);      // the IAMAT to the crashed s4

  // Applied peer messages are the direct deliveries from a friend: applies rows with hops.
  std::uint64_t applies_with_hops = 0;
  for (const Delivery& d : sim.metrics().deliveries()) applies_with_hops += d.hops > 0 ? 1 : 0;
  CHECK(applied == applies_with_hops);
  // Every line handed to a server, by kind and bytes, as the recorder counted it.
  const auto& counted = sim.metrics().traffic_by_kind();
  for (std::size_t k = 0; k < kPeerLineKinds; ++k) {
    INFO("kind " << to_string(static_cast<PeerLineKind>(k)));
    CHECK(by_kind[k].lines == counted[k].lines);
    CHECK(by_kind[k].bytes == counted[k].bytes);
  }
  CHECK(handed == sim.counters().peer_deliveries);
  // Dropped at the send or lost on the way: the run's dropped counter (no paused server
  // crashed with lines waiting in this scenario).
  CHECK(dropped + lost == sim.counters().peer_dropped);
  // Client commands: one row each, settled as the recorder saw them.
  const Summary summary = sim.metrics().summarize();
  CHECK(requests == sim.counters().client_commands);
  CHECK(requests == summary.requests);
  CHECK(answered + rejected_requests == summary.answered);
  CHECK(replies == summary.answered);
}

TEST_CASE("trace: the same seed records the same trace", "[trace]") {
  Simulation a(eventful(3), grid3()), b(eventful(3), grid3());
  a.run();
  b.run();
  const MessageTrace& ra = *a.trace();
  const MessageTrace& rb = *b.trace();
  REQUIRE(ra.size() == rb.size());
  std::size_t different = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) different += same_row(ra[i], rb[i]) ? 0 : 1;
  CHECK(different == 0);
}

TEST_CASE("trace: recording changes neither the fingerprint nor the metrics", "[trace]") {
  Scenario on = eventful(5), off = eventful(5);
  off.trace = false;
  Simulation traced(on, grid3()), plain(off, grid3());
  traced.run();
  plain.run();
  CHECK(plain.trace() == nullptr);
  REQUIRE(traced.trace() != nullptr);
  CHECK(traced.fingerprint() == plain.fingerprint());
  CHECK(traced.counters().events == plain.counters().events);
  CHECK(traced.counters().peer_deliveries == plain.counters().peer_deliveries);
  CHECK(traced.counters().peer_dropped == plain.counters().peer_dropped);
  CHECK(traced.counters().drained_ns == plain.counters().drained_ns);
  const Summary a = traced.metrics().summarize(), b = plain.metrics().summarize();
  CHECK(a.updates == b.updates);
  CHECK(a.peer_lines == b.peer_lines);
  CHECK(a.peer_bytes == b.peer_bytes);
  CHECK(a.propagation.p99_ns == b.propagation.p99_ns);
  CHECK(a.propagation.mean_ns == b.propagation.mean_ns);
  CHECK(a.stale_reads == b.stale_reads);
  CHECK(a.max_staleness_ns == b.max_staleness_ns);
  CHECK(traced.metrics().deliveries().size() == plain.metrics().deliveries().size());
}

TEST_CASE("trace: past its limit recording stops and says so", "[trace]") {
  Scenario full = eventful(9), cut = eventful(9);
  cut.trace_limit = 500;
  Simulation whole(full, grid3()), limited(cut, grid3());
  whole.run();
  limited.run();
  const MessageTrace& w = *whole.trace();
  const MessageTrace& l = *limited.trace();
  REQUIRE(w.size() > 500);
  CHECK_FALSE(w.truncated());
  CHECK(l.truncated());
  CHECK(l.limit() == 500);
  CHECK(l.size() == 500);
  CHECK(l.unrecorded() == w.size() - 500);
  CHECK(l.truncated_at_ns() == w[500].send_ns);
  // The rows it kept are the whole trace's first rows, outcomes included.
  std::size_t different = 0;
  for (std::size_t i = 0; i < 500; ++i) different += same_row(l[i], w[i]) ? 0 : 1;
  CHECK(different == 0);
  CHECK(limited.fingerprint() == whole.fingerprint());
}

TEST_CASE("trace: a paused server's lines lost to a crash are traced as lost", "[trace]") {
  Scenario s;
  s.name = "pause-then-crash";
  s.seed = 2;
  s.duration_ns = 6 * kNanosPerSecond;
  s.network.latency = constant_delay(10 * kNanosPerMilli);
  FaultSpec pause;
  pause.kind = FaultSpec::Kind::pause;
  pause.at_ns = kNanosPerSecond;
  pause.duration_ns = 3 * kNanosPerSecond;
  pause.servers = {"s1"};
  FaultSpec crash;
  crash.kind = FaultSpec::Kind::crash;
  crash.at_ns = 2 * kNanosPerSecond;
  crash.duration_ns = kNanosPerSecond;
  crash.servers = {"s1"};
  s.faults = {pause, crash};
  s.workload.script = {
      {1500 * kNanosPerMilli, "s0", "IAMAT kiwi +1+1 1700000001.500000000"},
      {1600 * kNanosPerMilli, "s1", "IAMAT kiwi +1+1 1700000001.600000000"},
  };
  s.trace = true;
  HerdLayout layout;
  layout.names = {"s0", "s1", "s2"};
  layout.neighbours = {{1}, {0, 2}, {1}};
  Simulation sim(s, layout);
  sim.run();
  std::size_t lost_at_crash = 0, lost_requests = 0;
  const MessageTrace& trace = *sim.trace();
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const MessageRecord& r = trace[i];
    if (r.outcome != MessageOutcome::lost) continue;
    if (r.kind == MessageKind::iamat) {
      ++lost_requests;
      CHECK(r.recv_ns == 2 * kNanosPerSecond);
    } else if (r.kind == MessageKind::at && r.to == 1 && r.recv_ns == 2 * kNanosPerSecond) {
      ++lost_at_crash;
      CHECK(r.update != 0);
    }
  }
  CHECK(lost_requests == 1);  // waited in the paused s1, died with it
  CHECK(lost_at_crash == 1);  // s0's AT to s1, waiting in s1's socket buffer
}
