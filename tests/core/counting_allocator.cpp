// In a file of its own so that the compiler never inlines the replaced operators into
// their callers (it would then warn about free() on memory from operator new).
#include "counting_allocator.hpp"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace {
std::size_t g_bytes = 0;
std::size_t g_calls = 0;
std::size_t g_live = 0;
// glibc's malloc keeps a size word before every chunk it hands out.
constexpr std::size_t kChunkHeader = sizeof(std::size_t);

void* counted(void* p) noexcept {
  if (p) g_live += malloc_usable_size(p) + kChunkHeader;
  return p;
}
void release(void* p) noexcept {
  if (!p) return;
  g_live -= malloc_usable_size(p) + kChunkHeader;
  std::free(p);
}
}  // namespace

namespace herd::test {
std::size_t allocated_bytes() noexcept { return g_bytes; }
std::size_t allocation_calls() noexcept { return g_calls; }
std::size_t live_bytes() noexcept { return g_live; }
}  // namespace herd::test

void* operator new(std::size_t size) {
  g_bytes += size;
  ++g_calls;
  if (void* p = counted(std::malloc(size == 0 ? 1 : size))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every allocation
// must come from this malloc, or the sanitizers see a free() of memory they handed out.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_bytes += size;
  ++g_calls;
  return counted(std::malloc(size == 0 ? 1 : size));
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
