#include "herd/sim/huge_pages.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

using herd::sim::HugePageAllocator;
using herd::sim::HugeVector;
using herd::sim::kHugePageBytes;
using herd::sim::maps_huge;

namespace {

// The VmFlags line of the mapping in /proc/self/smaps that holds `p` ("" if none).
std::string vm_flags_of(const void* p) {
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

}  // namespace

TEST_CASE("huge pages: small tables stay on the heap, big ones are mapped apart") {
  CHECK_FALSE(maps_huge(0));
  CHECK_FALSE(maps_huge(kHugePageBytes - 1));
#if defined(__SANITIZE_ADDRESS__)
  CHECK_FALSE(maps_huge(kHugePageBytes));  // ASan keeps guarding every table
#else
  CHECK(maps_huge(kHugePageBytes));
  CHECK(maps_huge(std::size_t{1} << 30));
#endif
}

TEST_CASE("huge pages: a vector keeps its values as it grows past the threshold and back") {
  HugeVector<std::uint64_t> values;
  const std::size_t big = 3 * kHugePageBytes / sizeof(std::uint64_t) + 5;  // not a whole page
  for (std::uint64_t i = 0; i < big; ++i) values.push_back(i * 7);
  REQUIRE(values.size() == big);
  for (std::uint64_t i = 0; i < big; i += 4099) CHECK(values[i] == i * 7);
  CHECK(values.back() == (big - 1) * 7);
  if (maps_huge(values.capacity() * sizeof(std::uint64_t))) {
    // Aligned to a huge page, so the kernel can back it with them...
    CHECK(reinterpret_cast<std::uintptr_t>(values.data()) % kHugePageBytes == 0);
    // ...and advised so: "hg" is MADV_HUGEPAGE in smaps' flags.
    CHECK(vm_flags_of(values.data()).find(" hg") != std::string::npos);
  }
  values.resize(10);
  values.shrink_to_fit();  // back on the heap
  CHECK(values.capacity() == 10);
  CHECK(values[9] == 63);
  HugeVector<std::uint64_t> copy = values;
  CHECK(copy == values);
}

TEST_CASE("huge pages: a fresh big table reads as zero, whole, and is given back") {
  HugePageAllocator<char> allocator;
  const std::size_t bytes = kHugePageBytes + 12345;
  char* table = allocator.allocate(bytes);
  REQUIRE(table != nullptr);
  if (maps_huge(bytes)) {
    CHECK(table[0] == 0);
    CHECK(table[bytes - 1] == 0);
    // The whole huge page is advised; the 12,345 bytes past it stay in small pages, so
    // the table holds no more resident memory than it would on the heap.
    CHECK(vm_flags_of(table).find(" hg") != std::string::npos);
    CHECK(vm_flags_of(table + bytes - 1).find(" hg") == std::string::npos);
    CHECK_FALSE(vm_flags_of(table + bytes - 1).empty());
  }
  for (std::size_t i = 0; i < bytes; i += 512) table[i] = static_cast<char>(i);
  table[bytes - 1] = 'z';
  CHECK(table[bytes - 1] == 'z');
  allocator.deallocate(table, bytes);
  if (maps_huge(bytes)) CHECK(vm_flags_of(table).empty());  // unmapped, every byte of it
}

TEST_CASE("huge pages: over-aligned elements are aligned on the heap and in a mapping") {
  struct alignas(64) Wide {
    std::uint64_t value = 3;
  };
  HugeVector<Wide> few(3);
  CHECK(reinterpret_cast<std::uintptr_t>(few.data()) % 64 == 0);
  HugeVector<Wide> many(kHugePageBytes / sizeof(Wide) + 1);
  CHECK(reinterpret_cast<std::uintptr_t>(many.data()) % 64 == 0);
  CHECK(many.back().value == 3);
}
