#include "herd/core/server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace herd::core;

namespace {

constexpr Nanoseconds kNow = 1'700'000'001LL * kNanosPerSecond;
constexpr Nanoseconds kGraftNs = 500 * kNanosPerMilli;
constexpr ConnId kClient = 1;

PropagationConfig plumtree(Nanoseconds ihave_delay_ns = 0) {
  PropagationConfig p;
  p.push = PropagationConfig::Push::plumtree;
  p.plumtree_ihave_delay_ns = ihave_delay_ns;
  p.plumtree_graft_timeout_ns = kGraftNs;
  return p;
}

// One server "Hub" with friends F0..F3, every link up both ways, driven by hand: friend F
// talks to it on inbound connection 100 + F, a client on connection 1. Lines sent to each
// friend are collected without their "\n".
struct Hub {
  explicit Hub(PropagationConfig p) : server(config(p)) {
    for (PeerId f = 0; f < 4; ++f) {
      server.handle_peer_up(Instant{now}, f);
      server.handle_conn_open(Instant{now}, 100 + f);
      server.handle_conn_bytes(Instant{now}, 100 + f, "HERD 1 F" + std::to_string(f) + " s\n");
    }
    server.handle_conn_open(Instant{now}, kClient);
    drain();
    clear();
  }
  static ServerConfig config(PropagationConfig p) {
    ServerConfig c;
    c.name = "Hub";
    c.friends = {"F0", "F1", "F2", "F3"};
    c.peer_secret = "s";
    c.log_traffic = false;
    c.limits.idle_timeout_ns = 0;  // only the strategy's timers
    c.limits.max_client_bytes = c.limits.max_line_bytes;  // one test sends a 5,000-byte ID
    c.propagation = p;
    return c;
  }
  void drain() {
    while (auto out = server.poll_output()) {
      if (auto* s = std::get_if<SendToPeer>(&*out)) {
        REQUIRE(s->bytes->ends_with("\n"));
        sent[s->peer].emplace_back(s->bytes->substr(0, s->bytes->size() - 1));
      } else if (auto* l = std::get_if<LogRecord>(&*out)) {
        if (l->level == LogLevel::warn) warnings.push_back(l->text);
      }
    }
  }
  void from(PeerId f, const std::string& line) {
    server.handle_conn_bytes(Instant{now}, 100 + f, line + "\n");
    drain();
  }
  void iamat(const std::string& client, const std::string& time = "1700000000.5") {
    server.handle_conn_bytes(Instant{now}, kClient, "IAMAT " + client + " +1+1 " + time + "\n");
    drain();
  }
  void run_until(Nanoseconds t) {
    // Fires every due timer in order, as a runtime would.
    while (auto due = server.poll_timeout()) {
      if (due->ns > t) break;
      now = due->ns;
      server.handle_timeout(*due);
      drain();
    }
    now = t;
  }
  std::optional<Nanoseconds> timer() const {
    auto t = server.poll_timeout();
    return t ? std::optional<Nanoseconds>(t->ns) : std::nullopt;
  }
  void clear() {
    sent.clear();
    warnings.clear();
  }
  std::string held_id(const std::string& client) const {
    const StoredRecord* r = server.records().find(client);
    REQUIRE(r);
    return format_update_id(r->id);
  }

  Nanoseconds now = kNow;
  Server server;
  std::map<PeerId, std::vector<std::string>> sent;
  std::vector<std::string> warnings;
};

// An update that friend F1 originated, as the AT line every server stores.
const std::string kRemote = "AT F1 +0.100000000 kiwi +1+1 1700000000.5";
std::string remote_id() { return format_update_id(update_id(kRemote)); }
std::string ihave_remote() { return "IHAVE " + remote_id() + " kiwi 1700000000.5 F1"; }

const std::string kLocal = "AT Hub +0.500000000 kiwi +1+1 1700000000.5";

// The first graft wait is drawn from [timeout, 1.5 x timeout).
constexpr Nanoseconds kFirstGraftMaxNs = kGraftNs + kGraftNs / 2;

std::size_t entries_in(const std::string& ihave_line) {
  return static_cast<std::size_t>(std::count(ihave_line.begin(), ihave_line.end(), ' ')) / 4;
}

}  // namespace


