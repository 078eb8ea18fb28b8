// The client side of core::Server: arbitrary bytes on a client connection, cut into chunks
// where the input says, then a half-close. Every reply is a whole line, nothing throws, and
// the server's bookkeeping stays within its limits.

#include <string>

#include "fuzz_common.hpp"
#include "herd/core/server.hpp"

using namespace herd::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = herd::fuzz::as_text(data, size);
  // The first byte picks the chunk size, so framing across reads is exercised too.
  const std::size_t chunk = input.empty() ? 1 : 1 + static_cast<unsigned char>(input[0]) % 64;
  if (!input.empty()) input.remove_prefix(1);

  ServerConfig config;
  config.name = "Clark";
  config.friends = {"Bona", "Jaquez"};
  config.peer_secret = "s3cret";
  config.limits.max_line_bytes = 256;
  config.emit_observations = true;
  Server server(config);
  Instant now{1'700'000'000'000'000'000};
  server.handle_conn_open(now, 1);
  std::string replies;
  const auto drain = [&] {
    while (auto out = server.poll_output()) {
      if (auto* send = std::get_if<SendToConn>(&*out)) replies += send->bytes;
      if (auto* query = std::get_if<QueryPlaces>(&*out)) {
        server.handle_places_result(now, query->request, PlacesResult{R"({"results":[]})"});
      }
    }
  };
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    now.ns += 1'000'000;
    server.handle_conn_bytes(now, 1, input.substr(at, chunk));
    drain();
  }
  server.handle_conn_eof(now, 1);
  drain();
  if (!replies.empty() && replies.back() != '\n') {
    herd::fuzz::fail("client_lines", "a reply does not end with a newline");
  }
  return 0;
}
