#include "herd/sim/live_runner.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <limits>
#include <queue>
#include <sstream>
#include <system_error>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "herd/auth/hmac_authenticator.hpp"
#include "herd/core/record_store.hpp"
#include "herd/sim/delay_sampler.hpp"
#include "herd/sim/prng.hpp"
#include "herd/sim/random_faults.hpp"
#include "herd/sim/workload.hpp"
#include "link_proxy.hpp"
#include "observations.hpp"
#include "processes.hpp"

namespace herd::sim {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using live::SteadyClock;

namespace {

// The simulator's sub-seed streams (sim/virtual/src/simulation.cpp), so a live run draws
// the same workload, fault schedule, client latencies and link delays from its seed.
constexpr std::uint64_t kWorkloadStream = 1;
constexpr std::uint64_t kFaultStream = 2;
constexpr std::uint64_t kClientLatencyStream = 3;
constexpr std::uint64_t kLinkStream = 1'000'000;

constexpr std::uint32_t kMaxLiveServers = 64;
constexpr int kStartAttempts = 5;
constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr auto kLinksTimeout = std::chrono::seconds(15);
constexpr auto kStopTimeout = std::chrono::milliseconds(5000);
constexpr auto kDrainCheckEvery = std::chrono::milliseconds(200);
constexpr std::uint64_t kObserveLimit = 256ULL << 20;
constexpr std::size_t kMaxReplyBytes = 1 << 20;
constexpr std::size_t kMaxOpenRequests = 20'000;

Nanoseconds system_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string ns_duration(Nanoseconds ns) { return toml_string(std::to_string(ns) + "ns"); }

std::string read_text(const std::filesystem::path& file, std::size_t max_bytes = 64 * 1024) {
  std::ifstream in(file, std::ios::binary);
  std::string text(max_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(max_bytes));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::filesystem::path default_server_bin() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "herd-server";
  return self.parent_path() / "herd-server";
}

}  // namespace

std::vector<std::string> live_unsupported(const Scenario& scenario) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    const FaultSpec& f = scenario.faults[i];
    const std::string where = "faults[" + std::to_string(i) + "]: ";
    if (f.kind == FaultSpec::Kind::clock) {
      problems.push_back(where + "clock faults (skew, drift) cannot be run live: every live "
                                 "server reads the host's clock");
    }
  }
  if (scenario.duration_ns > 86'400LL * core::kNanosPerSecond) {
    problems.push_back("scenario.duration: a live run lasts as long as its scenario, and more "
                       "than a day is refused");
  }
  if (scenario.network.reorder) {
    problems.push_back("network.reorder = true cannot be run live: every link is one TCP "
                       "connection and keeps its lines in order");
  }
  return problems;
}

namespace {

// A replayable event of the run: an observation, or something the runner did.
struct RunEvent {
  enum class Kind : std::uint8_t { observed, server_down, server_up, heal };
  Kind kind = Kind::observed;
  bool amnesia = true;  // server_up: restarted without its records
  Nanoseconds at_ns = 0;  // since the run's start
  ServerIndex server = 0;
  const live::ObservedEvent* observed = nullptr;
};

struct Link {
  std::uint32_t from = 0, to = 0;
  const DelayDistribution* base_latency = nullptr;
  double loss = 0;  // network.loss, a [[network.links]] override, or --link-loss
};

struct ServerSlot {
  std::string name;
  std::uint16_t client_port = 0;
  std::uint16_t peer_port = 0;
  int incarnation = 0;
  int attempts = 0;
  std::unique_ptr<live::ServerProcess> process;
  std::filesystem::path ready_file, output_file;
  std::vector<std::filesystem::path> observation_files;
  bool up = false;       // running and not crashed by a fault
  bool starting = false; // spawned, ready file not yet seen
  std::chrono::steady_clock::time_point start_deadline{};
  bool paused = false;
  int crashes_active = 0;
  bool amnesia_due = false;  // an active crash fault wants the restart without state
};

class LiveRun {
 public:
  LiveRun(const Scenario& scenario, const HerdLayout& layout, const LiveRunOptions& options)
      : scenario_(scenario), layout_(layout), options_(options), timer_(io_), signals_(io_) {}
  ~LiveRun() {
    if (restore_policy_) {
      sched_param normal{};
      (void)::sched_setscheduler(0, *restore_policy_, &normal);
    }
    if (restore_nice_) (void)::setpriority(PRIO_PROCESS, 0, *restore_nice_);
  }
  LiveRun(const LiveRun&) = delete;
  LiveRun& operator=(const LiveRun&) = delete;

  LiveOutcome run();

 private:
  void say(const std::string& what) const {
    if (options_.progress) options_.progress(what);
  }
  void tell(LiveRunEvent::Kind kind, std::uint32_t server = 0) const {
    if (!options_.on_event) return;
    LiveRunEvent e;
    e.kind = kind;
    e.folder = folder_;
    e.system_ns = kind == LiveRunEvent::Kind::time_zero ? t0_sys_ns_ : system_now_ns();
    if (kind == LiveRunEvent::Kind::server_ready) {
      e.server = server;
      e.pid = servers_[server].process->pid();
      e.client_port = servers_[server].client_port;
    }
    options_.on_event(e);
  }
  void check_interrupt() const {
    if (interrupted_) throw LiveRunInterrupted(interrupted_);
  }
  void make_folder();
  void build_links();
  void write_config(std::uint32_t server);
  void spawn(std::uint32_t server);
  // Looks at a server being started: ready (ports known), or failed (maybe retried on new
  // ports); throws LiveRunError when it cannot start.
  void poll_start(std::uint32_t server);
  void wait_for(const std::function<bool()>& done, std::chrono::steady_clock::duration timeout,
                const std::string& what);
  void check_processes();
  void stop_servers();

  // Scheduling in real time, relative to the run's start.
  void at(Nanoseconds rel_ns, std::function<void()> fn);
  void arm();
  void record(RunEvent::Kind kind, ServerIndex server = 0, bool amnesia = true);

