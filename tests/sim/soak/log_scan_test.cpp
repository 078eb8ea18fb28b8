// Reading herd-server logs as they grow: the line format, which warnings are link churn,
// rotation, partial and overlong lines; RSS from /proc; folder sizes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "herd/sim/soak/log_scan.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim::soak;
using herd::testing::TempDir;

namespace {

void append(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::app) << text;
}

struct Seen {
  std::vector<std::string> lines;  // "owner: level message"
  void poll(LogTail& tail) {
    tail.poll([&](const std::string& owner, const LogLine& line) {
      lines.push_back(owner + ": " + std::string(line.level) + " " + std::string(line.message));
    });
  }
};

}  // namespace

TEST_CASE("soak logs: a log line's time, level and message") {
  const auto line = parse_log_line("2026-12-06T23:56:24.123456Z warning link to Bona down");
  REQUIRE(line);
  CHECK(line->system_ns == 1'796'601'384'123'456'000LL);
  CHECK(line->level == "warning");
  CHECK(line->message == "link to Bona down");
  const auto info = parse_log_line("2026-12-06T23:56:24.000001Z info  listening on 127.0.0.1:4000");
  REQUIRE(info);
  CHECK(info->level == "info");
  CHECK(info->message == "listening on 127.0.0.1:4000");
  CHECK_FALSE(is_problem_level(info->level));
  CHECK(is_problem_level("error"));
  CHECK(is_problem_level("critical"));
  CHECK_FALSE(parse_log_line("not a log line at all, no time in front"));
  CHECK_FALSE(parse_log_line("2026-13-06T23:56:24.123456Z info month 13"));
  CHECK_FALSE(parse_log_line("2026-12-06 23:56:24.123456Z info no T"));
}

TEST_CASE("soak logs: link churn is recognised, with the friend it names") {
  CHECK(link_churn_peer("link to Bona down") == "Bona");
  CHECK(link_churn_peer("inbound link from Clark closed (conn 12)") == "Clark");
  CHECK(link_churn_peer("inbound link from Clark dropped (conn 7)") == "Clark");
  CHECK_FALSE(link_churn_peer("link to two words down"));
  CHECK_FALSE(link_churn_peer("inbound link from Clark closed (conn x)"));
  CHECK_FALSE(link_churn_peer("dropped malformed line from peer Bona: bad"));
  CHECK_FALSE(link_churn_peer("record store full (max_records 10)"));
  CHECK_FALSE(link_churn_peer("link to  down"));
}

TEST_CASE("soak logs: the owner of a log, rotated or not") {
  CHECK(log_owner("logs/Bona.log") == "Bona");
  CHECK(log_owner("logs/Bona.3.log") == "Bona");
  CHECK(log_owner("Campbell.log") == "Campbell");
  CHECK(log_owner("a.b.log") == "a.b");
}

TEST_CASE("soak logs: the tail reads only what is new, whole lines, warnings and up") {
  TempDir dir("herd-soak-test");
  const auto bona = dir.path() / "Bona.log";
  append(bona, "2026-12-06T23:56:24.000000Z info  started\n"
               "2026-12-06T23:56:25.000000Z warning link to Clark down\n");
  LogTail tail(dir.path());
  Seen seen;
  seen.poll(tail);
  REQUIRE(seen.lines.size() == 1);
  CHECK(seen.lines[0] == "Bona: warning link to Clark down");
  seen.poll(tail);
  CHECK(seen.lines.size() == 1);  // nothing new

  // A line without its newline yet waits for it.
  append(bona, "2026-12-06T23:56:26.000000Z error something bro");
  seen.poll(tail);
  CHECK(seen.lines.size() == 1);
  append(bona, "ke\n");
  seen.poll(tail);
  REQUIRE(seen.lines.size() == 2);
  CHECK(seen.lines[1] == "Bona: error something broke");
  CHECK(tail.lines_read() == 3);
  CHECK(tail.bytes_read() == std::filesystem::file_size(bona));

  // Not a log: ignored; a line of another shape: counted as unparsed.
  append(dir.path() / "notes.txt", "2026-12-06T23:56:26.000000Z error not a log\n");
  append(bona, "garbage\n");
  seen.poll(tail);
  CHECK(seen.lines.size() == 2);
  CHECK(tail.unparsed_lines() == 1);
}

TEST_CASE("soak logs: rotation is followed without reading a line twice") {
  TempDir dir("herd-soak-test");
  const auto log = dir.path() / "Clark.log";
  append(log, "2026-12-06T23:56:24.000000Z warning one\n");
  LogTail tail(dir.path());
  Seen seen;
  seen.poll(tail);
  REQUIRE(seen.lines.size() == 1);
  // The server's log is renamed, it writes one more line into the renamed file (its open
  // descriptor), and a new Clark.log begins.
  std::filesystem::rename(log, dir.path() / "Clark.1.log");
  append(dir.path() / "Clark.1.log", "2026-12-06T23:56:25.000000Z warning two\n");
  append(log, "2026-12-06T23:56:26.000000Z warning three\n");
  seen.poll(tail);
  REQUIRE(seen.lines.size() == 3);
  std::sort(seen.lines.begin(), seen.lines.end());
  CHECK(seen.lines[0] == "Clark: warning one");
  CHECK(seen.lines[1] == "Clark: warning three");
  CHECK(seen.lines[2] == "Clark: warning two");
  // A log cut back to nothing is read again from its start.
  std::filesystem::resize_file(log, 0);
  append(log, "2026-12-06T23:56:27.000000Z error four\n");
  seen.poll(tail);
  REQUIRE(seen.lines.size() == 4);
  CHECK(seen.lines[3] == "Clark: error four");
}

TEST_CASE("soak logs: a line over the limit is cut there, and the next line is whole") {
  TempDir dir("herd-soak-test");
  const auto log = dir.path() / "Jaquez.log";
  const std::string prefix = "2026-12-06T23:56:24.000000Z warning ";
  append(log, prefix + std::string(500, 'x') + "\n" + prefix + "short\n");
  LogTail tail(dir.path(), 100);
  Seen seen;
  seen.poll(tail);
  REQUIRE(seen.lines.size() == 2);
  CHECK(seen.lines[0] == "Jaquez: warning " + std::string(100 - prefix.size(), 'x'));
  CHECK(seen.lines[1] == "Jaquez: warning short");
}

TEST_CASE("soak logs: VmRSS from a status file, and of this very process") {
  CHECK(parse_vmrss_kib("Name:\tx\nVmPeak:\t 100 kB\nVmRSS:\t    8120 kB\nVmData: 1 kB\n") == 8120u);
  CHECK_FALSE(parse_vmrss_kib("Name:\tx\nState:\tZ (zombie)\n"));
  CHECK_FALSE(parse_vmrss_kib("Name:\tx\nVmRSS:\t lots\n"));
  const auto self = rss_kib(static_cast<int>(::getpid()));
  REQUIRE(self);
  CHECK(*self > 100);
  CHECK_FALSE(rss_kib(0));
}

TEST_CASE("soak logs: a folder's size counts every file below it") {
  TempDir dir("herd-soak-test");
  CHECK(folder_bytes(dir.path()) == 0);
  dir.write("a.log", std::string(1000, 'a'));
  dir.write("sub/b.obs", std::string(234, 'b'));
  CHECK(folder_bytes(dir.path()) == 1234);
  CHECK(folder_bytes(dir.path() / "missing") == 0);
}
