#include "herd/core/codec.hpp"

#include <catch2/catch.hpp>

#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "herd/core/prng.hpp"

using namespace herd::core;

TEST_CASE("codec: ISO 6709 coordinates need a sign on each part and lie in range") {
  auto p = parse_iso6709("+34.068930-118.445127");
  REQUIRE(p);
  CHECK(p->lat_deg == Approx(34.068930));
  CHECK(p->lng_deg == Approx(-118.445127));
  auto q = parse_iso6709("+37.551379+126.993287");
  REQUIRE(q);
  CHECK(q->lng_deg == Approx(126.993287));
  CHECK(parse_iso6709("+90-180"));
  CHECK(parse_iso6709("-90.0+180.0"));
  for (const char* bad : {"34.068930-118.445127", "+34.068930", "+34.068930118.445127",
                          "+90.000001+0", "+0-180.5", "+12-", "+-12+3", "++1+1", "+1+1+1",
                          "+nan+1", "+inf-1", "+1e5+1", "+1.+1", "+.5+1", "+1,5+1", "", "+",
                          "+12 -118", "+0x10+1"}) {
    INFO(bad);
    CHECK_FALSE(parse_iso6709(bad));
  }
}

TEST_CASE("codec: coordinates convert to the same doubles as from_chars") {
  // parse_iso6709 takes a shortcut for short decimals; it must agree with the general
  // conversion bit for bit, including digits beyond what a double holds.
  herd::core::Prng rng(20261122);
  auto digits = [&](std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng.uniform_u64(10)));
    return s;
  };
  auto reference = [](const std::string& text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    REQUIRE(ec == std::errc{});
    REQUIRE(end == text.data() + text.size());
    return value;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string lat = std::to_string(rng.uniform_u64(90)) + "." + digits(1 + rng.uniform_u64(20));
    std::string lng = std::to_string(rng.uniform_u64(180)) + "." + digits(1 + rng.uniform_u64(20));
    bool south = rng.chance(0.5), west = rng.chance(0.5);
    auto point = herd::core::parse_iso6709(std::string(south ? "-" : "+") + lat +
                                           (west ? "-" : "+") + lng);
    REQUIRE(point);
    double want_lat = south ? -reference(lat) : reference(lat);
    double want_lng = west ? -reference(lng) : reference(lng);
    INFO(lat << " " << lng);
    CHECK(std::memcmp(&point->lat_deg, &want_lat, sizeof(double)) == 0);
    CHECK(std::memcmp(&point->lng_deg, &want_lng, sizeof(double)) == 0);
  }
}

TEST_CASE("codec: peer updates split on every kind of white space at every length") {
  // The splitter looks at 16 bytes at a time for lines up to 128 bytes and byte by byte
  // beyond: fields must come out the same wherever they fall against those boundaries.
  herd::core::Prng rng(7);
  const std::string spaces = " \t\v\f\r";
  auto gap = [&] {
    std::string g;
    for (std::size_t n = 1 + rng.uniform_u64(3); n > 0; --n) g.push_back(spaces[rng.uniform_u64(5)]);
    return g;
  };
  for (std::size_t client_size = 1; client_size < 180; ++client_size) {
    for (int variant = 0; variant < 8; ++variant) {
      std::string client;
      for (std::size_t i = 0; i < client_size; ++i) {
        // Control bytes that are not white space and bytes above 0x7f belong to the field.
        const char pool[] = {'a', 'Z', '7', '\x01', '\x1f', '\x7f', '\x80', '\xff', '\x08', '\x0e'};
        client.push_back(pool[rng.uniform_u64(sizeof pool)]);
      }
      std::vector<std::string> fields = {"AT", "Bona", "+0.263873386", client,
                                         "+34.068930-118.445127", "1621464827.959498503", "12"};
      std::string line = variant % 2 ? gap() : "";
      for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? gap() : "") + fields[i];
      if (variant % 4 >= 2) line += gap();
      INFO("client size " << client_size << " variant " << variant << " line size " << line.size());
      auto parsed = herd::core::parse_peer_update(line);
      REQUIRE(parsed);
      CHECK(parsed->origin == "Bona");
      CHECK(parsed->diff == "+0.263873386");
      CHECK(parsed->client == client);
      CHECK(parsed->coords == "+34.068930-118.445127");
      CHECK(parsed->client_time == "1621464827.959498503");
      CHECK(parsed->hops == 12);
      CHECK(parsed->at_line.substr(0, 3) == "AT" + line.substr(line.find("AT") + 2, 1));
      CHECK(!herd::core::parse_peer_update(line + gap() + "extra"));
      CHECK(!herd::core::parse_peer_update(line.substr(0, line.rfind("12"))));  // no hops
    }
  }
}

