#pragma once
// A fake Google Places endpoint for tests: an HTTPS server on 127.0.0.1 with an ephemeral
// port and a self-signed certificate generated at start-up (OpenSSL API), trusted by
// clients through ca_file(). It records every request and answers with what the test's
// responder returns.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herd::places::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct FakeResponse {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json; charset=UTF-8";
  int delay_ms = 0;           // wait before answering
  bool never_answer = false;  // hold the connection open without answering
};

// A self-signed certificate (SAN IP:127.0.0.1, DNS:localhost) and its key, both PEM.
struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};
[[nodiscard]] TestCertificate make_self_signed_certificate();

class FakeHttpsServer {
 public:
  using Responder = std::function<FakeResponse(const RecordedRequest&)>;

  explicit FakeHttpsServer(Responder responder);
  ~FakeHttpsServer();
  FakeHttpsServer(const FakeHttpsServer&) = delete;
  FakeHttpsServer& operator=(const FakeHttpsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  // A PEM file holding the server's certificate, for GoogleOptions::ca_file.
  [[nodiscard]] std::string ca_file() const;
  [[nodiscard]] std::vector<RecordedRequest> requests() const;
  // The most connections that were open at the same time.
  [[nodiscard]] int max_concurrent_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A loopback port that nothing listens on (bound, then released).
[[nodiscard]] std::uint16_t unused_loopback_port();

}  // namespace herd::places::testing
