#include "herd/places/places_db.hpp"

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "herd/places/offline_gazetteer.hpp"
#include "herd_test/temp_dir.hpp"

namespace {

using herd::places::build_places_db;
using herd::places::OfflineGazetteer;
using herd::places::PlacesDataError;
using herd::testing::TempDir;

// The message of the PlacesDataError that building from `tsv_content` throws.
std::string build_error(const std::string& tsv_content) {
  TempDir dir;
  const auto tsv = dir.write("bad.tsv", tsv_content);
  try {
    (void)build_places_db(tsv, dir.path() / "out.db");
  } catch (const PlacesDataError& error) {
    CHECK_FALSE(std::filesystem::exists(dir.path() / "out.db"));
    CHECK_FALSE(std::filesystem::exists(dir.path() / "out.db.tmp"));
    return error.what();
  }
  FAIL("no PlacesDataError for: " << tsv_content);
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("places db: builds from a TSV with comments, blank lines and CRLF") {
  TempDir dir;
  const auto tsv = dir.write("ok.tsv",
                              "# source line\r\n# name\tlat\tlng\tcountry\tadmin1\r\n"
                              "Alpha\t1.5\t-2.25\tXX\tRegion\r\n\nBeta\t-1\t179.99999\t\t\n");
  const auto db = dir.path() / "ok.db";
  CHECK(build_places_db(tsv, db) == 2);
  const OfflineGazetteer gazetteer(db);
  CHECK(gazetteer.size() == 2);
  CHECK(gazetteer.source_note() == "# source line\n# name\tlat\tlng\tcountry\tadmin1\n");
  const auto found = gazetteer.nearby({1.5, -2.25, 10, 5});
  REQUIRE(found.size() == 1);
  CHECK(found[0].place.name == "Alpha");
  CHECK(found[0].place.lat_deg == 1.5);
  CHECK(found[0].place.lng_deg == -2.25);
  CHECK(found[0].place.vicinity == "Region, XX");
  CHECK(found[0].distance_m == 0.0);
  // Rebuilding over an existing database replaces it.
  dir.write("ok.tsv", "Gamma\t0\t0\t\t\n");
  CHECK(build_places_db(tsv, db) == 1);
  CHECK(OfflineGazetteer(db).size() == 1);
}

TEST_CASE("places db: a bad row is reported with file and line") {
  CHECK(contains(build_error("# c\nGood\t1\t1\tXX\t\nBad\t1\t1\tXX\n"),
                 "bad.tsv:3: expected 5 tab-separated fields"));
  CHECK(contains(build_error("A\tnorth\t1\tXX\t\n"), "bad.tsv:1: lat 'north' is not a decimal"));
  CHECK(contains(build_error("A\t91\t1\tXX\t\n"), "bad.tsv:1: lat '91' is outside [-90, 90]"));
  CHECK(contains(build_error("A\t1\t-180.5\tXX\t\n"), "bad.tsv:1: lng '-180.5' is outside"));
  CHECK(contains(build_error("A\t1\tnan\tXX\t\n"), "bad.tsv:1: lng 'nan' is not a decimal"));
  CHECK(contains(build_error("A\t1\t1 \tXX\t\n"), "bad.tsv:1: lng '1 ' is not a decimal"));
  CHECK(contains(build_error("\t1\t1\tXX\t\n"), "bad.tsv:1: empty name"));
  CHECK(contains(build_error("Bad\xff name\t1\t1\tXX\t\n"), "bad.tsv:1: name has invalid UTF-8"));
  CHECK(contains(build_error("Over\xc0\xaflong\t1\t1\tXX\t\n"), "name has invalid UTF-8"));
  CHECK(contains(build_error("Bell\x07\t1\t1\tXX\t\n"), "name contains a control character"));
}

TEST_CASE("places db: missing or foreign files are refused with their path") {
  TempDir dir;
  const auto missing = dir.path() / "missing.tsv";
  CHECK_THROWS_WITH(build_places_db(missing, dir.path() / "x.db"),
                    Catch::Contains("missing.tsv: cannot open for reading"));
  CHECK_THROWS_WITH(OfflineGazetteer(dir.path() / "absent.db"),
                    Catch::Contains("absent.db: places file not found"));
  const auto junk = dir.write("junk.db", "this is not an SQLite database at all, no....");
  CHECK_THROWS_AS(OfflineGazetteer(junk), PlacesDataError);
  CHECK_THROWS_WITH(OfflineGazetteer(junk), Catch::Contains("junk.db"));
  // A bad TSV opened directly fails the same way as when building.
  const auto bad_tsv = dir.write("bad.tsv", "A\t1\n");
  CHECK_THROWS_WITH(OfflineGazetteer(bad_tsv), Catch::Contains("bad.tsv:1: expected 5"));
}