// --- eager push and pruning ------------------------------------------------------------------

TEST_CASE("plumtree: every friend starts eager so the first update is pushed to all") {
  Hub hub(plumtree());
  hub.iamat("kiwi");
  for (PeerId f = 0; f < 4; ++f) CHECK(hub.sent[f] == std::vector<std::string>{kLocal + " 1"});
  CHECK(hub.server.strategy_name() == "plumtree");
}

TEST_CASE("plumtree: a new update from a friend goes eagerly to the others but not back") {
  Hub hub(plumtree());
  hub.from(1, kRemote + " 4");
  CHECK(hub.sent.count(1) == 0);
  for (PeerId f : {0u, 2u, 3u}) CHECK(hub.sent[f] == std::vector<std::string>{kRemote + " 5"});
}

TEST_CASE("plumtree: a third duplicate in a row prunes its link so later updates only announce") {
  Hub hub(plumtree());
  hub.from(1, kRemote + " 1");
  hub.clear();
  hub.from(2, kRemote + " 3");  // the same update again, over another path
  hub.from(2, kRemote + " 3");
  CHECK(hub.sent.empty());
  hub.from(2, kRemote + " 3");
  CHECK(hub.sent[2] == std::vector<std::string>{"PRUNE"});
  CHECK(hub.sent.size() == 1);
  hub.clear();
  hub.iamat("lime");
  const std::string lime = "AT Hub +0.500000000 lime +1+1 1700000000.5";
  CHECK(hub.sent[2] == std::vector<std::string>{"IHAVE " + hub.held_id("lime") +
                                                " lime 1700000000.5 Hub"});
  for (PeerId f : {0u, 1u, 3u}) CHECK(hub.sent[f] == std::vector<std::string>{lime + " 1"});
}

TEST_CASE("plumtree: prune_after sets how many duplicates in a row prune a link") {
  for (std::uint32_t after : {1u, 2u, 5u}) {
    INFO("prune_after " << after);
    PropagationConfig p = plumtree();
    p.plumtree_prune_after = after;
    Hub hub(p);
    hub.from(1, kRemote + " 1");
    hub.clear();
    for (std::uint32_t i = 1; i < after; ++i) hub.from(2, kRemote + " 3");
    CHECK(hub.sent.empty());
    hub.from(2, kRemote + " 3");
    CHECK(hub.sent[2] == std::vector<std::string>{"PRUNE"});
  }
}

TEST_CASE("plumtree: a prune_after of 0 is refused with the key named") {
  PropagationConfig p = plumtree();
  p.plumtree_prune_after = 0;
  CHECK_THROWS_WITH(Hub(p), Catch::Contains("strategy.prune_after"));
}

TEST_CASE("plumtree: a first delivery over a link restarts its duplicate count") {
  Hub hub(plumtree());
  hub.from(1, kRemote + " 1");
  hub.from(2, kRemote + " 3");
  hub.from(2, kRemote + " 3");
  hub.from(2, "AT F2 +0.100000000 lime +1+1 1700000000.5 1");  // F2 is first with this one
  hub.from(1, "AT F1 +0.100000000 plum +1+1 1700000000.5 1");
  hub.clear();
  hub.from(2, kRemote + " 3");
  hub.from(2, kRemote + " 3");
  CHECK(hub.sent.empty());
  hub.from(2, kRemote + " 3");
  CHECK(hub.sent[2] == std::vector<std::string>{"PRUNE"});
}

