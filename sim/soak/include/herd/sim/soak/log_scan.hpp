#pragma once
// Reading herd-server logs as they grow, for the warnings and errors in them
// (docs/soak.md#errors). A log line is "<UTC time to the microsecond>Z <level> <message>"
// (core/live/src/server_log.cpp); a soak counts every line at level warning or above.
//
// The tail follows every "*.log" file of a folder by inode, not by name, so a log that is
// renamed by rotation ("Name.log" to "Name.1.log") is read on from where it was, and the new
// "Name.log" from its start; a file that shrank is read again from its start.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace herd::sim::soak {

struct LogLine {
  std::int64_t system_ns = 0;  // the line's UTC time, ns since the POSIX epoch
  std::string_view level;      // "warning", "error", "critical", "info", ...
  std::string_view message;
};

// Parses one line (without its newline); nullopt when it does not have the log's shape.
[[nodiscard]] std::optional<LogLine> parse_log_line(std::string_view line);

// warning, error or critical.
[[nodiscard]] bool is_problem_level(std::string_view level) noexcept;

// The warnings a server writes when a friend link goes down or an inbound one closes:
// "link to X down", "inbound link from X closed (conn N)", "inbound link from X dropped
// (conn N)". Expected while a fault cuts links or stops a server; anything else is not.
// Returns the friend X it names, or nullopt when the message is not one of these.
[[nodiscard]] std::optional<std::string_view> link_churn_peer(std::string_view message) noexcept;

// The server a log file belongs to: its name up to ".log", without a rotation number
// ("Bona.log", "Bona.1.log" -> "Bona").
[[nodiscard]] std::string log_owner(const std::filesystem::path& file);

class LogTail {
 public:
  // Lines longer than max_line_bytes are cut there (the rest of the line is skipped).
  explicit LogTail(std::filesystem::path folder, std::size_t max_line_bytes = 64 * 1024);

  // Reads what every log has gained since the last call; calls `line` for each complete
  // line at a problem level, with the log's owner. A file that cannot be read is skipped
  // (it may be rotated away between the listing and the open).
  void poll(const std::function<void(const std::string& owner, const LogLine& line)>& line);

  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_; }
  [[nodiscard]] std::uint64_t lines_read() const noexcept { return lines_read_; }
  [[nodiscard]] std::uint64_t unparsed_lines() const noexcept { return unparsed_; }

 private:
  struct File {
    std::uint64_t offset = 0;
    std::string partial;  // a line whose newline has not come yet
    bool skipping = false;  // inside a line longer than the limit
  };
  void read_file(const std::filesystem::path& path, File& file, const std::string& owner,
                 const std::function<void(const std::string&, const LogLine&)>& line);
  void take_line(std::string_view text, const std::string& owner,
                 const std::function<void(const std::string&, const LogLine&)>& line);

  std::filesystem::path folder_;
  std::size_t max_line_;
  std::map<std::pair<dev_t, ino_t>, File> files_;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t lines_read_ = 0;
  std::uint64_t unparsed_ = 0;
};

// Total size in bytes of the regular files under a folder (recursively); 0 if it is gone.
[[nodiscard]] std::uint64_t folder_bytes(const std::filesystem::path& folder);

// VmRSS of a process in KiB, from /proc/<pid>/status; nullopt when it is gone.
[[nodiscard]] std::optional<std::uint64_t> rss_kib(int pid);
// The same from a status file's text.
[[nodiscard]] std::optional<std::uint64_t> parse_vmrss_kib(std::string_view status);

}  // namespace herd::sim::soak
