#include "live_options.hpp"

#include <cstdio>
#include <iostream>
#include <map>

#include "herd/sim/check_report.hpp"
#include "herd/sim/live_run_cli.hpp"

namespace herd::sim {

void add_live_options(CLI::App* command, LiveRunOptions& live) {
  add_live_process_options(*command, live, "--backend live: ", "herd-sim");
  command->add_option("--link-loss", live.link_loss,
                      "--backend live: probability that a link proxy drops a peer line, on "
                      "every link (instead of the scenario's network.loss and per-link loss)")
      ->check(CLI::Range(0.0, 0.999));
}

LiveRunOptions live_run_options(LiveRunOptions options, bool quiet) {
  if (!quiet) {
    options.progress = [](const std::string& s) { std::cerr << "[herd-sim live] " << s << "\n"; };
  }
  return options;
}

Outcome run_live_outcome(const Scenario& scenario, const HerdLayout& layout,
                         const LiveRunOptions& options, bool keep_deliveries, bool quiet,
                         LiveOutcome& live) {
  LiveRunOptions run_options = live_run_options(options, quiet);
  run_options.keep_deliveries = keep_deliveries;
  live = run_live(scenario, layout, run_options);
  Outcome out;
  out.summary = live.metrics->summarize();
  out.wall_seconds = live.counters.wall_seconds;
  out.counters.events = live.counters.observations;
  out.counters.peer_deliveries = live.counters.peer_deliveries;
  out.counters.peer_dropped = live.counters.peer_dropped;
  out.counters.client_commands = live.counters.client_commands;
  out.counters.simulated_ns = live.counters.simulated_ns;
  out.counters.drained_ns = live.counters.drained_ns;
  return out;
}

std::int64_t store_live_run(const std::string& db_path, const std::vector<std::string>& overrides,
                            const Scenario& scenario, const HerdLayout& layout,
                            const LiveOutcome& live, const Outcome& out) {
  RunRecord record = make_record(overrides, out);
  record.backend = "live";
  record.fingerprint.reset();
  ResultsDb db(db_path);
  return db.store_run(scenario, layout, live.faults, *live.metrics, record);
}

int run_live_command(const Scenario& scenario, const HerdLayout& layout,
                     const LiveRunOptions& options, const std::vector<std::string>& overrides,
                     const std::string& db_path, bool summary_only, bool quiet) {
  LiveOutcome live;
  const Outcome out = run_live_outcome(scenario, layout, options, !summary_only, quiet, live);
  char line[256];
  std::cout << "herd-sim: " << scenario.name << " (seed " << scenario.seed << ") LIVE on "
            << layout.size() << " herd-server processes, " << layout.edge_count()
            << " friendships, strategy " << scenario.strategy << "\n";
  std::snprintf(line, sizeof line,
                "  %.3f s of workload + %.3f s drain in %.3f s wall, %llu observations, %llu "
                "peer lines through the link proxies\n",
                static_cast<double>(out.counters.simulated_ns) / 1e9,
                static_cast<double>(out.counters.drained_ns) / 1e9, out.wall_seconds,
                static_cast<unsigned long long>(out.counters.events),
                static_cast<unsigned long long>(out.counters.peer_deliveries));
  std::cout << line << "  metric                          value\n";
  for (const auto& [name, value] : summary_metrics(out.summary)) {
    std::snprintf(line, sizeof line, "  %-30s %14s\n", name.c_str(), format_metric(name, value).c_str());
    std::cout << line;
  }
  if (!out.summary.convergence_ns) std::cout << "  convergence_ms                  never converged\n";
  if (!db_path.empty()) {
    const auto run_id = store_live_run(db_path, overrides, scenario, layout, live, out);
    std::cout << "  stored as run " << run_id << " (backend live) in " << db_path << "\n";
  }
  return kExitPassed;
}

}  // namespace herd::sim
