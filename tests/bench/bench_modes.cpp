#include "bench_modes.hpp"

#include <atomic>
#include <cmath>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json/array.hpp>

#include "per_command_load.hpp"
#include "pipelined_load.hpp"
#include "propagation_probe.hpp"

namespace herd::bench {

namespace {

constexpr auto kSlice = std::chrono::milliseconds(20);
// How long a herd gets, after sending stops, to answer what it holds and close.
constexpr auto kDrainGrace = std::chrono::seconds(3);

Clock::duration from_seconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Runs `io` until `finished` or `deadline`; past the deadline calls `abort` and gives the
// aborted operations a moment to unwind. Returns false when the deadline was hit.
bool run_until_done(asio::io_context& io, const std::function<bool()>& finished,
                    Clock::time_point deadline, const std::function<void()>& abort) {
  while (!finished() && Clock::now() < deadline) {
    io.restart();
    io.run_for(kSlice);
  }
  if (finished()) return true;
  abort();
  io.restart();
  io.run_for(std::chrono::seconds(1));
  return false;
}

double round1(double value) { return std::round(value * 10) / 10; }

boost::json::array server_names(const std::vector<Target>& targets) {
  boost::json::array names;
  for (const Target& target : targets) names.emplace_back(target.name);
  return names;
}

std::string latency_text(const LatencySamples& samples) {
  std::ostringstream out;
  out << "p50 " << samples.quantile_us(0.5) << "  p90 " << samples.quantile_us(0.9) << "  p99 "
      << samples.quantile_us(0.99) << "  max " << samples.quantile_us(1.0);
  return out.str();
}

// How far the flood lagged behind the replies, and the rate the herd really sustained:
// every update applied everywhere, from the first command to convergence.
struct Convergence {
  ConvergenceResult check;
  double lag_s = 0;
  double applied_per_s = 0;
};

Convergence converge(const std::vector<Target>& targets, const std::vector<FinalUpdate>& updates,
                     Clock::time_point started_at, Clock::time_point last_reply_at,
                     std::uint64_t replies, const BenchOptions& options) {
  Convergence result;
  result.check = wait_for_convergence(targets, updates, from_seconds(options.converge_timeout_s));
  if (result.check.converged) {
    result.lag_s = std::max(0.0, seconds_between(last_reply_at, result.check.converged_at));
    const double elapsed_s = seconds_between(started_at, result.check.converged_at);
    result.applied_per_s = elapsed_s > 0 ? static_cast<double>(replies) / elapsed_s : 0;
  }
  return result;
}

void add_convergence(boost::json::object& record, std::ostringstream& text,
                     const Convergence& convergence) {
  record["converged"] = convergence.check.converged;
  record["converge_lag_ms"] = round1(convergence.lag_s * 1000);
  record["applied_per_s"] = round1(convergence.applied_per_s);
  if (!convergence.check.converged) record["converge_error"] = convergence.check.first_error;
  if (convergence.check.converged) {
    text << "  herd converged " << round1(convergence.lag_s * 1000)
         << " ms after the last reply; updates applied herd-wide, start to convergence: "
         << round1(convergence.applied_per_s) << "/s\n";
  } else {
    text << "  HERD DID NOT CONVERGE: " << convergence.check.first_error << "\n";
  }
}

struct PipelinedRun {
  LoadTotals totals;
  Convergence convergence;
  double measured_s = 0;
  double rate_per_s = 0;
  bool on_time = false;
};

// A saturating persistent-connection load: warm-up, then a measured window.
PipelinedRun pipelined_run(const std::vector<Target>& targets, const BenchOptions& options,
                           double warmup_s, double duration_s, const std::string& prefix) {
  asio::io_context io;
  PipelinedLoadOptions load_options;
  load_options.connections_per_server = options.connections_per_server;
  load_options.window = options.window;
  load_options.max_commands = options.max_commands;
  load_options.rate_per_s = options.rate_per_s;
  load_options.client_prefix = prefix + "-" + run_nonce();
  PipelinedLoad load(io, targets, load_options);
  const Clock::time_point begin = Clock::now() + from_seconds(warmup_s);
  const Clock::time_point end = begin + from_seconds(duration_s);
  load.measure_between(begin, end);
  load.start();
  asio::steady_timer stop_timer(io, end);
  stop_timer.async_wait([&load](boost::system::error_code) { load.stop(); });
  PipelinedRun run;
  run.on_time = run_until_done(io, [&load] { return load.finished(); }, end + kDrainGrace,
                               [&load] { load.abort(); });
  stop_timer.cancel();
  io.restart();
  io.poll();
  run.totals = load.totals();
  const Clock::time_point window_end = std::min(end, load.stopped_at());
  run.measured_s = std::max(0.0, seconds_between(begin, window_end));
  run.rate_per_s = run.measured_s > 0
                       ? static_cast<double>(run.totals.measured_replies) / run.measured_s
                       : 0;
  run.convergence = converge(targets, load.final_updates(), run.totals.started_at,
                             run.totals.last_reply_at, run.totals.replies, options);
  return run;
}

}  // namespace

BackgroundLoad parse_background_load(const std::string& text) {
  BackgroundLoad load;
  std::string number = text;
  const bool share = !number.empty() && number.back() == '%';
  if (share) number.pop_back();
  if (number.size() > 2 && number.substr(number.size() - 2) == "/s") {
    number.resize(number.size() - 2);
  }
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != number.size() || number.empty() || !std::isfinite(value) || value <= 0 ||
      (share && value > 100)) {
    throw std::invalid_argument("--background-load: expected a rate like 2000 or 2000/s, or a "
                                "share of capacity like 50%, got \"" + text + "\"");
  }
  if (share) {
    load.capacity_share = value / 100;
  } else {
    load.rate_per_s = value;
  }
  return load;
}

