#pragma once
// One server's log (docs/protocol.md#logs): a file at <log_dir>/<Name>.log that receives
// every line the core reports (traffic, connections, peers) and the runtime's own events,
// with UTC wall-clock timestamps to the microsecond; plus an optional console shared by all
// servers of the process that only shows start, stop and warnings. The file is rotated by
// size: <Name>.log always holds the newest lines, <Name>.1.log the ones before, and so on.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/common.h>

#include "herd/core/server.hpp"

namespace spdlog {
class logger;
}

namespace herd::live {

// When <Name>.log would grow past file_bytes it becomes <Name>.1.log (older files move up
// by one) and a new <Name>.log starts; at most `files` older files are kept, so one server's
// logs never take more than (files + 1) * file_bytes.
struct LogRotation {
  std::size_t file_bytes = 32 * 1024 * 1024;
  std::size_t files = 4;
};

class ServerLog {
 public:
  // Creates the folder if missing and appends to the file. Throws std::runtime_error naming
  // the path when it cannot be opened. console_sink may be null (no console output).
  ServerLog(const std::string& server_name, const std::filesystem::path& log_dir,
            spdlog::sink_ptr console_sink, LogRotation rotation = {});
  ~ServerLog();
  ServerLog(const ServerLog&) = delete;
  ServerLog& operator=(const ServerLog&) = delete;

  // A record from the core: always to the file, warnings and errors to the console too.
  void record(core::LogLevel level, std::string_view text);
  // A runtime event only worth the file (link retries, accepted connections).
  void file(spdlog::level::level_enum level, std::string_view text);
  // A runtime event for the file and the console (start, stop, warnings).
  void notice(spdlog::level::level_enum level, std::string_view text);
  void flush();

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  // The console sink every server of a process shares (stderr, colours when a terminal).
  [[nodiscard]] static spdlog::sink_ptr make_console_sink();

 private:
  std::filesystem::path path_;
  std::shared_ptr<spdlog::logger> file_;
  std::shared_ptr<spdlog::logger> console_;
};

}  // namespace herd::live
