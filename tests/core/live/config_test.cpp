#include "herd/live/config.hpp"

#include "herd/auth/hmac_authenticator.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using herd::live::ConfigError;
using herd::live::HerdConfig;
using herd::live::parse_duration_ns;
using herd::live::parse_herd_config;

namespace {

std::optional<std::string> no_env(const char*) { return std::nullopt; }

HerdConfig parse(const std::string& text) { return parse_herd_config(text, "t.toml", no_env); }

// The error message for a configuration that must be rejected.
std::string error_of(const std::string& text) {
  try {
    (void)parse(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(accepted)";
}

const std::string kServers = R"(
[[servers]]
name = "A"
host = "127.0.0.1"
port = 1001

[[servers]]
name = "B"
host = "127.0.0.1"
port = 1002
)";

struct BadConfig {
  std::string what;
  std::string text;
  std::string position;  // "line:column"
  std::string message;   // part of the explanation
};

}  // namespace

TEST_CASE("config: shipped herds load with sorted friends and their addresses") {
  for (const std::string herd : {"winter2023", "winter2022", "spring2020"}) {
    INFO(herd);
    const HerdConfig config = herd::live::load_herd_config(
        std::string(HERD_SOURCE_DIR) + "/scenarios/herds/" + herd + ".toml", no_env);
    CHECK(config.herd_name == herd);
    CHECK(config.log_dir == "logs/" + herd);
    CHECK(config.places.provider == herd::live::PlacesProviderKind::offline);
    REQUIRE(config.servers.size() == 5);
    for (const auto& server : config.servers) {
      // Friends authenticate with the HERD 2 challenge-response; the secret never reaches
      // the core, so it cannot be sent in clear.
      CHECK(server.core.peer_auth != nullptr);
      CHECK(server.core.peer_secret.empty());
      CHECK(std::is_sorted(server.core.friends.begin(), server.core.friends.end()));
      REQUIRE(server.friend_addresses.size() == server.core.friends.size());
      for (std::size_t i = 0; i < server.core.friends.size(); ++i) {
        const auto* friend_setup = config.find(server.core.friends[i]);
        REQUIRE(friend_setup != nullptr);
        // Links go to the friend's peer port, never to its client port.
        CHECK(server.friend_addresses[i].port == friend_setup->peer_listen.port);
        CHECK(friend_setup->peer_listen.port != friend_setup->listen.port);
        // Friendship is undirected.
        const auto& back = friend_setup->core.friends;
        CHECK(std::find(back.begin(), back.end(), server.core.name) != back.end());
      }
    }
  }
  const HerdConfig winter = herd::live::load_herd_config(
      std::string(HERD_SOURCE_DIR) + "/scenarios/herds/winter2023.toml", no_env);
  CHECK(winter.find("Clark")->core.friends == std::vector<std::string>{"Bona", "Jaquez"});
  CHECK(winter.find("Campbell")->core.friends ==
        std::vector<std::string>{"Bailey", "Bona", "Jaquez"});
  CHECK(winter.find("Clark")->listen.port == 12004);
  CHECK(winter.find("Clark")->peer_listen.port == 13004);
  CHECK(winter.find("Clark")->core.name == "Clark");
}

TEST_CASE("config: every error names file, line and column and what was expected") {
  const std::vector<BadConfig> cases = {
      {"unknown top-level key", "colour = 1\n[herd]\npeer_secret = \"s\"\n" + kServers, "1:1",
       "unknown key \"colour\""},
      {"unknown key in [herd]", "[herd]\npeer_secret = \"s\"\nsecret = \"x\"\n" + kServers, "3:1",
       "expected one of: name, peer_secret, log_dir, friends"},
      {"unknown server in friends", "[herd]\npeer_secret = \"s\"\nfriends = [[\"A\", \"Zed\"]]\n" + kServers,
       "3:18", "unknown server \"Zed\"; expected one of: A, B"},
      {"self-friend", "[herd]\npeer_secret = \"s\"\nfriends = [[\"A\", \"A\"]]\n" + kServers, "3:12",
       "cannot befriend itself"},
      {"duplicate friendship", "[herd]\npeer_secret = \"s\"\nfriends = [[\"A\", \"B\"], [\"B\", \"A\"]]\n" + kServers,
       "3:24", "already friends"},
      {"friend entry not a pair", "[herd]\npeer_secret = \"s\"\nfriends = [[\"A\", \"B\", \"A\"]]\n" + kServers,
       "3:12", "expected a pair of server names"},
      {"missing secret", "[herd]\nname = \"t\"\n" + kServers, "1:1",
       "missing required key herd.peer_secret"},
      {"empty secret", "[herd]\npeer_secret = \"\"\n" + kServers, "2:15", "must not be empty"},
      {"missing [herd]", kServers, "1:1", "missing table [herd]"},
      {"bad port", "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\nport = 70000\n",
       "6:8", "servers.port: expected an integer in [1, 65535], got 70000"},
      {"port as a string", "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\nport = \"1\"\n",
       "6:8", "servers.port: expected an integer, got a string"},
      {"missing port", "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\n", "3:1",
       "missing required key servers.port"},
      {"duplicate server name",
       "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\nport = 1\n"
       "[[servers]]\nname = \"A\"\nhost = \"h\"\nport = 2\n",
       "8:8", "duplicate server name \"A\" (first defined at line 4)"},
      {"same address twice",
       "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\nport = 1\n"
       "[[servers]]\nname = \"B\"\nhost = \"h\"\nport = 1\n",
       "10:8", "reuses h:1"},
      {"peer port on another server's client port",
       "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\nport = 1\npeer_port = 2\n"
       "[[servers]]\nname = \"B\"\nhost = \"h\"\nport = 2\n",
       "11:8", "reuses h:2"},
      {"default peer port on another server's client port",
       "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\nport = 1001\n"
       "[[servers]]\nname = \"B\"\nhost = \"h\"\nport = 1\n",
       "10:8", "peer port h:1001 (port + 1000) is already used at line 6"},
      {"no room for the default peer port",
       "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\nport = 65000\n",
       "6:8", "set servers.peer_port"},
      {"bad peer port",
       "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"A\"\nhost = \"h\"\nport = 1\npeer_port = 0\n",
       "7:13", "servers.peer_port: expected an integer in [1, 65535], got 0"},
      {"white space in a server name",
       "[herd]\npeer_secret = \"s\"\n[[servers]]\nname = \"Cl ark\"\nhost = \"h\"\nport = 1\n", "4:8",
       "contains white space"},
      {"unknown key in [[servers]]", "[herd]\npeer_secret = \"s\"\n" + kServers + "weight = 3\n",
       "13:1", "unknown key \"weight\" in [[servers]]"},
      {"no servers", "[herd]\npeer_secret = \"s\"\n", "1:1", "no servers defined"},
      {"bad duration", "[herd]\npeer_secret = \"s\"\n[limits]\nidle_timeout = \"5 minutes\"\n" + kServers,
       "4:16", "limits.idle_timeout: expected a duration string like \"300s\""},
      {"zero line limit", "[herd]\npeer_secret = \"s\"\n[limits]\nmax_line_bytes = 0\n" + kServers,
       "4:18", "expected an integer in [1,"},
      {"zero handshake timeout",
       "[herd]\npeer_secret = \"s\"\n[limits]\nhandshake_timeout = \"0s\"\n" + kServers, "4:21",
       "limits.handshake_timeout: expected a duration string like \"300s\" or \"500ms\" greater than zero"},
      {"unknown limit", "[herd]\npeer_secret = \"s\"\n[limits]\nmax_lines = 3\n" + kServers, "4:1",
       "unknown key \"max_lines\" in [limits]"},
      {"line timeout past a year",
       "[herd]\npeer_secret = \"s\"\n[limits]\nline_timeout = \"8761h\"\n" + kServers, "4:16",
       "limits.line_timeout: expected at most \"8760h\" (a year), got \"8761h\""},
      {"total output budget below one connection's",
       "[herd]\npeer_secret = \"s\"\n[limits]\nmax_total_output_bytes = 1000\n" + kServers, "4:26",
       "limits.max_total_output_bytes (1000) must be at least limits.max_output_bytes (1048576)"},
      {"one connection's output above the default total",
       "[herd]\npeer_secret = \"s\"\n[limits]\nmax_output_bytes = 134217728\n" + kServers, "4:20",
       "must be at least limits.max_output_bytes (134217728)"},
      {"tiny log files", "[herd]\npeer_secret = \"s\"\n[limits]\nlog_file_bytes = 100\n" + kServers,
       "4:18", "limits.log_file_bytes: expected at least 4096, got 100"},
      {"no rotated log files", "[herd]\npeer_secret = \"s\"\n[limits]\nlog_files = 0\n" + kServers,
       "4:13", "limits.log_files: expected an integer in [1, 1000], got 0"},
      {"no connections per address",
       "[herd]\npeer_secret = \"s\"\n[limits]\nmax_connections_per_address = 0\n" + kServers,
       "4:31", "expected an integer in [1,"},
      {"unknown provider", "[herd]\npeer_secret = \"s\"\n[places]\nprovider = \"bing\"\n" + kServers,
       "4:12", "expected \"offline\" or \"google\", got \"bing\""},
      {"TLS on friends' links without a CA",
       "[herd]\npeer_secret = \"s\"\n[tls]\npeers = true\ncert = \"c.pem\"\nkey = \"k.pem\"\n" + kServers,
       "3:1", "missing required key tls.ca"},
      {"TLS on the client port without a key",
       "[herd]\npeer_secret = \"s\"\n[tls]\nclients = true\ncert = \"c.pem\"\n" + kServers, "3:1",
       "missing required key tls.key"},
      {"TLS switch not a boolean", "[herd]\npeer_secret = \"s\"\n[tls]\npeers = \"yes\"\n" + kServers,
       "4:9", "tls.peers: expected true or false"},
      {"unknown key in [tls]", "[herd]\npeer_secret = \"s\"\n[tls]\nverify = false\n" + kServers,
       "4:1", "unknown key \"verify\" in [tls]"},
      {"google without a key", "[herd]\npeer_secret = \"s\"\n[places]\nprovider = \"google\"\n" + kServers,
       "4:12", "HERD_GOOGLE_API_KEY"},
      {"unknown google api", "[herd]\npeer_secret = \"s\"\n[places]\ngoogle_api = \"v2\"\n" + kServers,
       "4:14", "expected \"new\" or \"legacy\""},
      {"zero places timeout", "[herd]\npeer_secret = \"s\"\n[places]\ntimeout = \"0s\"\n" + kServers,
       "4:11", "greater than zero"},
      {"TOML syntax error", "[herd]\npeer_secret = \"s\"\nfriends = [[\"A\", \"B\"]\n" + kServers, "5:1",
       ""},
  };
  for (const auto& bad : cases) {
    INFO(bad.what);
    const std::string error = error_of(bad.text);
    INFO(error);
    CHECK(error.rfind("t.toml:" + bad.position + ": ", 0) == 0);
    CHECK(error.find(bad.message) != std::string::npos);
  }
}

TEST_CASE("config: a missing file is named in the error") {
  try {
    (void)herd::live::load_herd_config("no/such/herd.toml", no_env);
    FAIL("accepted a missing file");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()) == "no/such/herd.toml: cannot open the herd configuration");
  }
}

