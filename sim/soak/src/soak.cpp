#include "herd/sim/soak/soak.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "herd/sim/soak/fault_windows.hpp"
#include "herd/sim/soak/log_scan.hpp"

namespace herd::sim::soak {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr double kMinSampleEvery = 0.1;
constexpr double kMaxSamples = 1'000'000;

double seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string read_loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return {};
  return one + " " + five + " " + fifteen;
}

// Everything the runner's thread, the sampler and the load thread share.
class Soak {
 public:
  Soak(const Scenario& scenario, const HerdLayout& layout, const SoakOptions& options)
      : scenario_(scenario), layout_(layout), options_(options),
        pids_(layout.size(), 0), ports_(layout.size(), 0) {
    report_.scenario = scenario.name;
    report_.seed = scenario.seed;
    report_.servers = layout.names;
    report_.duration_s = static_cast<double>(scenario.duration_ns) / 1e9;
    report_.sample_every_s = options.sample_every_s;
    for (const auto& name : layout.names) report_.rss.push_back(ServerRss{name, {}, {}});
  }

  SoakReport run();

 private:
  void on_event(const LiveRunEvent& e);
  void sampler();
  void take_sample();
  void load_thread();
  void poll_logs();
  void add_mark(ErrorRecord mark);
  void finish_threads();

  const Scenario& scenario_;
  const HerdLayout& layout_;
  const SoakOptions& options_;
  SoakReport report_;

  std::mutex mutex_;  // all below, short holds only (the runner's thread takes it)
  std::condition_variable changed_;
  std::vector<int> pids_;
  std::vector<std::uint16_t> ports_;
  std::filesystem::path folder_;
  bool started_ = false, stopping_ = false, finished_ = false;
  SteadyClock::time_point t0_{}, stop_at_ = SteadyClock::time_point::max();
  std::int64_t t0_sys_ns_ = 0, stop_sys_ns_ = std::numeric_limits<std::int64_t>::max();
  std::vector<ErrorRecord> marks_;
  std::uint64_t unclassified_ = 0;
  std::uint64_t log_marks_ = 0;  // for the progress line
  load::Progress progress_;
  std::string thread_error_;

  std::mutex log_mutex_;  // the tail, read by the sampler and at the stop
  std::optional<LogTail> tail_;

  std::atomic<bool> stop_load_{false};
  std::uint64_t last_load_ok_ = 0;
  double last_sample_s_ = 0;
};

void Soak::add_mark(ErrorRecord mark) {
  std::lock_guard lock(mutex_);
  if (mark.source == ErrorRecord::Source::log) ++log_marks_;
  if (marks_.size() < options_.max_recorded) {
    marks_.push_back(std::move(mark));
  } else {
    ++unclassified_;
  }
}

void Soak::on_event(const LiveRunEvent& e) {
  switch (e.kind) {
    case LiveRunEvent::Kind::server_ready: {
      std::lock_guard lock(mutex_);
      folder_ = e.folder;
      if (e.server < pids_.size()) {
        pids_[e.server] = e.pid;
        ports_[e.server] = e.client_port;
      }
      return;
    }
    case LiveRunEvent::Kind::time_zero: {
      {
        std::lock_guard lock(mutex_);
        folder_ = e.folder;
        t0_ = SteadyClock::now();
        t0_sys_ns_ = e.system_ns;
        started_ = true;
      }
      {
        std::lock_guard lock(log_mutex_);
        tail_.emplace(e.folder / "logs", options_.max_log_line_bytes);
      }
      changed_.notify_all();
      return;
    }
    case LiveRunEvent::Kind::stopping: {
      {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        stop_at_ = SteadyClock::now();
        stop_sys_ns_ = e.system_ns;
      }
      changed_.notify_all();
      // The last lines, before the folder goes away with the run.
      poll_logs();
      return;
    }
  }
}

