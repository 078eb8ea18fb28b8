#pragma once
// The authenticated greeting between friends, "HERD 2" (docs/protocol.md#authenticated-greeting):
// the dialler and the acceptor each send a fresh nonce and each prove knowledge of the
// herd's peer secret with an HMAC over both nonces and both names, so the secret never
// travels and a recorded exchange cannot be replayed. This header holds the message formats
// and the interface to the cryptography; the core draws no entropy and links no crypto
// library, so a runtime supplies a PeerAuthenticator (herd/auth/hmac_authenticator.hpp).

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace herd::core {

// Proves and checks knowledge of the herd's peer secret. Implementations hold the secret;
// nothing they return reveals it.
class PeerAuthenticator {
 public:
  virtual ~PeerAuthenticator() = default;
  // A nonce never handed out before: kNonceHexDigits lowercase hex digits.
  [[nodiscard]] virtual std::string fresh_nonce() = 0;
  // The proof of `transcript` under the secret: kProofHexDigits lowercase hex digits.
  [[nodiscard]] virtual std::string prove(std::string_view transcript) const = 0;
  // Whether `proof` is prove(transcript), in time that does not depend on where they differ.
  [[nodiscard]] virtual bool check(std::string_view transcript, std::string_view proof) const = 0;
};

inline constexpr std::size_t kNonceHexDigits = 32;  // 16 random bytes
inline constexpr std::size_t kProofHexDigits = 64;  // HMAC-SHA256
// Reasons a REFUSED line gives, one word each.
inline constexpr std::string_view kRefusedNotAFriend = "not-a-friend";
inline constexpr std::string_view kRefusedBadProof = "bad-proof";
inline constexpr std::string_view kRefusedUnexpected = "unexpected";
inline constexpr std::size_t kMaxRefusedReasonBytes = 32;

// "HERD 2 HELLO <dialer> <dialer-nonce>": the first line on an outbound link.
struct HelloMessage {
  std::string_view dialer;
  std::string_view nonce;
};
// "HERD 2 CHALLENGE <acceptor> <acceptor-nonce> <acceptor-proof>": the answer to a HELLO.
struct ChallengeMessage {
  std::string_view acceptor;
  std::string_view nonce;
  std::string_view proof;
};
// "HERD 2 PROOF <dialer-proof>": the dialler's second line; the link carries peer lines after it.
struct ProofMessage {
  std::string_view proof;
};
// "HERD 2 REFUSED <reason>": either side gives up on the handshake and closes.
struct RefusedMessage {
  std::string_view reason;
};
// A line that starts "HERD 2 " but is none of the above, or has a malformed field.
struct MalformedHandshake {};

using HandshakeMessage =
    std::variant<MalformedHandshake, HelloMessage, ChallengeMessage, ProofMessage, RefusedMessage>;

// Whether a line belongs to the HERD 2 handshake (starts "HERD 2 ").
[[nodiscard]] bool is_handshake_line(std::string_view line) noexcept;
// Parses a handshake line strictly: fields separated by single spaces, nonces and proofs of
// exactly their length in lowercase hex, names without control characters, reasons of
// lowercase letters and '-'.
[[nodiscard]] HandshakeMessage parse_handshake_line(std::string_view line) noexcept;

enum class HandshakeRole { dialer, acceptor };

// What the `prover` authenticates: its role, both names and both nonces, one per line, so
// that no proof made for one side, link or exchange verifies for another.
[[nodiscard]] std::string handshake_transcript(HandshakeRole prover, std::string_view dialer,
                                               std::string_view acceptor,
                                               std::string_view dialer_nonce,
                                               std::string_view acceptor_nonce);

[[nodiscard]] std::string format_hello(std::string_view dialer, std::string_view nonce);
[[nodiscard]] std::string format_challenge(std::string_view acceptor, std::string_view nonce,
                                           std::string_view proof);
[[nodiscard]] std::string format_proof(std::string_view proof);
[[nodiscard]] std::string format_refused(std::string_view reason);

}  // namespace herd::core