  void submit(ClientCommand command, Nanoseconds rel_ns);
  void send_per_command(const ClientCommand& command);
  void send_persistent(const ClientCommand& command);
  void finish_request(bool answered, ClientCommand::Kind kind, std::string_view reply);

  void start_fault(std::size_t index);
  void end_fault(std::size_t index);
  bool blocked(std::uint32_t from, std::uint32_t to) const;
  void apply_cuts();
  std::vector<std::uint32_t> links_between(const std::vector<std::string>& a,
                                           const std::vector<std::string>& b) const;
  void crash(std::uint32_t server, bool amnesia);
  [[nodiscard]] std::filesystem::path store_file(std::uint32_t server) const;
  void forget_state(std::uint32_t server);
  void restart(std::uint32_t server);

  // Reads every observation file and feeds `metrics` as the virtual runtime would, up to
  // `end_ns` after the start. Returns the number of observations read.
  std::uint64_t replay(MetricsRecorder& metrics, Nanoseconds end_ns);
  bool converged_now();
  [[nodiscard]] bool requests_open() const {
    if (open_requests_ > 0) return true;
    return std::any_of(persistent_.begin(), persistent_.end(),
                       [](const auto& c) { return c && !c->broken && !c->pending.empty(); });
  }

  const Scenario& scenario_;
  const HerdLayout& layout_;
  LiveRunOptions options_;
  asio::io_context io_;
  asio::steady_timer timer_;
  asio::signal_set signals_;
  int interrupted_ = 0;
  std::optional<int> restore_nice_;
  std::optional<int> restore_policy_;
  std::string error_;  // set by handlers; the run stops with it
  std::filesystem::path folder_;
  std::filesystem::path server_bin_;
  std::string secret_;
  std::unique_ptr<live::Janitor> janitor_;
  std::unique_ptr<MetricsRecorder> metrics_;
  std::vector<Link> links_;
  std::vector<std::vector<std::uint32_t>> out_links_;  // [server][peer]
  std::vector<std::unique_ptr<live::LinkProxy>> proxies_;
  std::vector<ServerSlot> servers_;
  std::vector<FaultSpec> faults_;
  bool durable_ = false;  // some crash restarts with state, so servers keep a durable store
  std::vector<std::vector<int>> cut_sides_;
  std::vector<std::size_t> active_cuts_;
  std::vector<RunEvent> runner_events_;
  LiveCounters counters_;
  SteadyClock::time_point t0_{};
  Nanoseconds t0_sys_ns_ = 0;

  struct Scheduled {
    SteadyClock::time_point when;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Scheduled& o) const {
      return when != o.when ? when > o.when : seq > o.seq;
    }
  };
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> schedule_;
  std::uint64_t next_seq_ = 0;

  std::optional<Workload> workload_;
  Prng client_rng_{0};
  std::size_t open_requests_ = 0;
  std::vector<std::shared_ptr<tcp::socket>> request_sockets_;  // per-command, open ones

  struct Pending {
    ClientCommand::Kind kind;
    bool whatsat_shape;  // the reply ends at a blank line unless it is "? ..."
  };
  struct Persistent {
    explicit Persistent(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    bool connected = false, broken = false, writing = false;
    std::string outbox, inbox;
    std::deque<Pending> pending;
    std::array<char, 16 * 1024> buffer{};
  };
  std::vector<std::shared_ptr<Persistent>> persistent_;  // per server
  void persistent_write(std::uint32_t server, const std::shared_ptr<Persistent>& conn);
  void persistent_read(std::uint32_t server, const std::shared_ptr<Persistent>& conn);
  void persistent_fail(std::uint32_t server, const std::shared_ptr<Persistent>& conn);
};

// --- set-up --------------------------------------------------------------------------------

void LiveRun::make_folder() {
  std::filesystem::path parent = options_.tmp_parent.empty()
                                     ? std::filesystem::temp_directory_path()
                                     : options_.tmp_parent;
  std::string pattern = (parent / "herd-live-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw LiveRunError("cannot create the live run's folder " + pattern + ": " +
                       std::strerror(errno));
  }
  folder_ = pattern;
  // Fresh for every run: 32 random bytes, used only inside the HERD 2 handshake.
  secret_.clear();
  for (int half = 0; half < 2; ++half) {
    for (const std::uint8_t byte : auth::random_nonce()) {
      static constexpr char kDigits[] = "0123456789abcdef";
      secret_.push_back(kDigits[byte >> 4]);
      secret_.push_back(kDigits[byte & 0xf]);
    }
  }
  std::filesystem::create_directories(folder_ / "logs");
}

void LiveRun::build_links() {
  const std::uint32_t n = layout_.size();
  out_links_.assign(n, {});
  for (std::uint32_t from = 0; from < n; ++from) {
    for (std::uint32_t peer = 0; peer < layout_.neighbours[from].size(); ++peer) {
      out_links_[from].push_back(static_cast<std::uint32_t>(links_.size()));
      links_.push_back(Link{from, layout_.neighbours[from][peer], &scenario_.network.latency,
                            scenario_.network.loss});
    }
  }
  for (const auto& o : scenario_.network.links) {
    const std::uint32_t a = layout_.index_of(o.a), b = layout_.index_of(o.b);
    bool found = false;
    for (auto& link : links_) {
      if ((link.from == a && link.to == b) || (o.both_directions && link.from == b && link.to == a)) {
        if (o.latency) link.base_latency = &*o.latency;
        if (o.loss) link.loss = *o.loss;
        found = true;
      }
    }
    if (!found) throw LiveRunError("network.links: " + o.a + " and " + o.b + " are not friends");
  }
  if (options_.link_loss) {
    for (auto& link : links_) link.loss = *options_.link_loss;
  }
}

