// The friend side of core::Server: a greeted inbound link and an outbound link deliver
// arbitrary bytes (AT lines, anti-entropy digests and pushes, IHAVE/GRAFT/PRUNE, rumor KNEW)
// under each propagation strategy, with timers firing in between. Nothing throws, no
// sanitizer fires, and every record the server stores reads back by its client name.

#include <string>

#include "fuzz_common.hpp"
#include "herd/core/server.hpp"

using namespace herd::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = herd::fuzz::as_text(data, size);
  if (input.size() < 2) return 0;
  const auto pick = static_cast<unsigned char>(input[0]);
  const std::size_t chunk = 1 + static_cast<unsigned char>(input[1]) % 96;
  input.remove_prefix(2);

  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona", "Jaquez", "Campbell"};
  config.peer_secret = "s3cret";
  config.limits.max_line_bytes = 256;
  config.emit_observations = true;
  switch (pick % 4) {
    case 0: config.propagation.push = PropagationConfig::Push::flood; break;
    case 1: config.propagation.push = PropagationConfig::Push::gossip; break;
    case 2: config.propagation.push = PropagationConfig::Push::rumor; break;
    default: config.propagation.push = PropagationConfig::Push::plumtree; break;
  }
  config.propagation.anti_entropy = (pick & 4) != 0;
  config.propagation.seed = pick;
  Server server(config);
  Instant now{1'700'000'000'000'000'000};
  const auto drain = [&] {
    while (auto out = server.poll_output()) {
      if (auto* query = std::get_if<QueryPlaces>(&*out)) {
        server.handle_places_result(now, query->request, PlacesResult{R"({"results":[]})"});
      }
    }
  };
  server.handle_peer_up(now, 0);
  server.handle_peer_up(now, 1);
  server.handle_conn_open(now, 7, Server::ConnRole::link);
  server.handle_conn_bytes(now, 7, "HERD 1 Jaquez s3cret\n");
  drain();
  bool inbound = true;
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    now.ns += 37'000'000;
    const std::string_view piece = input.substr(at, chunk);
    if (inbound) {
      server.handle_conn_bytes(now, 7, piece);
    } else {
      server.handle_peer_bytes(now, 0, piece);
    }
    inbound = !inbound;
    server.handle_timeout(now);
    drain();
  }
  server.handle_peer_down(now, 1);
  server.handle_conn_eof(now, 7);
  now.ns += 5'000'000'000;
  server.handle_timeout(now);
  drain();
  std::size_t visited = 0;
  server.records().for_each([&](const StoredRecord& record) {
    ++visited;
    if (server.records().find(record.update.client) != &record) {
      herd::fuzz::fail("peer_lines", "a stored record cannot be found by its client name");
    }
  });
  if (visited != server.records().size()) herd::fuzz::fail("peer_lines", "record count drifts");
  return 0;
}
