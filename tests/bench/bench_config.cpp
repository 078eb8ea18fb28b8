#include "bench_config.hpp"

#include <sstream>
#include <stdexcept>

#include <toml++/toml.h>

namespace herd::bench {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

std::string where(const toml::node& node) {
  std::ostringstream out;
  out << "line " << node.source().begin.line << ", column " << node.source().begin.column;
  return out.str();
}

}  // namespace

std::vector<ServerAddress> load_herd_servers(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    std::ostringstream out;
    if (err.source().begin.line > 0) {
      out << "line " << err.source().begin.line << ", column " << err.source().begin.column
          << ": ";
    }
    out << err.description();
    fail(path, out.str());
  }
  const toml::array* servers = root["servers"].as_array();
  if (servers == nullptr || servers->empty()) {
    fail(path, "expected a non-empty [[servers]] array of tables");
  }
  std::vector<ServerAddress> result;
  for (const toml::node& node : *servers) {
    const toml::table* table = node.as_table();
    if (table == nullptr) fail(path, where(node) + ": a [[servers]] entry must be a table");
    const auto name = (*table)["name"].value<std::string>();
    const auto host = (*table)["host"].value<std::string>();
    const auto port = (*table)["port"].value<std::int64_t>();
    if (!name || name->empty()) fail(path, where(node) + ": server without a `name` string");
    if (!host || host->empty()) {
      fail(path, where(node) + ": server " + *name + " has no `host` string");
    }
    if (!port || *port < 1 || *port > 65535) {
      fail(path, where(node) + ": server " + *name + " needs a `port` in [1, 65535]");
    }
    for (const ServerAddress& seen : result) {
      if (seen.name == *name) fail(path, where(node) + ": server " + *name + " listed twice");
    }
    result.push_back({*name, *host, static_cast<std::uint16_t>(*port)});
  }
  return result;
}

}  // namespace herd::bench
