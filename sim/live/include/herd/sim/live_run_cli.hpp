#pragma once
// The command-line options every program that starts a live herd shares (herd-sim's
// `--backend live`, herd-soak): which herd-server to run, how its clients connect, and where
// the run's private folder goes. Header-only so that the runner library itself does not
// depend on CLI11; the programs that include it link CLI11.

#include <CLI/CLI.hpp>

#include <map>
#include <string>

#include "herd/sim/live_runner.hpp"

namespace herd::sim {

// --server-bin, --clients, --live-dir, --keep-live-dir. `help_prefix` starts every help
// text (e.g. "--backend live: "); `program` names the binary whose folder holds the default
// herd-server.
inline void add_live_process_options(CLI::App& app, LiveRunOptions& live,
                                     const std::string& help_prefix, const std::string& program) {
  app.add_option("--server-bin", live.server_bin,
                 help_prefix + "the herd-server to run (default: the one beside " + program + ")");
  app.add_option("--clients", live.clients,
                 help_prefix + "per-command (a connection per command, the default) or "
                               "persistent (one pipelined connection per server)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, LiveRunOptions::Clients>{
              {"per-command", LiveRunOptions::Clients::per_command},
              {"persistent", LiveRunOptions::Clients::persistent}},
          CLI::ignore_case))
      ->option_text("per-command|persistent");
  app.add_option("--live-dir", live.tmp_parent,
                 help_prefix + "make the run's private folder here (default: the system "
                               "temporary folder)");
  app.add_flag("--keep-live-dir", live.keep_dir,
               help_prefix + "keep the run's folder (configs, logs, observations)");
}

}  // namespace herd::sim
