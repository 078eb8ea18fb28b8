#include "herd/live/server_log.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "herd_test/temp_dir.hpp"

TEST_CASE("server log: each record is a UTC timestamp with microseconds then level and text") {
  herd::testing::TempDir dir("herd-server-log-test");
  {
    herd::live::ServerLog log("Bona", dir.path(), nullptr);
    log.record(herd::core::LogLevel::debug, "peer Bailey recv: AT Bailey +0.1 c +1+1 5 1");
    log.record(herd::core::LogLevel::info, "inbound link from Bailey up (conn 3)");
    log.record(herd::core::LogLevel::warn, "conn 4: line longer than 10 bytes");
    log.record(herd::core::LogLevel::error, "text with {} braces stays as it is");
  }
  std::vector<std::string> lines;
  std::ifstream in(dir.path() / "Bona.log");
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 4);
  const std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z )");
  for (const auto& line : lines) CHECK(std::regex_search(line, stamp));
  CHECK(lines[0].substr(28) == "debug peer Bailey recv: AT Bailey +0.1 c +1+1 5 1");
  CHECK(lines[1].substr(28) == "info  inbound link from Bailey up (conn 3)");
  CHECK(lines[2].substr(28) == "warning conn 4: line longer than 10 bytes");
  CHECK(lines[3].substr(28) == "error text with {} braces stays as it is");
}

TEST_CASE("server log: rotation bounds every file and keeps the newest lines in Name.log") {
  herd::testing::TempDir dir("herd-server-log-test");
  constexpr std::size_t kFileBytes = 4096;
  {
    herd::live::ServerLog log("Bona", dir.path(), nullptr, {kFileBytes, 2});
    for (int i = 0; i < 1000; ++i) {
      log.record(herd::core::LogLevel::debug, "conn 7 recv: line " + std::to_string(i));
    }
  }
  for (const auto* name : {"Bona.log", "Bona.1.log", "Bona.2.log"}) {
    INFO(name);
    REQUIRE(std::filesystem::exists(dir.path() / name));
    CHECK(std::filesystem::file_size(dir.path() / name) <= kFileBytes);
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() / "Bona.3.log"));
  auto lines_of = [&](const char* name) {
    std::vector<std::string> lines;
    std::ifstream in(dir.path() / name);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };
  const auto newest = lines_of("Bona.log");
  REQUIRE_FALSE(newest.empty());
  CHECK(newest.back().ends_with("conn 7 recv: line 999"));
  // The files follow on from each other: Bona.1.log ends where Bona.log begins.
  const auto before = lines_of("Bona.1.log");
  REQUIRE_FALSE(before.empty());
  const auto number = [](const std::string& line) { return std::stoi(line.substr(line.rfind(' ') + 1)); };
  CHECK(number(before.back()) + 1 == number(newest.front()));
  // The oldest lines are gone: three files hold fewer than the 1,000 lines written.
  CHECK(number(lines_of("Bona.2.log").front()) > 0);
}