void Soak::poll_logs() {
  std::int64_t t0_sys = 0, stop_sys = 0;
  {
    std::lock_guard lock(mutex_);
    t0_sys = t0_sys_ns_;
    stop_sys = stop_sys_ns_;
  }
  std::lock_guard lock(log_mutex_);
  if (!tail_) return;
  tail_->poll([&](const std::string& owner, const LogLine& line) {
    // The servers' own stop (SIGTERM after the drain) takes their links down: not an error.
    if (line.system_ns >= stop_sys) return;
    ErrorRecord mark;
    mark.source = ErrorRecord::Source::log;
    mark.t_s = static_cast<double>(line.system_ns - t0_sys) / 1e9;
    mark.server = owner;
    mark.kind = std::string(line.level);
    mark.text = std::string(line.level) + " " + std::string(line.message);
    add_mark(std::move(mark));
  });
}

void Soak::take_sample() {
  std::vector<int> pids;
  std::filesystem::path folder;
  double t = 0;
  load::Progress progress;
  {
    std::lock_guard lock(mutex_);
    pids = pids_;
    folder = folder_;
    t = seconds(SteadyClock::now() - t0_);
    progress = progress_;
  }
  for (std::size_t s = 0; s < pids.size(); ++s) {
    RssSample sample;
    sample.t_s = t;
    if (pids[s] > 0) {
      if (auto rss = rss_kib(pids[s])) {
        sample.pid = pids[s];
        sample.rss_kib = *rss;
      }
    }
    report_.rss[s].samples.push_back(sample);
  }
  poll_logs();
  SizeSample size;
  size.t_s = t;
  size.log_bytes = folder_bytes(folder / "logs");
  size.folder_bytes = folder_bytes(folder);
  size.load_done = progress.completed;
  size.load_errors = progress.errors;
  const std::uint64_t ok = progress.completed - std::min(progress.completed, progress.errors);
  if (t > last_sample_s_) {
    size.load_ok_per_s = static_cast<double>(ok - std::min(ok, last_load_ok_)) / (t - last_sample_s_);
  }
  last_load_ok_ = ok;
  last_sample_s_ = t;
  report_.sizes.push_back(size);
  {
    std::lock_guard lock(mutex_);
    report_.log_problems = log_marks_;  // so far, for the progress line; judge() recounts
  }
  if (options_.progress) options_.progress(format_progress(report_, report_.duration_s));
  if (options_.on_sample) options_.on_sample(folder, t);
}

void Soak::sampler() {
  try {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return started_ || finished_; });
      if (!started_) return;
    }
    const auto every = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(options_.sample_every_s));
    for (std::uint64_t k = 0;; ++k) {
      {
        std::unique_lock lock(mutex_);
        const auto when = t0_ + every * static_cast<long>(k);
        changed_.wait_until(lock, when, [&] { return stopping_ || finished_; });
        if (stopping_ || finished_) return;
      }
      take_sample();
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    if (thread_error_.empty()) thread_error_ = std::string("sampler: ") + e.what();
  }
}

void Soak::load_thread() {
  try {
    std::vector<std::string> texts;
    SteadyClock::time_point t0;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return started_ || finished_; });
      if (!started_) return;
      for (auto port : ports_) texts.push_back("127.0.0.1:" + std::to_string(port));
      t0 = t0_;
    }
    load::LoadOptions o;
    o.targets = load::resolve_targets(texts);
    o.style = load::ConnectionStyle::persistent;
    o.connections = options_.load_connections * texts.size();
    o.rate_per_s = options_.load_rate_per_s;
    o.workload.clients = std::max(options_.load_clients, texts.size());
    o.workload.whatsat_fraction = options_.load_whatsat_fraction;
    o.workload.client_prefix = "soak";
    o.seed = options_.load_seed;
    o.duration_s = std::max(0.001, report_.duration_s - seconds(SteadyClock::now() - t0));
    o.timeout_s = options_.load_timeout_s;
    o.interrupt = &stop_load_;
    o.progress = [this](const load::Progress& p) {
      std::lock_guard lock(mutex_);
      progress_ = p;
    };
    o.on_failure = [this, t0](const load::Failure& f) {
      {
        std::lock_guard lock(mutex_);
        if (f.at >= stop_at_) return;  // the herd is being stopped
      }
      ErrorRecord mark;
      mark.source = ErrorRecord::Source::client;
      mark.t_s = seconds(f.at - t0);
      mark.due_s = seconds(f.due - t0);
      mark.server = layout_.names[f.target];
      mark.kind = load::to_string(f.error);
      mark.text = std::string(load::to_string(f.command)) + " " + load::to_string(f.error) +
                  ": " + std::string(f.detail);
      add_mark(std::move(mark));
    };
    load::LoadResult result = load::run_load(o);
    std::lock_guard lock(mutex_);
    report_.load_options = o;
    report_.load_options.on_failure = nullptr;
    report_.load_options.progress = nullptr;
    report_.load_options.interrupt = nullptr;
    report_.load = std::move(result);
    report_.load_ran = true;
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    if (thread_error_.empty()) thread_error_ = std::string("herd-load: ") + e.what();
  }
}