TEST_CASE("codec: POSIX timestamps become exact integer nanoseconds") {
  CHECK(parse_posix_time_ns("1621464827.959498503") == 1621464827959498503);
  CHECK(parse_posix_time_ns("1621464827") == 1621464827000000000);
  CHECK(parse_posix_time_ns("1621464827.9594985") == 1621464827959498500);
  CHECK(parse_posix_time_ns("0.000000001") == 1);
  CHECK(parse_posix_time_ns("-1.5") == -1500000000);
  CHECK(parse_posix_time_ns("+2.25") == 2250000000);
  CHECK(parse_posix_time_ns("0001") == 1000000000);
  CHECK(parse_posix_time_ns("9223372035.999999999"));
  for (const char* bad : {"", "1621464827.9594985031", "1.2.3", "1e9", "nan", "inf", "-inf",
                          "1621464827.", ".5", "12a", "9223372037", "99999999999", "--1", "+"}) {
    INFO(bad);
    CHECK_FALSE(parse_posix_time_ns(bad));
  }
}

TEST_CASE("codec: time difference has a sign and exactly nine decimals") {
  CHECK(format_time_diff(263873386) == "+0.263873386");
  CHECK(format_time_diff(-120000) == "-0.000120000");
  CHECK(format_time_diff(0) == "+0.000000000");
  CHECK(format_time_diff(86400LL * kNanosPerSecond + 5) == "+86400.000000005");
  CHECK(format_time_diff(INT64_MIN) == "-9223372036.854775808");
  CHECK(is_time_diff("+0.263873386"));
  CHECK(is_time_diff("-12.000000000"));
  CHECK_FALSE(is_time_diff("0.263873386"));
  CHECK_FALSE(is_time_diff("+0.26387338"));
  CHECK_FALSE(is_time_diff("+.263873386"));
  CHECK_FALSE(is_time_diff("+0.2638733860"));
}

TEST_CASE("codec: a coordinate or radius just past its limit is refused on its digits") {
  // Each of these reads as exactly 90, 180 or 50 in a double; the digits say otherwise.
  for (const char* bad : {"+90.00000000000000000001+0", "-90.00000000000000000001+0",
                          "+0+180.000000000000000000001", "+0-180.000000000000000000001",
                          "+090.0000000000000000001-1"}) {
    INFO(bad);
    CHECK_FALSE(parse_iso6709(bad));
  }
  CHECK(parse_iso6709("+90.000000000000000000000-180.00000000000000000000"));
  CHECK(parse_iso6709("+89.99999999999999999999+179.99999999999999999999"));
  CHECK_FALSE(parse_radius_km("50.000000000000000001"));
  CHECK_FALSE(parse_radius_km("+050.00000000000000000001"));
  CHECK(parse_radius_km("50.000000000000000000") == Approx(50));
  CHECK(parse_radius_km("049.99999999999999999999") == Approx(50));
}

TEST_CASE("codec: WHATSAT radius lies in from 0 to 50 and bound from 1 to 20") {
  CHECK(parse_radius_km("10") == Approx(10));
  CHECK(parse_radius_km("50") == Approx(50));
  CHECK(parse_radius_km("0.001") == Approx(0.001));
  for (const char* bad : {"0", "0.0", "-1", "50.0001", "51", "nan", "inf", "1e1", "", "ten"}) {
    INFO(bad);
    CHECK_FALSE(parse_radius_km(bad));
  }
  CHECK(parse_bound("1") == 1);
  CHECK(parse_bound("20") == 20);
  for (const char* bad : {"0", "21", "-1", "1.5", "", "5x", "0020000"}) {
    INFO(bad);
    CHECK_FALSE(parse_bound(bad));
  }
}

TEST_CASE("codec: client lines are split on any protocol white space") {
  auto line = parse_client_line(" \tIAMAT\f kiwi.cs.ucla.edu\v+34.068930-118.445127  1621464827.959498503\r");
  auto* iamat = std::get_if<IamatCommand>(&line);
  REQUIRE(iamat);
  CHECK(iamat->client == "kiwi.cs.ucla.edu");
  CHECK(iamat->coords == "+34.068930-118.445127");
  CHECK(iamat->client_time == "1621464827.959498503");
  CHECK(iamat->client_time_ns == 1621464827959498503);

  auto w = parse_client_line("WHATSAT kiwi.cs.ucla.edu 10 5");
  auto* whatsat = std::get_if<WhatsatCommand>(&w);
  REQUIRE(whatsat);
  CHECK(whatsat->client == "kiwi.cs.ucla.edu");
  CHECK(whatsat->bound == 5);

  auto g = parse_client_line("HERD 1 Clark s3cret");
  auto* greeting = std::get_if<PeerGreeting>(&g);
  REQUIRE(greeting);
  CHECK(greeting->sender == "Clark");
  CHECK(greeting->auth == "s3cret");
}