// Each server gets a config of its own: the same herd, but each friend's peer_port is the
// port of the proxy for the link from this server to that friend.
void LiveRun::write_config(std::uint32_t s) {
  const core::PropagationConfig& p = scenario_.propagation;
  std::ostringstream toml;
  toml << "# Written by herd-sim's live backend for " << toml_string(layout_.names[s]) << "\n";
  toml << "[herd]\nname = \"live\"\npeer_secret = " << toml_string(secret_)
       << "\nlog_dir = " << toml_string((folder_ / "logs").string())
       << "\nstrategy = " << toml_string(core::to_string(p.push)) << "\nfriends = [\n";
  for (std::uint32_t a = 0; a < layout_.size(); ++a) {
    for (auto b : layout_.neighbours[a]) {
      if (a < b) {
        toml << "  [" << toml_string(layout_.names[a]) << ", " << toml_string(layout_.names[b])
             << "],\n";
      }
    }
  }
  toml << "]\n\n[places]\nprovider = \"offline\"\n";
  if (!scenario_.places_db.empty()) toml << "db = " << toml_string(scenario_.places_db) << "\n";
  // Workload clients may keep a connection for the whole run, all from this host.
  toml << "\n[limits]\nidle_timeout = \"0s\"\nmax_connections = 1000000\n"
       << "max_connections_per_address = 1000000\n";
  // Records on disk, so a crash can restart with state. Faults kill processes, never the
  // machine: the operating system keeps what a commit wrote, so the log need not be synced.
  // Only runs with such a crash get a store: a commit per event-loop turn adds latency to
  // every hop, which would skew the delays of runs that never need it.
  if (durable_) {
    toml << "\n[storage]\ndir = " << toml_string((folder_ / "state").string())
         << "\nsync = \"normal\"\n";
  }
  toml << "\n[strategy]\nfanout = " << p.fanout << "\nhop_limit = " << p.hop_limit
       << "\nfeedback = " << (p.rumor_feedback ? "true" : "false")
       << "\nloss = " << (p.rumor_counter ? "\"counter\"" : "\"coin\"") << "\nk = " << p.rumor_k
       << "\nperiod = " << ns_duration(p.rumor_period_ns)
       << "\nrounds = " << toml_string(core::to_string(p.rumor_rounds))
       << "\ncounter_reset = " << (p.rumor_counter_reset ? "true" : "false")
       << "\nihave_delay = " << ns_duration(p.plumtree_ihave_delay_ns)
       << "\ngraft_timeout = " << ns_duration(p.plumtree_graft_timeout_ns)
       << "\nprune_after = " << p.plumtree_prune_after
       << "\nanti_entropy = " << (p.anti_entropy ? "true" : "false")
       << "\nanti_entropy_period = " << ns_duration(p.anti_entropy_period_ns)
       << "\nanti_entropy_on_connect = " << (p.anti_entropy_on_connect ? "true" : "false") << "\n";
  for (std::uint32_t j = 0; j < layout_.size(); ++j) {
    std::uint16_t peer_port = servers_[j].peer_port;
    if (j != s) {
      const auto& friends = layout_.neighbours[s];
      const auto it = std::find(friends.begin(), friends.end(), j);
      if (it != friends.end()) {
        peer_port = proxies_[out_links_[s][static_cast<std::size_t>(it - friends.begin())]]->port();
      }
    }
    toml << "\n[[servers]]\nname = " << toml_string(layout_.names[j])
         << "\nhost = \"127.0.0.1\"\nport = " << servers_[j].client_port
         << "\npeer_port = " << peer_port << "\n";
  }
  std::ofstream out(folder_ / (layout_.names[s] + ".toml"), std::ios::binary | std::ios::trunc);
  out << toml.str();
  if (!out.flush()) throw LiveRunError((folder_ / (layout_.names[s] + ".toml")).string() + ": cannot write");
}

void LiveRun::spawn(std::uint32_t s) {
  ServerSlot& slot = servers_[s];
  ++slot.incarnation;
  ++counters_.server_starts;
  const std::string stem = slot.name + "." + std::to_string(slot.incarnation);
  slot.ready_file = folder_ / (stem + ".ready");
  slot.output_file = folder_ / (stem + ".out");
  const auto observe = folder_ / (stem + ".obs");
  slot.observation_files.push_back(observe);
  std::vector<std::string> argv{server_bin_.string(),
                                "--config", (folder_ / (slot.name + ".toml")).string(),
                                "--name", slot.name,
                                "--observe", observe.string(),
                                "--observe-limit", std::to_string(kObserveLimit),
                                "--ready-file", slot.ready_file.string(),
                                "--log-dir", (folder_ / "logs").string(),
                                "--quiet-traffic"};
  slot.process = std::make_unique<live::ServerProcess>(argv, slot.output_file);
  janitor_->watch(slot.process->pid());
  slot.starting = true;
  slot.start_deadline = SteadyClock::now() + kStartTimeout;
}

void LiveRun::poll_start(std::uint32_t s) {
  ServerSlot& slot = servers_[s];
  if (!slot.starting) return;
  std::error_code ec;
  if (std::filesystem::exists(slot.ready_file, ec)) {
    slot.starting = false;
    slot.up = true;
    slot.attempts = 0;
    tell(LiveRunEvent::Kind::server_ready, s);
    // Friends' proxies dial its peer port from now on.
    for (std::uint32_t i = 0; i < links_.size(); ++i) {
      if (links_[i].to == s) proxies_[i]->set_target(slot.peer_port);
    }
    return;
  }
  if (auto status = slot.process->poll()) {
    slot.starting = false;
    janitor_->forget(slot.process->pid());
    const std::string output = read_text(slot.output_file);
    if (output.find("cannot listen") != std::string::npos && ++slot.attempts < kStartAttempts) {
      // Someone took a port between our pick and its bind: pick again.
      slot.client_port = live::pick_free_port();
      do slot.peer_port = live::pick_free_port(); while (slot.peer_port == slot.client_port);
      write_config(s);
      spawn(s);
      return;
    }
    throw LiveRunError(slot.name + ": herd-server exited with status " + std::to_string(*status) +
                       " at start:\n" + output);
  }
  if (SteadyClock::now() > slot.start_deadline) {
    throw LiveRunError(slot.name + ": herd-server did not get ready within " +
                       std::to_string(kStartTimeout.count()) + " s:\n" +
                       read_text(slot.output_file));
  }
}

