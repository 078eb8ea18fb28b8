#include "herd/live/config.hpp"

#include "herd/auth/hmac_authenticator.hpp"
#include "herd/config/propagation_toml.hpp"
#include "herd/config/units.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

#include <toml++/toml.h>

namespace herd::live {

namespace {

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Walks the parsed document and turns it into a HerdConfig, failing at the first problem with
// the position of the offending node (or of the table that lacks a required key).
class ConfigReader {
 public:
  ConfigReader(std::string source_name, const EnvLookup& env)
      : source_(std::move(source_name)), env_(env) {}

  HerdConfig read(const toml::table& root) {
    check_keys(root, "the top level",
               {"herd", "strategy", "places", "limits", "servers", "storage", "tls"});
    HerdConfig config;
    config.source = source_;
    read_servers(root, config);
    const toml::table& herd = required_table(root, "herd", "[herd] with peer_secret");
    read_herd(herd, config);
    if (const toml::table* places = optional_table(root, "places")) read_places(*places, config);
    if (const toml::table* limits = optional_table(root, "limits")) read_limits(*limits, config);
    read_storage(optional_table(root, "storage"), config);
    TlsSettings tls;
    if (const toml::table* table = optional_table(root, "tls")) tls = read_tls(*table);
    // Live herds recover what a server missed while it was down: anti-entropy is on unless
    // the config turns it off ([strategy] anti_entropy = false).
    core::PropagationConfig propagation;
    propagation.anti_entropy = true;
    config::read_propagation(root, propagation,
                             [this](const toml::source_region& where, const std::string& what) {
                               fail(where, what);
                             });
    for (auto& server : config.servers) {
      server.core.limits = limits_;
      server.core.propagation = propagation;
      server.tls = tls;
    }
    assign_friends(config);
    return config;
  }

  [[noreturn]] void fail(const toml::source_region& where, const std::string& what) const {
    const auto line = std::max<toml::source_index>(where.begin.line, 1);
    const auto column = std::max<toml::source_index>(where.begin.column, 1);
    throw ConfigError(source_ + ":" + std::to_string(line) + ":" + std::to_string(column) +
                      ": " + what);
  }

 private:
  struct Friendship {
    std::string a, b;
  };

  void check_keys(const toml::table& table, std::string_view where,
                  std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, node] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::vector<std::string> names(allowed.begin(), allowed.end());
      fail(key.source(), "unknown key " + in_quotes(key.str()) + " in " + std::string(where) +
                             "; expected one of: " + join(names));
    }
  }

