// What a hostile or broken client can do to a live server, and that the server survives it:
// garbage bytes, huge lines, connection floods, clients that stall, clients that stop
// reading, and clients pretending to be friends.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "test_client.hpp"
#include "test_herd.hpp"

using namespace herd::live::testing;

namespace {

const std::string kIamat = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503";

// The server still answers a well-behaved grader-style client.
void expect_serving(std::uint16_t port) {
  const std::string reply = grader_request(port, kIamat);
  INFO(reply);
  CHECK(reply.rfind("AT Clark ", 0) == 0);
  CHECK(reply.find(" kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503\n") !=
        std::string::npos);
}

}  // namespace

TEST_CASE("hostile input: binary garbage and NUL bytes are answered with ? lines") {
  TestHerd herd(lone_server());
  herd.start_all();
  TestClient client(herd.port("Clark"));
  const std::vector<std::string> lines = {
      std::string("\x00", 1),
      std::string("IAMAT\x00kiwi +1+1 1", 17),
      "\x01\x02\x7f\xff\xfe garbage \x80\x81",
      "IAMAT kiwi +34.068930-118.445127 nan",
      "IAMAT kiwi +91-118 1",
      "WHATSAT kiwi.cs.ucla.edu 10 5",  // nobody told this server about it
      "AT Bona +0.1 kiwi +1+1 1 1",     // a peer message on a client connection
  };
  for (const auto& line : lines) {
    INFO(line);
    client.send(line + "\n");
    CHECK(client.read_line() == "? " + line + "\n");
  }
  CHECK(client.still_open());
  expect_serving(herd.port("Clark"));
}

TEST_CASE("hostile input: a 1 MiB line closes only its own connection") {
  TestHerd herd(lone_server({"max_line_bytes = 4096"}));
  herd.start_all();
  TestClient bystander(herd.port("Clark"));
  TestClient flooder(herd.port("Clark"));
  // The server stops reading this connection, so the send may fail part-way: either is fine.
  (void)flooder.send_until_error(std::string(1 << 20, 'A'), 5s);
  CHECK(flooder.read_to_end(5s).end != End::timeout);
  CHECK(herd.wait_for_log("Clark", "line longer than 4096 bytes"));
  bystander.send(kIamat + "\n");
  CHECK(bystander.read_line().rfind("AT Clark ", 0) == 0);
  expect_serving(herd.port("Clark"));
}

TEST_CASE("hostile input: 2,000 idle connections do not keep others from being served") {
  raise_descriptor_limit();
  // All of them come from 127.0.0.1: the per-address cap (1,024 by default) is raised so
  // that this measures the server, not that cap.
  TestHerd herd(lone_server({"max_connections_per_address = 4000"}));
  herd.start_all();
  std::vector<TestClient> idle;
  idle.reserve(2000);
  for (int i = 0; i < 2000; ++i) idle.emplace_back(herd.port("Clark"));
  expect_serving(herd.port("Clark"));
  // They are all still open: the server accepted them and keeps them.
  TestClient last(herd.port("Clark"));
  last.send("WHATSAT kiwi.cs.ucla.edu 10 1\n");
  CHECK(last.read_until("}\n\n").rfind("AT Clark ", 0) == 0);
  int open = 0;
  for (auto& client : idle) open += client.still_open() ? 1 : 0;
  CHECK(open == 2000);
}

TEST_CASE("hostile input: connections beyond max_connections are closed at once") {
  TestHerd herd(lone_server({"max_connections = 3"}));
  herd.start_all();
  std::vector<TestClient> held;
  for (int i = 0; i < 3; ++i) held.emplace_back(herd.port("Clark"));
  // Let the server register them (the start-up probe has gone away by now).
  held[2].send(kIamat + "\n");
  CHECK(held[2].read_line().rfind("AT Clark ", 0) == 0);
  TestClient refused(herd.port("Clark"));
  const ReadResult result = refused.read_to_end(3s);
  CHECK(result.end != End::timeout);
  CHECK(result.bytes.empty());
  CHECK(herd.wait_for_log("Clark", "connections open (max_connections)"));
  for (auto& client : held) CHECK(client.still_open());
  // Once one leaves, a newcomer gets in again.
  held.pop_back();
  const auto deadline = Clock::now() + 3s;
  std::string reply;
  while (Clock::now() < deadline && reply.empty()) {
    reply = grader_request(herd.port("Clark"), kIamat);
    if (reply.empty()) std::this_thread::sleep_for(20ms);
  }
  CHECK(reply.rfind("AT Clark ", 0) == 0);
}

TEST_CASE("hostile input: a client that never finishes its line is closed by the idle timeout") {
  TestHerd herd(lone_server({"idle_timeout = \"300ms\""}));
  herd.start_all();
  TestClient staller(herd.port("Clark"));
  const auto start = Clock::now();
  staller.send("IAMAT kiwi.cs.ucla.edu +34.068930-118.445127");
  const ReadResult result = staller.read_to_end(5s);
  CHECK(result.end != End::timeout);
  CHECK(Clock::now() - start >= 250ms);
  CHECK(herd.wait_for_log("Clark", "no input for 300 ms; closing"));
  expect_serving(herd.port("Clark"));
}

