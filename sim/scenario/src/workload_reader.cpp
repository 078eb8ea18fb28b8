// [workload]: simulated clients (Poisson IAMAT and WHATSAT streams, random-waypoint
// mobility) and an optional script of exact protocol lines for replays.

#include <limits>
#include <string>

#include "readers.hpp"

namespace herd::sim::detail {
namespace {

constexpr std::int64_t kMaxClients = 10'000'000;

double read_rate(const toml::table& table, const std::string& path, std::int64_t clients) {
  const toml::node& rate = require(table, path, "rate", "requests per second across the herd");
  const double per_s = as_rate_per_s(rate, path + ".rate");
  if (per_s > 0 && clients == 0) {
    fail_at(rate.source(),
            path + ".rate: requests need clients; set workload.clients to 1 or more");
  }
  return per_s;
}

void read_mobility(const toml::node& node, WorkloadSpec& out) {
  const toml::table& table = as_table(node, "workload.mobility");
  check_keys(table, "workload.mobility", {"box", "speed"});
  if (const auto* box_node = table.get("box")) {
    const toml::array* box = box_node->as_array();
    if (box == nullptr || box->size() != 4) {
      fail_at(box_node->source(),
              "workload.mobility.box: expected [lat_min, lng_min, lat_max, "
              "lng_max] in degrees, got " +
                  describe_type(*box_node));
    }
    const auto degree = [&](std::size_t i, double limit) {
      return as_number(*box->get(i), index_path("workload.mobility.box", i), -limit, limit);
    };
    out.lat_min = degree(0, 90);
    out.lng_min = degree(1, 180);
    out.lat_max = degree(2, 90);
    out.lng_max = degree(3, 180);
    if (out.lat_max < out.lat_min || out.lng_max < out.lng_min) {
      fail_at(box_node->source(),
              "workload.mobility.box: the maximum corner (entries 2 and 3) "
              "must not be south or west of the minimum corner");
    }
  }
  if (const auto* speed = table.get("speed")) {
    out.speed_mps = as_speed_mps(*speed, "workload.mobility.speed");
  }
}

ScriptedCommand read_command(const toml::table& table, const std::string& path,
                             const ReadContext& context) {
  check_keys(table, path, {"at", "server", "line"});
  ScriptedCommand command;
  const toml::node& at = require(table, path, "at", "when the line is sent");
  command.at_ns = as_duration(at, path + ".at");
  if (command.at_ns > context.duration_ns) {
    fail_at(at.source(), path + ".at: " + format_duration(command.at_ns) +
                             " is after the scenario ends (scenario.duration = " +
                             format_duration(context.duration_ns) + ")");
  }
  command.server = as_server(require(table, path, "server", "the server that receives it"),
                             path + ".server", context.servers);
  const toml::node& line = require(table, path, "line", "the protocol line to send");
  command.line = as_nonempty_string(line, path + ".line");
  if (command.line.find_first_of("\r\n") != std::string::npos) {
    fail_at(line.source(), path + ".line: one line only; the newline is added when it is sent");
  }
  return command;
}

}  // namespace

void read_workload(const toml::table& root, Scenario& scenario, const ReadContext& context) {
  const toml::node* node = root.get("workload");
  if (node == nullptr) return;
  const toml::table& table = as_table(*node, "workload");
  check_keys(table, "[workload]",
             {"clients", "attach", "iamat", "whatsat", "mobility", "start", "end", "script"});
  WorkloadSpec& out = scenario.workload;
  if (const auto* clients = table.get("clients")) {
    out.clients = as_integer(*clients, "workload.clients", 0, kMaxClients);
  }
  if (const auto* attach = table.get("attach")) {
    const std::string value = as_string(*attach, "workload.attach");
    if (value == "random") {
      out.attach = WorkloadSpec::Attach::random;
    } else if (value == "round_robin") {
      out.attach = WorkloadSpec::Attach::round_robin;
    } else if (value == "sticky_random") {
      out.attach = WorkloadSpec::Attach::sticky_random;
    } else {
      fail_at(attach->source(),
              "workload.attach: expected \"random\", \"round_robin\" or "
              "\"sticky_random\", got " +
                  in_quotes(value));
    }
  }
  if (const auto* iamat = table.get("iamat")) {
    const toml::table& spec = as_table(*iamat, "workload.iamat");
    check_keys(spec, "workload.iamat", {"rate"});
    out.iamat_per_s = read_rate(spec, "workload.iamat", out.clients);
  }
  if (const auto* whatsat = table.get("whatsat")) {
    const toml::table& spec = as_table(*whatsat, "workload.whatsat");
    check_keys(spec, "workload.whatsat", {"rate", "radius_km", "bound"});
    out.whatsat_per_s = read_rate(spec, "workload.whatsat", out.clients);
    // The protocol's own limits (docs/protocol.md#whatsat): radius in (0, 50] km, bound in
    // [1, 20].
    if (const auto* radius = spec.get("radius_km")) {
      out.whatsat_radius_km = as_number(*radius, "workload.whatsat.radius_km", 0, 50);
      if (out.whatsat_radius_km <= 0) {
        fail_at(radius->source(),
                "workload.whatsat.radius_km: must be greater than 0 (at most 50)");
      }
    }
    if (const auto* bound = spec.get("bound")) {
      out.whatsat_bound = static_cast<int>(as_integer(*bound, "workload.whatsat.bound", 1, 20));
    }
  }
  if (const auto* mobility = table.get("mobility")) read_mobility(*mobility, out);
  if (const auto* start = table.get("start")) out.start_ns = as_duration(*start, "workload.start");
  if (const auto* end = table.get("end")) {
    out.end_ns = as_duration(*end, "workload.end", 1);
    if (out.end_ns > context.duration_ns) {
      fail_at(end->source(), "workload.end: " + format_duration(out.end_ns) +
                                 " is after the scenario ends (scenario.duration = " +
                                 format_duration(context.duration_ns) + ")");
    }
  }
  const Nanoseconds end_ns = out.end_ns == 0 ? context.duration_ns : out.end_ns;
  if (out.start_ns >= end_ns) {
    const toml::node* start = table.get("start");
    fail_at(start != nullptr ? start->source() : table.source(),
            "workload.start: " + format_duration(out.start_ns) +
                " leaves no time before the end (" + format_duration(end_ns) + ")");
  }
  if (const auto* script = table.get("script")) {
    const toml::array& entries = as_array(*script, "workload.script");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string path = index_path("workload.script", i);
      out.script.push_back(read_command(as_table(*entries.get(i), path), path, context));
    }
  }
}

}  // namespace herd::sim::detail
