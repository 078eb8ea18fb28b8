#include "compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "herd/sim/results_db.hpp"

namespace herd::sim {

namespace {

constexpr int kWithin = 0;
constexpr int kOutside = 1;
constexpr int kBadInput = 2;

struct CompareArgs {
  std::string db;
  std::vector<std::int64_t> runs;
  double tolerance_pct = 15;
  double tolerance_ms = 2;
  bool json = false;
};

// The propagation-delay quantiles compared when both runs stored their deliveries.
struct NamedQuantile {
  const char* name;
  double q;
};
constexpr NamedQuantile kDelayQuantiles[] = {
    {"propagation_p10_ms", 0.10}, {"propagation_p25_ms", 0.25}, {"propagation_p50_ms", 0.50},
    {"propagation_p75_ms", 0.75}, {"propagation_p90_ms", 0.90}, {"propagation_p95_ms", 0.95},
    {"propagation_p99_ms", 0.99}, {"propagation_max_ms", 1.00}};
// With a run stored --summary-only, only what its summary holds.
constexpr const char* kSummaryDelays[] = {"propagation_p50_ms", "propagation_p95_ms",
                                          "propagation_p99_ms", "propagation_max_ms"};

enum class Unit { ms, ratio };

enum class Verdict { within, differs, one_sided, absent };

const char* verdict_text(Verdict v) {
  switch (v) {
    case Verdict::within: return "ok";
    case Verdict::differs: return "DIFFERS";
    case Verdict::one_sided: return "one run only";
    case Verdict::absent: return "n/a";
  }
  return "?";
}

struct Row {
  std::string name;
  Unit unit = Unit::ratio;
  std::optional<double> a, b;
  // Absent here means "never" (convergence) rather than "not measured": a difference.
  bool absent_is_a_value = false;
  double allowed = 0;
  Verdict verdict = Verdict::absent;
};

std::optional<double> summary_value(const RunProfile& p, const std::string& name) {
  for (const auto& [metric, value] : p.summary) {
    if (metric == name) return value;
  }
  return std::nullopt;
}

void judge(Row& row, const CompareArgs& args) {
  if (!row.a && !row.b) {
    row.verdict = row.absent_is_a_value ? Verdict::within : Verdict::absent;
    return;
  }
  if (!row.a || !row.b) {
    row.verdict = row.absent_is_a_value ? Verdict::differs : Verdict::one_sided;
    return;
  }
  const double a = *row.a, b = *row.b;
  row.allowed = args.tolerance_pct / 100.0 * std::max(std::fabs(a), std::fabs(b)) +
                (row.unit == Unit::ms ? args.tolerance_ms : 0.0);
  // A hair of slack for values that went through a double and back.
  row.verdict = std::fabs(a - b) <= row.allowed + 1e-12 ? Verdict::within : Verdict::differs;
}

std::vector<Row> build_rows(const RunProfile& a, const RunProfile& b, const CompareArgs& args) {
  std::vector<Row> rows;
  auto add = [&](std::string name, Unit unit, std::optional<double> va, std::optional<double> vb,
                 bool absent_is_a_value = false) {
    Row row{std::move(name), unit, va, vb, absent_is_a_value, 0, Verdict::absent};
    judge(row, args);
    rows.push_back(std::move(row));
  };
  auto from_summary = [&](const std::string& name, Unit unit, bool absent_is_a_value = false) {
    add(name, unit, summary_value(a, name), summary_value(b, name), absent_is_a_value);
  };

  // Propagation delay: the full set of quantiles when both runs kept their deliveries.
  if (a.delay_count > 0 && b.delay_count > 0) {
    for (std::size_t i = 0; i < std::size(kDelayQuantiles); ++i) {
      add(kDelayQuantiles[i].name, Unit::ms,
          static_cast<double>(a.delay_quantiles_ns[i]) / 1e6,
          static_cast<double>(b.delay_quantiles_ns[i]) / 1e6);
    }
  } else {
    for (const char* name : kSummaryDelays) from_summary(name, Unit::ms);
  }
  from_summary("propagation_mean_ms", Unit::ms);

  auto staleness = [](const RunProfile& p, bool max) -> std::optional<double> {
    if (p.staleness_samples == 0) return std::nullopt;
    return (max ? static_cast<double>(p.staleness_max_ns) : p.staleness_mean_ns) / 1e6;
  };
  add("staleness_mean_ms", Unit::ms, staleness(a, false), staleness(b, false));
  add("staleness_max_ms", Unit::ms, staleness(a, true), staleness(b, true));
  from_summary("convergence_ms", Unit::ms, /*absent_is_a_value=*/true);
  from_summary("reach_mean", Unit::ratio);
  from_summary("reach_min", Unit::ratio);

  // Traffic per update by message kind: lines of each kind / updates (a kind a run never
  // sent counts 0 lines). Greetings are left out, as from M (docs/metrics.md): they count
  // how often links came up, not what was spread.
  std::set<std::string> kinds;
  for (const auto& k : a.traffic_by_kind) kinds.insert(k.kind);
  for (const auto& k : b.traffic_by_kind) kinds.insert(k.kind);
  kinds.erase("greeting");
  auto per_update = [](const RunProfile& p, const std::string& kind) -> std::optional<double> {
    const auto updates = summary_value(p, "updates");
    if (!updates || *updates <= 0) return std::nullopt;
    double lines = 0;
    for (const auto& k : p.traffic_by_kind) {
      if (k.kind == kind) lines = static_cast<double>(k.lines);
    }
    return lines / *updates;
  };
  for (const auto& kind : kinds) {
    std::string name = "lines_per_update[" + kind + "]";
    add(name, Unit::ratio, per_update(a, kind), per_update(b, kind));
  }
  from_summary("messages_per_update", Unit::ratio);
  from_summary("rmr", Unit::ratio);
  return rows;
}

std::string number(std::optional<double> v, bool never = false) {
  if (!v) return never ? "never" : "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", *v);
  std::string s = text;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "null";
  char text[40];
  std::snprintf(text, sizeof text, "%.9g", *v);
  return text;
}

std::string run_json(const RunProfile& p) {
  std::ostringstream out;
  out << "{\"run_id\": " << p.run_id << ", \"scenario\": " << json_string(p.scenario)
      << ", \"seed\": " << p.seed << ", \"backend\": " << json_string(p.backend)
      << ", \"strategy\": " << json_string(p.strategy) << ", \"servers\": " << p.servers
      << ", \"updates\": " << json_number(summary_value(p, "updates"))
      << ", \"delays\": " << p.delay_count << "}";
  return out.str();
}

int compare_runs(const CompareArgs& args) {
  if (args.runs.size() != 2) {
    std::cerr << "herd-sim compare: --runs takes exactly two run ids\n";
    return kBadInput;
  }
  if (!(args.tolerance_pct >= 0) || !(args.tolerance_ms >= 0)) {
    std::cerr << "herd-sim compare: tolerances must be zero or more\n";
    return kBadInput;
  }
  if (!std::filesystem::exists(args.db)) {
    std::cerr << "herd-sim compare: " << args.db << ": no such results database\n";
    return kBadInput;
  }
  ResultsDb db(args.db);
  std::vector<double> quantiles;
  for (const auto& q : kDelayQuantiles) quantiles.push_back(q.q);
  std::vector<RunProfile> profiles;
  for (const std::int64_t id : args.runs) {
    auto profile = db.run_profile(id, quantiles);
    if (!profile) {
      std::cerr << "herd-sim compare: " << args.db << " has no run " << id
                << " (herd-sim report --db " << args.db << " lists its runs)\n";
      return kBadInput;
    }
    profiles.push_back(std::move(*profile));
  }
  const RunProfile& a = profiles[0];
  const RunProfile& b = profiles[1];
  const std::vector<Row> rows = build_rows(a, b, args);
  std::vector<std::string> differing, one_sided;
  for (const Row& row : rows) {
    if (row.verdict == Verdict::differs) differing.push_back(row.name);
    if (row.verdict == Verdict::one_sided) one_sided.push_back(row.name);
  }
  const bool within = differing.empty();

  if (args.json) {
    std::ostringstream out;
    out << "{\"db\": " << json_string(args.db) << ", \"a\": " << run_json(a)
        << ", \"b\": " << run_json(b) << ", \"tolerance\": {\"pct\": "
        << json_number(args.tolerance_pct) << ", \"ms\": " << json_number(args.tolerance_ms)
        << "}, \"metrics\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      const bool both = r.a && r.b;
      out << (i ? ", " : "") << "{\"name\": " << json_string(r.name) << ", \"unit\": "
          << (r.unit == Unit::ms ? "\"ms\"" : "\"ratio\"") << ", \"a\": " << json_number(r.a)
          << ", \"b\": " << json_number(r.b) << ", \"diff\": "
          << (both ? json_number(*r.b - *r.a) : "null") << ", \"allowed\": "
          << (both ? json_number(r.allowed) : "null") << ", \"verdict\": \""
          << (r.verdict == Verdict::within      ? "within"
              : r.verdict == Verdict::differs   ? "differs"
              : r.verdict == Verdict::one_sided ? "one_sided"
                                                : "absent")
          << "\"}";
    }
    out << "], \"differing\": [";
    for (std::size_t i = 0; i < differing.size(); ++i) out << (i ? ", " : "") << json_string(differing[i]);
    out << "], \"within_tolerance\": " << (within ? "true" : "false") << "}\n";
    std::cout << out.str();
    return within ? kWithin : kOutside;
  }

