#pragma once
// Runs real herd-server processes for tests: writes a herd configuration with free loopback
// ports into a fresh temporary folder, spawns one process per server, and kills whatever is
// left when the test ends, so a failing test never leaves servers behind.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "herd_test/temp_dir.hpp"
#include "test_client.hpp"

#include "herd/live/config.hpp"  // kDefaultPeerPortOffset

namespace herd::live::testing {

// Binds 127.0.0.1:0 to let the kernel pick a port nobody uses, then releases it.
[[nodiscard]] std::uint16_t free_port();

// A free port whose default peer port (port + 1000) is free too.
[[nodiscard]] std::uint16_t free_port_pair();

// Lets this process open a few thousand sockets (the soft limit is often 1024).
void raise_descriptor_limit();

using herd::testing::TempDir;

// One child process with its stdout and stderr in a file.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output_file);
  ~ChildProcess();  // SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int signal_number) const;
  // The exit status (or 128 + signal) once it exits; nullopt if it is still running at the
  // deadline.
  [[nodiscard]] std::optional<int> wait(Clock::duration timeout);
  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// What herd configuration to write. Servers get free ports; the herd's secret is known so
// tests can play a friend.
struct HerdSpec {
  std::vector<std::string> servers;
  std::vector<std::pair<std::string, std::string>> friends;
  std::string peer_secret = "test-herd-secret";
  std::vector<std::string> limits;  // TOML lines for [limits], e.g. "idle_timeout = \"1s\""
  std::vector<std::string> strategy;  // TOML lines for [strategy], e.g. "anti_entropy = false"
  std::vector<std::string> storage;   // TOML lines for [storage]; none: no [storage] table
  std::vector<std::string> tls;       // TOML lines for [tls], e.g. "peers = true"
};

// Clark alone (no friends), with extra [limits] lines.
[[nodiscard]] HerdSpec lone_server(std::vector<std::string> limits = {});
// Clark and Bona, friends, sharing `secret`.
[[nodiscard]] HerdSpec two_friends(std::string secret = "test-herd-secret");

// The herd of a shipped configuration (names and friends), to run on free ports.
[[nodiscard]] HerdSpec spec_from_config(const std::filesystem::path& config_file);

class TestHerd {
 public:
  explicit TestHerd(HerdSpec spec);

  [[nodiscard]] const std::filesystem::path& config_path() const noexcept { return config_; }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_.path(); }
  [[nodiscard]] std::uint16_t port(const std::string& name) const { return ports_.at(name); }
  [[nodiscard]] const HerdSpec& spec() const noexcept { return spec_; }
  [[nodiscard]] std::filesystem::path log_path(const std::string& name) const;
  [[nodiscard]] std::filesystem::path output_path(const std::string& name) const;

  // Spawns herd-server for one server (with any extra flags) and waits until it accepts
  // connections.
  void start(const std::string& name, const std::vector<std::string>& extra_args = {});
  void start_all();
  // Runs later starts through this command (argv prefix; the server's command line follows
  // as "$0" "$@"), e.g. a shell that sets a resource limit first. Empty: run directly.
  void set_launcher(std::vector<std::string> launcher) { launcher_ = std::move(launcher); }
  // Waits until every server's log says each of its outbound links is up.
  void wait_for_links(Clock::duration timeout = 10s);
  // Sends a signal; for SIGKILL also waits for the process to be gone.
  void signal(const std::string& name, int signal_number);
  // True while the server's process runs (false if it was never started or has exited).
  [[nodiscard]] bool running(const std::string& name);
  // Waits for the server's process to exit by itself (a signal someone else sent).
  [[nodiscard]] bool wait_exit(const std::string& name, Clock::duration timeout = 5s);
  // SIGTERM and wait: the exit status, or nullopt if it did not exit in time.
  [[nodiscard]] std::optional<int> terminate(const std::string& name, Clock::duration timeout = 5s);

  [[nodiscard]] std::string read_log(const std::string& name) const;
  [[nodiscard]] std::string read_output(const std::string& name) const;
  // Polls the log until `text` occurs at least `times` times.
  [[nodiscard]] bool wait_for_log(const std::string& name, const std::string& text, int times = 1,
                                  Clock::duration timeout = 5s) const;

 private:
  HerdSpec spec_;
  TempDir dir_{"herd-live"};
  std::filesystem::path config_;
  std::map<std::string, std::uint16_t> ports_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;
  std::vector<std::string> launcher_;
};

// Plays the friend `dialer` on `link` (a connection to a server's peer or client port): sends
// the HERD 2 HELLO, reads the CHALLENGE and answers with a PROOF made with `secret`, without
// checking the server's own proof. Returns what it sent (the HELLO and PROOF lines), for a
// test to replay. Throws TestError if no CHALLENGE comes back.
std::string greet_as_friend(TestClient& link, const std::string& dialer, const std::string& secret);

// Counts non-overlapping occurrences of `needle`.
[[nodiscard]] int count_of(const std::string& haystack, const std::string& needle);

}  // namespace herd::live::testing
