// parse_scenario / load_scenario: parse the TOML, apply --set overrides to the document,
// then read it section by section ([scenario] first, since later sections check times
// against its duration, and [herd] before anything that names servers).

#include "herd/sim/scenario_file.hpp"

#include "herd/config/propagation_toml.hpp"
#include "herd/config/text_file.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>
#include <utility>

#include "overrides.hpp"
#include "readers.hpp"
#include "toml_access.hpp"

namespace herd::sim {

ScenarioError::ScenarioError(std::string file_name, int line_number, int column_number,
                             const std::string& what_was_wrong)
    : std::runtime_error(file_name + ":" + std::to_string(line_number) + ":" +
                         std::to_string(column_number) + ": " + what_was_wrong),
      file(std::move(file_name)),
      line(line_number),
      column(column_number),
      message(what_was_wrong) {}

namespace detail {

std::filesystem::path resolve(const ReadContext& context, const std::string& path) {
  const std::filesystem::path written(path);
  if (written.is_absolute()) return written.lexically_normal();
  return (context.base_dir / written).lexically_normal();
}

namespace {

std::uint64_t read_seed(const toml::node& node) {
  if (node.is_integer()) {
    return static_cast<std::uint64_t>(
        as_integer(node, "scenario.seed", 0, std::numeric_limits<std::int64_t>::max()));
  }
  // Seeds above 2^63 - 1 do not fit a TOML integer, so they may be written as strings.
  const auto* text = node.as_string();
  std::uint64_t seed = 0;
  if (text != nullptr) {
    const std::string& digits = text->get();
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), seed);
    if (!digits.empty() && error == std::errc{} && end == digits.data() + digits.size())
      return seed;
  }
  fail_at(node.source(),
          "scenario.seed: expected an integer from 0 to 18446744073709551615 "
          "(a decimal string above 9223372036854775807), got " +
              describe_type(node));
}

void read_scenario_table(const toml::table& root, Scenario& scenario, ReadContext& context) {
  const toml::table& table =
      as_table(require(root, "", "scenario", "the scenario's name, seed and duration"), "scenario");
  check_keys(table, "[scenario]",
             {"name", "description", "seed", "duration", "epoch", "sample_every", "drain",
              "max_events", "places_db", "trace", "trace_limit"});
  scenario.name = as_nonempty_string(require(table, "scenario", "name", "what the run is called"),
                                     "scenario.name");
  if (const auto* description = table.get("description")) {
    scenario.description = as_string(*description, "scenario.description");
  }
  if (const auto* seed = table.get("seed")) scenario.seed = read_seed(*seed);
  if (const auto* duration = table.get("duration")) {
    scenario.duration_ns = as_duration(*duration, "scenario.duration", 1);
  }
  context.duration_ns = scenario.duration_ns;
  if (const auto* epoch = table.get("epoch")) {
    scenario.epoch_ns =
        as_integer(*epoch, "scenario.epoch", 0, kMaxEpochSeconds) * core::kNanosPerSecond;
  }
  if (const auto* every = table.get("sample_every")) {
    scenario.sample_every_ns = as_duration(*every, "scenario.sample_every", 1);
  }
  if (const auto* drain = table.get("drain")) {
    scenario.drain_ns = as_duration(*drain, "scenario.drain");
  }
  // Staleness is sampled over the duration and the drain; bound the number of instants
  // before a run (and its staleness table) grows without limit.
  const Nanoseconds sampled_ns = scenario.duration_ns + scenario.drain_ns;
  if (sampled_ns / scenario.sample_every_ns > kMaxSampleInstants) {
    const toml::node* at = table.get("sample_every");
    if (at == nullptr) at = table.get("duration");
    const Nanoseconds least = sampled_ns / kMaxSampleInstants + 1;
    fail_at(at != nullptr ? at->source() : table.source(),
            "scenario.sample_every: " + format_duration(scenario.sample_every_ns) +
                " over the duration and drain (" + format_duration(sampled_ns) +
                ") makes more than " + std::to_string(kMaxSampleInstants) +
                " staleness samples; set sample_every to at least " + format_duration(least));
  }
  if (const auto* cap = table.get("max_events")) {
    scenario.max_events = static_cast<std::uint64_t>(as_integer(
        *cap, "scenario.max_events", 0, std::numeric_limits<std::int64_t>::max()));
  }
  if (const auto* trace = table.get("trace")) scenario.trace = as_bool(*trace, "scenario.trace");
  if (const auto* limit = table.get("trace_limit")) {
    scenario.trace_limit = static_cast<std::uint64_t>(
        as_integer(*limit, "scenario.trace_limit", 1, static_cast<std::int64_t>(kMaxTraceLimit)));
  }
  if (const auto* places = table.get("places_db")) {
    const std::string written = as_string(*places, "scenario.places_db");
    if (!written.empty()) {
      const std::filesystem::path file = resolve(context, written);
      std::error_code error;
      if (!std::filesystem::is_regular_file(file, error)) {
        fail_at(places->source(), "scenario.places_db: no such file " +
                                      in_quotes(file.generic_string()) +
                                      " (paths are relative to the scenario's folder)");
      }
      scenario.places_db = file.generic_string();
    }
  }
}

// [expect.across_seeds]: METRIC = { quantile = Q, max = LIMIT } (`min` for the ratios).
void read_across_seeds(const toml::node& node, Expectations& out) {
  const toml::table& table = as_table(node, "expect.across_seeds");
  std::vector<std::string_view> metrics;
  for (const auto& m : kSeedMetrics) metrics.push_back(m.key);
  check_keys(table, "[expect.across_seeds]", metrics);
  // In file order, so results read like the file.
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, value] : table) entries.emplace_back(&key, &value);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto &x = a.first->source().begin, &y = b.first->source().begin;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });
  for (const auto& [key, value] : entries) {
    const std::string path = key_path("expect.across_seeds", key->str());
    const SeedMetric* metric = nullptr;
    for (const auto& m : kSeedMetrics) {
      if (m.key == key->str()) metric = &m;
    }
    const std::string_view bound = metric->kind == SeedMetricKind::ratio ? "min" : "max";
    const auto* entry = value->as_table();
    if (entry == nullptr) {
      fail_at(value->source(), path + ": expected a table such as { quantile = 0.99, " +
                                   std::string(bound) + " = " +
                                   (metric->kind == SeedMetricKind::duration ? "\"2s\""
                                    : metric->kind == SeedMetricKind::count  ? "0"
                                                                             : "0.99") +
                                   " }, got " + describe_type(*value));
    }
    check_keys(*entry, path, {"quantile", bound});
    SeedQuantileExpectation e;
    e.metric = std::string(key->str());
    e.quantile = as_number(require(*entry, path, "quantile", "which quantile over the seeds, 0 to 1"),
                           path + ".quantile", 0, 1);
    const toml::node& limit = require(*entry, path, bound,
                                      bound == "max" ? "the largest value allowed"
                                                     : "the smallest value allowed");
    const std::string limit_path = path + "." + std::string(bound);
    switch (metric->kind) {
      case SeedMetricKind::duration:
        e.limit = static_cast<double>(as_duration(limit, limit_path));
        break;
      case SeedMetricKind::count:
        e.limit = static_cast<double>(
            as_integer(limit, limit_path, 0, std::numeric_limits<std::int64_t>::max()));
        break;
      case SeedMetricKind::ratio:
        e.limit = as_number(limit, limit_path, 0, 1);
        break;
    }
    e.at_most = bound == "max";
    out.across_seeds.push_back(std::move(e));
  }
}

