#include "herd/core/server.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace herd::core;

namespace {

constexpr Nanoseconds kStart = 1'700'000'000LL * kNanosPerSecond;
constexpr Nanoseconds kPeriod = 100 * kNanosPerMilli;

PropagationConfig rumor(bool feedback, bool counter, std::uint32_t k, std::uint64_t seed = 7) {
  PropagationConfig p;
  p.push = PropagationConfig::Push::rumor;
  p.rumor_feedback = feedback;
  p.rumor_counter = counter;
  p.rumor_k = k;
  p.rumor_period_ns = kPeriod;
  p.seed = seed;
  return p;
}

// One server driven by hand: links to its friends, a client connection for IAMATs and one
// inbound connection per friend for the lines friends send it.
struct Rig {
  Rig(PropagationConfig propagation, int friends, bool all_up = true)
      : server([&] {
          ServerConfig config;
          config.name = "Hub";
          for (int i = 0; i < friends; ++i) config.friends.push_back("F" + std::to_string(i));
          config.peer_secret = "s";
          config.log_traffic = false;
          config.limits.idle_timeout_ns = 0;  // only the strategy's timer in poll_timeout
          config.propagation = propagation;
          return ServerConfig(std::move(config));
        }()) {
    if (all_up) {
      for (PeerId p = 0; p < static_cast<PeerId>(friends); ++p) up(p);
    }
    greetings.clear();
  }

  void drain() {
    while (auto out = server.poll_output()) {
      if (auto* p = std::get_if<SendToPeer>(&*out)) {
        if (p->bytes->starts_with("HERD ")) {
          greetings.push_back(p->peer);
        } else {
          sent.emplace_back(p->peer, std::string(*p->bytes));
        }
      } else if (auto* l = std::get_if<LogRecord>(&*out)) {
        logs.push_back(l->text);
      }
    }
  }
  void up(PeerId p) {
    server.handle_peer_up(Instant{now}, p);
    drain();
  }
  void down(PeerId p) {
    server.handle_peer_down(Instant{now}, p);
    drain();
  }
  void iamat(const std::string& client, const std::string& time_text) {
    ConnId conn = next_client++;
    server.handle_conn_open(Instant{now}, conn);
    server.handle_conn_bytes(Instant{now}, conn, "IAMAT " + client + " +1+1 " + time_text + "\n");
    server.handle_conn_eof(Instant{now}, conn);
    server.handle_conn_closed(Instant{now}, conn);
    drain();
  }
  // A line from friend p on its inbound connection (greeting it first if needed).
  void from_friend(PeerId p, const std::string& line) {
    ConnId conn = 1000 + p;
    if (greeted.insert(p).second) {
      server.handle_conn_open(Instant{now}, conn);
      server.handle_conn_bytes(Instant{now}, conn, "HERD 1 F" + std::to_string(p) + " s\n");
    }
    server.handle_conn_bytes(Instant{now}, conn, line + "\n");
    drain();
  }
  // Runs the strategy's next timer; returns what it sent.
  std::vector<std::pair<PeerId, std::string>> tick() {
    auto due = server.poll_timeout();
    REQUIRE(due);
    REQUIRE(due->ns >= now);
    now = due->ns;
    sent.clear();
    server.handle_timeout(Instant{now});
    drain();
    return sent;
  }
  bool logged(std::string_view needle) const {
    for (const auto& l : logs) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  Server server;
  Nanoseconds now = kStart;
  ConnId next_client = 1;
  std::set<PeerId> greeted;
  std::vector<PeerId> greetings;
  std::vector<std::pair<PeerId, std::string>> sent;
  std::vector<std::string> logs;
};

// "AT ... <hops>\n" -> the id every server computes for its AT line.
std::string id_of(const std::string& pushed) {
  std::string at = pushed.substr(0, pushed.rfind(' '));
  return format_update_id(update_id(at));
}

std::string knew(const std::string& pushed) { return "KNEW " + id_of(pushed); }

// Ticks until the rumor goes quiet (at most `limit` periods); returns how many pushes.
int pushes_until_quiet(Rig& rig, int limit, bool answer_knew) {
  int pushes = 0;
  for (int i = 0; i < limit && rig.server.poll_timeout(); ++i) {
    for (const auto& [peer, line] : rig.tick()) {
      ++pushes;
      if (answer_knew) rig.from_friend(peer, knew(line));
    }
  }
  return pushes;
}

}  // namespace

TEST_CASE("rumor: a new update is pushed once per period to one random friend whose link is up") {
  Rig rig(rumor(true, true, 3), 8);
  for (PeerId p : {1u, 4u, 6u}) rig.down(p);
  rig.iamat("kiwi", "1700000000.5");
  CHECK(rig.sent.empty());  // nothing at once: rumors wait for the period
  auto first = rig.server.poll_timeout();
  REQUIRE(first);
  CHECK(first->ns > kStart);
  CHECK(first->ns <= kStart + kPeriod);
  std::set<PeerId> targets;
  Nanoseconds previous = 0;
  for (int i = 0; i < 30; ++i) {
    auto out = rig.tick();
    REQUIRE(out.size() == 1);
    CHECK(out[0].second.ends_with(" 1\n"));  // hops 0 at the origin, 1 on the wire
    CHECK(out[0].second.starts_with("AT Hub "));
    CHECK_FALSE(std::set<PeerId>{1, 4, 6}.count(out[0].first));
    targets.insert(out[0].first);
    if (previous) CHECK(rig.now - previous == kPeriod);
    previous = rig.now;
    // Never answered: the friend learned something new, so interest does not fade.
  }
  CHECK(targets == std::set<PeerId>{0, 2, 3, 5, 7});  // 30 draws from 5 reach all of them
}

TEST_CASE("rumor: servers with different seeds start ticking at different phases") {
  std::set<Nanoseconds> phases;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Rig rig(rumor(true, true, 2, seed), 3);
    rig.iamat("kiwi", "1700000000.5");
    auto due = rig.server.poll_timeout();
    REQUIRE(due);
    CHECK(due->ns > kStart);
    CHECK(due->ns <= kStart + kPeriod);
    phases.insert(due->ns);
  }
  CHECK(phases.size() >= 9);
}