TEST_CASE("plumtree: duplicates from the link that delivered the latest new update do not count") {
  Hub hub(plumtree());
  hub.from(1, kRemote + " 1");
  hub.clear();
  for (int i = 0; i < 5; ++i) hub.from(1, kRemote + " 1");
  CHECK(hub.sent.empty());
}

TEST_CASE("plumtree: an update older than the one held counts as a duplicate too") {
  Hub hub(plumtree());
  hub.iamat("kiwi", "1700000000.9");
  hub.clear();
  for (int i = 0; i < 3; ++i) hub.from(3, kRemote + " 2");  // kiwi at .5: older than .9
  CHECK(hub.sent[3] == std::vector<std::string>{"PRUNE"});
  hub.clear();
  hub.iamat("lime");
  REQUIRE(hub.sent[3].size() == 1);
  CHECK(hub.sent[3][0].starts_with("IHAVE "));
}

TEST_CASE("plumtree: a duplicate over a link already lazy gets PRUNE at once") {
  Hub hub(plumtree());
  hub.iamat("kiwi");
  hub.from(0, "PRUNE");
  hub.clear();
  hub.from(0, kLocal + " 2");  // F0 pushed before it saw our side go lazy
  CHECK(hub.sent[0] == std::vector<std::string>{"PRUNE"});
}

TEST_CASE("plumtree: PRUNE from a friend turns its link lazy") {
  Hub hub(plumtree());
  hub.from(0, "PRUNE");
  CHECK(hub.sent.empty());
  hub.iamat("kiwi");
  CHECK(hub.sent[0] == std::vector<std::string>{"IHAVE " + hub.held_id("kiwi") +
                                                " kiwi 1700000000.5 Hub"});
  CHECK(hub.sent[1] == std::vector<std::string>{kLocal + " 1"});
  CHECK(hub.warnings.empty());
}

TEST_CASE("plumtree: a new update over a lazy link makes it eager at both ends") {
  Hub hub(plumtree());
  hub.from(1, "PRUNE");
  hub.from(1, kRemote + " 1");
  // F1's push crossed a PRUNE: the bare GRAFT tells it to keep pushing.
  CHECK(hub.sent[1] == std::vector<std::string>{"GRAFT"});
  hub.clear();
  hub.iamat("lime");
  REQUIRE(hub.sent[1].size() == 1);
  CHECK(hub.sent[1][0].starts_with("AT Hub "));
}

TEST_CASE("plumtree: a server never prunes its own last eager link") {
  Hub hub(plumtree());
  hub.iamat("kiwi");
  for (PeerId f : {0u, 1u, 2u}) hub.from(f, "PRUNE");
  hub.clear();
  for (int i = 0; i < 6; ++i) hub.from(3, kLocal + " 2");
  CHECK(hub.sent.empty());
  hub.iamat("lime");
  REQUIRE(hub.sent[3].size() == 1);
  CHECK(hub.sent[3][0].starts_with("AT Hub "));
}

TEST_CASE("plumtree: a PRUNE that would leave no eager link is answered with a bare GRAFT") {
  Hub hub(plumtree());
  for (PeerId f : {0u, 1u, 2u}) hub.from(f, "PRUNE");
  CHECK(hub.sent.empty());
  hub.from(3, "PRUNE");
  CHECK(hub.sent[3] == std::vector<std::string>{"GRAFT"});
  hub.clear();
  hub.iamat("kiwi");
  CHECK(hub.sent[3] == std::vector<std::string>{kLocal + " 1"});
}

TEST_CASE("plumtree: a friend whose link returns is eager again") {
  Hub hub(plumtree());
  hub.from(0, "PRUNE");
  hub.server.handle_peer_down(Instant{hub.now}, 0);
  hub.server.handle_peer_up(Instant{hub.now}, 0);
  hub.drain();
  hub.clear();
  hub.iamat("kiwi");
  CHECK(hub.sent[0] == std::vector<std::string>{kLocal + " 1"});
}

// --- announcements and GRAFT ---------------------------------------------------------------

