#include "herd/core/server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include <map>
#include <string>
#include <vector>

using namespace herd::core;

namespace {

constexpr Nanoseconds kT0 = 1621464828'223372000LL;  // a plausible "now"
// The receive time of the example in docs/protocol.md#iamat:
// 1621464827.959498503 + 0.263873386.
constexpr Nanoseconds kRecv = 1621464828'223371889LL;

// Drives one Server by hand and sorts its outputs by kind, as a runtime would.
struct Harness {
  explicit Harness(ServerConfig config) : server(std::move(config)) {}

  void drain() {
    while (auto out = server.poll_output()) {
      if (auto* s = std::get_if<SendToConn>(&*out)) {
        sent[s->conn] += s->bytes;
      } else if (auto* c = std::get_if<CloseConn>(&*out)) {
        closed[c->conn] = c->reason;
      } else if (auto* p = std::get_if<SendToPeer>(&*out)) {
        to_peer[p->peer].emplace_back(*p->bytes);
      } else if (auto* q = std::get_if<QueryPlaces>(&*out)) {
        queries.push_back(*q);
      } else if (auto* l = std::get_if<LogRecord>(&*out)) {
        logs.push_back(l->text);
      } else if (auto* o = std::get_if<Observation>(&*out)) {
        observations.push_back(*o);
      }
    }
  }
  void open(ConnId conn, Nanoseconds at = kT0) {
    server.handle_conn_open(Instant{at}, conn);
    drain();
  }
  void feed(ConnId conn, std::string_view bytes, Nanoseconds at = kT0) {
    server.handle_conn_bytes(Instant{at}, conn, bytes);
    drain();
  }
  void eof(ConnId conn, Nanoseconds at = kT0) {
    server.handle_conn_eof(Instant{at}, conn);
    drain();
  }
  void answer(const QueryPlaces& q, std::string json, Nanoseconds at = kT0) {
    server.handle_places_result(Instant{at}, q.request, PlacesResult{std::move(json)});
    drain();
  }
  bool logged(std::string_view needle) const {
    for (const auto& l : logs) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  Server server;
  std::map<ConnId, std::string> sent;
  std::map<ConnId, CloseReason> closed;
  std::map<PeerId, std::vector<std::string>> to_peer;
  std::vector<QueryPlaces> queries;
  std::vector<std::string> logs;
  std::vector<Observation> observations;
};

ServerConfig clark() {
  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona", "Jaquez"};
  config.peer_secret = "s3cret";
  config.emit_observations = true;
  return config;
}

const std::string kIamat = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503";
const std::string kAt =
    "AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503";

}  // namespace

TEST_CASE("server: IAMAT gets the AT line of docs/protocol.md byte for byte") {
  Harness h(clark());
  h.open(1);
  h.feed(1, kIamat + "\n", 1621464828'223372000LL + 386);
  // receive 1621464828.223372386 - sent 1621464827.959498503 = 0.263873883
  CHECK(h.sent[1] ==
        "AT Clark +0.263873883 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503\n");
  CHECK(h.server.stats().updates_accepted == 1);
}

TEST_CASE("server: a client ahead of the server's clock gets a negative difference") {
  Harness h(clark());
  h.open(1);
  h.feed(1, "IAMAT kiwi +34-118 1621464828.223492\n", kT0);
  CHECK(h.sent[1] == "AT Clark -0.000120000 kiwi +34-118 1621464828.223492\n");
}

TEST_CASE("server: invalid lines are echoed after '? ' without their terminator") {
  Harness h(clark());
  h.open(1);
  h.feed(1, "IAMAT Clark +12-118\r\n");
  h.feed(1, "WHATSAT nobody.knows 10 5\n");
  h.feed(1, "  \n");
  using namespace std::string_literals;
  h.feed(1, "bin\0ary\xff\n"s);
  CHECK(h.sent[1] ==
        "? IAMAT Clark +12-118\n? WHATSAT nobody.knows 10 5\n?   \n? bin\0ary\xff\n"s);
  CHECK(h.server.stats().invalid_lines == 4);
  CHECK(h.logged("bin\\x00ary"));
}

TEST_CASE("server: WHATSAT answers with the stored AT line and the places JSON") {
  Harness h(clark());
  h.open(1);
  h.feed(1, kIamat + "\n", kRecv);
  h.sent.clear();
  h.feed(1, "WHATSAT kiwi.cs.ucla.edu 10 5\n");
  REQUIRE(h.queries.size() == 1);
  CHECK(h.queries[0].radius_m == Approx(10'000));
  CHECK(h.queries[0].limit == 5);
  CHECK(h.queries[0].lat_deg == Approx(34.068930));
  CHECK(h.sent[1].empty());
  h.answer(h.queries[0], "{\n   \"results\" : [],\n\n\n   \"status\" : \"ZERO_RESULTS\"\n}\n\n");
  CHECK(h.sent[1] == kAt + "\n{\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}\n\n");
}

TEST_CASE("server: replies keep command order while a WHATSAT waits for places") {
  Harness h(clark());
  h.open(1);
  h.feed(1, kIamat + "\n", kRecv);
  h.sent.clear();
  h.feed(1, "WHATSAT kiwi.cs.ucla.edu 10 5\nWHATSAT kiwi.cs.ucla.edu 1 1\nIAMAT x +1+1 1\nbad\n");
  REQUIRE(h.queries.size() == 2);
  CHECK(h.sent[1].empty());
  h.answer(h.queries[1], "{\"second\":1}");
  CHECK(h.sent[1].empty());
  h.answer(h.queries[0], "{\"first\":1}");
  const std::string expected = kAt + "\n{\"first\":1}\n\n" + kAt + "\n{\"second\":1}\n\n" +
                               "AT Clark +1621464827.223372000 x +1+1 1\n? bad\n";
  CHECK(h.sent[1] == expected);
}

TEST_CASE("server: a grader's unterminated line is answered at EOF then closed") {
  Harness h(clark());
  h.open(7);
  h.feed(7, "IAMAT kiwi +34-118 1621464827");
  CHECK(h.sent[7].empty());
  h.eof(7);
  CHECK(h.sent[7] == "AT Clark +1.223372000 kiwi +34-118 1621464827\n");
  REQUIRE(h.closed.count(7));
  CHECK(h.closed[7] == CloseReason::finished);
}

TEST_CASE("server: close at EOF waits for a pending places answer") {
  Harness h(clark());
  h.open(1);
  h.feed(1, kIamat + "\n");
  h.feed(1, "WHATSAT kiwi.cs.ucla.edu 10 5");
  h.eof(1);
  CHECK_FALSE(h.closed.count(1));
  REQUIRE(h.queries.size() == 1);
  h.answer(h.queries[0], "{}");
  CHECK(h.closed.count(1));
  CHECK(h.sent[1].size() > kAt.size());
}

TEST_CASE("server: an accepted IAMAT floods to every friend that is up") {
  Harness h(clark());
  h.server.handle_peer_up(Instant{kT0}, 0);
  h.server.handle_peer_up(Instant{kT0}, 1);
  h.drain();
  CHECK(h.to_peer[0] == std::vector<std::string>{"HERD 1 Clark s3cret\n"});
  h.open(1);
  h.feed(1, kIamat + "\n", kRecv);
  CHECK(h.to_peer[0].back() == kAt + " 1\n");
  CHECK(h.to_peer[1].back() == kAt + " 1\n");
  // An IAMAT older than the record is answered, but neither stored nor flooded.
  h.feed(1, "IAMAT kiwi.cs.ucla.edu +1+1 1621464820\n", kT0 + 500);
  CHECK(h.sent[1].find("AT Clark +8.223372500 kiwi.cs.ucla.edu +1+1 1621464820\n") !=
        std::string::npos);
  CHECK(h.server.records().find("kiwi.cs.ucla.edu")->update.coords() == "+34.068930-118.445127");
  CHECK(h.to_peer[0].size() == 2);
  CHECK(h.server.stats().peer_messages_sent == 2);
}

TEST_CASE("server: a peer update is stored flooded on except back and hop-counted") {
  Harness h(clark());
  h.server.handle_peer_up(Instant{kT0}, 0);
  h.server.handle_peer_up(Instant{kT0}, 1);
  h.drain();
  h.open(3);
  h.feed(3, "HERD 1 Bona s3cret\n");
  CHECK(h.sent[3].empty());
  std::string bona_at = "AT Bona +0.100000000 kiwi +34-118 1621464827.5";
  h.feed(3, bona_at + " 2\n");
  CHECK(h.to_peer[0].size() == 1);  // only the greeting: not sent back to Bona
  REQUIRE(h.to_peer[1].size() == 2);
  CHECK(h.to_peer[1].back() == bona_at + " 3\n");
  REQUIRE(h.server.records().find("kiwi"));
  CHECK(h.server.records().find("kiwi")->hops == 2);
  // The same update again is redundant traffic: observed, not forwarded.
  h.feed(3, bona_at + " 4\n");
  CHECK(h.to_peer[1].size() == 2);
  CHECK(h.server.stats().updates_ignored == 1);
  // A client asking afterwards sees the origin's line, not Clark's.
  h.open(4);
  h.feed(4, "WHATSAT kiwi 5 1\n");
  REQUIRE(h.queries.size() == 1);
  h.answer(h.queries[0], "{}");
  CHECK(h.sent[4] == bona_at + "\n{}\n\n");
}

TEST_CASE("server: observations describe accepted applied ignored and read updates") {
  Harness h(clark());
  h.open(1);
  h.feed(1, kIamat + "\n");
  h.open(2);
  h.feed(2, "HERD 1 Jaquez s3cret\nAT Jaquez +0.100000000 pear +1+1 5 1\nAT Jaquez +0.100000000 pear +1+1 5 3\n");
  h.feed(1, "WHATSAT pear 1 1\n");
  REQUIRE(h.observations.size() == 4);
  CHECK(h.observations[0].kind == ObservationKind::update_accepted);
  CHECK(h.observations[1].kind == ObservationKind::update_applied);
  CHECK(h.observations[1].hops == 1);
  CHECK(h.observations[1].from == PeerId{1});
  CHECK(h.observations[2].kind == ObservationKind::update_ignored);
  CHECK(h.observations[3].kind == ObservationKind::read_answered);
  CHECK(*h.observations[3].update == "AT Jaquez +0.100000000 pear +1+1 5");
}

TEST_CASE("server: clients cannot inject peer messages") {
  Harness h(clark());
  h.open(1);
  SECTION("an AT line from a client is invalid") {
    h.feed(1, "AT Bona +0.100000000 kiwi +34-118 1621464827.5 1\n");
    CHECK(h.sent[1] == "? AT Bona +0.100000000 kiwi +34-118 1621464827.5 1\n");
  }
  SECTION("a greeting with the wrong secret is a client line") {
    h.feed(1, "HERD 1 Bona guess\nAT Bona +0.100000000 kiwi +34-118 1621464827.5 1\n");
    // The secret field, right or wrong, is never echoed.
    CHECK(h.sent[1] == "? HERD 1 Bona <secret>\n? AT Bona +0.100000000 kiwi +34-118 1621464827.5 1\n");
    CHECK(h.logged("wrong peer secret"));
  }
  SECTION("a greeting from a server that is not a friend is a client line") {
    h.feed(1, "HERD 1 Campbell s3cret\n");
    CHECK(h.sent[1] == "? HERD 1 Campbell <secret>\n");
  }
  SECTION("a greeting after the first line is a client line") {
    h.feed(1, "IAMAT a +1+1 1\nHERD 1 Bona s3cret\nAT Bona +0.100000000 kiwi +1+1 1 1\n");
    CHECK(h.sent[1].find("? HERD 1 Bona <secret>\n") != std::string::npos);
    CHECK(h.sent[1].find("? AT Bona") != std::string::npos);
  }
  CHECK_FALSE(h.server.records().find("kiwi"));
}

TEST_CASE("server: malformed peer lines are logged and dropped never answered") {
  Harness h(clark());
  h.open(2);
  h.feed(2, "HERD 1 Bona s3cret\nIAMAT kiwi +34-118 1\nAT Bona junk\n\x01\x02\n");
  CHECK(h.sent[2].empty());
  CHECK(h.server.stats().bad_peer_lines == 3);
  CHECK(h.logged("dropped malformed line from peer Bona"));
  CHECK(h.server.records().size() == 0);
}

TEST_CASE("server: a peer line with bad values is dropped whether or not the client is held") {
  // A repeat of the held line is settled before its values are checked; anything else
  // must still pass every check, known client or not.
  Harness h(clark());
  h.open(2);
  h.feed(2, "HERD 1 Bona s3cret\n");
  const std::string good = "AT Bona +0.100000000 kiwi +34-118 1621464827.5";
  h.feed(2, "AT Bona +0.100000000 pear +91-118 1621464827.5 1\n");  // unknown client
  CHECK(h.server.stats().bad_peer_lines == 1);
  CHECK_FALSE(h.server.records().find("pear"));
  h.feed(2, good + " 1\n");
  REQUIRE(h.server.records().find("kiwi"));
  h.feed(2, good + " 2\n");  // the held line again: a repeat, not an error
  CHECK(h.server.stats().updates_ignored == 1);
  CHECK(h.server.stats().bad_peer_lines == 1);
  for (const char* bad : {"AT Bona +0.100000000 kiwi +34-118 1621464828.5.5 1",
                          "AT Bona 0.100000000 kiwi +34-118 1621464828.5 1",
                          "AT Bona +0.100000000 kiwi +34-181 1621464828.5 1"}) {
    h.feed(2, std::string(bad) + "\n");
  }
  CHECK(h.server.stats().bad_peer_lines == 4);
  CHECK(h.logged("dropped malformed line from peer Bona"));
  CHECK(*h.server.records().find("kiwi")->update.at_line == good);
}

TEST_CASE("server: another strategy's messages are named once per friend and kind") {
  // A friend configured with anti-entropy or plumtree where this server runs plain
  // flooding: its messages are dropped, counted, and explained once, not as line noise.
  Harness h(clark());
  h.server.handle_peer_up(Instant{kT0}, 1);
  h.open(2);
  h.feed(2, "HERD 1 Bona s3cret\n");
  const std::string push = "AE PUSH AT Bona +0.100000000 kiwi +34-118 1621464827.5 1\n";
  h.feed(2, push + push + "AE GROUPS 0\nPRUNE\nPRUNE\n");
  CHECK(h.server.stats().bad_peer_lines == 5);
  CHECK(h.server.stats().foreign_peer_lines == 5);
  CHECK_FALSE(h.server.records().find("kiwi"));
  CHECK(h.to_peer[1].size() == 1);  // the greeting only
  int ae = 0, prune = 0, malformed = 0;
  for (const auto& l : h.logs) {
    if (l.find("peer Bona sends AE messages") != std::string::npos) ++ae;
    if (l.find("peer Bona sends PRUNE messages") != std::string::npos) ++prune;
    if (l.find("malformed") != std::string::npos) ++malformed;
  }
  CHECK(ae == 1);
  CHECK(prune == 1);
  CHECK(malformed == 0);
  CHECK(h.logged("this server runs flood"));
  // A word that is no strategy's stays a malformed line.
  h.feed(2, "PRUNES\n");
  CHECK(h.server.stats().foreign_peer_lines == 5);
  CHECK(h.logged("dropped malformed line from peer Bona: PRUNES"));
}

TEST_CASE("server: sends to a friend whose link is down are counted not queued") {
  Harness h(clark());
  h.server.handle_peer_up(Instant{kT0}, 1);
  h.drain();
  h.open(1);
  h.feed(1, kIamat + "\n");
  CHECK(h.server.stats().peer_messages_dropped == 1);
  CHECK(h.to_peer[1].size() == 2);
  h.server.handle_peer_down(Instant{kT0}, 1);
  h.drain();
  CHECK_FALSE(h.server.peer_is_up(1));
  CHECK(h.logged("link to Jaquez down"));
}

TEST_CASE("server: a line over max_line_bytes closes the connection after earlier replies") {
  auto config = clark();
  config.limits.max_line_bytes = 100;
  Harness h(config);
  h.open(1);
  h.feed(1, "IAMAT a +1+1 1\n" + std::string(50, 'x'));
  h.feed(1, std::string(60, 'x'));
  CHECK(h.sent[1] == "AT Clark +1621464827.223372000 a +1+1 1\n");
  REQUIRE(h.closed.count(1));
  CHECK(h.closed[1] == CloseReason::line_too_long);
  h.feed(1, "IAMAT b +1+1 1\n");  // nothing read after the close
  CHECK_FALSE(h.server.records().find("b"));
  h.server.handle_conn_closed(Instant{kT0}, 1);
  CHECK(h.server.open_connections() == 0);
}

TEST_CASE("server: connections over max_connections are closed at once") {
  auto config = clark();
  config.limits.max_connections = 2;
  Harness h(config);
  h.open(1);
  h.open(2);
  h.open(3);
  CHECK(h.closed.count(3));
  CHECK(h.closed[3] == CloseReason::too_many_connections);
  CHECK_FALSE(h.closed.count(1));
  h.server.handle_conn_closed(Instant{kT0}, 3);  // unknown to the server: harmless
  CHECK(h.server.open_connections() == 2);
}

TEST_CASE("server: peer-port connections do not count against max_connections") {
  auto config = clark();
  config.limits.max_connections = 2;
  Harness h(config);
  h.open(1);
  h.open(2);
  // A friend restarting while clients hold every client slot still gets its link in.
  h.server.handle_conn_open(Instant{kT0}, 3, Server::ConnRole::link);
  h.drain();
  CHECK_FALSE(h.closed.count(3));
  h.feed(3, "HERD 1 Bona s3cret\n");
  CHECK(h.logged("inbound link from Bona up"));
  h.open(4);  // the client port is still full
  CHECK(h.closed[4] == CloseReason::too_many_connections);
  CHECK(h.logged("2 client connections open (max_connections)"));
  h.server.handle_conn_closed(Instant{kT0}, 1);
  h.open(5);
  CHECK_FALSE(h.closed.count(5));
}

TEST_CASE("server: past max_ungreeted_links the oldest silent peer-port connection gives way") {
  auto config = clark();
  config.limits.max_ungreeted_links = 2;
  Harness h(config);
  auto open_link = [&](ConnId conn) {
    h.server.handle_conn_open(Instant{kT0}, conn, Server::ConnRole::link);
    h.drain();
  };
  open_link(1);
  open_link(2);
  CHECK(h.closed.empty());
  open_link(3);  // the third: conn 1, the oldest, is closed
  CHECK(h.closed.size() == 1);
  CHECK(h.closed[1] == CloseReason::too_many_connections);
  CHECK(h.logged("conn 1 on the peer port closed: 2 connections there have not greeted "
                 "(max_ungreeted_links); making room for conn 3"));
  // A greeted link no longer counts: two more silent ones fit beside it after one goes.
  h.feed(3, "HERD 1 Bona s3cret\n");
  open_link(4);
  CHECK(h.closed.size() == 1);
  open_link(5);
  CHECK(h.closed[2] == CloseReason::too_many_connections);
  CHECK_FALSE(h.closed.count(3));
}

TEST_CASE("server: a line unfinished after line_timeout closes its connection, trickle or not") {
  auto config = clark();
  config.limits.line_timeout_ns = 10 * kNanosPerSecond;
  Harness h(config);
  h.open(1);
  h.open(2);
  h.open(3);
  h.feed(3, "HERD 1 Bona s3cret\nAT Bona", kT0);  // a friend's link is exempt
  h.feed(1, "I", kT0 + kNanosPerSecond);
  REQUIRE(h.server.poll_timeout() == Instant{kT0 + 11 * kNanosPerSecond});
  // One byte a second keeps the idle timeout away but not the line's deadline.
  for (int i = 2; i <= 10; ++i) h.feed(1, "A", kT0 + i * kNanosPerSecond);
  // Conn 2 ends a line just before its deadline would have come and starts another.
  h.feed(2, "IAMAT a +1+1", kT0 + 2 * kNanosPerSecond);
  h.feed(2, " 1\nWHAT", kT0 + 11 * kNanosPerSecond);
  h.server.handle_timeout(Instant{kT0 + 11 * kNanosPerSecond});
  h.drain();
  REQUIRE(h.closed.count(1));
  CHECK(h.closed[1] == CloseReason::line_timeout);
  CHECK(h.logged("conn 1: line unfinished after 10000 ms (line_timeout); closing"));
  CHECK_FALSE(h.closed.count(2));
  CHECK_FALSE(h.closed.count(3));
  REQUIRE(h.server.poll_timeout() == Instant{kT0 + 21 * kNanosPerSecond});
  h.server.handle_timeout(Instant{kT0 + 21 * kNanosPerSecond});
  h.drain();
  CHECK(h.closed[2] == CloseReason::line_timeout);
  CHECK_FALSE(h.closed.count(3));
}

TEST_CASE("server: a grader's unterminated line ended by EOF is not cut by line_timeout") {
  auto config = clark();
  config.limits.line_timeout_ns = 10 * kNanosPerSecond;
  Harness h(config);
  h.open(1);
  h.feed(1, kIamat + "\n");
  h.feed(1, "WHATSAT kiwi.cs.ucla.edu 10 1");
  h.eof(1);
  REQUIRE(h.queries.size() == 1);
  h.server.handle_timeout(Instant{kT0 + 11 * kNanosPerSecond});
  h.drain();
  CHECK_FALSE(h.closed.count(1));  // still waiting for places, not cut
  h.answer(h.queries[0], "{}", kT0 + 12 * kNanosPerSecond);
  CHECK(h.closed[1] == CloseReason::finished);
}

TEST_CASE("server: idle client connections close after idle_timeout peers stay") {
  auto config = clark();
  config.limits.idle_timeout_ns = 10 * kNanosPerSecond;
  Harness h(config);
  h.open(1, kT0);
  h.open(2, kT0);
  h.open(3, kT0);
  h.feed(3, "HERD 1 Bona s3cret\n");
  REQUIRE(h.server.poll_timeout() == Instant{kT0 + 10 * kNanosPerSecond});
  h.feed(2, "IAMAT a +1+1", kT0 + 4 * kNanosPerSecond);  // partial line counts as input
  h.server.handle_timeout(Instant{kT0 + 10 * kNanosPerSecond});
  h.drain();
  CHECK(h.closed.count(1));
  CHECK(h.closed[1] == CloseReason::idle);
  CHECK_FALSE(h.closed.count(2));
  CHECK_FALSE(h.closed.count(3));
  REQUIRE(h.server.poll_timeout() == Instant{kT0 + 14 * kNanosPerSecond});
  h.server.handle_timeout(Instant{kT0 + 14 * kNanosPerSecond});
  h.drain();
  CHECK(h.closed.count(2));
  CHECK_FALSE(h.server.poll_timeout());
}

TEST_CASE("server: a client pipelining past max_pending_replies is closed") {
  auto config = clark();
  config.limits.max_pending_replies = 3;
  Harness h(config);
  h.open(1);
  h.feed(1, kIamat + "\n");
  std::string many;
  for (int i = 0; i < 5; ++i) many += "WHATSAT kiwi.cs.ucla.edu 1 1\n";
  h.feed(1, many);
  CHECK(h.queries.size() == 3);
  CHECK_FALSE(h.closed.count(1));  // close waits until the pending answers are out
  for (const auto& q : h.queries) h.answer(q, "{}");
  REQUIRE(h.closed.count(1));
  CHECK(h.closed[1] == CloseReason::too_many_pending);
}

TEST_CASE("server: a timestamp whose difference has no int64 form is invalid") {
  Harness h(clark());
  h.open(1);
  h.feed(1, "IAMAT a +1+1 -9223372035.9\n", kT0);
  CHECK(h.sent[1] == "? IAMAT a +1+1 -9223372035.9\n");
}

TEST_CASE("server: two servers converge when the same timestamp arrives at both") {
  // Clark and Bona each receive an IAMAT for kiwi with the same client time, then exchange
  // their updates: both must end with the same record.
  ServerConfig bona_config = clark();
  bona_config.name = "Bona";
  bona_config.friends = {"Clark"};
  ServerConfig clark_config = clark();
  clark_config.friends = {"Bona"};
  Harness c(clark_config), b(bona_config);
  c.server.handle_peer_up(Instant{kT0}, 0);
  b.server.handle_peer_up(Instant{kT0}, 0);
  c.drain();
  b.drain();
  c.open(1);
  b.open(1);
  c.feed(1, "IAMAT kiwi +10+10 1621464827.5\n", kT0);
  b.feed(1, "IAMAT kiwi +20+20 1621464827.5\n", kT0 + 7);
  // Deliver each one's outbound bytes (greeting + update) on an inbound conn of the other.
  c.open(9);
  b.open(9);
  for (const auto& bytes : b.to_peer[0]) c.feed(9, bytes);
  for (const auto& bytes : c.to_peer[0]) b.feed(9, bytes);
  REQUIRE(c.server.records().find("kiwi"));
  REQUIRE(b.server.records().find("kiwi"));
  CHECK(*c.server.records().find("kiwi")->update.at_line ==
        *b.server.records().find("kiwi")->update.at_line);
  CHECK(c.server.records().find("kiwi")->update.origin() == "Clark");
}

TEST_CASE("server: replies are the same whatever the split points of the input") {
  // Whole lines take a fast path that skips the framer; partial ones go through it. Both
  // must agree for every split of a stream into two and three reads.
  using namespace std::string_literals;
  const std::string stream =
      "IAMAT kiwi +34.068930-118.445127 1621464827.959498503\r\nbogus line\n\n"
      "WHATSAT kiwi 10 5\nIAMAT pear +1+1 5\nIAMAT x +1+1"s;
  auto run = [&](const std::vector<std::size_t>& cuts) {
    Harness h(clark());
    h.open(1);
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
      h.feed(1, std::string_view(stream).substr(from, cut - from));
      from = cut;
    }
    h.feed(1, std::string_view(stream).substr(from));
    for (const auto& q : h.queries) h.answer(q, "{}");
    h.eof(1);
    return h.sent[1];
  };
  const std::string expected = run({});
  CHECK(expected.find("? bogus line\n? \n") != std::string::npos);
  CHECK(expected.ends_with("AT Clark +1621464823.223372000 pear +1+1 5\n? IAMAT x +1+1\n"));
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    INFO("split at " << a);
    CHECK(run({a}) == expected);
    for (std::size_t b = a; b <= stream.size(); b += 7) CHECK(run({a, b}) == expected);
  }
}

TEST_CASE("server: an overlong line is caught on the fast path and the framer path alike") {
  auto config = clark();
  config.limits.max_line_bytes = 20;
  for (std::size_t split : {0, 5, 21, 30}) {
    INFO("split at " << split);
    Harness h(config);
    h.open(1);
    std::string input = "IAMAT a +1+1 1\n" + std::string(25, 'x') + "\nIAMAT b +1+1 1\n";
    h.feed(1, input.substr(0, split));
    h.feed(1, input.substr(split));
    CHECK(h.sent[1] == "AT Clark +1621464827.223372000 a +1+1 1\n");
    CHECK(h.closed[1] == CloseReason::line_too_long);
    CHECK_FALSE(h.server.records().find("b"));
  }
}

TEST_CASE("server: a rejected greeting's secret reaches neither the reply nor the log") {
  ServerConfig config = clark();
  config.log_traffic = true;
  Harness h(config);
  h.open(1);
  h.feed(1, "HERD 1 Bona wrong-guess\n");
  h.feed(1, "HERD 1 Bona other-guess\n");  // a second greeting-shaped line on a client conn
  CHECK(h.sent[1] == "? HERD 1 Bona <secret>\n? HERD 1 Bona <secret>\n");
  CHECK(h.logged("conn 1 recv: HERD 1 Bona <secret>"));
  CHECK_FALSE(h.logged("wrong-guess"));
  CHECK_FALSE(h.logged("other-guess"));
}

TEST_CASE("server: an IAMAT whose time difference overflows is echoed exactly as sent") {
  Harness h(clark());
  h.open(1);
  const std::string line = "IAMAT  kiwi\t+34.068930-118.445127   -9200000000.000000000";
  h.feed(1, line + "\n");
  CHECK(h.sent[1] == "? " + line + "\n");
  CHECK_FALSE(h.server.records().find("kiwi"));
}

TEST_CASE("server: a greeting without a newline, then a half-close, does not stay open") {
  Harness h(clark());
  h.server.handle_conn_open(Instant{kT0}, 4, Server::ConnRole::link);
  h.drain();
  h.feed(4, "HERD 1 Bona s3cret");
  CHECK(h.closed.count(4) == 0);
  h.eof(4);
  REQUIRE(h.closed.count(4) == 1);
  CHECK(h.closed[4] == CloseReason::finished);
  CHECK(h.sent[4].empty());
}

TEST_CASE("server: a friend's greeting is logged without the herd's secret") {
  Harness h(clark());
  h.open(3);
  h.feed(3, "HERD 1 Bona s3cret\n");
  CHECK(h.logged("conn 3 recv: HERD 1 Bona <secret>"));
  CHECK_FALSE(h.logged("s3cret"));
}

// --- friends' links: the peer port, the line limit, greetings (docs/protocol.md) ---------

TEST_CASE("server: the peer line limit is max_line_bytes plus the largest peer overhead") {
  // "AE PUSH " + an AT line that adds "AT", five spaces, the origin and a 21-byte difference
  // to the operands of an IAMAT that had "IAMAT" and three separators, + " <hops>" (7 digits).
  CHECK(peer_line_overhead(0) == 8 + (7 + 21 - 8) + 8);
  CHECK(peer_line_overhead(6) == peer_line_overhead(0) + 6);
  auto config = clark();  // friends Bona and Jaquez: the longest name has 6 bytes
  config.limits.max_line_bytes = 8000;
  CHECK(Server(config).peer_line_limit() == 8000 + peer_line_overhead(6));
  config.longest_server_name = 20;  // a server elsewhere in the herd
  CHECK(Server(config).peer_line_limit() == 8000 + peer_line_overhead(20));
  // Small client limits still let a full IHAVE line through.
  config.limits.max_line_bytes = 100;
  CHECK(Server(config).peer_line_limit() == 4095);
}

TEST_CASE("server: the longest IAMAT a client may send makes peer lines a friend accepts") {
  constexpr std::size_t kMax = 8000;
  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona"};
  config.limits.max_line_bytes = kMax;
  config.limits.max_client_bytes = kMax;  // the client ID fills the line
  Harness clark_h(config);
  clark_h.server.handle_peer_up(Instant{kT0}, 0);
  clark_h.drain();
  // Single spaces, and a timestamp so far ahead that the difference takes all 21 bytes.
  const std::string tail = " +34-118 9000000000";
  const std::string client(kMax - 6 - tail.size(), 'c');
  const std::string iamat = "IAMAT " + client + tail;
  REQUIRE(iamat.size() == kMax);
  clark_h.open(1);
  clark_h.feed(1, iamat + "\n");
  const StoredRecord* record = clark_h.server.records().find(client);
  REQUIRE(record);
  CHECK(record->update.diff().size() == 21);
  // The longest form, a repair at the hop cap, is exactly at the limit.
  const SharedText repair = repair_update_line(record->update, kMaxHops);
  CHECK(repair->size() - 1 == clark_h.server.peer_line_limit());
  REQUIRE(clark_h.to_peer[0].size() == 2);
  const std::string flooded = clark_h.to_peer[0].back();
  CHECK(flooded.size() - 1 > kMax);

  // Bona, with the same limits, takes the flooded line and the repair on its link.
  ServerConfig bona_config;
  bona_config.name = "Bona";
  bona_config.friends = {"Clark"};
  bona_config.limits.max_line_bytes = kMax;
  bona_config.limits.max_client_bytes = kMax;
  bona_config.propagation.anti_entropy = true;  // so AE PUSH is its own, not foreign
  Harness bona(bona_config);
  bona.server.handle_conn_open(Instant{kT0}, 8, Server::ConnRole::link);
  bona.feed(8, "HERD 1 Clark\n" + flooded);
  CHECK(bona.server.records().find(client));
  bona.feed(8, std::string(*repair));
  CHECK(bona.closed.empty());
  CHECK(bona.server.stats().peer_lines_too_long == 0);
  CHECK(bona.server.stats().bad_peer_lines == 0);
}

TEST_CASE("server: a friend's line over the peer limit is dropped and the link kept") {
  auto config = clark();
  config.limits.max_line_bytes = 8000;
  Harness h(config);
  h.server.handle_peer_up(Instant{kT0}, 1);
  h.drain();
  h.open(3);
  h.feed(3, "HERD 1 Bona s3cret\n");
  const std::string over(h.server.peer_line_limit() + 1, 'x');
  // Whole, and split so the framer meets it unterminated.
  h.feed(3, over + "\nAT Bona +0.100000000 one +34-118 1621464827.5 1\n");
  h.feed(3, over.substr(0, 5000));
  h.feed(3, over.substr(5000));
  h.feed(3, "\nAT Bona +0.100000000 two +34-118 1621464827.5 1\n");
  CHECK(h.closed.empty());
  CHECK(h.server.records().find("one"));
  CHECK(h.server.records().find("two"));
  CHECK(h.server.stats().peer_lines_too_long == 2);
  CHECK(h.logged("inbound link from Bona: 1 line(s) longer than"));
  CHECK(h.to_peer[1].size() == 3);  // greeting, then "one" and "two" flooded on to Jaquez
}

TEST_CASE("server: the peer port takes friends' greetings only and the client port both") {
  Harness h(clark());
  // A client that reaches the peer port is closed unanswered.
  h.server.handle_conn_open(Instant{kT0}, 1, Server::ConnRole::link);
  h.feed(1, kIamat + "\n");
  CHECK(h.sent[1].empty());
  REQUIRE(h.closed.count(1));
  CHECK(h.closed[1] == CloseReason::bad_peer);
  CHECK_FALSE(h.server.records().find("kiwi.cs.ucla.edu"));
  // A friend's greeting there makes a link, and says the friend is back.
  h.server.handle_conn_open(Instant{kT0}, 2, Server::ConnRole::link);
  h.feed(2, "HERD 1 Jaquez s3cret\nAT Jaquez +0.100000000 a +1+1 1 1\n");
  CHECK(h.closed.count(2) == 0);
  CHECK(h.server.records().find("a"));
  CHECK(h.server.take_greeted_friends() == std::vector<PeerId>{1});
  CHECK(h.server.take_greeted_friends().empty());
  // On the client port a greeting still works, for friends configured the old way.
  h.open(3);
  h.feed(3, "HERD 1 Bona s3cret\n");
  CHECK(h.sent[3].empty());
  CHECK(h.server.take_greeted_friends() == std::vector<PeerId>{0});
}

TEST_CASE("server: servers holding outputs at once each hand out their own") {
  // A drained server's output storage goes to a spare shared by the servers of its thread;
  // servers that queue outputs at the same time must still each hand out exactly theirs,
  // whichever drains first.
  Harness a(clark());
  Harness b(clark());
  a.open(1);
  b.open(1);
  for (int round = 0; round < 3; ++round) {
    const std::string client = "c" + std::to_string(round);
    const std::string iamat = "IAMAT " + client + " +34.068930-118.445127 1621464827.5\n";
    a.server.handle_conn_bytes(Instant{kT0}, 1, iamat);
    b.server.handle_conn_bytes(Instant{kT0}, 1, iamat + iamat);
    if (round % 2 == 0) {
      b.drain();
      a.drain();
    } else {
      a.drain();
      b.drain();
    }
    CHECK(a.sent[1].find(client + " ") != std::string::npos);
    CHECK(b.sent[1].find(client + " ") != std::string::npos);
  }
  // One reply per IAMAT: a got three, b six.
  const auto lines = [](const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  };
  CHECK(lines(a.sent[1]) == 3);
  CHECK(lines(b.sent[1]) == 6);
  CHECK(a.server.records().size() == 3);
  CHECK(b.server.records().size() == 3);
}

TEST_CASE("server: a friend that greets again before the runtime looks is listed once") {
  // The simulator never takes the list: it must not grow with every time a link comes back.
  Harness h(clark());
  ConnId conn = 1;
  for (int round = 0; round < 50; ++round) {
    for (const char* name : {"Jaquez", "Bona"}) {
      h.server.handle_conn_open(Instant{kT0}, conn, Server::ConnRole::link);
      h.feed(conn, std::string("HERD 1 ") + name + " s3cret\n");
      ++conn;
    }
  }
  CHECK(h.server.take_greeted_friends() == std::vector<PeerId>{0, 1});
  CHECK(h.server.take_greeted_friends().empty());
  h.server.handle_conn_open(Instant{kT0}, conn, Server::ConnRole::link);
  h.feed(conn, "HERD 1 Bona s3cret\n");
  CHECK(h.server.take_greeted_friends() == std::vector<PeerId>{0});
}

// --- limits on what clients can make a server hold (docs/protocol.md) ------------------------

TEST_CASE("server: the record store holds max_records clients, then refuses new ones") {
  ServerConfig config = clark();
  config.limits.max_records = 3;
  Harness h(config);
  h.open(1);
  for (const char* client : {"a", "b", "c"}) {
    h.feed(1, std::string("IAMAT ") + client + " +1+1 1621464827.5\n");
  }
  CHECK(h.server.records().size() == 3);
  h.sent[1].clear();
  h.feed(1, "IAMAT d +1+1 1621464827.5\n");
  CHECK(h.sent[1] == "? IAMAT d +1+1 1621464827.5\n");
  CHECK_FALSE(h.server.records().find("d"));
  // A known client still moves.
  h.sent[1].clear();
  h.feed(1, "IAMAT a +2+2 1621464828.5\n");
  CHECK(h.sent[1].starts_with("AT Clark "));
  // A friend's update for a new client is dropped and counted, not treated as a bad line.
  h.server.handle_conn_open(Instant{kT0}, 2, Server::ConnRole::link);
  h.feed(2, "HERD 1 Bona s3cret\nAT Bona +0.100000000 e +1+1 1621464827.5 1\n");
  CHECK_FALSE(h.server.records().find("e"));
  CHECK(h.server.stats().records_refused == 2);
  CHECK(h.server.stats().bad_peer_lines == 0);
  CHECK(h.closed.count(2) == 0);
  CHECK(h.logged("record store full (max_records 3)"));
}

TEST_CASE("server: client IDs longer than max_client_bytes are refused") {
  ServerConfig config = clark();
  config.limits.max_client_bytes = 8;
  Harness h(config);
  h.open(1);
  h.feed(1, "IAMAT 12345678 +1+1 1621464827.5\n");
  CHECK(h.server.records().find("12345678"));
  h.sent[1].clear();
  h.feed(1, "IAMAT 123456789 +1+1 1621464827.5\n");
  CHECK(h.sent[1] == "? IAMAT 123456789 +1+1 1621464827.5\n");
  h.server.handle_conn_open(Instant{kT0}, 2, Server::ConnRole::link);
  h.feed(2, "HERD 1 Bona s3cret\nAT Bona +0.100000000 123456789 +1+1 1621464827.5 1\n");
  CHECK_FALSE(h.server.records().find("123456789"));
}

TEST_CASE("server: a restored record is served but neither observed nor pushed to friends") {
  Harness h(clark());
  h.server.handle_peer_up(Instant{kT0}, 0);
  h.drain();
  h.to_peer.clear();
  h.observations.clear();
  CHECK(h.server.restore_record(Instant{kT0}, kAt, 2) == Server::RestoreResult::restored);
  h.drain();
  CHECK(h.to_peer.empty());
  CHECK(h.observations.empty());
  const StoredRecord* held = h.server.records().find("kiwi.cs.ucla.edu");
  REQUIRE(held != nullptr);
  CHECK(*held->update.at_line == kAt);
  CHECK(held->hops == 2);
  // The same line again, or an older one, changes nothing.
  CHECK(h.server.restore_record(Instant{kT0}, kAt, 2) == Server::RestoreResult::not_newer);
  CHECK(h.server.restore_record(
            Instant{kT0},
            "AT Clark +0.100000000 kiwi.cs.ucla.edu +34.068930-118.445127 1621464820.000000000", 0) ==
        Server::RestoreResult::not_newer);
  // WHATSAT answers with it.
  h.open(1);
  h.feed(1, "WHATSAT kiwi.cs.ucla.edu 10 5\n");
  REQUIRE(h.queries.size() == 1);
  h.answer(h.queries[0], "{\"results\":[],\"status\":\"ZERO_RESULTS\"}");
  CHECK(h.sent[1].rfind(kAt + "\n", 0) == 0);
}

TEST_CASE("server: restore refuses malformed lines and records beyond max_records") {
  ServerConfig config = clark();
  config.limits.max_records = 1;
  Harness h(config);
  CHECK(h.server.restore_record(Instant{kT0}, "AT Clark nonsense", 0) ==
        Server::RestoreResult::invalid);
  CHECK(h.server.restore_record(Instant{kT0}, kAt + " ", 0) == Server::RestoreResult::invalid);
  CHECK(h.server.restore_record(Instant{kT0}, kAt, kMaxHops + 1) ==
        Server::RestoreResult::invalid);
  CHECK(h.server.restore_record(Instant{kT0}, kAt, 0) == Server::RestoreResult::restored);
  CHECK(h.server.restore_record(
            Instant{kT0}, "AT Clark +0.100000000 other +34.068930-118.445127 1621464820.000000000", 0) ==
        Server::RestoreResult::store_full);
  CHECK(h.server.records().size() == 1);
}
