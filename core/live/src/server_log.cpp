#include "herd/live/server_log.hpp"

#include <chrono>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>

namespace herd::live {

namespace {

// UTC so the logs of servers on different machines line up; %f is microseconds. The file's
// lines follow the spdlog pattern "%Y-%m-%dT%H:%M:%S.%fZ %-5l %v", formatted by hand
// (FileFormatter below).
constexpr const char* kConsolePattern = "%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ [%n] %v";

spdlog::level::level_enum to_spdlog(core::LogLevel level) {
  switch (level) {
    case core::LogLevel::debug: return spdlog::level::debug;
    case core::LogLevel::info: return spdlog::level::info;
    case core::LogLevel::warn: return spdlog::level::warn;
    case core::LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// The file format above, written by hand: every line a server receives or sends
// is logged, and spdlog's general pattern machinery cost about 200 ns a record, enough to
// halve the live herd's throughput. The date and time up to the second are formatted once
// per second; the rest is copying.
class FileFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = duration_cast<std::chrono::seconds>(since_epoch);
    if (seconds != cached_second_) {
      cached_second_ = seconds;
      const std::time_t t = seconds.count();
      std::tm utc{};
      gmtime_r(&t, &utc);
      char text[32];
      const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.", &utc);
      cached_prefix_.assign(text, n);
    }
    dest.append(cached_prefix_.data(), cached_prefix_.data() + cached_prefix_.size());
    auto micros = static_cast<unsigned>(duration_cast<microseconds>(since_epoch - seconds).count());
    char digits[8] = {'0', '0', '0', '0', '0', '0', 'Z', ' '};
    for (int i = 5; i >= 0; --i, micros /= 10) digits[i] = static_cast<char>('0' + micros % 10);
    dest.append(digits, digits + 8);
    const auto level = spdlog::level::to_string_view(msg.level);
    dest.append(level.data(), level.data() + level.size());
    for (auto pad = level.size(); pad < 5; ++pad) dest.push_back(' ');
    dest.push_back(' ');
    dest.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<FileFormatter>();
  }

 private:
  std::chrono::seconds cached_second_{-1};
  std::string cached_prefix_;
};

void use_pattern(spdlog::logger& logger, const char* pattern) {
  logger.set_formatter(
      std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::utc));
}

}  // namespace

ServerLog::ServerLog(const std::string& server_name, const std::filesystem::path& log_dir,
                     spdlog::sink_ptr console_sink, LogRotation rotation)
    : path_(log_dir / (server_name + ".log")) {
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create log folder " + log_dir.string() + ": " +
                             ec.message());
  }
  try {
    // Traffic logging writes every line received and sent: unbounded, it filled gigabytes
    // within minutes under a flood.
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_st>(
        path_.string(), rotation.file_bytes, rotation.files);
    file_ = std::make_shared<spdlog::logger>(server_name, std::move(sink));
  } catch (const spdlog::spdlog_ex& error) {
    throw std::runtime_error("cannot open log file " + path_.string() + ": " + error.what());
  }
  file_->set_formatter(std::make_unique<FileFormatter>());
  file_->set_level(spdlog::level::trace);
  // Events (links, limits, start) reach the file at once; traffic waits for the 1 s flush.
  file_->flush_on(spdlog::level::info);
  if (console_sink) {
    console_ = std::make_shared<spdlog::logger>(server_name, std::move(console_sink));
    use_pattern(*console_, kConsolePattern);
    console_->set_level(spdlog::level::info);
  }
}

ServerLog::~ServerLog() {
  if (file_) file_->flush();
}

void ServerLog::record(core::LogLevel level, std::string_view text) {
  const auto spd_level = to_spdlog(level);
  file_->log(spd_level, spdlog::string_view_t(text.data(), text.size()));
  if (console_ && spd_level >= spdlog::level::warn) {
    console_->log(spd_level, spdlog::string_view_t(text.data(), text.size()));
  }
}

void ServerLog::file(spdlog::level::level_enum level, std::string_view text) {
  file_->log(level, "{}", text);
}

void ServerLog::notice(spdlog::level::level_enum level, std::string_view text) {
  file_->log(level, "{}", text);
  if (console_) console_->log(level, "{}", text);
}

void ServerLog::flush() {
  file_->flush();
  if (console_) console_->flush();
}

spdlog::sink_ptr ServerLog::make_console_sink() {
  return std::make_shared<spdlog::sinks::ansicolor_stderr_sink_st>();
}

}  // namespace herd::live
