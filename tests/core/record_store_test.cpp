#include "herd/core/record_store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace herd::core;

namespace {
LocationUpdate update(const std::string& at_line) {
  auto u = LocationUpdate::from_at_line(herd::core::SharedText(at_line));
  REQUIRE(u);
  return *u;
}
}  // namespace

TEST_CASE("record store: update ids are fixed values every platform computes") {
  // Ids travel in KNEW, IHAVE and anti-entropy messages: a change here is a protocol change.
  CHECK(update_id("AT Bailey +0.263873386 client123 +34.068930-118.445127 1621464827.959498503") ==
        0xe17a7bfa0286d887ULL);
  CHECK(update_id("") == 0xe220a8397b1dcdafULL);
  CHECK(update_id("AT") == 0x5a4634dff35c3509ULL);
}

TEST_CASE("record store: an AT line splits into its fields") {
  auto u = update("AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503");
  CHECK(u.origin == "Clark");
  CHECK(u.diff == "+0.263873386");
  CHECK(u.client == "kiwi.cs.ucla.edu");
  CHECK(u.coords == "+34.068930-118.445127");
  CHECK(u.client_time == "1621464827.959498503");
  CHECK(u.client_time_ns == 1621464827959498503);
  CHECK_FALSE(LocationUpdate::from_at_line(herd::core::SharedText("AT Clark")));
  CHECK_FALSE(LocationUpdate::from_at_line(
      herd::core::SharedText("AT Clark +0.1 kiwi +1+1 1 5")));
  CHECK_FALSE(LocationUpdate::from_at_line(SharedText{}));
}

TEST_CASE("record store: newer client timestamps replace older ones never the reverse") {
  RecordStore store;
  auto old_one = update("AT Clark +0.100000000 kiwi +1+1 100");
  auto new_one = update("AT Bona +0.100000000 kiwi +2+2 101");
  CHECK(store.offer(old_one, Instant{1}, 0) == OfferResult::applied);
  CHECK(store.offer(new_one, Instant{2}, 2) == OfferResult::applied);
  CHECK(store.offer(old_one, Instant{3}, 1) == OfferResult::older);
  CHECK(store.offer(new_one, Instant{4}, 1) == OfferResult::duplicate);
  REQUIRE(store.find("kiwi"));
  CHECK(*store.find("kiwi")->update.at_line == "AT Bona +0.100000000 kiwi +2+2 101");
  CHECK(store.find("kiwi")->hops == 2);
  CHECK(store.find("kiwi")->applied_at == Instant{2});
  CHECK(store.size() == 1);
  CHECK_FALSE(store.find("kiw"));
}

