// The server's table of open connections: flat and in ConnId order, with closed slots
// compacted lazily. What a runtime may do to it (close in any order, open ids out of
// order, reuse an id) must never lose or confuse a connection.
#include "herd/core/server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace herd::core;

namespace {

constexpr Nanoseconds kT0 = 1621464828'223372000LL;
const std::string kIamat = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503\n";

ServerConfig clark() {
  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona", "Jaquez"};
  config.peer_secret = "s3cret";
  return config;
}

// Outputs in the order the server made them.
struct Outputs {
  std::map<ConnId, std::string> sent;
  std::vector<std::pair<ConnId, CloseReason>> closed;
};

Outputs drain(Server& server) {
  Outputs out;
  while (auto o = server.poll_output()) {
    if (auto* s = std::get_if<SendToConn>(&*o)) out.sent[s->conn] += s->bytes;
    if (auto* c = std::get_if<CloseConn>(&*o)) out.closed.emplace_back(c->conn, c->reason);
  }
  return out;
}

bool answered(Server& server, ConnId conn) {
  server.handle_conn_bytes(Instant{kT0}, conn, kIamat);
  auto out = drain(server);
  return out.sent.count(conn) && out.sent[conn].starts_with("AT Clark ");
}

}  // namespace

TEST_CASE("connections: thousands closed in random order leave the rest reachable") {
  Server server(clark());
  constexpr ConnId kOpen = 3000;
  for (ConnId id = 1; id <= kOpen; ++id) server.handle_conn_open(Instant{kT0}, id);
  REQUIRE(server.open_connections() == kOpen);

  std::vector<ConnId> order;
  for (ConnId id = 1; id <= kOpen; ++id) order.push_back(id);
  std::mt19937_64 rng(7);
  std::shuffle(order.begin(), order.end(), rng);
  std::map<ConnId, bool> open;
  for (ConnId id = 1; id <= kOpen; ++id) open[id] = true;
  // Close two thirds, checking a sample of the survivors and the closed along the way
  // (compaction runs several times on the way down).
  for (std::size_t i = 0; i < 2 * kOpen / 3; ++i) {
    server.handle_conn_closed(Instant{kT0}, order[i]);
    open[order[i]] = false;
    if (i % 97 == 0) {
      const ConnId probe = order[(i * 31) % kOpen];
      CHECK(answered(server, probe) == open[probe]);
    }
  }
  CHECK(server.open_connections() == kOpen - 2 * kOpen / 3);
  for (auto [id, is_open] : open) {
    if (is_open) REQUIRE(answered(server, id));
  }
  // Closing an unknown or already closed id changes nothing.
  server.handle_conn_closed(Instant{kT0}, order[0]);
  server.handle_conn_closed(Instant{kT0}, kOpen + 10);
  CHECK(server.open_connections() == kOpen - 2 * kOpen / 3);
}

TEST_CASE("connections: ids opened out of order are each found") {
  Server server(clark());
  for (ConnId id : {10, 5, 7, 1, 12}) server.handle_conn_open(Instant{kT0}, id);
  for (ConnId id : {1, 5, 7, 10, 12}) CHECK(answered(server, id));
  CHECK_FALSE(answered(server, 6));
}

TEST_CASE("connections: a reused id after a close is a fresh connection") {
  Server server(clark());
  for (ConnId id : {1, 2, 3}) server.handle_conn_open(Instant{kT0}, id);
  // Conn 2 leaves half a line behind, then closes: its slot is kept until compaction.
  server.handle_conn_bytes(Instant{kT0}, 2, "IAMAT half");
  server.handle_conn_closed(Instant{kT0}, 2);
  CHECK(server.open_connections() == 2);
  server.handle_conn_open(Instant{kT0}, 2);
  CHECK(server.open_connections() == 3);
  // The new connection starts with an empty framer: the old half line is gone.
  CHECK(answered(server, 2));
  CHECK(answered(server, 1));
  CHECK(answered(server, 3));
}

TEST_CASE("connections: an id reused once the newest slot is gone revives its closed slot") {
  Server server(clark());
  for (ConnId id : {1, 2, 3}) server.handle_conn_open(Instant{kT0}, id);
  server.handle_conn_closed(Instant{kT0}, 2);  // a closed slot in the middle...
  server.handle_conn_closed(Instant{kT0}, 3);  // ...is now the last one
  server.handle_conn_open(Instant{kT0}, 2);
  CHECK(server.open_connections() == 2);
  CHECK(answered(server, 2));
  server.handle_conn_closed(Instant{kT0}, 2);
  CHECK_FALSE(answered(server, 2));
  CHECK(answered(server, 1));
}

TEST_CASE("connections: the idle sweep closes connections in ConnId order") {
  auto config = clark();
  config.limits.idle_timeout_ns = 10 * kNanosPerSecond;
  Server server(config);
  for (ConnId id : {9, 3, 6, 1, 4}) server.handle_conn_open(Instant{kT0}, id);
  server.handle_conn_closed(Instant{kT0}, 6);  // leaves an erased slot in the middle
  (void)drain(server);
  server.handle_timeout(Instant{kT0 + 10 * kNanosPerSecond});
  const auto out = drain(server);
  std::vector<ConnId> closed;
  for (auto [id, reason] : out.closed) {
    CHECK(reason == CloseReason::idle);
    closed.push_back(id);
  }
  CHECK(closed == std::vector<ConnId>{1, 3, 4, 9});
}

TEST_CASE("connections: a friend's newest link replaces its older one among many") {
  Server server(clark());
  for (ConnId id = 1; id <= 40; ++id) server.handle_conn_open(Instant{kT0}, id);
  for (ConnId id = 2; id <= 40; id += 2) server.handle_conn_closed(Instant{kT0}, id);
  server.handle_conn_bytes(Instant{kT0}, 5, "HERD 1 Bona s3cret\n");
  (void)drain(server);
  server.handle_conn_bytes(Instant{kT0}, 31, "HERD 1 Bona s3cret\n");
  const auto out = drain(server);
  REQUIRE(out.closed.size() == 1);
  CHECK(out.closed[0].first == 5);
}
