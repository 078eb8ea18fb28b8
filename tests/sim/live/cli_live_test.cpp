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

TEST_CASE("herd-sim sweep --backend live: each cell runs live into the same database") {
  TempDir dir("herd-live-cli");
  (void)dir.write("small.toml", kSmall);
  const auto sweep = dir.write("tiny-sweep.toml", R"(
[sweep]
name = "tiny-live"
scenarios = ["small.toml"]
seeds = [1, 2]

[[sweep.variants]]
label = "flood"
set = ["herd.strategy=flood"]
)");
  const auto db = dir.path() / "sweep.db";
  const std::string args = "sweep -q " + sweep.string() + " --db " + db.string();
  // The simulator's cells first, then the live ones beside them.
  const Result sim = herd_sim(dir, args);
  INFO(sim.out);
  REQUIRE(sim.code == 0);
  const Result live = herd_sim(dir, args + " --backend live");
  INFO(live.out);
  REQUIRE(live.code == 0);
  CHECK(live.out.find("| live-cli | flood |") != std::string::npos);
  CHECK(live.out.find("Live runs: real herd-server processes") != std::string::npos);
  CHECK(sim.out.find("Live runs") == std::string::npos);
  CHECK(live.out.find("stored 2 live runs in") != std::string::npos);
  herd::sim::ResultsDb results(db);
  const auto runs = results.runs();
  REQUIRE(runs.size() == 4);
  CHECK(runs[0].backend == "sim");
  CHECK(runs[1].backend == "sim");
  CHECK(runs[2].backend == "live");
  CHECK(runs[3].backend == "live");
  CHECK(runs[2].fingerprint.empty());
  CHECK(runs[2].seed == 1);
  CHECK(runs[3].seed == 2);
  // Run again, each backend finds its own cells stored and runs nothing.
  const Result again = herd_sim(dir, args + " --backend live");
  INFO(again.out);
  CHECK(again.code == 0);
  CHECK(again.out.find("skipped 2 cells already stored") != std::string::npos);
  CHECK(herd::sim::ResultsDb(db).runs().size() == 4);
  // --report-only reads the live cells back.
  const Result report = herd_sim(dir, args + " --backend live --report-only");
  INFO(report.out);
  CHECK(report.code == 0);
  CHECK(report.out.find("Live runs: real herd-server processes") != std::string::npos);
  // Live cells take real time and ports: one at a time.
  const Result parallel = herd_sim(dir, args + " --backend live -j 2");
  CHECK(parallel.code == 2);
  CHECK(parallel.out.find("one cell at a time") != std::string::npos);
  // What the live backend cannot run stops the sweep before any cell runs.
  std::string skewed = kSmall;
  skewed.replace(skewed.find("live-cli"), 8, "skewed");
  skewed += "\n[[faults]]\nat = \"1s\"\nclock = { server = \"A\", skew = \"1s\" }\n";
  (void)dir.write("skewed.toml", skewed);
  const auto refused = dir.write("refused-sweep.toml", R"(
[sweep]
name = "refused"
scenarios = ["small.toml", "skewed.toml"]
seeds = [1]

[[sweep.variants]]
label = "flood"
set = []
)");
  const Result no = herd_sim(dir, "sweep -q " + refused.string() + " --db " + db.string() +
                                      " --backend live");
  INFO(no.out);
  CHECK(no.code == 2);
  CHECK(no.out.find("skewed.toml: this scenario cannot run on the live backend") !=
        std::string::npos);
  CHECK(herd::sim::ResultsDb(db).runs().size() == 4);
  CHECK(herd::testing::no_live_folders(dir.path()));
}