TEST_CASE("codec: invalid client lines are recognised as such") {
  for (const char* bad : {"", "   ", "IAMAT Clark +12-118", "IAMAT a +1+1 1 extra",
                          "iamat kiwi +34-118 1621464827", "WHATSAT kiwi 10", "WHATSAT kiwi 0 5",
                          "WHATSAT kiwi 10 21", "WHATSAT kiwi 10 5 6", "AT Clark +0.1 kiwi +1+1 1",
                          "HERD 2 Clark x", "HERD 1", "IAMAT kiwi +34-118 nan",
                          "IAMAT kiwi +34-118 1e9", "IAMAT kiwi +91-118 1", "FOO bar baz qux"}) {
    INFO(bad);
    CHECK(std::holds_alternative<InvalidLine>(parse_client_line(bad)));
  }
}

TEST_CASE("codec: peer updates carry the client's AT line and a hop count") {
  std::string line = "AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503 3";
  auto u = parse_peer_update(line);
  REQUIRE(u);
  CHECK(u->at_line == "AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503");
  CHECK(u->origin == "Clark");
  CHECK(u->hops == 3);
  CHECK_FALSE(parse_peer_update("AT Clark +0.263873386 kiwi +34-118 1621464827"));
  CHECK_FALSE(parse_peer_update("AT Clark 0.263873386 kiwi +34-118 1621464827 1"));
  CHECK_FALSE(parse_peer_update("AT Clark +0.263873386 kiwi +34-118 1621464827 0"));
  CHECK_FALSE(parse_peer_update("AT Clark +0.263873386 kiwi +34-118 1621464827 x"));
  CHECK_FALSE(parse_peer_update("AT Clark +0.263873386 kiwi +34-118 1621464827 99999999999"));
  CHECK_FALSE(parse_peer_update("IAMAT kiwi +34-118 1621464827 1 2 3"));
}

TEST_CASE("codec: splitting then checking values accepts exactly what parsing accepts") {
  // Each field replaced by a bad value in turn, plus shape errors: the two-step path must
  // agree with parse_peer_update line by line, and give the same fields when both accept.
  const std::vector<std::string> lines = {
      "AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503 3",
      "AT Clark -0.000000001 kiwi +34-118 1621464827 1",
      "AT Clark 0.263873386 kiwi +34-118 1621464827 1",     // diff without a sign
      "AT Clark +0.26387338 kiwi +34-118 1621464827 1",     // eight decimals
      "AT Clark +0.263873386 kiwi +34 1621464827 1",        // one coordinate
      "AT Clark +0.263873386 kiwi +91-118 1621464827 1",    // latitude out of range
      "AT Clark +0.263873386 kiwi +34-118 nan 1",           // timestamp not a number
      "AT Clark +0.263873386 kiwi +34-118 1621464827.5.5 1",
      "AT Clark +0.263873386 kiwi +34-118 1621464827 0",    // hop count 0
      "AT Clark +0.263873386 kiwi +34-118 1621464827",      // no hop count
      "AT Clark +0.263873386 kiwi +34-118 1621464827 1 1",  // a field too many
      "AT\tClark +0.263873386 kiwi +34-118 1621464827 1",
      "XAT Clark +0.263873386 kiwi +34-118 1621464827 1",
  };
  for (const auto& line : lines) {
    INFO(line);
    auto whole = parse_peer_update(line);
    auto split = split_peer_update(line);
    bool both = split && check_peer_update_values(*split);
    REQUIRE(both == whole.has_value());
    if (!both) continue;
    CHECK(split->at_line == whole->at_line);
    CHECK(split->client == whole->client);
    CHECK(split->hops == whole->hops);
    CHECK(split->client_time_ns == whole->client_time_ns);
    CHECK(split->position.lat_deg == whole->position.lat_deg);
    CHECK(split->position.lng_deg == whole->position.lng_deg);
  }
  // The shape alone passes a line whose values are bad: that is the point of the split.
  auto shape = split_peer_update("AT Clark 0.263873386 kiwi +34-118 1621464827 1");
  REQUIRE(shape);
  CHECK(shape->client == "kiwi");
  CHECK_FALSE(check_peer_update_values(*shape));
}

TEST_CASE("codec: AT line echoes operands verbatim") {
  CHECK(format_at_line("Clark", 263873386, "kiwi.cs.ucla.edu", "+34.068930-118.445127",
                       "1621464827.959498503") ==
        "AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503");
}

TEST_CASE("codec: places JSON loses runs of newlines and trailing newlines") {
  CHECK(normalize_places_json("{\n\n\n   \"a\" : 1\n}\n\n") == "{\n   \"a\" : 1\n}");
  CHECK(normalize_places_json("{}") == "{}");
  CHECK(normalize_places_json("\n\n{}\n") == "\n{}");
}