TEST_CASE("rumor: feedback with counter stops after k KNEW answers") {
  for (std::uint32_t k : {1u, 2u, 4u}) {
    Rig rig(rumor(true, true, k), 5);
    rig.iamat("kiwi", "1700000000.5");
    CHECK(pushes_until_quiet(rig, 100, true) == static_cast<int>(k));
    CHECK_FALSE(rig.server.poll_timeout());  // no hot rumor, no timer
  }
}

TEST_CASE("rumor: feedback keeps pushing while nobody answers KNEW") {
  Rig rig(rumor(true, true, 1), 5);
  rig.iamat("kiwi", "1700000000.5");
  CHECK(pushes_until_quiet(rig, 50, false) == 50);
  CHECK(rig.server.poll_timeout());
}

TEST_CASE("rumor: feedback with coin stops after each KNEW with probability 1 over k") {
  // k = 1: certain.
  Rig certain(rumor(true, false, 1), 5);
  certain.iamat("kiwi", "1700000000.5");
  CHECK(pushes_until_quiet(certain, 100, true) == 1);
  // k = 4: the number of KNEWs it takes is geometric with mean 4.
  int total = 0;
  constexpr int kSeeds = 200;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    Rig rig(rumor(true, false, 4, seed), 5);
    rig.iamat("kiwi", "1700000000.5");
    int n = pushes_until_quiet(rig, 1000, true);
    CHECK(n >= 1);
    total += n;
  }
  double mean = static_cast<double>(total) / kSeeds;
  INFO("mean KNEWs before losing interest: " << mean);
  // Standard deviation of a geometric(1/4) is sqrt(12) = 3.46; of the mean, 0.245.
  CHECK(mean > 4 - 4 * 0.245);
  CHECK(mean < 4 + 4 * 0.245);
}

TEST_CASE("rumor: blind with counter stops after k pushes whatever the answers") {
  for (bool answer : {false, true}) {
    Rig rig(rumor(false, true, 3), 5);
    rig.iamat("kiwi", "1700000000.5");
    CHECK(pushes_until_quiet(rig, 100, answer) == 3);
    CHECK_FALSE(rig.server.poll_timeout());
  }
}

TEST_CASE("rumor: blind with coin stops after each push with probability 1 over k") {
  Rig once(rumor(false, false, 1), 5);
  once.iamat("kiwi", "1700000000.5");
  CHECK(pushes_until_quiet(once, 100, false) == 1);
  int total = 0;
  constexpr int kSeeds = 200;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    Rig rig(rumor(false, false, 3, seed), 5);
    rig.iamat("kiwi", "1700000000.5");
    total += pushes_until_quiet(rig, 1000, false);
  }
  double mean = static_cast<double>(total) / kSeeds;
  INFO("mean pushes before losing interest: " << mean);
  // Geometric(1/3): mean 3, standard deviation sqrt(6) = 2.45; of the mean, 0.173.
  CHECK(mean > 3 - 4 * 0.173);
  CHECK(mean < 3 + 4 * 0.173);
}

