#pragma once
// Counters of a replaced global operator new (counting_allocator.cpp), for tests that bound
// what a piece of code allocates. Link counting_allocator.cpp into a test program of its
// own: the replacement applies to the whole program.

#include <cstddef>

namespace herd::test {

// Bytes asked of operator new since the program started (frees are not subtracted).
[[nodiscard]] std::size_t allocated_bytes() noexcept;
[[nodiscard]] std::size_t allocation_calls() noexcept;
// Bytes held now: what malloc really handed out (its usable size, rounding included, and
// its size word before each chunk) minus what was freed. What a structure keeps, rather than what it asked for on the way.
[[nodiscard]] std::size_t live_bytes() noexcept;

}  // namespace herd::test
