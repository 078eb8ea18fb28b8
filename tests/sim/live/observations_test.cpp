// Reading herd-server observation files back (sim/live/src/observations.cpp).
#include <catch2/catch.hpp>

#include "herd/core/record_store.hpp"
#include "herd_test/temp_dir.hpp"
#include "observations.hpp"

using namespace herd::sim;
using herd::sim::live::ObservedEvent;

namespace {

HerdLayout two_servers() {
  HerdLayout layout;
  layout.names = {"Bona", "Clark"};
  layout.neighbours = {{1}, {0}};
  return layout;
}

const std::string kAt = "AT Clark +0.000120000 kiwi +34.068930-118.445127 1700000000.5";

std::string id_of(const std::string& at_line) {
  return herd::core::format_update_id(herd::core::update_id(at_line));
}

}  // namespace

TEST_CASE("observations: every kind parses, with the friend by index") {
  const auto layout = two_servers();
  const std::string id = id_of(kAt);
  auto accepted = live::parse_observation_line("Clark accepted 1700000000500120000 " + id + " 0 - " + kAt, layout);
  REQUIRE(accepted);
  CHECK(accepted->kind == ObservedEvent::Kind::accepted);
  CHECK(accepted->server == 1);
  CHECK(accepted->at_ns == 1700000000500120000LL);
  CHECK(accepted->from == kNoServer);
  CHECK(*accepted->at_line == kAt);
  auto applied = live::parse_observation_line("Bona applied 1700000000520000000 " + id + " 1 Clark", layout);
  REQUIRE(applied);
  CHECK(applied->kind == ObservedEvent::Kind::applied);
  CHECK(applied->hops == 1);
  CHECK(applied->from == 1);
  CHECK(applied->id == herd::core::update_id(kAt));
  auto read = live::parse_observation_line("Bona read 1700000000600000000 " + id + " 0 - " + kAt, layout);
  REQUIRE(read);
  CHECK(read->kind == ObservedEvent::Kind::read);
  CHECK_FALSE(live::parse_observation_line("# herd-observations 1", layout));
}

TEST_CASE("observations: malformed lines are errors that say what is wrong") {
  const auto layout = two_servers();
  const std::string id = id_of(kAt);
  CHECK_THROWS_WITH(live::parse_observation_line("Smith applied 1 " + id + " 1 Clark", layout),
                    Catch::Contains("unknown server 'Smith'"));
  CHECK_THROWS_WITH(live::parse_observation_line("Bona moved 1 " + id + " 1 Clark", layout),
                    Catch::Contains("unknown kind"));
  CHECK_THROWS_WITH(live::parse_observation_line("Bona applied x1 " + id + " 1 Clark", layout),
                    Catch::Contains("bad time"));
  CHECK_THROWS_WITH(live::parse_observation_line("Bona applied 1 12ab 1 Clark", layout),
                    Catch::Contains("bad update id"));
  CHECK_THROWS_WITH(live::parse_observation_line("Clark accepted 1 " + id + " 0 -", layout),
                    Catch::Contains("missing AT line"));
  // The AT line must be the one the id names: a torn or mixed-up line is caught.
  CHECK_THROWS_WITH(live::parse_observation_line("Clark accepted 1 " + id_of(kAt + "0") + " 0 - " + kAt, layout),
                    Catch::Contains("does not hash"));
}

TEST_CASE("observations: a file's unfinished last line (a killed server) is left out") {
  herd::testing::TempDir dir("herd-obs");
  const std::string id = id_of(kAt);
  const auto file = dir.write("Clark.obs", "# herd-observations 1\nClark accepted 5 " + id +
                                               " 0 - " + kAt + "\nBona applied 7 " + id + " 1 Cl");
  const auto read = live::read_observation_file(file, two_servers());
  REQUIRE(read.events.size() == 1);
  CHECK_FALSE(read.truncated);
  const auto bad = dir.write("Bad.obs", "# herd-observations 1\nBona applied 7 " + id + " 1 Nobody\n");
  CHECK_THROWS_WITH(live::read_observation_file(bad, two_servers()), Catch::Contains("Bad.obs:2: unknown server"));
}
