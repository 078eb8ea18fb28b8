// What herd-soak prints: a progress line per sample, the report at the end and its JSON
// record (fields in docs/soak.md#report).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "herd/sim/load/report.hpp"
#include "herd/sim/soak/soak.hpp"

namespace herd::sim::soak {

namespace {

std::string mib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

std::string fault_text(const FaultSpec& f) {
  auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  };
  std::string who;
  switch (f.kind) {
    case FaultSpec::Kind::crash:
    case FaultSpec::Kind::pause:
    case FaultSpec::Kind::clock: who = join(f.servers); break;
    case FaultSpec::Kind::partition:
      for (const auto& g : f.groups) who += (who.empty() ? "" : " | ") + join(g);
      break;
    default: who = join(f.from) + " -> " + join(f.to); break;
  }
  char text[96];
  std::snprintf(text, sizeof text, "%8.1f s  %-9s for %5.1f s  ", static_cast<double>(f.at_ns) / 1e9,
                to_string(f.kind).data(), static_cast<double>(f.duration_ns) / 1e9);
  return text + who;
}

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

// The size series' growth rate per minute, from its least-squares line.
double growth_per_min(const std::vector<SizeSample>& sizes, bool logs) {
  std::vector<double> x, y;
  for (const auto& s : sizes) {
    x.push_back(s.t_s);
    y.push_back(static_cast<double>(logs ? s.log_bytes : s.folder_bytes));
  }
  return least_squares_slope(x, y) * 60.0;
}

}  // namespace

std::string format_progress(const SoakReport& r, double duration_s) {
  char line[160];
  const SizeSample last = r.sizes.empty() ? SizeSample{} : r.sizes.back();
  std::snprintf(line, sizeof line, "[herd-soak] %6.0fs/%.0fs  load %7.1f ok/s  load errors %llu  "
                "log warnings %llu  logs %s  RSS KiB",
                last.t_s, duration_s, last.load_ok_per_s,
                static_cast<unsigned long long>(last.load_errors),
                static_cast<unsigned long long>(r.log_problems), mib(last.log_bytes).c_str());
  std::string out = line;
  for (const auto& server : r.rss) {
    out += " " + server.name + " ";
    if (server.samples.empty() || server.samples.back().pid == 0) {
      out += "down";
    } else {
      out += std::to_string(server.samples.back().rss_kib);
    }
  }
  return out;
}