void LiveRun::wait_for(const std::function<bool()>& done,
                       std::chrono::steady_clock::duration timeout, const std::string& what) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!done()) {
    check_interrupt();
    if (!error_.empty()) throw LiveRunError(error_);
    if (SteadyClock::now() >= deadline) throw LiveRunError("timed out waiting for " + what);
    io_.run_for(std::chrono::milliseconds(5));
  }
}

// A server that exits on its own is a broken run: its output says why.
void LiveRun::check_processes() {
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    ServerSlot& slot = servers_[s];
    if (slot.starting) {
      try {
        poll_start(s);
      } catch (const LiveRunError& e) {
        if (error_.empty()) error_ = e.what();
      }
      continue;
    }
    if (!slot.up || !slot.process) continue;
    if (auto status = slot.process->poll()) {
      if (error_.empty()) {
        error_ = slot.name + ": herd-server exited unexpectedly with status " +
                 std::to_string(*status) + ":\n" + read_text(slot.output_file);
      }
    }
  }
}

// --- scheduling ----------------------------------------------------------------------------

void LiveRun::record(RunEvent::Kind kind, ServerIndex server, bool amnesia) {
  RunEvent e;
  e.kind = kind;
  e.amnesia = amnesia;
  e.at_ns = system_now_ns() - t0_sys_ns_;
  e.server = server;
  runner_events_.push_back(e);
}

void LiveRun::at(Nanoseconds rel_ns, std::function<void()> fn) {
  // Nothing the run schedules lies beyond a day (a fault's end or a client latency drawn
  // from a heavy tail can): the clock's arithmetic must not overflow.
  constexpr Nanoseconds kHorizon = 86'400LL * 1'000'000'000;
  rel_ns = std::clamp<Nanoseconds>(rel_ns, 0, kHorizon);
  schedule_.push(Scheduled{t0_ + std::chrono::nanoseconds(rel_ns), next_seq_++, std::move(fn)});
  arm();
}

void LiveRun::arm() {
  if (schedule_.empty()) return;
  timer_.expires_at(schedule_.top().when);
  timer_.async_wait([this](const error_code& ec) {
    if (ec) return;
    const auto now = SteadyClock::now();
    while (!schedule_.empty() && schedule_.top().when <= now) {
      auto fn = schedule_.top().fn;
      schedule_.pop();
      fn();
    }
    arm();
  });
}

// --- clients -------------------------------------------------------------------------------

