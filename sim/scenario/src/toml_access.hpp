#pragma once
// Checked access to a parsed TOML document for the scenario readers: every getter either
// returns a value of the expected type and range or throws a ScenarioError positioned at
// the offending node (or key), with the dotted key path and what was expected.

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "herd/sim/scenario.hpp"
#include "herd/sim/scenario_file.hpp"

namespace herd::sim::detail {

[[noreturn]] void fail_at(const toml::source_region& where, const std::string& message);

// "a string", "an integer", "a table", ... for "expected X, got Y" messages.
[[nodiscard]] std::string describe_type(const toml::node& node);
[[nodiscard]] std::string in_quotes(std::string_view text);
// "file:line:column" of a node, as fail_at prints it.
[[nodiscard]] std::string position_of(const toml::source_region& where);

// "parent.key" (or "key" at the top level); "parent[3]" for array entries.
[[nodiscard]] std::string key_path(std::string_view parent, std::string_view key);
[[nodiscard]] std::string index_path(std::string_view parent, std::size_t index);

// Rejects any key not in `allowed`, at the key's own position, listing what is allowed.
void check_keys(const toml::table& table, std::string_view path,
                const std::vector<std::string_view>& allowed);
void check_keys(const toml::table& table, std::string_view path,
                std::initializer_list<std::string_view> allowed);

// The key as written in the table (for positions), or nullptr when absent.
[[nodiscard]] const toml::key* find_key(const toml::table& table, std::string_view key);

// A required key: present, or an error at the table naming what the key means.
[[nodiscard]] const toml::node& require(const toml::table& table, std::string_view path,
                                        std::string_view key, std::string_view meaning);

[[nodiscard]] const toml::table& as_table(const toml::node& node, std::string_view path);
[[nodiscard]] const toml::array& as_array(const toml::node& node, std::string_view path);
[[nodiscard]] std::string as_string(const toml::node& node, std::string_view path);
[[nodiscard]] std::string as_nonempty_string(const toml::node& node, std::string_view path);
[[nodiscard]] bool as_bool(const toml::node& node, std::string_view path);
[[nodiscard]] std::int64_t as_integer(const toml::node& node, std::string_view path,
                                      std::int64_t min, std::int64_t max);
// An integer or a float, within [min, max].
[[nodiscard]] double as_number(const toml::node& node, std::string_view path, double min,
                               double max);
// A duration string no smaller than min_ns.
[[nodiscard]] Nanoseconds as_duration(const toml::node& node, std::string_view path,
                                      Nanoseconds min_ns = 0);
[[nodiscard]] Nanoseconds as_signed_duration(const toml::node& node, std::string_view path);
// A rate string or a number (per second).
[[nodiscard]] double as_rate_per_s(const toml::node& node, std::string_view path);
// A speed string or a number (metres per second).
[[nodiscard]] double as_speed_mps(const toml::node& node, std::string_view path);

// The servers a scenario may name: known for explicit, config and generated herds (s0, s1,
// ... zero-padded), and for file herds whose file reads; otherwise every name is accepted
// here and the simulator checks them once it has built the graph.
class ServerNames {
 public:
  ServerNames() = default;
  explicit ServerNames(std::vector<std::string> names);

  [[nodiscard]] bool known() const { return known_; }
  // Throws at `node` when the herd is known and has no server called `name`.
  void check(const toml::node& node, const std::string& name, std::string_view path) const;

 private:
  bool known_ = false;
  std::vector<std::string> names_;  // in herd order, for messages
  // names_' indices in name order, made by the first check: most scenarios name no server,
  // and a tree of a million generated names cost a node each to build and to free.
  mutable std::vector<std::uint32_t> by_name_;
};

// One server name (a string), checked against the herd.
[[nodiscard]] std::string as_server(const toml::node& node, std::string_view path,
                                    const ServerNames& servers);
// A server name or a non-empty array of distinct server names.
[[nodiscard]] std::vector<std::string> as_server_list(const toml::node& node, std::string_view path,
                                                      const ServerNames& servers);

}  // namespace herd::sim::detail
