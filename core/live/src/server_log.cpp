#include "herd/live/server_log.hpp"

#include <stdexcept>
#include <system_error>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/basic_file_sink.h>

namespace herd::live {

namespace {

// UTC so the logs of servers on different machines line up; %f is microseconds.
constexpr const char* kFilePattern = "%Y-%m-%dT%H:%M:%S.%fZ %-5l %v";
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

void use_pattern(spdlog::logger& logger, const char* pattern) {
  logger.set_formatter(
      std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::utc));
}

}  // namespace

ServerLog::ServerLog(const std::string& server_name, const std::filesystem::path& log_dir,
                     spdlog::sink_ptr console_sink)
    : path_(log_dir / (server_name + ".log")) {
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create log folder " + log_dir.string() + ": " +
                             ec.message());
  }
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_st>(path_.string(), false);
    file_ = std::make_shared<spdlog::logger>(server_name, std::move(sink));
  } catch (const spdlog::spdlog_ex& error) {
    throw std::runtime_error("cannot open log file " + path_.string() + ": " + error.what());
  }
  use_pattern(*file_, kFilePattern);
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
  file_->log(spd_level, "{}", text);
  if (console_ && spd_level >= spdlog::level::warn) console_->log(spd_level, "{}", text);
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
