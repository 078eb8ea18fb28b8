// A herd of real herd-server processes on loopback: propagation, both client styles, reply
// order, a crashed and restarted server, clean shutdown, start-up errors and friends that
// fail each other's greeting.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "test_client.hpp"
#include "test_herd.hpp"

using namespace herd::live::testing;

namespace {

const std::string kWinter2023 = std::string(HERD_SOURCE_DIR) + "/scenarios/herds/winter2023.toml";
const std::string kUcla = "+34.068930-118.445127";

// A client timestamp near now, as graders send it (seconds with a fraction).
std::string client_time(int offset_ms = 0) {
  const auto now = std::chrono::system_clock::now().time_since_epoch() +
                   std::chrono::milliseconds(offset_ms);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  std::string fraction = std::to_string(ns % 1'000'000'000);
  return std::to_string(ns / 1'000'000'000) + "." + std::string(9 - fraction.size(), '0') + fraction;
}

// The AT line a server replied to an IAMAT, checked to echo the operands byte for byte.
std::string expect_at_reply(const std::string& reply, const std::string& server,
                            const std::string& operands) {
  INFO(reply);
  REQUIRE(reply.rfind("AT " + server + " ", 0) == 0);
  REQUIRE(reply.size() > operands.size() + 1);
  REQUIRE(reply.substr(reply.size() - operands.size() - 1) == operands + "\n");
  return reply.substr(0, reply.size() - 1);
}

// Checks a WHATSAT reply: the AT line, legacy-shape JSON with at most `bound` results, and
// the blank line that ends it.
void expect_whatsat_reply(const std::string& reply, const std::string& at_line, int bound) {
  INFO(reply);
  REQUIRE(reply.rfind(at_line + "\n{", 0) == 0);
  REQUIRE(reply.size() >= 3);
  CHECK(reply.substr(reply.size() - 3) == "}\n\n");
  const std::string json_text = reply.substr(at_line.size() + 1, reply.size() - at_line.size() - 3);
  CHECK(json_text.find("\n\n") == std::string::npos);
  const boost::json::object json = boost::json::parse(json_text).as_object();
  CHECK(json.at("html_attributions").is_array());
  CHECK(json.at("results").as_array().size() <= static_cast<std::size_t>(bound));
  CHECK(json.at("status").as_string() == "OK");
}

// Asks `port` for the client until its AT line is `at_line` or the deadline passes.
std::string poll_whatsat(std::uint16_t port, const std::string& client, const std::string& at_line,
                         Clock::duration timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  std::string reply;
  while (Clock::now() < deadline) {
    reply = grader_request(port, "WHATSAT " + client + " 10 5");
    if (reply.rfind(at_line + "\n", 0) == 0) break;
    std::this_thread::sleep_for(20ms);
  }
  return reply;
}

}  // namespace

TEST_CASE("herd: an IAMAT at one server reaches every other server (Winter 2023)") {
  TestHerd herd(spec_from_config(kWinter2023));
  herd.start_all();
  herd.wait_for_links();

  const std::string operands = "kiwi.cs.ucla.edu " + kUcla + " " + client_time();
  const std::string at_line =
      expect_at_reply(grader_request(herd.port("Clark"), "IAMAT " + operands), "Clark", operands);
  for (const std::string name : {"Bailey", "Bona", "Campbell", "Jaquez", "Clark"}) {
    INFO("asking " << name);
    const std::string reply = poll_whatsat(herd.port(name), "kiwi.cs.ucla.edu", at_line);
    expect_whatsat_reply(reply, at_line, 5);
  }
  // The flood reached Bailey, two hops away, over a friend (its log shows the peer line).
  CHECK(herd.wait_for_log("Bailey", at_line + " 2", 1, 3s));
}

TEST_CASE("server: grader and telnet clients get replies in command order") {
  TestHerd herd(lone_server());
  herd.start_all();

  SECTION("grader style: one command without newline, half-close, read to EOF") {
    const std::string operands = "kiwi.cs.ucla.edu " + kUcla + " 1621464827.959498503";
    const std::string reply = grader_request(herd.port("Clark"), "IAMAT " + operands);
    const std::string at_line = expect_at_reply(reply, "Clark", operands);
    // The difference is server time minus client time (2021 is long past): explicit sign,
    // 9 decimals.
    CHECK(std::regex_match(at_line, std::regex(R"(AT Clark \+[0-9]+\.[0-9]{9} kiwi\.cs.*)")));
    expect_whatsat_reply(grader_request(herd.port("Clark"), "WHATSAT kiwi.cs.ucla.edu 10 5"),
                         at_line, 5);
    CHECK(grader_request(herd.port("Clark"), "WHATSAT kiwi.cs.ucla.edu 51 5") ==
          "? WHATSAT kiwi.cs.ucla.edu 51 5\n");
  }

  SECTION("telnet style: each line answered before the next is sent") {
    TestClient client(herd.port("Clark"));
    const std::string operands = "apple " + kUcla + " " + client_time();
    client.send("IAMAT " + operands + "\n");
    const std::string at_line = expect_at_reply(client.read_line(), "Clark", operands);
    client.send("WHATSAT apple 10 3\n");
    expect_whatsat_reply(client.read_until("\n\n"), at_line, 3);
    client.send("  WHATSAT \t apple 5 1  \r\n");
    expect_whatsat_reply(client.read_until("\n\n"), at_line, 1);
    client.send("HELLO there\n");
    CHECK(client.read_line() == "? HELLO there\n");
    CHECK(client.still_open());
  }

  SECTION("pipelined: WHATSAT replies keep their place among IAMAT replies") {
    TestClient client(herd.port("Clark"));
    const std::string a = "a " + kUcla + " " + client_time();
    client.send("IAMAT " + a + "\n");
    const std::string at_a = expect_at_reply(client.read_line(), "Clark", a);

    const std::string b = "b +37.551379+126.993287 " + client_time(1);
    const std::string c = "c -33.8688+151.2093 " + client_time(2);
    client.send("IAMAT " + b + "\nWHATSAT a 10 2\nIAMAT " + c +
                "\nWHATSAT b 10 1\nWHATSAT nobody 10 1\nWHATSAT c 50 20\n");
    const std::string at_b = expect_at_reply(client.read_line(), "Clark", b);
    expect_whatsat_reply(client.read_until("\n\n"), at_a, 2);
    const std::string at_c = expect_at_reply(client.read_line(), "Clark", c);
    expect_whatsat_reply(client.read_until("\n\n"), at_b, 1);
    CHECK(client.read_line() == "? WHATSAT nobody 10 1\n");
    expect_whatsat_reply(client.read_until("\n\n"), at_c, 20);
    // Half-close: the server answers what is left and closes.
    client.send("WHATSAT a 10 1");
    client.shutdown_write();
    const ReadResult rest = client.read_to_end(3s);
    CHECK(rest.end == End::eof);
    expect_whatsat_reply(rest.bytes, at_a, 1);
  }
}

TEST_CASE("server: a pipelining client that reads along gets every reply, in order") {
  TestHerd herd(lone_server());
  herd.start_all();
  // 1,500 IAMAT/WHATSAT pairs asking for 20 places each: about 10 MB of replies, far more
  // than max_output_bytes (1 MiB), so the server has to slow this client down, not close it.
  constexpr int kPairs = 1500;
  const std::string time = client_time();
  std::string burst;
  for (int i = 0; i < kPairs; ++i) {
    burst += "IAMAT c" + std::to_string(i) + " " + kUcla + " " + time +
             "\nWHATSAT c0 50 20\n";
  }
  TestClient client(herd.port("Clark"));
  std::thread writer([&] {
    (void)client.send_until_error(burst, 20s);
    client.shutdown_write();
  });
  const ReadResult result = client.read_to_end(30s);
  writer.join();
  CHECK(result.end == End::eof);
  CHECK(count_of(result.bytes, "}\n\n") == kPairs);
  // Each IAMAT reply comes right after the previous pair's WHATSAT reply.
  std::size_t at = 0;
  for (int i = 0; i < kPairs; ++i) {
    const std::string expected = "AT Clark ";
    REQUIRE(result.bytes.compare(at, expected.size(), expected) == 0);
    const std::size_t line_end = result.bytes.find('\n', at);
    REQUIRE(line_end != std::string::npos);
    const std::string line = result.bytes.substr(at, line_end - at);
    INFO(line);
    REQUIRE(line.find(" c" + std::to_string(i) + " ") != std::string::npos);
    const std::size_t reply_end = result.bytes.find("}\n\n", line_end);
    REQUIRE(reply_end != std::string::npos);
    REQUIRE(result.bytes.compare(line_end + 1, 9, "AT Clark ") == 0);
    at = reply_end + 3;
  }
  CHECK(at == result.bytes.size());
  CHECK(count_of(herd.read_log("Clark"), "slow reader") == 0);
}

TEST_CASE("herd: a killed server leaves the rest serving and rejoins when restarted") {
  TestHerd herd(spec_from_config(kWinter2023));
  herd.start_all();
  herd.wait_for_links();

  herd.signal("Campbell", SIGKILL);
  for (const std::string neighbour : {"Bailey", "Bona", "Jaquez"}) {
    INFO(neighbour);
    CHECK(herd.wait_for_log(neighbour, "link to Campbell down"));
  }
  // Jaquez's other friend is Clark, so the update still goes round: Clark, Bona, Bailey.
  const std::string operands = "walker " + kUcla + " " + client_time();
  const std::string at_line =
      expect_at_reply(grader_request(herd.port("Jaquez"), "IAMAT " + operands), "Jaquez", operands);
  for (const std::string name : {"Clark", "Bona", "Bailey"}) {
    INFO("asking " << name);
    expect_whatsat_reply(poll_whatsat(herd.port(name), "walker", at_line), at_line, 5);
  }

  herd.start("Campbell");
  // Every neighbour dials Campbell again (its second "up") and Campbell dials them.
  for (const std::string neighbour : {"Bailey", "Bona", "Jaquez"}) {
    INFO(neighbour);
    CHECK(herd.wait_for_log(neighbour, "link to Campbell up", 2, 8s));
    CHECK(herd.wait_for_log("Campbell", "link to " + neighbour + " up", 1, 8s));
  }
  // An update at Bailey now reaches the restarted server.
  const std::string later = "walker +34.0+118.0 " + client_time(5);
  const std::string later_line =
      expect_at_reply(grader_request(herd.port("Bailey"), "IAMAT " + later), "Bailey", later);
  for (const std::string name : {"Campbell", "Clark", "Jaquez"}) {
    INFO("asking " << name);
    expect_whatsat_reply(poll_whatsat(herd.port(name), "walker", later_line), later_line, 5);
  }
}

TEST_CASE("herd: a server killed with SIGKILL gets what it missed by anti-entropy on return") {
  // Anti-entropy is on by default; a short period bounds the wait even if the exchange on
  // reconnection were lost. Turning it off shows what flooding alone does: nothing.
  const bool anti_entropy = GENERATE(true, false);
  INFO("anti_entropy = " << anti_entropy);
  HerdSpec spec = spec_from_config(kWinter2023);
  spec.strategy = {"anti_entropy = " + std::string(anti_entropy ? "true" : "false"),
                   "anti_entropy_period = \"300ms\""};
  TestHerd herd(spec);
  herd.start_all();
  herd.wait_for_links();

  herd.signal("Campbell", SIGKILL);
  for (const std::string neighbour : {"Bailey", "Bona", "Jaquez"}) {
    CHECK(herd.wait_for_log(neighbour, "link to Campbell down"));
  }
  // Two clients report while Campbell is down, at servers on either side of it.
  std::vector<std::pair<std::string, std::string>> missed;
  int offset_ms = 0;
  for (const std::string origin : {"Clark", "Bailey"}) {
    const std::string operands = "missed-at-" + origin + " " + kUcla + " " + client_time(offset_ms++);
    missed.emplace_back("missed-at-" + origin,
                        expect_at_reply(grader_request(herd.port(origin), "IAMAT " + operands),
                                        origin, operands));
  }
  const auto restarted = Clock::now();
  herd.start("Campbell");
  for (const auto& [client, at_line] : missed) {
    INFO(client);
    const std::string reply = poll_whatsat(herd.port("Campbell"), client, at_line, 4s);
    if (anti_entropy) {
      expect_whatsat_reply(reply, at_line, 5);
    } else {
      CHECK(reply == "? WHATSAT " + client + " 10 5\n");
    }
  }
  if (anti_entropy) {
    const auto recovered_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted).count();
    WARN("Campbell held both missed updates " << recovered_ms << " ms after its restart began");
    CHECK(recovered_ms < 4000);
  }
}

TEST_CASE("herd: clients see the same protocol under every propagation strategy") {
  const std::string strategy = GENERATE(as<std::string>{}, "gossip", "rumor", "plumtree");
  INFO("strategy = " << strategy);
  HerdSpec spec = spec_from_config(kWinter2023);
  spec.strategy = {"period = \"50ms\"", "anti_entropy_period = \"300ms\""};
  TestHerd herd(spec);
  // The strategy is chosen in [herd]; write it there by rewriting the generated config.
  {
    std::ifstream in(herd.config_path());
    std::stringstream text;
    text << in.rdbuf();
    std::string toml = text.str();
    toml.replace(toml.find("[herd]\n"), 7, "[herd]\nstrategy = \"" + strategy + "\"\n");
    std::ofstream(herd.config_path()) << toml;
  }
  herd.start_all();
  herd.wait_for_links();
  CHECK(herd.read_log("Clark").find("strategy " + strategy + "+anti-entropy") != std::string::npos);
  for (int i = 0; i < 3; ++i) {
    const std::string operands = "walker" + std::to_string(i) + " " + kUcla + " " + client_time(i);
    const std::string at_line =
        expect_at_reply(grader_request(herd.port("Clark"), "IAMAT " + operands), "Clark", operands);
    for (const std::string name : {"Bailey", "Bona", "Campbell", "Jaquez"}) {
      INFO("asking " << name);
      expect_whatsat_reply(poll_whatsat(herd.port(name), "walker" + std::to_string(i), at_line),
                           at_line, 5);
    }
  }
  // Strategy lines never reach clients: a telnet client sees only AT replies.
  TestClient client(herd.port("Bona"));
  client.send("IAMAT t " + kUcla + " " + client_time(9) + "\n");
  CHECK(client.read_line().rfind("AT Bona ", 0) == 0);
}

TEST_CASE("server: SIGTERM stops it cleanly with exit code 0 and a logged stop") {
  TestHerd herd(two_friends());
  herd.start_all();
  herd.wait_for_links();
  TestClient idle(herd.port("Clark"));
  (void)grader_request(herd.port("Clark"), "IAMAT x " + kUcla + " " + client_time());

  const auto status = herd.terminate("Clark");
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  const std::string log = herd.read_log("Clark");
  CHECK(log.find("start: Clark listening on 127.0.0.1:") != std::string::npos);
  CHECK(log.find("stop: Clark") != std::string::npos);
  CHECK(log.find(" recv: IAMAT x ") != std::string::npos);
  // The connection still open at the stop was closed, not left hanging.
  CHECK(idle.read_to_end(2s).end != End::timeout);
  // Its friend noticed the drop and keeps serving.
  CHECK(herd.wait_for_log("Bona", "link to Clark down"));
  CHECK(grader_request(herd.port("Bona"), "WHATSAT x 10 1").rfind("AT Clark ", 0) == 0);
}

TEST_CASE("herd-server: --log-dir moves the log and --quiet-traffic keeps lines out of it") {
  TestHerd herd(lone_server());
  const auto elsewhere = herd.dir() / "elsewhere";
  herd.start("Clark", {"--log-dir", elsewhere.string(), "--quiet-traffic"});
  const std::string reply = grader_request(herd.port("Clark"), "IAMAT quiet " + kUcla + " " + client_time());
  CHECK(reply.rfind("AT Clark ", 0) == 0);
  const auto status = herd.terminate("Clark");
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK_FALSE(std::filesystem::exists(herd.log_path("Clark")));
  std::ifstream in(elsewhere / "Clark.log");
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(log.find("start: Clark") != std::string::npos);
  CHECK(log.find("stop: Clark") != std::string::npos);
  CHECK(log.find("IAMAT quiet") == std::string::npos);
}

TEST_CASE("herd-server: a port in use or a bad configuration exits non-zero with the reason") {
  TestHerd herd(lone_server());
  SECTION("port in use") {
    // Occupy Clark's port first.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(herd.port("Clark"));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    ChildProcess server({HERD_SERVER_BIN, "--config", herd.config_path().string(), "--name", "Clark"},
                        herd.output_path("Clark"));
    const auto status = server.wait(5s);
    ::close(fd);
    REQUIRE(status.has_value());
    CHECK(*status == 1);
    CHECK_THAT(herd.read_output("Clark"),
               Catch::Contains("Clark: cannot listen on 127.0.0.1:" +
                               std::to_string(herd.port("Clark")) + ": Address already in use"));
  }
  SECTION("unknown server name") {
    ChildProcess server({HERD_SERVER_BIN, "--config", herd.config_path().string(), "--name", "Clarke"},
                        herd.output_path("x"));
    const auto status = server.wait(5s);
    REQUIRE(status.has_value());
    CHECK(*status == 1);
    CHECK_THAT(herd.read_output("x"), Catch::Contains("no server named Clarke; servers are: Clark"));
  }
  SECTION("configuration error") {
    const auto bad = herd.dir() / "bad.toml";
    std::ofstream(bad) << "[herd]\npeer_secret = \"s\"\nfriends = [[\"Clark\", \"Nobody\"]]\n"
                          "[[servers]]\nname = \"Clark\"\nhost = \"127.0.0.1\"\nport = 1\n";
    ChildProcess server({HERD_SERVER_BIN, "--config", bad.string(), "--all"}, herd.output_path("y"));
    const auto status = server.wait(5s);
    REQUIRE(status.has_value());
    CHECK(*status == 1);
    CHECK_THAT(herd.read_output("y"),
               Catch::Contains(bad.string() + ":3:22: herd.friends: unknown server \"Nobody\""));
  }
}

