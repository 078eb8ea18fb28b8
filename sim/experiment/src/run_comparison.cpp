#include "herd/sim/run_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

namespace herd::sim {

namespace {

// With a run stored --summary-only, only what its summary holds.
constexpr const char* kSummaryDelays[] = {"propagation_p50_ms", "propagation_p95_ms",
                                          "propagation_p99_ms", "propagation_max_ms"};

std::optional<double> summary_value(const RunProfile& p, const std::string& name) {
  for (const auto& [metric, value] : p.summary) {
    if (metric == name) return value;
  }
  return std::nullopt;
}

void check(const Tolerance& t) {
  // Written so that NaN fails too.
  if (!(t.pct >= 0) || !(t.ms >= 0)) {
    throw std::invalid_argument("tolerances must be zero or more");
  }
}

void judge(ComparisonRow& row, const Tolerance& t) {
  row.allowed = 0;
  if (!row.a && !row.b) {
    row.verdict = row.absent_means_never ? CompareVerdict::within : CompareVerdict::absent;
    return;
  }
  if (!row.a || !row.b) {
    row.verdict = row.absent_means_never ? CompareVerdict::differs : CompareVerdict::one_sided;
    return;
  }
  const double a = *row.a, b = *row.b;
  row.allowed = t.pct / 100.0 * std::max(std::fabs(a), std::fabs(b)) +
                (row.unit == CompareUnit::ms ? t.ms : 0.0);
  // A hair of slack for values that went through a double and back.
  row.verdict =
      std::fabs(a - b) <= row.allowed + 1e-12 ? CompareVerdict::within : CompareVerdict::differs;
}

std::vector<ComparisonRow> build_rows(const RunProfile& a, const RunProfile& b,
                                      const Tolerance& t) {
  std::vector<ComparisonRow> rows;
  auto add = [&](std::string name, CompareUnit unit, std::optional<double> va,
                 std::optional<double> vb, bool absent_means_never = false) {
    ComparisonRow row{std::move(name), unit, va, vb, absent_means_never, 0,
                      CompareVerdict::absent};
    judge(row, t);
    rows.push_back(std::move(row));
  };
  auto from_summary = [&](const std::string& name, CompareUnit unit,
                          bool absent_means_never = false) {
    add(name, unit, summary_value(a, name), summary_value(b, name), absent_means_never);
  };

  // Propagation delay: the full set of quantiles when both runs kept their deliveries.
  const auto& quantiles = compared_delay_quantiles();
  if (a.delay_count > 0 && b.delay_count > 0 && a.delay_quantiles_ns.size() == quantiles.size() &&
      b.delay_quantiles_ns.size() == quantiles.size()) {
    for (std::size_t i = 0; i < quantiles.size(); ++i) {
      add(quantiles[i].metric, CompareUnit::ms,
          static_cast<double>(a.delay_quantiles_ns[i]) / 1e6,
          static_cast<double>(b.delay_quantiles_ns[i]) / 1e6);
    }
  } else {
    for (const char* name : kSummaryDelays) from_summary(name, CompareUnit::ms);
  }
  from_summary("propagation_mean_ms", CompareUnit::ms);

  auto staleness = [](const RunProfile& p, bool max) -> std::optional<double> {
    if (p.staleness_samples == 0) return std::nullopt;
    return (max ? static_cast<double>(p.staleness_max_ns) : p.staleness_mean_ns) / 1e6;
  };
  add("staleness_mean_ms", CompareUnit::ms, staleness(a, false), staleness(b, false));
  add("staleness_max_ms", CompareUnit::ms, staleness(a, true), staleness(b, true));
  from_summary("convergence_ms", CompareUnit::ms, /*absent_means_never=*/true);
  from_summary("reach_mean", CompareUnit::ratio);
  from_summary("reach_min", CompareUnit::ratio);

  // Traffic per update by message kind: lines of each kind / updates (a kind a run never
  // sent counts 0 lines). Greetings are left out, as from M (docs/metrics.md): they count
  // how often links came up, not what was spread. A set, so the kinds come out by name
  // whatever order the runs stored them in.
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
    add("lines_per_update[" + kind + "]", CompareUnit::ratio, per_update(a, kind),
        per_update(b, kind));
  }
  from_summary("messages_per_update", CompareUnit::ratio);
  from_summary("rmr", CompareUnit::ratio);
  return rows;
}

}  // namespace

