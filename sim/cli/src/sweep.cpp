#include "herd/sim/sweep.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "herd/places/offline_gazetteer.hpp"
#include "herd/sim/herd_builder.hpp"
#include "herd/sim/live_runner.hpp"
#include "herd/sim/results_db.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/simulation.hpp"

#ifndef HERD_VERSION
#define HERD_VERSION "unknown"
#endif

namespace herd::sim {
namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const toml::source_region& where,
                       const std::string& what) {
  throw std::runtime_error(file.string() + ":" + std::to_string(where.begin.line) + ":" +
                           std::to_string(where.begin.column) + ": " + what);
}

const toml::array& array_at(const std::filesystem::path& file, const toml::table& t,
                            const char* key) {
  const toml::node* node = t.get(key);
  if (!node) fail(file, t.source(), std::string("[sweep] needs `") + key + "`");
  const toml::array* a = node->as_array();
  if (!a || a->empty()) fail(file, node->source(), std::string("sweep.") + key + ": expected a non-empty array");
  return *a;
}

std::string fixed(double v, int decimals) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

struct Range {
  double sum = 0, min = 0, max = 0;
  int n = 0;
  void add(double v) {
    min = n ? std::min(min, v) : v;
    max = n ? std::max(max, v) : v;
    sum += v;
    ++n;
  }
  [[nodiscard]] double mean() const { return n ? sum / n : 0; }
};

struct Aggregate {
  std::string scenario, variant;
  double reach = 0, rmr = 0, ldh = 0, p50 = 0, payload = 0, bytes = 0, lost = 0,
         in_flight = 0, convergence = 0;
  Range p99, lines;
  int runs = 0, converged = 0;
};

std::vector<Aggregate> aggregate(const SweepSpec& spec, const std::vector<SweepCell>& cells) {
  std::vector<Aggregate> rows;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const auto& c : cells) {
    auto key = std::make_pair(c.scenario, c.variant);
    auto [it, fresh] = index.emplace(key, rows.size());
    if (fresh) {
      Aggregate a;
      a.scenario = c.scenario;
      a.variant = c.variant;
      rows.push_back(std::move(a));
    }
    Aggregate& a = rows[it->second];
    const Summary& s = c.summary;
    ++a.runs;
    const double updates = s.updates ? static_cast<double>(s.updates) : 1.0;
    a.reach += s.reach_mean;
    a.rmr += s.rmr;
    a.ldh += s.ldh_max;
    a.p50 += static_cast<double>(s.propagation.p50_ns) / 1e6;
    a.p99.add(static_cast<double>(s.propagation.p99_ns) / 1e6);
    a.lines.add(s.messages_per_update);
    a.payload += static_cast<double>(s.peer_messages) / updates;
    a.bytes += static_cast<double>(s.peer_bytes) / updates;
    a.lost += static_cast<double>(s.lost_updates);
    a.in_flight += static_cast<double>(s.in_flight_updates);
    if (s.convergence_ns) {
      ++a.converged;
      a.convergence += static_cast<double>(*s.convergence_ns) / 1e6;
    }
  }
  for (auto& a : rows) {
    double n = a.runs;
    a.reach /= n, a.rmr /= n, a.ldh /= n, a.p50 /= n, a.payload /= n, a.bytes /= n;
    a.lost /= n, a.in_flight /= n;
    if (a.converged) a.convergence /= a.converged;
  }
  // Sweep order: scenarios as listed, variants as listed.
  auto variant_rank = [&](const std::string& label) {
    for (std::size_t i = 0; i < spec.variants.size(); ++i) {
      if (spec.variants[i].label == label) return i;
    }
    return spec.variants.size();
  };
  std::vector<std::string> scenario_order;
  for (const auto& c : cells) {
    if (std::find(scenario_order.begin(), scenario_order.end(), c.scenario) == scenario_order.end()) {
      scenario_order.push_back(c.scenario);
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const Aggregate& x, const Aggregate& y) {
    auto sx = std::find(scenario_order.begin(), scenario_order.end(), x.scenario);
    auto sy = std::find(scenario_order.begin(), scenario_order.end(), y.scenario);
    if (sx != sy) return sx < sy;
    return variant_rank(x.variant) < variant_rank(y.variant);
  });
  return rows;
}


