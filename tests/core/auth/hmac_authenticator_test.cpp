#include "herd/auth/hmac_authenticator.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <set>
#include <string>

using herd::auth::HmacAuthenticator;
using herd::auth::NonceBytes;

TEST_CASE("hmac authenticator: proofs are HMAC-SHA256 in lowercase hex (RFC 4231 case 2)") {
  // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
  const HmacAuthenticator auth("Jefe");
  const std::string data = "what do ya want for nothing?";
  const std::string expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  CHECK(auth.prove(data) == expected);
  CHECK(auth.check(data, expected));
}

TEST_CASE("hmac authenticator: a proof under another secret, or of another text, fails") {
  const HmacAuthenticator ours("s3cret");
  const HmacAuthenticator theirs("s3cres");
  const std::string proof = ours.prove("herd-2 dialer\nBona\nClark\nn1\nn2");
  CHECK(ours.check("herd-2 dialer\nBona\nClark\nn1\nn2", proof));
  CHECK_FALSE(theirs.check("herd-2 dialer\nBona\nClark\nn1\nn2", proof));
  CHECK_FALSE(ours.check("herd-2 dialer\nBona\nClark\nn1\nn3", proof));
  // The last digit changed, an upper-case copy, a short one, and one with a non-hex digit.
  std::string flipped = proof;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  CHECK_FALSE(ours.check("herd-2 dialer\nBona\nClark\nn1\nn2", flipped));
  std::string upper = proof;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != proof) CHECK_FALSE(ours.check("herd-2 dialer\nBona\nClark\nn1\nn2", upper));
  CHECK_FALSE(ours.check("herd-2 dialer\nBona\nClark\nn1\nn2", proof.substr(1)));
  std::string bad_digit = proof;
  bad_digit[0] = 'g';
  CHECK_FALSE(ours.check("herd-2 dialer\nBona\nClark\nn1\nn2", bad_digit));
}

TEST_CASE("hmac authenticator: nonces are 32 hex digits and do not repeat") {
  HmacAuthenticator auth("s3cret");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string nonce = auth.fresh_nonce();
    REQUIRE(nonce.size() == 32);
    CHECK(nonce.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(seen.insert(nonce).second);
  }
}

TEST_CASE("hmac authenticator: a supplied nonce source is used as given") {
  HmacAuthenticator auth("s3cret", [] {
    NonceBytes bytes{};
    bytes[0] = 0xab;
    bytes[15] = 0x01;
    return bytes;
  });
  CHECK(auth.fresh_nonce() == "ab000000000000000000000000000001");
}
