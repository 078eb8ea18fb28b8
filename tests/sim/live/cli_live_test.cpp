// herd-sim's --backend live through the real program: run stores a live run, check holds a
// live run to the scenario's [expect], and what cannot apply to live runs is refused.
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "herd/sim/results_db.hpp"
#include "live_support.hpp"

using herd::testing::TempDir;

namespace {

const std::string kSmall = R"(
[scenario]
name = "live-cli"
seed = 5
duration = "1500ms"

[herd]
servers = ["A", "B", "C"]
friends = [["A", "B"], ["B", "C"]]

[network]
latency = { dist = "constant", value = "3ms" }

[workload]
clients = 10
iamat = { rate = "30/s" }
end = "1s"

[expect]
lost_updates = 0
min_reach = 1.0
propagation_p99 = "500ms"
)";

struct Result {
  int code = -1;
  std::string out;
};

Result herd_sim(const TempDir& dir, const std::string& args) {
  const std::string command = std::string(HERD_SIM_BIN) + " " + args + " --server-bin " +
                              HERD_SERVER_BIN + " --live-dir " + dir.path().string() + " 2>&1";
  Result r;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) r.out.append(buffer, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

TEST_CASE("herd-sim run --backend live: prints the summary and stores a live run") {
  TempDir dir("herd-live-cli");
  const auto scenario = dir.write("small.toml", kSmall);
  const auto db = dir.path() / "results.db";
  const Result r = herd_sim(dir, "run --backend live -q " + scenario.string() + " --db " + db.string());
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("LIVE on 3 herd-server processes") != std::string::npos);
  CHECK(r.out.find("stored as run 1 (backend live)") != std::string::npos);
  herd::sim::ResultsDb results(db);
  const auto runs = results.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].backend == "live");
  CHECK(runs[0].scenario == "live-cli");
  CHECK(herd::testing::no_live_folders(dir.path()));
}

TEST_CASE("herd-sim run --backend live: two runs at once on one host do not collide") {
  TempDir dir("herd-live-cli");
  const auto scenario = dir.write("small.toml", kSmall);
  const std::string command = std::string(HERD_SIM_BIN) + " run --backend live -q --no-db " +
                              scenario.string() + " --server-bin " + HERD_SERVER_BIN +
                              " --live-dir " + dir.path().string() + " 2>&1";
  FILE* first = ::popen(command.c_str(), "r");
  FILE* second = ::popen(command.c_str(), "r");
  REQUIRE(first != nullptr);
  REQUIRE(second != nullptr);
  std::string out[2];
  FILE* pipes[2] = {first, second};
  int codes[2];
  for (int i = 0; i < 2; ++i) {
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipes[i])) out[i].append(buffer, n);
    const int status = ::pclose(pipes[i]);
    codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  for (int i = 0; i < 2; ++i) {
    INFO(out[i]);
    CHECK(codes[i] == 0);
    CHECK(out[i].find("lost_updates                                0") != std::string::npos);
    CHECK(out[i].find("availability                           1.0000") != std::string::npos);
  }
  CHECK(herd::testing::no_live_folders(dir.path()));
}

TEST_CASE("herd-sim check --backend live: a live run is held to [expect]") {
  TempDir dir("herd-live-cli");
  const auto scenario = dir.write("small.toml", kSmall);
  const Result r = herd_sim(dir, "check --backend live -q " + scenario.string());
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("pass") != std::string::npos);
}

TEST_CASE("herd-sim --backend live: determinism checks and golden files are refused") {
  TempDir dir("herd-live-cli");
  const auto scenario = dir.write("small.toml", kSmall);
  Result r = herd_sim(dir, "run --backend live --no-db --verify-determinism " + scenario.string());
  CHECK(r.code == 2);
  CHECK(r.out.find("live runs are not deterministic") != std::string::npos);
  r = herd_sim(dir, "check --backend live --update-golden " + scenario.string());
  CHECK(r.code == 2);
  CHECK(r.out.find("--update-golden") != std::string::npos);
  r = herd_sim(dir, "run --backend nowhere --no-db " + scenario.string());
  CHECK(r.code == 2);
}