void LiveRun::submit(ClientCommand command, Nanoseconds rel_ns) {
  ++counters_.client_commands;
  const Nanoseconds delay = std::min<Nanoseconds>(
      sample_delay(scenario_.network.client_latency, client_rng_), 3600LL * 1'000'000'000);
  at(rel_ns + delay, [this, command = std::move(command)] {
    if (options_.clients == LiveRunOptions::Clients::persistent) {
      send_persistent(command);
    } else {
      send_per_command(command);
    }
  });
}

void LiveRun::finish_request(bool answered, ClientCommand::Kind kind, std::string_view reply) {
  metrics_->on_request(answered);
  if (answered && kind == ClientCommand::Kind::whatsat && reply.starts_with("? ")) {
    metrics_->on_unknown_read();
  }
}

// The grader's way: connect, one line, half-close, read to the end.
void LiveRun::send_per_command(const ClientCommand& command) {
  if (open_requests_ >= kMaxOpenRequests) {
    // The servers fall this far behind only when something is badly wrong; count it lost.
    finish_request(false, command.kind, {});
    return;
  }
  struct Request {
    explicit Request(asio::io_context& io) : socket(std::make_shared<tcp::socket>(io)) {}
    std::shared_ptr<tcp::socket> socket;
    std::string line, reply;
    ClientCommand::Kind kind;
    std::array<char, 4096> buffer{};
  };
  auto request = std::make_shared<Request>(io_);
  request->line = command.line + "\n";
  request->kind = command.kind;
  ++open_requests_;
  request_sockets_.push_back(request->socket);
  auto done = [this, request](bool answered) {
    --open_requests_;
    std::erase(request_sockets_, request->socket);
    error_code ignored;
    request->socket->close(ignored);
    finish_request(answered, request->kind, request->reply);
  };
  const tcp::endpoint server(asio::ip::address_v4::loopback(), servers_[command.server].client_port);
  request->socket->async_connect(server, [request, done](const error_code& ec) {
    if (ec) return done(false);
    asio::async_write(*request->socket, asio::buffer(request->line),
                      [request, done](const error_code& ec, std::size_t) {
                        if (ec) return done(false);
                        error_code ignored;
                        request->socket->shutdown(tcp::socket::shutdown_send, ignored);
                        auto read = std::make_shared<std::function<void()>>();
                        *read = [request, done, read] {
                          request->socket->async_read_some(
                              asio::buffer(request->buffer),
                              [request, done, read](const error_code& ec, std::size_t n) {
                                if (!ec && request->reply.size() < kMaxReplyBytes) {
                                  request->reply.append(request->buffer.data(), n);
                                  (*read)();
                                  return;
                                }
                                // End of the reply: the server closed (or reset) it.
                                *read = nullptr;
                                done(!request->reply.empty());
                              });
                        };
                        (*read)();
                      });
  });
}

// Telnet's way: one connection per server for the whole run, commands pipelined on it and
// replies taken in order (an AT line; a WHATSAT's AT line and JSON up to its blank line;
// "? ..." lines).
void LiveRun::send_persistent(const ClientCommand& command) {
  auto& conn = persistent_[command.server];
  if (!conn || conn->broken) {
    conn = std::make_shared<Persistent>(io_);
    auto c = conn;
    const std::uint32_t s = command.server;
    const tcp::endpoint server(asio::ip::address_v4::loopback(), servers_[s].client_port);
    c->socket.async_connect(server, [this, s, c](const error_code& ec) {
      if (c->broken) return;
      if (ec) return persistent_fail(s, c);
      c->connected = true;
      error_code ignored;
      c->socket.set_option(tcp::no_delay(true), ignored);
      persistent_read(s, c);
      persistent_write(s, c);
    });
  }
  // A scripted line is answered like the command its first word names (but counted as a
  // scripted command, as the simulator does).
  const bool whatsat_shape = command.kind == ClientCommand::Kind::whatsat ||
                             (command.kind == ClientCommand::Kind::script &&
                              command.line.starts_with("WHATSAT"));
  conn->pending.push_back(Pending{command.kind, whatsat_shape});
  conn->outbox += command.line;
  conn->outbox += '\n';
  if (conn->connected) persistent_write(command.server, conn);
}

void LiveRun::persistent_write(std::uint32_t s, const std::shared_ptr<Persistent>& c) {
  if (c->writing || c->outbox.empty() || c->broken) return;
  c->writing = true;
  auto data = std::make_shared<std::string>(std::move(c->outbox));
  c->outbox.clear();
  asio::async_write(c->socket, asio::buffer(*data), [this, s, c, data](const error_code& ec, std::size_t) {
    c->writing = false;
    if (c->broken) return;
    if (ec) return persistent_fail(s, c);
    persistent_write(s, c);
  });
}

void LiveRun::persistent_read(std::uint32_t s, const std::shared_ptr<Persistent>& c) {
  c->socket.async_read_some(asio::buffer(c->buffer), [this, s, c](const error_code& ec, std::size_t n) {
    if (c->broken) return;
    if (ec) return persistent_fail(s, c);
    c->inbox.append(c->buffer.data(), n);
    for (;;) {
      if (c->pending.empty()) {
        c->inbox.clear();
        break;
      }
      const Pending next = c->pending.front();
      std::size_t end = std::string::npos;
      if (next.whatsat_shape && !c->inbox.starts_with("? ")) {
        const auto blank = c->inbox.find("\n\n");
        if (blank != std::string::npos) end = blank + 2;
      } else {
        const auto nl = c->inbox.find('\n');
        if (nl != std::string::npos) end = nl + 1;
      }
      if (end == std::string::npos) {
        if (c->inbox.size() > kMaxReplyBytes) return persistent_fail(s, c);
        break;
      }
      c->pending.pop_front();
      finish_request(true, next.kind, std::string_view(c->inbox).substr(0, end));
      c->inbox.erase(0, end);
    }
    persistent_read(s, c);
  });
}

void LiveRun::persistent_fail(std::uint32_t, const std::shared_ptr<Persistent>& c) {
  if (c->broken) return;
  c->broken = true;
  for (const auto& p : c->pending) finish_request(false, p.kind, {});
  c->pending.clear();
  error_code ignored;
  c->socket.close(ignored);
}

// --- faults --------------------------------------------------------------------------------

bool LiveRun::blocked(std::uint32_t from, std::uint32_t to) const {
  for (std::size_t i : active_cuts_) {
    const FaultSpec& f = faults_[i];
    const auto& side = cut_sides_[i];
    if (f.kind == FaultSpec::Kind::partition) {
      if (side[from] >= 0 && side[to] >= 0 && side[from] != side[to]) return true;
    } else if (side[from] & 1 && side[to] & 2) {
      return true;
    }
  }
  return false;
}

void LiveRun::apply_cuts() {
  for (std::uint32_t i = 0; i < links_.size(); ++i) {
    proxies_[i]->set_cut(blocked(links_[i].from, links_[i].to));
  }
}

std::vector<std::uint32_t> LiveRun::links_between(const std::vector<std::string>& a,
                                                  const std::vector<std::string>& b) const {
  std::vector<bool> in_a(layout_.size(), false), in_b(layout_.size(), false);
  for (const auto& name : a) in_a[layout_.index_of(name)] = true;
  for (const auto& name : b) in_b[layout_.index_of(name)] = true;
  std::vector<std::uint32_t> result;
  for (std::uint32_t i = 0; i < links_.size(); ++i) {
    const Link& link = links_[i];
    if ((in_a[link.from] && in_b[link.to]) || (in_b[link.from] && in_a[link.to])) {
      result.push_back(i);
    }
  }
  return result;
}

void LiveRun::crash(std::uint32_t s, bool amnesia) {
  ServerSlot& slot = servers_[s];
  // Overlapping crashes: the restart is amnesia if any of them says so.
  slot.amnesia_due = slot.amnesia_due || amnesia;
  if (slot.crashes_active++ > 0) return;
  if (!slot.up && !slot.starting) return;
  // SIGKILL: no goodbye, no flush; what it held is gone with it.
  slot.process->signal(SIGKILL);
  (void)slot.process->wait(std::chrono::milliseconds(2000));
  janitor_->forget(slot.process->pid());
  slot.up = false;
  slot.starting = false;
  slot.paused = false;
  record(RunEvent::Kind::server_down, s);
}

void LiveRun::restart(std::uint32_t s) {
  ServerSlot& slot = servers_[s];
  if (slot.crashes_active > 0 && --slot.crashes_active > 0) return;
  if (slot.up || slot.starting) return;
  // A new process on the same ports. Every server keeps its records in a durable store of
  // its own, so a plain crash restarts with them; amnesia removes the file first.
  const bool amnesia = slot.amnesia_due;
  slot.amnesia_due = false;
  if (amnesia) forget_state(s);
  record(RunEvent::Kind::server_up, s, amnesia);
  spawn(s);
}

std::filesystem::path LiveRun::store_file(std::uint32_t s) const {
  return folder_ / "state" / (layout_.names[s] + ".db");
}

void LiveRun::forget_state(std::uint32_t s) {
  const std::filesystem::path file = store_file(s);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::path part = file;
    part += suffix;
    std::error_code ec;
    std::filesystem::remove(part, ec);
    if (ec) throw LiveRunError(part.string() + ": cannot remove for an amnesia crash: " + ec.message());
  }
}