  auto describe = [](const char* label, const RunProfile& p) {
    std::ostringstream out;
    out << label << ": run " << p.run_id << "  " << p.scenario << "  seed " << p.seed << "  "
        << p.backend << "  " << p.strategy << "  " << p.servers << " servers  "
        << number(summary_value(p, "updates")) << " updates\n";
    return out.str();
  };
  std::cout << describe("A", a) << describe("B", b);
  std::cout << "tolerance: |A-B| <= " << number(args.tolerance_pct) << "% of max(|A|,|B|)"
            << " + " << number(args.tolerance_ms) << " ms (time metrics)\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-34s %14s %14s %12s %12s  %s\n", "metric", "A", "B", "B-A",
                "allowed", "verdict");
  std::cout << line;
  for (const Row& r : rows) {
    const bool both = r.a && r.b;
    std::snprintf(line, sizeof line, "%-34s %14s %14s %12s %12s  %s\n", r.name.c_str(),
                  number(r.a, r.absent_is_a_value).c_str(),
                  number(r.b, r.absent_is_a_value).c_str(),
                  both ? number(*r.b - *r.a).c_str() : "-",
                  both ? number(r.allowed).c_str() : "-", verdict_text(r.verdict));
    std::cout << line;
  }
  std::cout << "\n";
  if (!one_sided.empty()) {
    std::cout << "not compared (measured in one run only):";
    for (const auto& name : one_sided) std::cout << " " << name;
    std::cout << "\n";
  }
  if (within) {
    std::cout << "verdict: within tolerance\n";
  } else {
    std::cout << "verdict: DIFFERENT (" << differing.size() << " of " << rows.size()
              << " metrics outside tolerance:";
    for (const auto& name : differing) std::cout << " " << name;
    std::cout << ")\n";
  }
  return within ? kWithin : kOutside;
}

}  // namespace