const char* verdict_text(CompareVerdict v) {
  switch (v) {
    case CompareVerdict::within: return "ok";
    case CompareVerdict::differs: return "DIFFERS";
    case CompareVerdict::one_sided: return "one run only";
    case CompareVerdict::absent: return "n/a";
  }
  return "?";
}

const char* verdict_name(CompareVerdict v) {
  switch (v) {
    case CompareVerdict::within: return "within";
    case CompareVerdict::differs: return "differs";
    case CompareVerdict::one_sided: return "one_sided";
    case CompareVerdict::absent: return "absent";
  }
  return "?";
}

const char* unit_name(CompareUnit u) { return u == CompareUnit::ms ? "ms" : "ratio"; }

std::optional<double> ComparisonRow::diff() const {
  if (!a || !b) return std::nullopt;
  return *b - *a;
}

bool RunComparison::within_tolerance() const {
  return std::none_of(rows.begin(), rows.end(),
                      [](const ComparisonRow& r) { return r.verdict == CompareVerdict::differs; });
}

std::vector<std::string> RunComparison::differing() const {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    if (r.verdict == CompareVerdict::differs) out.push_back(r.metric);
  }
  return out;
}

std::vector<std::string> RunComparison::one_sided() const {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    if (r.verdict == CompareVerdict::one_sided) out.push_back(r.metric);
  }
  return out;
}

const std::vector<DelayQuantile>& compared_delay_quantiles() {
  static const std::vector<DelayQuantile> quantiles{
      {"propagation_p10_ms", 0.10}, {"propagation_p25_ms", 0.25}, {"propagation_p50_ms", 0.50},
      {"propagation_p75_ms", 0.75}, {"propagation_p90_ms", 0.90}, {"propagation_p95_ms", 0.95},
      {"propagation_p99_ms", 0.99}, {"propagation_max_ms", 1.00}};
  return quantiles;
}

std::vector<double> compared_quantiles() {
  std::vector<double> out;
  for (const auto& q : compared_delay_quantiles()) out.push_back(q.q);
  return out;
}

NoSuchRun::NoSuchRun(const std::filesystem::path& db, std::int64_t id)
    : ResultsError(db.string() + " has no run " + std::to_string(id)), run_id(id) {}

RunComparison compare_profiles(RunProfile a, RunProfile b, const Tolerance& tolerance) {
  check(tolerance);
  RunComparison out;
  out.rows = build_rows(a, b, tolerance);
  out.a = std::move(a);
  out.b = std::move(b);
  out.tolerance = tolerance;
  return out;
}

RunComparison compare_runs(const ResultsReader& reader, std::int64_t a, std::int64_t b,
                           const Tolerance& tolerance) {
  check(tolerance);
  const std::vector<double> quantiles = compared_quantiles();
  auto profile_of = [&](std::int64_t id) {
    auto profile = reader.run_profile(id, quantiles);
    if (!profile) throw NoSuchRun(reader.path(), id);
    return std::move(*profile);
  };
  RunProfile pa = profile_of(a);
  RunProfile pb = profile_of(b);
  return compare_profiles(std::move(pa), std::move(pb), tolerance);
}

RunComparison compare_runs(const std::filesystem::path& db, std::int64_t a, std::int64_t b,
                           const Tolerance& tolerance) {
  // The tolerance first: a bad one is the caller's mistake whatever the file holds.
  check(tolerance);
  const ResultsReader reader(db);
  return compare_runs(reader, a, b, tolerance);
}

}  // namespace herd::sim