void LiveRun::start_fault(std::size_t index) {
  const FaultSpec& f = faults_[index];
  using Kind = FaultSpec::Kind;
  switch (f.kind) {
    case Kind::crash:
      for (const auto& name : f.servers) crash(layout_.index_of(name), f.amnesia);
      break;
    case Kind::pause:
      for (const auto& name : f.servers) {
        ServerSlot& slot = servers_[layout_.index_of(name)];
        if (!slot.up || slot.paused) continue;
        slot.process->signal(SIGSTOP);
        slot.paused = true;
      }
      break;
    case Kind::partition:
    case Kind::one_way:
      active_cuts_.push_back(index);
      apply_cuts();
      break;
    case Kind::clog: {
      const auto until = f.duration_ns > 0 && f.duration_ns < 86'400LL * 1'000'000'000
                             ? SteadyClock::now() + std::chrono::nanoseconds(f.duration_ns)
                             : SteadyClock::time_point::max();
      for (auto link : links_between(f.from, f.to)) proxies_[link]->set_clog_until(until);
      break;
    }
    case Kind::latency:
      for (auto link : links_between(f.from, f.to)) proxies_[link]->set_latency(&f.latency);
      break;
    case Kind::clock:
      break;  // refused up front (live_unsupported)
  }
  if (f.duration_ns > 0 && f.kind != Kind::clock) {
    const Nanoseconds end = f.duration_ns > std::numeric_limits<Nanoseconds>::max() - f.at_ns
                                ? std::numeric_limits<Nanoseconds>::max()
                                : f.at_ns + f.duration_ns;
    at(end, [this, index] { end_fault(index); });
  }
}

void LiveRun::end_fault(std::size_t index) {
  const FaultSpec& f = faults_[index];
  using Kind = FaultSpec::Kind;
  switch (f.kind) {
    case Kind::crash:
      for (const auto& name : f.servers) restart(layout_.index_of(name));
      break;
    case Kind::pause:
      for (const auto& name : f.servers) {
        ServerSlot& slot = servers_[layout_.index_of(name)];
        if (!slot.paused) continue;
        slot.process->signal(SIGCONT);
        slot.paused = false;
      }
      break;
    case Kind::partition:
    case Kind::one_way:
      active_cuts_.erase(std::find(active_cuts_.begin(), active_cuts_.end(), index));
      apply_cuts();
      break;
    case Kind::clog:
      for (auto link : links_between(f.from, f.to)) proxies_[link]->set_clog_until(std::nullopt);
      break;
    case Kind::latency:
      for (auto link : links_between(f.from, f.to)) {
        proxies_[link]->set_latency(links_[link].base_latency);
      }
      break;
    case Kind::clock:
      break;
  }
  record(RunEvent::Kind::heal);
}

// --- replay --------------------------------------------------------------------------------

std::uint64_t LiveRun::replay(MetricsRecorder& m, Nanoseconds end_ns) {
  std::vector<live::ObservationFile> files;
  for (const auto& slot : servers_) {
    for (const auto& file : slot.observation_files) {
      std::error_code ec;
      if (!std::filesystem::exists(file, ec)) continue;  // killed before it opened the file
      files.push_back(live::read_observation_file(file, layout_));
      if (files.back().truncated) {
        throw LiveRunError(file.string() + ": the server reached its observation limit; the "
                                           "run's metrics would be incomplete");
      }
    }
  }
  std::vector<RunEvent> events = runner_events_;
  std::uint64_t observed = 0;
  for (const auto& file : files) {
    for (const auto& o : file.events) {
      RunEvent e;
      e.kind = RunEvent::Kind::observed;
      // Every process reads the one host clock: the server's time minus the run's start.
      e.at_ns = std::max<Nanoseconds>(0, o.at_ns - t0_sys_ns_);
      e.server = o.server;
      e.observed = &o;
      events.push_back(e);
      ++observed;
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const RunEvent& a, const RunEvent& b) { return a.at_ns < b.at_ns; });

  const Nanoseconds duration = scenario_.duration_ns;
  const Nanoseconds every = scenario_.sample_every_ns;
  Nanoseconds next_sample = every > 0 ? 0 : -1;
  Nanoseconds last_sample = -1;
  bool workload_marked = false;
  auto feed = [&](const RunEvent& e) {
    switch (e.kind) {
      case RunEvent::Kind::server_down: m.on_server_down(e.at_ns, e.server); return;
      case RunEvent::Kind::server_up: m.on_server_up(e.at_ns, e.server, e.amnesia); return;
      case RunEvent::Kind::heal: m.on_heal(e.at_ns); return;
      case RunEvent::Kind::observed: break;
    }
    const live::ObservedEvent& o = *e.observed;
    using K = live::ObservedEvent::Kind;
    switch (o.kind) {
      case K::accepted: m.on_accepted(e.at_ns, o.server, o.at_line, o.id); break;
      case K::applied: m.on_applied(e.at_ns, o.server, o.id, o.hops, o.from); break;
      case K::ignored: m.on_ignored(e.at_ns, o.server, o.id); break;
      case K::read: m.on_read(e.at_ns, o.server, o.at_line, o.id); break;
    }
  };
  auto samples_up_to = [&](Nanoseconds t) {
    while (next_sample >= 0 && next_sample <= t && next_sample <= duration) {
      m.sample_staleness(next_sample);
      last_sample = next_sample;
      next_sample += every;
    }
  };
  for (const auto& e : events) {
    if (e.at_ns > end_ns) break;
    if (e.at_ns > duration && !workload_marked) {
      samples_up_to(duration);
      if (last_sample != duration) m.sample_staleness(duration);
      m.mark_workload_end();
      workload_marked = true;
    }
    if (!workload_marked) samples_up_to(e.at_ns - 1);
    feed(e);
  }
  if (!workload_marked && end_ns >= duration) {
    samples_up_to(duration);
    if (last_sample != duration) m.sample_staleness(duration);
    m.mark_workload_end();
  }
  return observed;
}