std::function<int()> add_compare_command(CLI::App& app, CLI::App*& sub) {
  auto args = std::make_shared<CompareArgs>();
  sub = app.add_subcommand(
      "compare",
      "Put two stored runs side by side (propagation-delay quantiles, staleness, convergence, "
      "reach, traffic per update by kind, RMR), each metric and the whole judged against a "
      "tolerance");
  sub->add_option("db", args->db, "Results database")->required();
  sub->add_option("--runs", args->runs, "The two run ids to compare, A then B")
      ->required()
      ->expected(2);
  sub->add_option("--tolerance-pct", args->tolerance_pct,
                  "Allowed difference, percent of the larger magnitude")
      ->capture_default_str();
  sub->add_option("--tolerance-ms", args->tolerance_ms,
                  "Allowed difference added for time metrics, ms")
      ->capture_default_str();
  sub->add_flag("--json", args->json, "Print JSON instead of the table");
  sub->footer(
      "A metric is within tolerance when |A-B| <= pct/100 * max(|A|,|B|), plus the ms "
      "allowance for time metrics. Exit codes: 0 every metric within tolerance; 1 some metric "
      "outside it; 2 bad input (no such database or run, a negative tolerance).");
  return [args] { return compare_runs(*args); };
}

}  // namespace herd::sim
