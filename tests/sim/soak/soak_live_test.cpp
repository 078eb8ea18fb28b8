// Short soaks on real herd-server processes (the winter2023 herd, a few seconds, with a
// random crash): every field of the report is filled; a warning planted in a log during
// the run is caught and fails the verdict while the crash's own marks do not; the program
// herd-soak passes a clean run, writes its JSON, and stops cleanly on Ctrl-C.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include "herd/sim/herd_builder.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/soak/soak.hpp"
#include "herd_test/temp_dir.hpp"

using namespace herd::sim;
using namespace herd::sim::soak;
using herd::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string kSteady = std::string(HERD_SOURCE_DIR) + "/scenarios/course/winter2023-steady.toml";

bool no_live_folders(const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with("herd-live-")) return false;
  }
  return true;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "2026-12-07T00:01:02.000000Z": the log's time format, now.
std::string log_time_now() {
  const std::time_t t = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000000Z", &utc);
  return text;
}

SoakOptions short_options(const TempDir& dir) {
  SoakOptions o;
  o.live.server_bin = HERD_SERVER_BIN;
  o.live.tmp_parent = dir.path();
  o.sample_every_s = 0.25;
  o.load_rate_per_s = 60;
  o.rss_warmup_s = 0.5;
  o.rss_min_span_s = 1;
  // Seconds are too few for a slope to mean anything (the heap is still filling); the
  // flatness check itself is tested on made-up series.
  o.rss_slope_limit_kib_per_min = 1e9;
  return o;
}

}  // namespace

TEST_CASE("soak live: a short soak fills the report, and a planted log error fails it") {
  TempDir dir("herd-soak-live");
  const Scenario scenario = load_scenario(
      kSteady, {"scenario.duration=4s", "workload.end=4s", "workload.iamat.rate=20/s",
                "workload.whatsat.rate=2/s", "strategy.anti_entropy=true",
                "random_faults.crashes=1", "random_faults.max_duration=1s",
                "random_faults.within=[\"1s\", \"2.5s\"]"});
  const HerdLayout layout = layout_of(build_friend_graph(scenario));
  SoakOptions o = short_options(dir);
  bool planted = false;
  std::vector<std::string> progress;
  o.progress = [&](const std::string& line) { progress.push_back(line); };
  o.on_sample = [&](const std::filesystem::path& folder, double t_s) {
    if (planted || t_s < 0.5) return;
    // As if Bailey's log had been rotated, so the server's own writes cannot interleave.
    std::ofstream(folder / "logs" / "Bailey.9.log", std::ios::app)
        << log_time_now() << " warning planted by the soak test\n";
    planted = true;
  };
  const SoakReport r = run_soak(scenario, layout, o);
  REQUIRE(planted);

  CHECK(r.scenario == "winter2023-steady");
  CHECK(r.duration_s == 4);
  CHECK(r.interrupted_by == 0);
  CHECK(r.cores >= 1);
  CHECK_FALSE(r.loadavg_start.empty());
  REQUIRE(r.faults.size() == 1);
  CHECK(r.faults[0].kind == FaultSpec::Kind::crash);
  // RSS: every server sampled from time 0, by its process.
  REQUIRE(r.rss.size() == 5);
  for (const auto& s : r.rss) {
    INFO(s.name);
    REQUIRE(s.samples.size() >= 12);
    CHECK(s.samples.front().t_s < 0.2);
    CHECK(s.samples.front().pid > 0);
    CHECK(s.samples.front().rss_kib > 500);
    CHECK_FALSE(s.processes.empty());
  }
  CHECK(r.processes_judged >= 4);
  CHECK(progress.size() == r.sizes.size());
  CHECK(progress.front().starts_with("[herd-soak] "));
  // Sizes and throughput.
  REQUIRE_FALSE(r.sizes.empty());
  CHECK(r.sizes.back().log_bytes > 0);
  CHECK(r.sizes.back().folder_bytes > r.sizes.back().log_bytes);
  REQUIRE(r.load_ran);
  CHECK(r.load.ok() > 100);
  CHECK(r.load.throughput_per_s() > 30);
  CHECK(r.workload.requests > 40);
  CHECK(r.counters.peer_deliveries > 0);
  // Errors: the crash's marks are explained, the planted line is not.
  CHECK(r.client_explained == r.client_failures);
  CHECK(r.log_explained + 1 == r.log_problems);
  CHECK(r.unexplained == 1);
  REQUIRE_FALSE(r.listed.empty());
  CHECK(r.listed[0].text == "warning planted by the soak test");
  CHECK(r.listed[0].server == "Bailey");
  CHECK(r.listed[0].kind == "warning");
  CHECK_FALSE(r.listed[0].explained);
  CHECK_FALSE(r.passed);
  REQUIRE(r.reasons.size() == 1);
  CHECK(r.reasons[0] == "1 error(s) that no injected fault explains");
  const std::string text = format_report(r);
  CHECK(text.find("verdict: FAIL") != std::string::npos);
  CHECK(text.find("planted by the soak test") != std::string::npos);
  const auto json = boost::json::parse(report_json(r)).as_object();
  CHECK(json.at("passed").as_bool() == false);
  CHECK(json.at("errors").at("unexplained").as_int64() == 1);
  CHECK(json.at("rss").at("servers").as_array().size() == 5);
  CHECK(json.at("throughput").at("load").as_object().contains("throughput_per_s"));
  CHECK(no_live_folders(dir.path()));
}

