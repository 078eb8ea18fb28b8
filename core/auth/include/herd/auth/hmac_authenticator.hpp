#pragma once
// The PeerAuthenticator of a real herd: proofs are HMAC-SHA256 under the herd's peer secret,
// checked with a constant-time comparison, and nonces are 16 bytes from OpenSSL's generator.
// A test or fuzz target may pass its own nonce source to make runs repeatable.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "herd/core/peer_handshake.hpp"

namespace herd::auth {

using NonceBytes = std::array<std::uint8_t, 16>;
using NonceSource = std::function<NonceBytes()>;

// 16 bytes from RAND_bytes; throws std::runtime_error if the generator fails.
[[nodiscard]] NonceBytes random_nonce();

class HmacAuthenticator final : public core::PeerAuthenticator {
 public:
  explicit HmacAuthenticator(std::string secret, NonceSource nonces = random_nonce);
  ~HmacAuthenticator() override;
  HmacAuthenticator(const HmacAuthenticator&) = delete;
  HmacAuthenticator& operator=(const HmacAuthenticator&) = delete;

  [[nodiscard]] std::string fresh_nonce() override;
  [[nodiscard]] std::string prove(std::string_view transcript) const override;
  [[nodiscard]] bool check(std::string_view transcript, std::string_view proof) const override;

 private:
  std::string secret_;
  NonceSource nonces_;
};

}  // namespace herd::auth
