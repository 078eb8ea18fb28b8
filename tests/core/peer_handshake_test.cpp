#include "herd/core/peer_handshake.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace herd::core;

namespace {
const std::string kNonce(32, 'a');
const std::string kProof(64, '0');
}  // namespace

TEST_CASE("peer handshake: each message parses back from its formatted line") {
  std::string hello = format_hello("Bona", kNonce);
  REQUIRE(hello.back() == '\n');
  hello.pop_back();
  const HandshakeMessage parsed_hello = parse_handshake_line(hello);
  REQUIRE(std::holds_alternative<HelloMessage>(parsed_hello));
  CHECK(std::get<HelloMessage>(parsed_hello).dialer == "Bona");
  CHECK(std::get<HelloMessage>(parsed_hello).nonce == kNonce);

  std::string challenge = format_challenge("Clark", kNonce, kProof);
  challenge.pop_back();
  const HandshakeMessage parsed_challenge = parse_handshake_line(challenge);
  REQUIRE(std::holds_alternative<ChallengeMessage>(parsed_challenge));
  CHECK(std::get<ChallengeMessage>(parsed_challenge).acceptor == "Clark");
  CHECK(std::get<ChallengeMessage>(parsed_challenge).nonce == kNonce);
  CHECK(std::get<ChallengeMessage>(parsed_challenge).proof == kProof);

  std::string proof = format_proof(kProof);
  proof.pop_back();
  const HandshakeMessage parsed_proof = parse_handshake_line(proof);
  REQUIRE(std::holds_alternative<ProofMessage>(parsed_proof));
  CHECK(std::get<ProofMessage>(parsed_proof).proof == kProof);

  std::string refused = format_refused(kRefusedBadProof);
  refused.pop_back();
  CHECK(refused == "HERD 2 REFUSED bad-proof");
  const HandshakeMessage parsed_refused = parse_handshake_line(refused);
  REQUIRE(std::holds_alternative<RefusedMessage>(parsed_refused));
  CHECK(std::get<RefusedMessage>(parsed_refused).reason == "bad-proof");
}

TEST_CASE("peer handshake: malformed lines are refused, field by field") {
  const std::string cases[] = {
      "HERD 2 HELLO Bona",                                   // no nonce
      "HERD 2 HELLO Bona " + kNonce + " extra",              // one field too many
      "HERD 2 HELLO Bona " + kNonce.substr(1),               // short nonce
      "HERD 2 HELLO Bona " + std::string(32, 'A'),           // upper-case hex
      "HERD 2 HELLO Bona " + std::string(31, 'a') + "g",     // not hex
      "HERD 2 HELLO  Bona " + kNonce,                        // double space
      "HERD 2 HELLO Bona\t" + kNonce,                        // a tab is not a separator
      "HERD 2 HELLO Bo\x01na " + kNonce,                     // control character in a name
      "HERD 2 CHALLENGE Clark " + kNonce + " " + kProof.substr(2),
      "HERD 2 PROOF " + kProof + "0",
      "HERD 2 PROOF",
      "HERD 2 REFUSED Bad-Proof",
      "HERD 2 REFUSED " + std::string(33, 'x'),
      "HERD 2 hello Bona " + kNonce,                         // verbs are case-sensitive
      "HERD 2 ",
      "HERD 2 HELLO Bona " + kNonce + " ",                   // trailing space
  };
  for (const auto& line : cases) {
    INFO(line);
    CHECK(std::holds_alternative<MalformedHandshake>(parse_handshake_line(line)));
  }
  CHECK(std::holds_alternative<RefusedMessage>(
      parse_handshake_line("HERD 2 REFUSED " + std::string(32, 'x'))));
}

TEST_CASE("peer handshake: only lines starting 'HERD 2 ' belong to it") {
  CHECK(is_handshake_line("HERD 2 HELLO Bona " + kNonce));
  CHECK(is_handshake_line("HERD 2 anything"));
  CHECK_FALSE(is_handshake_line("HERD 1 Bona s3cret"));
  CHECK_FALSE(is_handshake_line("HERD 2"));
  CHECK_FALSE(is_handshake_line("herd 2 HELLO Bona " + kNonce));
}

TEST_CASE("peer handshake: the transcript binds the role, both names and both nonces") {
  const std::string dialer = handshake_transcript(HandshakeRole::dialer, "Bona", "Clark", "n1", "n2");
  CHECK(dialer == "herd-2 dialer\nBona\nClark\nn1\nn2");
  CHECK(handshake_transcript(HandshakeRole::acceptor, "Bona", "Clark", "n1", "n2") ==
        "herd-2 acceptor\nBona\nClark\nn1\nn2");
  CHECK(handshake_transcript(HandshakeRole::dialer, "Clark", "Bona", "n1", "n2") != dialer);
  CHECK(handshake_transcript(HandshakeRole::dialer, "Bona", "Clark", "n2", "n1") != dialer);
}