TEST_CASE("plumtree: IHAVE for a missing update GRAFTs the first announcer after the timeout") {
  Hub hub(plumtree());
  hub.from(1, "PRUNE");
  hub.from(2, "PRUNE");
  hub.from(1, ihave_remote());
  hub.now += 100 * kNanosPerMilli;
  hub.from(2, ihave_remote());
  CHECK(hub.sent.empty());
  REQUIRE(hub.timer());  // from the first announcement
  const Nanoseconds first = *hub.timer();
  CHECK(first >= kNow + kGraftNs);
  CHECK(first < kNow + kFirstGraftMaxNs);
  hub.run_until(first - 1);
  CHECK(hub.sent.empty());
  hub.run_until(first);
  CHECK(hub.sent[1] == std::vector<std::string>{"GRAFT " + remote_id() + " kiwi"});
  CHECK(hub.sent.size() == 1);
  // Still missing one timeout later: the next announcer gets its turn.
  CHECK(hub.timer() == first + kGraftNs);
  hub.clear();
  hub.run_until(first + kGraftNs);
  CHECK(hub.sent[2] == std::vector<std::string>{"GRAFT " + remote_id() + " kiwi"});
  CHECK(hub.sent.size() == 1);
  // No one is left to ask: the entry is dropped and no timer remains.
  hub.clear();
  hub.run_until(kNow + 10 * kGraftNs);
  CHECK(hub.sent.empty());
  CHECK_FALSE(hub.timer());
  // Both grafted links are eager again.
  hub.iamat("lime");
  for (PeerId f : {1u, 2u}) {
    REQUIRE(hub.sent[f].size() == 1);
    CHECK(hub.sent[f][0].starts_with("AT Hub "));
  }
}

TEST_CASE("plumtree: the first graft wait is drawn between the timeout and 1.5 times it") {
  std::set<Nanoseconds> waits;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    PropagationConfig p = plumtree();
    p.seed = seed;
    Hub hub(p);
    hub.from(1, ihave_remote());
    REQUIRE(hub.timer());
    CHECK(*hub.timer() - kNow >= kGraftNs);
    CHECK(*hub.timer() - kNow < kFirstGraftMaxNs);
    waits.insert(*hub.timer() - kNow);
  }
  CHECK(waits.size() > 10);  // drawn, not fixed
}

TEST_CASE("plumtree: the GRAFT reply is stored and cancels the next announcer's turn") {
  Hub hub(plumtree());
  hub.from(1, ihave_remote());
  hub.from(2, ihave_remote());
  hub.run_until(kNow + kFirstGraftMaxNs);
  REQUIRE(hub.sent[1] == std::vector<std::string>{"GRAFT " + remote_id() + " kiwi"});
  hub.clear();
  hub.from(1, kRemote + " 2");
  REQUIRE(hub.server.records().find("kiwi"));
  CHECK(*hub.server.records().find("kiwi")->update.at_line == kRemote);
  hub.run_until(kNow + 10 * kGraftNs);
  CHECK(hub.sent[2] == std::vector<std::string>{kRemote + " 3"});  // pushed, not a GRAFT
  CHECK_FALSE(hub.timer());
}

TEST_CASE("plumtree: no GRAFT when the announced update arrives before the timeout") {
  Hub hub(plumtree());
  hub.from(1, ihave_remote());
  REQUIRE(hub.timer());
  hub.now += 10 * kNanosPerMilli;
  hub.from(3, kRemote + " 2");
  CHECK_FALSE(hub.timer());
  hub.clear();
  hub.run_until(kNow + 10 * kGraftNs);
  CHECK(hub.sent.empty());
}

TEST_CASE("plumtree: no GRAFT when something newer than the announcement arrives") {
  Hub hub(plumtree());
  hub.from(1, ihave_remote());
  hub.iamat("kiwi", "1700000000.7");  // newer than the announced .5
  CHECK_FALSE(hub.timer());
  hub.clear();
  hub.run_until(kNow + 10 * kGraftNs);
  CHECK(hub.sent.empty());
}