std::string read_bytes(const std::filesystem::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot read " + what);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// FNV-1a, 64 bits: a content hash that is the same on every machine and every build.
void fnv1a(std::uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
}

// One cell of the grid, with the scenario it runs (variant overrides applied, seed set).
struct PlannedCell {
  std::size_t index = 0;  // in the whole grid
  const Scenario* base = nullptr;
  const SweepVariant* variant = nullptr;
  std::filesystem::path path;
  std::uint64_t seed = 0;
};

// Loads every (scenario, variant) once, up front: a broken scenario fails the sweep before
// anything runs.
std::vector<Scenario> load_bases(const SweepSpec& spec) {
  std::vector<Scenario> bases;
  bases.reserve(spec.scenarios.size() * spec.variants.size());
  for (const auto& path : spec.scenarios) {
    for (const auto& variant : spec.variants) bases.push_back(load_scenario(path, variant.overrides));
    // Cells are stored and grouped by scenario name: two files of one name would mix.
    for (std::size_t i = 0; i + spec.variants.size() < bases.size(); i += spec.variants.size()) {
      if (bases[i].name == bases.back().name) {
        throw std::runtime_error(spec.source.string() + ": sweep.scenarios: " + bases[i].source_path +
                                 " and " + path.string() + " are both named `" + bases.back().name +
                                 "`; a sweep needs scenarios of different names");
      }
    }
  }
  return bases;
}

std::vector<PlannedCell> plan(const SweepSpec& spec, const std::vector<Scenario>& bases) {
  std::vector<PlannedCell> cells;
  std::size_t index = 0;
  for (std::size_t sc = 0; sc < spec.scenarios.size(); ++sc) {
    for (std::size_t v = 0; v < spec.variants.size(); ++v) {
      for (std::uint64_t seed : spec.seeds) {
        cells.push_back({index++, &bases[sc * spec.variants.size() + v], &spec.variants[v],
                         spec.scenarios[sc], seed});
      }
    }
  }
  return cells;
}

SweepCell cell_of(const PlannedCell& p) {
  SweepCell cell;
  cell.scenario = p.base->name;
  cell.variant = p.variant->label;
  cell.seed = p.seed;
  cell.scenario_path = p.path;
  cell.overrides = p.variant->overrides;
  return cell;
}

using CellKey = std::tuple<std::string, std::string, std::uint64_t>;  // variant, scenario, seed

// The newest stored run of each cell of a sweep.
std::map<CellKey, StoredSweepCell> stored_cells(const ResultsDb& db, const std::string& sweep_id,
                                                const std::string& backend) {
  std::map<CellKey, StoredSweepCell> by_key;
  for (auto& c : db.sweep_cells(sweep_id, backend)) {
    CellKey key{c.variant, c.scenario, c.seed};
    by_key[key] = std::move(c);
  }
  return by_key;
}

void reuse(SweepCell& cell, const StoredSweepCell& stored) {
  cell.summary = stored.summary;
  cell.fingerprint = std::stoull(stored.fingerprint.empty() ? "0" : stored.fingerprint, nullptr, 16);
  cell.run_id = stored.run_id;
  cell.reused = true;
}

// One simulated cell, kept until the main thread has stored it.
struct Work {
  Scenario scenario;
  std::unique_ptr<places::OfflineGazetteer> places;
  std::unique_ptr<Simulation> sim;
  std::exception_ptr error;
  bool ready = false;
};

void simulate(const PlannedCell& p, Work& w) {
  w.scenario = *p.base;
  w.scenario.seed = p.seed;
  HerdLayout layout = layout_of(build_friend_graph(w.scenario));
  w.places = open_scenario_places(w.scenario);
  SimulationOptions sim_options;
  sim_options.keep_deliveries = false;
  sim_options.places = w.places.get();
  w.sim = std::make_unique<Simulation>(w.scenario, std::move(layout), sim_options);
  w.sim->run();
}

// One live cell, run and stored on the calling thread (live runs take real time, ports and
// cores: one at a time).
void run_live_cell(const PlannedCell& p, const SweepSpec& spec, const LiveRunOptions& options,
                   ResultsDb* db, SweepCell& cell) {
  Scenario scenario = *p.base;
  scenario.seed = p.seed;
  if (scenario.trace) {
    throw std::invalid_argument(p.path.string() + ": [scenario] trace: message traces are "
                                "recorded by the simulator only; a live sweep cannot keep one");
  }
  const HerdLayout layout = layout_of(build_friend_graph(scenario));
  LiveRunOptions live = options;
  live.keep_deliveries = false;
  const LiveOutcome out = run_live(scenario, layout, live);
  cell.summary = out.metrics->summarize();
  cell.fingerprint = 0;
  if (!db) return;
  RunRecord record;
  record.backend = "live";
  record.herd_version = HERD_VERSION;
  record.sweep_id = spec.id;
  record.variant = cell.variant;
  record.overrides = cell.overrides;
  record.wall_seconds = out.counters.wall_seconds;
  record.events = out.counters.observations;
  record.peer_deliveries = out.counters.peer_deliveries;
  record.peer_dropped = out.counters.peer_dropped;
  record.client_commands = out.counters.client_commands;
  record.drained_ns = out.counters.drained_ns;
  cell.run_id = db->store_run(scenario, layout, out.faults, *out.metrics, record);
}

}  // namespace

