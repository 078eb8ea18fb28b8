#include "herd/core/server.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace herd::core;

namespace {

constexpr Nanoseconds kNow = 1'700'000'000LL * kNanosPerSecond;

ServerConfig hub(PropagationConfig propagation) {
  ServerConfig config;
  config.name = "Hub";
  for (int i = 0; i < 8; ++i) config.friends.push_back("F" + std::to_string(i));
  config.peer_secret = "s";
  config.log_traffic = false;
  config.propagation = propagation;
  return config;
}

// Brings every link up, feeds one peer update from friend `from` (or an IAMAT if none) and
// returns which friends were sent an update line.
std::map<PeerId, std::string> spread(Server& server, std::optional<PeerId> from,
                                     std::uint32_t hops) {
  for (PeerId p = 0; p < server.friends().size(); ++p) {
    server.handle_peer_up(Instant{kNow}, p);
  }
  while (server.poll_output()) {
  }
  server.handle_conn_open(Instant{kNow}, 1);
  if (from) {
    const std::string greeting = "HERD 1 " + std::string(server.friends()[*from]) + " s\n";
    server.handle_conn_bytes(Instant{kNow}, 1, greeting);
    server.handle_conn_bytes(Instant{kNow}, 1,
                             "AT F0 +0.100000000 kiwi +1+1 1700000000.5 " + std::to_string(hops) + "\n");
  } else {
    server.handle_conn_bytes(Instant{kNow}, 1, "IAMAT kiwi +1+1 1700000000.5\n");
  }
  std::map<PeerId, std::string> sent;
  while (auto out = server.poll_output()) {
    if (auto* s = std::get_if<SendToPeer>(&*out)) sent[s->peer] += *s->bytes;
  }
  return sent;
}

}  // namespace

TEST_CASE("flood: an update goes to every friend but the one it came from") {
  Server server(hub({}));
  auto sent = spread(server, PeerId{3}, 2);
  CHECK(sent.size() == 7);
  CHECK_FALSE(sent.count(3));
  for (const auto& [peer, bytes] : sent) CHECK(bytes == "AT F0 +0.100000000 kiwi +1+1 1700000000.5 3\n");
  CHECK(server.strategy_name() == "flood");
}

TEST_CASE("gossip: an update goes to fanout distinct random friends but the sender") {
  PropagationConfig p;
  p.push = PropagationConfig::Push::gossip;
  p.fanout = 3;
  std::set<std::set<PeerId>> choices;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    p.seed = seed;
    Server server(hub(p));
    auto sent = spread(server, PeerId{0}, 1);
    REQUIRE(sent.size() == 3);
    CHECK_FALSE(sent.count(0));
    std::set<PeerId> chosen;
    for (const auto& [peer, bytes] : sent) {
      chosen.insert(peer);
      CHECK(bytes.ends_with(" 2\n"));
    }
    choices.insert(chosen);
    // The same seed chooses the same friends.
    Server again(hub(p));
    auto repeat = spread(again, PeerId{0}, 1);
    std::set<PeerId> chosen_again;
    for (const auto& [peer, bytes] : repeat) chosen_again.insert(peer);
    CHECK(chosen_again == chosen);
  }
  CHECK(choices.size() > 10);  // seeds really vary the choice (35 possible triples)
}

TEST_CASE("gossip: the hop limit stops forwarding and a client update starts at hop 1") {
  PropagationConfig p;
  p.push = PropagationConfig::Push::gossip;
  p.fanout = 2;
  p.hop_limit = 4;
  {
    Server server(hub(p));
    CHECK(spread(server, PeerId{1}, 4).empty());
  }
  {
    Server server(hub(p));
    CHECK(spread(server, PeerId{1}, 3).size() == 2);
  }
  {
    Server server(hub(p));
    auto sent = spread(server, std::nullopt, 0);
    REQUIRE(sent.size() == 2);
    CHECK(sent.begin()->second.ends_with(" 1\n"));
  }
}

TEST_CASE("gossip: a fanout above the friend count sends to every other friend") {
  PropagationConfig p;
  p.push = PropagationConfig::Push::gossip;
  p.fanout = 50;
  Server server(hub(p));
  CHECK(spread(server, PeerId{5}, 1).size() == 7);
}
