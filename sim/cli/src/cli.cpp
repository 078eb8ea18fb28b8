#include "herd/sim/cli.hpp"

#include <CLI/CLI.hpp>
#include <unistd.h>  // isatty

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <sstream>

#include "herd/places/offline_gazetteer.hpp"
#include "herd/sim/check_report.hpp"
#include "compare.hpp"
#include "live_options.hpp"
#include "herd/sim/expectations.hpp"
#include "herd/sim/golden.hpp"
#include "herd/sim/graph_files.hpp"
#include "herd/sim/herd_builder.hpp"
#include "herd/sim/results_db.hpp"
#include "herd/sim/run_listing.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/shrink.hpp"
#include "herd/sim/simulation.hpp"
#include "herd/sim/sweep.hpp"
#include "herd/sim/topology_stats.hpp"
#include "herd/sim/trace_export.hpp"

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
  bool trace = false;  // record every message (docs/traces.md)
  unsigned threads = 1;  // for one simulated run; 0: one per core
  std::string backend = "sim";  // or "live": real herd-server processes (docs/live-backend.md)
  LiveRunOptions live;
};

// Progress on stderr, only for runs that last long enough for someone to wonder. On a
// terminal one line is redrawn in place; anywhere else (a CI log, a file) a carriage return
// would pile up as garbage, so a whole line is printed now and then instead.
class Progress {
 public:
  Progress(bool enabled, std::string label)
      : enabled_(enabled), tty_(::isatty(::fileno(stderr)) != 0), label_(std::move(label)),
        start_(WallClock::now()) {}
  void operator()(double fraction) {
    if (!enabled_) return;
    double elapsed = seconds_since(start_);
    const double first = tty_ ? 1.0 : 10.0, every = tty_ ? 0.5 : 10.0;
    if (elapsed < first || elapsed - last_ < every) return;
    last_ = elapsed;
    shown_ = true;
    std::fprintf(stderr, "%s[herd-sim] %s%5.1f%% of virtual time, %.1f s wall%s",
                 tty_ ? "\r" : "", label_.c_str(), fraction * 100, elapsed, tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  void done() {
    if (shown_ && tty_) std::fprintf(stderr, "\n");
  }
  static double seconds_since(WallClock::time_point t) {
    return std::chrono::duration<double>(WallClock::now() - t).count();
  }

 private:
  bool enabled_;
  bool tty_;
  std::string label_;  // "name: " when several scenarios run
  WallClock::time_point start_;
  double last_ = 0;
  bool shown_ = false;
};

std::string hex64(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

// The command line that replays this run exactly (`check` also checks [expect] again).
std::string reproduce_command(std::string_view command, const std::string& scenario_path,
                              const std::vector<std::string>& overrides, std::uint64_t seed) {
  std::string cmd = "herd-sim " + std::string(command) + " " + shell_quote(scenario_path) +
                    " --seed " + std::to_string(seed);
  for (const auto& s : overrides) cmd += " --set " + shell_quote(s);
  return cmd;
}

// One line about a run's message trace; the truncation is said, never left to be noticed.
std::string describe_trace(const MessageTrace* trace) {
  if (!trace) return {};
  std::string note = "trace: " + std::to_string(trace->size()) + " messages recorded";
  if (trace->truncated()) {
    char at[48];
    std::snprintf(at, sizeof at, "%.9f", static_cast<double>(trace->truncated_at_ns()) / 1e9);
    note += "; TRUNCATED at the limit of " + std::to_string(trace->limit()) + " (t=" + at +
            "s): " + std::to_string(trace->unrecorded()) +
            " later messages not recorded (raise [scenario] trace_limit)";
  }
  return note;
}

// One line on how a run asked to use threads used them; nothing for a serial run.
std::string describe_parallel(unsigned asked, const ParallelReport& r, std::uint64_t events) {
  if (asked == 1) return {};
  if (!r.serial_because.empty()) return "threads: ran serially, because " + r.serial_because;
  if (r.threads < 2) return "threads: ran serially (one core, or one server)";
  char line[200];
  std::snprintf(line, sizeof line,
                "threads: %u; %llu windows held %.1f%% of the %llu events, the rest ran one at "
                "a time",
                r.threads, static_cast<unsigned long long>(r.windows),
                events ? 100.0 * static_cast<double>(r.window_events) / static_cast<double>(events)
                       : 0.0,
                static_cast<unsigned long long>(events));
  return line;
}

Outcome simulate(const Scenario& scenario, const std::shared_ptr<const HerdLayout>& layout,
                 const places::OfflineGazetteer* places, bool keep_deliveries, bool quiet,
                 std::unique_ptr<Simulation>* keep = nullptr, std::string label = {},
                 unsigned threads = 1) {
  Progress progress(!quiet, std::move(label));
  SimulationOptions options;
  options.threads = threads;
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
  out.trace_note = describe_trace(sim->trace());
  out.parallel_note = describe_parallel(threads, sim->parallel(), out.counters.events);
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
                "  %.3f s virtual in %.3f s wall (%s), %llu events, %llu peer deliveries\n",
                simulated_s, o.wall_seconds, format_speedup(simulated_s, o.wall_seconds).c_str(),
                static_cast<unsigned long long>(o.counters.events),
                static_cast<unsigned long long>(o.counters.peer_deliveries));
  os << line << "  fingerprint " << hex64(o.fingerprint) << "\n";
  os << "  metric                          value\n";
  for (const auto& [name, value] : summary_metrics(o.summary)) {
    std::snprintf(line, sizeof line, "  %-30s %14s\n", name.c_str(),
                  format_metric(name, value).c_str());
    os << line;
  }
  if (!o.summary.convergence_ns) os << "  convergence_ms                  never converged\n";
  if (!o.trace_note.empty()) os << "  " << o.trace_note << "\n";
  if (!o.parallel_note.empty()) os << "  " << o.parallel_note << "\n";
}

int run_command(const RunOptions& o) {
  Scenario scenario = load_scenario(o.scenario_path, o.overrides);
  if (o.seed) scenario.seed = *o.seed;
  if (o.trace) scenario.trace = true;
  if (o.backend == "live" && scenario.trace) {
    throw std::invalid_argument("--backend live: message traces are recorded by the simulator "
                                "only; drop --trace (or [scenario] trace) for a live run");
  }
  // One copy of the herd for the whole command: the runs share it.
  const std::shared_ptr<const HerdLayout> layout = build_herd_layout(scenario);
  if (o.backend == "live") {
    if (o.verify) {
      throw std::invalid_argument("--verify-determinism: live runs are not deterministic "
                                  "(real time, real sockets); it applies to --backend sim only");
    }
    return run_live_command(scenario, *layout, o.live, o.overrides, o.no_db ? "" : o.db_path,
                            o.summary_only, o.quiet);
  }
  auto places = open_scenario_places(scenario);

  // The simulation is kept only to be stored, and stored before a second run so that two
  // big herds are never in memory at once.
  std::unique_ptr<Simulation> sim;
  Outcome first = simulate(scenario, layout, places.get(), !o.summary_only, o.quiet,
                           o.no_db ? nullptr : &sim, {}, o.threads);
  print_summary(std::cout, scenario, *layout, first);
  std::optional<std::int64_t> run_id;
  if (!o.no_db) {
    ResultsDb db(o.db_path);
    RunRecord record = make_record(o.overrides, first);
    record.trace = sim->trace();
    run_id = db.store_run(scenario, *layout, sim->faults(), sim->metrics(), record);
    sim.reset();
  }

  int status = kExitPassed;
  if (o.verify) {
    Outcome second = simulate(scenario, layout, places.get(), false, o.quiet, nullptr, {},
                              o.threads);
    bool same = first.fingerprint == second.fingerprint &&
                first.counters.events == second.counters.events;
    std::cout << "  determinism: second run fingerprint " << hex64(second.fingerprint)
              << (same ? " (identical)\n" : " (DIFFERENT)\n");
    if (!same) {
      std::cerr << "herd-sim: the two runs differ; reproduce with: "
                << reproduce_command("run", o.scenario_path, o.overrides, scenario.seed)
                << " --verify-determinism\n";
      status = kExitNondeterminism;
    }
  }
  if (run_id) std::cout << "  stored as run " << *run_id << " in " << o.db_path << "\n";
  return status;
}

struct CheckOptions {
  std::vector<std::string> paths;
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  std::string db_path;  // empty: store nothing
  bool verify = false;
  bool summary_only = false;
  bool quiet = false;
  bool require_expect = false;
  std::optional<std::int64_t> seeds;  // --seeds: wins over [expect] seeds
  bool update_golden = false;         // write NAME.golden.toml instead of comparing
  bool trace = false;                 // record every message (stored with --db)
  bool golden = false;                // a scenario without a golden file fails
  std::string junit, json;
  std::string backend = "sim";  // or "live" (docs/live-backend.md)
  LiveRunOptions live;
};

// One per-run expectation over several seeds: it holds when it holds in every seed; the
// actual value names the seeds where it did not.
ExpectationResult across_every_seed(const std::vector<std::vector<ExpectationResult>>& per_seed,
                                    const std::vector<std::uint64_t>& seeds, std::size_t index) {
  ExpectationResult combined = per_seed.front()[index];
  std::string failures;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < per_seed.size(); ++i) {
    const ExpectationResult& e = per_seed[i][index];
    if (e.passed) continue;
    ++failed;
    failures += (failures.empty() ? "" : ", ") + ("seed " + std::to_string(seeds[i]) + ": " + e.actual);
  }
  combined.passed = failed == 0;
  combined.actual = failed == 0 ? "held in all " + std::to_string(seeds.size()) + " seeds"
                                : failures;
  return combined;
}

// Runs one scenario, for each of its seeds, and checks its [expect] (and its golden file);
// every failure to do so becomes an error result, so one broken file does not hide the
// others' results.
CheckResult check_one(const std::filesystem::path& file, const CheckOptions& o, bool labelled) {
  CheckResult r;
  r.file = file.string();
  r.name = file.stem().string();
  std::uint64_t current_seed = 0;
  std::size_t seed_count = 1;
  try {
    Scenario scenario = load_scenario(file, o.overrides);
    if (o.seed) scenario.seed = *o.seed;
    if (o.trace && !o.db_path.empty()) scenario.trace = true;
    r.name = scenario.name;
    r.seed = scenario.seed;
    r.strategy = scenario.strategy;
    seed_count = static_cast<std::size_t>(o.seeds.value_or(scenario.expect.seeds.value_or(1)));
    const std::uint64_t base_seed = scenario.seed;
    current_seed = base_seed;
    const auto reproduce = [&](std::uint64_t seed, std::size_t count) {
      std::string cmd = reproduce_command("check", r.file, o.overrides, seed);
      // The scenario's own `seeds` would run more than the one that failed.
      if (count > 1 || seed_count > 1) {
        cmd += " --seeds " + std::to_string(count);
      }
      if (o.verify) cmd += " --verify-determinism";
      if (o.require_expect) cmd += " --require-expect";
      return cmd;
    };
    r.reproduce = reproduce(base_seed, seed_count);
    const std::shared_ptr<const HerdLayout> layout = build_herd_layout(scenario);
    auto places = open_scenario_places(scenario);
    const bool store = !o.db_path.empty();
    std::vector<Summary> summaries;
    std::vector<std::uint64_t> seeds;
    std::vector<std::vector<ExpectationResult>> per_seed;
    for (std::size_t i = 0; i < seed_count; ++i) {
      current_seed = base_seed + i;
      scenario.seed = current_seed;
      std::unique_ptr<Simulation> sim;
      std::string label = labelled ? scenario.name + ": " : std::string();
      if (seed_count > 1) label += "seed " + std::to_string(current_seed) + ": ";
      LiveOutcome live;
      Outcome run = o.backend == "live"
                        ? run_live_outcome(scenario, *layout, o.live, store && !o.summary_only,
                                           o.quiet, live)
                        : simulate(scenario, layout, places.get(), store && !o.summary_only,
                                   o.quiet, store ? &sim : nullptr, label);
      if (run.trace_note.find("TRUNCATED") != std::string::npos) {
        std::cerr << "herd-sim check: " << label << scenario.name << ": " << run.trace_note << "\n";
      }
      // Stored, and let go, before a --verify-determinism rerun: one herd in memory at once.
      if (store && live.metrics) {
        store_live_run(o.db_path, o.overrides, scenario, *layout, live, run);
      } else if (store) {
        ResultsDb db(o.db_path);
        RunRecord record = make_record(o.overrides, run);
        record.trace = sim->trace();
        (void)db.store_run(scenario, *layout, sim->faults(), sim->metrics(), record);
        sim.reset();
      }
      SeedRun seed_run;
      seed_run.seed = current_seed;
      seed_run.fingerprint = o.backend == "live" ? "live" : hex64(run.fingerprint);
      seed_run.metrics = summary_metrics(run.summary);
      if (o.verify) {
        Outcome second = simulate(scenario, layout, places.get(), false, o.quiet, nullptr, label);
        seed_run.nondeterministic = run.fingerprint != second.fingerprint ||
                                    run.counters.events != second.counters.events;
        r.nondeterministic = r.nondeterministic || seed_run.nondeterministic;
      }
      per_seed.push_back(check_expectations(scenario.expect, run.summary));
      for (const auto& e : per_seed.back()) {
        if (!e.passed) seed_run.failed.push_back(e.name);
      }
      if (i == 0) {
        r.fingerprint = seed_run.fingerprint;
        r.metrics = seed_run.metrics;
      }
      r.wall_seconds += run.wall_seconds;
      r.seeds.push_back(std::move(seed_run));
      summaries.push_back(run.summary);
      seeds.push_back(current_seed);
    }
    if (seed_count == 1) {
      r.expectations = per_seed.front();
    } else {
      for (std::size_t j = 0; j < per_seed.front().size(); ++j) {
        r.expectations.push_back(across_every_seed(per_seed, seeds, j));
      }
    }
    auto across = check_across_seeds(scenario.expect, summaries);
    r.expectations.insert(r.expectations.end(), across.begin(), across.end());

    // Golden results: written, compared, or (without a file) left alone.
    const auto golden_path = golden_path_for(file);
    Golden now;
    now.scenario = scenario.name;
    now.overrides = o.overrides;
    for (const auto& sr : r.seeds) now.runs.push_back({sr.seed, sr.fingerprint, sr.metrics});
    std::error_code exists_error;
    if (o.update_golden) {
      std::ostringstream text;
      write_golden(text, now);
      std::ofstream out(golden_path, std::ios::binary);
      out << text.str();
      if (!out) throw std::runtime_error(golden_path.string() + ": cannot write the golden file");
      r.golden_file = golden_path.string();
      r.golden_updated = true;
    } else if (o.backend != "live" && std::filesystem::exists(golden_path, exists_error)) {
      r.golden_file = golden_path.string();
      r.golden_drift = golden_drift(read_golden(golden_path), now);
      r.expectations.push_back(
          {"golden", "matches " + golden_path.filename().string(),
           r.golden_drift.empty() ? "matches"
                                  : std::to_string(r.golden_drift.size()) +
                                        (r.golden_drift.size() == 1 ? " difference" : " differences"),
           r.golden_drift.empty()});
    } else if (o.golden) {
      r.expectations.push_back({"golden", "a golden file " + golden_path.filename().string(),
                                "none (write one with --update-golden)", false});
    }

    const bool all_passed = std::all_of(r.expectations.begin(), r.expectations.end(),
                                        [](const ExpectationResult& e) { return e.passed; });
    r.status = r.expectations.empty() ? CheckStatus::no_expectations
               : all_passed           ? CheckStatus::passed
                                      : CheckStatus::failed;
    // A failing seed is what to rerun: alone, so the failure is quick to look at.
    if (auto bad = failed_seeds(r); !bad.empty() && seed_count > 1) {
      r.reproduce = reproduce(bad.front(), 1);
    }
  } catch (const LiveRunInterrupted&) {
    throw;  // Ctrl-C ends the whole check, not just this scenario
  } catch (const InvariantViolation& e) {
    // The run broke one of the simulator's invariants: a failed check, like an expectation.
    r.status = CheckStatus::failed;
    std::string what = e.what();
    if (seed_count > 1) what = "seed " + std::to_string(current_seed) + ": " + what;
    r.expectations.push_back({"invariants", "hold throughout the run", what, false});
    if (seed_count > 1 && !r.reproduce.empty()) {
      r.reproduce = reproduce_command("check", r.file, o.overrides, current_seed) + " --seeds 1";
    }
  } catch (const std::exception& e) {
    r.status = CheckStatus::error;
    r.error = e.what();
    // Scenario errors carry their own file:line:col; others get at least the file.
    if (!r.error.starts_with(r.file) && !r.error.starts_with("--set ")) {
      r.error = r.file + ": " + r.error;
    }
  }
  return r;
}

void write_report_file(const std::string& path, const std::string& what,
                       const std::function<void(std::ostream&)>& write) {
  std::ofstream out(path, std::ios::binary);
  if (out) write(out);
  if (!out) throw std::runtime_error(path + ": cannot write the " + what + " report");
}

int check_command(const CheckOptions& o) {
  if (o.trace && o.db_path.empty()) {
    std::cerr << "herd-sim check: --trace: traces are kept only in a database; add --db FILE "
                 "(recording nothing)\n";
  }
  CheckSettings settings;
  settings.require_expect = o.require_expect;
  std::vector<CheckResult> results;
  const auto targets = find_check_targets(o.paths);
  for (const auto& target : targets) {
    if (!target.error.empty()) {
      CheckResult r;
      r.file = target.argument;
      r.name = target.argument;
      r.error = target.error;
      results.push_back(std::move(r));
      continue;
    }
    results.push_back(check_one(target.file, o, targets.size() > 1));
  }
  write_check_table(std::cout, results, settings);
  int code = check_exit_code(results, settings);
  try {
    if (!o.junit.empty()) {
      write_report_file(o.junit, "JUnit",
                        [&](std::ostream& out) { write_junit(out, results, settings); });
    }
    if (!o.json.empty()) {
      write_report_file(o.json, "JSON",
                        [&](std::ostream& out) { write_check_json(out, results, settings); });
    }
  } catch (const std::exception& e) {
    std::cerr << "herd-sim: " << e.what() << "\n";
    code = std::max(code, kExitError);
  }
  return code;
}

// The names faults, links and scripts use. Generated herds name servers s0, s1, ... padded
// to the width of the largest index, which nobody guesses; long lists show their ends.
std::string format_server_names(const std::vector<std::string>& names, bool all) {
  constexpr std::size_t kHead = 24, kTail = 4;
  std::string out = "servers (" + std::to_string(names.size()) + "):";
  const bool cut = !all && names.size() > kHead + kTail + 1;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (cut && i == kHead) {
      out += " ...";
      i = names.size() - kTail;
    }
    out += " " + names[i];
  }
  out += "\n";
  if (cut) out += "  (--names lists all " + std::to_string(names.size()) + ")\n";
  return out;
}

