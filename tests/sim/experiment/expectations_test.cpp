// [expect] checked against a summary: the texts CI shows for expected and actual values.
#include <catch2/catch.hpp>

#include "herd/sim/expectations.hpp"

using namespace herd::sim;

TEST_CASE("expectations: durations keep the digits that matter") {
  Expectations expect;
  expect.propagation_p99_ns = 1;                // 1ns
  expect.propagation_max_ns = 200'000'000;      // 200ms
  expect.converge_within_ns = 1'234'567;        // 1.234567ms
  Summary s;
  s.propagation.p99_ns = 2'000'000;
  s.propagation.max_ns = 150'000'000;
  s.convergence_ns = 1'234'500;
  const auto results = check_expectations(expect, s);
  REQUIRE(results.size() == 3);
  CHECK(results[0].name == "converge_within");
  CHECK(results[0].expected == "<= 1.234567ms");
  CHECK(results[0].actual == "1.2345ms");
  CHECK(results[0].passed);
  CHECK(results[1].expected == "<= 0.000001ms");
  CHECK(results[1].actual == "2.000ms");
  CHECK_FALSE(results[1].passed);
  CHECK(results[2].expected == "<= 200.000ms");
  CHECK(results[2].passed);
}
