#include "herd/sim/soak/log_scan.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <fstream>
#include <system_error>
#include <vector>

#include <sys/stat.h>

namespace herd::sim::soak {

namespace {

bool digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

bool is_number(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<LogLine> parse_log_line(std::string_view line) {
  // 2026-12-06T23:56:24.123456Z warning link to Bona down
  // 0123456789012345678901234567
  constexpr std::size_t kStampLength = 27;
  if (line.size() < kStampLength + 2) return std::nullopt;
  int year, month, day, hour, minute, second, micros;
  if (!digits(line, 0, 4, year) || line[4] != '-' || !digits(line, 5, 2, month) ||
      line[7] != '-' || !digits(line, 8, 2, day) || line[10] != 'T' ||
      !digits(line, 11, 2, hour) || line[13] != ':' || !digits(line, 14, 2, minute) ||
      line[16] != ':' || !digits(line, 17, 2, second) || line[19] != '.' ||
      !digits(line, 20, 6, micros) || line[26] != 'Z' || line[27] != ' ') {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t seconds = ::timegm(&tm);
  LogLine out;
  out.system_ns = static_cast<std::int64_t>(seconds) * 1'000'000'000 +
                  static_cast<std::int64_t>(micros) * 1'000;
  std::string_view rest = line.substr(kStampLength + 1);
  const auto space = rest.find(' ');
  out.level = rest.substr(0, space);
  if (out.level.empty()) return std::nullopt;
  if (space != std::string_view::npos) {
    rest = rest.substr(space);
    const auto text = rest.find_first_not_of(' ');
    out.message = text == std::string_view::npos ? std::string_view{} : rest.substr(text);
  }
  return out;
}

bool is_problem_level(std::string_view level) noexcept {
  return level == "warning" || level == "error" || level == "critical";
}

std::optional<std::string_view> link_churn_peer(std::string_view m) noexcept {
  // "link to X down"
  constexpr std::string_view kOutbound = "link to ";
  if (m.starts_with(kOutbound) && m.ends_with(" down") && m.size() > kOutbound.size() + 5) {
    const std::string_view peer = m.substr(kOutbound.size(), m.size() - kOutbound.size() - 5);
    if (peer.find(' ') == std::string_view::npos) return peer;
    return std::nullopt;
  }
  // "inbound link from X closed (conn N)", "... dropped (conn N)"
  constexpr std::string_view kInbound = "inbound link from ";
  if (!m.starts_with(kInbound) || !m.ends_with(")")) return std::nullopt;
  const std::string_view rest = m.substr(kInbound.size());
  const auto name_end = rest.find(' ');
  if (name_end == 0 || name_end == std::string_view::npos) return std::nullopt;
  const std::string_view tail = rest.substr(name_end);
  for (std::string_view what : {std::string_view(" closed (conn "), std::string_view(" dropped (conn ")}) {
    if (tail.starts_with(what) && tail.size() > what.size() + 1 &&
        is_number(tail.substr(what.size(), tail.size() - what.size() - 1))) {
      return rest.substr(0, name_end);
    }
  }
  return std::nullopt;
}

std::string log_owner(const std::filesystem::path& file) {
  std::string stem = file.filename().string();
  if (stem.ends_with(".log")) stem.resize(stem.size() - 4);
  const auto dot = stem.rfind('.');
  if (dot != std::string::npos && dot > 0 && is_number(std::string_view(stem).substr(dot + 1))) {
    stem.resize(dot);
  }
  return stem;
}

LogTail::LogTail(std::filesystem::path folder, std::size_t max_line_bytes)
    : folder_(std::move(folder)), max_line_(std::max<std::size_t>(max_line_bytes, 64)) {}

void LogTail::poll(const std::function<void(const std::string&, const LogLine&)>& line) {
  std::error_code ec;
  std::vector<std::filesystem::path> logs;
  for (std::filesystem::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".log") logs.push_back(it->path());
  }
  std::sort(logs.begin(), logs.end());  // a stable order for the calls
  for (const auto& path : logs) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    File& file = files_[{st.st_dev, st.st_ino}];
    if (static_cast<std::uint64_t>(st.st_size) < file.offset) file = File{};  // truncated
    if (static_cast<std::uint64_t>(st.st_size) == file.offset) continue;
    read_file(path, file, log_owner(path), line);
  }
}

void LogTail::read_file(const std::filesystem::path& path, File& file, const std::string& owner,
                        const std::function<void(const std::string&, const LogLine&)>& line) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(file.offset));
  if (!in) return;
  std::array<char, 1 << 16> chunk{};
  for (;;) {
    in.read(chunk.data(), chunk.size());
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    file.offset += got;
    bytes_read_ += got;
    std::string_view data(chunk.data(), got);
    while (!data.empty()) {
      const auto nl = data.find('\n');
      const std::string_view piece = data.substr(0, nl);
      if (!file.skipping) {
        const std::size_t room = max_line_ - std::min(max_line_, file.partial.size());
        file.partial.append(piece.substr(0, room));
        if (piece.size() > room) file.skipping = true;
      }
      if (nl == std::string_view::npos) break;
      take_line(file.partial, owner, line);
      file.partial.clear();
      file.skipping = false;
      data.remove_prefix(nl + 1);
    }
  }
}

void LogTail::take_line(std::string_view text, const std::string& owner,
                        const std::function<void(const std::string&, const LogLine&)>& line) {
  ++lines_read_;
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  const auto parsed = parse_log_line(text);
  if (!parsed) {
    ++unparsed_;
    return;
  }
  if (is_problem_level(parsed->level)) line(owner, *parsed);
}

std::uint64_t folder_bytes(const std::filesystem::path& folder) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code size_ec;
    if (!it->is_regular_file(size_ec)) continue;
    const auto size = it->file_size(size_ec);
    if (!size_ec) total += size;
  }
  return total;
}

std::optional<std::uint64_t> parse_vmrss_kib(std::string_view status) {
  const auto at = status.find("\nVmRSS:");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = status.substr(at + 7);
  const auto first = rest.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  rest = rest.substr(first);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc{} || !std::string_view(end, rest.data() + rest.size()).starts_with(" kB")) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status", std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(8192, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_vmrss_kib(text);
}

}  // namespace herd::sim::soak
