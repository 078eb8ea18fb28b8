#include "herd/sim/cli.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "herd/places/offline_gazetteer.hpp"
#include "herd/sim/expectations.hpp"
#include "herd/sim/graph_files.hpp"
#include "herd/sim/herd_builder.hpp"
#include "herd/sim/results_db.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/simulation.hpp"
#include "herd/sim/sweep.hpp"
#include "herd/sim/topology_stats.hpp"

#ifndef HERD_VERSION
#define HERD_VERSION "unknown"
#endif

namespace herd::sim {
namespace {

using WallClock = std::chrono::steady_clock;

struct RunOptions {
  std::string scenario_path;
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  std::string db_path = "results.db";
  bool no_db = false;
  bool verify = false;
  bool summary_only = false;
  bool quiet = false;
};

// Progress on stderr, only for runs that last long enough for someone to wonder.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(WallClock::now()) {}
  void operator()(double fraction) {
    if (!enabled_) return;
    double elapsed = seconds_since(start_);
    if (elapsed < 1.0 || elapsed - last_ < 0.5) return;
    last_ = elapsed;
    shown_ = true;
    std::fprintf(stderr, "\r[herd-sim] %5.1f%% of virtual time, %.1f s wall", fraction * 100,
                 elapsed);
    std::fflush(stderr);
  }
  void done() {
    if (shown_) std::fprintf(stderr, "\n");
  }
  static double seconds_since(WallClock::time_point t) {
    return std::chrono::duration<double>(WallClock::now() - t).count();
  }

 private:
  bool enabled_;
  WallClock::time_point start_;
  double last_ = 0;
  bool shown_ = false;
};

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return text;
}