TEST_CASE("plumtree: announcements of what is held or older start no timer") {
  Hub hub(plumtree());
  hub.iamat("kiwi");
  hub.clear();
  hub.from(1, "IHAVE " + hub.held_id("kiwi") + " kiwi 1700000000.5 Hub");  // held
  hub.from(2, ihave_remote());  // same timestamp, origin F1 < Hub: older than held
  hub.from(3, "IHAVE 0123456789abcdef kiwi 1700000000.4 Zed");  // older timestamp
  CHECK_FALSE(hub.timer());
  CHECK(hub.sent.empty());
  hub.from(3, "IHAVE 0123456789abcdef kiwi 1700000000.6 Abc");  // newer: missing
  CHECK(hub.timer());
}

TEST_CASE("plumtree: a newer announcement is grafted from its announcer first") {
  Hub hub(plumtree());
  hub.from(1, ihave_remote());
  hub.from(2, "IHAVE 0123456789abcdef kiwi 1700000001.5 F2");
  hub.run_until(kNow + kFirstGraftMaxNs);
  CHECK(hub.sent[2] == std::vector<std::string>{"GRAFT 0123456789abcdef kiwi"});
  CHECK(hub.sent.count(1) == 0);
}

TEST_CASE("plumtree: an announcer whose link is already eager is grafted first") {
  Hub hub(plumtree());
  hub.from(1, "PRUNE");
  hub.from(2, "PRUNE");
  hub.from(1, ihave_remote());
  hub.from(2, ihave_remote());
  hub.from(2, "GRAFT");  // F2's link is a tree link again
  hub.run_until(kNow + kFirstGraftMaxNs);
  CHECK(hub.sent[2] == std::vector<std::string>{"GRAFT " + remote_id() + " kiwi"});
  CHECK(hub.sent.count(1) == 0);
}

TEST_CASE("plumtree: grafting an announcer asks it for everything else it announced") {
  Hub hub(plumtree());
  hub.from(1, ihave_remote() + " 00000000000000aa lime 1700000000.5 F1");
  hub.now += kGraftNs / 2;  // F2's timer starts after both of F1's can have run out
  hub.from(2, "IHAVE 00000000000000bb plum 1700000000.5 F2");
  const Nanoseconds first = *hub.timer();
  hub.run_until(first);
  // The first of F1's two timers ran out; F1 is asked for both updates at once.
  std::set<std::string> to_f1(hub.sent[1].begin(), hub.sent[1].end());
  CHECK(to_f1 == std::set<std::string>{"GRAFT " + remote_id() + " kiwi",
                                       "GRAFT 00000000000000aa lime"});
  CHECK(hub.sent.count(2) == 0);
  hub.run_until(kNow + kGraftNs / 2 + kFirstGraftMaxNs);
  CHECK(hub.sent[1].size() == 2);
  CHECK(hub.sent[2] == std::vector<std::string>{"GRAFT 00000000000000bb plum"});
}

TEST_CASE("plumtree: GRAFT is answered with the record held and makes the link eager") {
  Hub hub(plumtree());
  hub.iamat("kiwi");
  hub.from(2, "PRUNE");
  hub.clear();
  // Asks by an older id: the reply is the newer record held, which wins anyway.
  hub.from(2, "GRAFT " + remote_id() + " kiwi");
  CHECK(hub.sent[2] == std::vector<std::string>{kLocal + " 1"});
  CHECK(hub.sent.size() == 1);
  hub.clear();
  hub.iamat("lime");
  REQUIRE(hub.sent[2].size() == 1);
  CHECK(hub.sent[2][0].starts_with("AT Hub "));
}

