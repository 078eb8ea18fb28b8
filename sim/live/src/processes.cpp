#include "processes.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace herd::sim::live {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Closes every descriptor from `first` up, without allocating (after fork).
void close_from(int first) {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0U) == 0) return;
#endif
  const long max = ::sysconf(_SC_OPEN_MAX);
  for (long fd = first; fd < (max > 0 ? max : 65536); ++fd) ::close(static_cast<int>(fd));
}

}  // namespace

std::uint16_t pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    fail("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// --- Janitor -------------------------------------------------------------------------------

Janitor::Janitor(const std::filesystem::path& folder, bool keep_folder) {
  // A socket pair rather than a pipe: writes to it never raise SIGPIPE (MSG_NOSIGNAL).
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) fail("socketpair");
  const std::string path = folder.string();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) fail("fork");
  if (pid_ == 0) {
    // The janitor. Only async-signal-safe calls from here on (the runner may have threads):
    // no allocation; the folder goes by exec'ing rm.
    ::setsid();
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    if (fds[0] != 3) {
      ::dup2(fds[0], 3);
    } else {
      ::fcntl(3, F_SETFD, 0);
    }
    close_from(4);
    constexpr int kMaxGroups = 1024;
    pid_t groups[kMaxGroups];
    int count = 0;
    if (::getppid() == parent) {
      // "+pgid\n" registers a server's process group, "-pgid\n" forgets it; end of file
      // means the runner is gone.
      char sign = 0;
      long value = 0;
      char buffer[256];
      for (;;) {
        const ssize_t n = ::read(3, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; ++i) {
          const char c = buffer[i];
          if (c == '+' || c == '-') {
            sign = c;
            value = 0;
          } else if (c >= '0' && c <= '9') {
            value = value * 10 + (c - '0');
          } else if (c == '\n' && value > 0) {
            if (sign == '+' && count < kMaxGroups) {
              groups[count++] = static_cast<pid_t>(value);
            } else if (sign == '-') {
              for (int g = 0; g < count; ++g) {
                if (groups[g] == static_cast<pid_t>(value)) groups[g] = groups[--count];
              }
            }
            sign = 0;
            value = 0;
          }
        }
      }
    }
    for (int g = 0; g < count; ++g) ::kill(-groups[g], SIGKILL);
    if (!keep_folder) {
      // Give killed servers a moment to be gone before their folder goes.
      timespec pause{0, 100'000'000};
      ::nanosleep(&pause, nullptr);
      ::execl("/bin/rm", "rm", "-rf", "--", path.c_str(), static_cast<char*>(nullptr));
    }
    ::_exit(0);
  }
  ::close(fds[0]);
  pipe_ = fds[1];
}

Janitor::~Janitor() {
  if (pipe_ >= 0) ::close(pipe_);
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void Janitor::tell(const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::send(pipe_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the janitor is gone; the servers' death signal still applies
    done += static_cast<std::size_t>(n);
  }
}

void Janitor::watch(pid_t process_group) { tell("+" + std::to_string(process_group) + "\n"); }
void Janitor::forget(pid_t process_group) { tell("-" + std::to_string(process_group) + "\n"); }

// --- ServerProcess -------------------------------------------------------------------------

ServerProcess::ServerProcess(const std::vector<std::string>& argv,
                             const std::filesystem::path& output) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const std::string output_path = output.string();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) fail("fork");
  if (pid_ == 0) {
    // Only async-signal-safe calls from here to exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int fd = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    close_from(3);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  // Also from this side, so the group exists before anyone signals it.
  ::setpgid(pid_, pid_);
}

ServerProcess::~ServerProcess() {
  if (!poll()) {
    signal(SIGKILL);
    (void)wait(std::chrono::milliseconds(5000));
  }
}

void ServerProcess::signal(int signal_number) const {
  if (pid_ > 0 && !status_) ::kill(-pid_, signal_number);
}

std::optional<int> ServerProcess::poll() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else if (done < 0 && errno == ECHILD) {
    status_ = 255;
  }
  return status_;
}

std::optional<int> ServerProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return status_;
}

}  // namespace herd::sim::live
