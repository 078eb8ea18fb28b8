#pragma once
// Shared by the fuzz targets (docs/fuzzing.md). Each target defines LLVMFuzzerTestOneInput;
// under the fuzz preset libFuzzer drives it, elsewhere corpus_main.cpp replays the seed corpus
// through it as an ordinary test.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace herd::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken promise of the code under test: report it and abort, so libFuzzer keeps the input.
[[noreturn]] inline void fail(const char* target, const char* what) {
  std::fprintf(stderr, "%s: %s\n", target, what);
  std::abort();
}

}  // namespace herd::fuzz
