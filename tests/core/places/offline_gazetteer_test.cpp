#include "herd/places/offline_gazetteer.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "herd/places/geo.hpp"
#include "herd/places/places_db.hpp"
#include "herd_test/temp_dir.hpp"

namespace {

namespace json = boost::json;
using herd::places::NearbyPlace;
using herd::places::NearbyQuery;
using herd::places::OfflineGazetteer;
using herd::testing::TempDir;

constexpr NearbyQuery kUcla10km{34.068930, -118.445127, 10000, 20};

// The database the build made from data/places/geonames-cities.tsv, opened once.
const OfflineGazetteer& geonames() {
  static const OfflineGazetteer gazetteer(HERD_DEFAULT_PLACES_DB);
  return gazetteer;
}

std::vector<std::string> names_of(const std::vector<NearbyPlace>& places) {
  std::vector<std::string> names;
  for (const auto& found : places) names.push_back(found.place.name);
  return names;
}

std::filesystem::path write_tsv(const TempDir& dir, const std::string& rows,
                                const std::string& file = "places.tsv") {
  return dir.write(file, "# test places\n" + rows);
}

struct TsvRow {
  std::string name;
  double lat_deg = 0;
  double lng_deg = 0;
};

// Every row of the shipped TSV, for brute-force comparison.
const std::vector<TsvRow>& all_rows() {
  static const std::vector<TsvRow> rows = [] {
    std::vector<TsvRow> out;
    std::ifstream in(HERD_PLACES_TSV);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto t1 = line.find('\t');
      const auto t2 = line.find('\t', t1 + 1);
      const auto t3 = line.find('\t', t2 + 1);
      out.push_back({line.substr(0, t1), std::stod(line.substr(t1 + 1, t2 - t1 - 1)),
                     std::stod(line.substr(t2 + 1, t3 - t2 - 1))});
    }
    return out;
  }();
  return rows;
}

}  // namespace

TEST_CASE("offline: shipped gazetteer holds the GeoNames places with its source note") {
  CHECK(geonames().size() == all_rows().size());
  CHECK(geonames().size() > 170000);
  CHECK(geonames().source_note().find("CC-BY-4.0") != std::string::npos);
  CHECK(geonames().source_note().find("GeoNames, geonames.org") != std::string::npos);
}

TEST_CASE("offline: 10 km around UCLA finds the Westside cities, nearest first") {
  const auto found = geonames().nearby(kUcla10km);
  const auto names = names_of(found);
  REQUIRE(found.size() == 15);  // GeoNames 1.1.64 has 15 populated places within 10 km
  CHECK(names.front() == "Bel Air");
  for (const char* expected : {"Westwood", "Beverly Hills", "Culver City", "Santa Monica",
                               "West Hollywood", "Marina del Rey"}) {
    INFO(expected);
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }
  CHECK(std::find(names.begin(), names.end(), "Hollywood") == names.end());  // 11.4 km
  for (std::size_t i = 0; i < found.size(); ++i) {
    CHECK(found[i].distance_m <= kUcla10km.radius_m);
    if (i > 0) CHECK(found[i - 1].distance_m <= found[i].distance_m);
    CHECK(found[i].place.vicinity == "California, US");
  }
}

TEST_CASE("offline: the bound keeps only the nearest places") {
  NearbyQuery query = kUcla10km;
  query.limit = 3;
  const auto three = names_of(geonames().nearby(query));
  CHECK(three == std::vector<std::string>{"Bel Air", "Westwood", "Century City"});
  query.limit = 1;
  CHECK(geonames().nearby(query).size() == 1);
}

