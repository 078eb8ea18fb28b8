#include "herd/live/tls.hpp"

#include <string>

#include <boost/system/system_error.hpp>

namespace herd::live {
namespace {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> base_context(const TlsSettings& settings) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls);
  // TLS 1.2 at least; no compression; a new key per connection.
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::no_compression | ssl::context::single_dh_use);
  const auto use = [](const char* what, const std::filesystem::path& file, auto&& load) {
    try {
      load();
    } catch (const boost::system::system_error& e) {
      throw TlsError(file.string() + ": cannot use it as the TLS " + what + ": " +
                     e.code().message());
    }
  };
  use("certificate chain (PEM)", settings.cert,
      [&] { context->use_certificate_chain_file(settings.cert.string()); });
  use("private key (PEM)", settings.key,
      [&] { context->use_private_key_file(settings.key.string(), ssl::context::pem); });
  return context;
}

}  // namespace

std::shared_ptr<ssl::context> make_peer_tls_context(const TlsSettings& settings) {
  auto context = base_context(settings);
  try {
    context->load_verify_file(settings.ca.string());
  } catch (const boost::system::system_error& e) {
    throw TlsError(settings.ca.string() + ": cannot use it as the TLS CA certificate (PEM): " +
                   e.code().message());
  }
  context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  return context;
}

std::shared_ptr<ssl::context> make_client_tls_context(const TlsSettings& settings) {
  auto context = base_context(settings);
  context->set_verify_mode(ssl::verify_none);
  return context;
}

}  // namespace herd::live