SoakReport Soak::run() {
  report_.cores = std::thread::hardware_concurrency();
  report_.loadavg_start = read_loadavg();
  LiveRunOptions live = options_.live;
  live.on_event = [this](const LiveRunEvent& e) { on_event(e); };
  std::thread sampler_thread([this] { sampler(); });
  std::thread load;
  if (options_.load_rate_per_s > 0) load = std::thread([this] { load_thread(); });
  auto finish = [&] {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    stop_load_ = true;
    changed_.notify_all();
    sampler_thread.join();
    if (load.joinable()) load.join();
  };
  const auto wall_start = SteadyClock::now();
  std::optional<LiveOutcome> outcome;
  try {
    outcome = run_live(scenario_, layout_, live);
  } catch (const LiveRunInterrupted& e) {
    report_.interrupted_by = e.signal;
  } catch (...) {
    finish();
    throw;
  }
  finish();
  report_.wall_s = seconds(SteadyClock::now() - wall_start);
  report_.loadavg_end = read_loadavg();
  if (outcome) {
    report_.faults = outcome->faults;
    report_.workload = outcome->metrics->summarize();
    report_.counters = outcome->counters;
  }
  report_.load_unsolicited = report_.load.unsolicited;
  if (!thread_error_.empty()) report_.reasons.push_back(thread_error_);
  report_.unclassified = unclassified_;
  judge(report_, std::move(marks_), options_);
  return std::move(report_);
}

}  // namespace

void validate(const SoakOptions& o, double duration_s) {
  if (!(duration_s > 0)) throw SoakError("the soak's duration must be positive");
  if (!(o.sample_every_s >= kMinSampleEvery)) {
    throw SoakError("--sample-every must be at least 100ms");
  }
  if (duration_s / o.sample_every_s > kMaxSamples) {
    throw SoakError("--sample-every is too fine for the duration: at most 1000000 samples");
  }
  if (!(o.load_rate_per_s >= 0)) throw SoakError("--load-rate must not be negative");
  if (o.load_rate_per_s > 0) {
    if (o.load_connections == 0) throw SoakError("--load-connections must be at least 1");
    if (o.load_connections > 100) throw SoakError("--load-connections must be at most 100");
    if (o.load_clients == 0 || o.load_clients > 1'000'000) {
      throw SoakError("--load-clients must be 1 to 1000000");
    }
    if (!(o.load_whatsat_fraction >= 0 && o.load_whatsat_fraction <= 1)) {
      throw SoakError("--load-whatsat must be a fraction from 0 to 1");
    }
    if (!(o.load_timeout_s > 0)) throw SoakError("--load-timeout must be positive");
  }
  if (!(o.rss_slope_limit_kib_per_min >= 0)) throw SoakError("--rss-slope-limit must not be negative");
  if (!(o.fault_grace_s >= 0)) throw SoakError("--fault-grace must not be negative");
  if (o.max_recorded == 0) throw SoakError("--max-recorded must be at least 1");
  if (o.max_log_line_bytes < 64) throw SoakError("--max-log-line must be at least 64 bytes");
}