  const toml::table* optional_table(const toml::table& parent, std::string_view key) const {
    const toml::node* node = parent.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) {
      fail(node->source(), "[" + std::string(key) + "] must be a table, got " +
                               std::string(type_name(*node)));
    }
    return node->as_table();
  }

  const toml::table& required_table(const toml::table& parent, std::string_view key,
                                    std::string_view expected) const {
    const toml::table* table = optional_table(parent, key);
    if (table == nullptr) {
      fail(parent.source(), "missing table [" + std::string(key) + "]; expected " +
                                std::string(expected));
    }
    return *table;
  }

  const toml::node* typed(const toml::table& table, std::string_view key, std::string_view path,
                          toml::node_type type, std::string_view expected) const {
    const toml::node* node = table.get(key);
    if (node != nullptr && node->type() != type) {
      fail(node->source(), std::string(path) + ": expected " + std::string(expected) + ", got " +
                               std::string(type_name(*node)));
    }
    return node;
  }

  std::optional<std::string> string_at(const toml::table& table, std::string_view key,
                                       std::string_view path) const {
    const toml::node* node = typed(table, key, path, toml::node_type::string, "a string");
    if (node == nullptr) return std::nullopt;
    return **node->as_string();
  }

  std::string required_string(const toml::table& table, std::string_view key,
                              std::string_view path, std::string_view meaning) const {
    auto value = string_at(table, key, path);
    if (!value) {
      fail(table.source(), "missing required key " + std::string(path) + " (" +
                               std::string(meaning) + ")");
    }
    if (value->empty()) {
      fail(table.get(key)->source(), std::string(path) + " must not be empty");
    }
    return *value;
  }

  // A positive integer that fits the limit it configures.
  std::optional<std::size_t> positive_at(const toml::table& table, std::string_view key,
                                         std::string_view path, std::int64_t max) const {
    const toml::node* node = typed(table, key, path, toml::node_type::integer, "an integer");
    if (node == nullptr) return std::nullopt;
    const std::int64_t value = **node->as_integer();
    if (value < 1 || value > max) {
      fail(node->source(), std::string(path) + ": expected an integer in [1, " +
                               std::to_string(max) + "], got " + std::to_string(value));
    }
    return static_cast<std::size_t>(value);
  }

  std::optional<core::Nanoseconds> duration_at(const toml::table& table, std::string_view key,
                                               std::string_view path, bool allow_zero) const {
    const std::string_view expected = "a duration string like \"300s\" or \"500ms\"";
    const toml::node* node = typed(table, key, path, toml::node_type::string, expected);
    if (node == nullptr) return std::nullopt;
    const auto ns = parse_duration_ns(**node->as_string());
    if (!ns || (*ns == 0 && !allow_zero)) {
      fail(node->source(), std::string(path) + ": expected " + std::string(expected) +
                               (allow_zero ? "" : " greater than zero") + ", got " +
                               in_quotes(**node->as_string()));
    }
    return ns;
  }

  // A timeout the server adds to the wall clock: at most a year, so the sum cannot overflow.
  std::optional<core::Nanoseconds> timeout_at(const toml::table& table, std::string_view key,
                                              std::string_view path) const {
    constexpr core::Nanoseconds kMaxTimeout = 8760LL * 3600 * core::kNanosPerSecond;
    const auto ns = duration_at(table, key, path, true);
    if (ns && *ns > kMaxTimeout) {
      fail(table.get(key)->source(), std::string(path) + ": expected at most \"8760h\" (a year), got " +
                                         in_quotes(**table.get(key)->as_string()));
    }
    return ns;
  }

  void read_servers(const toml::table& root, HerdConfig& config) {
    const toml::node* node = root.get("servers");
    if (node == nullptr) {
      fail(root.source(), "no servers defined; expected [[servers]] tables with name, host, port");
    }
    const toml::array* servers = node->as_array();
    if (servers == nullptr || !servers->is_array_of_tables()) {
      fail(node->source(), "servers: expected [[servers]] tables, got " +
                               std::string(type_name(*node)));
    }
    if (servers->empty()) fail(node->source(), "no servers defined; expected [[servers]] tables");
    std::map<std::string, toml::source_region> endpoints;
    for (const toml::node& entry : *servers) {
      const toml::table& table = *entry.as_table();
      check_keys(table, "[[servers]]", {"name", "host", "port", "peer_port", "store"});
      ServerSetup setup;
      setup.core.name = required_string(table, "name", "servers.name", "the server's name");
      const toml::node& name_node = *table.get("name");
      if (std::any_of(setup.core.name.begin(), setup.core.name.end(), core::is_protocol_space)) {
        fail(name_node.source(), "server name " + in_quotes(setup.core.name) +
                                     " contains white space; names appear in AT lines");
      }
      if (const auto it = server_sources_.find(setup.core.name); it != server_sources_.end()) {
        fail(name_node.source(), "duplicate server name " + in_quotes(setup.core.name) +
                                     " (first defined at line " +
                                     std::to_string(it->second.begin.line) + ")");
      }
      server_sources_.emplace(setup.core.name, name_node.source());
      setup.listen.host = required_string(table, "host", "servers.host", "the address to listen on");
      const auto port = positive_at(table, "port", "servers.port", 65535);
      if (!port) fail(table.source(), "missing required key servers.port (1-65535)");
      setup.listen.port = static_cast<std::uint16_t>(*port);
      const std::string endpoint = to_string(setup.listen);
      if (const auto it = endpoints.find(endpoint); it != endpoints.end()) {
        fail(table.get("port")->source(), "server " + in_quotes(setup.core.name) + " reuses " +
                                              endpoint + " (already used at line " +
                                              std::to_string(it->second.begin.line) + ")");
      }
      endpoints.emplace(endpoint, table.get("port")->source());
      // Friends' links arrive on a port of their own, never on the client port.
      setup.peer_listen.host = setup.listen.host;
      const toml::node* peer_node = table.get("peer_port");
      if (const auto peer_port = positive_at(table, "peer_port", "servers.peer_port", 65535)) {
        setup.peer_listen.port = static_cast<std::uint16_t>(*peer_port);
      } else if (*port + kDefaultPeerPortOffset <= 65535) {
        setup.peer_listen.port = static_cast<std::uint16_t>(*port + kDefaultPeerPortOffset);
      } else {
        fail(table.get("port")->source(),
             "server " + in_quotes(setup.core.name) + ": port " + std::to_string(*port) +
                 " leaves no default peer port (port + " +
                 std::to_string(kDefaultPeerPortOffset) + " > 65535); set servers.peer_port");
      }
      const toml::source_region peer_source =
          peer_node != nullptr ? peer_node->source() : table.get("port")->source();
      const std::string peer_endpoint = to_string(setup.peer_listen);
      if (const auto it = endpoints.find(peer_endpoint); it != endpoints.end()) {
        fail(peer_source, "server " + in_quotes(setup.core.name) + ": peer port " +
                              peer_endpoint +
                              (peer_node != nullptr
                                   ? ""
                                   : " (port + " + std::to_string(kDefaultPeerPortOffset) + ")") +
                              " is already used at line " +
                              std::to_string(it->second.begin.line) +
                              "; every client and peer port must differ");
      }
      endpoints.emplace(peer_endpoint, peer_source);
      if (auto store = string_at(table, "store", "servers.store")) {
        if (store->empty()) fail(table.get("store")->source(), "servers.store must not be empty");
        setup.storage = StorageSettings{*store, SyncPolicy::full};
        store_sources_.emplace(setup.core.name, table.get("store")->source());
      }
      config.servers.push_back(std::move(setup));
    }
  }

  void read_herd(const toml::table& herd, HerdConfig& config) {
    check_keys(herd, "[herd]", {"name", "peer_secret", "log_dir", "friends", "strategy"});
    config.herd_name = string_at(herd, "name", "herd.name")
                           .value_or(std::filesystem::path(source_).stem().string());
    secret_ = required_string(herd, "peer_secret", "herd.peer_secret",
                              "the secret friends prove themselves with in their greeting");
    if (std::any_of(secret_.begin(), secret_.end(), core::is_protocol_space)) {
      fail(herd.get("peer_secret")->source(),
           "herd.peer_secret must not contain white space (it is one field of the greeting)");
    }
    config.log_dir = string_at(herd, "log_dir", "herd.log_dir").value_or("logs/" + config.herd_name);
    if (config.log_dir.empty()) fail(herd.get("log_dir")->source(), "herd.log_dir must not be empty");
    if (const toml::node* friends = herd.get("friends")) read_friends(*friends);
  }

  void read_friends(const toml::node& node) {
    const toml::array* pairs = node.as_array();
    if (pairs == nullptr) {
      fail(node.source(), "herd.friends: expected an array of [\"A\", \"B\"] pairs, got " +
                              std::string(type_name(node)));
    }
    std::map<std::pair<std::string, std::string>, toml::source_region> seen;
    for (const toml::node& entry : *pairs) {
      const toml::array* pair = entry.as_array();
      if (pair == nullptr || pair->size() != 2 || !pair->is_homogeneous(toml::node_type::string)) {
        fail(entry.source(), "herd.friends: expected a pair of server names like "
                             "[\"Clark\", \"Bona\"]");
      }
      std::string a = **(*pair)[0].as_string();
      std::string b = **(*pair)[1].as_string();
      for (std::size_t i = 0; i < 2; ++i) {
        const std::string& name = i == 0 ? a : b;
        if (!server_sources_.contains(name)) {
          fail((*pair)[i].source(), "herd.friends: unknown server " + in_quotes(name) +
                                        "; expected one of: " + join(known_names()));
        }
      }
      if (a == b) fail(entry.source(), "herd.friends: server " + in_quotes(a) + " cannot befriend itself");
      auto key = std::minmax(a, b);
      if (const auto it = seen.find(key); it != seen.end()) {
        fail(entry.source(), "herd.friends: " + a + " and " + b + " are already friends (line " +
                                 std::to_string(it->second.begin.line) + ")");
      }
      seen.emplace(std::pair(key.first, key.second), entry.source());
      friendships_.push_back({std::move(a), std::move(b)});
    }
  }

  void read_places(const toml::table& places, HerdConfig& config) {
    check_keys(places, "[places]", {"provider", "db", "google_api_key", "google_api", "timeout"});
    PlacesSettings& settings = config.places;
    if (auto provider = string_at(places, "provider", "places.provider")) {
      if (*provider == "offline") {
        settings.provider = PlacesProviderKind::offline;
      } else if (*provider == "google") {
        settings.provider = PlacesProviderKind::google;
      } else {
        fail(places.get("provider")->source(),
             "places.provider: expected \"offline\" or \"google\", got " + in_quotes(*provider));
      }
    }
    if (auto db = string_at(places, "db", "places.db")) {
      if (db->empty()) fail(places.get("db")->source(), "places.db must not be empty");
      settings.db = *db;
    }
    if (auto api = string_at(places, "google_api", "places.google_api")) {
      if (*api == "new") {
        settings.google_api = GoogleApi::places_new;
      } else if (*api == "legacy") {
        settings.google_api = GoogleApi::legacy;
      } else {
        fail(places.get("google_api")->source(),
             "places.google_api: expected \"new\" or \"legacy\", got " + in_quotes(*api));
      }
    }
    if (auto timeout_ns = duration_at(places, "timeout", "places.timeout", false)) {
      settings.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::nanoseconds(*timeout_ns));
    }
    settings.google_api_key = string_at(places, "google_api_key", "places.google_api_key")
                                  .value_or(env_("HERD_GOOGLE_API_KEY").value_or(""));
    if (settings.provider == PlacesProviderKind::google && settings.google_api_key.empty()) {
      fail(places.get("provider")->source(),
           "places.provider = \"google\" needs an API key: set places.google_api_key or the "
           "HERD_GOOGLE_API_KEY environment variable");
    }
  }

  TlsSettings read_tls(const toml::table& table) const {
    check_keys(table, "[tls]", {"peers", "clients", "ca", "cert", "key"});
    TlsSettings tls;
    const auto flag = [&](std::string_view key, std::string_view path) {
      const toml::node* node = typed(table, key, path, toml::node_type::boolean, "true or false");
      return node != nullptr && **node->as_boolean();
    };
    tls.peers = flag("peers", "tls.peers");
    tls.clients = flag("clients", "tls.clients");
    if (!tls.peers && !tls.clients) return tls;
    const std::string why = tls.peers ? "friends' links use TLS (tls.peers)" : "the client port uses TLS (tls.clients)";
    tls.cert = required_string(table, "cert", "tls.cert", "this herd's certificate chain, PEM; " + why);
    tls.key = required_string(table, "key", "tls.key", "its private key, PEM; " + why);
    if (tls.peers) {
      tls.ca = required_string(table, "ca", "tls.ca",
                               "the CA that signs friends' certificates, PEM; " + why);
    }
    return tls;
  }

  void read_limits(const toml::table& limits, HerdConfig& config) {
    check_keys(limits, "[limits]",
               {"max_line_bytes", "max_connections", "idle_timeout", "max_output_bytes",
                "max_pending_replies", "max_records", "max_client_bytes", "line_timeout",
                "max_ungreeted_links", "max_connections_per_address", "max_total_output_bytes",
                "log_file_bytes", "log_files", "handshake_timeout"});
    constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
    if (auto v = positive_at(limits, "max_line_bytes", "limits.max_line_bytes", kMax)) {
      limits_.max_line_bytes = *v;
    }
    if (auto v = positive_at(limits, "max_connections", "limits.max_connections", kMax)) {
      limits_.max_connections = *v;
    }
    if (auto v = timeout_at(limits, "idle_timeout", "limits.idle_timeout")) {
      limits_.idle_timeout_ns = *v;
    }
    if (auto v = timeout_at(limits, "line_timeout", "limits.line_timeout")) {
      limits_.line_timeout_ns = *v;
    }
    if (auto v = positive_at(limits, "max_ungreeted_links", "limits.max_ungreeted_links", kMax)) {
      limits_.max_ungreeted_links = *v;
    }
    if (auto v = positive_at(limits, "max_connections_per_address",
                             "limits.max_connections_per_address", kMax)) {
      config.max_connections_per_address = *v;
    }
    if (auto v = positive_at(limits, "max_output_bytes", "limits.max_output_bytes",
                             std::numeric_limits<std::int64_t>::max())) {
      config.max_output_bytes = *v;
    }
    if (auto v = positive_at(limits, "max_total_output_bytes", "limits.max_total_output_bytes",
                             std::numeric_limits<std::int64_t>::max())) {
      config.max_total_output_bytes = *v;
    }
    if (config.max_total_output_bytes < config.max_output_bytes) {
      const toml::node* node = limits.get("max_total_output_bytes");
      fail(node != nullptr ? node->source() : limits.get("max_output_bytes")->source(),
           "limits.max_total_output_bytes (" + std::to_string(config.max_total_output_bytes) +
               ") must be at least limits.max_output_bytes (" +
               std::to_string(config.max_output_bytes) + "): one client's queue is part of the total");
    }
    if (auto v = positive_at(limits, "log_file_bytes", "limits.log_file_bytes",
                             std::numeric_limits<std::int64_t>::max())) {
      if (*v < kMinLogFileBytes) {
        fail(limits.get("log_file_bytes")->source(),
             "limits.log_file_bytes: expected at least " + std::to_string(kMinLogFileBytes) +
                 ", got " + std::to_string(*v));
      }
      config.log_file_bytes = *v;
    }
    if (auto v = positive_at(limits, "log_files", "limits.log_files", kMaxLogFiles)) {
      config.log_files = *v;
    }
    if (auto v = positive_at(limits, "max_pending_replies", "limits.max_pending_replies", kMax)) {
      limits_.max_pending_replies = *v;
    }
    if (auto v = positive_at(limits, "max_records", "limits.max_records", kMax)) {
      limits_.max_records = *v;
    }
    if (auto v = positive_at(limits, "max_client_bytes", "limits.max_client_bytes", kMax)) {
      limits_.max_client_bytes = *v;
    }
    if (auto v = duration_at(limits, "handshake_timeout", "limits.handshake_timeout", false)) {
      limits_.handshake_timeout_ns = *v;
    }
  }

  // [storage] dir gives every server <dir>/<name>.db; a server's own `store` wins. Two
  // servers sharing one file would refuse to start (the file is locked), so say it here.
  void read_storage(const toml::table* storage, HerdConfig& config) {
    SyncPolicy sync = SyncPolicy::full;
    std::optional<std::string> dir;
    if (storage != nullptr) {
      check_keys(*storage, "[storage]", {"dir", "sync"});
      dir = string_at(*storage, "dir", "storage.dir");
      if (dir && dir->empty()) fail(storage->get("dir")->source(), "storage.dir must not be empty");
      if (auto policy = string_at(*storage, "sync", "storage.sync")) {
        if (*policy == "full") {
          sync = SyncPolicy::full;
        } else if (*policy == "normal") {
          sync = SyncPolicy::normal;
        } else {
          fail(storage->get("sync")->source(),
               "storage.sync: expected \"full\" or \"normal\", got " + in_quotes(*policy));
        }
      }
    }
    std::map<std::string, std::string> owners;  // file -> server
    for (auto& server : config.servers) {
      if (!server.storage && dir) {
        server.storage = StorageSettings{std::filesystem::path(*dir) / (server.core.name + ".db"),
                                         sync};
      }
      if (!server.storage) continue;
      server.storage->sync = sync;
      const std::string file = server.storage->file.lexically_normal().string();
      if (const auto it = owners.find(file); it != owners.end()) {
        const auto where = store_sources_.find(server.core.name);
        fail(where != store_sources_.end() ? where->second : storage->source(),
             "server " + in_quotes(server.core.name) + " would share its store " +
                 in_quotes(file) + " with server " + in_quotes(it->second) +
                 "; every server needs a file of its own");
      }
      owners.emplace(file, server.core.name);
    }
  }

  // Each server's friends are its neighbours in the undirected graph, sorted by name so the
  // PeerIds do not depend on the order the friendships were written in.
  void assign_friends(HerdConfig& config) const {
    std::size_t longest_name = 0;
    std::vector<std::uint16_t> client_ports;
    for (const auto& server : config.servers) {
      longest_name = std::max(longest_name, server.core.name.size());
      client_ports.push_back(server.listen.port);
    }
    const auto authenticator = std::make_shared<auth::HmacAuthenticator>(secret_);
    for (auto& server : config.servers) {
      server.core.longest_server_name = longest_name;
      server.herd_client_ports = client_ports;
      // The secret stays inside the authenticator: the core sees proofs, never the secret.
      server.core.peer_auth = authenticator;
      std::vector<std::string>& friends = server.core.friends;
      for (const auto& pair : friendships_) {
        if (pair.a == server.core.name) friends.push_back(pair.b);
        if (pair.b == server.core.name) friends.push_back(pair.a);
      }
      std::sort(friends.begin(), friends.end());
      for (const auto& name : friends) {
        server.friend_addresses.push_back(config.find(name)->peer_listen);
      }
    }
  }

  std::vector<std::string> known_names() const {
    std::vector<std::string> names;
    for (const auto& [name, where] : server_sources_) names.push_back(name);
    return names;
  }

  std::string source_;
  const EnvLookup& env_;
  std::map<std::string, toml::source_region> server_sources_;
  std::map<std::string, toml::source_region> store_sources_;  // servers with `store`
  std::vector<Friendship> friendships_;
  std::string secret_;
  core::ServerLimits limits_;
};

}  // namespace

