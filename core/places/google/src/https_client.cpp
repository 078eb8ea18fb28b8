#include "https_client.hpp"

#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace herd::places::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// One request from resolve to response (Beast's do_x/on_x shape). Every handler runs on
// the session's strand, so the deadline and the I/O steps never race.
class HttpsSession : public std::enable_shared_from_this<HttpsSession> {
 public:
  HttpsSession(asio::io_context& io, std::shared_ptr<ssl::context> tls, HttpsRequest request,
               HttpsCallback done)
      : strand_(asio::make_strand(io)),
        tls_(std::move(tls)),
        resolver_(strand_),
        stream_(strand_, *tls_),
        deadline_(strand_),
        request_(std::move(request)),
        done_(std::move(done)) {
    parser_.body_limit(kMaxResponseBodyBytes);
  }

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->do_resolve(); });
  }

 private:
  std::string where() const { return request_.host + ":" + std::to_string(request_.port); }

  void do_resolve() {
    deadline_.expires_after(request_.timeout);
    deadline_.async_wait([self = shared_from_this()](error_code ec) { self->on_deadline(ec); });
    stage_ = "resolving " + request_.host;
    resolver_.async_resolve(
        request_.host, std::to_string(request_.port),
        [self = shared_from_this()](error_code ec, const tcp::resolver::results_type& results) {
          self->on_resolve(ec, results);
        });
  }

  void on_resolve(error_code ec, const tcp::resolver::results_type& results) {
    if (ec) return fail(ec);
    stage_ = "connecting to " + where();
    beast::get_lowest_layer(stream_).async_connect(
        results, [self = shared_from_this()](error_code ec2, const tcp::endpoint&) {
          self->on_connect(ec2);
        });
  }

  void on_connect(error_code ec) {
    if (ec) return fail(ec);
    stage_ = "TLS handshake with " + where();
    if (request_.verify_peer) {
      stream_.set_verify_mode(ssl::verify_peer);
      stream_.set_verify_callback(ssl::host_name_verification(request_.host));
    } else {
      stream_.set_verify_mode(ssl::verify_none);
    }
    // Servers that host many names pick the certificate by SNI; IP literals are not sent.
    if (!is_ip_literal(request_.host) &&
        SSL_set_tlsext_host_name(stream_.native_handle(), request_.host.c_str()) != 1) {
      return fail(error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
    }
    stream_.async_handshake(ssl::stream_base::client, [self = shared_from_this()](error_code ec2) {
      self->on_handshake(ec2);
    });
  }

  void on_handshake(error_code ec) {
    if (ec) return fail(ec);
    stage_ = "sending the request to " + where();
    auto& message = request_.message;
    message.set(http::field::host, request_.port == 443 ? request_.host : where());
    message.set(http::field::connection, "close");
    message.prepare_payload();
    http::async_write(stream_, message, [self = shared_from_this()](error_code ec2, std::size_t) {
      self->on_write(ec2);
    });
  }

  void on_write(error_code ec) {
    if (ec) return fail(ec);
    stage_ = "reading the response from " + where();
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](error_code ec2, std::size_t) { self->on_read(ec2); });
  }

  void on_read(error_code ec) {
    if (ec) return fail(ec);
    HttpsResponse response;
    response.status = parser_.get().result_int();
    response.body = std::move(parser_.get().body());
    finish(std::move(response));
  }

  void on_deadline(error_code ec) {
    if (ec == asio::error::operation_aborted || finished_) return;
    timed_out_ = true;
    // Closing makes the pending step complete with operation_aborted, which reports.
    resolver_.cancel();
    beast::get_lowest_layer(stream_).close();
  }

  void fail(error_code ec) {
    HttpsResponse response;
    if (timed_out_) {
      response.failure =
          "timed out after " + std::to_string(request_.timeout.count()) + " ms " + stage_;
    } else {
      response.failure = stage_ + " failed: " + ec.message();
    }
    finish(std::move(response));
  }

  void finish(HttpsResponse response) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    // No TLS close_notify: the request said Connection: close, and a peer that never
    // answers the shutdown must not hold us past the deadline.
    beast::get_lowest_layer(stream_).close();
    auto done = std::move(done_);
    done(std::move(response));
  }

  asio::strand<asio::io_context::executor_type> strand_;
  std::shared_ptr<ssl::context> tls_;
  tcp::resolver resolver_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  asio::steady_timer deadline_;
  HttpsRequest request_;
  HttpsCallback done_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  std::string stage_;
  bool timed_out_ = false;
  bool finished_ = false;
};

}  // namespace

void async_https_request(asio::io_context& io, std::shared_ptr<ssl::context> tls,
                         HttpsRequest request, HttpsCallback done) {
  std::make_shared<HttpsSession>(io, std::move(tls), std::move(request), std::move(done))->start();
}

}  // namespace herd::places::detail