TEST_CASE("record store: equal timestamps are ordered the same way in every arrival order") {
  // Five updates of one client, all at the same client time: every permutation of arrival
  // must leave the same winner, or the herd would not converge.
  std::vector<std::string> lines{
      "AT Clark +0.100000000 kiwi +1+1 1621464827.5",
      "AT Bona +0.100000000 kiwi +1+1 1621464827.5",
      "AT Clark +0.100000000 kiwi +1-1 1621464827.5",
      "AT Clark +0.200000000 kiwi +1-1 1621464827.5",
      "AT Clark +0.200000000 kiwi +1-1 1621464827.500",
  };
  std::vector<std::size_t> order{0, 1, 2, 3, 4};
  std::string winner;
  int permutations = 0;
  do {
    RecordStore store;
    for (auto i : order) (void)store.offer(update(lines[i]), Instant{0}, 0);
    std::string got(*store.find("kiwi")->update.at_line);
    if (winner.empty()) winner = got;
    CHECK(got == winner);
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(permutations == 120);
  // Same time and coordinates: the origin name decides, bytewise ("Clark" > "Bona").
  CHECK(winner == "AT Clark +0.200000000 kiwi +1-1 1621464827.500");
}

TEST_CASE("record store: the order is total and antisymmetric") {
  auto a = update("AT Clark +0.100000000 kiwi +1+1 5");
  auto b = update("AT Clark +0.100000000 kiwi +1+1 5.0");
  CHECK(compare_updates(a, b) == -compare_updates(b, a));
  CHECK(compare_updates(a, b) != 0);
  CHECK(compare_updates(a, a) == 0);
}

TEST_CASE("record store: an empty store has no index until its first record, then works as usual") {
  // Most servers of a big herd hold nothing for most of a run; the index is made by the
  // first offer, including one that follows a look-up made while the store was empty.
  RecordStore store;
  store.prefetch("kiwi");  // a hint on an empty store must be harmless
  CHECK(store.find("kiwi") == nullptr);
  auto first = update("AT Clark +0.100000000 kiwi +34.068930-118.445127 1621464827.959498503");
  RecordStore::Lookup at = store.lookup("kiwi", update_id(*first.at_line));
  CHECK(at.record == nullptr);
  const StoredRecord* stored = nullptr;
  CHECK(store.offer(at, first, Instant{1}, 0, &stored) == OfferResult::applied);
  REQUIRE(stored != nullptr);
  CHECK(store.find("kiwi") == stored);
  CHECK(store.size() == 1);
  // Enough clients to grow the index several times: every one is still found.
  for (int i = 0; i < 100; ++i) {
    auto u = update("AT Clark +0.100000000 c" + std::to_string(i) + " +34.068930-118.445127 1621464827.5");
    CHECK(store.offer(u, Instant{2}, 1) == OfferResult::applied);
  }
  CHECK(store.size() == 101);
  for (int i = 0; i < 100; ++i) {
    const StoredRecord* r = store.find("c" + std::to_string(i));
    REQUIRE(r != nullptr);
    CHECK(r->update.client() == "c" + std::to_string(i));
  }
  CHECK(store.find("kiwi") == stored);
  CHECK(store.offer(first, Instant{3}, 0) == OfferResult::duplicate);
}

TEST_CASE("record store: records keep their address and order past the doubling chunks") {
  // Chunks double up to 1,024 entries, then stay at 1,024: entry 1,023 starts the first
  // fixed chunk, and every entry must stay where it was put.
  RecordStore store;
  std::vector<const StoredRecord*> where;
  for (int i = 0; i < 3000; ++i) {
    const StoredRecord* stored = nullptr;
    auto u = update("AT Clark +0.100000000 c" + std::to_string(i) + " +1+1 1621464827.5");
    REQUIRE(store.offer(u, Instant{1}, 1, &stored) == OfferResult::applied);
    where.push_back(stored);
  }
  for (int i = 0; i < 3000; ++i) {
    const StoredRecord* found = store.find("c" + std::to_string(i));
    REQUIRE(found == where[static_cast<std::size_t>(i)]);
    CHECK(found->update.client() == "c" + std::to_string(i));
  }
  std::size_t visited = 0;
  store.for_each([&](const StoredRecord& r) { CHECK(&r == where[visited++]); });
  CHECK(visited == 3000);
}

TEST_CASE("record store: a stored update finds its fields again in its line, however spaced") {
  // A friend's AT line may separate its fields by runs of white space; the store keeps the
  // line as it came and splits it again when a field other than the client ID is asked for.
  const std::string text = "AT  Clark \t+0.100000000   kiwi +34.068930-118.445127  1621464827.5";
  LocationUpdate u;
  u.at_line = SharedText(text);
  const std::string_view line = *u.at_line;
  u.origin = line.substr(4, 5);
  u.diff = line.substr(11, 12);
  u.client = line.substr(26, 4);
  u.coords = line.substr(31, 21);
  u.client_time = line.substr(54);
  u.position = GeoPoint{34.06893, -118.445127};
  u.client_time_ns = 1621464827500000000;
  REQUIRE(u.client == "kiwi");
  REQUIRE(u.client_time == "1621464827.5");
  const StoredUpdate stored(u);
  CHECK(stored.client() == "kiwi");
  CHECK(stored.origin() == "Clark");
  CHECK(stored.diff() == "+0.100000000");
  CHECK(stored.coords() == "+34.068930-118.445127");
  CHECK(stored.client_time() == "1621464827.5");
  CHECK(stored.position().lat_deg == Approx(34.06893));
  CHECK(stored.position().lng_deg == Approx(-118.445127));
  CHECK(stored.client().data() == u.client.data());  // a view into the same line
  CHECK(compare_updates(u, stored) == 0);
  CHECK(compare_updates(stored, u) == 0);
  const LocationUpdate full = stored.full();
  CHECK(full.origin.data() == u.origin.data());
  CHECK(full.client_time.data() == u.client_time.data());
  CHECK(full.client_time_ns == u.client_time_ns);
}
