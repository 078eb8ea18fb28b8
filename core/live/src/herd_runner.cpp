#include "herd/live/herd_runner.hpp"

#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "herd/live/live_server.hpp"
#include "herd/live/observation_log.hpp"
#include "herd/live/places_setup.hpp"
#include "herd/live/server_log.hpp"

namespace herd::live {

namespace {

// Every connection is a descriptor; the usual soft limit of 1024 would cap a server far
// below its max_connections. Raise it to what the system allows this process.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// The ready file: written whole under a temporary name, then renamed into place.
bool write_ready_file(const std::filesystem::path& file,
                      const std::vector<std::unique_ptr<LiveServer>>& servers) {
  std::filesystem::path temporary = file;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    for (const auto& server : servers) {
      out << server->name() << " " << server->port() << " " << server->peer_port() << "\n";
    }
    if (!out.flush()) {
      std::cerr << "herd-server: " << temporary.string() << ": cannot write the ready file\n";
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    std::cerr << "herd-server: " << file.string() << ": cannot write the ready file: "
              << ec.message() << "\n";
    return false;
  }
  return true;
}

}  // namespace

int run_herd(const HerdConfig& config, const RunOptions& options) {
  raise_descriptor_limit();
  // A peer that vanishes mid-write must be an error code, not a dead process.
  std::signal(SIGPIPE, SIG_IGN);

  boost::asio::io_context io;
  std::unique_ptr<places::PlacesProvider> places;
  try {
    places = make_places_provider(io, config.places);
  } catch (const std::exception& error) {
    std::cerr << "herd-server: " << error.what() << "\n";
    return 1;
  }

  std::unique_ptr<ObservationLog> observations;
  if (options.observe_file) {
    try {
      observations =
          std::make_unique<ObservationLog>(io, *options.observe_file, options.observe_limit_bytes);
    } catch (const std::exception& error) {
      std::cerr << "herd-server: " << error.what() << "\n";
      return 1;
    }
  }

  const auto console = ServerLog::make_console_sink();
  std::vector<std::unique_ptr<LiveServer>> servers;
  // A durable store that cannot commit stops the whole process (docs/durability.md).
  std::optional<std::string> store_failure;
  auto on_store_failure = [&](const std::string& why) {
    if (store_failure) return;
    store_failure = why;
    for (auto& server : servers) server->stop();
    io.stop();
  };
  for (const auto& name : options.servers) {
    const ServerSetup* setup = config.find(name);
    if (setup == nullptr) {
      std::cerr << "herd-server: " << config.source.string() << ": no server named " << name
                << "\n";
      return 1;
    }
    ServerSetup copy = *setup;
    copy.core.log_traffic = options.log_traffic;
    copy.core.emit_observations = observations != nullptr;
    LiveOptions live;
    live.log_dir = options.log_dir.value_or(config.log_dir);
    live.max_output_bytes = config.max_output_bytes;
    live.max_total_output_bytes = config.max_total_output_bytes;
    live.max_connections_per_address = config.max_connections_per_address;
    live.log_rotation = LogRotation{config.log_file_bytes, config.log_files};
    live.console_sink = console;
    live.on_store_failure = on_store_failure;
    servers.push_back(std::make_unique<LiveServer>(io, std::move(copy), *places, std::move(live)));
    if (observations) {
      LiveServer& server = *servers.back();
      server.set_observer([&observations, &server, friends = setup->core.friends](
                              const core::Observation& observation) {
        observations->record(server.name(), friends, observation);
      });
    }
  }

  try {
    for (auto& server : servers) server->start();
  } catch (const StartError& error) {
    std::cerr << "herd-server: " << error.what() << "\n";
    for (auto& server : servers) server->stop();
    return 1;
  }
  if (options.ready_file && !write_ready_file(*options.ready_file, servers)) {
    for (auto& server : servers) server->stop();
    return 1;
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    for (auto& server : servers) server->stop();
    // Places requests still in flight would keep run() going; nothing they answer matters now.
    io.stop();
  });

  try {
    io.run();
  } catch (const std::exception& error) {
    std::cerr << "herd-server: unexpected error: " << error.what() << "\n";
    for (auto& server : servers) server->stop();
    return 2;
  }
  if (store_failure) {
    std::cerr << "herd-server: " << *store_failure << "\n";
    return 1;
  }
  return 0;
}

}  // namespace herd::live
