// herd-server --observe and --ready-file against real processes: the observation lines a
// test bed measures a live herd by, their clock, and what survives a SIGKILL.
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "test_client.hpp"
#include "test_herd.hpp"

using namespace herd::live::testing;

namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string client_time() {
  const std::int64_t ns = wall_ns();
  std::string fraction = std::to_string(ns % 1'000'000'000);
  return std::to_string(ns / 1'000'000'000) + "." + std::string(9 - fraction.size(), '0') +
         fraction;
}

// Lines of `file` (header and comments left out), polled until one contains `text`.
std::vector<std::string> wait_for_line(const std::filesystem::path& file, const std::string& text,
                                       Clock::duration timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::vector<std::string> lines;
    bool found = false;
    std::istringstream in(slurp(file));
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      lines.push_back(line);
      found = found || line.find(text) != std::string::npos;
    }
    if (found || Clock::now() >= deadline) return lines;
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace

TEST_CASE("herd-server --observe: accepted, applied, ignored and read lines with the host clock") {
  HerdSpec spec;
  spec.servers = {"Clark", "Bona", "Jaquez"};
  spec.friends = {{"Clark", "Bona"}, {"Bona", "Jaquez"}, {"Clark", "Jaquez"}};
  spec.strategy = {"anti_entropy = false"};
  TestHerd herd(spec);
  std::map<std::string, std::filesystem::path> files;
  for (const auto& name : spec.servers) {
    files[name] = herd.dir() / (name + ".obs");
    herd.start(name, {"--observe", files[name].string()});
  }
  herd.wait_for_links();

  const std::int64_t before = wall_ns();
  const std::string operands = "kiwi.cs.ucla.edu +34.068930-118.445127 " + client_time();
  const std::string reply = grader_request(herd.port("Clark"), "IAMAT " + operands);
  REQUIRE(reply.rfind("AT Clark ", 0) == 0);
  const std::string at_line = reply.substr(0, reply.size() - 1);
  // A flood on a triangle costs 2m - (n - 1) = 4 lines: Bona and Jaquez each apply it once,
  // and two copies are ignored (by Bona and Jaquez, or, when one's forward beats Clark's
  // direct line, by the other and by Clark).
  const auto flood_lines = [&] {
    std::vector<std::string> lines;
    for (const auto& name : spec.servers) {
      for (const auto& line : wait_for_line(files[name], "", 0s)) {
        const auto kind = split(line)[1];
        if (kind == "applied" || kind == "ignored") lines.push_back(line);
      }
    }
    return lines;
  };
  const auto deadline = Clock::now() + 5s;
  while (flood_lines().size() < 4 && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  const std::string whatsat = grader_request(herd.port("Bona"), "WHATSAT kiwi.cs.ucla.edu 10 2");
  REQUIRE(whatsat.rfind(at_line + "\n", 0) == 0);
  const auto bona = wait_for_line(files["Bona"], " read ");
  const std::int64_t after = wall_ns();
  const auto clark = wait_for_line(files["Clark"], " accepted ");

  std::vector<std::string> accepted_lines;
  for (const auto& line : clark) {
    if (split(line)[1] == "accepted") accepted_lines.push_back(line);
  }
  REQUIRE(accepted_lines.size() == 1);
  const auto accepted = split(accepted_lines[0]);
  REQUIRE(accepted.size() == 6 + 6);
  CHECK(accepted[0] == "Clark");
  const std::int64_t accepted_ns = std::stoll(accepted[2]);
  CHECK(accepted_ns >= before);
  CHECK(accepted_ns <= after);
  const std::string id = accepted[3];
  CHECK(id.size() == 16);
  CHECK(accepted[4] == "0");
  CHECK(accepted[5] == "-");
  CHECK(accepted_lines[0].substr(accepted_lines[0].find(" AT ") + 1) == at_line);

  std::map<std::string, int> applied, ignored;
  for (const auto& line : flood_lines()) {
    const auto f = split(line);
    REQUIRE(f.size() == 6);
    CHECK(f[3] == id);
    CHECK(std::stoll(f[2]) >= accepted_ns);
    CHECK(f[5] != f[0]);
    if (f[1] == "applied") {
      ++applied[f[0]];
      // Usually straight from Clark (1 hop); now and then via the third server (2 hops).
      CHECK(f[4] == (f[5] == "Clark" ? "1" : "2"));
    } else {
      ++ignored[f[0]];
    }
  }
  CHECK(applied == std::map<std::string, int>{{"Bona", 1}, {"Jaquez", 1}});
  CHECK(ignored["Bona"] + ignored["Jaquez"] + ignored["Clark"] == 2);
  int reads = 0;
  for (const auto& line : bona) {
    if (split(line)[1] != "read") continue;
    ++reads;
    CHECK(line.substr(line.find(" AT ") + 1) == at_line);
    CHECK(split(line)[3] == id);
  }
  CHECK(reads == 1);
  // The header names the format.
  CHECK(slurp(files["Clark"]).rfind("# herd-observations 1\n", 0) == 0);
}

TEST_CASE("herd-server --observe: a server killed with SIGKILL keeps every line it wrote") {
  TestHerd herd(lone_server());
  const auto file = herd.dir() / "Clark.obs";
  herd.start("Clark", {"--observe", file.string()});
  for (int i = 0; i < 20; ++i) {
    const std::string operands = "c" + std::to_string(i) + " +34.068930-118.445127 " + client_time();
    REQUIRE(grader_request(herd.port("Clark"), "IAMAT " + operands).rfind("AT Clark ", 0) == 0);
  }
  // The last IAMAT's line is written once its event is handled, before any later event:
  // nothing is held back for a timer or for the stop.
  REQUIRE(wait_for_line(file, " c19 ", 2s).size() == 20);
  herd.signal("Clark", SIGKILL);
  const std::string text = slurp(file);
  CHECK(text.back() == '\n');
  std::istringstream in(text);
  int lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line[0] == '#') continue;
    CHECK(split(line).size() == 12);
    ++lines;
  }
  CHECK(lines == 20);
}

TEST_CASE("herd-server --observe: the file is bounded and says where it was cut") {
  TestHerd herd(lone_server());
  const auto file = herd.dir() / "Clark.obs";
  herd.start("Clark", {"--observe", file.string(), "--observe-limit", "4096"});
  for (int i = 0; i < 60; ++i) {
    const std::string operands = "client" + std::to_string(i) + " +34.068930-118.445127 " + client_time();
    (void)grader_request(herd.port("Clark"), "IAMAT " + operands);
  }
  REQUIRE(herd.terminate("Clark") == 0);
  const std::string text = slurp(file);
  CHECK(text.size() <= 4096);
  CHECK(text.find("# truncated") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("herd-server --ready-file: written once every server listens, with the bound ports") {
  TestHerd herd(two_friends());
  const auto ready = herd.dir() / "ready";
  std::filesystem::path config = herd.config_path();
  herd.start("Clark", {"--ready-file", ready.string()});
  const auto deadline = Clock::now() + 5s;
  while (!std::filesystem::exists(ready) && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  REQUIRE(std::filesystem::exists(ready));
  CHECK_FALSE(std::filesystem::exists(ready.string() + ".tmp"));
  const auto fields = split(slurp(ready));
  REQUIRE(fields.size() == 3);
  CHECK(fields[0] == "Clark");
  CHECK(fields[1] == std::to_string(herd.port("Clark")));
  CHECK(fields[2] == std::to_string(herd.port("Clark") + 1000));
  // The ports it names answer.
  TestClient client(static_cast<std::uint16_t>(std::stoi(fields[1])));
}
