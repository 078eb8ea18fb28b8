// The limits that keep many, slow or silent connections from crowding out friends and
// well-behaved clients, each at its edge on a real server: friends' links beside a full
// client port, the line timeout, connections per address, all clients' unread output
// together, and the size of the log.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "test_client.hpp"
#include "test_herd.hpp"

using namespace herd::live::testing;

namespace {

const std::string kIamat = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503";

// A telnet-style client that has been answered once, so the server surely counts it. The
// start-up probe of TestHerd may still be counted for a moment: a refused attempt is retried.
TestClient served_client(std::uint16_t port) {
  const auto deadline = Clock::now() + 3s;
  for (;;) {
    try {
      TestClient client(port);
      client.send(kIamat + "\n");
      if (client.read_line().rfind("AT Clark ", 0) == 0) return client;
    } catch (const TestError&) {
      if (Clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(20ms);
  }
}

std::uint16_t peer_port_of(const TestHerd& herd, const std::string& name) {
  return static_cast<std::uint16_t>(herd.port(name) + herd::live::kDefaultPeerPortOffset);
}

}  // namespace

TEST_CASE("connection limits: a restarted friend gets its link in while clients hold every slot") {
  HerdSpec spec = two_friends();
  spec.limits = {"max_connections = 3"};
  TestHerd herd(spec);
  herd.start("Clark");
  std::vector<TestClient> held;
  for (int i = 0; i < 3; ++i) held.push_back(served_client(herd.port("Clark")));
  // The client port is full...
  TestClient refused(herd.port("Clark"));
  CHECK(refused.read_to_end(3s).bytes.empty());
  CHECK(herd.wait_for_log("Clark", "3 client connections open (max_connections)"));
  // ...and yet Bona, started now, links to Clark and its updates arrive there.
  herd.start("Bona");
  CHECK(herd.wait_for_log("Clark", "inbound link from Bona up", 1, 10s));
  CHECK(grader_request(herd.port("Bona"), "IAMAT carol +10.0+10.0 1700000000.5")
            .rfind("AT Bona ", 0) == 0);
  const auto deadline = Clock::now() + 5s;
  std::string reply;
  while (reply.rfind("AT Bona ", 0) != 0 && Clock::now() < deadline) {
    held[0].send("WHATSAT carol 10 1\n");
    reply = held[0].read_line();
    if (reply.rfind("AT Bona ", 0) == 0) {
      (void)held[0].read_until("}\n\n");
    } else {
      std::this_thread::sleep_for(50ms);
    }
  }
  CHECK(reply.rfind("AT Bona ", 0) == 0);
  for (auto& client : held) CHECK(client.still_open());
}

TEST_CASE("connection limits: silent connections on the peer port give way to a friend") {
  HerdSpec spec = two_friends();
  spec.limits = {"max_ungreeted_links = 2"};
  TestHerd herd(spec);
  herd.start("Clark");  // Bona stays down: the test plays Bona
  TestClient silent1(peer_port_of(herd, "Clark"));
  TestClient silent2(peer_port_of(herd, "Clark"));
  std::this_thread::sleep_for(100ms);  // accepted in this order
  TestClient friend_link(peer_port_of(herd, "Clark"));
  (void)greet_as_friend(friend_link, "Bona", spec.peer_secret);
  CHECK(herd.wait_for_log("Clark", "inbound link from Bona up"));
  CHECK(herd.wait_for_log("Clark", "connections there have not greeted (max_ungreeted_links)"));
  CHECK(silent1.read_to_end(3s).end != End::timeout);  // the oldest made room
  CHECK(silent2.still_open());
  CHECK(friend_link.still_open());
}

TEST_CASE("connection limits: a line trickling in a byte at a time is cut at line_timeout") {
  TestHerd herd(lone_server({"line_timeout = \"800ms\""}));
  herd.start_all();
  TestClient trickler(herd.port("Clark"));
  TestClient steady(herd.port("Clark"));
  const auto start = Clock::now();
  // The trickler never ends its line; the steady client ends each one within 300 ms.
  bool cut = false;
  for (int i = 0; i < 30 && !cut; ++i) {
    try {
      trickler.send("A");
    } catch (const TestError&) {
      cut = true;
      break;
    }
    if (i % 3 == 0 && i > 0) {
      steady.send("\n");
      CHECK(steady.read_line() == "? IAMAT\n");
    }
    if (i % 3 == 0) steady.send("IAMAT");
    std::this_thread::sleep_for(100ms);
    cut = !trickler.still_open();
  }
  CHECK(cut);
  const auto elapsed = Clock::now() - start;
  CHECK(elapsed >= 750ms);
  CHECK(elapsed < 3000ms);
  CHECK(herd.wait_for_log("Clark", "line unfinished after 800 ms (line_timeout); closing"));
  // The steady client's lines took longer in all, but each ended in time.
  steady.send("\n");
  CHECK(steady.read_line() == "? IAMAT\n");
  CHECK(steady.still_open());
}

TEST_CASE("connection limits: the connection past max_connections_per_address is refused") {
  TestHerd herd(lone_server({"max_connections_per_address = 3"}));
  herd.start_all();
  std::vector<TestClient> held;
  for (int i = 0; i < 3; ++i) held.push_back(served_client(herd.port("Clark")));
  TestClient fourth(herd.port("Clark"));
  const ReadResult result = fourth.read_to_end(3s);
  CHECK(result.bytes.empty());
  CHECK(result.end != End::timeout);
  CHECK(herd.wait_for_log(
      "Clark",
      "connection from 127.0.0.1 refused: 3 connections from that address open "
      "(max_connections_per_address)"));
  for (auto& client : held) CHECK(client.still_open());
  held.pop_back();  // one leaves: the address may connect again
  CHECK(served_client(herd.port("Clark")).still_open());
}

TEST_CASE("connection limits: clients that stop reading are closed, biggest first, past "
          "max_total_output_bytes") {
  // Each client's reading pauses at half of max_output_bytes (32 KiB) plus what one slice of
  // input produces (about 20 KiB here), so one such client stays under a total of 64 KiB and
  // three paused ones are over it.
  TestHerd herd(lone_server({"max_output_bytes = 65536", "max_total_output_bytes = 65536",
                             "max_pending_replies = 100000"}));
  herd.start_all();
  (void)served_client(herd.port("Clark"));
  std::string burst;
  for (int i = 0; i < 20000; ++i) burst += "WHATSAT kiwi.cs.ucla.edu 50 1\n";
  TestClient first(herd.port("Clark"), 4096);
  (void)first.send_until_error(burst, 3s);
  std::this_thread::sleep_for(300ms);  // it has stopped reading by now: alone it fits
  CHECK(herd.read_log("Clark").find("max_total_output_bytes") == std::string::npos);
  std::vector<TestClient> slow;
  slow.push_back(std::move(first));
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back(herd.port("Clark"), 4096);
    (void)slow.back().send_until_error(burst, 3s);
  }
  CHECK(herd.wait_for_log("Clark", "the most of any client, while all clients together had"));
  const std::string log = herd.read_log("Clark");
  CHECK(log.find("(max_total_output_bytes 65536; slow readers)") != std::string::npos);
  CHECK(log.find("(max_output_bytes; slow reader)") == std::string::npos);
  CHECK(served_client(herd.port("Clark")).still_open());
  // Closing stops once the rest fit, and one alone always fits: some are closed (their read
  // ends), at least one is still served (its read goes on until the test stops it).
  int open = 0;
  for (auto& client : slow) open += client.read_to_end(1s).end == End::timeout ? 1 : 0;
  CHECK(open >= 1);
  CHECK(open < 3);
}

TEST_CASE("connection limits: a flood of traffic rotates the log within its bound, newest kept") {
  TestHerd herd(lone_server({"log_file_bytes = 65536", "log_files = 2"}));
  herd.start_all();
  TestClient flooder(herd.port("Clark"));
  std::string flood;
  for (int i = 0; i < 5000; ++i) flood += "garbage line number " + std::to_string(i) + "\n";
  flooder.send(flood, 10s);
  (void)flooder.read_until("? garbage line number 4999\n", 10s);
  flooder.send("the last line\n");
  (void)flooder.read_line();
  CHECK(herd.wait_for_log("Clark", "conn 2 send: ? the last line"));
  const auto logs = herd.log_path("Clark").parent_path();
  std::uintmax_t total = 0;
  for (const auto& name : {"Clark.log", "Clark.1.log", "Clark.2.log"}) {
    INFO(name);
    REQUIRE(std::filesystem::exists(logs / name));
    CHECK(std::filesystem::file_size(logs / name) <= 65536);
    total += std::filesystem::file_size(logs / name);
  }
  CHECK_FALSE(std::filesystem::exists(logs / "Clark.3.log"));
  CHECK(total <= 3 * 65536);
  // The oldest lines (the start) rotated away; the newest are in Clark.log.
  CHECK(herd.read_log("Clark").find("start: Clark") == std::string::npos);
  std::ifstream newest(logs / "Clark.1.log");
  const std::string before((std::istreambuf_iterator<char>(newest)), {});
  CHECK(before.find("garbage line number") != std::string::npos);
}
