// [herd]: which servers exist and who talks with whom, given one of four ways — explicit
// servers and friends, a generator, a graph file, or a live herd configuration — plus the
// propagation strategy.

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "herd/config/text_file.hpp"
#include "herd/sim/friend_graph.hpp"
#include "herd/sim/graph_files.hpp"
#include "readers.hpp"

namespace herd::sim::detail {
namespace {

// Simulated herds are bounded (the same bound as graph files, sim::kMaxServers) so a typo
// like n = 20000000 fails fast instead of exhausting memory while the graph is built.
constexpr auto kMaxServers = static_cast<std::int64_t>(sim::kMaxServers);
constexpr std::int64_t kAnyInt = std::numeric_limits<std::int64_t>::max();

// Server names travel as a field of AT lines, so they cannot contain blanks.
std::string read_server_name(const toml::node& node, const std::string& path) {
  std::string name = as_nonempty_string(node, path);
  const bool blank = std::any_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '\x7f';
  });
  if (blank) {
    fail_at(node.source(), path +
                               ": a server name cannot contain blanks or control "
                               "characters (it is a field of AT lines), got " +
                               in_quotes(name));
  }
  return name;
}

std::vector<std::string> read_server_names(const toml::node& node, const std::string& path) {
  const toml::array& array = as_array(node, path);
  if (array.empty()) fail_at(node.source(), path + ": a herd needs at least one server");
  if (static_cast<std::int64_t>(array.size()) > kMaxServers) {
    fail_at(node.source(), path + ": at most " + std::to_string(kMaxServers) + " servers");
  }
  std::vector<std::string> names;
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string name = read_server_name(*array.get(i), index_path(path, i));
    if (!seen.insert(name).second) {
      fail_at(array.get(i)->source(),
              index_path(path, i) + ": server " + in_quotes(name) + " is listed twice");
    }
    names.push_back(std::move(name));
  }
  return names;
}

// [["A", "B"], ...]: undirected, no self-loops, each pair once in either order.
std::vector<std::pair<std::string, std::string>> read_friend_pairs(const toml::node& node,
                                                                   const std::string& path,
                                                                   const ServerNames& servers) {
  const toml::array& array = as_array(node, path);
  std::vector<std::pair<std::string, std::string>> pairs;
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string entry_path = index_path(path, i);
    const toml::node& entry = *array.get(i);
    const toml::array* pair = entry.as_array();
    if (pair == nullptr || pair->size() != 2) {
      fail_at(entry.source(), entry_path +
                                  ": expected a pair of server names such as "
                                  "[\"Clark\", \"Jaquez\"], got " +
                                  describe_type(entry));
    }
    std::string a = as_server(*pair->get(0), index_path(entry_path, 0), servers);
    std::string b = as_server(*pair->get(1), index_path(entry_path, 1), servers);
    if (a == b)
      fail_at(entry.source(), entry_path + ": server " + in_quotes(a) + " cannot befriend itself");
    if (!seen.insert(std::minmax(a, b)).second) {
      fail_at(entry.source(), entry_path + ": " + a + " and " + b + " are already friends");
    }
    pairs.emplace_back(std::move(a), std::move(b));
  }
  return pairs;
}

struct GeneratorForm {
  std::string_view kind;
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
};

const std::array<GeneratorForm, 10>& generator_forms() {
  static const std::array<GeneratorForm, 10> kForms{{
      {"line", {"n"}, {}},
      {"ring", {"n"}, {}},
      {"star", {"n"}, {}},
      {"complete", {"n"}, {}},
      {"grid", {"rows", "cols"}, {"torus"}},
      {"tree", {"n", "k"}, {}},
      {"erdos_renyi", {"n", "p"}, {}},
      {"watts_strogatz", {"n", "k", "p"}, {}},
      {"barabasi_albert", {"n", "m"}, {}},
      {"random_regular", {"n", "degree"}, {}},
  }};
  return kForms;
}

