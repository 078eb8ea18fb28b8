#include "compare.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "herd/sim/results_db.hpp"
#include "herd/sim/run_comparison.hpp"

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

std::optional<double> summary_value(const RunProfile& p, const std::string& name) {
  for (const auto& [metric, value] : p.summary) {
    if (metric == name) return value;
  }
  return std::nullopt;
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

// Prints the comparison as a table or JSON; returns the exit code.
int print_comparison(const CompareArgs& args, const RunComparison& c) {
  const RunProfile& a = c.a;
  const RunProfile& b = c.b;
  const std::vector<ComparisonRow>& rows = c.rows;
  const std::vector<std::string> differing = c.differing();
  const std::vector<std::string> one_sided = c.one_sided();
  const bool within = c.within_tolerance();

  if (args.json) {
    std::ostringstream out;
    out << "{\"db\": " << json_string(args.db) << ", \"a\": " << run_json(a)
        << ", \"b\": " << run_json(b) << ", \"tolerance\": {\"pct\": "
        << json_number(args.tolerance_pct) << ", \"ms\": " << json_number(args.tolerance_ms)
        << "}, \"metrics\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const ComparisonRow& r = rows[i];
      const bool both = r.a && r.b;
      out << (i ? ", " : "") << "{\"name\": " << json_string(r.metric) << ", \"unit\": \""
          << unit_name(r.unit) << "\", \"a\": " << json_number(r.a)
          << ", \"b\": " << json_number(r.b) << ", \"diff\": " << json_number(r.diff())
          << ", \"allowed\": " << (both ? json_number(r.allowed) : "null")
          << ", \"verdict\": \"" << verdict_name(r.verdict) << "\"}";
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
  for (const ComparisonRow& r : rows) {
    const bool both = r.a && r.b;
    std::snprintf(line, sizeof line, "%-34s %14s %14s %12s %12s  %s\n", r.metric.c_str(),
                  number(r.a, r.absent_means_never).c_str(),
                  number(r.b, r.absent_means_never).c_str(),
                  both ? number(r.diff()).c_str() : "-",
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

int compare_command(const CompareArgs& args) {
  if (args.runs.size() != 2) {
    std::cerr << "herd-sim compare: --runs takes exactly two run ids\n";
    return kBadInput;
  }
  // The computation (sim/experiment) checks these too; checked here first so the messages
  // come in the order they always did: tolerance, database, runs.
  if (!(args.tolerance_pct >= 0) || !(args.tolerance_ms >= 0)) {
    std::cerr << "herd-sim compare: tolerances must be zero or more\n";
    return kBadInput;
  }
  if (!std::filesystem::exists(args.db)) {
    std::cerr << "herd-sim compare: " << args.db << ": no such results database\n";
    return kBadInput;
  }
  RunComparison comparison;
  try {
    comparison = compare_runs(std::filesystem::path(args.db), args.runs[0], args.runs[1],
                              Tolerance{args.tolerance_pct, args.tolerance_ms});
  } catch (const NoSuchRun& e) {
    std::cerr << "herd-sim compare: " << args.db << " has no run " << e.run_id
              << " (herd-sim report --db " << args.db << " lists its runs)\n";
    return kBadInput;
  }
  return print_comparison(args, comparison);
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
  return [args] { return compare_command(*args); };
}

}  // namespace herd::sim
