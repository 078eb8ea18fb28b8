// In a file of its own so that the compiler never inlines the replaced operators into
// their callers (it would then warn about free() on memory from operator new).
#include "counting_allocator.hpp"

#include <cstdlib>
#include <new>

namespace {
std::size_t g_bytes = 0;
std::size_t g_calls = 0;
}  // namespace

namespace herd::test {
std::size_t allocated_bytes() noexcept { return g_bytes; }
std::size_t allocation_calls() noexcept { return g_calls; }
}  // namespace herd::test

void* operator new(std::size_t size) {
  g_bytes += size;
  ++g_calls;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every allocation
// must come from this malloc, or the sanitizers see a free() of memory they handed out.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_bytes += size;
  ++g_calls;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