std::string format_report(const SoakReport& r) {
  std::string out;
  char line[512];
  std::map<std::string, int> kinds;
  for (const auto& f : r.faults) ++kinds[std::string(to_string(f.kind))];
  std::string fault_summary;
  for (const auto& [kind, n] : kinds) {
    fault_summary += (fault_summary.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
  }
  std::snprintf(line, sizeof line,
                "herd-soak: %s (seed %llu) on %zu herd-server processes, %.0f s of load, %zu "
                "faults%s%s%s\n",
                r.scenario.c_str(), static_cast<unsigned long long>(r.seed), r.servers.size(),
                r.duration_s, r.faults.size(), fault_summary.empty() ? "" : " (",
                fault_summary.c_str(), fault_summary.empty() ? "" : ")");
  out += line;
  std::snprintf(line, sizeof line,
                "  wall %.1f s (%.1f s of workload + %.1f s drain); machine: %u cores, load "
                "average %s at the start, %s at the end\n",
                r.wall_s, static_cast<double>(r.counters.simulated_ns) / 1e9,
                static_cast<double>(r.counters.drained_ns) / 1e9, r.cores,
                r.loadavg_start.c_str(), r.loadavg_end.c_str());
  out += line;
  if (r.interrupted_by) out += "  INTERRUPTED by signal " + std::to_string(r.interrupted_by) + "\n";

  out += "throughput\n";
  if (r.load_ran) {
    const auto& l = r.load;
    std::snprintf(line, sizeof line,
                  "  herd-load  %llu ok of %llu commands in %.1f s: %.1f ok/s; latency p50 %.2f "
                  "ms, p99 %.2f ms, max %.2f ms; %llu failed\n",
                  static_cast<unsigned long long>(l.ok()),
                  static_cast<unsigned long long>(l.measured()), l.measured_s, l.throughput_per_s(),
                  ms(l.latency.quantile(0.5)), ms(l.latency.quantile(0.99)), ms(l.latency.max()),
                  static_cast<unsigned long long>(l.failed()));
    out += line;
  } else {
    out += "  herd-load  not run\n";
  }
  const auto& w = r.workload;
  const double dur = std::max(r.duration_s, 1e-9);
  std::snprintf(line, sizeof line,
                "  workload   %llu requests (%.1f/s), %llu answered (availability %.4f); %llu "
                "updates, propagation p50 %.2f ms, p99 %.2f ms; %llu lost\n",
                static_cast<unsigned long long>(w.requests), static_cast<double>(w.requests) / dur,
                static_cast<unsigned long long>(w.answered), w.availability,
                static_cast<unsigned long long>(w.updates), ms(static_cast<std::uint64_t>(w.propagation.p50_ns)),
                ms(static_cast<std::uint64_t>(w.propagation.p99_ns)),
                static_cast<unsigned long long>(w.lost_updates));
  out += line;
  std::snprintf(line, sizeof line, "  peers      %llu lines through the link proxies (%.1f/s)\n",
                static_cast<unsigned long long>(r.counters.peer_deliveries),
                static_cast<double>(r.counters.peer_deliveries) / dur);
  out += line;

  std::snprintf(line, sizeof line,
                "RSS (KiB; flat: slope <= %.1f KiB/min after a %.0f s warm-up, over at least %.0f s)\n",
                r.trend_options.slope_limit_kib_per_min, r.trend_options.warmup_s,
                r.trend_options.min_span_s);
  out += line;
  out += "  server     pid      first   window start      end      max   KiB/min  verdict\n";
  auto kib = [](std::uint64_t v, bool known) {
    return known ? std::to_string(v) : std::string("-");
  };
  for (const auto& server : r.rss) {
    for (const auto& p : server.processes) {
      const Trend& t = p.trend;
      const bool window = t.points > 0;
      char slope[32] = "-";
      if (window) std::snprintf(slope, sizeof slope, "%+.1f", t.slope_kib_per_min);
      const std::string verdict =
          !t.judged ? "not judged: " + t.not_judged : (t.flat ? "flat" : "GROWING");
      std::snprintf(line, sizeof line, "  %-9s %7d %9llu %9s %9s %9s %8s  %s\n",
                    server.name.c_str(), p.pid, static_cast<unsigned long long>(t.first_kib),
                    kib(t.window_first_kib, window).c_str(), kib(t.last_kib, window).c_str(),
                    kib(t.max_kib, window).c_str(), slope, verdict.c_str());
      out += line;
    }
  }
  // Per server, whatever its restarts: the first and the last sample with a process.
  for (const auto& server : r.rss) {
    const RssSample* first = nullptr;
    const RssSample* last = nullptr;
    std::uint64_t max = 0;
    for (const auto& s : server.samples) {
      if (s.pid == 0) continue;
      if (!first) first = &s;
      last = &s;
      max = std::max(max, s.rss_kib);
    }
    if (!first) continue;
    std::snprintf(line, sizeof line,
                  "  %-9s %llu KiB at %.0f s, %llu KiB at %.0f s, max %llu KiB, %zu process(es)\n",
                  server.name.c_str(), static_cast<unsigned long long>(first->rss_kib), first->t_s,
                  static_cast<unsigned long long>(last->rss_kib), last->t_s,
                  static_cast<unsigned long long>(max), server.processes.size());
    out += line;
  }
  if (!r.sizes.empty()) {
    std::snprintf(line, sizeof line,
                  "logs: %s at the start, %s at the end (%+.1f KiB/min); run folder %s at the "
                  "end (%+.1f KiB/min, observation files included)\n",
                  mib(r.sizes.front().log_bytes).c_str(), mib(r.sizes.back().log_bytes).c_str(),
                  growth_per_min(r.sizes, true) / 1024, mib(r.sizes.back().folder_bytes).c_str(),
                  growth_per_min(r.sizes, false) / 1024);
    out += line;
  }
  if (!r.faults.empty()) {
    out += "faults\n";
    for (const auto& f : r.faults) out += "  " + fault_text(f) + "\n";
  }
  out += "errors\n";
  std::snprintf(line, sizeof line,
                "  server log lines at warning or above: %llu, %llu explained (link churn while "
                "a fault named its server or friend, or while the herd came up)\n",
                static_cast<unsigned long long>(r.log_problems),
                static_cast<unsigned long long>(r.log_explained));
  out += line;
  std::snprintf(line, sizeof line,
                "  herd-load commands failed: %llu, %llu explained by a fault (their server "
                "crashed or paused)\n",
                static_cast<unsigned long long>(r.client_failures),
                static_cast<unsigned long long>(r.client_explained));
  out += line;
  if (r.load_unsolicited) {
    out += "  herd-load connections closed for bytes that answer no command: " +
           std::to_string(r.load_unsolicited) + "\n";
  }
  if (r.unclassified) out += "  not classified (over the limit): " + std::to_string(r.unclassified) + "\n";
  for (const auto& e : r.explained) {
    out += "    explained: " + e.source_kind + ": " + std::to_string(e.count) + "\n";
  }
  out += "  unexplained: " + std::to_string(r.unexplained) + "\n";
  for (const auto& e : r.listed) {
    std::snprintf(line, sizeof line, "  %9.3f s  %-6s %-9s %s\n", e.t_s,
                  e.source == ErrorRecord::Source::log ? "log" : "client", e.server.c_str(),
                  e.text.substr(0, 300).c_str());
    out += line;
  }
  if (r.listed.size() < r.unexplained) {
    out += "  ... " + std::to_string(r.unexplained - r.listed.size()) + " more not listed\n";
  }
  if (r.passed) {
    out += "verdict: PASS\n";
  } else {
    out += "verdict: FAIL\n";
    for (const auto& reason : r.reasons) out += "  " + reason + "\n";
  }
  return out;
}

std::string report_json(const SoakReport& r) {
  namespace json = boost::json;
  json::object o;
  o["scenario"] = r.scenario;
  o["seed"] = r.seed;
  o["duration_s"] = r.duration_s;
  o["sample_every_s"] = r.sample_every_s;
  o["wall_s"] = r.wall_s;
  o["drain_s"] = static_cast<double>(r.counters.drained_ns) / 1e9;
  o["interrupted_by"] = r.interrupted_by;
  json::object machine;
  machine["cores"] = r.cores;
  machine["loadavg_start"] = r.loadavg_start;
  machine["loadavg_end"] = r.loadavg_end;
  o["machine"] = machine;
  json::array faults;
  for (const auto& f : r.faults) {
    json::object j;
    j["kind"] = to_string(f.kind);
    j["at_s"] = static_cast<double>(f.at_ns) / 1e9;
    j["for_s"] = static_cast<double>(f.duration_ns) / 1e9;
    j["origin"] = f.origin;
    j["text"] = fault_text(f);
    faults.push_back(j);
  }
  o["faults"] = faults;
  json::object throughput;
  if (r.load_ran) throughput["load"] = load::to_json(r.load_options, r.load);
  json::object workload;
  workload["requests"] = r.workload.requests;
  workload["answered"] = r.workload.answered;
  workload["availability"] = r.workload.availability;
  workload["updates"] = r.workload.updates;
  workload["lost_updates"] = r.workload.lost_updates;
  workload["propagation_p50_ms"] = ms(static_cast<std::uint64_t>(r.workload.propagation.p50_ns));
  workload["propagation_p99_ms"] = ms(static_cast<std::uint64_t>(r.workload.propagation.p99_ns));
  workload["requests_per_s"] = static_cast<double>(r.workload.requests) / std::max(r.duration_s, 1e-9);
  throughput["workload"] = workload;
  throughput["peer_lines"] = r.counters.peer_deliveries;
  throughput["peer_lines_per_s"] =
      static_cast<double>(r.counters.peer_deliveries) / std::max(r.duration_s, 1e-9);
  o["throughput"] = throughput;
  json::object rss;
  rss["warmup_s"] = r.trend_options.warmup_s;
  rss["min_span_s"] = r.trend_options.min_span_s;
  rss["slope_limit_kib_per_min"] = r.trend_options.slope_limit_kib_per_min;
  rss["flat"] = r.rss_flat;
  rss["processes_judged"] = r.processes_judged;
  json::array servers;
  for (const auto& s : r.rss) {
    json::object js;
    js["name"] = s.name;
    json::array samples;
    for (const auto& p : s.samples) samples.push_back(json::array{p.t_s, p.pid, p.rss_kib});
    js["samples"] = samples;  // [t_s, pid, rss_kib]
    json::array processes;
    for (const auto& p : s.processes) {
      json::object jp;
      jp["pid"] = p.pid;
      jp["judged"] = p.trend.judged;
      jp["not_judged"] = p.trend.not_judged;
      jp["flat"] = p.trend.flat;
      jp["slope_kib_per_min"] = p.trend.slope_kib_per_min;
      jp["from_s"] = p.trend.from_s;
      jp["to_s"] = p.trend.to_s;
      jp["points"] = p.trend.points;
      jp["first_kib"] = p.trend.first_kib;
      jp["window_first_kib"] = p.trend.window_first_kib;
      jp["last_kib"] = p.trend.last_kib;
      jp["max_kib"] = p.trend.max_kib;
      processes.push_back(jp);
    }
    js["processes"] = processes;
    servers.push_back(js);
  }
  rss["servers"] = servers;
  o["rss"] = rss;
  json::array sizes;
  for (const auto& s : r.sizes) {
    json::object js;
    js["t_s"] = s.t_s;
    js["log_bytes"] = s.log_bytes;
    js["folder_bytes"] = s.folder_bytes;
    js["load_done"] = s.load_done;
    js["load_errors"] = s.load_errors;
    js["load_ok_per_s"] = s.load_ok_per_s;
    sizes.push_back(js);
  }
  o["samples"] = sizes;
  json::object errors;
  errors["log_problems"] = r.log_problems;
  errors["log_explained"] = r.log_explained;
  errors["client_failures"] = r.client_failures;
  errors["client_explained"] = r.client_explained;
  errors["load_unsolicited"] = r.load_unsolicited;
  errors["unclassified"] = r.unclassified;
  errors["unexplained"] = r.unexplained;
  json::array listed;
  for (const auto& e : r.listed) {
    json::object je;
    je["source"] = e.source == ErrorRecord::Source::log ? "log" : "client";
    je["t_s"] = e.t_s;
    if (e.source == ErrorRecord::Source::client) je["due_s"] = e.due_s;
    je["server"] = e.server;
    je["kind"] = e.kind;
    je["text"] = e.text;
    listed.push_back(je);
  }
  errors["listed"] = listed;
  json::object explained;
  for (const auto& e : r.explained) explained[e.source_kind] = e.count;
  errors["explained"] = explained;
  o["errors"] = errors;
  json::array reasons;
  for (const auto& reason : r.reasons) reasons.push_back(json::value(reason));
  o["passed"] = r.passed;
  o["reasons"] = reasons;
  return load::json_text(o);
}

}  // namespace herd::sim::soak
