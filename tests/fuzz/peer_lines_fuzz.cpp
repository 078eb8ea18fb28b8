// The friend side of core::Server: a greeted inbound link and an outbound link deliver
// arbitrary bytes (AT lines, anti-entropy digests and pushes, IHAVE/GRAFT/PRUNE, rumor KNEW)
// under each propagation strategy, with timers firing in between. With bit 3 of the first
// byte set the server authenticates friends (HERD 2): the two links are greeted through the
// handshake, and the bytes also go to a connection still expecting a HELLO and to an
// outbound link still expecting its CHALLENGE. Nothing throws, no sanitizer fires, and every
// record the server stores reads back by its client name.

#include <memory>
#include <string>

#include "fuzz_common.hpp"
#include "herd/auth/hmac_authenticator.hpp"
#include "herd/core/server.hpp"

using namespace herd::core;

namespace {

// Counting nonces: a run depends on its input alone.
std::shared_ptr<herd::auth::HmacAuthenticator> authenticator(std::uint8_t tag) {
  auto counter = std::make_shared<std::uint8_t>(0);
  return std::make_shared<herd::auth::HmacAuthenticator>("s3cret", [counter, tag] {
    herd::auth::NonceBytes bytes{};
    bytes[0] = tag;
    bytes[15] = ++*counter;
    return bytes;
  });
}

std::string without_newline(std::string line) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = herd::fuzz::as_text(data, size);
  if (input.size() < 2) return 0;
  const auto pick = static_cast<unsigned char>(input[0]);
  const std::size_t chunk = 1 + static_cast<unsigned char>(input[1]) % 96;
  input.remove_prefix(2);

  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona", "Jaquez", "Campbell"};
  config.peer_secret = "s3cret";
  config.limits.max_line_bytes = 256;
  config.emit_observations = true;
  switch (pick % 4) {
    case 0: config.propagation.push = PropagationConfig::Push::flood; break;
    case 1: config.propagation.push = PropagationConfig::Push::gossip; break;
    case 2: config.propagation.push = PropagationConfig::Push::rumor; break;
    default: config.propagation.push = PropagationConfig::Push::plumtree; break;
  }
  config.propagation.anti_entropy = (pick & 4) != 0;
  config.propagation.seed = pick;
  const bool authenticated = (pick & 8) != 0;
  if (authenticated) config.peer_auth = authenticator(1);
  const auto friend_auth = authenticator(2);  // plays Jaquez and Bona
  Server server(config);
  Instant now{1'700'000'000'000'000'000};
  const auto drain = [&] {
    while (auto out = server.poll_output()) {
      if (auto* query = std::get_if<QueryPlaces>(&*out)) {
        server.handle_places_result(now, query->request, PlacesResult{R"({"results":[]})"});
      }
    }
  };
  // What the server sent on its outbound link to Bona and on connection 7, during the
  // greetings.
  std::string to_bona;
  std::string to_jaquez;
  const auto collect = [&] {
    while (auto out = server.poll_output()) {
      if (auto* send = std::get_if<SendToPeer>(&*out); send && send->peer == 0) to_bona += *send->bytes;
      if (auto* send = std::get_if<SendToConn>(&*out); send && send->conn == 7) to_jaquez += send->bytes;
    }
  };
  server.handle_peer_up(now, 0);
  server.handle_peer_up(now, 1);
  server.handle_conn_open(now, 7, Server::ConnRole::link);
  if (authenticated) {
    server.handle_peer_up(now, 2);  // left waiting for a CHALLENGE
    server.handle_conn_open(now, 9, Server::ConnRole::link);  // left waiting for a HELLO
    // Jaquez greets Clark on connection 7.
    const std::string nonce = friend_auth->fresh_nonce();
    server.handle_conn_bytes(now, 7, format_hello("Jaquez", nonce));
    collect();
    const std::string challenge_line = without_newline(to_jaquez);
    const HandshakeMessage challenge = parse_handshake_line(challenge_line);
    if (!std::holds_alternative<ChallengeMessage>(challenge)) {
      herd::fuzz::fail("peer_lines", "a friend's HELLO got no CHALLENGE");
    }
    server.handle_conn_bytes(now, 7, format_proof(friend_auth->prove(handshake_transcript(
        HandshakeRole::dialer, "Jaquez", "Clark", nonce,
        std::get<ChallengeMessage>(challenge).nonce))));
    // Clark's link to Bona: Bona answers its HELLO.
    collect();
    // The parsed message views its line, so the line must outlive it.
    const std::string hello_line = without_newline(to_bona);
    const HandshakeMessage hello = parse_handshake_line(hello_line);
    if (!std::holds_alternative<HelloMessage>(hello)) {
      herd::fuzz::fail("peer_lines", "an outbound link did not start with a HELLO");
    }
    const std::string bona_nonce = friend_auth->fresh_nonce();
    server.handle_peer_bytes(now, 0, format_challenge("Bona", bona_nonce, friend_auth->prove(
        handshake_transcript(HandshakeRole::acceptor, "Clark", "Bona",
                             std::get<HelloMessage>(hello).nonce, bona_nonce))));
    if (!server.peer_is_up(0)) herd::fuzz::fail("peer_lines", "a valid CHALLENGE left the link down");
  } else {
    server.handle_conn_bytes(now, 7, "HERD 1 Jaquez s3cret\n");
  }
  drain();
  // Inbound link, outbound link, and with authentication the two half-greeted ones.
  const std::size_t destinations = authenticated ? 4 : 2;
  std::size_t step = 0;
  for (std::size_t at = 0; at < input.size(); at += chunk, ++step) {
    now.ns += 37'000'000;
    const std::string_view piece = input.substr(at, chunk);
    switch (step % destinations) {
      case 0: server.handle_conn_bytes(now, 7, piece); break;
      case 1: server.handle_peer_bytes(now, 0, piece); break;
      case 2: server.handle_conn_bytes(now, 9, piece); break;
      default: server.handle_peer_bytes(now, 2, piece); break;
    }
    server.handle_timeout(now);
    drain();
  }
  server.handle_peer_down(now, 1);
  server.handle_conn_eof(now, 7);
  now.ns += 5'000'000'000;
  server.handle_timeout(now);
  drain();
  std::size_t visited = 0;
  server.records().for_each([&](const StoredRecord& record) {
    ++visited;
    if (server.records().find(record.update.client()) != &record) {
      herd::fuzz::fail("peer_lines", "a stored record cannot be found by its client name");
    }
  });
  if (visited != server.records().size()) herd::fuzz::fail("peer_lines", "record count drifts");
  return 0;
}
