#include "herd/places/offline_provider.hpp"

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "herd/places/offline_gazetteer.hpp"

TEST_CASE("offline provider: default database path is the one the build made") {
  const auto path = herd::places::default_places_db_path();
  CHECK(path == std::filesystem::path(HERD_DEFAULT_PLACES_DB));
  CHECK(path.filename() == "places.db");
  CHECK(std::filesystem::is_regular_file(path));
}

TEST_CASE("offline provider: answers synchronously, once, like the gazetteer") {
  auto provider = herd::places::make_offline_provider(herd::places::default_places_db_path());
  const herd::places::NearbyQuery query{34.068930, -118.445127, 10000, 5};
  std::vector<std::string> answers;
  provider->nearby(query, [&](std::string json) { answers.push_back(std::move(json)); });
  REQUIRE(answers.size() == 1);  // before nearby() returned
  const herd::places::OfflineGazetteer gazetteer(herd::places::default_places_db_path());
  CHECK(answers[0] == gazetteer.nearby_json(query));
  const auto answer = boost::json::parse(answers[0]);
  CHECK(answer.at("results").as_array().size() == 5);

  provider->nearby({0, 0, -1, 5}, [&](std::string json) { answers.push_back(std::move(json)); });
  REQUIRE(answers.size() == 2);
  CHECK(boost::json::parse(answers[1]).at("status") == "INVALID_REQUEST");
}

TEST_CASE("offline provider: a missing database is an error naming it") {
  CHECK_THROWS_WITH(herd::places::make_offline_provider("no/such/places.db"),
                    Catch::Contains("no/such/places.db"));
}
