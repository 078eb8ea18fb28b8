#pragma once
// The observation file of `herd-server --observe FILE`: one text line per core::Observation
// of every server the process runs, for a test bed that measures a live herd from outside
// (herd-sim's live backend). Format, one space between fields:
//
//   <server> <kind> <time_ns> <update_id> <hops> <from> [<AT line>]
//
// kind: accepted | applied | ignored | read; time_ns: the host's system clock (CLOCK_REALTIME)
// in integer nanoseconds since the POSIX epoch, the instant the core handled the input;
// update_id: 16 lowercase hex digits; hops: decimal; from: the friend the update came from,
// or "-"; the AT line (six fields) follows for accepted and read. The first line is a header,
// "# herd-observations 1"; a line starting with '#' is a comment.
//
// Lines are buffered only until the handler that produced them returns (a flush is posted to
// the io_context), or 64 KiB, and written with write(2): a process killed with SIGKILL loses
// at most the lines of the event it was handling. The file is bounded: past `max_bytes` one
// "# truncated" line is written and nothing more.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "herd/core/server.hpp"

namespace herd::live {

inline constexpr std::uint64_t kDefaultObservationLimit = 1ULL << 30;  // 1 GiB

class ObservationLog {
 public:
  // Creates or truncates `file`. Throws std::runtime_error naming the file and the reason.
  ObservationLog(boost::asio::io_context& io, const std::filesystem::path& file,
                 std::uint64_t max_bytes = kDefaultObservationLimit);
  ~ObservationLog();  // flushes and closes
  ObservationLog(const ObservationLog&) = delete;
  ObservationLog& operator=(const ObservationLog&) = delete;

  // `friends` is the server's friend list, so a PeerId can be written as a name.
  void record(std::string_view server, const std::vector<std::string>& friends,
              const core::Observation& observation);
  void flush();

  [[nodiscard]] bool truncated() const noexcept { return truncated_; }

 private:
  void append(std::string_view text);

  boost::asio::io_context& io_;
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t max_bytes_;
  std::uint64_t written_ = 0;  // bytes accepted into the file so far (buffered included)
  std::string buffer_;
  bool flush_posted_ = false;
  bool truncated_ = false;
  bool failed_ = false;
};

// Formats one observation line (with its '\n'); exposed for tests and readers.
[[nodiscard]] std::string format_observation(std::string_view server,
                                             const std::vector<std::string>& friends,
                                             const core::Observation& observation);

}  // namespace herd::live
