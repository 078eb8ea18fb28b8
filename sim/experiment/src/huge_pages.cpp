#include "herd/sim/huge_pages.hpp"

#include <sys/mman.h>
#include <unistd.h>

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

std::size_t small_page_bytes() noexcept {
  static const auto bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return bytes;
}

std::size_t round_up(std::size_t bytes, std::size_t unit) noexcept {
  return (bytes + unit - 1) & ~(unit - 1);
}

}  // namespace

bool maps_huge(std::size_t bytes) noexcept { return !kSanitized && bytes >= kHugePageBytes; }

void* map_huge(std::size_t bytes) {
  if (bytes > std::numeric_limits<std::size_t>::max() - 2 * kHugePageBytes) throw std::bad_alloc();
  const std::size_t size = round_up(bytes, small_page_bytes());
  // Map a huge page more than needed and trim both ends, so the table starts on a 2 MiB
  // boundary: only an aligned 2 MiB range can be one huge page.
  const std::size_t padded = size + kHugePageBytes;
  void* raw = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = round_up(start, kHugePageBytes);
  const std::size_t head = aligned - start;
  const std::size_t tail = padded - head - size;
  if (head > 0) ::munmap(raw, head);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* p = reinterpret_cast<void*>(aligned);
  // The whole 2 MiB pages only: the rest stays in small pages, so a table holds no more
  // resident memory than in the heap. This is advice: without transparent huge pages the
  // mapping works in small pages throughout.
  (void)::madvise(p, size & ~(kHugePageBytes - 1), MADV_HUGEPAGE);
  return p;
}

void unmap_huge(void* p, std::size_t bytes) noexcept {
  if (p != nullptr) ::munmap(p, round_up(bytes, small_page_bytes()));
}

}  // namespace herd::sim