// --- what the course graders do (the issue "A live server that holds up") ------------------

TEST_CASE("herd: stopping a server the graders' way (lsof -ti:PORT | xargs kill) stops it alone") {
  // lsof -ti:PORT lists every process with a socket whose local or remote port is PORT. A
  // friend's link must therefore never end at a server's client port.
  REQUIRE(std::system("command -v lsof >/dev/null 2>&1") == 0);
  TestHerd herd(spec_from_config(kWinter2023));
  herd.start_all();
  herd.wait_for_links();

  const std::string command =
      "lsof -ti:" + std::to_string(herd.port("Bona")) + " | xargs kill";
  REQUIRE(std::system(("/bin/sh -c '" + command + "' >/dev/null 2>&1").c_str()) == 0);
  CHECK(herd.wait_exit("Bona", 5s));
  std::this_thread::sleep_for(300ms);  // time for any wrongly killed friend to go too
  for (const std::string name : {"Bailey", "Campbell", "Clark", "Jaquez"}) {
    INFO(name << " must survive the stop of Bona");
    CHECK(herd.running(name));
  }
  // The rest still answer and flood: Clark -> Jaquez -> Campbell -> Bailey, round Bona.
  const std::string operands = "after-lsof " + kUcla + " " + client_time();
  const std::string at_line =
      expect_at_reply(grader_request(herd.port("Clark"), "IAMAT " + operands), "Clark", operands);
  for (const std::string name : {"Jaquez", "Campbell", "Bailey"}) {
    INFO("asking " << name);
    expect_whatsat_reply(poll_whatsat(herd.port(name), "after-lsof", at_line), at_line, 5);
  }
}