TEST_CASE("rumor: a KNEW counts only from a friend the rumor was pushed to") {
  Rig rig(rumor(true, true, 1), 5);
  rig.iamat("kiwi", "1700000000.5");
  auto out = rig.tick();
  REQUIRE(out.size() == 1);
  PeerId other = (out[0].first + 1) % 5;
  rig.from_friend(other, knew(out[0].second));  // unsolicited: ignored
  CHECK(rig.server.poll_timeout());
  rig.from_friend(out[0].first, knew(out[0].second));
  CHECK_FALSE(rig.server.poll_timeout());
  rig.from_friend(out[0].first, knew(out[0].second));  // late duplicate: harmless
  CHECK(rig.server.stats().bad_peer_lines == 0);
}

TEST_CASE("rumor: a receiver that already holds the update answers KNEW with its id") {
  Rig rig(rumor(true, true, 2), 3);
  const std::string at = "AT F1 +0.100000000 kiwi +1+1 1700000000.5";
  rig.from_friend(1, at + " 1");
  CHECK(rig.sent.empty());
  rig.from_friend(2, at + " 4");
  REQUIRE(rig.sent.size() == 1);
  CHECK(rig.sent[0].first == 2);
  CHECK(rig.sent[0].second == "KNEW " + format_update_id(update_id(at)) + "\n");
}

TEST_CASE("rumor: a receiver holding a newer update answers with the newer update") {
  Rig rig(rumor(true, true, 2), 3);
  const std::string newer = "AT F1 +0.100000000 kiwi +1+1 1700000009.5";
  rig.from_friend(1, newer + " 2");
  rig.from_friend(2, "AT F2 +0.100000000 kiwi +2+2 1700000001.5 1");
  REQUIRE(rig.sent.size() == 1);
  CHECK(rig.sent[0].first == 2);
  CHECK(rig.sent[0].second == newer + " 3\n");
}

TEST_CASE("rumor: blind servers never answer KNEW and accept one without complaint") {
  Rig rig(rumor(false, true, 2), 3);
  const std::string at = "AT F1 +0.100000000 kiwi +1+1 1700000000.5";
  rig.from_friend(1, at + " 1");
  rig.from_friend(2, at + " 1");
  CHECK(rig.sent.empty());
  rig.from_friend(2, "KNEW " + format_update_id(update_id(at)));
  CHECK_FALSE(rig.logged("KNEW"));
  CHECK(rig.server.stats().bad_peer_lines == 0);
}

TEST_CASE("rumor: an update received from a friend is never pushed back to it") {
  // The only friend is the sender: each period is an unnecessary contact, so the rumor
  // fades (blind counter k = 2: two periods) without a single line going back.
  Rig rig(rumor(false, true, 2), 1);
  rig.from_friend(0, "AT F0 +0.100000000 kiwi +1+1 1700000000.5 1");
  CHECK(rig.tick().empty());
  CHECK(rig.tick().empty());
  CHECK_FALSE(rig.server.poll_timeout());
  // With two friends every push goes to the other one, with hops + 1, until the draw
  // has picked the sender k = 3 times (feedback counter: unnecessary contacts).
  Rig pair(rumor(true, true, 3, 8), 2);
  pair.from_friend(0, "AT F0 +0.100000000 kiwi +1+1 1700000000.5 5");
  int pushes = 0;
  for (int i = 0; i < 100 && pair.server.poll_timeout(); ++i) {
    for (const auto& [peer, line] : pair.tick()) {
      ++pushes;
      CHECK(peer == 1);
      CHECK(line.ends_with(" 6\n"));
    }
  }
  CHECK(pushes >= 1);
  CHECK_FALSE(pair.server.poll_timeout());
}

TEST_CASE("rumor: a superseded rumor stops and the newer update is hot instead") {
  Rig rig(rumor(true, true, 2), 4);
  rig.iamat("kiwi", "1700000000.5");
  rig.iamat("kiwi", "1700000003.5");
  rig.iamat("wren", "1700000001.5");
  for (int i = 0; i < 5; ++i) {
    auto out = rig.tick();
    REQUIRE(out.size() == 2);  // both clients, in arrival order, to the same friend
    CHECK(out[0].first == out[1].first);
    CHECK(out[0].second.find(" kiwi +1+1 1700000003.5 1\n") != std::string::npos);
    CHECK(out[1].second.find(" wren ") != std::string::npos);
  }
}

