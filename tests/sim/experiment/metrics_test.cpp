// The recorder's definitions (docs/metrics.md) on hand-made observation sequences, each a
// case where the results were once wrong.
#include "herd/sim/metrics.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>

using namespace herd::sim;
using herd::core::kNanosPerMilli;
using herd::core::SharedText;

namespace {

constexpr Nanoseconds kMs = kNanosPerMilli;

// An AT line of client `kiwi` from `origin` with client time `t` (seconds past 1.7e9).
SharedText at(const std::string& origin, int t) {
  return SharedText("AT " + origin + " +0.000000001 kiwi +34.068930-118.445127 17000000" +
                    std::to_string(10 + t) + ".000000000");
}

std::uint64_t id(const SharedText& line) { return herd::core::update_id(*line); }

}  // namespace

TEST_CASE("metrics: an older IAMAT accepted after a newer one is held by whoever holds the newer") {
  // Three servers. The newer update (t=2) is accepted at s0 and reaches everyone; then the
  // older one (t=1) is accepted at s2, whose flood is ignored everywhere as old.
  MetricsRecorder m(3);
  const SharedText newer = at("s0", 2), older = at("s2", 1);
  m.on_accepted(0, 0, newer, id(newer));
  m.on_applied(10 * kMs, 1, id(newer), 1);
  m.on_accepted(12 * kMs, 2, older, id(older));  // s2 took the old one before the new arrived
  m.on_ignored(20 * kMs, 1, id(older));
  m.on_applied(20 * kMs, 2, id(newer), 2);
  m.on_ignored(30 * kMs, 0, id(older));
  m.sample_staleness(40 * kMs);

  const Summary s = m.summarize();
  CHECK(s.updates == 2);
  CHECK(s.lost_updates == 0);
  CHECK(s.reach_min == 1.0);
  REQUIRE(s.convergence_ns);
  CHECK(m.lagging_pairs() == 0);
  for (const auto& sample : m.staleness()) CHECK(sample.stale_clients == 0);
  // s0 and s1 held the newer one when the older was accepted: delivered at once (delay 0);
  // s2, its origin, has no delay row for it.
  std::vector<Nanoseconds> older_delays;
  for (const auto& d : m.deliveries()) {
    if (d.update == 1 && d.server != 2) older_delays.push_back(d.at_ns - 12 * kMs);
  }
  CHECK(older_delays == std::vector<Nanoseconds>{0, 0});
  CHECK(m.updates()[1].holders == 3);
}

TEST_CASE("metrics: staleness counts from the earliest acceptance among the updates lacked") {
  // s1 lacks both updates; the newer one was accepted first, so s1 has been stale since 0.
  MetricsRecorder m(2);
  const SharedText newer = at("s0", 2), older = at("s0", 1);
  m.on_accepted(0, 0, newer, id(newer));
  m.on_accepted(5 * kMs, 0, older, id(older));  // s0 already holds newer: not applied in a
                                                 // real server, but the recorder must cope
  m.sample_staleness(100 * kMs);
  REQUIRE(m.staleness().size() == 2);
  CHECK(m.staleness()[1].max_staleness_ns == 100 * kMs);
  CHECK(m.staleness()[0].stale_clients == 0);
}

TEST_CASE("metrics: a staleness sample has a row per live server, averaged over known clients") {
  // s1 is down and has no row; the rows of s0 and s2 must not pick up s1's counts. Two
  // clients: kiwi's update is at s0 only, lime's at s2 only.
  MetricsRecorder m(3);
  m.reserve_staleness_samples(2);
  const SharedText kiwi = at("s0", 1);
  const SharedText lime("AT s2 +0.000000001 lime +34.068930-118.445127 1700000011.000000000");
  m.on_accepted(0, 0, kiwi, id(kiwi));
  m.on_server_down(5 * kMs, 1);
  m.on_accepted(10 * kMs, 2, lime, id(lime));
  m.sample_staleness(50 * kMs);
  m.sample_staleness(100 * kMs);
  REQUIRE(m.staleness().size() == 4);
  const StalenessSample& s0 = m.staleness()[2];
  const StalenessSample& s2 = m.staleness()[3];
  CHECK(m.staleness()[0].at_ns == 50 * kMs);
  CHECK(m.staleness()[0].max_staleness_ns == 40 * kMs);  // the earlier sample is kept as it was
  CHECK(s0.at_ns == 100 * kMs);
  CHECK(s0.server == 0);
  CHECK(s0.stale_clients == 1);
  CHECK(s0.max_staleness_ns == 90 * kMs);   // lacks lime's, accepted at 10 ms
  CHECK(s0.mean_staleness_ns == 45 * kMs);  // over both clients
  CHECK(s2.server == 2);
  CHECK(s2.stale_clients == 1);
  CHECK(s2.max_staleness_ns == 100 * kMs);  // lacks kiwi's, accepted at 0
  CHECK(s2.mean_staleness_ns == 50 * kMs);
}

