#include "herd/gui/chart_data.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace herd::gui {

std::vector<double> propagation_delays_ms(const RunData& run) {
  std::vector<double> out;
  out.reserve(run.applies.size());
  for (const auto& a : run.applies) {
    if (a.update_id >= run.updates.size()) continue;
    if (a.server_id == run.updates[a.update_id].origin) continue;
    out.push_back(static_cast<double>(a.delay_ns) / 1e6);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Line delay_cdf(const RunData& run) {
  Line line;
  line.name = run_label(run.run);
  auto delays = propagation_delays_ms(run);
  line.points.reserve(delays.size());
  line.total = delays.size();
  const double n = static_cast<double>(delays.size());
  for (std::size_t i = 0; i < delays.size(); ++i) {
    line.points.push_back({delays[i], static_cast<double>(i + 1) / n});
  }
  return line;
}

Line delay_cdf(const RunData& run, std::size_t max_points) {
  std::vector<double> computed;
  const bool loaded = !run.delays_ms.empty() || run.applies.empty();
  if (!loaded) computed = propagation_delays_ms(run);
  const std::vector<double>& delays = loaded ? run.delays_ms : computed;
  Line line;
  line.name = run_label(run.run);
  const std::size_t n = delays.size();
  line.total = n;
  auto point = [&](std::size_t i) {
    return Point{delays[i], static_cast<double>(i + 1) / static_cast<double>(n)};
  };
  if (max_points < 2 || n <= max_points) {
    line.points.reserve(n);
    for (std::size_t i = 0; i < n; ++i) line.points.push_back(point(i));
    return line;
  }
  line.points.reserve(max_points);
  for (std::size_t k = 0; k < max_points; ++k) line.points.push_back(point(k * (n - 1) / (max_points - 1)));
  return line;
}

double nearest_rank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // The smallest value with at least p% of the data at or below it (metrics.cpp's rule).
  auto r = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999999);
  return sorted[std::min(sorted.size() - 1, r == 0 ? 0 : r - 1)];
}

Line thin_out(const Line& line, std::size_t max_points) {
  if (max_points < 2 || line.points.size() <= max_points) return line;
  Line out;
  out.name = line.name;
  out.total = line.total;
  out.points.reserve(max_points);
  const std::size_t last = line.points.size() - 1;
  for (std::size_t k = 0; k < max_points; ++k) {
    out.points.push_back(line.points[k * last / (max_points - 1)]);
  }
  return out;
}

std::vector<HopDelay> delay_by_hops(const RunData& run) {
  std::map<std::uint32_t, std::vector<double>> by_hops;
  for (const auto& a : run.applies) {
    if (!a.direct || a.hops == 0) continue;
    if (a.update_id < run.updates.size() && a.server_id == run.updates[a.update_id].origin) continue;
    by_hops[a.hops].push_back(static_cast<double>(a.delay_ns) / 1e6);
  }
  std::vector<HopDelay> out;
  for (auto& [hops, delays] : by_hops) {
    std::sort(delays.begin(), delays.end());
    HopDelay h;
    h.hops = hops;
    h.count = delays.size();
    h.p50_ms = nearest_rank(delays, 50);
    h.p95_ms = nearest_rank(delays, 95);
    h.max_ms = delays.back();
    double sum = 0;
    for (double d : delays) sum += d;
    h.mean_ms = sum / static_cast<double>(delays.size());
    out.push_back(h);
  }
  return out;
}

StalenessLines staleness_lines(const RunData& run, std::optional<std::uint32_t> server) {
  StalenessLines out;
  const std::string label = run_label(run.run);
  std::string who = server ? (*server < run.servers.size() ? run.servers[*server].name
                                                           : "server " + std::to_string(*server))
                           : std::string("herd");
  out.max.name = label + " max (" + who + ")";
  out.mean.name = label + " mean (" + who + ")";
  // Samples come by (at_ns, server_id): one group per sample time.
  std::size_t i = 0;
  while (i < run.staleness.size()) {
    const std::int64_t at = run.staleness[i].at_ns;
    std::int64_t max_ns = 0;
    double mean_sum = 0;
    std::size_t n = 0;
    for (; i < run.staleness.size() && run.staleness[i].at_ns == at; ++i) {
      const auto& s = run.staleness[i];
      if (server && s.server_id != *server) continue;
      max_ns = std::max(max_ns, s.max_ns);
      mean_sum += static_cast<double>(s.mean_ns);
      ++n;
    }
    if (n == 0) continue;  // the server was down at this sample
    const double x = static_cast<double>(at) / 1e9;
    out.max.points.push_back({x, static_cast<double>(max_ns) / 1e6});
    out.mean.points.push_back({x, mean_sum / static_cast<double>(n) / 1e6});
  }
  return out;
}