BenchReport run_persistent(const std::vector<Target>& targets, const BenchOptions& options) {
  const PipelinedRun run =
      pipelined_run(targets, options, options.warmup_s, options.duration_s, "persist");
  const LoadTotals& t = run.totals;
  BenchReport report;
  report.ok = run.on_time && t.invalid == 0 && t.connection_errors == 0 && t.unanswered == 0 &&
              t.measured_replies > 0 && run.convergence.check.converged;
  auto& r = report.record;
  r["mode"] = "persistent";
  r["servers"] = server_names(targets);
  r["connections_per_server"] = options.connections_per_server;
  r["window"] = options.window;
  if (options.rate_per_s > 0) r["paced_rate_per_s"] = options.rate_per_s;
  r["warmup_s"] = options.warmup_s;
  r["measured_s"] = run.measured_s;
  r["sent"] = t.sent;
  r["replies"] = t.replies;
  r["measured_replies"] = t.measured_replies;
  r["replies_per_s"] = round1(run.rate_per_s);
  r["invalid"] = t.invalid;
  r["unanswered"] = t.unanswered;
  r["connection_errors"] = t.connection_errors;
  r["latency_us"] = t.latency.summary_us();
  if (!t.first_error.empty()) r["first_error"] = t.first_error;

  std::ostringstream out;
  out << "persistent: " << targets.size() << " servers x " << options.connections_per_server
      << " connections, window " << options.window;
  if (options.rate_per_s > 0) out << ", paced at " << options.rate_per_s << " IAMAT/s";
  out << ", " << run.measured_s
      << " s measured after " << options.warmup_s << " s warm-up\n"
      << "  IAMAT replies/s (herd-wide): " << round1(run.rate_per_s) << "  ("
      << t.measured_replies << " measured, " << t.replies << " in all)\n"
      << "  invalid " << t.invalid << ", unanswered " << t.unanswered << ", connection errors "
      << t.connection_errors << (run.on_time ? "" : ", DID NOT FINISH IN TIME") << "\n"
      << "  reply latency (us): " << latency_text(t.latency) << "\n";
  add_convergence(r, out, run.convergence);
  r["ok"] = report.ok;
  if (!t.first_error.empty()) out << "  first error: " << t.first_error << "\n";
  report.text = out.str();
  return report;
}