TEST_CASE("hostile input: a slow reader is closed at the output limit, others still served") {
  TestHerd herd(lone_server({"max_output_bytes = 65536", "max_pending_replies = 100000"}));
  herd.start_all();
  expect_serving(herd.port("Clark"));
  // A small receive window keeps the kernel from absorbing what the server sends.
  TestClient slow(herd.port("Clark"), 4096);
  std::string burst;
  constexpr int kRequests = 3000;
  for (int i = 0; i < kRequests; ++i) burst += "WHATSAT kiwi.cs.ucla.edu 50 20\n";
  (void)slow.send_until_error(burst, 10s);
  CHECK(herd.wait_for_log("Clark", "bytes waiting to be read (max_output_bytes; slow reader)",
                          1, 10s));
  expect_serving(herd.port("Clark"));
  // What the slow reader finally reads is cut short: far fewer replies than it asked for.
  const ReadResult result = slow.read_to_end(5s);
  CHECK(result.end != End::timeout);
  CHECK(count_of(result.bytes, "}\n\n") < kRequests);
}

TEST_CASE("hostile input: a client with a wrong peer secret cannot inject updates") {
  TestHerd herd(two_friends("the-real-secret"));
  herd.start("Clark");  // Bona stays down: the test plays Bona
  const std::string update = "AT Bona +0.000000001 mallory +10.0+10.0 1700000000.5 1";

  // The old cleartext greeting is refused whatever its secret, and the secret never echoed.
  TestClient old_style(herd.port("Clark"));
  old_style.send("HERD 1 Bona the-real-secret\n");
  CHECK(old_style.read_line() == "? HERD 1 Bona <secret>\n");
  old_style.send(update + "\n");
  CHECK(old_style.read_line() == "? " + update + "\n");
  CHECK(herd.wait_for_log("Clark", "in the old cleartext form (HERD 1)"));

  // A proof made with the wrong secret: refused, closed, nothing stored.
  TestClient impostor(herd.port("Clark"));
  (void)greet_as_friend(impostor, "Bona", "wrong-secret");
  CHECK(impostor.read_line() == "HERD 2 REFUSED bad-proof\n");
  CHECK(impostor.read_to_end(3s).end != End::timeout);
  CHECK(grader_request(herd.port("Clark"), "WHATSAT mallory 10 1") == "? WHATSAT mallory 10 1\n");
  CHECK(herd.wait_for_log("Clark", "greeting as Bona failed the challenge"));

  // The same update after a greeting with the right secret is accepted, so the refusal
  // above was the secret.
  TestClient friend_link(herd.port("Clark"));
  const std::string transcript = greet_as_friend(friend_link, "Bona", "the-real-secret");
  friend_link.send(update + "\n");
  const auto deadline = Clock::now() + 3s;
  std::string reply;
  do {
    reply = grader_request(herd.port("Clark"), "WHATSAT mallory 10 1");
  } while (reply.rfind("AT Bona ", 0) != 0 && Clock::now() < deadline);
  CHECK(reply.rfind("AT Bona +0.000000001 mallory +10.0+10.0 1700000000.5\n{", 0) == 0);

  // Someone who recorded that exchange cannot replay it: Clark's new nonce voids the proof.
  TestClient replayer(herd.port("Clark"));
  const std::string hello = transcript.substr(0, transcript.find('\n') + 1);
  replayer.send(hello);
  const std::string challenge = replayer.read_line();
  CHECK(challenge.rfind("HERD 2 CHALLENGE Clark ", 0) == 0);
  replayer.send(transcript.substr(hello.size()));
  CHECK(replayer.read_line() == "HERD 2 REFUSED bad-proof\n");
  CHECK(herd.wait_for_log("Clark", "greeting as Bona failed the challenge", 2));

  // Neither secret, right or wrong, reached Clark's log.
  const std::string log = herd.read_log("Clark");
  CHECK(log.find("the-real-secret") == std::string::npos);
  CHECK(log.find("wrong-secret") == std::string::npos);
}

TEST_CASE("hostile input: the peer port answers no client and takes a friend's greeting") {
  TestHerd herd(two_friends("the-real-secret"));
  herd.start("Clark");  // Bona stays down: the test plays Bona
  const auto peer_port =
      static_cast<std::uint16_t>(herd.port("Clark") + herd::live::kDefaultPeerPortOffset);

  // A client that finds the peer port is closed without an answer and stores nothing.
  TestClient client(peer_port);
  client.send(kIamat + "\n");
  const ReadResult closed = client.read_to_end(3s);
  CHECK(closed.bytes.empty());
  CHECK(closed.end != End::timeout);
  CHECK(herd.wait_for_log("Clark", "on the peer port did not start with a friend's greeting"));
  CHECK(grader_request(herd.port("Clark"), "WHATSAT kiwi.cs.ucla.edu 10 1") ==
        "? WHATSAT kiwi.cs.ucla.edu 10 1\n");

  // A friend's link there works: its update is stored.
  TestClient friend_link(peer_port);
  (void)greet_as_friend(friend_link, "Bona", "the-real-secret");
  friend_link.send("AT Bona +0.000000001 carol +10.0+10.0 1700000000.5 1\n");
  const auto deadline = Clock::now() + 3s;
  std::string reply;
  do {
    reply = grader_request(herd.port("Clark"), "WHATSAT carol 10 1");
  } while (reply.rfind("AT Bona ", 0) != 0 && Clock::now() < deadline);
  CHECK(reply.rfind("AT Bona +0.000000001 carol +10.0+10.0 1700000000.5\n{", 0) == 0);
  expect_serving(herd.port("Clark"));
}
