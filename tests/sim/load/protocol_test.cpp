// herd-load's reply checks and framing, on hand-written replies.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <set>
#include <string>

#include "herd/sim/load/protocol.hpp"

using namespace herd::sim::load;

namespace {

const char* kJson =
    "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}";

Command iamat(std::string operands) {
  Command c;
  c.kind = CommandKind::iamat;
  c.operands = std::move(operands);
  c.text = "IAMAT " + c.operands;
  return c;
}

Command whatsat(std::string client, unsigned bound) {
  Command c;
  c.kind = CommandKind::whatsat;
  c.client = client;
  c.bound = bound;
  c.text = "WHATSAT " + client + " 10 " + std::to_string(bound);
  return c;
}

void feed(ReplyAssembler& a, std::string_view bytes) {
  char* into = a.prepare(bytes.size());
  std::memcpy(into, bytes.data(), bytes.size());
  a.commit(bytes.size());
}

}  // namespace

TEST_CASE("load protocol: IAMAT replies") {
  const std::string ops = "kiwi +34.068930-118.445127 1621464827.959498503";
  CHECK(check_iamat_reply("AT Clark +0.263873386 " + ops, ops).ok);
  CHECK(check_iamat_reply("AT Clark -12.000000001 " + ops, ops).ok);
  const auto other = check_iamat_reply("AT Clark +0.263873386 kiwi +34.068930-118.445127 1", ops);
  CHECK_FALSE(other.ok);
  CHECK(other.error == ErrorKind::malformed_reply);
  CHECK_FALSE(check_iamat_reply("AT Clark +0.26387338 " + ops, ops).ok);      // 8 decimals
  CHECK_FALSE(check_iamat_reply("AT Clark 0.263873386 " + ops, ops).ok);      // no sign
  CHECK_FALSE(check_iamat_reply("AT  Clark +0.263873386 " + ops, ops).ok);    // two spaces
  CHECK_FALSE(check_iamat_reply("AT Clark +0.263873386 " + ops + " 1", ops).ok);
  const auto rejected = check_iamat_reply("? IAMAT " + ops, ops);
  CHECK_FALSE(rejected.ok);
  CHECK(rejected.error == ErrorKind::question_reply);
}

TEST_CASE("load protocol: field checks") {
  CHECK(is_coords("+34.068930-118.445127"));
  CHECK(is_coords("-90+180"));
  CHECK_FALSE(is_coords("+91.0+0.0"));
  CHECK_FALSE(is_coords("34.0-118.0"));
  CHECK_FALSE(is_coords("+34.-118.0"));
  CHECK(is_client_time("1621464827.959498503"));
  CHECK(is_client_time("1621464827"));
  CHECK_FALSE(is_client_time("1621464827.9594985031"));
  CHECK_FALSE(is_client_time("1e9"));
  CHECK(is_time_diff("+0.000000000"));
  CHECK_FALSE(is_time_diff("+.000000000"));
}

TEST_CASE("load protocol: WHATSAT replies") {
  const std::string at = "AT Bona +0.1 kiwi +34.068930-118.445127 1621464827.959498503";
  const std::string good_at = "AT Bona +0.100000000 kiwi +34.068930-118.445127 1621464827.959498503";
  CHECK(check_whatsat_reply(good_at, kJson, "kiwi", 5).ok);
  CHECK_FALSE(check_whatsat_reply(at, kJson, "kiwi", 5).ok);
  CHECK_FALSE(check_whatsat_reply(good_at, kJson, "apple", 5).ok);
  CHECK_FALSE(check_whatsat_reply(good_at, "{ not json", "kiwi", 5).ok);
  CHECK_FALSE(check_whatsat_reply(good_at, "{\"results\": []}", "kiwi", 5).ok);
  CHECK_FALSE(check_whatsat_reply(good_at, "{\"results\": [1, 2], \"status\": \"OK\"}", "kiwi", 1).ok);
  CHECK(check_whatsat_reply(good_at, "{\"results\": [1, 2], \"status\": \"OK\"}", "kiwi", 2).ok);
}

TEST_CASE("load protocol: the assembler cuts pipelined replies in any split") {
  const std::string ops = "kiwi +34.068930-118.445127 1621464827.959498503";
  const std::string stream = "AT Clark +0.263873386 " + ops + "\r\n" +
                             "AT Clark +0.100000000 " + ops + "\n" + std::string(kJson) +
                             "\n\n? WHATSAT nobody 10 5\n";
  const Command first = iamat(ops);
  const Command second = whatsat("kiwi", 5);
  const Command third = whatsat("nobody", 5);
  for (std::size_t split = 1; split < stream.size(); split += 7) {
    ReplyAssembler a(1 << 16);
    std::size_t fed = 0;
    std::vector<Verdict> verdicts;
    const Command* order[] = {&first, &second, &third};
    std::size_t next = 0;
    while (fed < stream.size()) {
      const std::size_t n = std::min(split, stream.size() - fed);
      feed(a, std::string_view(stream).substr(fed, n));
      fed += n;
      while (next < 3) {
        auto v = a.next(*order[next]);
        if (!v) break;
        verdicts.push_back(*v);
        ++next;
      }
    }
    REQUIRE(verdicts.size() == 3);
    CHECK(verdicts[0].ok);
    CHECK(verdicts[1].ok);
    CHECK_FALSE(verdicts[2].ok);
    CHECK(verdicts[2].error == ErrorKind::question_reply);
    CHECK(a.buffered() == 0);
  }
}

TEST_CASE("load protocol: a reply over the limit is malformed, a cut one is partial") {
  ReplyAssembler a(300);
  feed(a, "AT " + std::string(400, 'x'));
  auto v = a.next(iamat("a +1+1 1"));
  REQUIRE(v);
  CHECK(v->error == ErrorKind::malformed_reply);

  ReplyAssembler b(1 << 16);
  feed(b, "AT Clark +0.100000000 kiwi +1+1 1\n{\n");
  CHECK_FALSE(b.next(whatsat("kiwi", 5)));
  CHECK(b.has_partial());
}

TEST_CASE("load protocol: commands are seeded and IAMATs always newer") {
  WorkloadOptions o;
  o.clients = 10;
  o.whatsat_fraction = 0.5;
  CommandSource a(o, 7), b(o, 7), c(o, 8);
  std::set<std::string> names;
  std::map<std::string, std::string> last_time;  // by client, "s.nnnnnnnnn" of equal width
  for (int i = 0; i < 50; ++i) {
    const Command x = a.next(1000);  // a clock that stands still
    const Command y = b.next(1000);
    CHECK(x.text == y.text);
    CHECK(x.kind == CommandKind::iamat);  // nothing acknowledged yet
    names.insert(x.client);
    const std::string time = x.operands.substr(x.operands.rfind(' ') + 1);
    if (last_time.count(x.client)) CHECK(time > last_time[x.client]);
    last_time[x.client] = time;
  }
  CHECK(names.size() > 1);
  CHECK(names.size() <= 10);
  CHECK(a.whatsat_substituted() > 0);
  CHECK(a.clients()[0].name != c.clients()[0].name);
  a.acknowledge(a.next(1000));
  bool asked = false;
  for (int i = 0; i < 50 && !asked; ++i) asked = a.next(1000).kind == CommandKind::whatsat;
  CHECK(asked);
}
