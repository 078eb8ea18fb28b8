// PeerLineMemo: the parse of a peer update line made once and handed to every receiver.
// It must be exactly what the receiver's own parse gives, and a server must use it only
// for the very line it was made from.
#include "herd/core/peer_line_memo.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "herd/core/record_store.hpp"
#include "herd/core/server.hpp"

using namespace herd::core;

namespace {

const std::string kLine =
    "AT Bona +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503 3";

void check_same(const PeerUpdate& a, const PeerUpdate& b) {
  CHECK(a.at_line == b.at_line);
  CHECK(a.at_line.data() == b.at_line.data());
  CHECK(a.origin == b.origin);
  CHECK(a.diff == b.diff);
  CHECK(a.client == b.client);
  CHECK(a.client.data() == b.client.data());
  CHECK(a.coords == b.coords);
  CHECK(a.client_time == b.client_time);
  CHECK(a.position.lat_deg == b.position.lat_deg);
  CHECK(a.position.lng_deg == b.position.lng_deg);
  CHECK(a.client_time_ns == b.client_time_ns);
  CHECK(a.hops == b.hops);
}

}  // namespace

TEST_CASE("peer line memo: gives exactly the receiver's own parse and id") {
  for (const std::string& bytes : {kLine + "\n", kLine + "\r\n"}) {
    auto memo = PeerLineMemo::of_bytes(bytes);
    REQUIRE(memo);
    const std::string_view line(bytes.data(), kLine.size());
    CHECK(memo->line_size == kLine.size());
    auto parsed = parse_peer_update(line);
    REQUIRE(parsed);
    check_same(memo->update(line), *parsed);
    CHECK(memo->id == update_id(parsed->at_line));
  }
}

TEST_CASE("peer line memo: none for bytes that are not one valid update line") {
  CHECK_FALSE(PeerLineMemo::of_bytes(kLine));                          // no terminator
  CHECK_FALSE(PeerLineMemo::of_bytes(kLine + "\n" + kLine + "\n"));    // two lines
  CHECK_FALSE(PeerLineMemo::of_bytes("HERD 1 Bona s3cret\n"));          // a greeting
  CHECK_FALSE(PeerLineMemo::of_bytes(
      "AT Bona +0.263873386 kiwi +91.000000-118.445127 1621464827.959498503 3\n"));  // values
  CHECK_FALSE(PeerLineMemo::of_bytes("AT Bona +0.1 kiwi +1+1 1.5\n"));  // no hop count
  const std::string long_client(200, 'k');
  CHECK_FALSE(PeerLineMemo::of_bytes("AT Bona +0.263873386 " + long_client +
                                     " +34.068930-118.445127 1621464827.959498503 3\n"));
}

