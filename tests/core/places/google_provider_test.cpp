#include "herd/places/google_provider.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "fake_https_server.hpp"
#include "herd/places/google_translate.hpp"

namespace {

namespace json = boost::json;
using herd::places::GoogleApi;
using herd::places::GoogleOptions;
using herd::places::NearbyQuery;
using herd::places::testing::FakeHttpsServer;
using herd::places::testing::FakeResponse;
using herd::places::testing::RecordedRequest;

constexpr NearbyQuery kUcla{34.068930, -118.445127, 10000, 5};
// Every test's io_context runs at most this long, so nothing can hang the suite.
constexpr auto kRunLimit = std::chrono::seconds(15);

GoogleOptions options_for(const FakeHttpsServer& server, GoogleApi api = GoogleApi::places_new) {
  GoogleOptions options;
  options.api_key = "test-key";
  options.api = api;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.ca_file = server.ca_file();
  options.timeout_ms = 5000;
  return options;
}

// Runs the queries through a fresh provider and returns the answers in completion order.
std::vector<json::value> ask(const GoogleOptions& options,
                             const std::vector<NearbyQuery>& queries) {
  boost::asio::io_context io;
  auto provider = herd::places::make_google_provider(io, options);
  std::vector<json::value> answers;
  for (const auto& query : queries) {
    provider->nearby(query, [&](std::string text) { answers.push_back(json::parse(text)); });
  }
  io.run_for(kRunLimit);
  REQUIRE(answers.size() == queries.size());
  return answers;
}

json::value ask_one(const GoogleOptions& options, const NearbyQuery& query = kUcla) {
  return ask(options, {query}).at(0);
}

FakeResponse json_reply(std::string body, unsigned status = 200) {
  FakeResponse reply;
  reply.status = status;
  reply.body = std::move(body);
  return reply;
}

const char* const kNewApiAnswer = R"({
  "places": [
    {"id": "ChIJ-first", "types": ["university", "point_of_interest", "establishment"],
     "formattedAddress": "Los Angeles, CA 90095, USA", "shortFormattedAddress": "Westwood",
     "location": {"latitude": 34.068921, "longitude": -118.4451811},
     "displayName": {"text": "University of California, Los Angeles", "languageCode": "en"}},
    {"id": "ChIJ-second", "types": ["cafe"], "formattedAddress": "Long form only",
     "location": {"latitude": 34.07, "longitude": -118.44},
     "displayName": {"text": "Caf\u00e9 \"Quote\"", "languageCode": "fr"}},
    {"id": "ChIJ-third", "location": {"latitude": 34, "longitude": -118},
     "displayName": {"text": "Third"}}
  ]
})";

}  // namespace

TEST_CASE("google: New API request carries key, field mask, centre and radius in metres") {
  FakeHttpsServer server([](const RecordedRequest&) { return json_reply("{}"); });
  (void)ask_one(options_for(server));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const auto& request = requests[0];
  CHECK(request.method == "POST");
  CHECK(request.target == "/v1/places:searchNearby");
  CHECK(request.headers.at("x-goog-api-key") == "test-key");
  CHECK(request.headers.at("x-goog-fieldmask") ==
        "places.id,places.displayName,places.location,places.types,"
        "places.shortFormattedAddress,places.formattedAddress");
  CHECK(request.headers.at("content-type") == "application/json");
  CHECK(request.headers.at("host") == "127.0.0.1:" + std::to_string(server.port()));
  const json::value body = json::parse(request.body);
  const auto& circle = body.at("locationRestriction").at("circle");
  CHECK(circle.at("center").at("latitude").as_double() == 34.068930);
  CHECK(circle.at("center").at("longitude").as_double() == -118.445127);
  CHECK(circle.at("radius").to_number<double>() == 10000.0);
  CHECK(body.at("maxResultCount") == 5);
  CHECK(body.at("rankPreference") == "DISTANCE");
}

TEST_CASE("google: New API answer is translated into the legacy shape, capped at the bound") {
  FakeHttpsServer server([](const RecordedRequest&) { return json_reply(kNewApiAnswer); });
  NearbyQuery query = kUcla;
  const json::value answer = ask_one(options_for(server), query);
  CHECK(answer.at("status") == "OK");
  CHECK(answer.at("html_attributions").as_array().empty());
  const auto& results = answer.at("results").as_array();
  REQUIRE(results.size() == 3);
  CHECK(results[0] == json::parse(R"({
      "geometry": {"location": {"lat": 34.068921, "lng": -118.4451811}},
      "name": "University of California, Los Angeles", "place_id": "ChIJ-first",
      "types": ["university", "point_of_interest", "establishment"], "vicinity": "Westwood"})"));
  CHECK(results[1].at("name") == "Café \"Quote\"");
  CHECK(results[1].at("vicinity") == "Long form only");  // no short address: the long one
  CHECK(results[2].at("types").as_array().empty());
  CHECK(results[2].at("vicinity") == "");
  CHECK(results[2].at("geometry").at("location").at("lat").to_number<double>() == 34.0);

  query.limit = 2;
  const json::value capped = ask_one(options_for(server), query);
  CHECK(capped.at("results").as_array().size() == 2);
  CHECK(json::parse(server.requests().back().body).at("maxResultCount") == 2);
}

