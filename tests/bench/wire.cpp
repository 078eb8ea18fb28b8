#include "wire.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>

#include <unistd.h>

namespace herd::bench {

namespace {

// A WHATSAT body is a JSON object of at most 20 places; far more lines means the stream
// is not a WHATSAT reply at all.
constexpr std::size_t kMaxWhatsatBodyLines = 100'000;

// Splits "AT <server> <diff> <rest>" at single spaces; false when the shape is wrong.
bool split_at_line(std::string_view line, std::string_view& server, std::string_view& diff,
                   std::string_view& rest) noexcept {
  if (line.substr(0, 3) != "AT ") return false;
  line.remove_prefix(3);
  const std::size_t server_end = line.find(' ');
  if (server_end == std::string_view::npos || server_end == 0) return false;
  server = line.substr(0, server_end);
  line.remove_prefix(server_end + 1);
  const std::size_t diff_end = line.find(' ');
  if (diff_end == std::string_view::npos) return false;
  diff = line.substr(0, diff_end);
  rest = line.substr(diff_end + 1);
  return true;
}

}  // namespace

std::string run_nonce() {
  const auto mix = static_cast<unsigned long long>(wall_clock_ns()) ^
                   (static_cast<unsigned long long>(::getpid()) << 40U);
  char text[24];
  const int size = std::snprintf(text, sizeof text, "%llx", mix & 0xffffffffffffULL);
  return std::string(text, static_cast<std::size_t>(size));
}

IamatSource::IamatSource(std::string client_id, std::string coords)
    : client_id_(std::move(client_id)), coords_(std::move(coords)) {}

std::string IamatSource::next_operands() {
  // Strictly rising even when the wall clock stalls or steps back, so every command is a
  // newer update than the one before it.
  const std::int64_t now_ns = wall_clock_ns();
  last_ns_ = now_ns > last_ns_ ? now_ns : last_ns_ + 1;
  std::string operands;
  operands.reserve(client_id_.size() + coords_.size() + 24);
  operands.append(client_id_).append(" ").append(coords_).append(" ");
  operands.append(format_posix_time(last_ns_));
  return operands;
}

bool is_at_reply(std::string_view line, std::string_view server,
                 std::string_view operands) noexcept {
  std::string_view got_server;
  std::string_view diff;
  std::string_view rest;
  return split_at_line(line, got_server, diff, rest) && got_server == server &&
         is_time_diff(diff) && rest == operands;
}

bool is_at_line_for(std::string_view line, std::string_view operands) noexcept {
  std::string_view server;
  std::string_view diff;
  std::string_view rest;
  return split_at_line(line, server, diff, rest) && is_time_diff(diff) && rest == operands;
}

char* LineBuffer::prepare(std::size_t min_bytes) {
  if (start_ > 0 && (start_ == end_ || start_ > buffer_.size() / 2)) {
    std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (buffer_.size() - end_ < min_bytes) buffer_.resize(end_ + min_bytes);
  return buffer_.data() + end_;
}

std::optional<std::string_view> LineBuffer::next_line() {
  const char* begin = buffer_.data() + start_;
  const void* lf = std::memchr(begin, '\n', end_ - start_);
  if (lf == nullptr) {
    if (end_ - start_ > max_line_bytes_) overflowed_ = true;
    return std::nullopt;
  }
  std::size_t length = static_cast<std::size_t>(static_cast<const char*>(lf) - begin);
  start_ += length + 1;
  if (length > 0 && begin[length - 1] == '\r') --length;
  return std::string_view(begin, length);
}

std::optional<WhatsatReplyParser::Reply> WhatsatReplyParser::feed(std::string_view line) {
  if (!in_body_) {
    if (line.substr(0, 2) == "? ") return Reply{Outcome::unknown_client, {}};
    if (line.substr(0, 3) != "AT ") return Reply{Outcome::malformed, {}};
    in_body_ = true;
    body_lines_ = 0;
    at_line_.assign(line);
    return std::nullopt;
  }
  // The JSON has its blank lines collapsed, so the first empty line ends the reply.
  if (line.empty()) {
    in_body_ = false;
    const bool has_body = body_lines_ > 0;
    return Reply{has_body ? Outcome::found : Outcome::malformed, std::move(at_line_)};
  }
  if (++body_lines_ > kMaxWhatsatBodyLines) {
    in_body_ = false;
    return Reply{Outcome::malformed, {}};
  }
  return std::nullopt;
}

}  // namespace herd::bench