void read_generated(const toml::node& node, TopologySpec& topology) {
  const toml::table& table = as_table(node, "herd.generate");
  std::string kinds;
  for (const auto& form : generator_forms()) {
    kinds += (kinds.empty() ? "" : ", ") + std::string(form.kind);
  }
  const toml::node& kind_node = require(table, "herd.generate", "kind", "the generator: " + kinds);
  const std::string kind = as_string(kind_node, "herd.generate.kind");
  const auto form = std::find_if(generator_forms().begin(), generator_forms().end(),
                                 [&](const GeneratorForm& f) { return f.kind == kind; });
  if (form == generator_forms().end()) {
    fail_at(kind_node.source(), "herd.generate.kind: unknown generator " + in_quotes(kind) +
                                    "; expected one of: " + kinds);
  }
  std::vector<std::string_view> allowed{"kind", "connected"};
  allowed.insert(allowed.end(), form->required.begin(), form->required.end());
  allowed.insert(allowed.end(), form->optional.begin(), form->optional.end());
  check_keys(table, "herd.generate (" + kind + ")", allowed);
  std::string needed;
  for (auto name : form->required) needed += (needed.empty() ? "" : ", ") + std::string(name);
  for (auto name : form->required) {
    if (table.get(name) == nullptr) {
      fail_at(table.source(), "herd.generate: " + kind + " needs " + needed + "; " +
                                  std::string(name) + " is missing");
    }
  }

  topology.kind = TopologySpec::Kind::generated;
  topology.generator = kind;
  const auto integer = [&](std::string_view key, std::int64_t min, std::int64_t max) {
    return as_integer(*table.get(key), key_path("herd.generate", key), min, max);
  };
  if (table.get("rows") != nullptr) {
    topology.rows = integer("rows", 1, kMaxServers);
    topology.cols = integer("cols", 1, kMaxServers);
    if (topology.rows * topology.cols > kMaxServers) {
      fail_at(table.get("cols")->source(), "herd.generate: rows x cols must be at most " +
                                               std::to_string(kMaxServers) + " servers");
    }
    topology.n = topology.rows * topology.cols;
  }
  if (const auto* torus = table.get("torus"))
    topology.torus = as_bool(*torus, "herd.generate.torus");
  if (table.get("n") != nullptr) {
    // The smallest herd each shape exists for: a ring (and a small world built on one)
    // needs a cycle, preferential attachment needs a first edge.
    const std::int64_t min_n = kind == "ring" || kind == "watts_strogatz" ? 3
                               : kind == "barabasi_albert"                ? 2
                                                                          : 1;
    topology.n = integer("n", min_n, kMaxServers);
  }
  if (table.get("p") != nullptr) topology.p = as_number(*table.get("p"), "herd.generate.p", 0, 1);
  if (table.get("m") != nullptr) topology.m = integer("m", 1, topology.n - 1);
  if (table.get("degree") != nullptr) {
    topology.degree = integer("degree", 0, topology.n - 1);
    if (topology.n * topology.degree % 2 != 0) {
      fail_at(table.get("degree")->source(),
              "herd.generate.degree: n x degree must be even for a "
              "regular graph to exist");
    }
  }
  if (table.get("k") != nullptr) {
    if (kind == "tree") {
      topology.k = integer("k", 1, kAnyInt);
    } else {  // watts_strogatz: k ring neighbours, half on each side
      topology.k = integer("k", 2, topology.n - 1);
      if (topology.k % 2 != 0) {
        fail_at(table.get("k")->source(),
                "herd.generate.k: watts_strogatz needs an even k "
                "(k/2 neighbours on each side), got " +
                    std::to_string(topology.k));
      }
    }
  }
  if (const auto* connected = table.get("connected")) {
    topology.ensure_connected = as_bool(*connected, "herd.generate.connected");
  }
}

std::filesystem::path existing_file(const toml::node& node, const std::string& path,
                                    const ReadContext& context) {
  const std::filesystem::path file = resolve(context, as_nonempty_string(node, path));
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    fail_at(node.source(), path + ": no such file " + in_quotes(file.generic_string()) +
                               " (paths are relative to the scenario's folder)");
  }
  return file;
}