void judge(SoakReport& report, std::vector<ErrorRecord> marks, const SoakOptions& options) {
  const auto windows = fault_windows(report.faults);
  const double grace = options.fault_grace_s;
  report.log_problems = report.log_explained = 0;
  report.client_failures = report.client_explained = 0;
  std::map<std::string, std::uint64_t> explained;
  std::vector<ErrorRecord> unexplained;
  for (auto& m : marks) {
    std::string cause;
    if (m.source == ErrorRecord::Source::log) {
      ++report.log_problems;
      const auto space = m.text.find(' ');
      const std::string_view message =
          space == std::string::npos ? std::string_view{} : std::string_view(m.text).substr(space + 1);
      if (const auto peer = link_churn_peer(message)) {
        // Before time 0 the live backend is bringing the herd up: servers start one after
        // another, and a friend's dial that reaches a link proxy before its server listens
        // is reset.
        if (m.t_s < 0) {
          cause = "log link churn while the herd came up";
        } else if (explains_link_churn(windows, m.server, *peer, m.t_s, grace)) {
          cause = "log link churn";
        }
      }
      if (!cause.empty()) ++report.log_explained;
    } else {
      ++report.client_failures;
      if (explains_client_failure(windows, m.server, m.due_s, m.t_s, grace)) {
        cause = "client " + m.kind;
        ++report.client_explained;
      }
    }
    m.explained = !cause.empty();
    if (m.explained) {
      ++explained[cause];
    } else {
      unexplained.push_back(std::move(m));
    }
  }
  report.unexplained = (report.log_problems - report.log_explained) +
                       (report.client_failures - report.client_explained) +
                       report.load_unsolicited + report.unclassified;
  std::stable_sort(unexplained.begin(), unexplained.end(),
                   [](const ErrorRecord& a, const ErrorRecord& b) { return a.t_s < b.t_s; });
  if (unexplained.size() > options.max_listed) unexplained.resize(options.max_listed);
  report.listed = std::move(unexplained);
  report.explained.clear();
  for (const auto& [cause, n] : explained) report.explained.push_back(ExplainedCount{cause, n});

  const double quarter = report.duration_s / 4;
  report.trend_options.warmup_s = options.rss_warmup_s >= 0 ? options.rss_warmup_s : quarter;
  report.trend_options.min_span_s = options.rss_min_span_s >= 0 ? options.rss_min_span_s : quarter;
  report.trend_options.slope_limit_kib_per_min = options.rss_slope_limit_kib_per_min;
  report.rss_flat = true;
  report.processes_judged = 0;
  for (auto& server : report.rss) {
    server.processes.clear();
    std::vector<RssPoint> series;
    int pid = 0;
    auto close_series = [&] {
      if (pid != 0) {
        ProcessTrend p{pid, judge_rss(series, report.trend_options)};
        if (p.trend.judged) ++report.processes_judged;
        if (!p.trend.flat) {
          report.rss_flat = false;
          char why[256];
          std::snprintf(why, sizeof why,
                        "RSS of %s (pid %d) grew %.1f KiB/min from %.0f s to %.0f s "
                        "(%llu to %llu KiB), over the limit of %.1f KiB/min",
                        server.name.c_str(), pid, p.trend.slope_kib_per_min, p.trend.from_s,
                        p.trend.to_s, static_cast<unsigned long long>(p.trend.window_first_kib),
                        static_cast<unsigned long long>(p.trend.last_kib),
                        report.trend_options.slope_limit_kib_per_min);
          report.reasons.push_back(why);
        }
        server.processes.push_back(std::move(p));
      }
      series.clear();
      pid = 0;
    };
    for (const auto& s : server.samples) {
      if (s.pid != pid) close_series();
      if (s.pid == 0) continue;
      pid = s.pid;
      series.push_back(RssPoint{s.t_s, s.rss_kib});
    }
    close_series();
  }
  if (report.processes_judged == 0) {
    report.reasons.push_back("no server process ran long enough after its warm-up to judge its "
                             "RSS (lengthen the soak or shorten --rss-warmup / --rss-min-span)");
  }
  if (report.unclassified > 0) {
    report.reasons.push_back(std::to_string(report.unclassified) + " mark(s) beyond the " +
                             std::to_string(options.max_recorded) +
                             " recorded (--max-recorded) were not classified; they count as "
                             "unexplained");
  }
  if (report.unexplained > 0) {
    report.reasons.push_back(std::to_string(report.unexplained) +
                             " error(s) that no injected fault explains");
  }
  if (report.interrupted_by != 0) {
    report.reasons.push_back("interrupted by signal " + std::to_string(report.interrupted_by));
  }
  report.passed = report.reasons.empty();
}

SoakReport run_soak(const Scenario& scenario, const HerdLayout& layout, const SoakOptions& options) {
  validate(options, static_cast<double>(scenario.duration_ns) / 1e9);
  Soak soak(scenario, layout, options);
  return soak.run();
}

}  // namespace herd::sim::soak