void read_expect(const toml::table& root, Expectations& out) {
  const toml::node* node = root.get("expect");
  if (node == nullptr) return;
  const toml::table& table = as_table(*node, "expect");
  check_keys(table, "[expect]",
             {"seeds", "across_seeds", "converge_within", "propagation_p99", "propagation_max",
              "lost_updates", "min_reach", "max_stale_reads", "max_ldh"});
  constexpr auto kAny = std::numeric_limits<std::int64_t>::max();
  if (const auto* seeds = table.get("seeds")) out.seeds = as_integer(*seeds, "expect.seeds", 1, 1'000'000);
  if (const auto* across = table.get("across_seeds")) read_across_seeds(*across, out);
  const auto duration = [&](std::string_view key, std::optional<Nanoseconds>& field) {
    if (const auto* value = table.get(key)) field = as_duration(*value, key_path("expect", key));
  };
  const auto count = [&](std::string_view key, std::optional<std::int64_t>& field) {
    if (const auto* value = table.get(key))
      field = as_integer(*value, key_path("expect", key), 0, kAny);
  };
  duration("converge_within", out.converge_within_ns);
  duration("propagation_p99", out.propagation_p99_ns);
  duration("propagation_max", out.propagation_max_ns);
  count("lost_updates", out.lost_updates);
  count("max_stale_reads", out.max_stale_reads);
  count("max_ldh", out.max_ldh);
  if (const auto* reach = table.get("min_reach"))
    out.min_reach = as_number(*reach, "expect.min_reach", 0, 1);
}