SweepSpec load_sweep(const std::filesystem::path& file) {
  toml::table doc;
  try {
    doc = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    fail(file, e.source(), std::string("TOML syntax error: ") + std::string(e.description()));
  }
  const toml::table* sweep = doc["sweep"].as_table();
  if (!sweep) throw std::runtime_error(file.string() + ": a sweep file needs a [sweep] table");
  for (const auto& [key, node] : *sweep) {
    if (key != "name" && key != "scenarios" && key != "seeds" && key != "variants" && key != "expect") {
      fail(file, node.source(), "unknown key `" + std::string(key.str()) +
                                    "` in [sweep]; expected name, scenarios, seeds, variants, expect");
    }
  }
  SweepSpec spec;
  spec.source = file;
  spec.name = sweep->get_as<std::string>("name") ? sweep->get_as<std::string>("name")->get()
                                                 : file.stem().string();
  if (const toml::node* expect = sweep->get("expect")) {
    if (!expect->as_boolean()) fail(file, expect->source(), "sweep.expect: expected true or false");
    spec.expect = expect->as_boolean()->get();
  }
  for (const auto& node : array_at(file, *sweep, "scenarios")) {
    const auto* path = node.as_string();
    if (!path) fail(file, node.source(), "sweep.scenarios: expected file names");
    spec.scenarios.push_back(file.parent_path() / path->get());
  }
  for (const auto& node : array_at(file, *sweep, "seeds")) {
    const auto* seed = node.as_integer();
    if (!seed || seed->get() < 0) fail(file, node.source(), "sweep.seeds: expected non-negative integers");
    spec.seeds.push_back(static_cast<std::uint64_t>(seed->get()));
  }
  for (const auto& node : array_at(file, *sweep, "variants")) {
    const auto* t = node.as_table();
    if (!t) fail(file, node.source(), "sweep.variants: expected tables with label and set");
    SweepVariant v;
    for (const auto& [key, value] : *t) {
      if (key == "label" && value.as_string()) {
        v.label = value.as_string()->get();
      } else if (key == "expect" && value.as_boolean()) {
        v.expect = value.as_boolean()->get();
      } else if (key == "set" && value.as_array()) {
        for (const auto& s : *value.as_array()) {
          if (!s.as_string()) fail(file, s.source(), "sweep.variants.set: expected key=value strings");
          v.overrides.push_back(s.as_string()->get());
        }
      } else {
        fail(file, value.source(), "sweep.variants: unknown or mistyped key `" + std::string(key.str()) +
                                       "`; expected label (string), set (array of key=value) and expect (boolean)");
      }
    }
    if (v.label.empty()) fail(file, node.source(), "sweep.variants: every variant needs a label");
    for (const auto& other : spec.variants) {
      if (other.label == v.label) {
        fail(file, node.source(), "sweep.variants: two variants are labelled `" + v.label +
                                      "`; labels name a variant's rows and must differ");
      }
    }
    spec.variants.push_back(std::move(v));
  }
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  fnv1a(hash, read_bytes(file, "sweep file"));
  for (const auto& path : spec.scenarios) {
    fnv1a(hash, std::string_view("\0", 1));
    fnv1a(hash, read_bytes(path, "scenario file (listed in sweep.scenarios)"));
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  spec.id = spec.name + "@" + hex;
  return spec;
}

std::vector<SweepCell> run_sweep(const SweepSpec& spec, const SweepOptions& options) {
  if (options.shards == 0 || options.shard >= options.shards) {
    throw std::invalid_argument("sweep: shard must be i/N with 0 <= i < N");
  }
  const std::vector<Scenario> bases = load_bases(spec);
  if (options.live) {
    // Refused before anything runs, like a broken file.
    for (const auto& base : bases) {
      const auto problems = live_unsupported(base);
      if (problems.empty()) continue;
      std::string text = base.source_path + ": this scenario cannot run on the live backend:";
      for (const auto& p : problems) text += "\n  " + p;
      throw LiveRunError(text);
    }
  }
  std::vector<PlannedCell> mine;
  for (const auto& p : plan(spec, bases)) {
    if (p.index % options.shards == options.shard) mine.push_back(p);
  }
  std::unique_ptr<ResultsDb> db;
  std::map<CellKey, StoredSweepCell> stored;
  if (!options.db.empty()) {
    db = std::make_unique<ResultsDb>(options.db);
    if (!options.append) stored = stored_cells(*db, spec.id, options.live ? "live" : "sim");
  }
  std::vector<SweepCell> cells;
  std::vector<std::size_t> to_run;  // positions in `mine`
  for (std::size_t i = 0; i < mine.size(); ++i) {
    cells.push_back(cell_of(mine[i]));
    auto it = stored.find(CellKey{cells.back().variant, cells.back().scenario, cells.back().seed});
    if (it != stored.end()) {
      reuse(cells.back(), it->second);
    } else {
      to_run.push_back(i);
    }
  }

  // Workers simulate cells in any order; this thread stores them in cell order, so the
  // database (one connection, one thread) and everything computed from it do not depend on
  // the number of jobs. A worker runs at most 2 x jobs cells ahead of the one stored next.
  const std::size_t wanted = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  const std::size_t jobs =
      options.live ? 1 : std::max<std::size_t>(1, std::min(wanted, to_run.size()));
  std::vector<Work> work(to_run.size());
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t next = 0, stored_upto = 0;
  bool stop = false;
  auto worker = [&] {
    for (;;) {
      std::size_t k;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || next >= to_run.size() || next < stored_upto + 2 * jobs; });
        if (stop || next >= to_run.size()) return;
        k = next++;
      }
      Work w;
      try {
        simulate(mine[to_run[k]], w);
      } catch (...) {
        w.error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex);
        w.ready = true;
        work[k] = std::move(w);
      }
      changed.notify_all();
    }
  };
  std::vector<std::thread> threads;
  struct Joiner {
    std::vector<std::thread>& threads;
    std::mutex& mutex;
    std::condition_variable& changed;
    bool& stop;
    ~Joiner() {
      {
        std::lock_guard lock(mutex);
        stop = true;
      }
      changed.notify_all();
      for (auto& t : threads) t.join();
    }
  } joiner{threads, mutex, changed, stop};
  if (jobs > 1) {
    for (std::size_t t = 0; t < jobs; ++t) threads.emplace_back(worker);
  }

  std::size_t k = 0;  // next cell to run, in to_run
  for (std::size_t i = 0; i < mine.size(); ++i) {
    SweepCell& cell = cells[i];
    if (!cell.reused && options.live) {
      run_live_cell(mine[i], spec, *options.live, db.get(), cell);
    } else if (!cell.reused) {
      Work w;
      if (threads.empty()) {
        try {
          simulate(mine[i], w);
        } catch (...) {
          w.error = std::current_exception();
        }
      } else {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return work[k].ready; });
        w = std::move(work[k]);
      }
      if (w.error) std::rethrow_exception(w.error);
      const Simulation& sim = *w.sim;
      cell.summary = sim.metrics().summarize();
      cell.fingerprint = sim.fingerprint();
      if (db) {
        RunRecord record;
        record.herd_version = HERD_VERSION;  // was "sweep:name:variant" before sweep_id existed
        record.sweep_id = spec.id;
        record.variant = cell.variant;
        record.overrides = cell.overrides;
        record.fingerprint = cell.fingerprint;
        record.events = sim.counters().events;
        record.peer_deliveries = sim.counters().peer_deliveries;
        record.peer_dropped = sim.counters().peer_dropped;
        record.client_commands = sim.counters().client_commands;
        record.drained_ns = sim.counters().drained_ns;
        record.trace = sim.trace();  // [scenario] trace = true in a swept scenario
        cell.run_id = db->store_run(w.scenario, sim.layout(), sim.faults(), sim.metrics(), record);
      }
      {
        std::lock_guard lock(mutex);
        stored_upto = ++k;
      }
      changed.notify_all();
    }
    if (mine[i].variant->expect.value_or(spec.expect)) {
      cell.expectations = check_expectations(mine[i].base->expect, cell.summary);
    }
    if (options.on_cell) options.on_cell(cell, i + 1, mine.size());
  }
  return cells;
}

