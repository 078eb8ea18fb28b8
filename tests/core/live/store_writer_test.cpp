// The durable store's writer thread: batches are committed there, in order, one at a time,
// and a failed commit comes back as an outcome that names the file and the reason.
#include "herd/live/store_writer.hpp"

#include <atomic>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "herd_test/temp_dir.hpp"

using herd::live::DurableStore;
using herd::live::StoreWriter;
using herd::live::SyncPolicy;
using herd::testing::TempDir;

namespace {

struct Line {
  std::string client;
  std::string at_line;
};

Line line_of(const std::string& client, int second) {
  return {client, "AT Clark +0.000120000 " + client + " +34.068930-118.445127 1621464827." +
                      std::to_string(100000000 + second)};
}

std::vector<DurableStore::Row> rows_of(const std::vector<Line>& lines) {
  std::vector<DurableStore::Row> rows;
  for (const Line& line : lines) rows.push_back({line.client, line.at_line, 1});
  return rows;
}

}  // namespace

TEST_CASE("store writer: batches commit on the writer's thread, in order, one at a time") {
  TempDir dir("herd-store-writer");
  const auto file = dir.path() / "Clark.db";
  std::atomic<int> told{0};
  std::atomic<bool> told_on_other_thread{true};
  const auto caller = std::this_thread::get_id();
  {
    DurableStore store(file, "Clark", SyncPolicy::normal);
    StoreWriter writer(store, [&] {
      if (std::this_thread::get_id() == caller) told_on_other_thread = false;
      ++told;
    });
    CHECK_FALSE(writer.busy());
    CHECK_FALSE(writer.wait().has_value());  // nothing in hand: no waiting

    const std::vector<Line> first = {line_of("kiwi", 1), line_of("lime", 1)};
    writer.submit(rows_of(first));
    CHECK(writer.busy());
    const auto outcome = writer.wait();
    REQUIRE(outcome.has_value());
    CHECK(outcome->rows == 2);
    CHECK_FALSE(outcome->error.has_value());
    CHECK_FALSE(writer.busy());
    CHECK_FALSE(writer.take().has_value());

    // A later record of a client wins, within a batch and across batches; take() polls.
    const std::vector<Line> second = {line_of("kiwi", 2), line_of("kiwi", 3), line_of("plum", 2)};
    writer.submit(rows_of(second));
    std::optional<StoreWriter::Outcome> polled;
    for (int i = 0; i < 500 && !polled; ++i) {
      polled = writer.take();
      if (!polled) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(polled.has_value());
    CHECK(polled->rows == 3);
    CHECK(store.commits() == 2);
    CHECK(store.records_written() == 5);
  }
  CHECK(told == 2);
  CHECK(told_on_other_thread);
  DurableStore reopened(file, "Clark", SyncPolicy::normal);
  std::vector<std::string> stored;
  reopened.load([&](std::string_view client, std::string_view at_line, std::uint32_t hops) {
    stored.push_back(std::string(client) + " " + std::string(at_line) + " " +
                     std::to_string(hops));
  });
  CHECK(stored == std::vector<std::string>{line_of("kiwi", 3).client + " " +
                                               line_of("kiwi", 3).at_line + " 1",
                                           line_of("lime", 1).client + " " +
                                               line_of("lime", 1).at_line + " 1",
                                           line_of("plum", 2).client + " " +
                                               line_of("plum", 2).at_line + " 1"});
}

TEST_CASE("store writer: a commit that fails comes back with the file and the reason") {
  // A child process with a small file size limit plays the full disk (as in
  // durable_store_test), writing through the writer thread until a commit fails.
  TempDir dir("herd-store-writer");
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
    std::string report = "no error\n";
    try {
      DurableStore store(file, "Clark", SyncPolicy::full);
      StoreWriter writer(store, [] {});
      int committed = 0;
      for (int batch = 0; batch < 10'000; ++batch) {
        std::vector<Line> lines;
        for (int i = 0; i < 10; ++i) {
          lines.push_back(line_of("client-" + std::to_string(batch * 10 + i) + std::string(900, 'c'), i));
        }
        writer.submit(rows_of(lines));
        const auto outcome = writer.wait();
        if (!outcome || outcome->error) {
          report = std::to_string(committed) + "\n" + (outcome ? *outcome->error : "none") + "\n";
          break;
        }
        committed += 10;
      }
    } catch (const std::exception& error) {
      report = std::string("threw\n") + error.what() + "\n";
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
  const std::string first = report.substr(0, newline);
  REQUIRE(first != "no error");
  REQUIRE(first != "threw");
  const int committed = std::stoi(first);
  CHECK(committed > 0);
  const std::string message = report.substr(newline + 1);
  CHECK_THAT(message, Catch::StartsWith(file.string() + ": cannot commit 10 records: "));
  CHECK_THAT(message, Catch::Contains("File too large"));

  DurableStore store(file, "Clark", SyncPolicy::full);
  CHECK(store.count() == static_cast<std::size_t>(committed));
}