TEST_CASE("plumtree: a bare GRAFT makes the link eager and asks for nothing") {
  Hub hub(plumtree());
  hub.iamat("kiwi");
  hub.from(2, "PRUNE");
  hub.clear();
  hub.from(2, "GRAFT");
  CHECK(hub.sent.empty());
  hub.iamat("lime");
  REQUIRE(hub.sent[2].size() == 1);
  CHECK(hub.sent[2][0].starts_with("AT Hub "));
}

TEST_CASE("plumtree: GRAFT for a client never heard of sends nothing") {
  Hub hub(plumtree());
  hub.from(2, "GRAFT 0123456789abcdef nobody");
  CHECK(hub.sent.empty());
  CHECK(hub.warnings.empty());
}

TEST_CASE("plumtree: GRAFT skips an announcer whose link went down") {
  Hub hub(plumtree());
  hub.from(1, ihave_remote());
  hub.from(2, ihave_remote());
  hub.server.handle_peer_down(Instant{hub.now}, 1);
  hub.drain();
  hub.run_until(kNow + kFirstGraftMaxNs);
  CHECK(hub.sent[2] == std::vector<std::string>{"GRAFT " + remote_id() + " kiwi"});
  CHECK(hub.sent.count(1) == 0);
}

TEST_CASE("plumtree: a missing update announced only by a friend now down is given up") {
  Hub hub(plumtree());
  hub.from(1, ihave_remote());
  hub.server.handle_peer_down(Instant{hub.now}, 1);
  hub.drain();
  hub.run_until(kNow + 5 * kGraftNs);
  CHECK(hub.sent.empty());
  CHECK_FALSE(hub.timer());
  hub.iamat("lime");  // updates still flow to the friends that are up
  CHECK(hub.sent.size() == 3);
}

// --- malformed input and limits ------------------------------------------------------------

TEST_CASE("plumtree: malformed IHAVE GRAFT and PRUNE lines are logged and ignored") {
  const std::string id = remote_id();
  const std::vector<std::string> bad{
      "PRUNE now",
      "PRUNE ",
      "GRAFT ",
      "GRAFT " + id,
      "GRAFT " + id + " kiwi extra",
      "GRAFT 12345 kiwi",
      "GRAFT " + id + "  kiwi",
      "IHAVE",
      "IHAVE " + id + " kiwi 1700000000.5",
      "IHAVE " + id + " kiwi 1700000000.5 F1 " + id,
      "IHAVE xyz kiwi 1700000000.5 F1",
      "IHAVE " + id + "0 kiwi 1700000000.5 F1",
      "IHAVE " + id + " kiwi yesterday F1",
      "IHAVE " + id + " kiwi 1700000000.1234567891 F1",
      "IHAVE " + id + " kiwi\t1700000000.5 F1",
      "IHAVE " + id + " kiwi 1700000000.5 F1 ",
      // one bad entry spoils the line: the good first entry is not acted on either
      ihave_remote() + " 0123456789abcdef lime 5.x F1",
      "IHAVE " + id + " " + std::string(5000, 'k') + " 1700000000.5 F1",
  };
  for (const auto& line : bad) {
    INFO(line);
    Hub hub(plumtree());
    hub.from(1, "PRUNE");  // so that a GRAFT acted on would show
    hub.from(1, line);
    REQUIRE(hub.warnings.size() == 1);
    CHECK(hub.warnings[0].find("plumtree: ignored malformed") == 0);
    CHECK(hub.server.stats().bad_peer_lines == 0);  // handled here, not logged twice
    CHECK(hub.sent.empty());
    CHECK_FALSE(hub.timer());
    hub.iamat("lime");  // F1 is still lazy: nothing in the line was acted on
    REQUIRE(hub.sent[1].size() == 1);
    CHECK(hub.sent[1][0].starts_with("IHAVE "));
  }
}

TEST_CASE("plumtree: other unknown peer lines are left to the server") {
  Hub hub(plumtree());
  hub.from(1, "IHAVEN " + remote_id());
  CHECK(hub.server.stats().bad_peer_lines == 1);
  CHECK(hub.sent.empty());
}

