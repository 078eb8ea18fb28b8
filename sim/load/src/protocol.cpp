#include "herd/sim/load/protocol.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace herd::sim::load {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// Splits at single spaces; an empty field (two spaces in a row, a leading or trailing
// space) makes the split fail.
bool split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t space = line.find(' ', start);
    const std::string_view field =
        line.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start);
    if (field.empty()) return false;
    fields.push_back(field);
    if (space == std::string_view::npos) return true;
    start = space + 1;
  }
}

// One signed decimal of the coordinates: sign, digits, optionally a point and digits.
// Returns its length, 0 when malformed.
std::size_t signed_decimal(std::string_view text, double& value) noexcept {
  if (text.empty() || (text[0] != '+' && text[0] != '-')) return 0;
  std::size_t i = 1;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == 1) return 0;
  if (i < text.size() && text[i] == '.') {
    const std::size_t frac = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == frac) return 0;
  }
  const char* first = text.data() + 1;
  if (std::from_chars(first, text.data() + i, value).ec != std::errc{}) return 0;
  if (text[0] == '-') value = -value;
  return i;
}

Verdict bad(ErrorKind kind, std::string detail) { return Verdict{false, kind, std::move(detail)}; }

std::string clipped(std::string_view text) {
  constexpr std::size_t kShown = 200;
  if (text.size() <= kShown) return std::string(text);
  return std::string(text.substr(0, kShown)) + "... (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace

const char* to_string(CommandKind kind) noexcept {
  return kind == CommandKind::iamat ? "IAMAT" : "WHATSAT";
}

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::connect_refused: return "connect_refused";
    case ErrorKind::connect_failed: return "connect_failed";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::question_reply: return "question_reply";
    case ErrorKind::malformed_reply: return "malformed_reply";
    case ErrorKind::closed_early: return "closed_early";
    case ErrorKind::io_error: return "io_error";
    case ErrorKind::aborted: return "aborted";
  }
  return "unknown";
}

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_posix_time(std::int64_t ns) {
  char text[40];
  const int size = std::snprintf(text, sizeof text, "%lld.%09lld",
                                 static_cast<long long>(ns / kNanosPerSecond),
                                 static_cast<long long>(ns % kNanosPerSecond));
  return std::string(text, static_cast<std::size_t>(size));
}

std::string format_coords(double lat, double lon) {
  char text[48];
  const int size = std::snprintf(text, sizeof text, "%+.6f%+.6f", lat, lon);
  return std::string(text, static_cast<std::size_t>(size));
}

// --- CommandSource ---------------------------------------------------------------------------

CommandSource::CommandSource(const WorkloadOptions& options, std::uint64_t seed,
                             std::size_t first_client, std::size_t stride)
    : options_(options), rng_(core::derive_seed(seed, 0x10ad0000ULL + first_client)) {
  stride = std::max<std::size_t>(stride, 1);
  // A tag from the seed alone keeps one seed's clients apart from another's in a herd
  // that outlives the run.
  char tag[20];
  std::snprintf(tag, sizeof tag, "%08llx",
                static_cast<unsigned long long>(core::derive_seed(seed, 0x7a6) & 0xffffffffULL));
  const std::size_t width = std::to_string(options_.clients > 0 ? options_.clients - 1 : 0).size();
  for (std::size_t i = first_client; i < options_.clients; i += stride) {
    core::Prng start(core::derive_seed(seed, 0xc11e47000000ULL + i));
    ClientState client;
    std::string index = std::to_string(i);
    index.insert(0, width - std::min(width, index.size()), '0');
    client.name = options_.client_prefix + "-" + tag + "-" + index;
    client.lat = -60.0 + 130.0 * start.uniform_double();
    client.lon = -180.0 + 360.0 * start.uniform_double();
    clients_.push_back(std::move(client));
  }
}

