#include "herd/sim/server_arena.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>

using herd::core::Instant;
using herd::core::Server;
using herd::core::ServerConfig;
using herd::sim::ServerArena;

namespace {

ServerConfig config_for(const std::string& name) {
  ServerConfig config;
  config.name = name;
  config.friends = {"a", "b"};
  config.peer_secret = "sim";
  config.log_traffic = false;
  return config;
}

// What the server answers a client's IAMAT with, or "" if nothing was sent.
std::string answer_iamat(Server& server, herd::core::ConnId conn) {
  server.handle_conn_open(Instant{1'000'000'000}, conn);
  server.handle_conn_bytes(Instant{1'000'000'000}, conn,
                           "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 0.5\n");
  std::string sent;
  while (auto out = server.poll_output()) {
    if (auto* s = std::get_if<herd::core::SendToConn>(&*out)) sent += s->bytes;
  }
  return sent;
}

}  // namespace

TEST_CASE("server arena: servers side by side, each in its own slot") {
  ServerArena arena(3);
  CHECK(arena.size() == 3);
  auto first = arena.make(0, config_for("s0"));
  auto third = arena.make(2, config_for("s2"));
  auto second = arena.make(1, config_for("s1"));
  CHECK(reinterpret_cast<std::uintptr_t>(second.get()) -
            reinterpret_cast<std::uintptr_t>(first.get()) ==
        sizeof(Server));
  CHECK(third.get() == first.get() + 2);
  CHECK(first->name() == "s0");
  CHECK(second->name() == "s1");
  CHECK(third->name() == "s2");
  CHECK(answer_iamat(*second, 7).rfind("AT s1 ", 0) == 0);
  CHECK_THROWS_AS(arena.make(3, config_for("s3")), std::out_of_range);
}

TEST_CASE("server arena: an amnesiac restart makes a new server in the same slot") {
  ServerArena arena(1);
  auto server = arena.make(0, config_for("s0"));
  Server* slot = server.get();
  REQUIRE(answer_iamat(*server, 1).rfind("AT s0 ", 0) == 0);
  CHECK(server->records().size() == 1);
  server.reset();  // destroyed in place; the memory stays the arena's
  server = arena.make(0, config_for("s0"));
  CHECK(server.get() == slot);
  CHECK(server->records().size() == 0);  // nothing of the old server is left
  CHECK(answer_iamat(*server, 1).rfind("AT s0 ", 0) == 0);
}

TEST_CASE("server arena: a moved arena keeps its servers where they are") {
  ServerArena arena(2);
  auto server = arena.make(1, config_for("s1"));
  ServerArena moved(std::move(arena));
  CHECK(moved.size() == 2);
  CHECK(arena.size() == 0);  // NOLINT(bugprone-use-after-move): a moved arena is empty
  CHECK(server->name() == "s1");
  auto other = moved.make(0, config_for("s0"));
  CHECK(other.get() + 1 == server.get());
  ServerArena empty;
  CHECK(empty.size() == 0);
  CHECK_THROWS_AS(empty.make(0, config_for("s0")), std::out_of_range);
  // The handles go before the arena that holds their servers.
  other.reset();
  server.reset();
}