TEST_CASE("peer line memo: a server uses it only for the line it was made from") {
  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona"};
  config.peer_secret = "s3cret";
  const Instant now{1621464828'223372000LL};
  const std::string bytes = kLine + "\n";
  const auto memo = PeerLineMemo::of_bytes(bytes);
  REQUIRE(memo);

  SECTION("the bytes frame to that line: the update is stored as without the memo") {
    Server with(config), without(config);
    for (Server* s : {&with, &without}) {
      s->handle_conn_open(now, 1);
      s->handle_conn_bytes(now, 1, "HERD 1 Bona s3cret\n");
    }
    with.handle_conn_bytes(now, 1, bytes, &*memo);
    without.handle_conn_bytes(now, 1, bytes);
    REQUIRE(with.records().find("kiwi.cs.ucla.edu"));
    CHECK(*with.records().find("kiwi.cs.ucla.edu")->update.at_line ==
          *without.records().find("kiwi.cs.ucla.edu")->update.at_line);
    CHECK(with.stats().updates_applied == 1);
    CHECK(with.stats().bad_peer_lines == 0);
    // And the repeat settles as a repeat.
    with.handle_conn_bytes(now, 1, bytes, &*memo);
    CHECK(with.stats().updates_ignored == 1);
  }
  SECTION("a partial line was buffered before: the framed line is another, memo ignored") {
    Server s(config);
    s.handle_conn_open(now, 1);
    s.handle_conn_bytes(now, 1, "HERD 1 Bona s3cret\nAT junk ");
    s.handle_conn_bytes(now, 1, bytes, &*memo);
    // "AT junk AT Bona ..." is malformed: had the memo been used it would have been stored.
    CHECK_FALSE(s.records().find("kiwi.cs.ucla.edu"));
    CHECK(s.stats().bad_peer_lines == 1);
  }
}

TEST_CASE("peer line memo: made from the forwarded update it equals the line's own parse") {
  auto update =
      LocationUpdate::from_at_line(SharedText(std::string_view(kLine).substr(0, kLine.rfind(' '))));
  REQUIRE(update);
  const std::uint64_t id = update_id(*update->at_line);
  const std::string at(*update->at_line);
  const std::string forwarded = at + " 4\n";
  auto made = PeerLineMemo::of_forward(forwarded, *update, id, 4);
  auto parsed = PeerLineMemo::of_bytes(forwarded);
  REQUIRE(made);
  REQUIRE(parsed);
  CHECK(made->same_as(*parsed));
  // Anything but exactly the update's AT line and that hop count gets no memo.
  CHECK_FALSE(PeerLineMemo::of_forward(at + " 5\n", *update, id, 4));
  CHECK_FALSE(PeerLineMemo::of_forward(at + " 4", *update, id, 4));
  CHECK_FALSE(PeerLineMemo::of_forward("REPAIR " + forwarded, *update, id, 4));
  CHECK_FALSE(PeerLineMemo::of_forward(at + "x 4\n", *update, id, 4));
}

TEST_CASE("peer line memo: a server forwarding a friend's update names one memo per line") {
  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona", "Jaquez", "Johnson"};
  config.peer_secret = "s3cret";
  config.forward_memos = true;
  Server server(config);
  const Instant now{1621464828'223372000LL};
  for (PeerId p = 0; p < 3; ++p) server.handle_peer_up(now, p);
  server.handle_conn_open(now, 1);
  server.handle_conn_bytes(now, 1, "HERD 1 Bona s3cret\n" + kLine + "\n");
  std::vector<SendToPeer> sends;
  std::vector<PeerLineMemo> memos;
  while (auto out = server.poll_output()) {
    if (auto* s = std::get_if<SendToPeer>(&*out)) {
      if (!s->bytes->starts_with("AT ")) {  // the link's greeting
        CHECK(s->memo == 0);
        continue;
      }
      sends.push_back(*s);
      REQUIRE(server.forward_memo(s->memo));
      memos.push_back(*server.forward_memo(s->memo));
    }
  }
  REQUIRE(sends.size() == 2);  // to Jaquez and Johnson, not back to Bona
  CHECK(sends[0].memo == sends[1].memo);
  auto parsed = PeerLineMemo::of_bytes(*sends[0].bytes);
  REQUIRE(parsed);
  CHECK(memos[0].same_as(*parsed));
  CHECK(memos[0].hops == 4);
  // Once the outputs are drained the memos are gone.
  CHECK(server.forward_memo(sends[0].memo) == nullptr);

  // A client's IAMAT floods a line the server formatted itself: no memo.
  server.handle_conn_open(now, 2);
  server.handle_conn_bytes(
      now, 2, "IAMAT other.client +34.068930-118.445127 1621464827.959498503\n");
  int flooded = 0;
  while (auto out = server.poll_output()) {
    if (auto* s = std::get_if<SendToPeer>(&*out); s && s->bytes->starts_with("AT ")) {
      ++flooded;
      CHECK(s->memo == 0);
    }
  }
  CHECK(flooded == 3);
}

TEST_CASE("peer line memo: a server not asked for memos makes none (the live runtime's)") {
  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona", "Jaquez"};
  config.peer_secret = "s3cret";
  Server server(config);
  const Instant now{1621464828'223372000LL};
  for (PeerId p = 0; p < 2; ++p) server.handle_peer_up(now, p);
  server.handle_conn_open(now, 1);
  server.handle_conn_bytes(now, 1, "HERD 1 Bona s3cret\n" + kLine + "\n");
  int forwarded = 0;
  while (auto out = server.poll_output()) {
    if (auto* s = std::get_if<SendToPeer>(&*out); s && s->bytes->starts_with("AT ")) {
      ++forwarded;
      CHECK(s->memo == 0);
    }
  }
  CHECK(forwarded == 1);
}