TEST_CASE("metrics: a server refilled after an amnesia restart is delivered to once") {
  MetricsRecorder m(2);
  const SharedText u = at("s0", 1);
  m.on_accepted(0, 0, u, id(u));
  m.on_applied(10 * kMs, 1, id(u), 1);
  m.on_server_down(20 * kMs, 1);
  m.on_server_up(30 * kMs, 1, /*lost_state=*/true);
  CHECK(m.lagging_pairs() == 1);
  m.on_applied(40 * kMs, 1, id(u), 3);  // refilled by anti-entropy, more hops

  std::set<std::pair<UpdateIndex, ServerIndex>> pairs;
  for (const auto& d : m.deliveries()) CHECK(pairs.emplace(d.update, d.server).second);
  CHECK(m.deliveries().size() == 2);
  CHECK(m.updates()[0].holders == 2);
  CHECK(m.updates()[0].ldh == 1);  // the refill's 3 hops are not a first delivery
  REQUIRE(m.refills().size() == 1);
  CHECK(m.refills()[0].at_ns == 40 * kMs);
  const Summary s = m.summarize();
  CHECK(s.propagation.count == 1);
  CHECK(s.propagation.max_ns == 10 * kMs);
  CHECK(s.lost_updates == 0);
  CHECK(m.lagging_pairs() == 0);
}

TEST_CASE("metrics: updates held everywhere only after the workload ended are in flight") {
  MetricsRecorder m(2);
  const SharedText u = at("s0", 1);
  m.on_accepted(0, 0, u, id(u));
  m.mark_workload_end();
  Summary before = m.summarize();
  CHECK(before.lost_updates == 1);
  CHECK(before.in_flight_updates == 0);
  m.on_applied(10 * kMs, 1, id(u), 1);
  Summary after = m.summarize();
  CHECK(after.lost_updates == 0);
  CHECK(after.in_flight_updates == 1);
}

TEST_CASE("metrics: cost counts every peer line but greetings, by kind and link") {
  MetricsRecorder m(2);
  m.track_links(2);
  const SharedText u = at("s0", 1);
  m.on_accepted(0, 0, u, id(u));
  m.on_peer_line(0, classify_peer_line("HERD 1 s0 sim\n"), 14);
  m.on_peer_line(0, classify_peer_line(std::string(*u) + " 1\n"), u->size() + 3);
  m.on_applied(1, 1, id(u), 1);
  m.on_peer_line(1, classify_peer_line("AE GROUPS 0123\n"), 15);
  m.on_peer_line(1, classify_peer_line("IHAVE 0123 kiwi 1 s0\n"), 21);
  const Summary s = m.summarize();
  CHECK(s.peer_messages == 1);  // update-carrying
  CHECK(s.peer_lines == 3);     // AT, AE GROUPS, IHAVE
  CHECK(s.peer_bytes == u->size() + 3 + 15 + 21);
  CHECK(s.messages_per_update == 3.0);
  CHECK(s.rmr == Approx(2.0));  // 3 lines to reach 1 server: 2 redundant
  CHECK(s.rmr_mean == Approx(0.0));
  CHECK(m.traffic_by_kind()[static_cast<std::size_t>(PeerLineKind::greeting)].lines == 1);
  CHECK(m.traffic_by_link()[0].lines == 2);
  CHECK(m.traffic_by_link()[1].lines == 2);
}

TEST_CASE("metrics: peer lines are classified by their words") {
  CHECK(classify_peer_line("AT a b c d e 1") == PeerLineKind::at);
  CHECK(classify_peer_line("AE PUSH AT a b c d e 1") == PeerLineKind::ae_push);
  CHECK(classify_peer_line("AE LEAVES 3 00") == PeerLineKind::ae_leaves);
  CHECK(classify_peer_line("AE PULL 1") == PeerLineKind::ae_pull);
  CHECK(classify_peer_line("AE NOPE") == PeerLineKind::other);
  CHECK(classify_peer_line("GRAFT") == PeerLineKind::graft);
  CHECK(classify_peer_line("PRUNE\n") == PeerLineKind::prune);
  CHECK(classify_peer_line("KNEW 0123") == PeerLineKind::knew);
  CHECK(classify_peer_line("ATX") == PeerLineKind::other);
  CHECK(std::string(to_string(PeerLineKind::ae_groups)) == "AE GROUPS");
}
