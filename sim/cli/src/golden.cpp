#include "herd/sim/golden.hpp"

#include <toml++/toml.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "herd/sim/check_report.hpp"  // json_escape: TOML basic strings escape the same way

namespace herd::sim {
namespace fs = std::filesystem;

fs::path golden_path_for(const fs::path& scenario) {
  fs::path golden = scenario;
  if (golden.extension() == ".toml") golden.replace_extension();
  golden += ".golden.toml";
  return golden;
}

std::string golden_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[64];
  std::snprintf(text, sizeof text, "%.15g", value);
  if (std::strtod(text, nullptr) != value) std::snprintf(text, sizeof text, "%.17g", value);
  return text;  // whole values read back as TOML integers, which convert exactly
}

namespace {

std::string toml_string(std::string_view text) { return "\"" + json_escape(text) + "\""; }

[[noreturn]] void fail(const fs::path& file, const toml::source_region& where,
                       const std::string& what) {
  throw std::runtime_error(file.string() + ":" + std::to_string(where.begin.line) + ":" +
                           std::to_string(where.begin.column) + ": " + what);
}

}  // namespace

void write_golden(std::ostream& out, const Golden& golden) {
  out << "# Golden results of herd-sim check: what these runs gave when they were accepted.\n"
         "# Written by `herd-sim check --update-golden`; a later check fails on any drift.\n"
         "# Values are compared exactly. Do not edit by hand: update and review the diff.\n";
  out << "scenario_name = " << toml_string(golden.scenario) << "\n";
  out << "overrides = [";
  for (std::size_t i = 0; i < golden.overrides.size(); ++i) {
    out << (i ? ", " : "") << toml_string(golden.overrides[i]);
  }
  out << "]\n";
  std::vector<const GoldenRun*> runs;
  for (const auto& r : golden.runs) runs.push_back(&r);
  std::stable_sort(runs.begin(), runs.end(),
                   [](const GoldenRun* a, const GoldenRun* b) { return a->seed < b->seed; });
  for (const GoldenRun* r : runs) {
    out << "\n[[run]]\nseed = " << toml_string(std::to_string(r->seed))
        << "\nfingerprint = " << toml_string(r->fingerprint) << "\n[run.metrics]\n";
    std::map<std::string, double> sorted(r->metrics.begin(), r->metrics.end());
    for (const auto& [name, value] : sorted) out << name << " = " << golden_number(value) << "\n";
  }
}