TEST_CASE("google: New API answer with no places is ZERO_RESULTS") {
  FakeHttpsServer server([](const RecordedRequest&) { return json_reply("{}"); });
  const json::value answer = ask_one(options_for(server));
  CHECK(answer == json::parse(R"({"html_attributions":[],"results":[],"status":"ZERO_RESULTS"})"));
}

TEST_CASE("google: legacy flavour sends a GET and passes the answer through") {
  FakeHttpsServer server([](const RecordedRequest&) {
    return json_reply(R"({"html_attributions": ["Listings by <b>X</b>"], "next_page_token": "t",
      "results": [
        {"geometry": {"location": {"lat": 34.07, "lng": -118.44}}, "name": "One",
         "place_id": "p1", "rating": 4.5, "types": ["cafe"], "vicinity": "Here"},
        {"geometry": {"location": {"lat": 34.08, "lng": -118.45}}, "name": "Two",
         "place_id": "p2", "types": ["bar"], "vicinity": "There"},
        {"geometry": {"location": {"lat": 34.09, "lng": -118.46}}, "name": "Three",
         "place_id": "p3", "types": ["bar"], "vicinity": "Yonder"}],
      "status": "OK"})");
  });
  GoogleOptions options = options_for(server, GoogleApi::legacy);
  options.api_key = "k+y/=&?";
  NearbyQuery query = kUcla;
  query.limit = 2;
  const json::value answer = ask_one(options, query);
  REQUIRE(server.requests().size() == 1);
  const RecordedRequest request = server.requests().at(0);
  CHECK(request.method == "GET");
  CHECK(request.target ==
        "/maps/api/place/nearbysearch/json?location=34.06893,-118.445127&radius=10000"
        "&key=k%2By%2F%3D%26%3F");
  CHECK(request.headers.count("x-goog-api-key") == 0);
  CHECK(answer.at("status") == "OK");
  CHECK(answer.at("html_attributions") == json::parse(R"(["Listings by <b>X</b>"])"));
  const auto& results = answer.at("results").as_array();
  REQUIRE(results.size() == 2);
  CHECK(results[0].at("rating") == 4.5);  // fields we do not know pass through
  CHECK(results[1].at("name") == "Two");
  CHECK(answer.as_object().if_contains("next_page_token") == nullptr);
}

TEST_CASE("google: HTTP 500 is answered UNKNOWN_ERROR naming the status") {
  FakeHttpsServer server(
      [](const RecordedRequest&) { return json_reply("<html>Internal Server Error</html>", 500); });
  const json::value answer = ask_one(options_for(server));
  CHECK(answer.at("status") == "UNKNOWN_ERROR");
  CHECK(answer.at("results").as_array().empty());
  CHECK(answer.at("html_attributions").as_array().empty());
  const std::string message(answer.at("error_message").as_string());
  CHECK(message.find("HTTP 500") != std::string::npos);
  CHECK(message.find("Internal Server Error") != std::string::npos);
}

TEST_CASE("google: malformed bodies are answered UNKNOWN_ERROR") {
  for (const char* body : {"{\"places\": [", "[1, 2]", "{\"places\": 7}",
                           "{\"places\": [{\"id\": \"no-location\"}]}"}) {
    FakeHttpsServer server([body](const RecordedRequest&) { return json_reply(body); });
    const json::value answer = ask_one(options_for(server));
    INFO(body);
    CHECK(answer.at("status") == "UNKNOWN_ERROR");
    CHECK_FALSE(answer.at("error_message").as_string().empty());
  }
  FakeHttpsServer legacy([](const RecordedRequest&) { return json_reply(R"({"results": []})"); });
  const json::value answer = ask_one(options_for(legacy, GoogleApi::legacy));
  CHECK(answer.at("status") == "UNKNOWN_ERROR");
  CHECK(answer.at("error_message").as_string().find("no status") != json::string::npos);
}

TEST_CASE("google: Google's own REQUEST_DENIED passes through") {
  FakeHttpsServer legacy([](const RecordedRequest&) {
    return json_reply(R"({"error_message": "The provided API key is invalid.",
                          "html_attributions": [], "results": [], "status": "REQUEST_DENIED"})");
  });
  const json::value denied = ask_one(options_for(legacy, GoogleApi::legacy));
  CHECK(denied.at("status") == "REQUEST_DENIED");
  CHECK(denied.at("error_message") == "The provided API key is invalid.");

  FakeHttpsServer places_new([](const RecordedRequest&) {
    return json_reply(
        R"({"error": {"code": 403, "message": "API key not valid. Please pass a valid API key.",
                                    "status": "PERMISSION_DENIED"}})",
        403);
  });
  const json::value answer = ask_one(options_for(places_new));
  CHECK(answer.at("status") == "REQUEST_DENIED");
  const std::string message(answer.at("error_message").as_string());
  CHECK(message.find("HTTP 403 PERMISSION_DENIED: API key not valid") != std::string::npos);

  FakeHttpsServer invalid([](const RecordedRequest&) {
    return json_reply(
        R"({"error": {"code": 400, "message": "radius too big", "status": "INVALID_ARGUMENT"}})",
        400);
  });
  CHECK(ask_one(options_for(invalid)).at("status") == "INVALID_REQUEST");
}

