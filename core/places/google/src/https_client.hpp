#pragma once
// Internal: one HTTPS request/response over a fresh TLS connection, asynchronous on an
// io_context, bounded by a single deadline that covers resolve, connect, handshake, write
// and read. The Google provider builds on it; it knows nothing of places.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace herd::places::detail {

struct HttpsRequest {
  std::string host;
  std::uint16_t port = 443;
  bool verify_peer = true;  // certificate chain and host name
  std::chrono::milliseconds timeout{5000};
  boost::beast::http::request<boost::beast::http::string_body> message;
};

struct HttpsResponse {
  std::string failure;  // empty on success, else what went wrong, for an error_message
  unsigned status = 0;  // HTTP status when a response arrived
  std::string body;
};

using HttpsCallback = std::function<void(HttpsResponse)>;

// Bodies above this are refused: a Nearby Search answer of 20 places is a few kilobytes.
inline constexpr std::uint64_t kMaxResponseBodyBytes = 4u << 20;

// Sends request.message (Host, Content-Length and Connection: close are filled in) and
// calls `done` exactly once, on a strand of `io`, with the response or the failure. The
// request keeps `tls` alive until it is done.
void async_https_request(boost::asio::io_context& io,
                         std::shared_ptr<boost::asio::ssl::context> tls, HttpsRequest request,
                         HttpsCallback done);

}  // namespace herd::places::detail
