#include "herd/sim/load/report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace herd::sim::load {

namespace {

double ms(std::uint64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e3; }

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

struct Quantile {
  const char* name;
  double q;
};
constexpr Quantile kQuantiles[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99_9", 0.999}};

boost::json::object latency_json(const Histogram& h) {
  boost::json::object out;
  out["count"] = h.count();
  out["min"] = ms(h.min());
  out["mean"] = std::round(h.mean() / 1e3) / 1e3;
  for (const auto& [name, q] : kQuantiles) out[name] = ms(h.quantile(q));
  out["max"] = ms(h.max());
  return out;
}

std::string latency_row(const char* label, std::uint64_t issued, std::uint64_t ok,
                        std::uint64_t failed, const Histogram& h) {
  char line[256];
  std::snprintf(line, sizeof line, "%-8s %10llu %10llu %8llu %9s %9s %9s %9s %9s %9s\n", label,
                static_cast<unsigned long long>(issued), static_cast<unsigned long long>(ok),
                static_cast<unsigned long long>(failed),
                h.count() ? fixed(ms(h.quantile(0.5)), 3).c_str() : "-",
                h.count() ? fixed(ms(h.quantile(0.9)), 3).c_str() : "-",
                h.count() ? fixed(ms(h.quantile(0.99)), 3).c_str() : "-",
                h.count() ? fixed(ms(h.quantile(0.999)), 3).c_str() : "-",
                h.count() ? fixed(ms(h.max()), 3).c_str() : "-",
                h.count() ? fixed(h.mean() / 1e6, 3).c_str() : "-");
  return line;
}

std::string describe_load(const LoadOptions& o) {
  std::ostringstream out;
  out << o.targets.size() << (o.targets.size() == 1 ? " target" : " targets") << ", "
      << to_string(o.style) << " connections, ";
  if (o.rate_per_s > 0) {
    out << "open loop at " << o.rate_per_s << " commands/s (" << to_string(o.arrivals) << ")";
  } else {
    out << "closed loop, " << o.connections << " connection(s) x " << o.outstanding
        << " outstanding";
  }
  out << ", WHATSAT share " << o.workload.whatsat_fraction << ", " << o.threads
      << (o.threads == 1 ? " thread" : " threads") << ", seed " << o.seed;
  return out.str();
}

}  // namespace

std::string format_progress(const Progress& now, const Progress& before) {
  const double dt = now.elapsed_s - before.elapsed_s;
  const double rate =
      dt > 0 ? static_cast<double>(now.completed - before.completed) / dt : 0.0;
  char line[256];
  std::snprintf(line, sizeof line,
                "[herd-load] %6.1fs%s  issued %llu  done %llu (%.0f/s)  errors %llu  in flight %llu",
                now.elapsed_s, now.warming_up ? " (warm-up)" : "",
                static_cast<unsigned long long>(now.issued),
                static_cast<unsigned long long>(now.completed), rate,
                static_cast<unsigned long long>(now.errors),
                static_cast<unsigned long long>(now.in_flight));
  return line;
}

std::string format_table(const LoadOptions& o, const LoadResult& r) {
  std::ostringstream out;
  out << "herd-load: " << describe_load(o) << "\n";
  out << "measured " << fixed(r.measured_s, 3) << " s after " << o.warmup_s << " s warm-up ("
      << r.warmup_commands << " warm-up commands, " << r.warmup_errors << " failed); "
      << fixed(r.throughput_per_s(), 1) << " good replies/s\n\n";
  char head[256];
  std::snprintf(head, sizeof head, "%-8s %10s %10s %8s %9s %9s %9s %9s %9s %9s\n", "command",
                "issued", "ok", "failed", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
                "mean ms");
  out << head;
  for (std::size_t k = 0; k < kCommandKinds; ++k) {
    const KindStats& s = r.kinds[k];
    out << latency_row(to_string(static_cast<CommandKind>(k)), s.issued, s.ok, s.failed, s.latency);
  }
  out << latency_row("all", r.measured(), r.ok(), r.failed(), r.latency);
  out << "\nerrors:";
  bool any = false;
  for (std::size_t e = 0; e < kErrorKinds; ++e) {
    if (r.errors[e] == 0) continue;
    out << " " << to_string(static_cast<ErrorKind>(e)) << " " << r.errors[e];
    any = true;
  }
  if (!any) out << " none";
  out << "\n";
  if (r.skipped > 0) out << "skipped (backlog full): " << r.skipped << "\n";
  if (r.unsolicited > 0) out << "connections closed for unsolicited bytes: " << r.unsolicited << "\n";
  if (r.whatsat_substituted > 0) {
    out << "WHATSATs sent as IAMATs (no acknowledged client yet): " << r.whatsat_substituted << "\n";
  }
  for (std::size_t e = 0; e < kErrorKinds; ++e) {
    if (!r.error_examples[e].empty()) {
      out << "first " << to_string(static_cast<ErrorKind>(e)) << ": " << r.error_examples[e] << "\n";
    }
  }
  return out.str();
}

boost::json::object to_json(const LoadOptions& o, const LoadResult& r) {
  boost::json::object out;
  out["tool"] = "herd-load";
  out["format"] = 1;
  boost::json::array targets;
  for (const Target& t : o.targets) targets.emplace_back(t.text);
  out["targets"] = std::move(targets);
  boost::json::object setup;
  setup["style"] = to_string(o.style);
  setup["loop"] = o.rate_per_s > 0 ? "open" : "closed";
  setup["rate_per_s"] = o.rate_per_s;
  setup["arrivals"] = to_string(o.arrivals);
  setup["connections"] = o.connections;
  setup["outstanding"] = o.outstanding;
  setup["threads"] = o.threads;
  setup["seed"] = o.seed;
  setup["clients"] = o.workload.clients;
  setup["whatsat_fraction"] = o.workload.whatsat_fraction;
  setup["radius_km"] = o.workload.radius_km;
  setup["bound"] = o.workload.bound;
  setup["warmup_s"] = o.warmup_s;
  setup["duration_s"] = o.duration_s;
  setup["count"] = o.count;
  setup["timeout_s"] = o.timeout_s;
  setup["max_connections"] = o.max_connections;
  out["setup"] = std::move(setup);

  out["measured_s"] = r.measured_s;
  out["wall_s"] = r.wall_s;
  out["commands"] = r.measured();
  out["ok"] = r.ok();
  out["failed"] = r.failed();
  out["throughput_per_s"] = r.throughput_per_s();
  boost::json::object kinds;
  for (std::size_t k = 0; k < kCommandKinds; ++k) {
    const KindStats& s = r.kinds[k];
    boost::json::object kind;
    kind["issued"] = s.issued;
    kind["ok"] = s.ok;
    kind["failed"] = s.failed;
    kind["latency_ms"] = latency_json(s.latency);
    kinds[to_string(static_cast<CommandKind>(k))] = std::move(kind);
  }
  out["kinds"] = std::move(kinds);
  out["latency_ms"] = latency_json(r.latency);
  boost::json::object errors;
  boost::json::object examples;
  for (std::size_t e = 0; e < kErrorKinds; ++e) {
    const char* name = to_string(static_cast<ErrorKind>(e));
    errors[name] = r.errors[e];
    if (!r.error_examples[e].empty()) examples[name] = r.error_examples[e];
  }
  out["errors"] = std::move(errors);
  out["error_examples"] = std::move(examples);
  boost::json::object warmup;
  warmup["commands"] = r.warmup_commands;
  warmup["errors"] = r.warmup_errors;
  out["warmup"] = std::move(warmup);
  out["skipped"] = r.skipped;
  out["unsolicited"] = r.unsolicited;
  out["whatsat_substituted"] = r.whatsat_substituted;
  out["connections_opened"] = r.connections_opened;
  return out;
}

namespace {

void append_json(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::value(member.key()));
        out += ':';
        append_json(out, member.value());
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(out, element);
      }
      out += ']';
      return;
    }
    case boost::json::kind::double_: {
      const double number = value.get_double();
      if (!std::isfinite(number)) {
        out += "null";
        return;
      }
      std::string digits = fixed(number, 6);
      while (digits.back() == '0') digits.pop_back();
      if (digits.back() == '.') digits.pop_back();
      if (digits == "-0") digits = "0";
      out += digits;
      return;
    }
    default:
      out += boost::json::serialize(value);
      return;
  }
}

}  // namespace

std::string json_text(const boost::json::value& value) {
  std::string out;
  append_json(out, value);
  return out;
}

}  // namespace herd::sim::load
