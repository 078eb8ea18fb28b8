#include "fake_https_server.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "herd_test/temp_dir.hpp"

namespace herd::places::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// The longest a "never answer" connection is held; the test's client times out far sooner.
constexpr auto kHoldLimit = std::chrono::seconds(30);

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* pointer) const noexcept { Free(pointer); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  ExtPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  require(extension != nullptr, "X509V3_EXT_conf_nid");
  require(X509_add_ext(cert, extension.get(), -1) == 1, "X509_add_ext");
}

}  // namespace

TestCertificate make_self_signed_certificate() {
  KeyPtr key(EVP_EC_gen("P-256"));
  require(key != nullptr, "EVP_EC_gen");
  CertPtr cert(X509_new());
  require(cert != nullptr, "X509_new");
  require(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  require(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1, "serial");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  require(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* common_name = reinterpret_cast<const unsigned char*>("herd places test server");
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, common_name, -1, -1, 0) == 1,
          "subject");
  require(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  require(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM_write_bio_X509");
  require(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                   nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  return {bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

struct FakeHttpsServer::Impl {
  explicit Impl(Responder respond) : responder(std::move(respond)) {}

  // Declared first so that it outlives io's pending coroutines, whose streams use it.
  ssl::context tls{ssl::context::tls_server};
  herd::testing::TempDir dir{"herd-places-test"};
  std::string ca_path;
  Responder responder;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  mutable std::mutex mutex;  // guards the three below
  std::vector<RecordedRequest> requests;
  int open_connections = 0;
  int max_open_connections = 0;

  void connection_opened() {
    const std::lock_guard lock(mutex);
    max_open_connections = std::max(max_open_connections, ++open_connections);
  }
  void connection_closed() {
    const std::lock_guard lock(mutex);
    --open_connections;
  }

  asio::awaitable<void> accept_loop() {
    while (true) {
      tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    connection_opened();
    try {
      co_await answer(std::move(socket));
    } catch (const std::exception&) {
      // A client that gave up (timeout, failed verification) is expected here.
    }
    connection_closed();
  }

  asio::awaitable<void> answer(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    co_await stream.async_handshake(ssl::stream_base::server, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    co_await http::async_read(stream, buffer, request, asio::use_awaitable);

    RecordedRequest recorded;
    recorded.method = std::string(request.method_string());
    recorded.target = std::string(request.target());
    for (const auto& field : request) {
      std::string field_name(field.name_string());
      std::transform(field_name.begin(), field_name.end(), field_name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      recorded.headers[field_name] = std::string(field.value());
    }
    recorded.body = request.body();
    {
      const std::lock_guard lock(mutex);
      requests.push_back(recorded);
    }
    const FakeResponse reply = responder(recorded);

    asio::steady_timer timer(io);
    if (reply.never_answer || reply.delay_ms > 0) {
      timer.expires_after(reply.never_answer ? std::chrono::milliseconds(kHoldLimit)
                                             : std::chrono::milliseconds(reply.delay_ms));
      co_await timer.async_wait(asio::use_awaitable);
      if (reply.never_answer) co_return;
    }
    http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
    response.set(http::field::content_type, reply.content_type);
    response.keep_alive(false);
    response.body() = reply.body;
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::use_awaitable);
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
};

FakeHttpsServer::FakeHttpsServer(Responder responder)
    : impl_(std::make_unique<Impl>(std::move(responder))) {
  const TestCertificate certificate = make_self_signed_certificate();
  impl_->tls.use_certificate_chain(asio::buffer(certificate.cert_pem));
  impl_->tls.use_private_key(asio::buffer(certificate.key_pem), ssl::context::pem);
  impl_->ca_path = (impl_->dir.path() / "ca.pem").string();
  std::ofstream(impl_->ca_path) << certificate.cert_pem;

  const tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(loopback.protocol());
  impl_->acceptor.bind(loopback);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

FakeHttpsServer::~FakeHttpsServer() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t FakeHttpsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string FakeHttpsServer::ca_file() const { return impl_->ca_path; }

std::vector<RecordedRequest> FakeHttpsServer::requests() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

int FakeHttpsServer::max_concurrent_connections() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->max_open_connections;
}

std::uint16_t unused_loopback_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

}  // namespace herd::places::testing