TEST_CASE("google: a server that never answers times out with UNKNOWN_ERROR") {
  FakeHttpsServer server([](const RecordedRequest&) {
    FakeResponse reply;
    reply.never_answer = true;
    return reply;
  });
  GoogleOptions options = options_for(server);
  options.timeout_ms = 1000;  // ample for the TLS handshake even on a loaded machine
  const json::value answer = ask_one(options);
  CHECK(answer.at("status") == "UNKNOWN_ERROR");
  const std::string message(answer.at("error_message").as_string());
  CHECK(message.find("timed out after 1000 ms reading the response") != std::string::npos);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("google: connection refused is answered UNKNOWN_ERROR") {
  GoogleOptions options;
  options.api_key = "test-key";
  options.host = "127.0.0.1";
  options.port = herd::places::testing::unused_loopback_port();
  options.timeout_ms = 3000;
  const json::value answer = ask_one(options);
  CHECK(answer.at("status") == "UNKNOWN_ERROR");
  const std::string message(answer.at("error_message").as_string());
  CHECK(message.find("connecting to 127.0.0.1:") != std::string::npos);
  CHECK(message.find("refused") != std::string::npos);
}

TEST_CASE("google: a certificate that is not trusted fails the TLS handshake") {
  FakeHttpsServer server([](const RecordedRequest&) { return json_reply("{}"); });
  GoogleOptions options = options_for(server);
  options.ca_file.clear();  // the system's CAs do not know our self-signed certificate
  const json::value answer = ask_one(options);
  CHECK(answer.at("status") == "UNKNOWN_ERROR");
  const std::string message(answer.at("error_message").as_string());
  CHECK(message.find("TLS handshake") != std::string::npos);
  CHECK(message.find("certificate verify failed") != std::string::npos);
  CHECK(server.requests().empty());
}

TEST_CASE("google: requests beyond max_concurrent_requests wait their turn") {
  FakeHttpsServer server([](const RecordedRequest&) {
    FakeResponse reply = json_reply(kNewApiAnswer);
    reply.delay_ms = 30;
    return reply;
  });
  GoogleOptions options = options_for(server);
  options.max_concurrent_requests = 1;
  const auto answers = ask(options, {kUcla, kUcla, kUcla, kUcla});
  for (const auto& answer : answers) CHECK(answer.at("status") == "OK");
  CHECK(server.requests().size() == 4);
  CHECK(server.max_concurrent_connections() == 1);

  options.max_concurrent_requests = 1;
  options.max_queued_requests = 1;
  const auto overflow = ask(options, {kUcla, kUcla, kUcla});
  int rejected = 0;
  for (const auto& answer : overflow) rejected += answer.at("status") == "UNKNOWN_ERROR";
  CHECK(rejected == 1);
}

TEST_CASE("google: an invalid query is answered INVALID_REQUEST without asking Google") {
  FakeHttpsServer server([](const RecordedRequest&) { return json_reply("{}"); });
  boost::asio::io_context io;
  auto provider = herd::places::make_google_provider(io, options_for(server));
  std::vector<std::string> answers;
  provider->nearby({95.0, 0.0, 1000, 5}, [&](std::string text) { answers.push_back(text); });
  CHECK(answers.empty());  // never called back inside nearby()
  io.run_for(kRunLimit);
  REQUIRE(answers.size() == 1);
  CHECK(json::parse(answers[0]).at("status") == "INVALID_REQUEST");
  CHECK(server.requests().empty());
}

TEST_CASE("google: unusable options are refused when the provider is made") {
  boost::asio::io_context io;
  GoogleOptions options;
  CHECK_THROWS_WITH(herd::places::make_google_provider(io, options),
                    Catch::Contains("api key is empty"));
  options.api_key = "k";
  options.timeout_ms = 0;
  CHECK_THROWS_AS(herd::places::make_google_provider(io, options), std::invalid_argument);
  options.timeout_ms = 1000;
  options.ca_file = "no/such/ca.pem";
  CHECK_THROWS_WITH(herd::places::make_google_provider(io, options),
                    Catch::Contains("no/such/ca.pem"));
  CHECK(herd::places::parse_google_api("new") == GoogleApi::places_new);
  CHECK(herd::places::parse_google_api("legacy") == GoogleApi::legacy);
  CHECK_THROWS_WITH(herd::places::parse_google_api("old"), Catch::Contains("'old'"));
}