TEST_CASE("herd: a friend that comes back is dialled at once and not after the redial backoff") {
  TestHerd herd(two_friends());
  herd.start_all();
  herd.wait_for_links();

  herd.signal("Bona", SIGKILL);
  REQUIRE(herd.wait_for_log("Clark", "link to Bona down"));
  // Long enough for Clark's redial backoff to reach its cap (each wait 1 to 2 s).
  std::this_thread::sleep_for(3500ms);
  herd.start("Bona");
  // Bona's greeting reaches Clark right after Bona's link to Clark is up.
  REQUIRE(herd.wait_for_log("Bona", "link to Clark up", 1, 5s));
  const auto greeted = Clock::now();
  const std::string operands = "back-again " + kUcla + " " + client_time();
  const std::string at_line =
      expect_at_reply(grader_request(herd.port("Clark"), "IAMAT " + operands), "Clark", operands);
  const std::string reply = poll_whatsat(herd.port("Bona"), "back-again", at_line, 3s);
  const auto waited_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - greeted).count();
  expect_whatsat_reply(reply, at_line, 5);
  INFO("Bona held the update " << waited_ms << " ms after it greeted Clark");
  CHECK(waited_ms < 500);
}

TEST_CASE("herd: an IAMAT at max_line_bytes still floods and the link carries on") {
  const bool anti_entropy = GENERATE(true, false);
  INFO("anti_entropy = " << anti_entropy);
  constexpr std::size_t kMaxLine = 512;
  HerdSpec spec = two_friends();
  spec.limits = {"max_line_bytes = " + std::to_string(kMaxLine)};
  spec.strategy = {"anti_entropy = " + std::string(anti_entropy ? "true" : "false"),
                   "anti_entropy_period = \"300ms\""};
  TestHerd herd(spec);
  herd.start_all();
  herd.wait_for_links();

  // The longest line a client may send: its AT line, and the peer lines built from it, are
  // longer still.
  const std::string tail = " " + kUcla + " " + client_time();
  const std::string client(kMaxLine - std::string("IAMAT ").size() - tail.size(), 'x');
  const std::string operands = client + tail;
  REQUIRE(("IAMAT " + operands).size() == kMaxLine);
  TestClient telnet(herd.port("Clark"));
  telnet.send("IAMAT " + operands + "\n");
  const std::string long_line = expect_at_reply(telnet.read_line(), "Clark", operands);
  telnet.close();

  std::vector<std::pair<std::string, std::string>> ordinary;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "ordinary-" + std::to_string(i);
    const std::string ops = name + " " + kUcla + " " + client_time(i);
    ordinary.emplace_back(name, expect_at_reply(grader_request(herd.port("Clark"), "IAMAT " + ops),
                                                "Clark", ops));
    std::this_thread::sleep_for(10ms);
  }
  for (const auto& [name, at_line] : ordinary) {
    INFO("asking Bona for " << name);
    expect_whatsat_reply(poll_whatsat(herd.port("Bona"), name, at_line, 3s), at_line, 5);
  }
  expect_whatsat_reply(poll_whatsat(herd.port("Bona"), client, long_line, 3s), long_line, 5);
  // The link never dropped: one "up" in the whole run, no redial loop.
  std::this_thread::sleep_for(700ms);
  CHECK(count_of(herd.read_log("Clark"), "link to Bona up") == 1);
  CHECK(count_of(herd.read_log("Bona"), "inbound link from Clark up") == 1);
}

