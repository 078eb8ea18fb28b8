#include "herd/auth/hmac_authenticator.hpp"

#include <stdexcept>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace herd::auth {
namespace {

using Digest = std::array<unsigned char, 32>;

Digest hmac_sha256(std::string_view key, std::string_view message) {
  Digest digest{};
  unsigned int length = 0;
  // An empty key is a valid HMAC key; OpenSSL wants a non-null pointer for it.
  static const unsigned char kNoKey = 0;
  const void* key_data = key.empty() ? &kNoKey : static_cast<const void*>(key.data());
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
           &length) == nullptr ||
      length != digest.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return digest;
}

template <std::size_t N>
std::string to_hex(const std::array<unsigned char, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * N);
  for (const unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

NonceBytes random_nonce() {
  NonceBytes nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: no entropy for a greeting nonce");
  }
  return nonce;
}

HmacAuthenticator::HmacAuthenticator(std::string secret, NonceSource nonces)
    : secret_(std::move(secret)), nonces_(std::move(nonces)) {}

HmacAuthenticator::~HmacAuthenticator() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

std::string HmacAuthenticator::fresh_nonce() {
  return to_hex(nonces_());
}

std::string HmacAuthenticator::prove(std::string_view transcript) const {
  return to_hex(hmac_sha256(secret_, transcript));
}

bool HmacAuthenticator::check(std::string_view transcript, std::string_view proof) const {
  if (proof.size() != core::kProofHexDigits) return false;
  // Decoded first, so the comparison is over fixed-size digests; a malformed digit makes the
  // check fail only after the full comparison ran.
  Digest claimed{};
  bool well_formed = true;
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    const int high = hex_value(proof[2 * i]);
    const int low = hex_value(proof[2 * i + 1]);
    well_formed = well_formed && high >= 0 && low >= 0;
    claimed[i] = static_cast<unsigned char>(((high & 0xf) << 4) | (low & 0xf));
  }
  const Digest expected = hmac_sha256(secret_, transcript);
  const bool equal = CRYPTO_memcmp(expected.data(), claimed.data(), expected.size()) == 0;
  return equal && well_formed;
}

}  // namespace herd::auth