std::string to_string(const Endpoint& endpoint) {
  // IPv6 literals need brackets to keep the port readable.
  if (endpoint.host.find(':') != std::string::npos) {
    return "[" + endpoint.host + "]:" + std::to_string(endpoint.port);
  }
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

std::string_view to_string(SyncPolicy sync) noexcept {
  return sync == SyncPolicy::full ? "full" : "normal";
}

const ServerSetup* HerdConfig::find(std::string_view name) const {
  for (const auto& server : servers) {
    if (server.core.name == name) return &server;
  }
  return nullptr;
}

std::vector<std::string> HerdConfig::server_names() const {
  std::vector<std::string> names;
  for (const auto& server : servers) names.push_back(server.core.name);
  return names;
}

std::optional<std::string> process_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

HerdConfig parse_herd_config(std::string_view text, const std::string& source_name,
                             const EnvLookup& env) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    throw ConfigError(source_name + ":" + std::to_string(std::max<toml::source_index>(where.line, 1)) +
                      ":" + std::to_string(std::max<toml::source_index>(where.column, 1)) +
                      ": " + std::string(error.description()));
  }
  return ConfigReader(source_name, env).read(root);
}

HerdConfig load_herd_config(const std::filesystem::path& file, const EnvLookup& env) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string() + ": cannot open the herd configuration");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(file.string() + ": cannot read the herd configuration");
  return parse_herd_config(text.str(), file.string(), env);
}

std::optional<core::Nanoseconds> parse_duration_ns(std::string_view text) noexcept {
  try {
    return config::parse_duration(text);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

}  // namespace herd::live
