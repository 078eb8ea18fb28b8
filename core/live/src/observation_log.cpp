#include "herd/live/observation_log.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "herd/core/record_store.hpp"

namespace herd::live {

namespace {

constexpr std::size_t kFlushAtBytes = 64 * 1024;
constexpr std::string_view kHeader = "# herd-observations 1\n";
constexpr std::string_view kTruncated = "# truncated: the observation limit was reached\n";

std::string_view kind_word(core::ObservationKind kind) {
  switch (kind) {
    case core::ObservationKind::update_accepted: return "accepted";
    case core::ObservationKind::update_applied: return "applied";
    case core::ObservationKind::update_ignored: return "ignored";
    case core::ObservationKind::read_answered: return "read";
  }
  return "unknown";
}

}  // namespace

std::string format_observation(std::string_view server, const std::vector<std::string>& friends,
                               const core::Observation& o) {
  std::string line;
  line.reserve(128);
  line += server;
  line += ' ';
  line += kind_word(o.kind);
  line += ' ';
  line += std::to_string(o.at.ns);
  line += ' ';
  line += core::format_update_id(o.update_id);
  line += ' ';
  line += std::to_string(o.hops);
  line += ' ';
  if (o.from && *o.from < friends.size()) {
    line += friends[*o.from];
  } else {
    line += '-';
  }
  const bool with_line = o.kind == core::ObservationKind::update_accepted ||
                         o.kind == core::ObservationKind::read_answered;
  if (with_line && o.update) {
    line += ' ';
    line += *o.update;
  }
  line += '\n';
  return line;
}

ObservationLog::ObservationLog(boost::asio::io_context& io, const std::filesystem::path& file,
                               std::uint64_t max_bytes)
    : io_(io), path_(file), max_bytes_(max_bytes) {
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error(file.string() + ": cannot write observations: " +
                             std::strerror(errno));
  }
  buffer_ = kHeader;
  written_ = kHeader.size();
  flush();
}

ObservationLog::~ObservationLog() {
  flush();
  if (fd_ >= 0) ::close(fd_);
}

void ObservationLog::record(std::string_view server, const std::vector<std::string>& friends,
                            const core::Observation& observation) {
  if (truncated_ || failed_) return;
  append(format_observation(server, friends, observation));
}

void ObservationLog::append(std::string_view text) {
  if (written_ + text.size() + kTruncated.size() > max_bytes_) {
    truncated_ = true;
    buffer_ += kTruncated;
    flush();
    std::cerr << "herd-server: " << path_.string() << ": observation limit of " << max_bytes_
              << " bytes reached; later observations are not written\n";
    return;
  }
  written_ += text.size();
  buffer_ += text;
  if (buffer_.size() >= kFlushAtBytes) {
    flush();
  } else if (!flush_posted_) {
    // Written once the handler that produced the line returns: every line of one event goes
    // out in one write, and none waits for a later event.
    flush_posted_ = true;
    boost::asio::post(io_, [this] {
      flush_posted_ = false;
      flush();
    });
  }
}

void ObservationLog::flush() {
  std::size_t done = 0;
  while (done < buffer_.size() && !failed_) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_ = true;
      std::cerr << "herd-server: " << path_.string() << ": cannot write observations: "
                << std::strerror(errno) << "; later observations are not written\n";
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

}  // namespace herd::live
