#include "herd/sim/shrink.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "herd/sim/expectations.hpp"
#include "herd/sim/herd_builder.hpp"
#include "herd/sim/scenario_file.hpp"
#include "herd/sim/scenario_toml.hpp"

namespace herd::sim {
namespace {

struct Command {
  Nanoseconds at_ns = 0;
  std::string server;
  std::string line;
};

// How a run ended, as far as shrinking cares.
struct Verdict {
  bool failed = false;
  std::vector<std::string> failed_checks;  // expectation names, or "invariants"
  std::string description;
};

Verdict judge(const Scenario& scenario, const std::shared_ptr<const HerdLayout>& layout,
              SimulationOptions options,
              std::vector<Command>* commands = nullptr,
              std::vector<FaultSpec>* faults = nullptr) {
  if (commands) {
    options.on_client_command = [&](Nanoseconds at, std::uint32_t server,
                                    const std::string& line) {
      commands->push_back(Command{at, layout->names[server], line});
    };
  }
  options.progress = nullptr;
  options.keep_deliveries = false;
  options.trace = false;  // thousands of runs, none stored
  Verdict v;
  Simulation sim(scenario, layout, options);
  try {
    sim.run();
  } catch (const InvariantViolation& e) {
    v.failed = true;
    v.failed_checks = {"invariants"};
    v.description = e.what();
    if (faults) *faults = sim.faults();
    return v;
  }
  if (faults) *faults = sim.faults();
  for (const auto& r : check_expectations(scenario.expect, sim.metrics().summarize())) {
    if (r.passed) continue;
    v.failed = true;
    v.failed_checks.push_back(r.name);
    if (!v.description.empty()) v.description += "; ";
    v.description += r.name + " " + r.expected + ": " + r.actual;
  }
  return v;
}

// The same failure: one of the checks that failed first fails again.
bool same_failure(const Verdict& original, const Verdict& now) {
  if (!now.failed) return false;
  for (const auto& name : now.failed_checks) {
    if (std::find(original.failed_checks.begin(), original.failed_checks.end(), name) !=
        original.failed_checks.end()) {
      return true;
    }
  }
  return false;
}

toml::array names(const std::vector<std::string>& list) {
  toml::array out;
  for (const auto& n : list) out.push_back(n);
  return out;
}

// A fault as a [[faults]] entry. Faults of the file itself are copied from it (every kind,
// distributions included); random ones are crashes, pauses and partitions.
toml::table fault_table(const FaultSpec& f, const toml::array* file_faults, std::size_t index) {
  if (f.origin != "random" && file_faults && index < file_faults->size()) {
    if (const auto* original = file_faults->get(index)->as_table()) return *original;
  }
  toml::table t;
  t.insert("at", format_duration(f.at_ns));
  if (f.duration_ns > 0) t.insert("for", format_duration(f.duration_ns));
  switch (f.kind) {
    case FaultSpec::Kind::crash:
      t.insert("crash", names(f.servers));
      t.insert("amnesia", f.amnesia);
      break;
    case FaultSpec::Kind::pause:
      t.insert("pause", names(f.servers));
      break;
    case FaultSpec::Kind::partition: {
      toml::array groups;
      for (const auto& g : f.groups) groups.push_back(names(g));
      t.insert("partition", std::move(groups));
      break;
    }
    default:
      throw std::logic_error("shrink: a random fault of an unexpected kind");
  }
  return t;
}

// Zeller's ddmin: a subset of `items` (indices) that still fails, 1-minimal unless the run
// budget ran out.
std::vector<std::size_t> ddmin(std::vector<std::size_t> items,
                               const std::function<bool(const std::vector<std::size_t>&)>& fails,
                               const std::function<bool()>& exhausted) {
  std::size_t n = 2;
  while (items.size() >= 2 && !exhausted()) {
    const std::size_t chunk = (items.size() + n - 1) / n;
    bool reduced = false;
    // Try each chunk alone, then each complement.
    for (std::size_t start = 0; start < items.size() && !exhausted(); start += chunk) {
      std::vector<std::size_t> part(items.begin() + static_cast<std::ptrdiff_t>(start),
                                    items.begin() + static_cast<std::ptrdiff_t>(
                                                        std::min(items.size(), start + chunk)));
      if (fails(part)) {
        items = std::move(part);
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (std::size_t start = 0; start < items.size() && !exhausted(); start += chunk) {
        std::vector<std::size_t> rest(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(start));
        rest.insert(rest.end(),
                    items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), start + chunk)),
                    items.end());
        if (fails(rest)) {
          items = std::move(rest);
          n = std::max<std::size_t>(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= items.size()) break;
      n = std::min(items.size(), n * 2);
    }
  }
  // Last pass: drop single items one at a time (cheap once the set is small).
  for (std::size_t i = 0; i < items.size() && items.size() > 1 && !exhausted();) {
    std::vector<std::size_t> rest = items;
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
    if (fails(rest)) {
      items = std::move(rest);
    } else {
      ++i;
    }
  }
  return items;
}

}  // namespace

ShrinkResult shrink_scenario(const std::filesystem::path& file, const ShrinkOptions& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ScenarioError(file.string(), 0, 0, "cannot open the scenario file");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(file.string(), 0, 0, "cannot read the scenario file");
  // Interpret it as run would (the reader reports any mistake with its position) ...
  Scenario base = parse_scenario(text.str(), file.string(), options.overrides);
  if (options.seed) base.seed = *options.seed;
  // ... and keep it as a document, to write the shrunk file in the same terms.
  toml::table document = toml::parse(text.str(), file.string());
  apply_scenario_overrides(document, options.overrides);

  // Shared by the thousands of runs rather than copied into each.
  const std::shared_ptr<const HerdLayout> layout = build_herd_layout(base);
  ShrinkResult result;
  std::vector<Command> commands;
  std::vector<FaultSpec> faults;
  const Verdict original = judge(base, layout, options.simulation, &commands, &faults);
  result.runs = 1;
  if (!original.failed) return result;
  result.failed = true;
  result.failure = original.description;

  // The explicit schedule: faults first, then commands, as indices into one list.
  const std::size_t total = faults.size() + commands.size();
  result.events_before = total;
  auto explicit_scenario = [&](const std::vector<std::size_t>& kept) {
    Scenario s = base;
    s.workload.clients = 0;
    s.workload.iamat_per_s = 0;
    s.workload.whatsat_per_s = 0;
    s.workload.script.clear();
    s.faults.clear();
    s.random_faults.enabled = false;
    for (std::size_t i : kept) {
      if (i < faults.size()) {
        s.faults.push_back(faults[i]);
      } else {
        const Command& c = commands[i - faults.size()];
        s.workload.script.push_back(ScriptedCommand{c.at_ns, c.server, c.line});
      }
    }
    return s;
  };
  auto fails = [&](const std::vector<std::size_t>& kept) {
    ++result.runs;
    if (options.progress && result.runs % 50 == 0) {
      options.progress(std::to_string(result.runs) + " runs, " + std::to_string(kept.size()) +
                       " events tried");
    }
    return same_failure(original, judge(explicit_scenario(kept), layout, options.simulation));
  };
  auto exhausted = [&] {
    result.exhausted = result.runs >= options.max_runs;
    return result.exhausted;
  };
  std::vector<std::size_t> all(total);
  for (std::size_t i = 0; i < total; ++i) all[i] = i;
  std::vector<std::size_t> kept = all;
  // The schedule made explicit must still fail (the workload's draws become a script).
  if (!fails(all)) {
    result.final_failure = "the explicit schedule does not fail the same way";
  } else {
    kept = ddmin(all, fails, exhausted);
  }
  const Verdict last = judge(explicit_scenario(kept), layout, options.simulation);
  result.final_failure = last.description;
  result.events_after = kept.size();

  // The scenario file: the original document with the schedule replaced.
  const toml::array* file_faults = document.get_as<toml::array>("faults");
  toml::array fault_list, script;
  for (std::size_t i : kept) {
    if (i < faults.size()) {
      ++result.faults_after;
      fault_list.push_back(fault_table(faults[i], file_faults, i));
    } else {
      ++result.commands_after;
      const Command& c = commands[i - faults.size()];
      toml::table entry;
      entry.insert("at", format_duration(c.at_ns));
      entry.insert("server", c.server);
      entry.insert("line", c.line);
      script.push_back(std::move(entry));
    }
  }
  document.erase("random_faults");
  document.erase("faults");
  if (!fault_list.empty()) document.insert("faults", std::move(fault_list));
  // Client latency lives in [network]; the workload becomes its script alone.
  toml::table workload;
  workload.insert("script", std::move(script));
  document.insert_or_assign("workload", std::move(workload));
  if (auto* scenario_table = document.get_as<toml::table>("scenario")) {
    if (base.seed <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      scenario_table->insert_or_assign("seed", static_cast<std::int64_t>(base.seed));
    } else {
      scenario_table->insert_or_assign("seed", std::to_string(base.seed));
    }
  }
  std::ostringstream out;
  out << "# Shrunk by herd-sim shrink from " << file.filename().string() << " (seed "
      << base.seed << "): " << result.events_after << " of " << result.events_before
      << " events kept (" << result.faults_after << " faults, " << result.commands_after
      << " client commands) in " << result.runs << " runs.\n"
      << "# Still fails: " << result.final_failure << "\n\n"
      << document << "\n";
  result.toml = out.str();
  return result;
}

}  // namespace herd::sim