bool LiveRun::converged_now() {
  MetricsRecorder scratch(layout_.size(), false);
  (void)replay(scratch, std::numeric_limits<Nanoseconds>::max());
  return scratch.lagging_pairs() == 0;
}

void LiveRun::stop_servers() {
  for (auto& slot : servers_) {
    if (!slot.process || slot.process->poll()) continue;
    if (slot.paused) slot.process->signal(SIGCONT);
    slot.paused = false;
    slot.process->signal(SIGTERM);
  }
  const auto deadline = SteadyClock::now() + kStopTimeout;
  for (auto& slot : servers_) {
    if (!slot.process) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (!slot.process->wait(std::max(left, std::chrono::milliseconds(0)))) {
      slot.process->signal(SIGKILL);
      (void)slot.process->wait(std::chrono::milliseconds(2000));
    }
    janitor_->forget(slot.process->pid());
  }
}

// --- the run -------------------------------------------------------------------------------

LiveOutcome LiveRun::run() {
  const auto problems = live_unsupported(scenario_);
  if (!problems.empty()) {
    std::string text = "this scenario cannot run on the live backend:";
    for (const auto& p : problems) text += "\n  " + p;
    throw LiveRunError(text);
  }
  if (layout_.size() == 0) throw LiveRunError("the herd has no servers");
  if (layout_.size() > kMaxLiveServers) {
    throw LiveRunError("the live backend runs at most " + std::to_string(kMaxLiveServers) +
                       " servers (one process each); this herd has " +
                       std::to_string(layout_.size()));
  }
  if (options_.link_loss && !(*options_.link_loss >= 0 && *options_.link_loss < 1)) {
    throw LiveRunError("link loss must be in [0, 1)");
  }
  server_bin_ = options_.server_bin.empty() ? default_server_bin() : options_.server_bin;
  if (::access(server_bin_.c_str(), X_OK) != 0) {
    throw LiveRunError("no herd-server executable at " + server_bin_.string() +
                       " (give its path with --server-bin)");
  }
  const auto wall_start = SteadyClock::now();
  // Injected delays are only as good as the wake-ups that end them: on a busy host every
  // wake-up of the runner or a server can wait milliseconds for a core (a nicer nice level
  // does not help against other sessions' load, which the kernel's autogroups share the CPU
  // with fairly). When allowed, run the whole live herd (the servers inherit it) under the
  // lowest real-time priority, SCHED_RR 1: they sleep almost all the time, and the kernel
  // keeps 5 % of every second for everyone else whatever they do. Otherwise 10 nice levels
  // up, if even that is allowed.
  if (options_.raise_priority) {
    const int old_policy = ::sched_getscheduler(0);
    sched_param rt{};
    rt.sched_priority = 1;
    if (old_policy == SCHED_OTHER && ::sched_setscheduler(0, SCHED_RR, &rt) == 0) {
      restore_policy_ = old_policy;
      say("running the herd under SCHED_RR priority 1");
    } else {
      errno = 0;
      const int old_nice = ::getpriority(PRIO_PROCESS, 0);
      if (errno == 0 && ::setpriority(PRIO_PROCESS, 0, std::max(-20, old_nice - 10)) == 0) {
        restore_nice_ = old_nice;
      }
    }
  }
  make_folder();
  // First, while this process has nothing else going: the janitor.
  janitor_ = std::make_unique<live::Janitor>(folder_, options_.keep_dir);
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.async_wait([this](const error_code& ec, int signal_number) {
    if (!ec) interrupted_ = signal_number;
  });

  build_links();
  metrics_ = std::make_unique<MetricsRecorder>(layout_.size(), options_.keep_deliveries);
  metrics_->track_links(links_.size());
  faults_ = scenario_.faults;
  if (scenario_.random_faults.enabled) {
    Prng rng(derive_seed(scenario_.seed, kFaultStream));
    auto drawn = draw_random_faults(scenario_.random_faults, layout_, scenario_.workload,
                                    scenario_.duration_ns, rng);
    faults_.insert(faults_.end(), drawn.begin(), drawn.end());
  }
  durable_ = std::any_of(faults_.begin(), faults_.end(), [](const FaultSpec& f) {
    return f.kind == FaultSpec::Kind::crash && !f.amnesia;
  });
  Scenario drawn_faults;
  drawn_faults.faults = faults_;
  if (!live_unsupported(drawn_faults).empty()) {
    throw LiveRunError("the random fault schedule drew a fault the live backend cannot run");
  }
  cut_sides_.assign(faults_.size(), {});
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    const FaultSpec& f = faults_[i];
    if (f.kind == FaultSpec::Kind::partition) {
      cut_sides_[i].assign(layout_.size(), -1);
      for (std::size_t g = 0; g < f.groups.size(); ++g) {
        for (const auto& name : f.groups[g]) cut_sides_[i][layout_.index_of(name)] = static_cast<int>(g);
      }
    } else if (f.kind == FaultSpec::Kind::one_way) {
      cut_sides_[i].assign(layout_.size(), 0);
      for (const auto& name : f.from) cut_sides_[i][layout_.index_of(name)] |= 1;
      for (const auto& name : f.to) cut_sides_[i][layout_.index_of(name)] |= 2;
    }
  }

  // The proxies listen first, on ports the kernel picks and that stay ours for the run.
  for (std::uint32_t i = 0; i < links_.size(); ++i) {
    proxies_.push_back(std::make_unique<live::LinkProxy>(
        io_, i, links_[i].base_latency, links_[i].loss,
        derive_seed(scenario_.seed, kLinkStream + i), *metrics_));
    proxies_.back()->listen();
  }
  servers_.resize(layout_.size());
  persistent_.resize(layout_.size());
  std::vector<std::uint16_t> taken;
  for (auto& p : proxies_) taken.push_back(p->port());
  auto fresh_port = [&] {
    for (;;) {
      const std::uint16_t port = live::pick_free_port();
      if (std::find(taken.begin(), taken.end(), port) == taken.end()) {
        taken.push_back(port);
        return port;
      }
    }
  };
  for (std::uint32_t s = 0; s < layout_.size(); ++s) {
    servers_[s].name = layout_.names[s];
    servers_[s].client_port = fresh_port();
    servers_[s].peer_port = fresh_port();
  }
  say("starting " + std::to_string(layout_.size()) + " herd-server processes in " + folder_.string());
  for (std::uint32_t s = 0; s < layout_.size(); ++s) write_config(s);
  for (std::uint32_t s = 0; s < layout_.size(); ++s) spawn(s);
  wait_for(
      [&] {
        bool all = true;
        for (std::uint32_t s = 0; s < servers_.size(); ++s) {
          poll_start(s);
          all = all && servers_[s].up;
        }
        return all;
      },
      kStartTimeout, "the servers to start");
  wait_for(
      [&] {
        check_processes();
        return std::all_of(proxies_.begin(), proxies_.end(), [](const auto& p) { return p->link_up(); });
      },
      kLinksTimeout, "every friend link to come up");

  // Time 0: from here on, scenario times are real time since this instant.
  t0_ = SteadyClock::now();
  t0_sys_ns_ = system_now_ns();
  tell(LiveRunEvent::Kind::time_zero);
  say("herd up; running " + std::to_string(scenario_.duration_ns / 1'000'000) + " ms of workload");
  workload_.emplace(scenario_.workload, layout_.size(), derive_seed(scenario_.seed, kWorkloadStream),
                    t0_sys_ns_, scenario_.duration_ns);
  client_rng_ = Prng(derive_seed(scenario_.seed, kClientLatencyStream));
  std::function<void(Nanoseconds)> on_iamat = [&](Nanoseconds t) {
    submit(workload_->make_iamat(t), t);
    if (auto next = workload_->next_iamat(t)) at(*next, [&, n = *next] { on_iamat(n); });
  };
  std::function<void(Nanoseconds)> on_whatsat = [&](Nanoseconds t) {
    if (auto command = workload_->make_whatsat(t)) submit(std::move(*command), t);
    if (auto next = workload_->next_whatsat(t)) at(*next, [&, n = *next] { on_whatsat(n); });
  };
  if (auto t = workload_->first_iamat()) at(*t, [&, n = *t] { on_iamat(n); });
  if (auto t = workload_->first_whatsat()) at(*t, [&, n = *t] { on_whatsat(n); });
  for (std::size_t i = 0; i < scenario_.workload.script.size(); ++i) {
    const auto& line = scenario_.workload.script[i];
    const std::uint32_t server = layout_.index_of(line.server);
    at(line.at_ns, [this, server, i] {
      submit(ClientCommand{ClientCommand::Kind::script, server, scenario_.workload.script[i].line},
             scenario_.workload.script[i].at_ns);
    });
  }
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    at(faults_[i].at_ns, [this, i] { start_fault(i); });
  }

  const auto end = t0_ + std::chrono::nanoseconds(scenario_.duration_ns);
  auto next_check = SteadyClock::now();
  while (SteadyClock::now() < end) {
    check_interrupt();
    if (!error_.empty()) throw LiveRunError(error_);
    if (SteadyClock::now() >= next_check) {
      check_processes();
      next_check = SteadyClock::now() + std::chrono::milliseconds(20);
    }
    io_.run_for(std::min<SteadyClock::duration>(end - SteadyClock::now(), std::chrono::milliseconds(20)));
  }
  // The workload and the fault schedule end with the duration: nothing more is sent and
  // no fault starts or ends; faults in force stay in force.
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>>().swap(schedule_);
  timer_.cancel();
  say("workload done; draining");

  // The drain: until every live server holds every update, or the bound.
  const auto drain_end = end + std::chrono::nanoseconds(std::min<Nanoseconds>(
                                    scenario_.drain_ns, 86'400LL * 1'000'000'000));
  auto next_drain_check = SteadyClock::now();
  while (scenario_.drain_ns > 0 && SteadyClock::now() < drain_end) {
    check_interrupt();
    if (!error_.empty()) throw LiveRunError(error_);
    check_processes();
    if (SteadyClock::now() >= next_drain_check) {
      // A command still on its way may yet be accepted: the herd has settled only once
      // every request has its answer and every live server holds every update.
      if (!requests_open() && converged_now()) break;
      next_drain_check = SteadyClock::now() + kDrainCheckEvery;
    }
    io_.run_for(std::min<SteadyClock::duration>(drain_end - SteadyClock::now(), std::chrono::milliseconds(20)));
  }
  const auto stopped_at = SteadyClock::now();
  counters_.simulated_ns = scenario_.duration_ns;
  counters_.drained_ns = std::max<Nanoseconds>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(stopped_at - end).count());
  for (auto& p : proxies_) p->stop_counting();
  const Nanoseconds end_ns = scenario_.duration_ns + counters_.drained_ns;

  // Requests still open never got their answer within the run.
  for (auto& socket : std::vector(request_sockets_)) {
    error_code ignored;
    socket->close(ignored);
  }
  for (std::uint32_t s = 0; s < persistent_.size(); ++s) {
    if (persistent_[s]) persistent_fail(s, persistent_[s]);
  }
  io_.poll();
  tell(LiveRunEvent::Kind::stopping);
  stop_servers();
  for (auto& p : proxies_) {
    counters_.peer_deliveries += p->delivered();
    counters_.peer_dropped += p->dropped();
    p->stop();
  }
  io_.poll();

  counters_.observations = replay(*metrics_, end_ns);
  counters_.wall_seconds =
      std::chrono::duration<double>(SteadyClock::now() - wall_start).count();
  LiveOutcome outcome;
  outcome.metrics = std::move(metrics_);
  outcome.faults = faults_;
  outcome.counters = counters_;
  return outcome;
}

}  // namespace

LiveOutcome run_live(const Scenario& scenario, const HerdLayout& layout,
                     const LiveRunOptions& options) {
  LiveRun run(scenario, layout, options);
  return run.run();
}

}  // namespace herd::sim
