#pragma once
// Reading herd-server observation files (core/live/include/herd/live/observation_log.hpp)
// back into events the metrics recorder takes.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herd/core/shared_text.hpp"
#include "herd/sim/herd_layout.hpp"
#include "herd/sim/metrics.hpp"

namespace herd::sim::live {

struct ObservedEvent {
  enum class Kind : std::uint8_t { accepted, applied, ignored, read };
  Kind kind = Kind::accepted;
  Nanoseconds at_ns = 0;  // host clock, ns since the POSIX epoch
  ServerIndex server = 0;
  std::uint64_t id = 0;
  std::uint32_t hops = 0;
  ServerIndex from = kNoServer;
  core::SharedText at_line;  // accepted and read
};

struct ObservationFile {
  std::vector<ObservedEvent> events;
  bool truncated = false;  // the server reached its observation limit
};

// Parses one file written by `herd-server --observe`. Server and friend names are looked up
// in `layout`. A last line without its newline (the server was killed while writing it) is
// ignored; anything else malformed throws std::runtime_error naming the file and line.
[[nodiscard]] ObservationFile read_observation_file(const std::filesystem::path& file,
                                                    const HerdLayout& layout);

// One line (without its newline); nullopt for a comment. Throws std::invalid_argument.
[[nodiscard]] std::optional<ObservedEvent> parse_observation_line(std::string_view line,
                                                                  const HerdLayout& layout);

}  // namespace herd::sim::live