namespace {

struct Ran {
  int status = -1;
  std::string output;
};

pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& output) {
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("soak live: herd-soak passes a clean run with faults and writes its JSON") {
  TempDir dir("herd-soak-live");
  const auto json_file = dir.path() / "soak.json";
  const auto out = dir.path() / "out.txt";
  const pid_t pid = spawn({HERD_SOAK_BIN, kSteady, "--for", "3s", "--sample-every", "250ms",
                           "--fault-every", "1s", "--fault-max", "500ms", "--load-rate", "60",
                           "--rss-warmup", "500ms", "--rss-min-span", "1s", "--rss-slope-limit",
                           "1000000000", "--set", "workload.iamat.rate=20/s", "--set",
                           "strategy.anti_entropy=true", "--server-bin", HERD_SERVER_BIN,
                           "--live-dir", dir.path().string(), "--json", json_file.string()},
                          out);
  const int status = wait_exit(pid);
  const std::string text = read_text(out);
  INFO(text);
  CHECK(status == 0);
  CHECK(text.find("verdict: PASS") != std::string::npos);
  const auto json = boost::json::parse(read_text(json_file)).as_object();
  CHECK(json.at("passed").as_bool());
  CHECK(json.at("duration_s").to_number<double>() == 3.0);
  CHECK(json.at("faults").as_array().size() == 3);  // a crash, a partition, a pause
  CHECK(json.at("errors").at("unexplained").as_int64() == 0);
  CHECK(json.at("samples").as_array().size() >= 10);
  CHECK(no_live_folders(dir.path()));
}

TEST_CASE("soak live: Ctrl-C stops herd-soak with 130 and leaves no folder or server") {
  TempDir dir("herd-soak-live");
  const auto out = dir.path() / "out.txt";
  const pid_t pid = spawn({HERD_SOAK_BIN, kSteady, "--for", "60s", "--sample-every", "1s",
                           "--server-bin", HERD_SERVER_BIN, "--live-dir", dir.path().string()},
                          out);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (read_text(out).find("[herd-soak] ") == std::string::npos) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, WNOHANG) == 0);
    std::this_thread::sleep_for(20ms);
  }
  // The servers: herd-server processes whose config lies in the run's folder.
  std::vector<int> servers;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string cmdline = read_text(entry.path() / "cmdline");
    if (cmdline.starts_with(std::string(HERD_SERVER_BIN) + '\0') &&
        cmdline.find(dir.path().string()) != std::string::npos) {
      servers.push_back(std::stoi(entry.path().filename().string()));
    }
  }
  CHECK(servers.size() == 5);
  ::kill(pid, SIGINT);
  CHECK(wait_exit(pid) == 130);
  const std::string text = read_text(out);
  INFO(text);
  CHECK(text.find("INTERRUPTED by signal 2") != std::string::npos);
  const auto gone_by = std::chrono::steady_clock::now() + 5s;
  auto alive = [&] {
    for (int server : servers) {
      const std::string stat = read_text("/proc/" + std::to_string(server) + "/stat");
      const auto close = stat.rfind(')');
      if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z') return true;
    }
    return false;
  };
  while ((alive() || !no_live_folders(dir.path())) && std::chrono::steady_clock::now() < gone_by) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK_FALSE(alive());
  CHECK(no_live_folders(dir.path()));
}
