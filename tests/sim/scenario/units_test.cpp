#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "herd/sim/scenario_file.hpp"

using Catch::Matchers::Contains;
using herd::sim::format_duration;
using herd::sim::parse_duration;
using herd::sim::parse_rate_per_s;
using herd::sim::parse_signed_duration;
using herd::sim::parse_speed_mps;

namespace {
std::string duration_error(const std::string& text) {
  try {
    (void)parse_duration(text);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  FAIL("no error for " << text);
  return {};
}
}  // namespace

TEST_CASE("units: every duration unit converts to whole nanoseconds") {
  CHECK(parse_duration("7ns") == 7);
  CHECK(parse_duration("10us") == 10'000);
  CHECK(parse_duration("10\xC2\xB5s") == 10'000);
  CHECK(parse_duration("250ms") == 250'000'000);
  CHECK(parse_duration("120s") == 120'000'000'000);
  CHECK(parse_duration("2m") == 120'000'000'000);
  CHECK(parse_duration("1h") == 3'600'000'000'000);
  CHECK(parse_duration("0s") == 0);
  CHECK(parse_duration("0ns") == 0);
}

TEST_CASE("units: decimal durations are exact in integer arithmetic") {
  CHECK(parse_duration("1.5s") == 1'500'000'000);
  CHECK(parse_duration("0.1s") == 100'000'000);
  CHECK(parse_duration("0.000000001s") == 1);
  CHECK(parse_duration("1.000000001s") == 1'000'000'001);
  CHECK(parse_duration("2.5us") == 2'500);
  CHECK(parse_duration("0.5m") == 30'000'000'000);
  CHECK(parse_duration("1.25h") == 4'500'000'000'000);
  // 1/3 of a second is not a decimal, but 0.333333333s is exactly 333333333 ns.
  CHECK(parse_duration("0.333333333s") == 333'333'333);
  // Trailing zeros beyond nanoseconds are harmless.
  CHECK(parse_duration("1.5000000000000s") == 1'500'000'000);
  // 2^53 + 1 ns: a double holding seconds cannot represent it.
  CHECK(parse_duration("9007199.254740993s") == 9'007'199'254'740'993);
  // One hour of minutes with a fraction that divides exactly: 0.0000000001h = 0.36 us.
  CHECK(parse_duration("0.0000001h") == 360'000);
}

TEST_CASE("units: the largest duration fits and one more nanosecond does not") {
  CHECK(parse_duration("9223372036854775807ns") == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_duration("9223372036.854775807s") == std::numeric_limits<std::int64_t>::max());
  CHECK_THAT(duration_error("9223372036854775808ns"), Contains("too large"));
  CHECK_THAT(duration_error("9223372036.854775808s"), Contains("too large"));
  CHECK_THAT(duration_error("2562048h"), Contains("too large"));
  CHECK_THAT(duration_error("99999999999999999999999s"), Contains("too large"));
}

TEST_CASE("units: malformed durations are rejected with what was expected") {
  CHECK_THAT(duration_error("1.5"), Contains("the unit is missing"));
  CHECK_THAT(duration_error("12 s"), Contains("unknown unit \" s\""));
  CHECK_THAT(duration_error("12parsecs"), Contains("unknown unit \"parsecs\""));
  CHECK_THAT(duration_error(""), Contains("expected a duration such as \"1.5s\""));
  CHECK_THAT(duration_error("s"), Contains("got \"s\""));
  CHECK_THAT(duration_error(".5s"), Contains("got \".5s\""));
  CHECK_THAT(duration_error("5.s"), Contains("got \"5.s\""));
  CHECK_THAT(duration_error("1e3ms"), Contains("unknown unit \"e3ms\""));
  CHECK_THAT(duration_error("-5s"), Contains("cannot carry a sign"));
  CHECK_THAT(duration_error("+5s"), Contains("cannot carry a sign"));
  CHECK_THAT(duration_error("0.5ns"), Contains("finer than one nanosecond"));
  CHECK_THAT(duration_error("1.0000000001s"), Contains("finer than one nanosecond"));
  CHECK_THAT(duration_error("0.00000000000000000001h"), Contains("finer than one nanosecond"));
  CHECK_THAT(duration_error("1.5S"), Contains("unknown unit \"S\""));
}

TEST_CASE("units: signed durations for clock skew") {
  CHECK(parse_signed_duration("-250ms") == -250'000'000);
  CHECK(parse_signed_duration("+1.5s") == 1'500'000'000);
  CHECK(parse_signed_duration("20us") == 20'000);
  CHECK(parse_signed_duration("-9223372036854775807ns") ==
        -std::numeric_limits<std::int64_t>::max());
  CHECK_THROWS_AS(parse_signed_duration("--1s"), std::invalid_argument);
  CHECK_THROWS_AS(parse_signed_duration("-"), std::invalid_argument);
}

TEST_CASE("units: durations format as the shortest exact text and parse back") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(1'500'000'000) == "1.5s");
  CHECK(format_duration(250'000'000) == "250ms");
  CHECK(format_duration(120'000'000'000) == "2m");
  CHECK(format_duration(90'000'000'000) == "90s");
  CHECK(format_duration(7'200'000'000'000) == "2h");
  CHECK(format_duration(1) == "1ns");
  CHECK(format_duration(1'000'000'001) == "1.000000001s");
  CHECK(format_duration(2'500) == "2.5us");
  CHECK(format_duration(-250'000'000) == "-250ms");
  CHECK(format_duration(std::numeric_limits<std::int64_t>::min()) == "-9223372036.854775808s");
  for (std::int64_t ns :
       {std::int64_t{1}, std::int64_t{999}, std::int64_t{1'234'567}, std::int64_t{59'999'999'999},
        std::int64_t{3'600'000'000'001}, std::numeric_limits<std::int64_t>::max()}) {
    CHECK(parse_duration(format_duration(ns)) == ns);
  }
}

TEST_CASE("units: rates per second per minute and per hour") {
  CHECK(parse_rate_per_s("200/s") == 200.0);
  CHECK(parse_rate_per_s("0.5/s") == 0.5);
  CHECK(parse_rate_per_s("30/min") == Approx(0.5));
  CHECK(parse_rate_per_s("3600/h") == Approx(1.0));
  CHECK(parse_rate_per_s("12.5") == 12.5);
  CHECK(parse_rate_per_s("0/s") == 0.0);
  CHECK_THROWS_WITH(parse_rate_per_s("-5/s"), Contains("must not be negative"));
  CHECK_THROWS_WITH(parse_rate_per_s("5/day"), Contains("expected a rate such as \"200/s\""));
  CHECK_THROWS_WITH(parse_rate_per_s("/s"), Contains("got \"/s\""));
  CHECK_THROWS_WITH(parse_rate_per_s("inf/s"), Contains("got \"inf/s\""));
  CHECK_THROWS_WITH(parse_rate_per_s("nan"), Contains("got \"nan\""));
  CHECK_THROWS_WITH(parse_rate_per_s(""), Contains("expected a rate"));
}

TEST_CASE("units: speeds in metres per second or kilometres per hour") {
  CHECK(parse_speed_mps("1.5m/s") == 1.5);
  CHECK(parse_speed_mps("36km/h") == Approx(10.0));
  CHECK(parse_speed_mps("2") == 2.0);
  CHECK_THROWS_WITH(parse_speed_mps("-1m/s"), Contains("must not be negative"));
  CHECK_THROWS_WITH(parse_speed_mps("3mph"), Contains("expected a speed such as \"1.5m/s\""));
}