// [strategy] keys belong to one push strategy each (anti-entropy's to any): a key for
// another strategy than the herd's would be ignored, so a sweep would silently measure
// something else than it says.
void check_strategy_keys(const toml::table& root, const core::PropagationConfig& propagation) {
  const auto* table = root.get_as<toml::table>("strategy");
  if (table == nullptr) return;
  using Push = core::PropagationConfig::Push;
  struct Owner {
    std::string_view key;
    Push push;
  };
  static constexpr Owner kOwners[] = {
      {"fanout", Push::gossip},         {"hop_limit", Push::gossip},
      {"feedback", Push::rumor},        {"loss", Push::rumor},
      {"k", Push::rumor},               {"period", Push::rumor},
      {"rounds", Push::rumor},          {"counter_reset", Push::rumor},
      {"ihave_delay", Push::plumtree},  {"graft_timeout", Push::plumtree},
      {"prune_after", Push::plumtree},
  };
  for (const auto& [key, value] : *table) {
    for (const Owner& owner : kOwners) {
      if (key.str() != owner.key || owner.push == propagation.push) continue;
      std::string where = "herd.strategy";
      if (const auto* herd = root.get_as<toml::table>("herd")) {
        if (const toml::key* chosen = find_key(*herd, "strategy")) {
          where += " (" + (chosen->source().path ? *chosen->source().path + ":" : std::string()) +
                   std::to_string(chosen->source().begin.line) + ")";
        } else {
          where += " (not set: flood is the default)";
        }
      }
      fail_at(key.source(), "strategy." + std::string(key.str()) + " is a " +
                                std::string(core::to_string(owner.push)) +
                                " parameter, but the herd's strategy is " +
                                std::string(core::to_string(propagation.push)) + " from " + where +
                                "; remove the key or set herd.strategy = " +
                                in_quotes(core::to_string(owner.push)));
    }
  }
}

}  // namespace
}  // namespace detail

Scenario parse_scenario(std::string_view toml_text, std::string_view source_name,
                        const std::vector<std::string>& overrides) {
  toml::table document;
  try {
    document = toml::parse(toml_text, std::string(source_name));
  } catch (const toml::parse_error& error) {
    detail::fail_at(error.source(), "TOML syntax error: " + std::string(error.description()));
  }
  detail::apply_overrides(document, overrides);

  Scenario scenario;
  scenario.source_text = std::string(toml_text);
  scenario.source_path = std::string(source_name);
  detail::ReadContext context;
  context.base_dir = std::filesystem::path(source_name).parent_path();

  detail::check_keys(
      document, "",
      {"scenario", "herd", "strategy", "network", "faults", "random_faults", "workload", "expect"});
  detail::read_scenario_table(document, scenario, context);
  detail::read_herd(document, scenario, context);
  config::read_propagation(document, scenario.propagation,
                           [](const toml::source_region& where, const std::string& message) {
                             detail::fail_at(where, message);
                           });
  detail::check_strategy_keys(document, scenario.propagation);
  scenario.strategy = config::propagation_label(scenario.propagation);
  detail::read_network(document, scenario, context);
  detail::read_faults(document, scenario, context);
  detail::read_workload(document, scenario, context);
  detail::read_expect(document, scenario.expect);
  return scenario;
}

Scenario load_scenario(const std::filesystem::path& file,
                       const std::vector<std::string>& overrides) {
  std::string text;
  try {
    text = config::read_text_file(file, config::kMaxScenarioFileBytes, "the scenario file");
  } catch (const config::TextFileError& error) {
    throw ScenarioError(file.string(), 0, 0, error.reason());
  }
  return parse_scenario(text, file.string(), overrides);
}

}  // namespace herd::sim