TEST_CASE("herd: friends with different peer secrets never link, and no log holds a secret") {
  TestHerd herd(two_friends("clark-side-secret"));
  herd.start("Clark");
  // Bona runs the same herd but with another secret: its own copy of the configuration.
  std::ifstream in(herd.config_path());
  std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string needle = "\"clark-side-secret\"";
  REQUIRE(config.find(needle) != std::string::npos);
  config.replace(config.find(needle), needle.size(), "\"bona-side-secret\"");
  const auto bona_config = herd.dir() / "bona.toml";
  std::ofstream(bona_config) << config;
  ChildProcess bona({HERD_SERVER_BIN, "--config", bona_config.string(), "--name", "Bona"},
                    herd.output_path("Bona"));

  // Each side's outbound link finds the other's proof wrong and drops.
  CHECK(herd.wait_for_log("Clark", "link to Bona: Bona failed the challenge", 1, 10s));
  CHECK(herd.wait_for_log("Bona", "link to Clark: Clark failed the challenge", 1, 10s));
  const std::string operands = "unlinked " + kUcla + " " + client_time();
  (void)expect_at_reply(grader_request(herd.port("Clark"), "IAMAT " + operands), "Clark", operands);
  std::this_thread::sleep_for(500ms);
  CHECK(grader_request(herd.port("Bona"), "WHATSAT unlinked 10 5") == "? WHATSAT unlinked 10 5\n");

  for (const std::string name : {"Clark", "Bona"}) {
    const std::string log = herd.read_log(name);
    INFO(name << "'s log:\n" << log);
    CHECK(log.find("link to Bona up") == std::string::npos);
    CHECK(log.find("link to Clark up") == std::string::npos);
    CHECK(log.find("clark-side-secret") == std::string::npos);
    CHECK(log.find("bona-side-secret") == std::string::npos);
  }
}