TEST_CASE("offline: answers match a brute-force scan of every place") {
  const std::vector<NearbyQuery> queries = {
      {34.068930, -118.445127, 25000, 20}, {51.5074, -0.1278, 5000, 20},
      {-33.8688, 151.2093, 40000, 20},     {35.6762, 139.6503, 3000, 20},
      {-17.5, 179.9, 150000, 20},          {64.1466, -21.9426, 50000, 20},
      {78.2232, 15.6267, 50000, 20},       {0.0, 0.0, 50000, 20}};
  for (const auto& query : queries) {
    std::vector<std::pair<double, std::string>> expected;
    for (const auto& row : all_rows()) {
      const double d = herd::places::haversine_distance_m({query.lat_deg, query.lng_deg},
                                                          {row.lat_deg, row.lng_deg});
      if (d <= query.radius_m) expected.emplace_back(d, row.name);
    }
    std::sort(expected.begin(), expected.end());
    if (expected.size() > static_cast<std::size_t>(query.limit)) expected.resize(query.limit);

    const auto found = geonames().nearby(query);
    INFO("query " << query.lat_deg << "," << query.lng_deg << " r=" << query.radius_m);
    REQUIRE(found.size() == expected.size());
    for (std::size_t i = 0; i < found.size(); ++i) {
      CHECK(found[i].distance_m == Approx(expected[i].first).margin(1e-6));
    }
  }
}

TEST_CASE("offline: middle of the Pacific gives ZERO_RESULTS") {
  const std::string text = geonames().nearby_json({0.0, -140.0, 50000, 20});
  const json::value answer = json::parse(text);
  CHECK(answer.at("status") == "ZERO_RESULTS");
  CHECK(answer.at("results").as_array().empty());
  CHECK(answer.at("html_attributions").as_array().size() == 1);
}

TEST_CASE("offline: Fiji query finds places on both sides of the antimeridian") {
  for (const double lng : {180.0, -180.0}) {
    const auto names = names_of(geonames().nearby({-17.0, lng, 200000, 20}));
    INFO("centre longitude " << lng);
    CHECK(std::find(names.begin(), names.end(), "Savusavu") != names.end());  // 179.34 E
    CHECK(std::find(names.begin(), names.end(), "Tubou") != names.end());     // 178.81 W
    CHECK(std::find(names.begin(), names.end(), "Suva") == names.end());      // 209 km
  }
}

TEST_CASE("offline: near-pole queries reach across every longitude") {
  TempDir dir;
  const auto tsv = write_tsv(dir,
                             "North A\t89.9\t0\t\t\nNorth B\t89.9\t90\t\t\n"
                             "North C\t89.9\t180\t\t\nNorth D\t89.9\t-90\t\t\n"
                             "Far North\t89.0\t0\t\t\nSouth Pole Station\t-89.99\t139.27\tAQ\t\n");
  const OfflineGazetteer polar(tsv);
  auto names = names_of(polar.nearby({90.0, 0.0, 15000, 20}));
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"North A", "North B", "North C", "North D"});
  // From just off the pole, the place on the far side (lng 180) is 16.7 km away.
  const auto off_pole = polar.nearby({89.95, 0.0, 20000, 20});
  REQUIRE(off_pole.size() == 4);
  CHECK(off_pole.front().place.name == "North A");
  CHECK(off_pole.back().place.name == "North C");
  CHECK(names_of(polar.nearby({-90.0, 0.0, 5000, 20})) ==
        std::vector<std::string>{"South Pole Station"});
  // Svalbard in the real data, at 78 N where a degree of longitude is only 23 km.
  CHECK(names_of(geonames().nearby({78.2, 15.6, 10000, 5})) ==
        std::vector<std::string>{"Longyearbyen"});
}

TEST_CASE("offline: JSON answer has the legacy Nearby Search shape") {
  const std::string text = geonames().nearby_json(kUcla10km);
  const json::value answer = json::parse(text);  // throws on invalid JSON
  REQUIRE(answer.is_object());
  CHECK(answer.at("status") == "OK");
  CHECK(answer.at("html_attributions").at(0).as_string().find("GeoNames") != json::string::npos);
  const auto& results = answer.at("results").as_array();
  REQUIRE(results.size() == 15);
  std::set<std::string> ids;
  for (const auto& result : results) {
    const auto& location = result.at("geometry").at("location");
    CHECK(location.at("lat").is_double());
    CHECK(location.at("lng").is_double());
    CHECK(result.at("name").is_string());
    CHECK(result.at("vicinity") == "California, US");
    CHECK(result.at("types") == json::parse(R"(["locality","political"])"));
    ids.insert(std::string(result.at("place_id").as_string()));
  }
  CHECK(ids.size() == results.size());
  CHECK(results.at(0).at("name") == "Bel Air");
  CHECK(results.at(0).at("geometry").at("location").at("lat").as_double() == 34.08334);
  // Pretty-printed like Google's legacy example.
  CHECK(text.rfind("{\n   \"html_attributions\" : [ \"", 0) == 0);
  CHECK(text.find("\n   \"results\" : [\n      {\n         \"geometry\" : {\n") !=
        std::string::npos);
  CHECK(text.find("\"lat\" : 34.08334,\n") != std::string::npos);
  CHECK(text.find("\"types\" : [ \"locality\", \"political\" ],") != std::string::npos);
  const std::string ending = "\n   \"status\" : \"OK\"\n}";
  CHECK(text.substr(text.size() - ending.size()) == ending);
}

