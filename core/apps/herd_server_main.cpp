// herd-server: runs servers of a herd configuration on real sockets.
//   herd-server --config scenarios/herds/winter2023.toml --name Clark
//   herd-server --config scenarios/herds/winter2023.toml --all
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "herd/live/config.hpp"
#include "herd/live/herd_runner.hpp"
#include "herd/live/observation_log.hpp"

int main(int argc, char** argv) {
  CLI::App app{"herd-server: run proxy-herd servers from a herd configuration (TOML)"};
  std::string config_path;
  std::vector<std::string> names;
  bool all = false;
  std::string log_dir;
  bool quiet_traffic = false;
  std::string observe_file, ready_file;
  std::uint64_t observe_limit = herd::live::kDefaultObservationLimit;
  app.add_option("--config,-c", config_path, "herd configuration file (herd.toml)")
      ->required()
      ->check(CLI::ExistingFile);
  auto* name_option =
      app.add_option("--name,-n", names, "server to run (repeat to run several in this process)");
  auto* all_flag = app.add_flag("--all", all, "run every server of the configuration, each on its port");
  name_option->excludes(all_flag);
  app.add_option("--log-dir", log_dir, "write logs here instead of the configuration's log_dir");
  app.add_flag("--quiet-traffic", quiet_traffic,
               "do not log every line received and sent (for benchmarks; start, stop, links "
               "and warnings are still logged)");
  app.add_option("--observe", observe_file,
                 "write every server's observations (updates accepted, applied, ignored, reads "
                 "answered) to this file, one line each, host clock in ns (core/live/README.md)");
  app.add_option("--observe-limit", observe_limit,
                 "stop writing observations past this many bytes (default 1 GiB)")
      ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{1} << 50));
  app.add_option("--ready-file", ready_file,
                 "once every server listens, write \"<name> <port> <peer_port>\" lines here "
                 "(atomically, by rename)");
  CLI11_PARSE(app, argc, argv);

  if (names.empty() && !all) {
    std::cerr << "herd-server: give --name <server> or --all\n" << app.help();
    return 2;
  }
  herd::live::HerdConfig config;
  try {
    config = herd::live::load_herd_config(config_path);
  } catch (const herd::live::ConfigError& error) {
    std::cerr << "herd-server: " << error.what() << "\n";
    return 1;
  }
  herd::live::RunOptions options;
  options.servers = all ? config.server_names() : names;
  if (!log_dir.empty()) options.log_dir = log_dir;
  options.log_traffic = !quiet_traffic;
  if (!observe_file.empty()) options.observe_file = observe_file;
  options.observe_limit_bytes = observe_limit;
  if (!ready_file.empty()) options.ready_file = ready_file;
  for (const auto& name : options.servers) {
    if (config.find(name) == nullptr) {
      std::string known;
      for (const auto& server : config.server_names()) known += " " + server;
      std::cerr << "herd-server: " << config_path << ": no server named " << name
                << "; servers are:" << known << "\n";
      return 1;
    }
  }
  return herd::live::run_herd(config, options);
}
