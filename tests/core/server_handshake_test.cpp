// The HERD 2 greeting between two hand-driven servers: Bona dials Clark (Bona's PeerId 0
// is Clark; Clark sees Bona's link as connection 7 on its peer port).

#include "herd/core/server.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "herd/auth/hmac_authenticator.hpp"

using namespace herd::core;
using herd::auth::HmacAuthenticator;
using herd::auth::NonceBytes;

namespace {

constexpr Nanoseconds kT0 = 1621464828'223372000LL;
constexpr ConnId kLink = 7;
const std::string kSecret = "correct-horse-7f3c";
const std::string kWrongSecret = "battery-staple-9e1d";

// Counting nonces per server: repeatable runs, and distinct nonces on every exchange.
std::shared_ptr<HmacAuthenticator> authenticator(const std::string& secret, std::uint8_t server) {
  auto counter = std::make_shared<std::uint64_t>(0);
  return std::make_shared<HmacAuthenticator>(secret, [counter, server] {
    NonceBytes bytes{};
    bytes[0] = server;
    std::uint64_t n = ++*counter;
    for (int i = 15; i > 7; --i, n >>= 8) bytes[static_cast<std::size_t>(i)] = n & 0xff;
    return bytes;
  });
}

ServerConfig config(std::string name, std::vector<std::string> friends, const std::string& secret,
                    std::uint8_t id) {
  ServerConfig config;
  config.name = std::move(name);
  config.friends = std::move(friends);
  config.peer_auth = authenticator(secret, id);
  return config;
}

struct Node {
  explicit Node(ServerConfig config) : server(std::move(config)) {}
  void drain() {
    while (auto out = server.poll_output()) {
      if (auto* s = std::get_if<SendToConn>(&*out)) {
        sent[s->conn] += s->bytes;
        wire += s->bytes;
      } else if (auto* c = std::get_if<CloseConn>(&*out)) {
        closed[c->conn] = c->reason;
      } else if (auto* p = std::get_if<SendToPeer>(&*out)) {
        to_peer[p->peer] += *p->bytes;
        wire += *p->bytes;
      } else if (auto* l = std::get_if<LogRecord>(&*out)) {
        logs += l->text + "\n";
      } else if (auto* d = std::get_if<ClosePeer>(&*out)) {
        dropped.push_back(d->peer);
      }
    }
  }
  // Everything sent since the last call, to a peer or on a connection.
  std::string take_to_peer(PeerId peer) { return std::exchange(to_peer[peer], {}); }
  std::string take_sent(ConnId conn) { return std::exchange(sent[conn], {}); }

