#pragma once
// Child processes of a live run, and what makes sure none outlives it.
//
// - Every herd-server is started in a process group of its own (so a Ctrl-C at the terminal
//   reaches the runner only, which stops the servers itself) with PR_SET_PDEATHSIG(SIGKILL)
//   (so it dies with the runner, however the runner dies), and with no descriptor of the
//   runner's but its output file.
// - A janitor process, started first, holds one end of a socket pair whose other end only the
//   runner has. When the runner ends, however it ends (even by SIGKILL), its end reports
//   end of file: the janitor kills every server process group the runner told it about and
//   removes the run's folder (it calls only async-signal-safe functions, then execs rm, so
//   it is safe to fork from a runner with threads). It ignores terminal signals and lives
//   in a session of its own.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace herd::sim::live {

// Binds 127.0.0.1:0 and closes it again: a port nobody had bound a moment ago.
[[nodiscard]] std::uint16_t pick_free_port();

class Janitor {
 public:
  // Forks the janitor; `folder` is removed when the runner ends unless keep_folder.
  Janitor(const std::filesystem::path& folder, bool keep_folder);
  ~Janitor();  // ends the janitor normally (it then removes the folder) and reaps it
  Janitor(const Janitor&) = delete;
  Janitor& operator=(const Janitor&) = delete;

  void watch(pid_t process_group);
  void forget(pid_t process_group);

 private:
  void tell(const std::string& line);
  pid_t pid_ = -1;
  int pipe_ = -1;
};

class ServerProcess {
 public:
  // Starts `argv` (argv[0] the executable) with stdout and stderr appended to `output`.
  ServerProcess(const std::vector<std::string>& argv, const std::filesystem::path& output);
  ~ServerProcess();  // SIGKILL to its group if it still runs, and reap
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  // Signals the whole process group (the server has no children; the group is its own).
  void signal(int signal_number) const;
  // The exit status (128 + signal when killed) once it has exited; nullopt while it runs.
  [[nodiscard]] std::optional<int> poll();
  // Waits up to `timeout` for it to exit.
  [[nodiscard]] std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace herd::sim::live