int topo_command(const std::string& source, const std::vector<std::string>& overrides,
                 const std::string& dot_out, bool all_names) {
  FriendGraph graph;
  auto format = graph_format_for(source);
  if (format && !source.ends_with(".toml")) {
    graph = load_graph_file(source);
  } else {
    graph = build_friend_graph(load_scenario(source, overrides));
  }
  std::cout << format_topology_report(graph, topology_stats(graph));
  std::cout << format_server_names(graph.names(), all_names);
  if (!dot_out.empty()) {
    save_dot_file(dot_out, graph);
    std::cout << "wrote " << dot_out << "\n";
  }
  return 0;
}

int report_command(const std::string& db_path) {
  if (!std::filesystem::exists(db_path)) {
    std::cerr << "herd-sim: " << db_path << ": no such results database\n";
    return kExitError;
  }
  ResultsDb db(db_path);
  auto runs = db.runs();
  auto labels = run_labels(db_path);
  char line[1024];
  std::snprintf(line, sizeof line, "%5s  %-32s %8s %5s %-24s %16s %9s %9s %7s %9s  %s\n", "run", "scenario", "seed",
              "kind", "strategy", "fingerprint", "p50 ms", "p99 ms", "reach", "conv ms",
              "overrides");
  std::cout << line;
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
    const RunLabels& label = labels[r.run_id];
    std::string overrides;
    for (const auto& o : label.overrides) {
      overrides += (overrides.empty() ? "" : " ") + ("--set " + shell_quote(o));
    }
    if (overrides.empty()) overrides = "-";
    std::snprintf(line, sizeof line, "%5lld  %-32s %8llu %5s %-24s %16s %9s %9s %7s %9s  ",
                static_cast<long long>(r.run_id), r.scenario.substr(0, 32).c_str(),
                static_cast<unsigned long long>(r.seed), r.backend.c_str(),
                label.strategy.substr(0, 24).c_str(), r.fingerprint.c_str(),
                show("propagation_p50_ms", "%.3f").c_str(), show("propagation_p99_ms", "%.3f").c_str(),
                show("reach_mean", "%.4f").c_str(), show("convergence_ms", "%.1f").c_str());
    std::cout << line << overrides << "\n";  // last and uncut: overrides can be long
  }
  return 0;
}

