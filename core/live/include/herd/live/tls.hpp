#pragma once
// TLS for friends' links and for the client port (docs/protocol.md#tls), off unless the herd
// config's [tls] table turns it on. Friends' links are mutually authenticated: each side shows
// a certificate signed by the herd's CA and checks the other's. The client port shows the
// server's certificate and asks clients for none.

#include <memory>
#include <stdexcept>

#include <boost/asio/ssl/context.hpp>

#include "herd/live/config.hpp"

namespace herd::live {

class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// For both ends of friends' links: this server's certificate and key, the CA that must have
// signed every friend's certificate, and a friend without one refused. Throws TlsError naming
// the file that could not be used and why.
[[nodiscard]] std::shared_ptr<boost::asio::ssl::context> make_peer_tls_context(
    const TlsSettings& settings);

// For the client port: this server's certificate and key; clients show no certificate.
[[nodiscard]] std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(
    const TlsSettings& settings);

}  // namespace herd::live
