// herd-soak: a live herd under load, with faults injected, for a long time; reports
// throughput, each server's RSS over time (it must stay flat), the logs' size and every
// error (docs/soak.md). Exit status: 0 the verdict passed; 1 it failed (memory grew, or
// errors no fault explains); 2 bad usage or a herd that cannot be run; 128 + the signal's
// number when interrupted (everything started is stopped and removed first).

#include <cmath>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "herd/config/units.hpp"
#include "herd/sim/herd_builder.hpp"
#include "herd/sim/live_run_cli.hpp"
#include "herd/sim/live_runner.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/soak/soak.hpp"

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

double seconds_of(const std::string& option, const std::string& text) {
  try {
    return static_cast<double>(herd::config::parse_duration(text)) / 1e9;
  } catch (const std::invalid_argument& e) {
    throw herd::sim::soak::SoakError(option + " " + text + ": " + e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herd::sim;
  using namespace herd::sim::soak;
  CLI::App app{"herd-soak: a live herd under load with faults for a long time; RSS, logs, errors"};
  app.footer("Exit codes: 0 the verdict passed; 1 it failed (RSS grew, or errors no injected "
             "fault explains); 2 bad usage or a herd that cannot run; 128+N interrupted by "
             "signal N.");
  std::string scenario_path, for_text = "10m", sample_text = "10s", fault_every_text = "40s",
              fault_max_text = "10s", timeout_text = "5s", grace_text = "5s", warmup_text,
              min_span_text, json_out;
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  bool quiet = false;
  SoakOptions options;
  app.add_option("scenario", scenario_path, "The scenario file (docs/scenarios.md)")->required();
  app.add_option("--for", for_text, "How long the load and the faults last")->capture_default_str();
  app.add_option("--sample-every", sample_text, "RSS, log size and a progress line this often")
      ->capture_default_str();
  app.add_option("--set", overrides, "Override a scenario key, key=value (as herd-sim --set)");
  app.add_option("--seed", seed, "The scenario's seed");
  app.add_option("--fault-every", fault_every_text,
                 "When the scenario has no [random_faults]: one random fault per this long on "
                 "average, crashes, partitions and pauses in turn (0s: none)")
      ->capture_default_str();
  app.add_option("--fault-max", fault_max_text, "The longest such a fault lasts")->capture_default_str();
  app.add_option("--load-rate", options.load_rate_per_s,
                 "herd-load commands per second over all servers, open loop (0: none)")
      ->capture_default_str();
  app.add_option("--load-connections", options.load_connections,
                 "herd-load persistent connections per server")
      ->capture_default_str();
  app.add_option("--load-clients", options.load_clients, "herd-load clients")->capture_default_str();
  app.add_option("--load-whatsat", options.load_whatsat_fraction,
                 "Share of herd-load commands that are WHATSATs")
      ->capture_default_str();
  app.add_option("--load-timeout", timeout_text, "A herd-load command fails after this long")
      ->capture_default_str();
  app.add_option("--rss-warmup", warmup_text,
                 "RSS samples of a process this soon after its first are not fitted (default: a "
                 "quarter of --for)");
  app.add_option("--rss-min-span", min_span_text,
                 "A process is judged only over a window at least this long (default: a quarter "
                 "of --for)");
  app.add_option("--rss-slope-limit", options.rss_slope_limit_kib_per_min,
                 "Flat: the RSS line's slope stays at or under this many KiB per minute")
      ->capture_default_str();
  app.add_option("--fault-grace", grace_text,
                 "Marks this close to a fault's window count as explained by it")
      ->capture_default_str();
  app.add_option("--max-listed", options.max_listed, "Errors listed one by one in the report")
      ->capture_default_str();
  app.add_option("--max-recorded", options.max_recorded,
                 "Marks (log warnings, failed commands) kept for classification")
      ->capture_default_str();
  app.add_option("--max-log-line", options.max_log_line_bytes,
                 "A log line longer than this many bytes is cut there")
      ->capture_default_str();
  app.add_option("--json", json_out, "Also write the report as JSON to this file");
  add_live_process_options(app, options.live, "", "herd-soak");
  app.add_flag("-q,--quiet", quiet, "No progress lines");
  CLI11_PARSE(app, argc, argv);

  try {
    const double for_s = seconds_of("--for", for_text);
    options.sample_every_s = seconds_of("--sample-every", sample_text);
    options.load_timeout_s = seconds_of("--load-timeout", timeout_text);
    options.fault_grace_s = seconds_of("--fault-grace", grace_text);
    if (!warmup_text.empty()) options.rss_warmup_s = seconds_of("--rss-warmup", warmup_text);
    if (!min_span_text.empty()) options.rss_min_span_s = seconds_of("--rss-min-span", min_span_text);
    const double fault_every_s = seconds_of("--fault-every", fault_every_text);
    const std::string fault_max = fault_max_text;
    (void)seconds_of("--fault-max", fault_max);
    if (!(for_s > 0)) throw SoakError("--for must be positive");

    // The soak's own overrides come first, so the user's --set has the last word.
    const std::string duration = herd::config::format_duration(herd::config::parse_duration(for_text));
    std::vector<std::string> soak_overrides{"scenario.duration=" + duration,
                                            "workload.end=" + duration};
    const Scenario as_written = load_scenario(scenario_path, overrides);
    if (!as_written.random_faults.enabled && fault_every_s > 0) {
      const auto n = static_cast<long long>(std::floor(for_s / fault_every_s));
      if (n > 0) {
        soak_overrides.push_back("random_faults.crashes=" + std::to_string((n + 2) / 3));
        soak_overrides.push_back("random_faults.partitions=" + std::to_string((n + 1) / 3));
        soak_overrides.push_back("random_faults.pauses=" + std::to_string(n / 3));
        soak_overrides.push_back("random_faults.max_duration=" + fault_max);
      }
    }
    soak_overrides.insert(soak_overrides.end(), overrides.begin(), overrides.end());
    Scenario scenario = load_scenario(scenario_path, soak_overrides);
    if (seed) scenario.seed = *seed;
    const HerdLayout layout = layout_of(build_friend_graph(scenario));
    if (!quiet) {
      options.progress = [](const std::string& line) { std::cerr << line << "\n"; };
      options.live.progress = [](const std::string& s) { std::cerr << "[herd-soak live] " << s << "\n"; };
    }
    const SoakReport report = run_soak(scenario, layout, options);
    std::cout << format_report(report);
    if (!json_out.empty()) {
      std::ofstream out(json_out, std::ios::binary | std::ios::trunc);
      out << report_json(report) << "\n";
      if (!out.flush()) {
        std::cerr << "herd-soak: " << json_out << ": cannot write\n";
        return kExitUsage;
      }
    }
    if (report.interrupted_by) return 128 + report.interrupted_by;
    return report.passed ? 0 : kExitFailed;
  } catch (const std::exception& e) {
    // A scenario error (file:line:column), a live backend that cannot run it, bad options.
    std::cerr << "herd-soak: " << e.what() << "\n";
  }
  return kExitUsage;
}
