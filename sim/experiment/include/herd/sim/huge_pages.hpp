#pragma once
// Storage for the simulator's big tables, in transparent huge pages where the system allows
// them.
//
// A million-server herd touches about two gigabytes of fresh memory while it is set up, and
// in 4 KiB pages that is half a million page faults: on a virtual machine, where each costs
// the guest and the host, they were most of the set-up's time. A table of 2 MiB or more is
// mapped on its own, aligned to 2 MiB and advised for huge pages (madvise MADV_HUGEPAGE), so
// it faults in 2 MiB at a time; its last partial 2 MiB stays in small pages, so it holds
// no more resident memory than on the heap. Smaller tables come from the ordinary heap.
//
// Nothing a run computes depends on where its memory is. If the kernel gives no huge pages
// (transparent_hugepage set to "never"), the advice is ignored and the mapping faults in
// 4 KiB pages as any other. Under AddressSanitizer every table stays on the ordinary heap,
// where ASan guards its bounds and checks the vectors' annotations.

#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <vector>

namespace herd::sim {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// True when tables of this many bytes are mapped in huge pages (false under ASan).
[[nodiscard]] bool maps_huge(std::size_t bytes) noexcept;
// A fresh mapping of `bytes` (rounded up to whole 4 KiB pages), 2 MiB-aligned, its whole
// 2 MiB pages advised for huge pages, its contents zero. Throws std::bad_alloc when the
// system refuses.
[[nodiscard]] void* map_huge(std::size_t bytes);
// Gives back a mapping from map_huge of the same `bytes`.
void unmap_huge(void* p, std::size_t bytes) noexcept;

// An allocator for std::vector and the like: huge-page mappings from 2 MiB up, the heap below.
template <typename T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() noexcept = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  [[nodiscard]] T* allocate(std::size_t n) {
    static_assert(alignof(T) <= kHugePageBytes);  // std::allocator aligns the small ones
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (maps_huge(bytes)) return static_cast<T*>(map_huge(bytes));
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (maps_huge(bytes)) {
      unmap_huge(p, bytes);
    } else {
      std::allocator<T>{}.deallocate(p, n);
    }
  }

  template <typename U>
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator<U>&) noexcept {
    return true;
  }
};

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace herd::sim
