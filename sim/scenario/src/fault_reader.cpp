// [[faults]] (a scripted fault schedule) and [random_faults] (a seeded swarm schedule).
//
// The random schedule has its own top-level table because TOML reads a [faults.random]
// header written after [[faults]] entries as a sub-table of the last fault.

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "readers.hpp"

namespace herd::sim::detail {
namespace {

using Kind = FaultSpec::Kind;

constexpr std::array<std::pair<std::string_view, Kind>, 7> kKinds{{
    {"crash", Kind::crash},
    {"pause", Kind::pause},
    {"partition", Kind::partition},
    {"one_way", Kind::one_way},
    {"clog", Kind::clog},
    {"latency", Kind::latency},
    {"clock", Kind::clock},
}};

constexpr std::string_view kRandomHint =
    "a random fault schedule goes in its own [random_faults] table (in TOML, [faults.random] "
    "after [[faults]] would belong to the last fault)";

void check_within_run(const toml::node& node, const std::string& path, Nanoseconds at_ns,
                      const ReadContext& context) {
  if (at_ns > context.duration_ns) {
    fail_at(node.source(), path + ": " + format_duration(at_ns) +
                               " is after the scenario ends (scenario.duration = " +
                               format_duration(context.duration_ns) + ")");
  }
}

// Two sides: ["A", "B"] (one server each) or [["A", "B"], ["C"]] (groups).
std::pair<std::vector<std::string>, std::vector<std::string>> read_sides(
    const toml::node& node, const std::string& path, const ReadContext& context) {
  const toml::array* sides = node.as_array();
  if (sides == nullptr || sides->size() != 2) {
    fail_at(node.source(), path +
                               ": expected two sides such as [\"Clark\", \"Bona\"] or "
                               "[[\"Clark\"], [\"Bona\", \"Bailey\"]], got " +
                               describe_type(node));
  }
  auto from = as_server_list(*sides->get(0), index_path(path, 0), context.servers);
  auto to = as_server_list(*sides->get(1), index_path(path, 1), context.servers);
  for (const auto& name : to) {
    if (std::find(from.begin(), from.end(), name) != from.end()) {
      fail_at(sides->get(1)->source(),
              index_path(path, 1) + ": " + in_quotes(name) + " is on both sides");
    }
  }
  return {std::move(from), std::move(to)};
}

void read_partition(const toml::node& node, const std::string& path, FaultSpec& fault,
                    const ReadContext& context) {
  const toml::array* groups = node.as_array();
  if (groups == nullptr || groups->size() < 2) {
    fail_at(node.source(), path +
                               ": expected two or more groups of servers such as "
                               "[[\"Bailey\", \"Bona\"], [\"Campbell\", \"Clark\"]], got " +
                               describe_type(node));
  }
  for (std::size_t i = 0; i < groups->size(); ++i) {
    const std::string group_path = index_path(path, i);
    auto group = as_server_list(*groups->get(i), group_path, context.servers);
    for (const auto& name : group) {
      for (const auto& earlier : fault.groups) {
        if (std::find(earlier.begin(), earlier.end(), name) != earlier.end()) {
          fail_at(groups->get(i)->source(),
                  group_path + ": " + in_quotes(name) + " is already in another group");
        }
      }
    }
    fault.groups.push_back(std::move(group));
  }
}

void read_kind(Kind kind, const toml::node& node, const std::string& path, FaultSpec& fault,
               const ReadContext& context) {
  switch (kind) {
    case Kind::crash:
    case Kind::pause:
      fault.servers = as_server_list(node, path, context.servers);
      return;
    case Kind::partition:
      read_partition(node, path, fault, context);
      return;
    case Kind::one_way: {
      const toml::table& table = as_table(node, path);
      check_keys(table, path, {"from", "to"});
      fault.from = as_server_list(require(table, path, "from", "servers whose messages are lost"),
                                  path + ".from", context.servers);
      fault.to = as_server_list(require(table, path, "to", "servers that stop hearing them"),
                                path + ".to", context.servers);
      for (const auto& name : fault.to) {
        if (std::find(fault.from.begin(), fault.from.end(), name) != fault.from.end()) {
          fail_at(table.get("to")->source(), path + ".to: " + in_quotes(name) + " is also in from");
        }
      }
      return;
    }
    case Kind::clog:
    case Kind::latency: {
      const toml::table& table = as_table(node, path);
      if (kind == Kind::clog) check_keys(table, path, {"between"});
      const toml::node& between =
          require(table, path, "between", "the two sides of the affected links");
      std::tie(fault.from, fault.to) = read_sides(between, path + ".between", context);
      if (kind == Kind::latency)
        fault.latency = read_distribution(node, path, context, {"between"});
      return;
    }
    case Kind::clock: {
      const toml::table& table = as_table(node, path);
      check_keys(table, path, {"server", "skew", "drift_ppm"});
      fault.servers = as_server_list(require(table, path, "server", "whose clock changes"),
                                     path + ".server", context.servers);
      const toml::node* skew = table.get("skew");
      const toml::node* drift = table.get("drift_ppm");
      if (skew == nullptr && drift == nullptr) {
        fail_at(table.source(), path + ": a clock fault needs skew, drift_ppm or both");
      }
      if (skew != nullptr) fault.skew_ns = as_signed_duration(*skew, path + ".skew");
      if (drift != nullptr) fault.drift_ppm = as_number(*drift, path + ".drift_ppm", -1e6, 1e6);
      return;
    }
  }
}

FaultSpec read_fault(const toml::table& table, const std::string& path,
                     const ReadContext& context) {
  if (const toml::key* random = find_key(table, "random")) {
    fail_at(random->source(), path + ": " + std::string(kRandomHint));
  }
  check_keys(table, path,
             {"at", "for", "amnesia", "crash", "pause", "partition", "one_way", "clog", "latency",
              "clock"});
  const toml::key* kind_key = nullptr;
  Kind kind = Kind::crash;
  for (const auto& [name, candidate] : kKinds) {
    const toml::key* key = find_key(table, name);
    if (key == nullptr) continue;
    if (kind_key != nullptr) {
      // Name them in file order whichever key the table happens to sort first.
      const bool later = key->source().begin.line > kind_key->source().begin.line ||
                         (key->source().begin.line == kind_key->source().begin.line &&
                          key->source().begin.column > kind_key->source().begin.column);
      const toml::key* first = later ? kind_key : key;
      const toml::key* second = later ? key : kind_key;
      fail_at(second->source(), path + ": a fault does one thing; this one is both " +
                                    std::string(first->str()) + " (line " +
                                    std::to_string(first->source().begin.line) + ") and " +
                                    std::string(second->str()) + " (write two [[faults]] entries)");
    }
    kind_key = key;
    kind = candidate;
  }
  if (kind_key == nullptr) {
    fail_at(table.source(), path +
                                ": a fault needs one of: crash, pause, partition, one_way, "
                                "clog, latency, clock");
  }

  FaultSpec fault;
  fault.kind = kind;
  fault.origin = "scenario";
  const toml::node& at = require(table, path, "at", "when the fault starts");
  fault.at_ns = as_duration(at, path + ".at");
  check_within_run(at, path + ".at", fault.at_ns, context);
  read_kind(kind, *table.get(kind_key->str()), key_path(path, kind_key->str()), fault, context);

  if (const toml::key* duration = find_key(table, "for")) {
    if (kind == Kind::clock) {
      fail_at(duration->source(), path +
                                      ".for: a clock fault lasts for the rest of the run; "
                                      "add another clock fault to change it back");
    }
    fault.duration_ns = as_duration(*table.get("for"), path + ".for");
  }
  if (const toml::key* amnesia = find_key(table, "amnesia")) {
    if (kind != Kind::crash) {
      fail_at(amnesia->source(),
              path + ".amnesia: only a crash restarts with or without its state");
    }
    fault.amnesia = as_bool(*table.get("amnesia"), path + ".amnesia");
  }
  return fault;
}

void read_random(const toml::table& root, RandomFaultSpec& out, const ReadContext& context) {
  const toml::node* node = root.get("random_faults");
  if (node == nullptr) return;
  const toml::table& table = as_table(*node, "random_faults");
  check_keys(table, "[random_faults]",
             {"crashes", "partitions", "pauses", "within", "max_duration", "max_down", "amnesia"});
  out.enabled = true;
  constexpr std::int64_t kMaxFaults = 10'000;
  const auto count = [&](std::string_view key) -> std::int64_t {
    const toml::node* value = table.get(key);
    return value == nullptr ? 0 : as_integer(*value, key_path("random_faults", key), 0, kMaxFaults);
  };
  out.crashes = count("crashes");
  out.partitions = count("partitions");
  out.pauses = count("pauses");
  if (const auto* within = table.get("within")) {
    const toml::array* bounds = within->as_array();
    if (bounds == nullptr || bounds->size() != 2) {
      fail_at(within->source(),
              "random_faults.within: expected [start, end] such as "
              "[\"5s\", \"60s\"], got " +
                  describe_type(*within));
    }
    out.start_ns = as_duration(*bounds->get(0), "random_faults.within[0]");
    out.end_ns = as_duration(*bounds->get(1), "random_faults.within[1]");
    check_within_run(*bounds->get(1), "random_faults.within[1]", out.end_ns, context);
    if (out.end_ns <= out.start_ns) {
      fail_at(bounds->get(1)->source(), "random_faults.within: the end must come after the start");
    }
  }
  if (const auto* duration = table.get("max_duration")) {
    out.max_duration_ns = as_duration(*duration, "random_faults.max_duration", 1);
  } else if (out.crashes + out.partitions + out.pauses > 0) {
    fail_at(table.source(),
            "missing required key random_faults.max_duration (how long a random "
            "fault lasts, at most)");
  }
  if (const auto* max_down = table.get("max_down")) {
    out.max_down = as_integer(*max_down, "random_faults.max_down", 1, kMaxFaults);
  }
  if (const auto* amnesia = table.get("amnesia"))
    out.amnesia = as_bool(*amnesia, "random_faults.amnesia");
}

}  // namespace

void read_faults(const toml::table& root, Scenario& scenario, const ReadContext& context) {
  if (const toml::node* node = root.get("faults")) {
    if (node->is_table()) {
      fail_at(node->source(),
              "faults: expected [[faults]] entries, got a table; " + std::string(kRandomHint));
    }
    const toml::array& entries = as_array(*node, "faults");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string path = index_path("faults", i);
      scenario.faults.push_back(read_fault(as_table(*entries.get(i), path), path, context));
    }
  }
  read_random(root, scenario.random_faults, context);
}

}  // namespace herd::sim::detail

namespace herd::sim {

std::string_view to_string(FaultSpec::Kind kind) {
  for (const auto& [name, k] : detail::kKinds) {
    if (k == kind) return name;
  }
  return "unknown";
}

}  // namespace herd::sim