std::vector<FaultBand> fault_bands(const RunData& run) {
  std::vector<FaultBand> out;
  const double end_s = static_cast<double>(run.run.duration_ns + run.run.drained_ns) / 1e9;
  for (const auto& f : run.faults) {
    FaultBand b;
    b.from_s = static_cast<double>(f.at_ns) / 1e9;
    b.to_s = f.duration_ns > 0 ? static_cast<double>(f.at_ns + f.duration_ns) / 1e9 : end_s;
    b.kind = f.kind;
    b.label = f.kind + " " + f.servers;
    out.push_back(std::move(b));
  }
  return out;
}

KindBars traffic_per_update(const std::vector<const RunData*>& runs) {
  KindBars out;
  for (const RunData* r : runs) {
    out.runs.push_back(run_label(r->run));
    for (const auto& k : r->kinds) {
      if (k.kind == "greeting") continue;
      if (std::find(out.kinds.begin(), out.kinds.end(), k.kind) == out.kinds.end()) {
        out.kinds.push_back(k.kind);
      }
    }
  }
  out.values.assign(out.kinds.size(), std::vector<double>(runs.size(), 0.0));
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const double updates = static_cast<double>(runs[r]->updates.size());
    for (const auto& k : runs[r]->kinds) {
      auto it = std::find(out.kinds.begin(), out.kinds.end(), k.kind);
      if (it == out.kinds.end()) continue;
      out.values[static_cast<std::size_t>(it - out.kinds.begin())][r] =
          updates > 0 ? static_cast<double>(k.lines) / updates : 0.0;
    }
  }
  return out;
}

namespace {
// Linear interpolation between closest ranks (quartiles for the box plot).
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(sorted.size() - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}
}  // namespace

std::vector<Spread> metric_spread(const std::vector<const sim::StoredRun*>& runs,
                                  const std::string& metric) {
  // Groups in order of their first run.
  std::vector<Spread> out;
  std::map<std::tuple<std::string, std::string>, std::size_t> index;
  for (const sim::StoredRun* r : runs) {
    const std::string how = r->variant.empty() ? r->strategy : r->variant;
    auto key = std::make_tuple(r->scenario, how);
    auto [it, fresh] = index.try_emplace(key, out.size());
    if (fresh) {
      out.emplace_back();
      out.back().group = r->scenario + " " + how;
    }
    Spread& s = out[it->second];
    if (auto v = r->metric(metric)) {
      s.values.push_back(*v);
      s.run_ids.push_back(r->run_id);
    } else {
      ++s.missing;
    }
  }
  for (Spread& s : out) {
    if (s.values.empty()) continue;
    // Sort values and their runs together.
    std::vector<std::pair<double, std::int64_t>> pairs;
    for (std::size_t i = 0; i < s.values.size(); ++i) pairs.emplace_back(s.values[i], s.run_ids[i]);
    std::sort(pairs.begin(), pairs.end());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      s.values[i] = pairs[i].first;
      s.run_ids[i] = pairs[i].second;
    }
    s.min = s.values.front();
    s.max = s.values.back();
    s.q1 = quantile(s.values, 0.25);
    s.median = quantile(s.values, 0.5);
    s.q3 = quantile(s.values, 0.75);
    double sum = 0;
    for (double v : s.values) sum += v;
    s.mean = sum / static_cast<double>(s.values.size());
  }
  return out;
}

SweepBars sweep_bars(const std::vector<const sim::StoredRun*>& runs, const std::string& metric) {
  SweepBars out;
  out.metric = metric;
  auto index_of = [](std::vector<std::string>& names, const std::string& name) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
    names.push_back(name);
    return names.size() - 1;
  };
  std::vector<std::tuple<std::size_t, std::size_t, double>> values;
  for (const sim::StoredRun* r : runs) {
    const std::size_t s = index_of(out.scenarios, r->scenario);
    const std::size_t v = index_of(out.variants, r->variant.empty() ? r->strategy : r->variant);
    if (auto value = r->metric(metric)) values.emplace_back(v, s, *value);
  }
  std::vector<std::vector<double>> sums(out.variants.size(), std::vector<double>(out.scenarios.size(), 0.0));
  out.runs.assign(out.variants.size(), std::vector<std::size_t>(out.scenarios.size(), 0));
  for (const auto& [v, s, value] : values) {
    sums[v][s] += value;
    ++out.runs[v][s];
  }
  out.mean.assign(out.variants.size(), std::vector<std::optional<double>>(out.scenarios.size()));
  for (std::size_t v = 0; v < out.variants.size(); ++v) {
    for (std::size_t s = 0; s < out.scenarios.size(); ++s) {
      if (out.runs[v][s] > 0) out.mean[v][s] = sums[v][s] / static_cast<double>(out.runs[v][s]);
    }
  }
  return out;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string to_csv(const Table& table) {
  std::string out;
  auto row = [&](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      out += csv_field(fields[i]);
    }
    out += '\n';
  };
  row(table.header);
  for (const auto& r : table.rows) row(r);
  return out;
}

}  // namespace herd::gui