TEST_CASE("plumtree: the missing-update table holds at most 1024 clients") {
  Hub hub(plumtree());
  // 1100 announcements of distinct clients, 50 to a line.
  int next = 0;
  while (next < 1100) {
    std::string line = "IHAVE";
    for (int i = 0; i < 50; ++i, ++next) {
      line += " 0123456789abcdef c" + std::to_string(next) + " 1700000000.5 F1";
    }
    hub.from(1, line);
  }
  REQUIRE_FALSE(hub.warnings.empty());
  CHECK(hub.warnings[0].find("table full") != std::string::npos);
  CHECK(hub.warnings.size() <= 8);  // logged sparsely, not once per announcement
  hub.clear();
  hub.run_until(kNow + kFirstGraftMaxNs);
  std::set<std::string> grafted(hub.sent[1].begin(), hub.sent[1].end());
  CHECK(hub.sent[1].size() == 1024);
  CHECK(grafted.size() == 1024);
  CHECK(grafted.count("GRAFT 0123456789abcdef c1023") == 1);
  CHECK(grafted.count("GRAFT 0123456789abcdef c1024") == 0);
}

TEST_CASE("plumtree: with a delay announcements are batched and name the newest record") {
  Hub hub(plumtree(100 * kNanosPerMilli));
  hub.from(0, "PRUNE");
  hub.iamat("kiwi");
  hub.iamat("kiwi", "1700000000.6");  // replaces .5 before the batch goes out
  hub.iamat("lime");
  CHECK(hub.sent.count(0) == 0);
  REQUIRE(hub.timer() == kNow + 100 * kNanosPerMilli);
  hub.run_until(kNow + 100 * kNanosPerMilli);
  CHECK(hub.sent[0] == std::vector<std::string>{"IHAVE " + hub.held_id("kiwi") +
                                                " kiwi 1700000000.6 Hub " + hub.held_id("lime") +
                                                " lime 1700000000.5 Hub"});
  CHECK_FALSE(hub.timer());
}

TEST_CASE("plumtree: a batch holds at most 64 announcements per IHAVE line") {
  Hub hub(plumtree(100 * kNanosPerMilli));
  hub.from(0, "PRUNE");
  for (int i = 0; i < 150; ++i) hub.iamat("c" + std::to_string(i));
  hub.run_until(kNow + 100 * kNanosPerMilli);
  REQUIRE(hub.sent[0].size() == 3);
  std::vector<std::size_t> entries;
  for (const auto& line : hub.sent[0]) {
    CHECK(line.starts_with("IHAVE "));
    entries.push_back(entries_in(line));
  }
  CHECK(entries == std::vector<std::size_t>{64, 64, 22});
}

TEST_CASE("plumtree: the batch queue is bounded and flushes early when full") {
  Hub hub(plumtree(kNanosPerSecond));
  for (PeerId f = 0; f < 3; ++f) hub.from(f, "PRUNE");
  // 3 lazy friends x 1400 clients = 4200 queued announcements > 4096.
  for (int i = 0; i < 1400; ++i) hub.iamat("c" + std::to_string(i));
  std::size_t before_delay = 0;
  for (PeerId f = 0; f < 3; ++f) {
    for (const auto& line : hub.sent[f]) before_delay += entries_in(line);
  }
  CHECK(before_delay == 4096);
  hub.run_until(kNow + kNanosPerSecond);
  for (PeerId f = 0; f < 3; ++f) {
    std::size_t entries = 0;
    for (const auto& line : hub.sent[f]) entries += entries_in(line);
    CHECK(entries == 1400);
  }
}

TEST_CASE("plumtree: an update whose announcement cannot fit a line is pushed in full") {
  Hub hub(plumtree());
  hub.from(0, "PRUNE");
  const std::string client(5000, 'k');
  hub.iamat(client);
  REQUIRE(hub.sent[0].size() == 1);
  CHECK(hub.sent[0][0].starts_with("AT Hub +0.500000000 " + client));
}