std::string hex64(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

// The command line that replays this run exactly.
std::string reproduce_command(const RunOptions& o, std::uint64_t seed) {
  std::string cmd = "herd-sim run " + o.scenario_path + " --seed " + std::to_string(seed);
  for (const auto& s : o.overrides) cmd += " --set '" + s + "'";
  return cmd;
}

struct Outcome {
  Summary summary;
  std::uint64_t fingerprint = 0;
  SimulationCounters counters;
  double wall_seconds = 0;
};

Outcome simulate(const Scenario& scenario, const HerdLayout& layout,
                 const places::OfflineGazetteer* places, bool keep_deliveries, bool quiet,
                 std::unique_ptr<Simulation>* keep = nullptr) {
  Progress progress(!quiet);
  SimulationOptions options;
  options.keep_deliveries = keep_deliveries;
  options.places = places;
  options.progress = [&](double f) { progress(f); };
  auto sim = std::make_unique<Simulation>(scenario, layout, options);
  auto start = WallClock::now();
  sim->run();
  Outcome out;
  out.wall_seconds = Progress::seconds_since(start);
  progress.done();
  out.summary = sim->metrics().summarize();
  out.fingerprint = sim->fingerprint();
  out.counters = sim->counters();
  if (keep) *keep = std::move(sim);
  return out;
}

void print_summary(std::ostream& os, const Scenario& s, const HerdLayout& layout,
                   const Outcome& o) {
  char line[256];
  double simulated_s = static_cast<double>(o.counters.simulated_ns) / 1e9;
  os << "herd-sim: " << s.name << " (seed " << s.seed << ") on " << layout.size()
     << " servers, " << layout.edge_count() << " friendships, strategy " << s.strategy << "\n";
  std::snprintf(line, sizeof line,
                "  %.3f s virtual in %.3f s wall (%.0fx), %llu events, %llu peer deliveries\n",
                simulated_s, o.wall_seconds, o.wall_seconds > 0 ? simulated_s / o.wall_seconds : 0.0,
                static_cast<unsigned long long>(o.counters.events),
                static_cast<unsigned long long>(o.counters.peer_deliveries));
  os << line << "  fingerprint " << hex64(o.fingerprint) << "\n";
  os << "  metric                          value\n";
  for (const auto& [name, value] : summary_metrics(o.summary)) {
    std::snprintf(line, sizeof line, "  %-30s %14.4f\n", name.c_str(), value);
    os << line;
  }
  if (!o.summary.convergence_ns) os << "  convergence_ms                  never converged\n";
}

int run_command(const RunOptions& o, bool check) {
  Scenario scenario = load_scenario(o.scenario_path, o.overrides);
  if (o.seed) scenario.seed = *o.seed;
  FriendGraph graph = build_friend_graph(scenario);
  HerdLayout layout = layout_of(graph);
  auto places = open_scenario_places(scenario);

  std::unique_ptr<Simulation> sim;
  Outcome first = simulate(scenario, layout, places.get(), !o.summary_only, o.quiet, &sim);
  print_summary(std::cout, scenario, layout, first);

  int status = 0;
  if (o.verify) {
    Outcome second = simulate(scenario, layout, places.get(), false, o.quiet);
    bool same = first.fingerprint == second.fingerprint &&
                first.counters.events == second.counters.events;
    std::cout << "  determinism: second run fingerprint " << hex64(second.fingerprint)
              << (same ? " (identical)\n" : " (DIFFERENT)\n");
    if (!same) {
      std::cerr << "herd-sim: the two runs differ; reproduce with: "
                << reproduce_command(o, scenario.seed) << " --verify-determinism\n";
      status = 3;
    }
  }
  if (check) {
    auto results = check_expectations(scenario.expect, first.summary);
    if (results.empty()) std::cout << "  expectations: none in [expect]\n";
    for (const auto& r : results) {
      std::cout << "  expect " << r.name << ' ' << r.expected << ": " << r.actual
                << (r.passed ? "  ok\n" : "  FAILED\n");
      if (!r.passed) status = status ? status : 1;
    }
    if (status == 1) {
      std::cerr << "herd-sim: " << scenario.name << " failed its expectations; reproduce with: "
                << reproduce_command(o, scenario.seed) << "\n";
    }
  }
  if (!o.no_db) {
    ResultsDb db(o.db_path);
    RunRecord record;
    record.herd_version = HERD_VERSION;
    record.recorded_at = iso_now();
    record.overrides = o.overrides;
    record.fingerprint = first.fingerprint;
    record.wall_seconds = first.wall_seconds;
    record.events = first.counters.events;
    record.peer_deliveries = first.counters.peer_deliveries;
    record.peer_dropped = first.counters.peer_dropped;
    record.client_commands = first.counters.client_commands;
    record.drained_ns = first.counters.drained_ns;
    auto run_id = db.store_run(scenario, layout, sim->faults(), sim->metrics(), record);
    std::cout << "  stored as run " << run_id << " in " << o.db_path << "\n";
  }
  return status;
}

int topo_command(const std::string& source, const std::vector<std::string>& overrides,
                 const std::string& dot_out) {
  FriendGraph graph;
  auto format = graph_format_for(source);
  if (format && !source.ends_with(".toml")) {
    graph = load_graph_file(source);
  } else {
    graph = build_friend_graph(load_scenario(source, overrides));
  }
  std::cout << format_topology_report(graph, topology_stats(graph));
  if (!dot_out.empty()) {
    save_dot_file(dot_out, graph);
    std::cout << "wrote " << dot_out << "\n";
  }
  return 0;
}

int report_command(const std::string& db_path) {
  if (!std::filesystem::exists(db_path)) {
    std::cerr << "herd-sim: " << db_path << ": no such results database\n";
    return 2;
  }
  ResultsDb db(db_path);
  auto runs = db.runs();
  std::printf("%5s  %-32s %8s %5s %16s %9s %9s %7s %9s\n", "run", "scenario", "seed", "kind",
              "fingerprint", "p50 ms", "p99 ms", "reach", "conv ms");
  for (const auto& r : runs) {
    auto metric = [&](const char* name) -> std::optional<double> {
      for (const auto& [k, v] : r.summary) {
        if (k == name) return v;
      }
      return std::nullopt;
    };
    auto show = [&](const char* name, const char* fmt) {
      auto v = metric(name);
      char text[32];
      if (v) {
        std::snprintf(text, sizeof text, fmt, *v);
      } else {
        std::snprintf(text, sizeof text, "-");
      }
      return std::string(text);
    };
    std::printf("%5lld  %-32s %8llu %5s %16s %9s %9s %7s %9s\n",
                static_cast<long long>(r.run_id), r.scenario.substr(0, 32).c_str(),
                static_cast<unsigned long long>(r.seed), r.backend.c_str(), r.fingerprint.c_str(),
                show("propagation_p50_ms", "%.3f").c_str(), show("propagation_p99_ms", "%.3f").c_str(),
                show("reach_mean", "%.4f").c_str(), show("convergence_ms", "%.1f").c_str());
  }
  return 0;
}

struct SweepArgs {
  std::string file;
  std::string db = "sweep.db";
  std::string shard = "0/1";
  std::string markdown, svg;
  unsigned jobs = 0;  // 0: every core
  bool append = false;
  bool report_only = false;
  bool quiet = false;
};

// Exit codes: 0 every cell met its [expect] section, 1 one did not, 2 a broken sweep or
// scenario file, a bad option, a database error (thrown, reported by run_cli) or, with
// --report-only, a database lacking some of the sweep's cells.
int sweep_command(const SweepArgs& args) {
  SweepSpec spec = load_sweep(args.file);
  std::vector<SweepCell> cells;
  std::size_t incomplete = 0;
  if (args.report_only) {
    if (!std::filesystem::exists(args.db)) {
      std::cerr << "herd-sim: " << args.db << ": no such results database\n";
      return 2;
    }
    std::size_t missing = 0;
    cells = load_sweep_cells(spec, args.db, missing);
    incomplete = missing;
    if (missing) {
      std::cerr << "herd-sim sweep: " << args.db << " lacks " << missing << " of "
                << missing + cells.size() << " cells of sweep " << spec.id
                << " (a shard not run or not merged?); the table covers the cells it holds\n";
    }
  } else {
    SweepOptions options;
    auto slash = args.shard.find('/');
    try {
      if (slash == std::string::npos) throw std::invalid_argument("no slash");
      options.shard = static_cast<std::uint32_t>(std::stoul(args.shard.substr(0, slash)));
      options.shards = static_cast<std::uint32_t>(std::stoul(args.shard.substr(slash + 1)));
    } catch (const std::exception&) {
      throw std::invalid_argument("--shard: expected i/N, got '" + args.shard + "'");
    }
    options.db = args.db;
    options.jobs = args.jobs;
    options.append = args.append;
    auto start = WallClock::now();
    options.on_cell = [&](const SweepCell& c, std::size_t done, std::size_t total) {
      if (args.quiet) return;
      std::fprintf(stderr, "[herd-sim sweep] %zu/%zu %s / %s / seed %llu: p99 %.1f ms, %.1f msgs/update (%s%.1f s)\n",
                   done, total, c.scenario.c_str(), c.variant.c_str(),
                   static_cast<unsigned long long>(c.seed),
                   static_cast<double>(c.summary.propagation.p99_ns) / 1e6,
                   c.summary.messages_per_update, c.reused ? "already stored, " : "",
                   Progress::seconds_since(start));
    };
    cells = run_sweep(spec, options);
  }
  std::string table = sweep_markdown(spec, cells);
  std::cout << table;
  if (!args.markdown.empty()) {
    std::ofstream(args.markdown) << table;
    std::cout << "wrote " << args.markdown << "\n";
  }
  if (!args.svg.empty()) {
    std::ofstream(args.svg) << sweep_svg(spec, cells);
    std::cout << "wrote " << args.svg << "\n";
  }
  if (!args.report_only) {
    std::size_t reused = 0;
    for (const auto& c : cells) reused += c.reused ? 1 : 0;
    std::cout << "sweep " << spec.id << ": stored " << cells.size() - reused << " runs in "
              << args.db;
    if (reused) std::cout << ", skipped " << reused << " cells already stored (--append runs them again)";
    std::cout << "\n";
  }
  auto failures = sweep_failures(cells);
  for (const auto& f : failures) std::cerr << "herd-sim sweep: FAILED " << f << "\n";
  if (!failures.empty()) {
    for (const auto& c : cells) {
      for (const auto& e : c.expectations) {
        if (e.passed) continue;
        std::string cmd = "herd-sim check " + c.scenario_path.string() + " --seed " + std::to_string(c.seed);
        for (const auto& o : c.overrides) cmd += " --set '" + o + "'";
        std::cerr << "  reproduce " << c.scenario << " / " << c.variant << " / seed " << c.seed
                  << " with: " << cmd << "\n";
        break;
      }
    }
    std::cout << "expectations: " << failures.size() << " failed\n";
  }
  if (incomplete) return 2;
  return failures.empty() ? 0 : 1;
}

int merge_command(const std::string& out, const std::vector<std::string>& inputs) {
  std::error_code ec;
  for (const auto& in : inputs) {
    if (std::filesystem::exists(out) && std::filesystem::equivalent(out, in, ec)) {
      std::cerr << "herd-sim merge: " << in << " is the output database; name another OUT\n";
      return 2;
    }
  }
  ResultsDb db(out);
  for (const auto& in : inputs) {
    MergeCounts counts = db.merge_from(in);
    std::cout << "merged " << in << ": " << counts.copied << " runs";
    if (counts.skipped) std::cout << ", skipped " << counts.skipped << " sweep cells " << out << " already holds";
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"herd-sim: deterministic virtual-time simulation of server herds"};
  app.require_subcommand(1);
  app.set_version_flag("--version", HERD_VERSION);

  RunOptions run_options;
  auto add_run_flags = [&](CLI::App* cmd) {
    cmd->add_option("scenario", run_options.scenario_path, "Scenario file (TOML)")->required();
    cmd->add_option("--set", run_options.overrides, "Override a scenario field: key=value");
    cmd->add_option("--seed", run_options.seed, "Override the scenario's seed");
    cmd->add_option("--db", run_options.db_path, "Results database (SQLite)")->capture_default_str();
    cmd->add_flag("--no-db", run_options.no_db, "Do not store the run");
    cmd->add_flag("--verify-determinism", run_options.verify,
                  "Run twice and compare fingerprints (exit 3 if they differ)");
    cmd->add_flag("--summary-only", run_options.summary_only,
                  "Store summaries, not per-(update, server) rows (large herds)");
    cmd->add_flag("-q,--quiet", run_options.quiet, "No progress on stderr");
  };
  auto* run = app.add_subcommand("run", "Run a scenario, print its summary, store it");
  add_run_flags(run);
  auto* check = app.add_subcommand("check", "Run a scenario and check its [expect] section");
  add_run_flags(check);

  std::string topo_source, dot_out;
  std::vector<std::string> topo_overrides;
  auto* topo = app.add_subcommand("topo", "Describe a friend graph (scenario or graph file)");
  topo->add_option("source", topo_source, "Scenario (.toml) or graph file (.dot .gml .txt)")
      ->required();
  topo->add_option("--set", topo_overrides, "Override a scenario field: key=value");
  topo->add_option("--dot", dot_out, "Also write the graph as GraphViz DOT");

  std::string report_db = "results.db";
  auto* report = app.add_subcommand("report", "List the runs in a results database");
  report->add_option("--db", report_db, "Results database")->capture_default_str();

  SweepArgs sweep_args;
  auto* sweep = app.add_subcommand("sweep", "Run a grid of scenarios x variants x seeds");
  sweep->add_option("sweep", sweep_args.file, "Sweep file (TOML)")->required();
  sweep->add_option("--db", sweep_args.db, "Results database")->capture_default_str();
  sweep->add_option("--shard", sweep_args.shard, "Run only cells i, i+N, ... (i/N)")
      ->capture_default_str();
  sweep->add_option("--markdown", sweep_args.markdown, "Write the summary table here");
  sweep->add_option("--svg", sweep_args.svg, "Write the chart here");
  sweep->add_option("-j,--jobs", sweep_args.jobs,
                    "Worker threads (default: every core); results do not depend on it");
  sweep->add_flag("--append", sweep_args.append,
                  "Run and store cells the database already holds for this sweep again");
  sweep->add_flag("--report-only", sweep_args.report_only,
                  "Run nothing: table, chart and expectations from the cells in --db");
  sweep->add_flag("-q,--quiet", sweep_args.quiet, "No progress on stderr");

  std::string merge_out;
  std::vector<std::string> merge_inputs;
  auto* merge = app.add_subcommand("merge", "Join results databases (e.g. sweep shards) into one");
  merge->add_option("out", merge_out, "Output database (created if missing)")->required();
  merge->add_option("inputs", merge_inputs, "Databases to copy in, in order")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*run) return run_command(run_options, false);
    if (*check) return run_command(run_options, true);
    if (*topo) return topo_command(topo_source, topo_overrides, dot_out);
    if (*report) return report_command(report_db);
    if (*sweep) return sweep_command(sweep_args);
    if (*merge) return merge_command(merge_out, merge_inputs);
  } catch (const std::exception& e) {
    std::cerr << "herd-sim: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace herd::sim
