// herd-core-bench: what one message costs the server core alone, everything in cache. These
// are the figures docs/performance.md uses to bound the simulator: every simulated message
// is a real protocol line handled by an unchanged core::Server, so no simulator can run a
// herd faster than its servers' share of this work.
//
//   herd-core-bench                              all of them (Google Benchmark options apply)
//   herd-core-bench --benchmark_filter=Server    the end-to-end ones
//
// The server is set up as the simulator sets it up: three friends up, observations on,
// traffic logging off; every output is polled after each input, as a runtime does.

#include <benchmark/benchmark.h>

#include <charconv>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "herd/core/codec.hpp"
#include "herd/core/record_store.hpp"
#include "herd/core/server.hpp"

using namespace herd::core;

namespace {

constexpr Nanoseconds kNow = 1'700'000'100'000'000'000LL;
constexpr ConnId kPeerConn = 1;
constexpr std::size_t kClients = 1000;
constexpr std::size_t kLines = 1 << 16;

// A newer client timestamp for each version of the same client.
std::string peer_line(std::size_t client, std::size_t version, std::uint32_t hops) {
  return "AT Bona +0.123456789 client-" + std::to_string(client) +
         ".example.org +34.068930-118.445127 17000000" + std::to_string(10 + version) +
         ".959498503 " + std::to_string(hops);
}

const std::string kRepeat = peer_line(7, 0, 2) + "\n";

std::unique_ptr<Server> make_server() {
  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona", "Jaquez", "Campbell"};
  config.peer_secret = "sim";
  config.log_traffic = false;
  config.emit_observations = true;
  config.limits.idle_timeout_ns = 0;
  auto server = std::make_unique<Server>(config);
  for (PeerId p = 0; p < 3; ++p) server->handle_peer_up(Instant{kNow}, p);
  server->handle_conn_open(Instant{kNow}, kPeerConn);
  server->handle_conn_bytes(Instant{kNow}, kPeerConn, "HERD 1 Bona sim\n");
  while (server->poll_output()) {
  }
  return server;
}

std::size_t drain(Server& server) {
  std::size_t n = 0;
  while (auto out = server.poll_output()) {
    benchmark::DoNotOptimize(*out);
    ++n;
  }
  return n;
}

void BM_parse_peer_update(benchmark::State& state) {
  const std::string line = peer_line(7, 0, 2);
  for (auto _ : state) benchmark::DoNotOptimize(parse_peer_update(line));
}
BENCHMARK(BM_parse_peer_update);

void BM_split_peer_update(benchmark::State& state) {
  const std::string line = peer_line(7, 0, 2);
  for (auto _ : state) benchmark::DoNotOptimize(split_peer_update(line));
}
BENCHMARK(BM_split_peer_update);

void BM_update_id(benchmark::State& state) {
  const std::string line = peer_line(7, 0, 2);
  const std::string_view at_line(line.data(), line.rfind(' '));
  for (auto _ : state) benchmark::DoNotOptimize(update_id(at_line));
}
BENCHMARK(BM_update_id);

// A flood's usual message: the update the server already holds, from another friend.
void BM_Server_repeated_update(benchmark::State& state) {
  auto server = make_server();
  server->handle_conn_bytes(Instant{kNow}, kPeerConn, kRepeat);
  drain(*server);
  for (auto _ : state) {
    server->handle_conn_bytes(Instant{kNow}, kPeerConn, kRepeat);
    drain(*server);
  }
}
BENCHMARK(BM_Server_repeated_update);

// Lines that are each newer than what a server holds, kClients clients taking turns: one
// pass over them per server. When a pass ends, a fresh server (built untimed) takes the next.
class NewerLines {
 public:
  template <typename Make>
  explicit NewerLines(Make make_line) {
    lines_.reserve(kLines);
    for (std::size_t i = 0; i < kLines; ++i) lines_.push_back(make_line(i % kClients, i / kClients));
  }
  // The next line, and the server it is for.
  std::pair<Server&, const std::string&> next(benchmark::State& state) {
    if (next_ == kLines) {
      state.PauseTiming();
      server_ = make_server();
      next_ = 0;
      state.ResumeTiming();
    }
    return {*server_, lines_[next_++]};
  }

 private:
  std::vector<std::string> lines_;
  std::unique_ptr<Server> server_ = make_server();
  std::size_t next_ = 0;
};

// A newer update of a known client: validated, stored, observed, flooded to the two other
// friends.
void BM_Server_applied_update(benchmark::State& state) {
  NewerLines lines([](std::size_t client, std::size_t version) {
    return peer_line(client, version, 1) + "\n";
  });
  for (auto _ : state) {
    auto [server, line] = lines.next(state);
    server.handle_conn_bytes(Instant{kNow}, kPeerConn, line);
    drain(server);
  }
}
BENCHMARK(BM_Server_applied_update);

// A grader-style client: connect, one IAMAT, half-close, reply, close. The update is new,
// so it is also stored, observed and flooded to all three friends.
void BM_Server_iamat_on_fresh_connection(benchmark::State& state) {
  NewerLines lines([](std::size_t client, std::size_t version) {
    return "IAMAT client-" + std::to_string(client) + ".example.org +34.068930-118.445127 17000000" +
           std::to_string(10 + version) + ".959498503\n";
  });
  ConnId conn = 100;
  for (auto _ : state) {
    auto [server, line] = lines.next(state);
    const Instant now{kNow};
    server.handle_conn_open(now, conn);
    server.handle_conn_bytes(now, conn, line);
    server.handle_conn_eof(now, conn);
    drain(server);
    server.handle_conn_closed(now, conn);
    ++conn;
  }
}
BENCHMARK(BM_Server_iamat_on_fresh_connection);

}  // namespace

BENCHMARK_MAIN();