TEST_CASE("offline: names with quotes, backslashes and non-ASCII are escaped correctly") {
  TempDir dir;
  const auto tsv = write_tsv(dir,
                             "Say \"Hi\"\t10.0\t10.0\tXX\tQuote \"Land\"\n"
                             "Back\\slash\t10.001\t10.0\tXX\t\n"
                             "Zürich 東京\t10.002\t10.0\tCH\tZürich\n");
  const OfflineGazetteer small(tsv);
  const std::string text = small.nearby_json({10.0, 10.0, 1000, 20});
  CHECK(text.find(R"("name" : "Say \"Hi\"")") != std::string::npos);
  CHECK(text.find(R"("name" : "Back\\slash")") != std::string::npos);
  CHECK(text.find("\"name\" : \"Zürich 東京\"") != std::string::npos);  // UTF-8 kept as is
  const json::value answer = json::parse(text);
  const auto& results = answer.at("results").as_array();
  REQUIRE(results.size() == 3);
  CHECK(results[0].at("name") == "Say \"Hi\"");
  CHECK(results[0].at("vicinity") == "Quote \"Land\", XX");
  CHECK(results[1].at("name") == "Back\\slash");
  CHECK(results[1].at("vicinity") == "XX");
  CHECK(results[2].at("name") == "Zürich 東京");
}

TEST_CASE("offline: place ids are stable across loads and distinct per place") {
  TempDir dir;
  const auto tsv = write_tsv(dir, "Alpha\t1.0\t1.0\tXX\tA\nBeta\t1.001\t1.0\tXX\tA\n");
  const auto db = dir.path() / "places.db";
  herd::places::build_places_db(tsv, db);
  const auto from_tsv = OfflineGazetteer(tsv).nearby({1.0, 1.0, 1000, 20});
  const auto from_db = OfflineGazetteer(db).nearby({1.0, 1.0, 1000, 20});
  REQUIRE(from_tsv.size() == 2);
  REQUIRE(from_db.size() == 2);
  CHECK(from_tsv[0].place.place_id == from_db[0].place.place_id);
  CHECK(from_tsv[1].place.place_id == from_db[1].place.place_id);
  CHECK(from_tsv[0].place.place_id != from_tsv[1].place.place_id);
  CHECK(from_tsv[0].place.place_id.size() == 19);
  CHECK(from_tsv[0].place.place_id.rfind("gn-", 0) == 0);
}

TEST_CASE("offline: an invalid query is answered INVALID_REQUEST, not thrown") {
  const std::vector<NearbyQuery> bad = {{91, 0, 1000, 5},
                                        {0, 181, 1000, 5},
                                        {0, 0, 0, 5},
                                        {0, 0, -5, 5},
                                        {0, 0, 1000, 0},
                                        {0, 0, 1000, 21},
                                        {std::nan(""), 0, 1000, 5},
                                        {0, 0, INFINITY, 5}};
  for (const auto& query : bad) {
    const json::value answer = json::parse(geonames().nearby_json(query));
    CHECK(answer.at("status") == "INVALID_REQUEST");
    CHECK_FALSE(answer.at("error_message").as_string().empty());
    CHECK(answer.at("results").as_array().empty());
    CHECK_THROWS_AS(geonames().nearby(query), std::invalid_argument);
  }
}

TEST_CASE("offline: concurrent queries from several threads get the same answers") {
  const std::string expected = geonames().nearby_json(kUcla10km);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (geonames().nearby_json(kUcla10km) != expected) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}
