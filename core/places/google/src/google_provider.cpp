#include "herd/places/google_provider.hpp"

#include <chrono>
#include <deque>
#include <stdexcept>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/system/system_error.hpp>

#include "herd/places/google_translate.hpp"
#include "herd/places/legacy_json.hpp"
#include "herd/places/nearby_query.hpp"
#include "https_client.hpp"

namespace herd::places {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ssl = asio::ssl;

constexpr std::string_view kUserAgent = "herd-places/1";

std::shared_ptr<ssl::context> make_tls_context(const GoogleOptions& options) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (!options.verify_tls) return tls;
  try {
    if (options.ca_file.empty()) {
      tls->set_default_verify_paths();
    } else {
      tls->load_verify_file(options.ca_file);
    }
  } catch (const boost::system::system_error& error) {
    const std::string what = options.ca_file.empty() ? std::string("system CA certificates")
                                                     : "ca_file " + options.ca_file;
    throw std::runtime_error("Google places provider: cannot load " + what + ": " +
                             error.code().message());
  }
  return tls;
}

void check_options(const GoogleOptions& options) {
  const auto reject = [](const std::string& why) {
    throw std::invalid_argument("Google places provider: " + why);
  };
  if (options.api_key.empty()) reject("api key is empty");
  if (options.timeout_ms <= 0) reject("timeout_ms must be positive");
  if (options.max_concurrent_requests <= 0) reject("max_concurrent_requests must be positive");
  if (options.port == 0) reject("port must be 1..65535");
}

struct Pending {
  NearbyQuery query;
  NearbyCallback done;
};

// Everything a request in flight needs; shared so that requests outlive the provider.
// All members below `strand` are touched only on it.
class GoogleState : public std::enable_shared_from_this<GoogleState> {
 public:
  GoogleState(asio::io_context& io, GoogleOptions options)
      : io_(io),
        strand_(asio::make_strand(io)),
        tls_(make_tls_context(options)),
        options_(std::move(options)) {
    if (options_.host.empty()) {
      options_.host =
          options_.api == GoogleApi::places_new ? kNewApiDefaultHost : kLegacyApiDefaultHost;
    }
  }

  void submit(Pending pending) {
    asio::post(strand_, [self = shared_from_this(), pending = std::move(pending)]() mutable {
      self->admit(std::move(pending));
    });
  }

 private:
  void admit(Pending pending) {
    if (active_ < options_.max_concurrent_requests) return start(std::move(pending));
    if (queue_.size() < options_.max_queued_requests) {
      queue_.push_back(std::move(pending));
      return;
    }
    pending.done(legacy_error_json("UNKNOWN_ERROR",
                                   "too many Google Places requests waiting (" +
                                       std::to_string(options_.max_queued_requests) + " queued)"));
  }

  void start(Pending pending) {
    ++active_;
    detail::async_https_request(
        io_, tls_, make_request(pending.query),
        [self = shared_from_this(),
         pending = std::move(pending)](detail::HttpsResponse response) mutable {
          asio::post(self->strand_, [self, pending = std::move(pending),
                                     response = std::move(response)]() mutable {
            self->finish(std::move(pending), std::move(response));
          });
        });
  }

  void finish(Pending pending, detail::HttpsResponse response) {
    --active_;
    std::string json;
    if (!response.failure.empty()) {
      json =
          legacy_error_json("UNKNOWN_ERROR", "Google Places request failed: " + response.failure);
    } else if (options_.api == GoogleApi::places_new) {
      json = translate_new_api_answer(response.status, response.body, pending.query.limit);
    } else {
      json = translate_legacy_api_answer(response.status, response.body, pending.query.limit);
    }
    // Start the next waiting request before calling back, so a slow callback delays nobody.
    if (!queue_.empty()) {
      Pending next = std::move(queue_.front());
      queue_.pop_front();
      start(std::move(next));
    }
    pending.done(std::move(json));
  }

  detail::HttpsRequest make_request(const NearbyQuery& query) const {
    detail::HttpsRequest request;
    request.host = options_.host;
    request.port = options_.port;
    request.verify_peer = options_.verify_tls;
    request.timeout = std::chrono::milliseconds(options_.timeout_ms);
    auto& message = request.message;
    message.version(11);
    message.set(http::field::user_agent, kUserAgent);
    message.set(http::field::accept, "application/json");
    if (options_.api == GoogleApi::places_new) {
      message.method(http::verb::post);
      message.target(kNewApiPath);
      message.set(http::field::content_type, "application/json");
      message.set("X-Goog-Api-Key", options_.api_key);
      message.set("X-Goog-FieldMask", kNewApiFieldMask);
      message.body() = new_api_request_body(query);
    } else {
      message.method(http::verb::get);
      message.target(legacy_api_target(query, options_.api_key));
    }
    return request;
  }

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::shared_ptr<ssl::context> tls_;
  GoogleOptions options_;
  int active_ = 0;
  std::deque<Pending> queue_;
};

class GoogleProvider final : public PlacesProvider {
 public:
  GoogleProvider(asio::io_context& io, GoogleOptions options)
      : io_(io), state_(std::make_shared<GoogleState>(io, std::move(options))) {}

  void nearby(const NearbyQuery& query, NearbyCallback done) override {
    if (auto problem = query_error(query)) {
      asio::post(io_, [done = std::move(done), problem = std::move(*problem)] {
        done(legacy_error_json("INVALID_REQUEST", problem));
      });
      return;
    }
    state_->submit(Pending{query, std::move(done)});
  }

 private:
  asio::io_context& io_;
  std::shared_ptr<GoogleState> state_;
};

}  // namespace

GoogleApi parse_google_api(std::string_view name) {
  if (name == "new") return GoogleApi::places_new;
  if (name == "legacy") return GoogleApi::legacy;
  throw std::invalid_argument("Google places api '" + std::string(name) +
                              "' is not one of \"new\", \"legacy\"");
}

std::unique_ptr<PlacesProvider> make_google_provider(asio::io_context& io, GoogleOptions options) {
  check_options(options);
  return std::make_unique<GoogleProvider>(io, std::move(options));
}

}  // namespace herd::places