// --- repairs (anti-entropy's AE PUSH) ------------------------------------------------------

namespace {

// Plumtree with anti-entropy, which handles AE PUSH; no rounds of its own (no timer, no
// exchange on link-up), so the lines sent are plumtree's alone.
PropagationConfig plumtree_with_repairs() {
  PropagationConfig p = plumtree();
  p.anti_entropy = true;
  p.anti_entropy_period_ns = 0;
  p.anti_entropy_on_connect = false;
  return p;
}

std::string repair(const std::string& at_with_hops) { return "AE PUSH " + at_with_hops; }

}  // namespace

TEST_CASE("plumtree: repairs of an update already held never prune the link they came over") {
  Hub hub(plumtree_with_repairs());
  hub.from(1, kRemote + " 1");
  hub.clear();
  for (int i = 0; i < 5; ++i) hub.from(2, repair(kRemote + " 3"));
  CHECK(hub.sent.empty());
  // The same copies as pushes: the third prunes.
  for (int i = 0; i < 3; ++i) hub.from(2, kRemote + " 3");
  CHECK(hub.sent[2] == std::vector<std::string>{"PRUNE"});
}

TEST_CASE("plumtree: a repair of a new update neither grafts its lazy link nor re-roots the tree") {
  Hub hub(plumtree_with_repairs());
  hub.from(0, "PRUNE");  // F0 is lazy
  hub.from(0, repair(kRemote + " 2"));
  REQUIRE(hub.server.records().find("kiwi"));
  // No bare GRAFT to F0: a repair says nothing about tree paths. The update still spreads
  // along the tree, as a repair, and not back to F0 (lazy, and the sender).
  CHECK(hub.sent.count(0) == 0);
  for (PeerId f : {1u, 2u, 3u}) {
    CHECK(hub.sent[f] == std::vector<std::string>{repair(kRemote + " 3")});
  }
  hub.clear();
  hub.iamat("lime");
  CHECK(hub.sent[0] == std::vector<std::string>{"IHAVE " + hub.held_id("lime") +
                                                " lime 1700000000.5 Hub"});
  // Over a plain push the same update would have grafted F0 back (see "a new update over a
  // lazy link makes it eager at both ends").
}

TEST_CASE("plumtree: a repair sends nothing over lazy links") {
  Hub hub(plumtree_with_repairs());
  hub.from(2, "PRUNE");
  hub.from(3, "PRUNE");
  hub.from(0, repair(kRemote + " 2"));
  CHECK(hub.sent[1] == std::vector<std::string>{repair(kRemote + " 3")});
  CHECK(hub.sent.size() == 1);
}

TEST_CASE("plumtree: the push that a repair beat does not count as a duplicate") {
  Hub hub(plumtree_with_repairs());
  hub.from(2, repair(kRemote + " 2"));  // anti-entropy was faster than the tree
  hub.clear();
  for (int i = 0; i < 3; ++i) hub.from(1, kRemote + " 1");
  CHECK(hub.sent.empty());
  // Duplicates of an update that came by push still count.
  hub.from(3, "AT F3 +0.100000000 lime +1+1 1700000000.5 1");
  hub.clear();
  for (int i = 0; i < 3; ++i) hub.from(1, "AT F3 +0.100000000 lime +1+1 1700000000.5 2");
  CHECK(hub.sent[1] == std::vector<std::string>{"PRUNE"});
}

TEST_CASE("plumtree: a repair of an announced update cancels its GRAFT") {
  Hub hub(plumtree_with_repairs());
  hub.from(1, "PRUNE");
  hub.from(1, ihave_remote());
  REQUIRE(hub.timer());
  hub.from(2, repair(kRemote + " 2"));
  hub.clear();
  hub.run_until(kNow + 10 * kGraftNs);
  CHECK(hub.sent.empty());
  CHECK_FALSE(hub.timer());
}