BenchReport run_per_command(const std::vector<Target>& targets, const BenchOptions& options) {
  asio::io_context io;
  PerCommandOptions load_options;
  load_options.workers_per_server = options.workers_per_server;
  load_options.max_commands = options.max_commands;
  load_options.client_prefix = "grader-" + run_nonce();
  PerCommandLoad load(io, targets, load_options);
  const Clock::time_point begin = Clock::now() + from_seconds(options.warmup_s);
  const Clock::time_point end = begin + from_seconds(options.duration_s);
  load.measure_between(begin, end);
  load.start();
  asio::steady_timer stop_timer(io, end);
  stop_timer.async_wait([&load](boost::system::error_code) { load.stop(); });
  const bool on_time = run_until_done(io, [&load] { return load.finished(); },
                                      end + kDrainGrace, [&load] { load.abort(); });
  stop_timer.cancel();
  io.restart();
  io.poll();
  const PerCommandTotals& t = load.totals();
  const double measured_s =
      std::max(0.0, seconds_between(begin, std::min(end, load.stopped_at())));
  const double rate = measured_s > 0 ? static_cast<double>(t.measured_completed) / measured_s : 0;
  const Convergence convergence = converge(targets, load.final_updates(), t.started_at,
                                           t.last_reply_at, t.completed, options);

  BenchReport report;
  report.ok = on_time && t.invalid == 0 && t.connection_errors == 0 &&
              t.measured_completed > 0 && convergence.check.converged;
  auto& r = report.record;
  r["mode"] = "per-command";
  r["servers"] = server_names(targets);
  r["workers_per_server"] = options.workers_per_server;
  r["warmup_s"] = options.warmup_s;
  r["measured_s"] = measured_s;
  r["completed"] = t.completed;
  r["measured_completed"] = t.measured_completed;
  r["commands_per_s"] = round1(rate);
  r["invalid"] = t.invalid;
  r["connection_errors"] = t.connection_errors;
  r["latency_us"] = t.latency.summary_us();
  if (!t.first_error.empty()) r["first_error"] = t.first_error;

  std::ostringstream out;
  out << "per-command: " << targets.size() << " servers x " << options.workers_per_server
      << " workers (connect, IAMAT, shutdown write, read to EOF), " << measured_s
      << " s measured after " << options.warmup_s << " s warm-up\n"
      << "  commands/s (herd-wide): " << round1(rate) << "  (" << t.measured_completed
      << " measured, " << t.completed << " in all)\n"
      << "  invalid " << t.invalid << ", connection errors " << t.connection_errors
      << (on_time ? "" : ", DID NOT FINISH IN TIME") << "\n"
      << "  command latency (us): " << latency_text(t.latency) << "\n";
  add_convergence(r, out, convergence);
  r["ok"] = report.ok;
  if (!t.first_error.empty()) out << "  first error: " << t.first_error << "\n";
  report.text = out.str();
  return report;
}

