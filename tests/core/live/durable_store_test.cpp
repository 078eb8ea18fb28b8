#include "herd/live/durable_store.hpp"

#include <csignal>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "herd_test/temp_dir.hpp"

using herd::core::SharedText;
using herd::live::DurableStore;
using herd::live::StoreError;
using herd::live::SyncPolicy;
using herd::testing::TempDir;

namespace {

std::string at_line(const std::string& client, int second) {
  return "AT Clark +0.000120000 " + client + " +34.068930-118.445127 1621464827." +
         std::to_string(100000000 + second);
}

void stage(DurableStore& store, const std::string& line, std::uint32_t hops = 0) {
  SharedText text(line);
  // The client is the fourth field.
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) start = line.find(' ', start) + 1;
  const std::string_view client = std::string_view(*text).substr(start, line.find(' ', start) - start);
  store.stage(text, client, hops);
}

std::map<std::string, std::pair<std::string, std::uint32_t>> rows_of(DurableStore& store) {
  std::map<std::string, std::pair<std::string, std::uint32_t>> rows;
  store.load([&](std::string_view client, std::string_view line, std::uint32_t hops) {
    rows.emplace(std::string(client), std::pair(std::string(line), hops));
  });
  return rows;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const StoreError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("durable store: committed records come back after the file is reopened") {
  TempDir dir("herd-store");
  const auto file = dir.path() / "state" / "Clark.db";  // the folder is made on demand
  {
    DurableStore store(file, "Clark", SyncPolicy::full);
    CHECK(store.count() == 0);
    stage(store, at_line("kiwi", 1), 0);
    stage(store, at_line("lemon", 2), 3);
    stage(store, at_line("kiwi", 5), 1);  // a later record of the same client replaces it
    CHECK(store.staged() == 3);
    store.commit();
    CHECK(store.staged() == 0);
    CHECK(store.commits() == 1);
    CHECK(store.records_written() == 3);
    stage(store, at_line("staged-only", 9));  // never committed: not kept
  }
  DurableStore again(file, "Clark", SyncPolicy::normal);
  CHECK(again.count() == 2);
  const auto rows = rows_of(again);
  REQUIRE(rows.size() == 2);
  CHECK(rows.at("kiwi") == std::pair(at_line("kiwi", 5), std::uint32_t{1}));
  CHECK(rows.at("lemon") == std::pair(at_line("lemon", 2), std::uint32_t{3}));
}

TEST_CASE("durable store: a file of another server, or not a record file, is refused by name") {
  TempDir dir("herd-store");
  const auto file = dir.path() / "Clark.db";
  { DurableStore store(file, "Clark", SyncPolicy::full); }
  CHECK_THAT(error_of([&] { DurableStore store(file, "Bona", SyncPolicy::full); }),
             Catch::Contains(file.string() + ": holds the records of server Clark, not Bona"));

  const auto text = dir.write("notes.db", std::string(8192, 'x'));
  CHECK_THAT(error_of([&] { DurableStore store(text, "Clark", SyncPolicy::full); }),
             Catch::StartsWith(text.string() + ": ") && Catch::Contains("not a database"));

  // A folder that cannot be made: a file stands where it should be.
  const auto blocked = dir.write("plain-file", "x") / "Clark.db";
  CHECK_THAT(error_of([&] { DurableStore store(blocked, "Clark", SyncPolicy::full); }),
             Catch::StartsWith(blocked.string() + ": cannot create its folder"));
}

TEST_CASE("durable store: the same file opened twice is refused while the first holds it") {
  TempDir dir("herd-store");
  const auto file = dir.path() / "Clark.db";
  DurableStore first(file, "Clark", SyncPolicy::full);
  stage(first, at_line("kiwi", 1));
  first.commit();
  CHECK_THAT(error_of([&] { DurableStore second(file, "Clark", SyncPolicy::full); }),
             Catch::StartsWith(file.string() + ": ") && Catch::Contains("locked"));
}

TEST_CASE("durable store: a full disk fails the commit by name and keeps what was committed") {
  // A child process with a 256 KiB file size limit plays the full disk: writes past it fail
  // with EFBIG (SIGXFSZ ignored) exactly where a full disk would fail with ENOSPC.
  TempDir dir("herd-store");
  const auto file = dir.path() / "Clark.db";
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{256 * 1024, 256 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::string report;
    int committed = 0;
    try {
      DurableStore store(file, "Clark", SyncPolicy::full);
      for (int batch = 0; batch < 10'000; ++batch) {
        for (int i = 0; i < 10; ++i) {
          stage(store, at_line("client-" + std::to_string(batch * 10 + i) + std::string(900, 'c'),
                               i));
        }
        store.commit();
        committed += 10;
      }
      report = "no error\n";
    } catch (const StoreError& error) {
      report = std::to_string(committed) + "\n" + error.what() + "\n";
    }
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  INFO(report);
  const auto newline = report.find('\n');
  REQUIRE(newline != std::string::npos);
  REQUIRE(report.substr(0, newline) != "no error");
  const int committed = std::stoi(report.substr(0, newline));
  CHECK(committed > 0);
  const std::string message = report.substr(newline + 1);
  CHECK_THAT(message, Catch::StartsWith(file.string() + ": cannot commit 10 records: "));
  CHECK_THAT(message, Catch::Contains("File too large"));

  // Without the limit, every committed record is there and nothing of the failed batch.
  DurableStore store(file, "Clark", SyncPolicy::full);
  const auto rows = rows_of(store);
  CHECK(rows.size() == static_cast<std::size_t>(committed));
  for (int i = 0; i < committed; ++i) {
    CHECK(rows.contains("client-" + std::to_string(i) + std::string(900, 'c')));
  }
}