Command CommandSource::next(std::int64_t wall_ns) {
  Command command;
  const bool whatsat = options_.whatsat_fraction > 0 && rng_.chance(options_.whatsat_fraction);
  if (whatsat && !known_.empty()) {
    const std::size_t index = known_[rng_.uniform_u64(known_.size())];
    const ClientState& client = clients_[index];
    char radius[32];
    std::snprintf(radius, sizeof radius, "%g", options_.radius_km);
    command.kind = CommandKind::whatsat;
    command.client = client.name;
    command.client_index = index;
    command.bound = options_.bound;
    command.text = "WHATSAT " + client.name + " " + radius + " " + std::to_string(options_.bound);
    return command;
  }
  if (whatsat) ++substituted_;
  const std::size_t index = rng_.uniform_u64(clients_.size());
  ClientState& client = clients_[index];
  // A small seeded step, kept inside the valid ranges.
  client.lat = std::clamp(client.lat + (rng_.uniform_double() - 0.5) * 0.02, -89.0, 89.0);
  client.lon = std::clamp(client.lon + (rng_.uniform_double() - 0.5) * 0.02, -179.0, 179.0);
  client.last_time_ns = std::max(wall_ns, client.last_time_ns + 1);
  command.kind = CommandKind::iamat;
  command.client = client.name;
  command.client_index = index;
  command.operands = client.name + " " + format_coords(client.lat, client.lon) + " " +
                     format_posix_time(client.last_time_ns);
  command.text = "IAMAT " + command.operands;
  return command;
}

void CommandSource::acknowledge(const Command& iamat) {
  if (iamat.client_index >= clients_.size()) return;
  ClientState& client = clients_[iamat.client_index];
  if (client.acknowledged) return;
  client.acknowledged = true;
  known_.push_back(iamat.client_index);
}

// --- checks ----------------------------------------------------------------------------------

bool is_time_diff(std::string_view text) noexcept {
  if (text.size() < 12 || (text[0] != '+' && text[0] != '-')) return false;
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.size() - dot - 1 != 9) return false;
  return all_digits(text.substr(1, dot - 1)) && all_digits(text.substr(dot + 1));
}

bool is_coords(std::string_view text) noexcept {
  double lat = 0, lon = 0;
  const std::size_t first = signed_decimal(text, lat);
  if (first == 0) return false;
  const std::size_t second = signed_decimal(text.substr(first), lon);
  return second != 0 && first + second == text.size() && lat >= -90 && lat <= 90 &&
         lon >= -180 && lon <= 180;
}

bool is_client_time(std::string_view text) noexcept {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return all_digits(text);
  const std::string_view frac = text.substr(dot + 1);
  return all_digits(text.substr(0, dot)) && all_digits(frac) && frac.size() <= 9;
}

Verdict check_iamat_reply(std::string_view line, std::string_view operands) {
  if (line == "?" || line.starts_with("? ")) {
    return bad(ErrorKind::question_reply, "IAMAT rejected: " + clipped(line));
  }
  std::vector<std::string_view> fields;
  if (!split_fields(line, fields) || fields.size() != 6 || fields[0] != "AT") {
    return bad(ErrorKind::malformed_reply, "IAMAT reply is not an AT line: " + clipped(line));
  }
  if (!is_time_diff(fields[2])) {
    return bad(ErrorKind::malformed_reply, "bad time difference in " + clipped(line));
  }
  const auto echoed = line.substr(static_cast<std::size_t>(fields[3].data() - line.data()));
  if (echoed != operands) {
    return bad(ErrorKind::malformed_reply,
               "AT reply does not echo \"" + std::string(operands) + "\": " + clipped(line));
  }
  return Verdict{true, ErrorKind::malformed_reply, {}};
}