BenchReport run_propagation(const std::vector<Target>& targets, const BenchOptions& options) {
  BackgroundLoad background;
  if (!options.background_load.empty()) background = parse_background_load(options.background_load);
  double capacity_per_s = 0;
  if (background.capacity_share > 0) {
    // The capacity is what the herd sustains with its flood keeping up, not its reply rate.
    BenchOptions saturating = options;
    saturating.rate_per_s = 0;
    capacity_per_s = pipelined_run(targets, saturating, 0.5, options.capacity_probe_s, "capacity")
                         .convergence.applied_per_s;
    background.rate_per_s = background.capacity_share * capacity_per_s;
  }

  // The background load runs on its own thread and io_context, so the probe's timings do
  // not wait behind the load generator's own work.
  std::atomic<bool> stop_background{false};
  LoadTotals background_totals;
  double background_rate = 0;
  std::thread background_thread;
  const double run_limit_s = options.warmup_s + options.duration_s + 30;
  if (background.rate_per_s > 0) {
    background_thread = std::thread([&] {
      asio::io_context io;
      PipelinedLoadOptions load_options;
      load_options.connections_per_server = options.connections_per_server;
      load_options.window = options.window;
      load_options.rate_per_s = background.rate_per_s;
      load_options.client_prefix = "bg-" + run_nonce();
      PipelinedLoad load(io, targets, load_options);
      const Clock::time_point begin = Clock::now() + from_seconds(options.warmup_s);
      load.measure_between(begin, Clock::time_point::max());
      load.start();
      const Clock::time_point limit = Clock::now() + from_seconds(run_limit_s);
      while (!stop_background.load() && Clock::now() < limit && !load.finished()) {
        io.restart();
        io.run_for(kSlice);
      }
      load.stop();
      run_until_done(io, [&load] { return load.finished(); }, Clock::now() + kDrainGrace,
                     [&load] { load.abort(); });
      background_totals = load.totals();
      const double seconds = seconds_between(begin, load.stopped_at());
      background_rate =
          seconds > 0 ? static_cast<double>(background_totals.measured_replies) / seconds : 0;
    });
    std::this_thread::sleep_for(from_seconds(options.warmup_s));
  }

  asio::io_context io;
  PropagationOptions probe_options;
  probe_options.samples = options.samples;
  probe_options.max_time = from_seconds(options.duration_s);
  probe_options.sample_timeout = from_seconds(options.sample_timeout_s);
  probe_options.gap = from_seconds(options.sample_gap_ms / 1000);
  probe_options.poll_interval = from_seconds(options.poll_interval_us / 1e6);
  PropagationProbe probe(io, targets, probe_options);
  probe.start();
  const bool on_time = run_until_done(
      io, [&probe] { return probe.finished(); },
      Clock::now() + probe_options.max_time + probe_options.sample_timeout + kDrainGrace,
      [&probe] { probe.abort(); });
  stop_background = true;
  if (background_thread.joinable()) background_thread.join();

  const PropagationResult& p = probe.result();
  const bool background_ok = background.rate_per_s <= 0 ||
                             (background_totals.invalid == 0 &&
                              background_totals.connection_errors == 0);
  BenchReport report;
  report.ok = on_time && !p.failed && p.invalid == 0 && p.lost == 0 && p.to_last.size() > 0 &&
              background_ok;
  auto& r = report.record;
  r["mode"] = "propagation";
  r["servers"] = server_names(targets);
  r["samples"] = p.samples;
  r["lost"] = p.lost;
  r["invalid"] = p.invalid;
  r["polls"] = p.polls;
  r["poll_interval_us"] = options.poll_interval_us;
  r["poll_rtt_us"] = p.poll_rtt.summary_us();
  r["delay_to_last_us"] = p.to_last.summary_us();
  r["delay_to_each_us"] = p.to_each.summary_us();
  if (background.rate_per_s > 0) {
    boost::json::object bg;
    bg["target_per_s"] = round1(background.rate_per_s);
    if (capacity_per_s > 0) bg["measured_capacity_per_s"] = round1(capacity_per_s);
    bg["achieved_per_s"] = round1(background_rate);
    bg["skipped"] = background_totals.skipped;
    bg["invalid"] = background_totals.invalid;
    bg["connection_errors"] = background_totals.connection_errors;
    if (!background_totals.first_error.empty()) bg["first_error"] = background_totals.first_error;
    r["background_load"] = std::move(bg);
  }
  r["ok"] = report.ok;
  if (!p.first_error.empty()) r["first_error"] = p.first_error;

  std::ostringstream out;
  out << "propagation: " << p.samples << " updates, origin rotating over " << targets.size()
      << " servers, detected by WHATSAT polling (" << p.polls << " polls)";
  if (background.rate_per_s > 0) {
    out << "\n  under background IAMAT load: target " << round1(background.rate_per_s)
        << "/s, achieved " << round1(background_rate) << "/s";
    if (capacity_per_s > 0) out << " (capacity measured at " << round1(capacity_per_s) << "/s)";
  } else {
    out << ", unloaded";
  }
  out << "\n  delay to the last server (us): " << latency_text(p.to_last)
      << "\n  delay to each server (us):     " << latency_text(p.to_each)
      << "\n  WHATSAT poll round trip (us):  " << latency_text(p.poll_rtt) << "\n  lost "
      << p.lost << ", invalid " << p.invalid << (on_time ? "" : ", DID NOT FINISH IN TIME")
      << "\n";
  if (!p.first_error.empty()) out << "  first error: " << p.first_error << "\n";
  if (!background_totals.first_error.empty()) {
    out << "  background load error: " << background_totals.first_error << "\n";
  }
  report.text = out.str();
  return report;
}

}  // namespace herd::bench
