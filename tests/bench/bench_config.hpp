#pragma once
// The part of a herd configuration that a load generator needs: where each server listens.
// herd-bench reads the same TOML file the servers run with, so a benchmark always targets
// exactly the herd that was started.

#include <cstdint>
#include <string>
#include <vector>

namespace herd::bench {

struct ServerAddress {
  std::string name;
  std::string host;
  std::uint16_t port = 0;
};

// Reads `[[servers]]` (name, host, port) from a herd TOML file. Throws std::runtime_error
// naming the file, and the line and column when the TOML itself is malformed.
[[nodiscard]] std::vector<ServerAddress> load_herd_servers(const std::string& path);

}  // namespace herd::bench
