#pragma once
// herd-soak: a live herd under load, with faults injected, for a long time
// (docs/soak.md). The live backend (sim/live) runs the scenario on real herd-server
// processes and injects its faults; herd-load clients (sim/load) add load on every server;
// meanwhile the soak samples each server's resident memory and the size of the logs, reads
// the logs for warnings and errors, and records every failed client command. At the end it
// tells the faults' expected marks from real errors and judges whether memory stayed flat.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "herd/sim/herd_layout.hpp"
#include "herd/sim/live_runner.hpp"
#include "herd/sim/load/load.hpp"
#include "herd/sim/metrics.hpp"
#include "herd/sim/scenario.hpp"
#include "herd/sim/soak/rss_trend.hpp"

namespace herd::sim::soak {

struct SoakError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SoakOptions {
  double sample_every_s = 10;  // RSS, log size and a progress line this often
  LiveRunOptions live;         // on_event is the soak's own
  // The herd-load clients (persistent connections, open loop); rate 0: no extra load.
  double load_rate_per_s = 200;
  std::size_t load_connections = 1;  // per server
  std::size_t load_clients = 100;
  double load_whatsat_fraction = 0.2;
  double load_timeout_s = 5;
  std::uint64_t load_seed = 1;
  // RSS flatness (docs/soak.md#rss-flatness); negative: a quarter of the duration.
  double rss_warmup_s = -1;
  double rss_min_span_s = -1;
  double rss_slope_limit_kib_per_min = 256;
  // How far from a fault's window its marks still count as explained.
  double fault_grace_s = 5;
  // Marks recorded for classification (log problem lines and failed commands); beyond it
  // they are counted as unexplained without being classified.
  std::size_t max_recorded = 100'000;
  // Unexplained errors listed one by one in the report (all are counted).
  std::size_t max_listed = 200;
  // A log line longer than this is cut there before it is classified.
  std::size_t max_log_line_bytes = 64 * 1024;
  // A progress line after each sample (empty: silent).
  std::function<void(const std::string&)> progress;
  // After each sample, with the run's folder (tests plant lines in logs through it).
  std::function<void(const std::filesystem::path& folder, double t_s)> on_sample;
};

// Checks the options against each other and their limits; throws SoakError.
void validate(const SoakOptions& options, double duration_s);

struct RssSample {
  double t_s = 0;
  int pid = 0;                 // 0: no process (crashed, not yet back)
  std::uint64_t rss_kib = 0;   // 0 when pid is 0 or the process was gone
};

struct ProcessTrend {
  int pid = 0;
  Trend trend;
};

struct ServerRss {
  std::string name;
  std::vector<RssSample> samples;
  std::vector<ProcessTrend> processes;  // one per process of the server, in order
};

struct SizeSample {
  double t_s = 0;
  std::uint64_t log_bytes = 0;     // the run's logs/ folder
  std::uint64_t folder_bytes = 0;  // the whole run folder (configs, observation files, logs)
  std::uint64_t load_done = 0;     // herd-load commands ended so far
  std::uint64_t load_errors = 0;
  double load_ok_per_s = 0;        // since the previous sample
};

struct ErrorRecord {
  enum class Source : std::uint8_t { log, client };
  Source source = Source::log;
  double t_s = 0;      // log: the line's time; client: when the command was given up
  double due_s = 0;    // client: when it was due
  std::string server;  // log: whose log; client: the target
  std::string kind;    // log: the level; client: the error kind (load::ErrorKind's name)
  std::string text;    // the log line's level and message, or the command, kind and detail
  bool explained = false;
};

// How many marks a cause explained, by source and kind ("client connect_refused: 120").
struct ExplainedCount {
  std::string source_kind;  // "log link churn", "log bring-up churn", "client <kind>"
  std::uint64_t count = 0;
};

struct SoakReport {
  std::string scenario;
  std::uint64_t seed = 0;
  std::vector<std::string> servers;
  double duration_s = 0, sample_every_s = 0, wall_s = 0;
  int interrupted_by = 0;  // the signal, or 0
  std::vector<FaultSpec> faults;
  // Throughput.
  load::LoadOptions load_options;
  load::LoadResult load;
  bool load_ran = false;
  Summary workload;
  LiveCounters counters;
  // Over time.
  std::vector<ServerRss> rss;
  std::vector<SizeSample> sizes;
  TrendOptions trend_options;
  // Errors.
  std::uint64_t log_problems = 0, log_explained = 0;
  std::uint64_t client_failures = 0, client_explained = 0;
  std::uint64_t unclassified = 0;  // beyond max_recorded: counted as unexplained
  std::uint64_t unexplained = 0;
  std::uint64_t load_unsolicited = 0;  // connections closed for bytes that answer nothing
  std::vector<ErrorRecord> listed;     // the unexplained ones, in time order, up to max_listed
  std::vector<ExplainedCount> explained;  // the explained ones, counted by kind
  // Verdict.
  bool rss_flat = true;
  std::size_t processes_judged = 0;
  bool passed = false;
  std::vector<std::string> reasons;  // why it failed
  // The machine.
  unsigned cores = 0;
  std::string loadavg_start, loadavg_end;
};

// Runs the soak for the scenario's duration. Throws LiveRunError (the live backend could
// not run it), SoakError (bad options). An interrupted soak returns what it saw with
// interrupted_by set.
[[nodiscard]] SoakReport run_soak(const Scenario& scenario, const HerdLayout& layout,
                                  const SoakOptions& options);

// The verdict and the error tallies from the raw material (exposed for tests); marks that
// were not recorded (report.unclassified) count as unexplained.
void judge(SoakReport& report, std::vector<ErrorRecord> marks, const SoakOptions& options);

// The human report and the machine one (docs/soak.md#report).
[[nodiscard]] std::string format_report(const SoakReport& report);
[[nodiscard]] std::string report_json(const SoakReport& report);
// One progress line: "[herd-soak]  120s/600s  load 199/s ...".
[[nodiscard]] std::string format_progress(const SoakReport& report, double duration_s);

}  // namespace herd::sim::soak
