// Limits on friends' greetings, on a real server: a greeting must finish within
// handshake_timeout whatever idle_timeout allows, and a friend holds one inbound link at a
// time, however often it (or anyone with the secret) greets.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "herd/core/peer_handshake.hpp"
#include "test_client.hpp"
#include "test_herd.hpp"

using namespace herd::live::testing;

namespace {

const std::string kNonce = "0123456789abcdef0123456789abcdef";

std::uint16_t peer_port_of(const TestHerd& herd, const std::string& name) {
  return static_cast<std::uint16_t>(herd.port(name) + herd::live::kDefaultPeerPortOffset);
}

// Sends a HELLO as `dialer` and reads the CHALLENGE, leaving the greeting half done.
void hello_only(TestClient& link, const std::string& dialer) {
  link.send(herd::core::format_hello(dialer, kNonce));
  REQUIRE(link.read_line().rfind("HERD 2 CHALLENGE Clark ", 0) == 0);
}

// Waits for the server to close `link`; how long that took from `since`, or nullopt if it
// stayed open.
std::optional<Clock::duration> closed_after(TestClient& link, Clock::time_point since,
                                            Clock::duration timeout) {
  if (link.read_to_end(timeout).end == End::timeout) return std::nullopt;
  return Clock::now() - since;
}

}  // namespace

TEST_CASE("peer greeting limits: a greeting stalled after its HELLO is closed at "
          "handshake_timeout, long before idle_timeout") {
  HerdSpec spec = two_friends();
  spec.limits = {"handshake_timeout = \"600ms\"", "idle_timeout = \"300s\"",
                 "line_timeout = \"300s\""};
  TestHerd herd(spec);
  herd.start("Clark");  // Bona stays down: the test plays Bona
  const auto start = Clock::now();
  TestClient silent(peer_port_of(herd, "Clark"));   // never says a word
  TestClient stalled(peer_port_of(herd, "Clark"));  // HELLO, then nothing
  hello_only(stalled, "Bona");
  TestClient on_client_port(herd.port("Clark"));  // the same on the client port
  hello_only(on_client_port, "Bona");
  TestClient trickler(peer_port_of(herd, "Clark"));  // HELLO, then a PROOF byte by byte
  hello_only(trickler, "Bona");
  const std::string proof_start = "HERD 2 PROOF 0123456789abcdef0123456789abcdef";
  bool trickler_cut = false;
  for (std::size_t i = 0; i < proof_start.size() && !trickler_cut; ++i) {
    try {
      trickler.send(proof_start.substr(i, 1));
    } catch (const TestError&) {
      trickler_cut = true;
    }
    std::this_thread::sleep_for(100ms);
    trickler_cut = trickler_cut || !trickler.still_open();
  }
  const auto trickle_time = Clock::now() - start;
  CHECK(trickler_cut);
  CHECK(trickle_time < 3s);

  for (TestClient* link : {&silent, &stalled, &on_client_port}) {
    const auto after = closed_after(*link, start, 3s);
    REQUIRE(after.has_value());
    CHECK(*after >= 550ms);
    CHECK(*after < 3s);
  }
  CHECK(herd.wait_for_log("Clark", "greeting as Bona not completed within handshake_timeout "
                                   "(600 ms); closing", 3));
  CHECK(herd.wait_for_log("Clark", "greeting not completed within handshake_timeout (600 ms)"));

  // A greeting that completes is not held to the clock: the link stays up past it.
  TestClient friend_link(peer_port_of(herd, "Clark"));
  (void)greet_as_friend(friend_link, "Bona", spec.peer_secret);
  CHECK(herd.wait_for_log("Clark", "inbound link from Bona up"));
  std::this_thread::sleep_for(1200ms);
  CHECK(friend_link.still_open());
}

TEST_CASE("peer greeting limits: a friend greeting again replaces its older link; the newest "
          "carries updates") {
  HerdSpec spec = two_friends();
  TestHerd herd(spec);
  herd.start("Clark");  // Bona stays down: the test plays Bona
  constexpr int kGreetings = 12;
  std::vector<TestClient> links;
  const auto start = Clock::now();
  for (int i = 0; i < kGreetings; ++i) {
    links.emplace_back(peer_port_of(herd, "Clark"));
    (void)greet_as_friend(links.back(), "Bona", spec.peer_secret);
    // In order: each greeting is the newest when it completes.
    REQUIRE(herd.wait_for_log("Clark", "inbound link from Bona up", i + 1));
  }
  const auto greeting_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count();

  for (int i = 0; i + 1 < kGreetings; ++i) {
    INFO("link " << i);
    CHECK(links[static_cast<std::size_t>(i)].read_to_end(3s).end != End::timeout);
  }
  TestClient& newest = links.back();
  CHECK(newest.still_open());

  newest.send("AT Bona +0.000000001 carol +10.0+10.0 1700000000.5 1\n");
  const auto deadline = Clock::now() + 3s;
  std::string reply;
  do {
    reply = grader_request(herd.port("Clark"), "WHATSAT carol 10 1");
  } while (reply.rfind("AT Bona ", 0) != 0 && Clock::now() < deadline);
  CHECK(reply.rfind("AT Bona +0.000000001 carol +10.0+10.0 1700000000.5\n{", 0) == 0);
  CHECK(newest.still_open());

  // Replacements are logged at most once a second, and the closed links are not logged
  // again as dropped.
  const std::string log = herd.read_log("Clark");
  const int replaced_lines = count_of(log, "(one inbound link per friend, the newest kept)");
  CHECK(replaced_lines >= 1);
  CHECK(replaced_lines <= greeting_seconds + 1);
  CHECK(count_of(log, "inbound link from Bona dropped") == 0);
}
