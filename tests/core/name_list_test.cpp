#include "herd/core/name_list.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using herd::core::NameList;

TEST_CASE("name list: holds the names it was made from, in order") {
  const std::vector<std::string> names{"Bailey", "", "s000123", std::string(300, 'x'), "a"};
  const NameList list(names);
  REQUIRE(list.size() == names.size());
  CHECK_FALSE(list.empty());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(list[i] == names[i]);
    CHECK(list.at(i) == names[i]);
  }
  CHECK(list.to_vector() == names);
}

TEST_CASE("name list: an empty list, and an index out of range") {
  const NameList none;
  CHECK(none.empty());
  CHECK(none.size() == 0);
  CHECK(none.to_vector().empty());
  CHECK_THROWS_AS(none.at(0), std::out_of_range);
  const NameList from_empty(std::vector<std::string>{});
  CHECK(from_empty.empty());
  const NameList two(std::vector<std::string>{"Jaquez", "Bona"});
  CHECK(two.at(1) == "Bona");
  CHECK_THROWS_AS(two.at(2), std::out_of_range);
}

TEST_CASE("name list: names of every length from 0 to 9 keep their bytes") {
  // Offsets and characters share one block: characters of one name never spill into the
  // next, whatever the lengths' sum modulo the offsets' size.
  std::vector<std::string> names;
  for (std::size_t length = 0; length < 10; ++length) {
    names.push_back(std::string(length, static_cast<char>('a' + length)));
  }
  const NameList list(names);
  CHECK(list.to_vector() == names);
}
