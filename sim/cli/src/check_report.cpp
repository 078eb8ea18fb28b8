#include "herd/sim/check_report.hpp"

#include <glob.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <system_error>

namespace herd::sim {
namespace fs = std::filesystem;

// --- which files --------------------------------------------------------------------------

TomlKind classify_toml_file(const fs::path& file) {
  toml::table document;
  try {
    document = toml::parse_file(file.string());
  } catch (const toml::parse_error&) {
    return TomlKind::unreadable;
  }
  if (document.contains("scenario")) return TomlKind::scenario;
  if (document.contains("sweep")) return TomlKind::sweep;
  if (document.contains("servers")) return TomlKind::herd_config;
  return TomlKind::other;
}

namespace {

bool has_glob_chars(std::string_view text) {
  return text.find_first_of("*?[") != std::string_view::npos;
}

// Why a TOML file that was named outright cannot be checked; empty when it can.
std::string not_a_scenario(TomlKind kind) {
  switch (kind) {
    case TomlKind::scenario:
    case TomlKind::unreadable:  // loading it reports the syntax error with its position
      return {};
    case TomlKind::sweep:
      return "a sweep file, not a scenario (run it with herd-sim sweep)";
    case TomlKind::herd_config:
      return "a herd configuration, not a scenario (a scenario may use it as herd.config)";
    case TomlKind::other:
      break;
  }
  return "not a scenario: a scenario file has a [scenario] table";
}

// The *.toml files below `folder`, sorted, so runs and reports come in a stable order.
std::vector<fs::path> toml_files_under(const fs::path& folder, std::error_code& error) {
  std::vector<fs::path> files;
  fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied,
                                      error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code ignored;
    if (it->path().extension() == ".toml" && it->is_regular_file(ignored)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> glob_matches(const std::string& pattern) {
  std::vector<fs::path> matches;
  glob_t found{};
  if (::glob(pattern.c_str(), 0, nullptr, &found) == 0) {
    for (std::size_t i = 0; i < found.gl_pathc; ++i) matches.emplace_back(found.gl_pathv[i]);
  }
  ::globfree(&found);
  return matches;  // glob sorts them
}

class TargetList {
 public:
  void add_file(const fs::path& file, const std::string& argument) {
    std::error_code error;
    fs::path key = fs::weakly_canonical(file, error);
    if (error) key = file;
    if (!seen_.insert(key.string()).second) return;
    targets_.push_back({file, {}, argument});
  }
  void add_error(const std::string& argument, const std::string& why) {
    targets_.push_back({{}, argument + ": " + why, argument});
  }
  // Adds the scenarios among `files` (and those that do not parse); false if none.
  bool add_scenarios(const std::vector<fs::path>& files, const std::string& argument) {
    bool any = false;
    for (const auto& file : files) {
      TomlKind kind = classify_toml_file(file);
      if (kind != TomlKind::scenario && kind != TomlKind::unreadable) continue;
      add_file(file, argument);
      any = true;
    }
    return any;
  }
  std::vector<CheckTarget> take() { return std::move(targets_); }

 private:
  std::vector<CheckTarget> targets_;
  std::set<std::string> seen_;
};

}  // namespace

std::vector<CheckTarget> find_check_targets(const std::vector<std::string>& args) {
  TargetList list;
  for (const auto& arg : args) {
    std::error_code error;
    const fs::path path(arg);
    const auto status = fs::status(path, error);
    if (fs::is_directory(status)) {
      auto files = toml_files_under(path, error);
      if (error) {
        list.add_error(arg, "cannot read the folder: " + error.message());
      } else if (!list.add_scenarios(files, arg)) {
        list.add_error(arg, files.empty()
                                ? "no .toml files in this folder"
                                : "no scenario files in this folder (" +
                                      std::to_string(files.size()) +
                                      " .toml files, none with a [scenario] table)");
      }
    } else if (fs::exists(status)) {
      if (std::string why = not_a_scenario(classify_toml_file(path)); !why.empty()) {
        list.add_error(arg, why);
      } else {
        list.add_file(path, arg);
      }
    } else if (has_glob_chars(arg)) {
      std::vector<fs::path> files;
      for (const auto& match : glob_matches(arg)) {
        if (fs::is_directory(match, error)) {
          auto below = toml_files_under(match, error);
          files.insert(files.end(), below.begin(), below.end());
        } else if (match.extension() == ".toml") {
          files.push_back(match);
        }
      }
      if (!list.add_scenarios(files, arg)) {
        list.add_error(arg, files.empty() ? "the pattern matches no .toml files"
                                          : "the pattern matches no scenario files");
      }
    } else {
      list.add_error(arg, "no such file or folder");
    }
  }
  return list.take();
}

// --- results ------------------------------------------------------------------------------

std::string_view to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::passed: return "pass";
    case CheckStatus::failed: return "FAIL";
    case CheckStatus::no_expectations: return "no-expect";
    case CheckStatus::error: return "error";
  }
  return "error";
}

namespace {

bool fails(const CheckResult& r, const CheckSettings& settings) {
  return r.status == CheckStatus::failed ||
         (r.status == CheckStatus::no_expectations && settings.require_expect);
}

struct Counts {
  std::size_t passed = 0, failed = 0, no_expect = 0, errors = 0, nondeterministic = 0;
};

Counts count(const std::vector<CheckResult>& results) {
  Counts c;
  for (const auto& r : results) {
    switch (r.status) {
      case CheckStatus::passed: ++c.passed; break;
      case CheckStatus::failed: ++c.failed; break;
      case CheckStatus::no_expectations: ++c.no_expect; break;
      case CheckStatus::error: ++c.errors; break;
    }
    if (r.nondeterministic) ++c.nondeterministic;
  }
  return c;
}

std::optional<double> metric(const CheckResult& r, std::string_view name) {
  for (const auto& [k, v] : r.metrics) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string metric_cell(const CheckResult& r, std::string_view name) {
  if (auto v = metric(r, name)) return format_metric(name, *v);
  return "-";
}

std::string checks_cell(const CheckResult& r) {
  if (r.status == CheckStatus::error) return "-";
  std::size_t ok = 0;
  for (const auto& e : r.expectations) ok += e.passed ? 1 : 0;
  return std::to_string(ok) + "/" + std::to_string(r.expectations.size());
}

std::string fixed(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

std::string seed_range(const CheckResult& r) {
  if (r.seeds.empty()) return "";
  const auto first = r.seeds.front().seed, last = r.seeds.back().seed;
  if (r.seeds.size() == 1) return "seed " + std::to_string(first);
  return "seeds " + std::to_string(first) + ".." + std::to_string(last);
}

std::string seed_list(const std::vector<std::uint64_t>& seeds) {
  std::string out;
  for (auto s : seeds) out += (out.empty() ? "" : " ") + std::to_string(s);
  return out;
}

}  // namespace

std::vector<std::uint64_t> failed_seeds(const CheckResult& r) {
  std::vector<std::uint64_t> out;
  for (const auto& s : r.seeds) {
    if (!s.failed.empty() || s.nondeterministic) out.push_back(s.seed);
  }
  return out;
}

std::string seed_spread(const CheckResult& r, std::string_view name) {
  std::vector<double> values;
  const bool convergence = name == "convergence_ms";
  for (const auto& s : r.seeds) {
    bool found = false;
    for (const auto& [k, v] : s.metrics) {
      if (k == name) {
        values.push_back(v);
        found = true;
      }
    }
    if (!found && convergence) values.push_back(std::numeric_limits<double>::infinity());
  }
  if (values.empty()) return "";
  std::sort(values.begin(), values.end());
  const auto show = [&](double v) {
    return convergence && std::isinf(v) ? std::string("never") : format_metric(name, v);
  };
  return show(values.front()) + " / " + show(values[(values.size() - 1) / 2]) + " / " +
         show(values.back());
}

int check_exit_code(const std::vector<CheckResult>& results, const CheckSettings& settings) {
  int code = kExitPassed;
  for (const auto& r : results) {
    if (fails(r, settings)) code = std::max(code, kExitFailed);
    if (r.status == CheckStatus::error) code = std::max(code, kExitError);
    if (r.nondeterministic) code = std::max(code, kExitNondeterminism);
  }
  return code;
}

void write_check_table(std::ostream& out, const std::vector<CheckResult>& results,
                       const CheckSettings& settings) {
  char line[512];
  std::snprintf(line, sizeof line, "%-9s  %-28s %8s %6s %10s %10s %9s %8s  %s\n", "status",
                "scenario", "seed", "checks", "p99 ms", "conv ms", "reach min", "wall s", "file");
  out << line;
  for (const auto& r : results) {
    std::string status(to_string(r.status));
    if (r.status == CheckStatus::no_expectations && settings.require_expect) status = "FAIL";
    if (r.nondeterministic && r.status != CheckStatus::failed) status = "NONDET";
    bool ran = r.status != CheckStatus::error;
    std::string conv = ran ? (metric(r, "convergence_ms") ? metric_cell(r, "convergence_ms") : "never")
                           : "-";
    std::snprintf(line, sizeof line, "%-9s  %-28s %8s %6s %10s %10s %9s %8s  %s\n",
                  status.c_str(), r.name.substr(0, 28).c_str(),
                  ran ? std::to_string(r.seed).c_str() : "-", checks_cell(r).c_str(),
                  metric_cell(r, "propagation_p99_ms").c_str(), conv.c_str(),
                  metric_cell(r, "reach_min").c_str(), ran ? fixed(r.wall_seconds, 2).c_str() : "-",
                  r.file.c_str());
    out << line;
    if (r.seeds.size() > 1) {
      // The spread over the seeds, min / median / max, for the metrics of the row.
      out << "           " << seed_range(r) << " (min / median / max): p99 ms "
          << seed_spread(r, "propagation_p99_ms") << ", conv ms " << seed_spread(r, "convergence_ms")
          << ", reach min " << seed_spread(r, "reach_min") << "\n";
    }
  }
  // Details: what failed and how to repeat it.
  for (const auto& r : results) {
    if (r.status == CheckStatus::error) {
      out << "\nerror: " << (r.file.empty() ? r.name : r.file) << "\n  " << r.error << "\n";
      continue;
    }
    bool failed = fails(r, settings);
    if (!failed && !r.nondeterministic) continue;
    out << "\n" << (failed ? "FAIL" : "NONDETERMINISTIC") << ": " << r.name << " (" << r.file
        << ")\n";
    if (r.status == CheckStatus::no_expectations) {
      out << "  no [expect] section (--require-expect)\n";
    }
    for (const auto& e : r.expectations) {
      if (e.passed) continue;
      out << "  " << e.name << ": expected " << e.expected << ", got " << e.actual << "\n";
    }
    if (!r.golden_drift.empty()) {
      out << "  drift from " << r.golden_file << " (accept it with --update-golden):\n";
      for (const auto& d : r.golden_drift) out << "    " << d << "\n";
    }
    if (r.seeds.size() > 1) {
      if (auto bad = failed_seeds(r); !bad.empty()) {
        out << "  failed in seed" << (bad.size() == 1 ? " " : "s ") << seed_list(bad) << " of "
            << seed_range(r) << "\n";
      }
    }
    if (r.nondeterministic) out << "  two runs with the same seed gave different fingerprints\n";
    out << "  reproduce with: " << r.reproduce << "\n";
  }
  Counts c = count(results);
  out << "\n"
      << results.size() << (results.size() == 1 ? " scenario: " : " scenarios: ") << c.passed
      << " passed, " << c.failed << " failed, " << c.no_expect << " without expectations"
      << (settings.require_expect && c.no_expect ? " (failing: --require-expect)" : "") << ", "
      << c.errors << (c.errors == 1 ? " error" : " errors");
  if (c.nondeterministic) out << ", " << c.nondeterministic << " nondeterministic";
  out << "\n";
}

void write_junit(std::ostream& out, const std::vector<CheckResult>& results,
                 const CheckSettings& settings) {
  Counts c = count(results);
  std::size_t failures = 0, skipped = 0;
  double total_s = 0;
  for (const auto& r : results) {
    if (r.status != CheckStatus::error && (fails(r, settings) || r.nondeterministic)) ++failures;
    if (r.status == CheckStatus::no_expectations && !settings.require_expect) ++skipped;
    total_s += r.wall_seconds;
  }
  const std::string counts = "tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"" +
                             std::to_string(c.errors) + "\" skipped=\"" +
                             std::to_string(skipped) + "\" time=\"" + fixed(total_s, 3) + "\"";
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"herd-sim check\" " << counts << ">\n";
  out << "  <testsuite name=\"herd-sim check\" " << counts << ">\n";
  for (const auto& r : results) {
    out << "    <testcase classname=\"" << xml_escape(r.file) << "\" name=\""
        << xml_escape(r.name) << "\" time=\"" << fixed(r.wall_seconds, 3) << "\"";
    if (r.status == CheckStatus::passed && !r.nondeterministic && r.seeds.size() <= 1) {
      out << "/>\n";
      continue;
    }
    out << ">\n";
    if (r.seeds.size() > 1) {
      std::vector<std::uint64_t> all;
      for (const auto& sr : r.seeds) all.push_back(sr.seed);
      out << "      <properties>\n        <property name=\"seeds\" value=\"" << seed_list(all)
          << "\"/>\n        <property name=\"failed_seeds\" value=\""
          << seed_list(failed_seeds(r)) << "\"/>\n      </properties>\n";
    }
    if (r.status == CheckStatus::error) {
      out << "      <error type=\"scenario error\" message=\"" << xml_escape(r.error) << "\">"
          << xml_escape(r.error) << "</error>\n";
    }
    if (r.status == CheckStatus::no_expectations) {
      if (settings.require_expect) {
        out << "      <failure type=\"no expectations\" message=\"no [expect] section "
               "(--require-expect)\"/>\n";
      } else {
        out << "      <skipped message=\"no [expect] section\"/>\n";
      }
    }
    for (const auto& e : r.expectations) {
      if (e.passed || (e.name == "golden" && !r.golden_drift.empty())) continue;
      const std::string message = e.name + ": expected " + e.expected + ", got " + e.actual;
      out << "      <failure type=\"expectation\" message=\"" << xml_escape(message) << "\">"
          << xml_escape(message + "\nreproduce with: " + r.reproduce) << "</failure>\n";
    }
    if (!r.golden_drift.empty()) {
      std::string text = "drift from " + r.golden_file + ":";
      for (const auto& d : r.golden_drift) text += "\n  " + d;
      out << "      <failure type=\"golden\" message=\""
          << xml_escape(std::to_string(r.golden_drift.size()) + " difference(s) from " +
                        r.golden_file)
          << "\">" << xml_escape(text + "\nreproduce with: " + r.reproduce) << "</failure>\n";
    }
    if (r.nondeterministic) {
      out << "      <failure type=\"nondeterminism\" message=\"two runs with the same seed gave "
             "different fingerprints\">"
          << xml_escape("reproduce with: " + r.reproduce) << "</failure>\n";
    }
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

namespace {

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) return fixed(v, 0);
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

std::string json_string(std::string_view text) { return "\"" + json_escape(text) + "\""; }

}  // namespace

void write_check_json(std::ostream& out, const std::vector<CheckResult>& results,
                      const CheckSettings& settings) {
  Counts c = count(results);
  out << "{\n  \"exit_code\": " << check_exit_code(results, settings)
      << ",\n  \"require_expect\": " << (settings.require_expect ? "true" : "false")
      << ",\n  \"counts\": {\"scenarios\": " << results.size() << ", \"passed\": " << c.passed
      << ", \"failed\": " << c.failed << ", \"no_expectations\": " << c.no_expect
      << ", \"errors\": " << c.errors << ", \"nondeterministic\": " << c.nondeterministic
      << "},\n  \"scenarios\": [";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const CheckResult& r = results[i];
    out << (i ? ",\n" : "\n") << "    {\"file\": " << json_string(r.file)
        << ", \"name\": " << json_string(r.name) << ", \"status\": "
        << json_string(r.status == CheckStatus::no_expectations ? "no-expectations"
                       : r.status == CheckStatus::failed         ? "fail"
                                                                 : to_string(r.status));
    if (r.status == CheckStatus::error) {
      out << ", \"error\": " << json_string(r.error) << "}";
      continue;
    }
    out << ", \"seed\": " << r.seed << ", \"strategy\": " << json_string(r.strategy)
        << ", \"wall_seconds\": " << json_number(r.wall_seconds);
    if (r.fingerprint) out << ", \"fingerprint\": " << json_string(*r.fingerprint);
    out << ", \"nondeterministic\": " << (r.nondeterministic ? "true" : "false")
        << ", \"reproduce\": " << json_string(r.reproduce) << ",\n     \"expectations\": [";
    for (std::size_t j = 0; j < r.expectations.size(); ++j) {
      const auto& e = r.expectations[j];
      out << (j ? ", " : "") << "{\"name\": " << json_string(e.name)
          << ", \"expected\": " << json_string(e.expected)
          << ", \"actual\": " << json_string(e.actual)
          << ", \"passed\": " << (e.passed ? "true" : "false") << "}";
    }
    out << "],\n     \"metrics\": {";
    for (std::size_t j = 0; j < r.metrics.size(); ++j) {
      out << (j ? ", " : "") << json_string(r.metrics[j].first) << ": "
          << json_number(r.metrics[j].second);
    }
    out << "},\n     \"failed_seeds\": [";
    const auto bad = failed_seeds(r);
    for (std::size_t j = 0; j < bad.size(); ++j) out << (j ? ", " : "") << bad[j];
    out << "],\n     \"seeds\": [";
    for (std::size_t j = 0; j < r.seeds.size(); ++j) {
      const SeedRun& sr = r.seeds[j];
      out << (j ? ",\n       " : "\n       ") << "{\"seed\": " << sr.seed
          << ", \"fingerprint\": " << json_string(sr.fingerprint) << ", \"failed\": [";
      for (std::size_t k = 0; k < sr.failed.size(); ++k) {
        out << (k ? ", " : "") << json_string(sr.failed[k]);
      }
      out << "], \"nondeterministic\": " << (sr.nondeterministic ? "true" : "false")
          << ", \"metrics\": {";
      for (std::size_t k = 0; k < sr.metrics.size(); ++k) {
        out << (k ? ", " : "") << json_string(sr.metrics[k].first) << ": "
            << json_number(sr.metrics[k].second);
      }
      out << "}}";
    }
    out << "]";
    if (!r.golden_file.empty()) {
      out << ",\n     \"golden\": {\"file\": " << json_string(r.golden_file)
          << ", \"status\": "
          << json_string(r.golden_updated           ? "updated"
                         : r.golden_drift.empty()   ? "match"
                                                    : "drift")
          << ", \"drift\": [";
      for (std::size_t k = 0; k < r.golden_drift.size(); ++k) {
        out << (k ? ", " : "") << json_string(r.golden_drift[k]);
      }
      out << "]}";
    }
    out << "}";
  }
  out << "\n  ]\n}\n";
}

// --- text helpers -------------------------------------------------------------------------

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default:
        // XML 1.0 has no way to write other control characters, even as references.
        if (u < 0x20 || u == 0x7f) {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", u);
          out += hex;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string shell_quote(std::string_view word) {
  const bool safe = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./=:,+@%").find(c) != std::string_view::npos;
  });
  if (safe) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

namespace {

// Ratios and means are fractions even when they happen to be whole.
bool is_count(std::string_view name) {
  return !name.ends_with("_ms") && !name.ends_with("_mean") && !name.starts_with("reach_") &&
         !name.starts_with("residue_") && name != "availability" &&
         name.find("per_") == std::string_view::npos;
}

}  // namespace

std::string format_metric(std::string_view name, double value) {
  if (!std::isfinite(value)) return value != value ? "nan" : (value > 0 ? "inf" : "-inf");
  if (is_count(name) && value == std::floor(value) && std::fabs(value) < 9.007199254740992e15) {
    return fixed(value, 0);
  }
  return fixed(value, name.ends_with("_ms") ? 3 : 4);
}

std::string format_speedup(double simulated_seconds, double wall_seconds) {
  if (!(wall_seconds > 0) || !std::isfinite(wall_seconds)) return "-";
  const double factor = simulated_seconds / wall_seconds;
  if (!std::isfinite(factor)) return "-";
  char text[64];
  if (factor >= 100) {
    std::snprintf(text, sizeof text, "%.0fx", factor);
  } else if (factor > 0) {
    // Three significant digits, without an exponent: 12.3x, 0.25x, 0.00123x.
    const int digits = std::max(0, 2 - static_cast<int>(std::floor(std::log10(factor))));
    std::snprintf(text, sizeof text, "%.*fx", digits, factor);
    // Trailing zeros say nothing here ("0.250x" -> "0.25x").
    std::string s(text);
    if (s.find('.') != std::string::npos) {
      auto x = s.size() - 1;
      auto end = x;
      while (end > 0 && s[end - 1] == '0') --end;
      if (s[end - 1] == '.') --end;
      s = s.substr(0, end) + "x";
    }
    return s;
  } else {
    std::snprintf(text, sizeof text, "0x");
  }
  return text;
}

}  // namespace herd::sim