TEST_CASE("rumor: a rumor whose record was replaced behind its back is dropped") {
  // An update at the hop limit is stored without on_new_update: the older hot rumor of
  // that client must not keep spreading the stale value.
  Rig rig(rumor(true, true, 2), 3);
  rig.iamat("kiwi", "1700000000.5");
  rig.from_friend(1, "AT F1 +0.100000000 kiwi +1+1 1700000005.5 " + std::to_string(kMaxHops));
  CHECK(rig.tick().empty());
  CHECK_FALSE(rig.server.poll_timeout());
}

TEST_CASE("rumor: the hot set holds 1024 rumors and drops the oldest beyond that") {
  Rig rig(rumor(true, true, 2), 2);
  for (int c = 0; c < 1030; ++c) rig.iamat("c" + std::to_string(c), "1700000000.5");
  CHECK(rig.logged("more than 1024 hot rumors"));
  auto out = rig.tick();
  REQUIRE(out.size() == 1024);
  CHECK(out.front().second.find(" c6 ") != std::string::npos);   // c0..c5 were dropped
  CHECK(out.back().second.find(" c1029 ") != std::string::npos);
}

TEST_CASE("rumor: malformed KNEW lines are logged and ignored") {
  Rig rig(rumor(true, true, 1), 2);
  rig.iamat("kiwi", "1700000000.5");
  auto out = rig.tick();
  REQUIRE(out.size() == 1);
  std::string id = id_of(out[0].second);
  for (const std::string& bad : std::vector<std::string>{"KNEW", "KNEW ", "KNEW xyz", "KNEW " + id.substr(1),
                          "KNEW " + id + "0", "KNEW  " + id, "KNEW " + id + " extra",
                          "KNEW -" + id.substr(1), std::string("KNEW \x01\x02", 7)}) {
    rig.logs.clear();
    rig.from_friend(out[0].first, bad);
    CHECK(rig.logged("malformed"));
  }
  CHECK(rig.server.stats().bad_peer_lines == 0);  // the strategy owned them
  CHECK(rig.server.poll_timeout());               // none of them cost the rumor its life
  rig.from_friend(out[0].first, "KNEW " + id);
  CHECK_FALSE(rig.server.poll_timeout());
}

TEST_CASE("rumor: lines that are not KNEW are left to the server") {
  Rig rig(rumor(true, true, 1), 2);
  rig.from_friend(0, "KNEWS 0123456789abcdef");
  CHECK(rig.server.stats().bad_peer_lines == 1);
}

TEST_CASE("rumor: with every link down the rumor waits for one to come up") {
  Rig rig(rumor(false, true, 1), 4, false);
  rig.iamat("kiwi", "1700000000.5");
  CHECK(rig.tick().empty());
  CHECK(rig.tick().empty());
  rig.up(2);
  auto out = rig.tick();
  REQUIRE(out.size() == 1);
  CHECK(out[0].first == 2);
  CHECK_FALSE(rig.server.poll_timeout());
}

TEST_CASE("rumor: the same seed makes the same choices and another seed other ones") {
  auto run = [](std::uint64_t seed) {
    Rig rig(rumor(true, false, 3, seed), 16);
    rig.iamat("kiwi", "1700000000.5");
    std::vector<std::pair<Nanoseconds, PeerId>> choices;
    for (int i = 0; i < 40 && rig.server.poll_timeout(); ++i) {
      for (const auto& [peer, line] : rig.tick()) {
        choices.emplace_back(rig.now, peer);
        if (i % 2 == 1) rig.from_friend(peer, knew(line));  // coin draws too
      }
    }
    return choices;
  };
  auto a = run(11);
  CHECK(a.size() >= 2);
  CHECK(run(11) == a);
  CHECK(run(12) != a);
}

TEST_CASE("rumor: k of 0 or a period of 0 is refused with the key named") {
  auto k0 = rumor(true, true, 0);
  CHECK_THROWS_WITH(Server(ServerConfig{"Hub", {"F0"}, "", {}, false, false, k0, {}, 0, nullptr}),
                    Catch::Contains("strategy.k"));
  auto p0 = rumor(true, true, 2);
  p0.rumor_period_ns = 0;
  CHECK_THROWS_WITH(Server(ServerConfig{"Hub", {"F0"}, "", {}, false, false, p0, {}, 0, nullptr}),
                    Catch::Contains("strategy.period"));
}

// --- synchronous rounds and counter reset ------------------------------------------------