std::vector<SweepCell> load_sweep_cells(const SweepSpec& spec, const std::filesystem::path& db_path,
                                        std::size_t& missing, const std::string& backend) {
  const std::vector<Scenario> bases = load_bases(spec);
  ResultsDb db(db_path);
  auto stored = stored_cells(db, spec.id, backend);
  std::vector<SweepCell> cells;
  missing = 0;
  for (const auto& p : plan(spec, bases)) {
    SweepCell cell = cell_of(p);
    auto it = stored.find(CellKey{cell.variant, cell.scenario, cell.seed});
    if (it == stored.end()) {
      ++missing;
      continue;
    }
    reuse(cell, it->second);
    if (p.variant->expect.value_or(spec.expect)) {
      cell.expectations = check_expectations(p.base->expect, cell.summary);
    }
    cells.push_back(std::move(cell));
  }
  return cells;
}

std::vector<std::string> sweep_failures(const std::vector<SweepCell>& cells) {
  std::vector<std::string> lines;
  for (const auto& c : cells) {
    for (const auto& e : c.expectations) {
      if (e.passed) continue;
      lines.push_back(c.scenario + " / " + c.variant + " / seed " + std::to_string(c.seed) +
                      ": expect " + e.name + " " + e.expected + ", got " + e.actual);
    }
  }
  return lines;
}

