// A live run leaves nothing behind, whether it is stopped with Ctrl-C (SIGINT) or killed
// outright (SIGKILL): no server process, no listening or connected port, no folder. Real
// herd-sim and herd-server processes; lsof says which ports are in use.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "live_support.hpp"

using herd::testing::TempDir;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kLong = R"(
[scenario]
name = "live-cleanup"
duration = "60s"

[herd]
servers = ["A", "B", "C"]
friends = [["A", "B"], ["B", "C"], ["A", "C"]]

[network]
latency = { dist = "constant", value = "10ms" }

[workload]
clients = 10
iamat = { rate = "20/s" }
)";

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

// Processes whose parent is `pid`, from /proc.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent == pid) children.push_back(std::stoi(name));
  }
  return children;
}

// Alive and not a zombie.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// TCP ports these processes have open (listening or connected), by lsof.
std::set<int> ports_of(const std::vector<pid_t>& pids) {
  std::string list;
  for (pid_t pid : pids) list += (list.empty() ? "" : ",") + std::to_string(pid);
  const std::string out = run_command("lsof -a -p " + list + " -iTCP -P -n -Fn 2>/dev/null");
  std::set<int> ports;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != 'n') continue;
    // n127.0.0.1:41234 or n127.0.0.1:41234->127.0.0.1:5000: the local port.
    const std::string local = line.substr(1, line.find("->") == std::string::npos ? std::string::npos : line.find("->") - 1);
    ports.insert(std::stoi(local.substr(local.rfind(':') + 1)));
  }
  return ports;
}

struct Started {
  pid_t sim = -1;
  std::vector<pid_t> children;  // the servers and the janitor
  std::set<int> ports;
};

Started start_live_run(const TempDir& dir) {
  const auto scenario = dir.write("long.toml", kLong);
  const auto output = (dir.path() / "herd-sim.out").string();
  std::vector<std::string> argv{HERD_SIM_BIN, "run", "--backend", "live", scenario.string(),
                                "--server-bin", HERD_SERVER_BIN, "--live-dir", dir.path().string(),
                                "--no-db"};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  Started s;
  s.sim = ::fork();
  REQUIRE(s.sim >= 0);
  if (s.sim == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  // Running: three servers started (their ready files) and the workload under way.
  const auto deadline = Clock::now() + 20s;
  for (;;) {
    REQUIRE(Clock::now() < deadline);
    int ready = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
      if (entry.path().extension() == ".ready") ++ready;
    }
    const std::string out = herd::testing::read_file_text(output);
    if (ready == 3 && out.find("herd up") != std::string::npos) break;
    int status = 0;
    REQUIRE(::waitpid(s.sim, &status, WNOHANG) == 0);
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(500ms);
  s.children = children_of(s.sim);
  std::vector<pid_t> all = s.children;
  all.push_back(s.sim);
  s.ports = ports_of(all);
  return s;
}

// Every process gone, every port free, no folder left, within a few seconds.
void expect_nothing_left(const Started& s, const TempDir& dir) {
  const auto deadline = Clock::now() + 5s;
  for (;;) {
    // Orphaned processes come to us (a subreaper); reap them.
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    bool any_alive = false;
    for (pid_t pid : s.children) any_alive = any_alive || alive(pid);
    if ((!any_alive && herd::testing::no_live_folders(dir.path())) || Clock::now() > deadline) break;
    std::this_thread::sleep_for(20ms);
  }
  for (pid_t pid : s.children) {
    INFO("process " << pid);
    CHECK_FALSE(alive(pid));
  }
  for (int port : s.ports) {
    INFO("port " << port);
    CHECK(run_command("lsof -iTCP:" + std::to_string(port) + " -P -n 2>/dev/null").empty());
  }
  CHECK(herd::testing::no_live_folders(dir.path()));
}

}  // namespace

TEST_CASE("live cleanup: Ctrl-C stops the servers, frees the ports and removes the folder") {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  TempDir dir("herd-live-cleanup");
  const Started s = start_live_run(dir);
  // Three servers and the janitor; the servers' client and peer ports and the six proxies.
  REQUIRE(s.children.size() == 4);
  REQUIRE(s.ports.size() >= 3 * 2 + 6);
  ::kill(s.sim, SIGINT);
  int status = 0;
  REQUIRE(::waitpid(s.sim, &status, 0) == s.sim);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGINT);
  CHECK(herd::testing::read_file_text(dir.path() / "herd-sim.out").find("interrupted") != std::string::npos);
  expect_nothing_left(s, dir);
}

TEST_CASE("live cleanup: a herd-sim killed with SIGKILL leaves nothing behind either") {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  TempDir dir("herd-live-cleanup");
  const Started s = start_live_run(dir);
  REQUIRE(s.children.size() == 4);
  ::kill(s.sim, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(s.sim, &status, 0) == s.sim);
  REQUIRE(WIFSIGNALED(status));
  expect_nothing_left(s, dir);
}
