#include "herd/live/server_log.hpp"

#include <catch2/catch.hpp>

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
