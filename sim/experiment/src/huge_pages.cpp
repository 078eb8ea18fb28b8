#include "herd/sim/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace herd::sim {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

std::size_t round_up(std::size_t bytes) noexcept {
  return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
}

}  // namespace

bool maps_huge(std::size_t bytes) noexcept { return !kSanitized && bytes >= kHugePageBytes; }

void* map_huge(std::size_t bytes) {
  if (bytes > std::numeric_limits<std::size_t>::max() - 2 * kHugePageBytes) throw std::bad_alloc();
  const std::size_t size = round_up(bytes);
  // Map one huge page more than needed and trim both ends to a 2 MiB boundary: only an
  // aligned 2 MiB range can be one huge page.
  const std::size_t padded = size + kHugePageBytes;
  void* raw = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePageBytes - 1) & ~(std::uintptr_t{kHugePageBytes} - 1);
  const std::size_t head = aligned - start;
  const std::size_t tail = padded - head - size;
  if (head > 0) ::munmap(raw, head);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* p = reinterpret_cast<void*>(aligned);
  // Advice only: without transparent huge pages the mapping works in small pages.
  (void)::madvise(p, size, MADV_HUGEPAGE);
  return p;
}

void unmap_huge(void* p, std::size_t bytes) noexcept {
  if (p != nullptr) ::munmap(p, round_up(bytes));
}

}  // namespace herd::sim