// A live herd configuration (scenarios/herds/*.toml): only [[servers]].name and
// herd.friends matter here; the rest of that format is the live loader's to check.
void read_config_herd(const toml::node& node, TopologySpec& topology, ReadContext& context) {
  const std::filesystem::path file = existing_file(node, "herd.config", context);
  std::string text;
  try {
    text = config::read_text_file(file, config::kMaxHerdConfigFileBytes, "herd configuration");
  } catch (const config::TextFileError& error) {
    fail_at(node.source(), "herd.config: " + std::string(error.what()));
  }
  toml::table config;
  try {
    config = toml::parse(text, file.generic_string());
  } catch (const toml::parse_error& error) {
    fail_at(error.source(),
            "TOML syntax error in herd config: " + std::string(error.description()));
  }
  const toml::array& servers =
      as_array(require(config, "", "servers", "[[servers]] tables with a name each"), "servers");
  if (servers.empty()) fail_at(config.source(), "servers: a herd needs at least one server");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const std::string path = index_path("servers", i);
    const toml::table& entry = as_table(*servers.get(i), path);
    std::string name =
        read_server_name(require(entry, path, "name", "the server's name"), path + ".name");
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      fail_at(entry.get("name")->source(),
              path + ".name: server " + in_quotes(name) + " is listed twice");
    }
    names.push_back(std::move(name));
  }
  context.servers = ServerNames(names);
  topology.kind = TopologySpec::Kind::explicit_edges;
  topology.servers = std::move(names);
  if (const auto* herd = config.get("herd")) {
    if (const auto* friends = as_table(*herd, "herd").get("friends")) {
      topology.friends = read_friend_pairs(*friends, "herd.friends", context.servers);
    }
  }
}

}  // namespace

void read_herd(const toml::table& root, Scenario& scenario, ReadContext& context) {
  const toml::table& herd =
      as_table(require(root, "", "herd", "the servers and who talks with whom"), "herd");
  check_keys(herd, "[herd]", {"servers", "friends", "generate", "file", "config", "strategy"});

  const toml::key* chosen = nullptr;
  for (std::string_view form : {"servers", "generate", "file", "config"}) {
    const toml::key* key = find_key(herd, form);
    if (key == nullptr) continue;
    if (chosen != nullptr) {
      fail_at(key->source(), "herd." + std::string(key->str()) + " conflicts with herd." +
                                 std::string(chosen->str()) + " (line " +
                                 std::to_string(chosen->source().begin.line) +
                                 "): give the herd one way, as servers, generate, file or config");
    }
    chosen = key;
  }
  if (chosen == nullptr) {
    fail_at(herd.source(), "[herd] needs one of: servers (with friends), generate, file, config");
  }
  if (const toml::key* friends = find_key(herd, "friends");
      friends != nullptr && chosen->str() != "servers") {
    fail_at(friends->source(), "herd.friends goes with herd.servers; herd." +
                                   std::string(chosen->str()) + " brings its own edges");
  }

  TopologySpec& topology = scenario.topology;
  const toml::node& node = *herd.get(chosen->str());
  topology.where = position_of(node.source()) + ": herd." + std::string(chosen->str());
  if (chosen->str() == "servers") {
    topology.kind = TopologySpec::Kind::explicit_edges;
    topology.servers = read_server_names(node, "herd.servers");
    context.servers = ServerNames(topology.servers);
    if (const auto* friends = herd.get("friends")) {
      topology.friends = read_friend_pairs(*friends, "herd.friends", context.servers);
    }
  } else if (chosen->str() == "generate") {
    read_generated(node, topology);
    // Generators name servers s0, s1, ... zero-padded to the width of n-1 (s00..s99 for
    // 100), so later sections can check names against them with a position.
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(topology.n));
    for (std::int64_t i = 0; i < topology.n; ++i) {
      names.push_back(numbered_server_name(kDefaultServerPrefix, static_cast<std::size_t>(i),
                                           static_cast<std::size_t>(topology.n)));
    }
    context.servers = ServerNames(std::move(names));
  } else if (chosen->str() == "file") {
    topology.kind = TopologySpec::Kind::file;
    topology.path = existing_file(node, "herd.file", context).generic_string();
    // Read the graph now, so that its errors point at this key (and at their own line in
    // the graph file) and names in faults and scripts are checked against it.
    std::size_t servers = 0;
    try {
      const FriendGraph graph = load_graph_file(
          topology.path, graph_format_for(topology.path).value_or(GraphFileFormat::edge_list));
      servers = graph.size();
      context.servers = ServerNames(graph.names());
    } catch (const std::bad_alloc&) {
      fail_at(node.source(), "herd.file: out of memory while reading " + in_quotes(topology.path));
    } catch (const std::exception& error) {
      fail_at(node.source(), "herd.file: " + std::string(error.what()));
    }
    if (servers == 0) {
      fail_at(node.source(), "herd.file: " + in_quotes(topology.path) +
                                 " has no servers (a herd needs at least one)");
    }
  } else {
    read_config_herd(node, topology, context);
  }
}

}  // namespace herd::sim::detail