TEST_CASE("config: limits reach the core configuration of every server") {
  const HerdConfig config = parse(
      "[herd]\npeer_secret = \"s\"\nfriends = [[\"B\", \"A\"]]\nlog_dir = \"x/y\"\n"
      "[limits]\nmax_line_bytes = 100\nmax_connections = 7\nidle_timeout = \"1.5s\"\n"
      "max_output_bytes = 4096\nmax_pending_replies = 3\nmax_records = 50\n"
      "max_client_bytes = 64\nhandshake_timeout = \"250ms\"\n" +
      kServers);
  CHECK(config.max_output_bytes == 4096);
  CHECK(config.log_dir == "x/y");
  CHECK(config.herd_name == "t");  // from the file name when [herd] has none
  for (const auto& server : config.servers) {
    CHECK(server.core.limits.max_line_bytes == 100);
    CHECK(server.core.limits.max_connections == 7);
    CHECK(server.core.limits.idle_timeout_ns == 1'500'000'000);
    CHECK(server.core.limits.max_pending_replies == 3);
    CHECK(server.core.limits.max_records == 50);
    CHECK(server.core.limits.max_client_bytes == 64);
    CHECK(server.core.limits.handshake_timeout_ns == 250'000'000);
    // The secret reaches the authenticator, not the core.
    CHECK(server.core.peer_secret.empty());
    REQUIRE(server.core.peer_auth != nullptr);
    CHECK(server.core.peer_auth->prove("x") == herd::auth::HmacAuthenticator("s").prove("x"));
  }
  CHECK(config.find("A")->core.friends == std::vector<std::string>{"B"});
  CHECK(config.find("A")->friend_addresses.at(0).port == 2002);  // B's peer port (1002 + 1000)
  CHECK(config.find("B")->core.friends == std::vector<std::string>{"A"});
}

TEST_CASE("config: connection, output and log limits have defaults and take the file's values") {
  const HerdConfig defaults = parse("[herd]\npeer_secret = \"s\"\n" + kServers);
  CHECK(defaults.max_total_output_bytes == 64 * 1024 * 1024);
  CHECK(defaults.max_connections_per_address == 1024);
  CHECK(defaults.log_file_bytes == 32 * 1024 * 1024);
  CHECK(defaults.log_files == 4);
  CHECK(defaults.servers[0].core.limits.line_timeout_ns == 10'000'000'000);
  CHECK(defaults.servers[0].core.limits.max_ungreeted_links == 64);

  const HerdConfig config = parse(
      "[herd]\npeer_secret = \"s\"\n[limits]\nline_timeout = \"2s\"\nmax_ungreeted_links = 5\n"
      "max_connections_per_address = 20\nmax_output_bytes = 4096\n"
      "max_total_output_bytes = 4096\nlog_file_bytes = 4096\nlog_files = 1000\n" +
      kServers);
  CHECK(config.max_total_output_bytes == 4096);
  CHECK(config.max_connections_per_address == 20);
  CHECK(config.log_file_bytes == 4096);
  CHECK(config.log_files == 1000);
  for (const auto& server : config.servers) {
    CHECK(server.core.limits.line_timeout_ns == 2'000'000'000);
    CHECK(server.core.limits.max_ungreeted_links == 5);
  }
  CHECK(parse("[herd]\npeer_secret = \"s\"\n[limits]\nline_timeout = \"0s\"\n" + kServers)
            .servers[0].core.limits.line_timeout_ns == 0);
  CHECK(parse("[herd]\npeer_secret = \"s\"\n[limits]\nidle_timeout = \"8760h\"\n" + kServers)
            .servers[0].core.limits.idle_timeout_ns == 8760LL * 3600 * 1'000'000'000);
}

TEST_CASE("config: [tls] is off unless turned on, and reaches every server") {
  const HerdConfig plain = parse("[herd]\npeer_secret = \"s\"\n" + kServers);
  for (const auto& server : plain.servers) {
    CHECK_FALSE(server.tls.peers);
    CHECK_FALSE(server.tls.clients);
  }
  const HerdConfig tls = parse(
      "[herd]\npeer_secret = \"s\"\n[tls]\npeers = true\nclients = true\nca = \"ca.pem\"\n"
      "cert = \"herd.pem\"\nkey = \"herd.key\"\n" +
      kServers);
  for (const auto& server : tls.servers) {
    CHECK(server.tls.peers);
    CHECK(server.tls.clients);
    CHECK(server.tls.ca == "ca.pem");
    CHECK(server.tls.cert == "herd.pem");
    CHECK(server.tls.key == "herd.key");
  }
}

TEST_CASE("config: the Google key comes from the file, else from HERD_GOOGLE_API_KEY") {
  const std::string base = "[herd]\npeer_secret = \"s\"\n[places]\nprovider = \"google\"\n";
  auto env = [](const char* name) -> std::optional<std::string> {
    if (std::string(name) == "HERD_GOOGLE_API_KEY") return "from-env";
    return std::nullopt;
  };
  CHECK(parse_herd_config(base + kServers, "t.toml", env).places.google_api_key == "from-env");
  const HerdConfig with_key = parse_herd_config(
      base + "google_api_key = \"from-file\"\ngoogle_api = \"legacy\"\ntimeout = \"2s\"\n" + kServers,
      "t.toml", env);
  CHECK(with_key.places.google_api_key == "from-file");
  CHECK(with_key.places.google_api == herd::live::GoogleApi::legacy);
  CHECK(with_key.places.timeout == std::chrono::milliseconds(2000));
}

TEST_CASE("config: durations are integers and units") {
  CHECK(parse_duration_ns("300s") == 300'000'000'000);
  CHECK(parse_duration_ns("500ms") == 500'000'000);
  CHECK(parse_duration_ns("1.5s") == 1'500'000'000);
  CHECK(parse_duration_ns("2m") == 120'000'000'000);
  CHECK(parse_duration_ns("1h") == 3'600'000'000'000);
  CHECK(parse_duration_ns("0.25h") == 900'000'000'000);
  CHECK(parse_duration_ns("10us") == 10'000);
  CHECK(parse_duration_ns("7ns") == 7);
  CHECK(parse_duration_ns("0s") == 0);
  for (const char* bad : {"", "s", "5", "5 s", "-1s", "1.s", ".5s", "5sec", "1e3s", "1.0000000001s",
                          "9999999999999999s"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration_ns(bad).has_value());
  }
}

TEST_CASE("config: live herds run anti-entropy unless the strategy table turns it off") {
  using herd::core::PropagationConfig;
  const std::string herd = "[herd]\npeer_secret = \"s\"\nfriends = [[\"A\", \"B\"]]\n";
  const HerdConfig plain = parse(herd + kServers);
  for (const auto& server : plain.servers) {
    CHECK(server.core.propagation.push == PropagationConfig::Push::flood);
    CHECK(server.core.propagation.anti_entropy);
  }
  const HerdConfig tuned = parse(
      "[herd]\npeer_secret = \"s\"\nstrategy = \"plumtree\"\nfriends = [[\"A\", \"B\"]]\n"
      "[strategy]\nanti_entropy = false\ngraft_timeout = \"250ms\"\n" + kServers);
  CHECK(tuned.servers[0].core.propagation.push == PropagationConfig::Push::plumtree);
  CHECK_FALSE(tuned.servers[0].core.propagation.anti_entropy);
  CHECK(tuned.servers[1].core.propagation.plumtree_graft_timeout_ns == 250'000'000);
  CHECK(error_of(herd + "[strategy]\nfanuot = 3\n" + kServers)
            .starts_with("t.toml:5:1: unknown key \"fanuot\" in [strategy]"));
  CHECK(error_of("[herd]\npeer_secret = \"s\"\nstrategy = \"smoke\"\n" + kServers)
            .starts_with("t.toml:3:12: herd.strategy: expected one of"));
}

TEST_CASE("config: each server has a peer port, by default its port + 1000; links dial it") {
  const HerdConfig config = parse(
      "[herd]\npeer_secret = \"s\"\nfriends = [[\"A\", \"Bernard\"]]\n"
      "[[servers]]\nname = \"A\"\nhost = \"127.0.0.1\"\nport = 1001\n"
      "[[servers]]\nname = \"Bernard\"\nhost = \"127.0.0.1\"\nport = 1002\npeer_port = 3000\n");
  const auto& a = *config.find("A");
  const auto& b = *config.find("Bernard");
  CHECK(a.peer_listen.host == "127.0.0.1");
  CHECK(a.peer_listen.port == 2001);
  CHECK(b.peer_listen.port == 3000);
  REQUIRE(a.friend_addresses.size() == 1);
  CHECK(a.friend_addresses[0].port == 3000);
  CHECK(b.friend_addresses[0].port == 2001);
  CHECK(a.herd_client_ports == std::vector<std::uint16_t>{1001, 1002});
  // Peer lines carry any server's name as the origin: the longest sets the peer limit.
  CHECK(a.core.longest_server_name == 7);
}

TEST_CASE("config: storage dir gives every server a file of its own; a server's store wins") {
  using herd::live::SyncPolicy;
  const HerdConfig none = parse("[herd]\npeer_secret = \"s\"\n" + kServers);
  CHECK(!none.servers[0].storage);
  CHECK(!none.servers[1].storage);

  const HerdConfig dir = parse("[herd]\npeer_secret = \"s\"\n[storage]\ndir = \"state/h\"\n"
                               "sync = \"normal\"\n" + kServers);
  REQUIRE(dir.servers[0].storage);
  CHECK(dir.servers[0].storage->file == "state/h/A.db");
  CHECK(dir.servers[0].storage->sync == SyncPolicy::normal);
  REQUIRE(dir.servers[1].storage);
  CHECK(dir.servers[1].storage->file == "state/h/B.db");

  std::string own = "[herd]\npeer_secret = \"s\"\n" + kServers + "store = \"b-records.db\"\n";
  const HerdConfig one = parse(own);
  CHECK(!one.servers[0].storage);
  REQUIRE(one.servers[1].storage);
  CHECK(one.servers[1].storage->file == "b-records.db");
  CHECK(one.servers[1].storage->sync == SyncPolicy::full);
}

TEST_CASE("config: storage mistakes are reported with their position") {
  const std::string herd = "[herd]\npeer_secret = \"s\"\n";
  const std::vector<BadConfig> cases = {
      {"unknown key", herd + "[storage]\nfile = \"x\"\n" + kServers, "4:1", "unknown key \"file\""},
      {"bad sync", herd + "[storage]\nsync = \"always\"\n" + kServers, "4:8",
       "storage.sync: expected \"full\" or \"normal\", got \"always\""},
      {"empty dir", herd + "[storage]\ndir = \"\"\n" + kServers, "4:7",
       "storage.dir must not be empty"},
      {"shared file", herd + kServers + "store = \"A.db\"\n[storage]\ndir = \".\"\n", "13:9",
       "would share its store"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string message = error_of(c.text);
    CHECK_THAT(message, Catch::Contains("t.toml:" + c.position + ":"));
    CHECK_THAT(message, Catch::Contains(c.message));
  }
}
