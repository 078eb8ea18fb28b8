#include "test_herd.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "herd/auth/hmac_authenticator.hpp"
#include "herd/core/peer_handshake.hpp"
#include "herd/live/config.hpp"

#ifndef HERD_SERVER_BIN
#error "HERD_SERVER_BIN must name the herd-server binary (tests/core/live/CMakeLists.txt)"
#endif

namespace herd::live::testing {

namespace {

std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw TestError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw TestError("cannot find a free port: " + why);
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

namespace {

bool port_is_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool free = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

}  // namespace

std::uint16_t free_port_pair() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::uint16_t port = free_port();
    if (port <= 65535 - kDefaultPeerPortOffset &&
        port_is_free(static_cast<std::uint16_t>(port + kDefaultPeerPortOffset))) {
      return port;
    }
  }
  throw TestError("cannot find a free port whose default peer port is free too");
}

void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// --- ChildProcess --------------------------------------------------------------------------

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::filesystem::path& output_file) {
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed.
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const std::string output = output_file.string();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw TestError(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // If the test process dies (a crash, a ctest timeout), its servers die with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    signal(SIGKILL);
    (void)wait(5s);
  }
}

void ChildProcess::signal(int signal_number) const {
  if (pid_ > 0) ::kill(pid_, signal_number);
}

std::optional<int> ChildProcess::wait(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!status_) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (done < 0 && errno != EINTR) throw TestError(std::string("waitpid: ") + std::strerror(errno));
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  return status_;
}

bool ChildProcess::running() { return pid_ > 0 && !wait(0s).has_value(); }

// --- TestHerd ------------------------------------------------------------------------------

HerdSpec lone_server(std::vector<std::string> limits) {
  HerdSpec spec;
  spec.servers = {"Clark"};
  spec.limits = std::move(limits);
  return spec;
}

HerdSpec two_friends(std::string secret) {
  HerdSpec spec;
  spec.servers = {"Clark", "Bona"};
  spec.friends = {{"Clark", "Bona"}};
  spec.peer_secret = std::move(secret);
  return spec;
}

HerdSpec spec_from_config(const std::filesystem::path& config_file) {
  const HerdConfig config = load_herd_config(config_file);
  HerdSpec spec;
  std::set<std::pair<std::string, std::string>> friendships;
  for (const auto& server : config.servers) {
    spec.servers.push_back(server.core.name);
    for (const auto& friend_name : server.core.friends) {
      friendships.insert(std::minmax(server.core.name, friend_name));
    }
  }
  spec.friends.assign(friendships.begin(), friendships.end());
  return spec;
}

TestHerd::TestHerd(HerdSpec spec) : spec_(std::move(spec)), config_(dir_.path() / "herd.toml") {
  std::ostringstream toml;
  toml << "[herd]\nname = \"test\"\npeer_secret = " << toml_string(spec_.peer_secret)
       << "\nlog_dir = " << toml_string((dir_.path() / "logs").string()) << "\nfriends = [\n";
  for (const auto& [a, b] : spec_.friends) {
    toml << "  [" << toml_string(a) << ", " << toml_string(b) << "],\n";
  }
  toml << "]\n\n[places]\nprovider = \"offline\"\n\n[limits]\n";
  for (const auto& line : spec_.limits) toml << line << "\n";
  toml << "\n[strategy]\n";
  for (const auto& line : spec_.strategy) toml << line << "\n";
  if (!spec_.storage.empty()) {
    toml << "\n[storage]\n";
    for (const auto& line : spec_.storage) toml << line << "\n";
  }
  if (!spec_.tls.empty()) {
    toml << "\n[tls]\n";
    for (const auto& line : spec_.tls) toml << line << "\n";
  }
  // The kernel may hand out a port again once its probe socket is closed, so ports already
  // given to this herd (client and peer) are refused rather than written twice.
  std::set<std::uint16_t> taken;
  for (const auto& name : spec_.servers) {
    // The config leaves peer_port out, so each server also takes port + 1000 (the default).
    std::uint16_t port = 0;
    for (int attempt = 0;; ++attempt) {
      port = free_port_pair();
      const auto peer = static_cast<std::uint16_t>(port + kDefaultPeerPortOffset);
      if (!taken.contains(port) && !taken.contains(peer)) {
        taken.insert(port);
        taken.insert(peer);
        break;
      }
      if (attempt == 100) throw TestError("cannot find distinct free ports for the test herd");
    }
    ports_.emplace(name, port);
    toml << "\n[[servers]]\nname = " << toml_string(name) << "\nhost = \"127.0.0.1\"\nport = "
         << port << "\n";
  }
  std::ofstream(config_) << toml.str();
}

