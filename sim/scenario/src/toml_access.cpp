#include "toml_access.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace herd::sim::detail {
namespace {

// Edit distance counting a swap of neighbours as one edit (optimal string alignment), for
// "did you mean" hints on misspelt keys and server names.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// A hint when `wrong` is a near miss of one candidate: a few edits relative to its length
// (so "k" does not suggest "n"), or a clear prefix ("drift" for "drift_ppm").
template <typename Range>
std::string did_you_mean(std::string_view wrong, const Range& candidates) {
  std::string best;
  std::size_t best_distance = std::min<std::size_t>(3, wrong.size() / 2 + 1);
  for (const auto& candidate : candidates) {
    const std::string_view name(candidate);
    std::size_t distance = edit_distance(wrong, name);
    if (wrong.size() >= 3 && name.size() > wrong.size() && name.substr(0, wrong.size()) == wrong) {
      distance = 1;
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(name);
    }
  }
  return best.empty() ? std::string{} : "did you mean " + in_quotes(best) + "? ";
}

bool before(const toml::source_position& a, const toml::source_position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

std::string integer_range(std::int64_t min, std::int64_t max) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (max == kMax) return "an integer of at least " + std::to_string(min);
  return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

void fail_at(const toml::source_region& where, const std::string& message) {
  const std::string file = where.path ? *where.path : std::string("<scenario>");
  throw ScenarioError(file, static_cast<int>(where.begin.line),
                      static_cast<int>(where.begin.column), message);
}

std::string position_of(const toml::source_region& where) {
  const std::string file = where.path ? *where.path : std::string("<scenario>");
  return file + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string describe_type(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "the string " + in_quotes(**node.as_string());
    case toml::node_type::integer:
      return "the integer " + std::to_string(**node.as_integer());
    case toml::node_type::floating_point:
      return "the number " + number_text(**node.as_floating_point());
    case toml::node_type::boolean:
      return **node.as_boolean() ? "true" : "false";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string key_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string index_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

void check_keys(const toml::table& table, std::string_view path,
                std::initializer_list<std::string_view> allowed) {
  check_keys(table, path, std::vector<std::string_view>(allowed));
}

void check_keys(const toml::table& table, std::string_view path,
                const std::vector<std::string_view>& allowed) {
  const toml::key* first_unknown = nullptr;
  for (const auto& [key, value] : table) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    // Report the unknown key that comes first in the file, not first in key order.
    if (first_unknown == nullptr || before(key.source().begin, first_unknown->source().begin)) {
      first_unknown = &key;
    }
  }
  if (first_unknown == nullptr) return;
  std::string expected;
  for (std::string_view name : allowed)
    expected += (expected.empty() ? "" : ", ") + std::string(name);
  const std::string where = path.empty() ? "at the top level" : "in " + std::string(path);
  fail_at(first_unknown->source(), "unknown key " + in_quotes(first_unknown->str()) + " " + where +
                                       "; " + did_you_mean(first_unknown->str(), allowed) +
                                       "expected one of: " + expected);
}

const toml::key* find_key(const toml::table& table, std::string_view key) {
  const auto it = table.find(key);
  return it == table.end() ? nullptr : &it->first;
}

const toml::node& require(const toml::table& table, std::string_view path, std::string_view key,
                          std::string_view meaning) {
  if (const toml::node* node = table.get(key)) return *node;
  const std::string where = path.empty() ? std::string("the scenario") : std::string(path);
  fail_at(table.source(), "missing required key " + key_path(path, key) + " (" +
                              std::string(meaning) + ") in " + where);
}

const toml::table& as_table(const toml::node& node, std::string_view path) {
  if (const auto* table = node.as_table()) return *table;
  fail_at(node.source(), std::string(path) + ": expected a table, got " + describe_type(node));
}

const toml::array& as_array(const toml::node& node, std::string_view path) {
  if (const auto* array = node.as_array()) return *array;
  fail_at(node.source(), std::string(path) + ": expected an array, got " + describe_type(node));
}

std::string as_string(const toml::node& node, std::string_view path) {
  if (const auto* text = node.as_string()) return text->get();
  fail_at(node.source(), std::string(path) + ": expected a string, got " + describe_type(node));
}

std::string as_nonempty_string(const toml::node& node, std::string_view path) {
  std::string text = as_string(node, path);
  if (text.empty()) fail_at(node.source(), std::string(path) + ": must not be empty");
  return text;
}

bool as_bool(const toml::node& node, std::string_view path) {
  if (const auto* flag = node.as_boolean()) return flag->get();
  fail_at(node.source(),
          std::string(path) + ": expected true or false, got " + describe_type(node));
}

std::int64_t as_integer(const toml::node& node, std::string_view path, std::int64_t min,
                        std::int64_t max) {
  const auto* integer = node.as_integer();
  if (integer == nullptr || integer->get() < min || integer->get() > max) {
    fail_at(node.source(), std::string(path) + ": expected " + integer_range(min, max) + ", got " +
                               describe_type(node));
  }
  return integer->get();
}

double as_number(const toml::node& node, std::string_view path, double min, double max) {
  double value = std::numeric_limits<double>::quiet_NaN();
  if (const auto* integer = node.as_integer()) value = static_cast<double>(integer->get());
  if (const auto* real = node.as_floating_point()) value = real->get();
  if (!std::isfinite(value) || value < min || value > max) {
    fail_at(node.source(), std::string(path) + ": expected a number from " + number_text(min) +
                               " to " + number_text(max) + ", got " + describe_type(node));
  }
  return value;
}

Nanoseconds as_duration(const toml::node& node, std::string_view path, Nanoseconds min_ns) {
  const auto* text = node.as_string();
  if (text == nullptr) {
    fail_at(node.source(), std::string(path) +
                               ": expected a duration string such as \"1.5s\" or \"250ms\", got " +
                               describe_type(node));
  }
  if (!text->get().empty() && text->get().front() == '-') {
    fail_at(node.source(),
            std::string(path) + ": must not be negative, got " + in_quotes(text->get()));
  }
  Nanoseconds value = 0;
  try {
    value = parse_duration(text->get());
  } catch (const std::invalid_argument& error) {
    fail_at(node.source(), std::string(path) + ": " + error.what());
  }
  if (value < min_ns) {
    fail_at(node.source(), std::string(path) + ": must be at least " + format_duration(min_ns) +
                               ", got " + in_quotes(text->get()));
  }
  if (value > kMaxScenarioDuration) {
    fail_at(node.source(), std::string(path) + ": must be at most " +
                               format_duration(kMaxScenarioDuration) + " (10 years), got " +
                               in_quotes(text->get()));
  }
  return value;
}

Nanoseconds as_signed_duration(const toml::node& node, std::string_view path) {
  const auto* text = node.as_string();
  if (text == nullptr) {
    fail_at(node.source(), std::string(path) +
                               ": expected a duration string such as \"-250ms\" or \"1s\", got " +
                               describe_type(node));
  }
  Nanoseconds value = 0;
  try {
    value = parse_signed_duration(text->get());
  } catch (const std::invalid_argument& error) {
    fail_at(node.source(), std::string(path) + ": " + error.what());
  }
  if (value > kMaxScenarioDuration || value < -kMaxScenarioDuration) {
    fail_at(node.source(), std::string(path) + ": must be within " +
                               format_duration(kMaxScenarioDuration) + " (10 years) of 0, got " +
                               in_quotes(text->get()));
  }
  return value;
}

namespace {
template <typename Parse>
double as_quantity(const toml::node& node, std::string_view path, Parse parse,
                   std::string_view hint) {
  if (node.is_integer() || node.is_floating_point()) {
    return as_number(node, path, 0, std::numeric_limits<double>::max());
  }
  const auto* text = node.as_string();
  if (text == nullptr) {
    fail_at(node.source(),
            std::string(path) + ": expected " + std::string(hint) + ", got " + describe_type(node));
  }
  try {
    return parse(text->get());
  } catch (const std::invalid_argument& error) {
    fail_at(node.source(), std::string(path) + ": " + error.what());
  }
}
}  // namespace

double as_rate_per_s(const toml::node& node, std::string_view path) {
  return as_quantity(node, path, parse_rate_per_s, "a rate such as \"200/s\"");
}

double as_speed_mps(const toml::node& node, std::string_view path) {
  return as_quantity(node, path, parse_speed_mps, "a speed such as \"1.5m/s\"");
}

ServerNames::ServerNames(std::vector<std::string> names)
    : known_(true), names_(std::move(names)) {}

void ServerNames::check(const toml::node& node, const std::string& name,
                        std::string_view path) const {
  if (!known_) return;
  if (by_name_.size() != names_.size()) {
    by_name_.resize(names_.size());
    std::iota(by_name_.begin(), by_name_.end(), std::uint32_t{0});
    std::sort(by_name_.begin(), by_name_.end(),
              [this](std::uint32_t a, std::uint32_t b) { return names_[a] < names_[b]; });
  }
  const auto it = std::lower_bound(
      by_name_.begin(), by_name_.end(), name,
      [this](std::uint32_t i, const std::string& wanted) { return names_[i] < wanted; });
  if (it != by_name_.end() && names_[*it] == name) return;
  std::string listing;
  constexpr std::size_t kListed = 12;  // a generated-size herd would drown the message
  for (std::size_t i = 0; i < names_.size() && i < kListed; ++i) {
    listing += (i == 0 ? "" : ", ") + names_[i];
  }
  if (names_.size() > kListed) listing += ", ... (" + std::to_string(names_.size()) + " in all)";
  fail_at(node.source(), std::string(path) + ": " + in_quotes(name) +
                             " is not a server of this herd; " + did_you_mean(name, names_) +
                             "servers: " + listing);
}

std::string as_server(const toml::node& node, std::string_view path, const ServerNames& servers) {
  std::string name = as_nonempty_string(node, path);
  servers.check(node, name, path);
  return name;
}

std::vector<std::string> as_server_list(const toml::node& node, std::string_view path,
                                        const ServerNames& servers) {
  if (node.is_string()) return {as_server(node, path, servers)};
  const auto* array = node.as_array();
  if (array == nullptr || array->empty()) {
    fail_at(node.source(), std::string(path) +
                               ": expected a server name or a non-empty array of names, got " +
                               (array == nullptr ? describe_type(node) : "an empty array"));
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& entry = *array->get(i);
    std::string name = as_server(entry, index_path(path, i), servers);
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      fail_at(entry.source(), index_path(path, i) + ": " + in_quotes(name) + " is listed twice");
    }
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace herd::sim::detail