Verdict check_whatsat_reply(std::string_view at_line, std::string_view json,
                            std::string_view client, unsigned bound) {
  std::vector<std::string_view> fields;
  if (!split_fields(at_line, fields) || fields.size() != 6 || fields[0] != "AT" ||
      !is_time_diff(fields[2]) || !is_coords(fields[4]) || !is_client_time(fields[5])) {
    return bad(ErrorKind::malformed_reply, "WHATSAT reply's first line is not an AT line: " +
                                               clipped(at_line));
  }
  if (fields[3] != client) {
    return bad(ErrorKind::malformed_reply, "WHATSAT " + std::string(client) +
                                               " answered with another client's AT line: " +
                                               clipped(at_line));
  }
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(json, ec);
  if (ec) {
    return bad(ErrorKind::malformed_reply,
               "WHATSAT " + std::string(client) + " body is not JSON (" + ec.message() + ")");
  }
  const auto* object = body.if_object();
  const auto* results = object ? object->if_contains("results") : nullptr;
  const auto* status = object ? object->if_contains("status") : nullptr;
  if (!results || !results->is_array() || !status || !status->is_string()) {
    return bad(ErrorKind::malformed_reply, "WHATSAT " + std::string(client) +
                                               " body lacks a results array or a status string");
  }
  if (results->get_array().size() > bound) {
    return bad(ErrorKind::malformed_reply,
               "WHATSAT " + std::string(client) + " listed " +
                   std::to_string(results->get_array().size()) + " places, bound " +
                   std::to_string(bound));
  }
  return Verdict{true, ErrorKind::malformed_reply, {}};
}

// --- ReplyAssembler --------------------------------------------------------------------------

char* ReplyAssembler::prepare(std::size_t bytes) {
  if (start_ > 0 && (start_ == end_ || start_ > buffer_.size() / 2)) {
    std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (buffer_.size() - end_ < bytes) buffer_.resize(end_ + bytes);
  return buffer_.data() + end_;
}

void ReplyAssembler::clear() noexcept {
  start_ = end_ = scanned_ = 0;
  in_whatsat_body_ = false;
  at_line_.clear();
  body_.clear();
}

std::optional<std::string_view> ReplyAssembler::next_line() {
  const char* begin = buffer_.data() + start_;
  const std::size_t size = end_ - start_;
  const void* lf = std::memchr(begin + scanned_, '\n', size - scanned_);
  if (lf == nullptr) {
    scanned_ = size;
    return std::nullopt;
  }
  std::size_t length = static_cast<std::size_t>(static_cast<const char*>(lf) - begin);
  start_ += length + 1;
  scanned_ = 0;
  if (length > 0 && begin[length - 1] == '\r') --length;
  return std::string_view(begin, length);
}

std::optional<Verdict> ReplyAssembler::next(const Command& command) {
  const auto too_long = [&] {
    return bad(ErrorKind::malformed_reply, std::string("reply to ") + to_string(command.kind) +
                                               " longer than " +
                                               std::to_string(max_reply_bytes_) + " bytes");
  };
  if (!in_whatsat_body_) {
    const auto line = next_line();
    if (!line) {
      if (buffered() > max_reply_bytes_) return too_long();
      return std::nullopt;
    }
    if (line->size() > max_reply_bytes_) return too_long();
    if (command.kind == CommandKind::iamat) return check_iamat_reply(*line, command.operands);
    if (*line == "?" || line->starts_with("? ")) {
      return bad(ErrorKind::question_reply, "WHATSAT rejected: " + clipped(*line));
    }
    if (!line->starts_with("AT ")) {
      return bad(ErrorKind::malformed_reply, "WHATSAT reply starts with neither AT nor ?: " +
                                                 clipped(*line));
    }
    at_line_.assign(*line);
    body_.clear();
    in_whatsat_body_ = true;
  }
  // The body: JSON lines up to the first empty line (servers collapse blank lines in it).
  while (const auto line = next_line()) {
    if (line->empty()) {
      in_whatsat_body_ = false;
      return check_whatsat_reply(at_line_, body_, command.client, command.bound);
    }
    body_.append(*line).push_back('\n');
    if (at_line_.size() + body_.size() > max_reply_bytes_) {
      in_whatsat_body_ = false;
      return too_long();
    }
  }
  if (at_line_.size() + body_.size() + buffered() > max_reply_bytes_) {
    in_whatsat_body_ = false;
    return too_long();
  }
  return std::nullopt;
}

}  // namespace herd::sim::load