namespace {

PropagationConfig sync_rumor(std::uint32_t k, bool reset, std::uint64_t seed = 7) {
  PropagationConfig p = rumor(true, true, k, seed);
  p.rumor_rounds = PropagationConfig::Rounds::sync;
  p.rumor_counter_reset = reset;
  return p;
}

}  // namespace

TEST_CASE("rumor: sync rounds tick at the multiples of the period whatever the seed") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Rig rig(sync_rumor(2, false, seed), 3);
    rig.now = kStart + 37 * kNanosPerMilli;  // kStart is a multiple of the period
    rig.iamat("kiwi", "1700000000.5");
    auto due = rig.server.poll_timeout();
    REQUIRE(due);
    CHECK(due->ns == kStart + kPeriod);
    rig.tick();
    due = rig.server.poll_timeout();
    REQUIRE(due);
    CHECK(due->ns == kStart + 2 * kPeriod);
  }
}

TEST_CASE("rumor: sync rounds answer KNEW only for an update held before the round began") {
  Rig rig(sync_rumor(2, false), 3);
  const std::string at = "AT F1 +0.100000000 kiwi +1+1 1700000000.5";
  const std::string knew_line = "KNEW " + format_update_id(update_id(at)) + "\n";
  rig.now = kStart + 10 * kNanosPerMilli;
  rig.from_friend(1, at + " 1");  // learned in the round that began at kStart
  rig.now = kStart + 20 * kNanosPerMilli;
  rig.from_friend(2, at + " 3");  // the same round: this push taught us too, as far as
  CHECK(rig.sent.empty());        // the sender's count goes
  rig.now = kStart + kPeriod;     // the next round begins: we knew it before
  rig.from_friend(2, at + " 3");
  REQUIRE(rig.sent.size() == 1);
  CHECK(rig.sent[0] == std::pair<PeerId, std::string>{2, knew_line});
  // Async servers answer every push of something they hold.
  Rig async(rumor(true, true, 2), 3);
  async.from_friend(1, at + " 1");
  async.from_friend(2, at + " 3");
  REQUIRE(async.sent.size() == 1);
  CHECK(async.sent[0].second == knew_line);
}

TEST_CASE("rumor: with counter reset only k KNEW answers in a row end a rumor") {
  // Pushes answered KNEW, silent (useful), KNEW, KNEW: with reset the silence starts the
  // count again and the rumor ends on the fourth push; without, on the third (k = 2).
  for (bool reset : {false, true}) {
    INFO("reset " << reset);
    Rig rig(sync_rumor(2, reset), 5);
    rig.iamat("kiwi", "1700000000.5");
    const std::vector<bool> answers = {true, false, true, true};
    int pushes = 0;
    for (bool answer : answers) {
      if (!rig.server.poll_timeout()) break;
      auto out = rig.tick();
      REQUIRE(out.size() == 1);
      ++pushes;
      if (answer) rig.from_friend(out[0].first, knew(out[0].second));
    }
    CHECK(pushes == (reset ? 4 : 3));
    CHECK_FALSE(rig.server.poll_timeout());
  }
}

TEST_CASE("rumor: with counter reset a KNEW after the next round no longer counts") {
  Rig rig(sync_rumor(1, true), 5);
  rig.iamat("kiwi", "1700000000.5");
  auto first = rig.tick();
  REQUIRE(first.size() == 1);
  auto second = rig.tick();  // the first push went unanswered: judged useful
  REQUIRE(second.size() == 1);
  if (second[0].first != first[0].first) {
    rig.from_friend(first[0].first, knew(first[0].second));  // late: ignored
    CHECK(rig.server.poll_timeout());
  }
  rig.from_friend(second[0].first, knew(second[0].second));  // in time: k = 1 ends it
  CHECK_FALSE(rig.server.poll_timeout());
}

TEST_CASE("rumor: counter reset without feedback or with a coin is refused") {
  auto blind = rumor(false, true, 2);
  blind.rumor_counter_reset = true;
  CHECK_THROWS_WITH(Server(ServerConfig{"Hub", {"F0"}, "", {}, false, false, blind, {}, 0, nullptr}),
                    Catch::Contains("strategy.counter_reset"));
  auto coin = rumor(true, false, 2);
  coin.rumor_counter_reset = true;
  CHECK_THROWS_WITH(Server(ServerConfig{"Hub", {"F0"}, "", {}, false, false, coin, {}, 0, nullptr}),
                    Catch::Contains("strategy.counter_reset"));
}