struct SweepArgs {
  std::string file;
  std::string db = "sweep.db";
  std::string shard = "0/1";
  std::string markdown;
  unsigned jobs = 0;  // 0: every core
  bool append = false;
  bool report_only = false;
  bool quiet = false;
  std::string backend = "sim";  // or "live" (docs/sweeps.md#live-sweeps)
  LiveRunOptions live;
};

// Exit codes: 0 every cell met its [expect] section, 1 one did not, 2 a broken sweep or
// scenario file, a bad option, a database error (thrown, reported by run_cli) or, with
// --report-only, a database lacking some of the sweep's cells.
int sweep_command(const SweepArgs& args) {
  const bool live = args.backend == "live";
  if (live && args.jobs > 1) {
    throw std::invalid_argument("--backend live: a live sweep runs one cell at a time (each "
                                "takes real time, its own processes and ports); drop -j");
  }
  SweepSpec spec = load_sweep(args.file);
  std::vector<SweepCell> cells;
  std::size_t incomplete = 0;
  if (args.report_only) {
    if (!std::filesystem::exists(args.db)) {
      std::cerr << "herd-sim: " << args.db << ": no such results database\n";
      return 2;
    }
    std::size_t missing = 0;
    cells = load_sweep_cells(spec, args.db, missing, args.backend);
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
    if (live) options.live = live_run_options(args.live, args.quiet);
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
  std::string table = sweep_markdown(spec, cells, live);
  std::cout << table;
  if (!args.markdown.empty()) {
    std::ofstream(args.markdown) << table;
    std::cout << "wrote " << args.markdown << "\n";
  }
  if (!args.report_only) {
    std::size_t reused = 0;
    for (const auto& c : cells) reused += c.reused ? 1 : 0;
    std::cout << "sweep " << spec.id << ": stored " << cells.size() - reused
              << (live ? " live runs in " : " runs in ") << args.db;
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
        if (live) cmd += " --backend live";
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

struct ShrinkArgs {
  std::string file;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> overrides;
  std::string output;
  std::size_t max_runs = 5000;
  bool quiet = false;
};

int shrink_command(const ShrinkArgs& args) {
  ShrinkOptions options;
  options.overrides = args.overrides;
  options.seed = args.seed;
  options.max_runs = args.max_runs;
  if (!args.quiet) {
    options.progress = [](const std::string& what) {
      std::cerr << "[herd-sim shrink] " << what << "\n";
    };
  }
  ShrinkResult result = shrink_scenario(args.file, options);
  if (!result.failed) {
    std::cout << args.file << ": passes (no expectation failed, no invariant broken); "
              << "nothing to shrink\n";
    return 0;
  }
  std::filesystem::path out = args.output;
  if (out.empty()) {
    std::filesystem::path in(args.file);
    out = in.parent_path() / (in.stem().string() + ".shrunk.toml");
  }
  {
    std::ofstream file(out, std::ios::binary);
    file << result.toml;
    if (!file) throw std::runtime_error(out.string() + ": cannot write the shrunk scenario");
  }
  std::cout << args.file << " fails: " << result.failure << "\n"
            << "shrunk from " << result.events_before << " to " << result.events_after
            << " events (" << result.faults_after << " faults, " << result.commands_after
            << " client commands) in " << result.runs << " runs"
            << (result.exhausted ? " (run budget spent: a smaller one may exist)" : "") << "\n"
            << "still fails: " << result.final_failure << "\n"
            << "wrote " << out.string() << "; rerun it with: herd-sim check " << out.string()
            << "\n";
  return 0;
}

constexpr const char* kExitCodes =
    "Exit codes: 0 all passed (scenarios without [expect] too, unless --require-expect); "
    "1 an expectation failed (in any seed, or across seeds), the run broke an invariant or "
    "drifted from its golden file (or a scenario had no [expect] under --require-expect, or "
    "no golden file under --golden); "
    "2 usage error or a file that cannot be used (missing, not a scenario, parse or "
    "scenario error, report not writable); 3 --verify-determinism found two different runs. "
    "When several apply, the highest wins.";

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"herd-sim: deterministic virtual-time simulation of server herds"};
  app.require_subcommand(1);
  // CLI11 prints the version string as given; the newline is ours to add.
  app.set_version_flag("--version", std::string("herd-sim ") + HERD_VERSION);
  app.footer(kExitCodes);

  RunOptions run_options;
  auto* run = app.add_subcommand("run", "Run a scenario, print its summary, store it");
  run->add_option("scenario", run_options.scenario_path, "Scenario file (TOML)")->required();
  // Each --set takes one value, so `--set k=v file.toml` leaves the file to the positional.
  run->add_option("--set", run_options.overrides, "Override a scenario field: key=value")
      ->allow_extra_args(false);
  run->add_option("--seed", run_options.seed, "Override the scenario's seed");
  run->add_option("--db", run_options.db_path, "Results database (SQLite)")->capture_default_str();
  run->add_flag("--no-db", run_options.no_db, "Do not store the run");
  run->add_flag("--verify-determinism", run_options.verify,
                "Run twice and compare fingerprints (exit 3 if they differ)");
  run->add_flag("--summary-only", run_options.summary_only,
                "Store summaries, not per-(update, server) rows (large herds)");
  run->add_flag("-q,--quiet", run_options.quiet, "No progress on stderr");
  run->add_option("--threads", run_options.threads,
                  "Threads for the run, 0 for one per core (docs/performance.md#one-run-on-many-"
                  "cores); the results are the serial run's, bit for bit")
      ->capture_default_str();
  run->add_flag("--trace", run_options.trace,
                "Record every peer and client message into the database's messages table "
                "(as [scenario] trace = true; docs/traces.md)");
  run->add_option("--backend", run_options.backend,
                  "sim: virtual time (default); live: real herd-server processes on loopback, "
                  "in real time (docs/live-backend.md)")
      ->check(CLI::IsMember({"sim", "live"}))
      ->capture_default_str();
  add_live_options(run, run_options.live);

  CheckOptions check_options;
  bool check_no_db = false;
  auto* check = app.add_subcommand(
      "check",
      "Run scenarios and check their [expect] sections (over several seeds with --seeds or "
      "[expect] seeds) and their golden results (NAME.golden.toml beside NAME.toml, written "
      "by --update-golden): one table row per scenario (pass, FAIL, no-expect, error), a "
      "reproducing command for each failure");
  check
      ->add_option("paths", check_options.paths,
                   "Scenario files, folders (every *.toml below them that has a [scenario] "
                   "table; herd configs and sweep files are skipped) and quoted globs")
      ->required();
  check
      ->add_option("--set", check_options.overrides,
                   "Override a field in every scenario: key=value (repeat for more)")
      ->allow_extra_args(false);
  check->add_option("--seed", check_options.seed, "Override every scenario's seed");
  check
      ->add_option("--seeds", check_options.seeds,
                   "Run each scenario for N seeds: its seed (or --seed) and the next N-1; "
                   "per-run expectations must hold in every seed, [expect.across_seeds] takes "
                   "quantiles over them (overrides [expect] seeds)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
  auto* update_golden = check->add_flag("--update-golden", check_options.update_golden,
                  "Write NAME.golden.toml beside each scenario: its summary metrics and "
                  "fingerprint per seed (no comparison this time)");
  check->add_flag("--golden", check_options.golden,
                  "A scenario without a golden file fails (exit 1); with one, every check "
                  "compares against it anyway and fails on any drift (values and fingerprints compared "
                  "exactly: runs are deterministic)")
      ->excludes(update_golden);
  check->add_flag("--require-expect", check_options.require_expect,
                  "A scenario without [expect] fails (exit 1) instead of being reported only");
  check->add_option("--junit", check_options.junit,
                    "Write a JUnit XML report here (a testcase per scenario)");
  check->add_option("--json", check_options.json, "Write a JSON report here");
  check->add_option("--db", check_options.db_path,
                    "Also store the runs in this results database (default: store nothing)");
  check->add_flag("--no-db", check_no_db, "Store nothing (the default; kept for old scripts)");
  check->add_flag("--verify-determinism", check_options.verify,
                  "Run each scenario twice and compare fingerprints (exit 3 if they differ)");
  check->add_flag("--summary-only", check_options.summary_only,
                  "With --db: store summaries, not per-(update, server) rows");
  check->add_flag("-q,--quiet", check_options.quiet, "No progress on stderr");
  check->add_flag("--trace", check_options.trace,
                  "Record every message of each run (stored with --db; docs/traces.md)");
  check->add_option("--backend", check_options.backend,
                    "sim: virtual time (default); live: real herd-server processes, in real "
                    "time (docs/live-backend.md); golden files are not compared on live runs")
      ->check(CLI::IsMember({"sim", "live"}))
      ->capture_default_str();
  add_live_options(check, check_options.live);
  check->footer(kExitCodes);

  std::string topo_source, dot_out;
  std::vector<std::string> topo_overrides;
  bool topo_names = false;
  auto* topo = app.add_subcommand("topo", "Describe a friend graph (scenario or graph file)");
  topo->add_option("source", topo_source, "Scenario (.toml) or graph file (.dot .gml .txt)")
      ->required();
  topo->add_option("--set", topo_overrides, "Override a scenario field: key=value")
      ->allow_extra_args(false);
  topo->add_option("--dot", dot_out, "Also write the graph as GraphViz DOT");
  topo->add_flag("--names", topo_names, "List every server's name (long lists are cut)");

  ShrinkArgs shrink_args;
  auto* shrink = app.add_subcommand(
      "shrink", "Reduce a failing scenario to the few client commands and faults that fail it");
  shrink->add_option("scenario", shrink_args.file, "Scenario file (TOML) that fails")->required();
  shrink->add_option("--seed", shrink_args.seed, "Use this seed instead of the scenario's");
  shrink->add_option("--set", shrink_args.overrides, "Override a scenario field: key=value")
      ->allow_extra_args(false);
  shrink->add_option("-o,--output", shrink_args.output,
                     "Where to write the shrunk scenario (default: NAME.shrunk.toml beside it)");
  shrink->add_option("--max-runs", shrink_args.max_runs, "Simulations to spend at most")
      ->capture_default_str();
  shrink->add_flag("-q,--quiet", shrink_args.quiet, "No progress on stderr");
  shrink->footer(
      "Exit codes: 0 the scenario failed and a shrunk scenario was written, or it passed and "
      "there was nothing to shrink (the output says which); 2 usage or scenario error.");

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
  sweep->add_option("-j,--jobs", sweep_args.jobs,
                    "Worker threads (default: every core); results do not depend on it");
  sweep->add_flag("--append", sweep_args.append,
                  "Run and store cells the database already holds for this sweep again");
  sweep->add_flag("--report-only", sweep_args.report_only,
                  "Run nothing: table, chart and expectations from the cells in --db");
  sweep->add_flag("-q,--quiet", sweep_args.quiet, "No progress on stderr");
  sweep->add_option("--backend", sweep_args.backend,
                    "sim: virtual time (default); live: every cell on real herd-server "
                    "processes, one at a time (docs/sweeps.md#live-sweeps)")
      ->check(CLI::IsMember({"sim", "live"}))
      ->capture_default_str();
  add_live_options(sweep, sweep_args.live);

  std::string merge_out;
  std::vector<std::string> merge_inputs;
  auto* merge = app.add_subcommand("merge", "Join results databases (e.g. sweep shards) into one");
  merge->add_option("out", merge_out, "Output database (created if missing)")->required();
  merge->add_option("inputs", merge_inputs, "Databases to copy in, in order")->required();

  TraceCommand trace(app);  // trace_export.cpp
  CLI::App* compare = nullptr;
  const auto run_compare = add_compare_command(app, compare);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // Help and --version succeed; every usage error is exit 2, whatever CLI11's own code.
    return code == 0 ? 0 : kExitError;
  }
  try {
    if (*run) return run_command(run_options);
    if (*check) {
      if (check_options.backend == "live" &&
          (check_options.verify || check_options.update_golden || check_options.golden)) {
        throw std::invalid_argument("--backend live: live runs are not deterministic; "
                                    "--verify-determinism, --golden and --update-golden apply "
                                    "to --backend sim only");
      }
      if (check_options.backend == "live" && check_options.trace) {
        throw std::invalid_argument("--backend live: message traces are recorded by the "
                                    "simulator only; drop --trace");
      }
      return check_command(check_options);
    }
    if (*topo) return topo_command(topo_source, topo_overrides, dot_out, topo_names);
    if (*report) return report_command(report_db);
    if (*shrink) return shrink_command(shrink_args);
    if (*sweep) return sweep_command(sweep_args);
    if (*merge) return merge_command(merge_out, merge_inputs);
    if (*compare) return run_compare();
    if (trace.selected()) return trace.run();
  } catch (const std::bad_alloc&) {
    std::cout.flush();
    std::cerr << "herd-sim: out of memory"
              << (*run ? " running " + run_options.scenario_path : std::string())
              << " (a smaller herd or workload, a coarser scenario.sample_every or "
                 "--summary-only needs less)\n";
    return kExitError;
  } catch (const LiveRunInterrupted& e) {
    std::cout.flush();
    std::cerr << "herd-sim: live run " << e.what() << "; its servers and files are gone\n";
    return 128 + e.signal;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "herd-sim: " << e.what() << "\n";
    return kExitError;
  }
  return 0;
}

}  // namespace herd::sim