std::string sweep_markdown(const SweepSpec& spec, const std::vector<SweepCell>& cells, bool live) {
  std::ostringstream md;
  auto spread = [](const Range& r, int digits) {
    return r.min == r.max ? fixed(r.mean(), digits)
                          : fixed(r.mean(), digits) + " (" + fixed(r.min, digits) + "–" +
                                fixed(r.max, digits) + ")";
  };
  md << "| scenario | strategy | reach | lost | RMR | LDH | p50 ms | p99 ms | lines/update | "
        "updates carried/update | bytes/update | convergence ms |\n"
     << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& a : aggregate(spec, cells)) {
    std::string convergence =
        a.converged == a.runs ? fixed(a.convergence, 0)
                              : (a.converged ? fixed(a.convergence, 0) + " (" + std::to_string(a.converged) +
                                                   "/" + std::to_string(a.runs) + " runs)"
                                             : "never");
    md << "| " << a.scenario << " | " << a.variant << " | " << fixed(a.reach, 4) << " | "
       << fixed(a.lost, 1) << " | " << fixed(a.rmr, 2) << " | " << fixed(a.ldh, 1) << " | "
       << fixed(a.p50, 1) << " | " << spread(a.p99, 1) << " | " << spread(a.lines, 1) << " | "
       << fixed(a.payload, 1) << " | " << fixed(a.bytes, 0) << " | " << convergence << " |\n";
  }
  md << (live ? "\nLive runs: real herd-server processes on loopback, in real time "
                "(docs/live-backend.md); timing figures vary from run to run. Means over seeds"
              : "\nMeans over seeds");
  for (std::size_t i = 0; i < spec.seeds.size(); ++i) md << (i ? ", " : " ") << spec.seeds[i];
  md << ", with (min–max) across seeds where they differ. Reach is over servers live at the "
        "end; lost counts updates some live server lacks after the drain. Lines/update counts "
        "every peer line but greetings (AT, IHAVE, GRAFT, PRUNE, KNEW and every AE line); "
        "updates carried/update only the lines that carry an update (AT, AE PUSH). "
        "RMR = lines / Σ(holders − 1) − 1 over the run; LDH is the largest last-delivery hop "
        "count. docs/metrics.md defines each.\n";
  return md.str();
}

}  // namespace herd::sim
