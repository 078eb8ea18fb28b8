#include "herd/sim/slot_chunks.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

using herd::sim::SlotChunks;

TEST_CASE("slot chunks: slots keep their values and addresses as the array grows") {
  SlotChunks<std::string, 3> slots;  // chunks of 8, so growth crosses many chunks
  CHECK(slots.size() == 0);
  std::string* first = &slots.emplace_back();
  *first = "zero";
  for (int i = 1; i < 100; ++i) {
    std::string& slot = slots.emplace_back();
    CHECK(slot.empty());  // a new slot is as its default constructor makes it
    slot = std::to_string(i);
  }
  REQUIRE(slots.size() == 100);
  CHECK(&slots[0] == first);  // never moved: nothing is copied when a chunk is added
  CHECK(slots[0] == "zero");
  for (int i = 1; i < 100; ++i) CHECK(slots[static_cast<std::size_t>(i)] == std::to_string(i));
  const auto& view = slots;
  CHECK(view[7] == "7");
  CHECK(view[8] == "8");
}

TEST_CASE("slot chunks: over-aligned slots are aligned") {
  struct alignas(64) Wide {
    std::uint64_t value = 7;
  };
  SlotChunks<Wide, 2> slots;
  for (int i = 0; i < 10; ++i) {
    Wide& slot = slots.emplace_back();
    CHECK(reinterpret_cast<std::uintptr_t>(&slot) % 64 == 0);
    CHECK(slot.value == 7);
  }
}