Golden read_golden(const fs::path& file) {
  toml::table doc;
  try {
    doc = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    fail(file, e.source(), std::string(e.description()));
  }
  Golden g;
  if (auto name = doc["scenario_name"].value<std::string>()) g.scenario = *name;
  if (const auto* overrides = doc.get("overrides")) {
    const auto* list = overrides->as_array();
    if (!list) fail(file, overrides->source(), "overrides: expected an array of strings");
    for (const auto& o : *list) {
      const auto* text = o.as_string();
      if (!text) fail(file, o.source(), "overrides: expected strings");
      g.overrides.push_back(text->get());
    }
  }
  const toml::node* runs_node = doc.get("run");
  const toml::array* runs = runs_node ? runs_node->as_array() : nullptr;
  if (runs_node && !runs) fail(file, runs_node->source(), "run: expected [[run]] tables");
  if (runs) {
    for (const auto& node : *runs) {
      const auto* t = node.as_table();
      if (!t) fail(file, node.source(), "run: expected [[run]] tables");
      GoldenRun run;
      const auto* seed = t->get("seed");
      const auto* seed_text = seed ? seed->as_string() : nullptr;
      if (!seed_text) fail(file, t->source(), "[[run]] needs seed = \"<decimal>\"");
      try {
        std::size_t used = 0;
        run.seed = std::stoull(seed_text->get(), &used);
        if (used != seed_text->get().size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        fail(file, seed->source(), "seed: expected a decimal integer");
      }
      const auto* fp = t->get("fingerprint");
      if (!fp || !fp->as_string()) fail(file, t->source(), "[[run]] needs fingerprint = \"...\"");
      run.fingerprint = fp->as_string()->get();
      if (const auto* metrics_node = t->get("metrics")) {
        const auto* metrics = metrics_node->as_table();
        if (!metrics) fail(file, metrics_node->source(), "run.metrics: expected a table");
        for (const auto& [key, value] : *metrics) {
          auto v = value.value<double>();
          if (!v) fail(file, value.source(), "run.metrics." + std::string(key.str()) + ": expected a number");
          run.metrics.emplace_back(std::string(key.str()), *v);
        }
      }
      g.runs.push_back(std::move(run));
    }
  }
  return g;
}

namespace {

std::string list_text(const std::vector<std::string>& overrides) {
  if (overrides.empty()) return "(none)";
  std::string out;
  for (const auto& o : overrides) out += (out.empty() ? "" : " ") + ("--set " + shell_quote(o));
  return out;
}

std::string relative_change(std::optional<double> golden, std::optional<double> now) {
  if (!golden || !now) return "";
  if (std::isnan(*golden) || std::isnan(*now) || std::isinf(*golden) || std::isinf(*now)) return "";
  if (*golden == 0) return "(was 0)";
  char text[48];
  const double percent = (*now - *golden) / std::fabs(*golden) * 100;
  // Two decimals read best; changes too small for them keep three significant digits.
  std::snprintf(text, sizeof text, std::fabs(percent) >= 0.01 ? "(%+.2f%%)" : "(%+.3g%%)",
                percent);
  return text;
}

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

std::vector<std::string> golden_drift(const Golden& golden, const Golden& now) {
  std::vector<std::string> drift;
  if (golden.overrides != now.overrides) {
    drift.push_back("overrides: golden " + list_text(golden.overrides) + ", now " +
                    list_text(now.overrides));
  }
  std::map<std::uint64_t, const GoldenRun*> by_seed;
  for (const auto& r : golden.runs) by_seed.emplace(r.seed, &r);
  std::set<std::uint64_t> seen;
  for (const auto& run : now.runs) {
    const std::string seed = "seed " + std::to_string(run.seed);
    seen.insert(run.seed);
    auto it = by_seed.find(run.seed);
    if (it == by_seed.end()) {
      drift.push_back(seed + ": not in the golden file (run --update-golden to add it)");
      continue;
    }
    const GoldenRun& g = *it->second;
    if (g.fingerprint != run.fingerprint) {
      drift.push_back(seed + ": fingerprint changed: golden " + g.fingerprint + ", now " +
                      run.fingerprint);
    }
    std::map<std::string, double> was(g.metrics.begin(), g.metrics.end());
    std::map<std::string, double> is(run.metrics.begin(), run.metrics.end());
    std::set<std::string> names;
    for (const auto& [k, v] : was) names.insert(k);
    for (const auto& [k, v] : is) names.insert(k);
    for (const auto& name : names) {
      std::optional<double> a, b;
      if (auto f = was.find(name); f != was.end()) a = f->second;
      if (auto f = is.find(name); f != is.end()) b = f->second;
      if (a && b && same(*a, *b)) continue;
      char line[256];
      std::snprintf(line, sizeof line, "%s: %-20s golden %-22s now %-22s %s", seed.c_str(),
                    name.c_str(), a ? golden_number(*a).c_str() : "(absent)",
                    b ? golden_number(*b).c_str() : "(absent)", relative_change(a, b).c_str());
      std::string text(line);
      while (!text.empty() && text.back() == ' ') text.pop_back();
      drift.push_back(text);
    }
  }
  for (const auto& [seed, run] : by_seed) {
    if (!seen.count(seed)) {
      drift.push_back("seed " + std::to_string(seed) + ": in the golden file but not run");
    }
  }
  return drift;
}

}  // namespace herd::sim
