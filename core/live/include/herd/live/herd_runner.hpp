#pragma once
// Runs one or more servers of a herd in this process, on one io_context and one thread,
// until SIGINT or SIGTERM: what herd-server does once its command line is parsed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "herd/live/config.hpp"

namespace herd::live {

struct RunOptions {
  std::vector<std::string> servers;                 // names from the configuration
  std::optional<std::filesystem::path> log_dir;     // overrides [herd] log_dir
  bool log_traffic = true;                          // off for benchmarks
  // Every Observation of every server, one line each (observation_log.hpp).
  std::optional<std::filesystem::path> observe_file;
  std::uint64_t observe_limit_bytes = 1ULL << 30;
  // Written once every server listens: one line "<name> <port> <peer_port>" per server,
  // the ports actually bound. Written to FILE.tmp and renamed, so a reader that sees the
  // file sees all of it.
  std::optional<std::filesystem::path> ready_file;
};

// Returns the process exit code: 0 after a clean stop by signal, 1 when a server cannot
// start or its durable store cannot commit (the reason is printed on stderr), 2 on an
// unexpected runtime error.
[[nodiscard]] int run_herd(const HerdConfig& config, const RunOptions& options);

}  // namespace herd::live