namespace {
std::vector<std::string> frame_all(const std::string& stream, std::size_t split, bool eof,
                                   std::size_t max_line = 1024) {
  LineFramer framer(max_line);
  std::vector<std::string> lines;
  auto drain = [&] {
    while (auto line = framer.next_line()) lines.emplace_back(*line);
  };
  framer.append(std::string_view(stream).substr(0, split));
  drain();
  framer.append(std::string_view(stream).substr(split));
  drain();
  if (eof) {
    if (auto rest = framer.take_rest()) lines.emplace_back(*rest);
  }
  return lines;
}
}  // namespace

TEST_CASE("codec: framing gives the same lines whatever the split point") {
  using namespace std::string_literals;
  const std::string stream = "IAMAT a +1+1 1\r\nWHATSAT a 10 5\n\nbinary\x01\x00garbage\r\r\nlast"s;
  const std::vector<std::string> expected{"IAMAT a +1+1 1", "WHATSAT a 10 5", "",
                                          "binary\x01\x00garbage\r"s, "last"};
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    INFO("split at " << split);
    CHECK(frame_all(stream, split, true) == expected);
    auto without_eof = frame_all(stream, split, false);
    CHECK(without_eof == std::vector<std::string>(expected.begin(), expected.end() - 1));
  }
}

TEST_CASE("codec: framing byte by byte matches framing at once") {
  const std::string stream = "IAMAT kiwi +34-118 1621464827\nWHATSAT kiwi 1 1\r\n";
  LineFramer framer(64);
  std::vector<std::string> lines;
  for (char ch : stream) {
    framer.append(std::string_view(&ch, 1));
    while (auto line = framer.next_line()) lines.emplace_back(*line);
  }
  CHECK(lines == std::vector<std::string>{"IAMAT kiwi +34-118 1621464827", "WHATSAT kiwi 1 1"});
  CHECK(framer.buffered_bytes() == 0);
}

TEST_CASE("codec: a line over the limit overflows whether or not its LF has come") {
  LineFramer exact(8);
  exact.append("12345678\r\n");
  CHECK(exact.next_line() == "12345678");
  CHECK_FALSE(exact.overflowed());

  LineFramer terminated(8);
  terminated.append("123456789\n");
  CHECK_FALSE(terminated.next_line());
  CHECK(terminated.overflowed());

  LineFramer endless(8);
  endless.append("12345678\r");  // could still become a CRLF line
  CHECK_FALSE(endless.next_line());
  CHECK_FALSE(endless.overflowed());
  endless.append("x");
  CHECK_FALSE(endless.next_line());
  CHECK(endless.overflowed());
  endless.append(std::string(1 << 20, 'y'));  // ignored once overflowed: no growth
  CHECK(endless.buffered_bytes() < 64);

  LineFramer at_eof(4);
  at_eof.append("12345");
  CHECK_FALSE(at_eof.next_line());
  CHECK_FALSE(at_eof.take_rest());
  CHECK(at_eof.overflowed());
}

TEST_CASE("codec: feeding reads gives the lines framing gives at every split point") {
  using namespace std::string_literals;
  const std::string stream = "IAMAT a +1+1 1\r\nWHATSAT a 10 5\n\nbinary\x01\x00garbage\r\r\nlast"s;
  const std::vector<std::string> expected{"IAMAT a +1+1 1", "WHATSAT a 10 5", "",
                                          "binary\x01\x00garbage\r"s};
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    INFO("split at " << split);
    LineFramer framer(1024);
    std::vector<std::string> lines;
    auto collect = [&](std::string_view line) {
      lines.emplace_back(line);
      return true;
    };
    framer.feed(std::string_view(stream).substr(0, split), collect);
    framer.feed(std::string_view(stream).substr(split), collect);
    CHECK(lines == expected);
    CHECK(framer.take_rest() == "last");
  }
}

TEST_CASE("codec: feeding stops when asked and flags an overlong line on either path") {
  LineFramer stopper(64);
  int seen = 0;
  stopper.feed("a\nb\nc\n", [&](std::string_view) { return ++seen < 2; });
  CHECK(seen == 2);
  for (const std::string first : {"", "12"}) {
    INFO("buffered first: '" << first << "'");
    LineFramer framer(8);
    std::vector<std::string> lines;
    auto collect = [&](std::string_view line) {
      lines.emplace_back(line);
      return true;
    };
    framer.feed(first, collect);
    framer.feed("345\n123456789\nok\n", collect);
    CHECK(lines == std::vector<std::string>{first + "345"});
    CHECK(framer.overflowed());
  }
}
