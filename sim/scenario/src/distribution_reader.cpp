// Latency distributions: `{ dist = "<kind>", <parameters> }`, or a bare duration for a
// constant. Each kind accepts exactly its own parameters, so a lognormal given a `mean`
// is an error rather than a lognormal with median 0.

#include <algorithm>
#include <array>
#include <limits>
#include <sstream>
#include <limits>
#include <string>
#include <vector>

#include "herd/config/text_file.hpp"
#include "readers.hpp"

namespace herd::sim::detail {
namespace {

using Kind = DelayDistribution::Kind;

struct DistributionForm {
  std::string_view name;
  Kind kind;
  std::vector<std::string_view> parameters;  // the first `required` are required
  std::size_t required;
};

const std::array<DistributionForm, 7>& forms() {
  static const std::array<DistributionForm, 7> kForms{{
      {"constant", Kind::constant, {"value"}, 1},
      {"uniform", Kind::uniform, {"min", "max"}, 2},
      {"normal", Kind::normal, {"mean", "stddev", "min"}, 2},
      {"lognormal", Kind::lognormal, {"median", "sigma"}, 2},
      {"exponential", Kind::exponential, {"mean"}, 1},
      {"pareto", Kind::pareto, {"scale", "shape"}, 2},
      {"empirical", Kind::empirical, {"file"}, 1},
  }};
  return kForms;
}

// Empirical samples: one duration per line; blank lines and '#' comments are skipped.
constexpr std::size_t kMaxSamples = 1'000'000;

std::vector<Nanoseconds> read_samples(const toml::node& file_node, std::string_view path,
                                      const std::filesystem::path& file) {
  std::string contents;
  try {
    contents = config::read_text_file(file, config::kMaxSampleFileBytes, "latency sample file");
  } catch (const config::TextFileError& error) {
    fail_at(file_node.source(), std::string(path) + ": cannot read " + in_quotes(file.string()) +
                                    ": " + error.reason() +
                                    " (paths are relative to the scenario's folder)");
  }
  std::istringstream in(std::move(contents));
  const std::string file_name = file.string();
  std::vector<Nanoseconds> samples;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::string_view text = line;
    if (const auto hash = text.find('#'); hash != std::string_view::npos)
      text = text.substr(0, hash);
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    const auto last = text.find_last_not_of(" \t\r");
    const std::string_view token = text.substr(first, last - first + 1);
    try {
      samples.push_back(parse_duration(token));
    } catch (const std::invalid_argument& error) {
      throw ScenarioError(file_name, line_number, static_cast<int>(first) + 1,
                          "empirical latency sample: " + std::string(error.what()));
    }
    if (samples.back() > kMaxScenarioDuration) {
      throw ScenarioError(file_name, line_number, static_cast<int>(first) + 1,
                          "empirical latency sample: must be at most " +
                              format_duration(kMaxScenarioDuration) + " (10 years)");
    }
    if (samples.size() > kMaxSamples) {
      throw ScenarioError(file_name, line_number, 1,
                          "more than " + std::to_string(kMaxSamples) + " samples");
    }
  }
  if (samples.empty()) {
    fail_at(file_node.source(), std::string(path) + ": " + in_quotes(file_name) +
                                    " holds no samples (expected one duration per line)");
  }
  return samples;
}

void read_parameter(DelayDistribution& out, Kind kind, std::string_view name,
                    const toml::node& node, std::string_view path, const ReadContext& context) {
  const std::string where = key_path(path, name);
  if (name == "value") out.value_ns = as_duration(node, where);
  if (name == "min") out.min_ns = as_duration(node, where);
  if (name == "max") out.max_ns = as_duration(node, where);
  if (name == "mean") out.mean_ns = as_duration(node, where, kind == Kind::exponential ? 1 : 0);
  if (name == "stddev") out.stddev_ns = as_duration(node, where);
  if (name == "median") out.median_ns = as_duration(node, where, 1);
  if (name == "sigma") out.sigma = as_number(node, where, 0, 10);
  if (name == "scale") out.scale_ns = as_duration(node, where, 1);
  if (name == "shape") {
    out.shape = as_number(node, where, 0, 1000);
    if (out.shape <= 0) fail_at(node.source(), where + ": must be greater than 0");
  }
  if (name == "file") {
    const std::filesystem::path file = resolve(context, as_nonempty_string(node, where));
    out.samples_ns = read_samples(node, where, file);
    out.source = file.generic_string();
  }
}

}  // namespace

DelayDistribution read_distribution(const toml::node& node, std::string_view path,
                                    const ReadContext& context,
                                    std::initializer_list<std::string_view> extra_keys) {
  DelayDistribution out;
  if (node.is_string() && extra_keys.size() == 0) {
    out.kind = Kind::constant;
    out.value_ns = as_duration(node, path);
    return out;
  }
  const auto* table = node.as_table();
  if (table == nullptr) {
    // Beside other keys (the latency fault's `between`) only the table form fits.
    const std::string shorthand = extra_keys.size() == 0 ? " or a duration" : "";
    fail_at(node.source(), std::string(path) +
                               ": expected a distribution such as { dist = \"lognormal\", "
                               "median = \"20ms\", sigma = 0.6 }" +
                               shorthand + ", got " + describe_type(node));
  }
  std::string kinds;
  for (const auto& form : forms()) kinds += (kinds.empty() ? "" : ", ") + std::string(form.name);
  const toml::node& dist_node = require(*table, path, "dist", "the distribution: " + kinds);
  const std::string dist = as_string(dist_node, key_path(path, "dist"));
  const auto form = std::find_if(forms().begin(), forms().end(),
                                 [&](const DistributionForm& f) { return f.name == dist; });
  if (form == forms().end()) {
    fail_at(dist_node.source(), key_path(path, "dist") + ": unknown distribution " +
                                    in_quotes(dist) + "; expected one of: " + kinds);
  }
  out.kind = form->kind;

  std::vector<std::string_view> allowed{"dist"};
  allowed.insert(allowed.end(), form->parameters.begin(), form->parameters.end());
  allowed.insert(allowed.end(), extra_keys.begin(), extra_keys.end());
  check_keys(*table, std::string(path) + " (" + dist + ")", allowed);

  for (std::size_t i = 0; i < form->parameters.size(); ++i) {
    const std::string_view name = form->parameters[i];
    const toml::node* parameter = table->get(name);
    if (parameter == nullptr) {
      if (i < form->required) {
        std::string needed;
        for (std::size_t r = 0; r < form->required; ++r) {
          needed += (r == 0 ? "" : ", ") + std::string(form->parameters[r]);
        }
        fail_at(table->source(), std::string(path) + ": a " + dist + " distribution needs " +
                                     needed + "; " + std::string(name) + " is missing");
      }
      continue;
    }
    read_parameter(out, form->kind, name, *parameter, path, context);
  }
  if (out.kind == Kind::uniform && out.min_ns > out.max_ns) {
    fail_at(table->get("max")->source(), key_path(path, "max") + ": must not be less than min (" +
                                             format_duration(out.min_ns) + ")");
  }
  return out;
}

}  // namespace herd::sim::detail
