#include "herd/core/peer_handshake.hpp"

#include <array>

namespace herd::core {
namespace {

constexpr std::string_view kPrefix = "HERD 2 ";
// HERD 2 CHALLENGE <acceptor> <nonce> <proof> has the most fields after the prefix.
constexpr std::size_t kMaxFields = 4;

bool is_lower_hex(std::string_view text, std::size_t digits) noexcept {
  if (text.size() != digits) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_name(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte == 0x7f) return false;
  }
  return true;
}

bool is_reason(std::string_view text) noexcept {
  if (text.empty() || text.size() > kMaxRefusedReasonBytes) return false;
  for (const char c : text) {
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

struct Fields {
  std::array<std::string_view, kMaxFields> at{};
  std::size_t count = 0;
};

// Single spaces only: a handshake line is written by a server, never typed.
bool split_single_spaces(std::string_view text, Fields& fields) noexcept {
  while (true) {
    if (fields.count == kMaxFields) return false;
    const std::size_t space = text.find(' ');
    fields.at[fields.count++] = text.substr(0, space);
    if (fields.at[fields.count - 1].empty()) return false;
    if (space == std::string_view::npos) return true;
    text.remove_prefix(space + 1);
  }
}

}  // namespace

bool is_handshake_line(std::string_view line) noexcept { return line.starts_with(kPrefix); }

HandshakeMessage parse_handshake_line(std::string_view line) noexcept {
  if (!is_handshake_line(line)) return MalformedHandshake{};
  Fields fields;
  if (!split_single_spaces(line.substr(kPrefix.size()), fields)) return MalformedHandshake{};
  const std::string_view verb = fields.at[0];
  if (verb == "HELLO" && fields.count == 3 && is_name(fields.at[1]) &&
      is_lower_hex(fields.at[2], kNonceHexDigits)) {
    return HelloMessage{fields.at[1], fields.at[2]};
  }
  if (verb == "CHALLENGE" && fields.count == 4 && is_name(fields.at[1]) &&
      is_lower_hex(fields.at[2], kNonceHexDigits) && is_lower_hex(fields.at[3], kProofHexDigits)) {
    return ChallengeMessage{fields.at[1], fields.at[2], fields.at[3]};
  }
  if (verb == "PROOF" && fields.count == 2 && is_lower_hex(fields.at[1], kProofHexDigits)) {
    return ProofMessage{fields.at[1]};
  }
  if (verb == "REFUSED" && fields.count == 2 && is_reason(fields.at[1])) {
    return RefusedMessage{fields.at[1]};
  }
  return MalformedHandshake{};
}

std::string handshake_transcript(HandshakeRole prover, std::string_view dialer,
                                 std::string_view acceptor, std::string_view dialer_nonce,
                                 std::string_view acceptor_nonce) {
  std::string transcript = prover == HandshakeRole::dialer ? "herd-2 dialer\n" : "herd-2 acceptor\n";
  transcript.append(dialer).append("\n");
  transcript.append(acceptor).append("\n");
  transcript.append(dialer_nonce).append("\n");
  transcript.append(acceptor_nonce);
  return transcript;
}

std::string format_hello(std::string_view dialer, std::string_view nonce) {
  return std::string(kPrefix).append("HELLO ").append(dialer).append(" ").append(nonce).append("\n");
}

std::string format_challenge(std::string_view acceptor, std::string_view nonce,
                             std::string_view proof) {
  return std::string(kPrefix)
      .append("CHALLENGE ")
      .append(acceptor)
      .append(" ")
      .append(nonce)
      .append(" ")
      .append(proof)
      .append("\n");
}

std::string format_proof(std::string_view proof) {
  return std::string(kPrefix).append("PROOF ").append(proof).append("\n");
}

std::string format_refused(std::string_view reason) {
  return std::string(kPrefix).append("REFUSED ").append(reason).append("\n");
}

}  // namespace herd::core
