#pragma once
// A herd configuration (herd.toml): which servers exist, where they listen, who talks with
// whom, where places come from and the limits every server runs with. The loader checks the
// whole file up front so a typo fails at start-up with its file, line and column instead of
// surfacing later as a server that never hears from a friend.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "herd/core/server.hpp"

namespace herd::live {

// A configuration error; what() reads "file:line:column: what was wrong, what was expected".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

[[nodiscard]] std::string to_string(const Endpoint& endpoint);

enum class PlacesProviderKind { offline, google };
enum class GoogleApi { places_new, legacy };

struct PlacesSettings {
  PlacesProviderKind provider = PlacesProviderKind::offline;
  std::optional<std::filesystem::path> db;  // offline: gazetteer database; unset = built-in
  std::string google_api_key;                // from the file or HERD_GOOGLE_API_KEY
  GoogleApi google_api = GoogleApi::places_new;
  std::chrono::milliseconds timeout{5000};   // per Google request
};

// How a durable store makes a commit last (docs/durability.md#sync-policy): `full` syncs the
// write-ahead log to the disk at every commit (survives a power cut); `normal` leaves that to
// the operating system (survives the process being killed, not the machine going down).
enum class SyncPolicy { full, normal };

[[nodiscard]] std::string_view to_string(SyncPolicy sync) noexcept;

// A server's durable store ([storage] dir, or [[servers]] store): its SQLite file.
struct StorageSettings {
  std::filesystem::path file;  // as configured; relative paths are relative to the cwd
  SyncPolicy sync = SyncPolicy::full;
};

// Bounds of [limits] log_file_bytes and log_files.
inline constexpr std::size_t kMinLogFileBytes = 4096;
inline constexpr std::int64_t kMaxLogFiles = 1000;

// [tls]: TLS on friends' links and on the client port, each off unless turned on
// (docs/protocol.md#tls). Paths are as written, relative to the working directory.
struct TlsSettings {
  bool peers = false;    // friends' links, both ends; needs ca, cert and key
  bool clients = false;  // the client port; needs cert and key
  std::filesystem::path ca;    // the CA every friend's certificate must be signed by
  std::filesystem::path cert;  // this herd's certificate chain (PEM)
  std::filesystem::path key;   // its private key (PEM)
};

// A server's peer port when its [[servers]] table has no peer_port: its client port + 1000.
inline constexpr std::uint16_t kDefaultPeerPortOffset = 1000;

// What one server needs to run: the core's own configuration plus the addresses of the
// friends it dials. friend_addresses[i] belongs to core.friends[i] (PeerId i) and is that
// friend's peer endpoint: links never end at a client port, so stopping a server by its
// client port (lsof -ti:PORT | xargs kill, as the course graders do) stops it alone.
struct ServerSetup {
  core::ServerConfig core;
  Endpoint listen;       // the client port
  Endpoint peer_listen;  // friends' links: same host, peer_port
  std::vector<Endpoint> friend_addresses;
  // Every client port of the herd: an outbound link whose local port happens to be one of
  // them is dropped and dialled again.
  std::vector<std::uint16_t> herd_client_ports;
  // Set when the server keeps its records on disk (docs/durability.md).
  std::optional<StorageSettings> storage;
  TlsSettings tls;
};

struct HerdConfig {
  std::filesystem::path source;  // the file it came from, for messages
  std::string herd_name;
  std::filesystem::path log_dir;  // as written; relative paths are relative to the cwd
  PlacesSettings places;
  // Bytes waiting to be written to one connection before the server gives up on it.
  std::size_t max_output_bytes = 1024 * 1024;
  // Bytes waiting to be written to all client connections of one server together; past it
  // the connection with the most waiting is closed, until the total fits again.
  std::size_t max_total_output_bytes = 64 * 1024 * 1024;
  // Connections on the client port from one IP address; one more is closed on accept.
  std::size_t max_connections_per_address = 1024;
  // Each server's log is rotated at this size, keeping this many older files.
  std::size_t log_file_bytes = 32 * 1024 * 1024;
  std::size_t log_files = 4;
  std::vector<ServerSetup> servers;  // in file order

  [[nodiscard]] const ServerSetup* find(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> server_names() const;
};

// Looks up an environment variable; injectable so tests need not touch the real one.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
[[nodiscard]] std::optional<std::string> process_env(const char* name);

// Parses a herd configuration held in memory; source_name is used in error messages.
[[nodiscard]] HerdConfig parse_herd_config(std::string_view text, const std::string& source_name,
                                           const EnvLookup& env = process_env);

// Reads and parses a herd configuration file. Throws ConfigError.
[[nodiscard]] HerdConfig load_herd_config(const std::filesystem::path& file,
                                          const EnvLookup& env = process_env);

// "300s", "500ms", "1.5s", "2m": a duration in integer nanoseconds; nullopt if malformed.
[[nodiscard]] std::optional<core::Nanoseconds> parse_duration_ns(std::string_view text) noexcept;

}  // namespace herd::live
