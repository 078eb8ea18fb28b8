#pragma once
// Reading a whole input file (a scenario, a herd configuration, a graph or a latency sample
// file) with a ceiling, so that /dev/zero, a FIFO that never closes or a mistaken multi-GB
// file ends in a clear error instead of a hang or std::bad_alloc.

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace herd::config {

// Ceilings for the files herd reads; each is far above any real file of its kind.
inline constexpr std::size_t kMaxScenarioFileBytes = 64u << 20;    // 64 MiB
inline constexpr std::size_t kMaxHerdConfigFileBytes = 16u << 20;  // 16 MiB
inline constexpr std::size_t kMaxSampleFileBytes = 64u << 20;      // 64 MiB

// what() is "<path>: <reason>"; reason() is the part after the path, for callers that print
// the path in their own format (file:line:column).
class TextFileError : public std::runtime_error {
 public:
  TextFileError(const std::filesystem::path& path, std::string reason)
      : std::runtime_error(path.string() + ": " + reason), reason_(std::move(reason)) {}
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

 private:
  std::string reason_;
};

// The whole file, read in chunks. Throws TextFileError "<path>: cannot open <what>",
// "<path>: <what> is larger than the limit of N bytes (is it the right file?)" or
// "<path>: error while reading <what>". `what` names the kind of file ("scenario file").
[[nodiscard]] std::string read_text_file(const std::filesystem::path& path,
                                         std::size_t max_bytes, std::string_view what);

}  // namespace herd::config
