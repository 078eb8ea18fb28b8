#pragma once
// The live runner's one class, LiveRun, shared by the files that implement it:
// live_runner.cpp (set-up, scheduling, the run), live_clients.cpp (the workload's client
// connections), live_faults.cpp (crashes, pauses, cuts through the link proxies) and
// live_replay.cpp (observations into the metrics recorder). Internal to herd_live_runner.

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

#include "herd/sim/live_runner.hpp"

namespace herd::sim::live_run {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using live::SteadyClock;

// The simulator's sub-seed streams (sim/virtual/src/simulation.cpp), so a live run draws
// the same workload, fault schedule, client latencies and link delays from its seed.
inline constexpr std::uint64_t kWorkloadStream = 1;
inline constexpr std::uint64_t kFaultStream = 2;
inline constexpr std::uint64_t kClientLatencyStream = 3;
inline constexpr std::uint64_t kLinkStream = 1'000'000;

inline constexpr std::uint32_t kMaxLiveServers = 64;
inline constexpr int kStartAttempts = 5;
inline constexpr auto kStartTimeout = std::chrono::seconds(15);
inline constexpr auto kLinksTimeout = std::chrono::seconds(15);
inline constexpr auto kStopTimeout = std::chrono::milliseconds(5000);
inline constexpr auto kDrainCheckEvery = std::chrono::milliseconds(200);
inline constexpr std::uint64_t kObserveLimit = 256ULL << 20;
inline constexpr std::size_t kMaxReplyBytes = 1 << 20;
inline constexpr std::size_t kMaxOpenRequests = 20'000;

inline Nanoseconds system_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

inline std::string ns_duration(Nanoseconds ns) { return toml_string(std::to_string(ns) + "ns"); }

inline std::string read_text(const std::filesystem::path& file, std::size_t max_bytes = 64 * 1024) {
  std::ifstream in(file, std::ios::binary);
  std::string text(max_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(max_bytes));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

inline std::filesystem::path default_server_bin() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "herd-server";
  return self.parent_path() / "herd-server";
}

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

}  // namespace herd::sim::live_run
