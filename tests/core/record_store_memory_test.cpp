// What a record costs in heap bytes, counted by the replaced global allocator of
// counting_allocator.cpp (this file belongs to the memory test program). A record is held
// by every server of a herd for every client: docs/performance.md#where-a-servers-bytes-go.
#include "herd/core/record_store.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "counting_allocator.hpp"

using namespace herd::core;

namespace {

// An AT line of the simulator's usual shape, 79 bytes whatever the numbers.
LocationUpdate update_of(unsigned client, unsigned second) {
  char line[128];
  std::snprintf(line, sizeof line,
                "AT s000123 +0.012345678 client-%05u +34.068930-118.445127 17000%05u.123456789",
                client, second);
  auto update = LocationUpdate::from_at_line(SharedText(line));
  REQUIRE(update);
  return *update;
}

}  // namespace

TEST_CASE("memory: a record store of 10,000 clients holds at most 200 bytes per record") {
  constexpr unsigned kClients = 10'000;
  const std::size_t before = herd::test::live_bytes();
  RecordStore store;
  // Every client stored, then replaced by a newer update: the steady state of a herd,
  // where each replacement releases the AT line it supersedes.
  for (unsigned second = 1; second <= 2; ++second) {
    for (unsigned client = 0; client < kClients; ++client) {
      REQUIRE(store.offer(update_of(client, second), Instant{0}, 1) == OfferResult::applied);
    }
  }
  REQUIRE(store.size() == kClients);
  const std::size_t per_record = (herd::test::live_bytes() - before) / kClients;
  INFO("heap bytes per record: " << per_record << " (sizeof(StoredRecord) = "
                                 << sizeof(StoredRecord) << ")");
  // The index (16,384 slots of 32 bytes: 52 per record), the 48-byte entry and the AT line
  // with its 8-byte header (96 with malloc's rounding and size word): 198 bytes with glibc.
  // Before, an entry was 168 bytes (five field views and a copy of the client ID), chunks
  // doubled without bound (16,368 entries for 10,000), the index stayed at most half full
  // (32,768 slots) and a line's header was 24 bytes: 493.
  CHECK(per_record <= 200);
}

TEST_CASE("memory: a store's first record costs at most 352 bytes, not a chunk of entries") {
  const std::size_t before = herd::test::live_bytes();
  RecordStore store;
  REQUIRE(store.offer(update_of(1, 1), Instant{0}, 1) == OfferResult::applied);
  const std::size_t cost = herd::test::live_bytes() - before;
  INFO("heap bytes for one record: " << cost);
  // One entry, an index of 4 slots, the chunk list and the line: 336 bytes with glibc.
  // Before, the first record made a chunk of 16 entries of 168 bytes and 8 slots: 3,120.
  CHECK(cost <= 352);
}