std::filesystem::path TestHerd::log_path(const std::string& name) const {
  return dir_.path() / "logs" / (name + ".log");
}

std::filesystem::path TestHerd::output_path(const std::string& name) const {
  return dir_.path() / (name + ".out");
}

void TestHerd::start(const std::string& name, const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = launcher_;
  for (const std::string& arg : {std::string(HERD_SERVER_BIN), std::string("--config"),
                                config_.string(), std::string("--name"), name}) {
    argv.push_back(arg);
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto child = std::make_unique<ChildProcess>(argv, output_path(name));
  const auto deadline = Clock::now() + 10s;
  for (;;) {
    if (!child->running()) {
      throw TestError(name + " exited at start: " + read_output(name));
    }
    try {
      TestClient probe(port(name), 0, 200ms);
      break;
    } catch (const TestError&) {
      if (Clock::now() >= deadline) throw TestError(name + " does not accept connections");
      std::this_thread::sleep_for(10ms);
    }
  }
  processes_[name] = std::move(child);
}

void TestHerd::start_all() {
  for (const auto& name : spec_.servers) start(name);
}

void TestHerd::wait_for_links(Clock::duration timeout) {
  for (const auto& [a, b] : spec_.friends) {
    for (const auto& [from, to] : {std::pair(a, b), std::pair(b, a)}) {
      if (!wait_for_log(from, "link to " + to + " up", 1, timeout)) {
        throw TestError(from + "'s link to " + to + " did not come up; log:\n" + read_log(from));
      }
    }
  }
}

void TestHerd::signal(const std::string& name, int signal_number) {
  const auto it = processes_.find(name);
  if (it == processes_.end()) return;
  it->second->signal(signal_number);
  if (signal_number == SIGKILL) {
    (void)it->second->wait(5s);
    processes_.erase(it);
  }
}

bool TestHerd::running(const std::string& name) {
  const auto it = processes_.find(name);
  return it != processes_.end() && it->second->running();
}

bool TestHerd::wait_exit(const std::string& name, Clock::duration timeout) {
  const auto it = processes_.find(name);
  if (it == processes_.end()) return true;
  if (!it->second->wait(timeout)) return false;
  processes_.erase(it);
  return true;
}

std::optional<int> TestHerd::terminate(const std::string& name, Clock::duration timeout) {
  const auto it = processes_.find(name);
  if (it == processes_.end()) return std::nullopt;
  it->second->signal(SIGTERM);
  return it->second->wait(timeout);
}

std::string TestHerd::read_log(const std::string& name) const { return read_file(log_path(name)); }

std::string TestHerd::read_output(const std::string& name) const {
  return read_file(output_path(name));
}

bool TestHerd::wait_for_log(const std::string& name, const std::string& text, int times,
                            Clock::duration timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (count_of(read_log(name), text) >= times) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

std::string greet_as_friend(TestClient& link, const std::string& dialer, const std::string& secret) {
  herd::auth::HmacAuthenticator auth(secret);
  const std::string nonce = auth.fresh_nonce();
  const std::string hello = core::format_hello(dialer, nonce);
  link.send(hello);
  std::string line = link.read_line();
  line.pop_back();
  const core::HandshakeMessage answer = core::parse_handshake_line(line);
  const auto* challenge = std::get_if<core::ChallengeMessage>(&answer);
  if (challenge == nullptr) throw TestError("expected a CHALLENGE, got '" + line + "'");
  const std::string proof = core::format_proof(auth.prove(core::handshake_transcript(
      core::HandshakeRole::dialer, dialer, std::string(challenge->acceptor), nonce,
      std::string(challenge->nonce))));
  link.send(proof);
  return hello + proof;
}

int count_of(const std::string& haystack, const std::string& needle) {
  int count = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace herd::live::testing