  Server server;
  std::map<ConnId, std::string> sent;
  std::map<ConnId, CloseReason> closed;
  std::map<PeerId, std::string> to_peer;
  std::vector<PeerId> dropped;
  std::string logs;
  std::string wire;  // every byte this server sent
};

// Bona's link to Clark comes up and Clark accepts its connection on the peer port.
void connect(Node& bona, Node& clark, Nanoseconds at = kT0) {
  bona.server.handle_peer_up(Instant{at}, 0);
  bona.drain();
  clark.server.handle_conn_open(Instant{at}, kLink, Server::ConnRole::link);
  clark.drain();
}

// Hands what Bona wrote on the link to Clark, and what Clark answered back to Bona.
void exchange(Node& bona, Node& clark, Nanoseconds at = kT0) {
  clark.server.handle_conn_bytes(Instant{at}, kLink, bona.take_to_peer(0));
  clark.drain();
  bona.server.handle_peer_bytes(Instant{at}, 0, clark.take_sent(kLink));
  bona.drain();
}

void check_no_secret(const Node& node) {
  for (const auto& secret : {kSecret, kWrongSecret}) {
    CHECK(node.logs.find(secret) == std::string::npos);
    CHECK(node.wire.find(secret) == std::string::npos);
  }
}

int count_of_text(const std::string& haystack, const std::string& needle) {
  int count = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

const std::string kIamat = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503\n";

}  // namespace

TEST_CASE("server handshake: friends with the same secret link, and updates flow") {
  Node bona(config("Bona", {"Clark"}, kSecret, 1));
  Node clark(config("Clark", {"Bona"}, kSecret, 2));
  connect(bona, clark);
  CHECK_FALSE(bona.server.peer_is_up(0));  // nothing but the greeting before the proof
  const std::string hello = bona.to_peer[0];
  CHECK(hello.starts_with("HERD 2 HELLO Bona 01"));
  exchange(bona, clark);  // HELLO -> CHALLENGE -> PROOF
  CHECK(bona.server.peer_is_up(0));
  CHECK(bona.to_peer[0].starts_with("HERD 2 PROOF "));
  exchange(bona, clark);  // the PROOF reaches Clark
  CHECK(clark.closed.empty());
  CHECK(clark.server.stats().handshakes_accepted == 1);
  CHECK(clark.logs.find("inbound link from Bona up") != std::string::npos);
  CHECK(clark.server.take_greeted_friends() == std::vector<PeerId>{0});

  bona.server.handle_conn_open(Instant{kT0}, 1);
  bona.server.handle_conn_bytes(Instant{kT0}, 1, kIamat);
  bona.drain();
  exchange(bona, clark);
  CHECK(clark.server.records().find("kiwi.cs.ucla.edu") != nullptr);
  CHECK(clark.sent[kLink].empty());  // an update is not answered
  check_no_secret(bona);
  check_no_secret(clark);
}

TEST_CASE("server handshake: a dialler with another secret finds the acceptor's proof wrong") {
  Node bona(config("Bona", {"Clark"}, kWrongSecret, 1));
  Node clark(config("Clark", {"Bona"}, kSecret, 2));
  connect(bona, clark);
  exchange(bona, clark);
  CHECK_FALSE(bona.server.peer_is_up(0));
  CHECK(bona.dropped == std::vector<PeerId>{0});
  CHECK(bona.to_peer[0].empty());  // no PROOF for a server that did not prove itself
  CHECK(bona.logs.find("Clark failed the challenge") != std::string::npos);
  CHECK(bona.server.stats().handshakes_refused == 1);
  // Bona gave up before its proof: Clark sees the link close and never calls it up.
  clark.server.handle_conn_eof(Instant{kT0}, kLink);
  clark.drain();
  CHECK(clark.closed.count(kLink) == 1);
  CHECK(clark.logs.find("inbound link from Bona up") == std::string::npos);
  check_no_secret(bona);
  check_no_secret(clark);
}

TEST_CASE("server handshake: a proof made with a wrong secret is refused and closes") {
  Node clark(config("Clark", {"Bona"}, kSecret, 2));
  const auto impostor = authenticator(kWrongSecret, 9);
  clark.server.handle_conn_open(Instant{kT0}, kLink, Server::ConnRole::link);
  const std::string nonce = impostor->fresh_nonce();
  clark.server.handle_conn_bytes(Instant{kT0}, kLink, "HERD 2 HELLO Bona " + nonce + "\n");
  clark.drain();
  const std::string challenge_line = clark.take_sent(kLink);
  auto challenge = std::get<ChallengeMessage>(
      parse_handshake_line(std::string_view(challenge_line).substr(0, challenge_line.size() - 1)));
  const std::string proof = impostor->prove(handshake_transcript(
      HandshakeRole::dialer, "Bona", "Clark", nonce, challenge.nonce));
  clark.server.handle_conn_bytes(Instant{kT0}, kLink, format_proof(proof));
  clark.drain();
  CHECK(clark.take_sent(kLink) == "HERD 2 REFUSED bad-proof\n");
  REQUIRE(clark.closed.count(kLink) == 1);
  CHECK(clark.closed[kLink] == CloseReason::bad_peer);
  CHECK(clark.logs.find("greeting as Bona failed the challenge") != std::string::npos);
  CHECK(clark.server.stats().handshakes_refused == 1);
  CHECK(clark.server.take_greeted_friends().empty());
  check_no_secret(clark);
}

TEST_CASE("server handshake: a replayed exchange is refused on either side") {
  Node bona(config("Bona", {"Clark"}, kSecret, 1));
  Node clark(config("Clark", {"Bona"}, kSecret, 2));
  connect(bona, clark);
  const std::string hello = bona.to_peer[0];
  exchange(bona, clark);
  const std::string proof = bona.to_peer[0];
  const std::string challenge = clark.wire;  // everything Clark sent: its CHALLENGE
  exchange(bona, clark);
  REQUIRE(clark.server.stats().handshakes_accepted == 1);

  SECTION("Bona's HELLO and PROOF, replayed to Clark on a new connection") {
    clark.server.handle_conn_open(Instant{kT0}, 8, Server::ConnRole::link);
    clark.server.handle_conn_bytes(Instant{kT0}, 8, hello);
    clark.drain();
    const std::string fresh_challenge = clark.take_sent(8);
    CHECK(fresh_challenge.starts_with("HERD 2 CHALLENGE Clark "));
    CHECK(fresh_challenge != challenge);  // a new nonce, so the old proof is worthless
    clark.server.handle_conn_bytes(Instant{kT0}, 8, proof);
    clark.drain();
    CHECK(clark.take_sent(8) == "HERD 2 REFUSED bad-proof\n");
    CHECK(clark.closed[8] == CloseReason::bad_peer);
    CHECK(clark.server.stats().handshakes_accepted == 1);
  }
  SECTION("Clark's CHALLENGE, replayed to Bona when its link comes up again") {
    bona.server.handle_peer_down(Instant{kT0}, 0);
    bona.server.handle_peer_up(Instant{kT0}, 0);
    bona.drain();
    CHECK(bona.take_to_peer(0) != hello);
    bona.server.handle_peer_bytes(Instant{kT0}, 0, challenge);
    bona.drain();
    CHECK_FALSE(bona.server.peer_is_up(0));
    CHECK(bona.dropped == std::vector<PeerId>{0});
    CHECK(bona.to_peer[0].empty());
  }
}

TEST_CASE("server handshake: a HERD 1 greeting is refused with a plain reason, secret unseen") {
  Node clark(config("Clark", {"Bona"}, kSecret, 2));
  SECTION("on the peer port: closed without an answer") {
    clark.server.handle_conn_open(Instant{kT0}, kLink, Server::ConnRole::link);
    clark.server.handle_conn_bytes(Instant{kT0}, kLink, "HERD 1 Bona " + kSecret + "\n");
    clark.drain();
    CHECK(clark.sent[kLink].empty());
    CHECK(clark.closed[kLink] == CloseReason::bad_peer);
  }
  SECTION("on the client port: answered as an invalid line, the secret masked") {
    clark.server.handle_conn_open(Instant{kT0}, 3);
    clark.server.handle_conn_bytes(Instant{kT0}, 3, "HERD 1 Bona " + kWrongSecret + "\n");
    clark.drain();
    CHECK(clark.sent[3] == "? HERD 1 Bona <secret>\n");
  }
  CHECK(clark.logs.find("old cleartext form (HERD 1)") != std::string::npos);
  CHECK(clark.logs.find("Bona must be upgraded") != std::string::npos);
  CHECK(clark.server.stats().handshakes_refused == 1);
  check_no_secret(clark);
}

TEST_CASE("server handshake: a dialler told off by an older server says to upgrade it") {
  Node bona(config("Bona", {"Clark"}, kSecret, 1));
  bona.server.handle_peer_up(Instant{kT0}, 0);
  bona.drain();
  const std::string hello = bona.take_to_peer(0);
  // What a HERD 1 server answers on its client port: the line echoed as invalid.
  bona.server.handle_peer_bytes(Instant{kT0}, 0, "? " + hello);
  bona.drain();
  CHECK(bona.dropped == std::vector<PeerId>{0});
  CHECK(bona.logs.find("older herd that knows only the cleartext greeting") != std::string::npos);
}

TEST_CASE("server handshake: refusals name their reason to the dialler") {
  Node bona(config("Bona", {"Clark"}, kSecret, 1));
  Node clark(config("Clark", {"Jaquez"}, kSecret, 2));  // Bona is no friend of Clark's
  connect(bona, clark);
  clark.server.handle_conn_bytes(Instant{kT0}, kLink, bona.take_to_peer(0));
  clark.drain();
  CHECK(clark.sent[kLink] == "HERD 2 REFUSED not-a-friend\n");
  CHECK(clark.closed[kLink] == CloseReason::bad_peer);
  bona.server.handle_peer_bytes(Instant{kT0}, 0, clark.take_sent(kLink));
  bona.drain();
  CHECK(bona.dropped == std::vector<PeerId>{0});
  CHECK(bona.logs.find("Clark refused our greeting (not-a-friend); are we in its friend list?") !=
        std::string::npos);
}

TEST_CASE("server handshake: lines before the proof end the handshake") {
  Node bona(config("Bona", {"Clark"}, kSecret, 1));
  Node clark(config("Clark", {"Bona"}, kSecret, 2));
  connect(bona, clark);
  clark.server.handle_conn_bytes(Instant{kT0}, kLink, bona.take_to_peer(0));
  clark.server.handle_conn_bytes(
      Instant{kT0}, kLink,
      "AT Bona +0.1 kiwi +34.068930-118.445127 1621464827.959498503 1\n");
  clark.drain();
  CHECK(clark.sent[kLink].ends_with("HERD 2 REFUSED unexpected\n"));
  CHECK(clark.closed[kLink] == CloseReason::bad_peer);
  CHECK(clark.server.records().size() == 0);
}

TEST_CASE("server handshake: a link whose friend never answers is dropped at handshake_timeout") {
  ServerConfig c = config("Bona", {"Clark", "Jaquez"}, kSecret, 1);
  c.limits.handshake_timeout_ns = 3 * kNanosPerSecond;
  Node bona(std::move(c));
  bona.server.handle_peer_up(Instant{kT0}, 0);
  bona.server.handle_peer_up(Instant{kT0 + kNanosPerSecond}, 1);
  bona.drain();
  REQUIRE(bona.server.poll_timeout().has_value());
  CHECK(bona.server.poll_timeout()->ns <= kT0 + 3 * kNanosPerSecond);
  bona.server.handle_timeout(Instant{kT0 + 3 * kNanosPerSecond - 1});
  bona.drain();
  CHECK(bona.dropped.empty());
  bona.server.handle_timeout(Instant{kT0 + 3 * kNanosPerSecond});
  bona.drain();
  CHECK(bona.dropped == std::vector<PeerId>{0});
  CHECK(bona.logs.find("no answer to our greeting within handshake_timeout (3000 ms)") !=
        std::string::npos);
  bona.server.handle_timeout(Instant{kT0 + 4 * kNanosPerSecond});
  bona.drain();
  CHECK(bona.dropped == std::vector<PeerId>{0, 1});
}

TEST_CASE("server handshake: an acceptor closes a greeting not completed within "
          "handshake_timeout") {
  ServerConfig c = config("Clark", {"Bona"}, kSecret, 2);
  c.limits.handshake_timeout_ns = 3 * kNanosPerSecond;
  c.limits.idle_timeout_ns = 300 * kNanosPerSecond;
  Node bona(config("Bona", {"Clark"}, kSecret, 1));
  Node clark(std::move(c));
  connect(bona, clark);
  // Bona's HELLO arrives a second later and is answered; its PROOF never comes.
  clark.server.handle_conn_bytes(Instant{kT0 + kNanosPerSecond}, kLink, bona.take_to_peer(0));
  clark.drain();
  CHECK(clark.take_sent(kLink).starts_with("HERD 2 CHALLENGE Clark "));
  // The clock runs from the connection's open, not from the HELLO.
  REQUIRE(clark.server.poll_timeout().has_value());
  CHECK(clark.server.poll_timeout()->ns == kT0 + 3 * kNanosPerSecond);
  clark.server.handle_timeout(Instant{kT0 + 3 * kNanosPerSecond - 1});
  clark.drain();
  CHECK(clark.closed.empty());
  clark.server.handle_timeout(Instant{kT0 + 3 * kNanosPerSecond});
  clark.drain();
  CHECK(clark.closed[kLink] == CloseReason::bad_peer);
  CHECK(clark.logs.find("greeting as Bona not completed within handshake_timeout (3000 ms)") !=
        std::string::npos);
  CHECK(clark.server.stats().handshakes_refused == 1);

  // A client-port connection's clock starts with its HELLO; once greeted it is off.
  Node bona2(config("Bona", {"Clark"}, kSecret, 3));
  bona2.server.handle_peer_up(Instant{kT0}, 0);
  bona2.drain();
  constexpr ConnId kClientPort = 9;
  clark.server.handle_conn_open(Instant{kT0 + 10 * kNanosPerSecond}, kClientPort);
  clark.server.handle_conn_bytes(Instant{kT0 + 11 * kNanosPerSecond}, kClientPort,
                                 bona2.take_to_peer(0));
  clark.drain();
  bona2.server.handle_peer_bytes(Instant{kT0 + 11 * kNanosPerSecond}, 0,
                                 clark.take_sent(kClientPort));
  bona2.drain();
  REQUIRE(clark.server.poll_timeout().has_value());
  CHECK(clark.server.poll_timeout()->ns == kT0 + 14 * kNanosPerSecond);
  clark.server.handle_conn_bytes(Instant{kT0 + 12 * kNanosPerSecond}, kClientPort,
                                 bona2.take_to_peer(0));
  clark.drain();
  clark.server.handle_timeout(Instant{kT0 + 20 * kNanosPerSecond});
  clark.drain();
  CHECK(clark.closed.count(kClientPort) == 0);
  CHECK(clark.server.stats().handshakes_accepted == 1);
}

TEST_CASE("server handshake: a friend that greets again replaces its older inbound link") {
  Node clark(config("Clark", {"Bona"}, kSecret, 2));
  std::vector<std::unique_ptr<Node>> bonas;
  for (ConnId conn = 1; conn <= 4; ++conn) {
    bonas.push_back(std::make_unique<Node>(config("Bona", {"Clark"}, kSecret,
                                                  static_cast<std::uint8_t>(10 + conn))));
    Node& bona = *bonas.back();
    const Nanoseconds at = kT0 + static_cast<Nanoseconds>(conn) * 100 * kNanosPerMilli;
    bona.server.handle_peer_up(Instant{at}, 0);
    bona.drain();
    clark.server.handle_conn_open(Instant{at}, conn, Server::ConnRole::link);
    clark.server.handle_conn_bytes(Instant{at}, conn, bona.take_to_peer(0));
    clark.drain();
    bona.server.handle_peer_bytes(Instant{at}, 0, clark.take_sent(conn));
    bona.drain();
    clark.server.handle_conn_bytes(Instant{at}, conn, bona.take_to_peer(0));
    clark.drain();
    // Each greeting closes the one before it, and only that one.
    CHECK(clark.closed.size() == conn - 1);
    if (conn > 1) CHECK(clark.closed[conn - 1] == CloseReason::too_many_connections);
    CHECK(clark.closed.count(conn) == 0);
  }
  CHECK(clark.server.stats().inbound_links_replaced == 3);
  // All within one second: the first replacement is logged, the others are not.
  CHECK(count_of_text(clark.logs, "(one inbound link per friend, the newest kept)") == 1);
  // The newest link carries updates.
  clark.server.handle_conn_bytes(Instant{kT0 + kNanosPerSecond}, 4,
                                 "AT Bona +0.100000000 kiwi +34.068930-118.445127 "
                                 "1621464827.959498503 1\n");
  clark.drain();
  CHECK(clark.server.records().size() == 1);
  // A later replacement, over a second on, is logged with the count it skipped.
  clark.server.handle_conn_closed(Instant{kT0 + 2 * kNanosPerSecond}, 1);
  Node late(config("Bona", {"Clark"}, kSecret, 30));
  late.server.handle_peer_up(Instant{kT0 + 2 * kNanosPerSecond}, 0);
  late.drain();
  clark.server.handle_conn_open(Instant{kT0 + 2 * kNanosPerSecond}, 5, Server::ConnRole::link);
  clark.server.handle_conn_bytes(Instant{kT0 + 2 * kNanosPerSecond}, 5, late.take_to_peer(0));
  clark.drain();
  late.server.handle_peer_bytes(Instant{kT0 + 2 * kNanosPerSecond}, 0, clark.take_sent(5));
  late.drain();
  clark.server.handle_conn_bytes(Instant{kT0 + 2 * kNanosPerSecond}, 5, late.take_to_peer(0));
  clark.drain();
  CHECK(clark.closed[4] == CloseReason::too_many_connections);
  CHECK(count_of_text(clark.logs, "(one inbound link per friend, the newest kept)") == 2);
  CHECK(clark.logs.find("2 more replaced since the last such line") != std::string::npos);
}
