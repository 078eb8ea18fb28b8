#include "herd/places/legacy_json.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

namespace json = boost::json;
using herd::places::to_pretty_json;

TEST_CASE("legacy json: pretty printer follows Google's legacy layout") {
  const json::value value =
      json::parse(R"({"a":[],"b":{},"c":[1,"x",true,null],"d":[{"e":1.5},{"f":[]}],"g":{"h":-2}})");
  CHECK(to_pretty_json(value) ==
        "{\n"
        "   \"a\" : [],\n"
        "   \"b\" : {},\n"
        "   \"c\" : [ 1, \"x\", true, null ],\n"
        "   \"d\" : [\n"
        "      {\n"
        "         \"e\" : 1.5\n"
        "      },\n"
        "      {\n"
        "         \"f\" : []\n"
        "      }\n"
        "   ],\n"
        "   \"g\" : {\n"
        "      \"h\" : -2\n"
        "   }\n"
        "}");
}

TEST_CASE("legacy json: numbers print shortest and round-trip") {
  const json::value value = json::parse(
      R"([34.06893, -118.445127, 1e-7, 12345678901234567890, -9007199254740993, 0.1, 2.0])");
  const std::string text = to_pretty_json(value);
  CHECK(text ==
        "[ 34.06893, -118.445127, 1e-07, 12345678901234567890, -9007199254740993, "
        "0.1, 2.0 ]");
  CHECK(json::parse(text) == value);
}

TEST_CASE("legacy json: strings are escaped per RFC 8259 and UTF-8 is kept") {
  std::string out;
  herd::places::append_json_string(out, std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é 中"));
  CHECK(out == "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f é 中\"");
  CHECK(json::parse(out).as_string() == std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é 中"));
}

TEST_CASE("legacy json: results answer lists places in order with status OK") {
  herd::places::LegacyPlace place;
  place.lat_deg = 1.25;
  place.lng_deg = -2.5;
  place.name = "A";
  place.place_id = "id-1";
  place.types = {"locality", "political"};
  place.vicinity = "V";
  const std::string text = herd::places::legacy_results_json({"attr"}, {place, place});
  const json::value answer = json::parse(text);
  CHECK(answer.as_object().size() == 3);
  CHECK(answer.at("status") == "OK");
  CHECK(answer.at("html_attributions") == json::parse(R"(["attr"])"));
  CHECK(answer.at("results").as_array().size() == 2);
  CHECK(answer.at("results").at(0) ==
        json::parse(R"({"geometry":{"location":{"lat":1.25,"lng":-2.5}},"name":"A",)"
                    R"("place_id":"id-1","types":["locality","political"],"vicinity":"V"})"));
  const json::value none = json::parse(herd::places::legacy_results_json({}, {}));
  CHECK(none == json::parse(R"({"html_attributions":[],"results":[],"status":"ZERO_RESULTS"})"));
}

TEST_CASE("legacy json: error answer has the documented shape") {
  const std::string text = herd::places::legacy_error_json("UNKNOWN_ERROR", "it \"broke\"");
  CHECK(text ==
        "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n"
        "   \"status\" : \"UNKNOWN_ERROR\",\n   \"error_message\" : \"it \\\"broke\\\"\"\n}");
}

TEST_CASE("legacy json: results writer lays out exactly like the pretty printer") {
  herd::places::LegacyPlace plain;
  plain.lat_deg = 34.0;
  plain.lng_deg = -118.445127;
  plain.name = "Plain \"quoted\" \xc3\xa9";
  plain.place_id = "gn-1";
  plain.types = {"locality", "political"};
  plain.vicinity = "California, US";
  herd::places::LegacyPlace bare;  // no types, empty strings, negative zero-ish values
  bare.lat_deg = -0.5;
  bare.lng_deg = 1e-9;
  for (const auto& attributions :
       {std::vector<std::string>{}, std::vector<std::string>{"a", "b"}}) {
    for (const auto& places :
         {std::vector<herd::places::LegacyPlace>{}, std::vector<herd::places::LegacyPlace>{plain},
          std::vector<herd::places::LegacyPlace>{plain, bare, plain}}) {
      const std::string text = herd::places::legacy_results_json(attributions, places);
      CHECK(text == to_pretty_json(json::parse(text)));
    }
  }
}
