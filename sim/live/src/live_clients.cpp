// LiveRun's clients: the scenario's workload sent in real time over real TCP, one connection
// per command or one pipelined connection per server (docs/live-backend.md).
#include "live_run.hpp"

namespace herd::sim::live_run {

// --- clients -------------------------------------------------------------------------------

void LiveRun::submit(ClientCommand command, Nanoseconds rel_ns) {
  ++counters_.client_commands;
  const Nanoseconds delay = std::min<Nanoseconds>(
      sample_delay(scenario_.network.client_latency, client_rng_), 3600LL * 1'000'000'000);
  at(rel_ns + delay, [this, command = std::move(command)] {
    if (options_.clients == LiveRunOptions::Clients::persistent) {
      send_persistent(command);
    } else {
      send_per_command(command);
    }
  });
}

void LiveRun::finish_request(bool answered, ClientCommand::Kind kind, std::string_view reply) {
  metrics_->on_request(answered);
  if (answered && kind == ClientCommand::Kind::whatsat && reply.starts_with("? ")) {
    metrics_->on_unknown_read();
  }
}

// The grader's way: connect, one line, half-close, read to the end.
void LiveRun::send_per_command(const ClientCommand& command) {
  if (open_requests_ >= kMaxOpenRequests) {
    // The servers fall this far behind only when something is badly wrong; count it lost.
    finish_request(false, command.kind, {});
    return;
  }
  struct Request {
    explicit Request(asio::io_context& io) : socket(std::make_shared<tcp::socket>(io)) {}
    std::shared_ptr<tcp::socket> socket;
    std::string line, reply;
    ClientCommand::Kind kind;
    std::array<char, 4096> buffer{};
  };
  auto request = std::make_shared<Request>(io_);
  request->line = command.line + "\n";
  request->kind = command.kind;
  ++open_requests_;
  request_sockets_.push_back(request->socket);
  auto done = [this, request](bool answered) {
    --open_requests_;
    std::erase(request_sockets_, request->socket);
    error_code ignored;
    request->socket->close(ignored);
    finish_request(answered, request->kind, request->reply);
  };
  const tcp::endpoint server(asio::ip::address_v4::loopback(), servers_[command.server].client_port);
  request->socket->async_connect(server, [request, done](const error_code& ec) {
    if (ec) return done(false);
    asio::async_write(*request->socket, asio::buffer(request->line),
                      [request, done](const error_code& ec, std::size_t) {
                        if (ec) return done(false);
                        error_code ignored;
                        request->socket->shutdown(tcp::socket::shutdown_send, ignored);
                        auto read = std::make_shared<std::function<void()>>();
                        *read = [request, done, read] {
                          request->socket->async_read_some(
                              asio::buffer(request->buffer),
                              [request, done, read](const error_code& ec, std::size_t n) {
                                if (!ec && request->reply.size() < kMaxReplyBytes) {
                                  request->reply.append(request->buffer.data(), n);
                                  (*read)();
                                  return;
                                }
                                // End of the reply: the server closed (or reset) it.
                                *read = nullptr;
                                done(!request->reply.empty());
                              });
                        };
                        (*read)();
                      });
  });
}

// Telnet's way: one connection per server for the whole run, commands pipelined on it and
// replies taken in order (an AT line; a WHATSAT's AT line and JSON up to its blank line;
// "? ..." lines).
void LiveRun::send_persistent(const ClientCommand& command) {
  auto& conn = persistent_[command.server];
  if (!conn || conn->broken) {
    conn = std::make_shared<Persistent>(io_);
    auto c = conn;
    const std::uint32_t s = command.server;
    const tcp::endpoint server(asio::ip::address_v4::loopback(), servers_[s].client_port);
    c->socket.async_connect(server, [this, s, c](const error_code& ec) {
      if (c->broken) return;
      if (ec) return persistent_fail(s, c);
      c->connected = true;
      error_code ignored;
      c->socket.set_option(tcp::no_delay(true), ignored);
      persistent_read(s, c);
      persistent_write(s, c);
    });
  }
  // A scripted line is answered like the command its first word names (but counted as a
  // scripted command, as the simulator does).
  const bool whatsat_shape = command.kind == ClientCommand::Kind::whatsat ||
                             (command.kind == ClientCommand::Kind::script &&
                              command.line.starts_with("WHATSAT"));
  conn->pending.push_back(Pending{command.kind, whatsat_shape});
  conn->outbox += command.line;
  conn->outbox += '\n';
  if (conn->connected) persistent_write(command.server, conn);
}

void LiveRun::persistent_write(std::uint32_t s, const std::shared_ptr<Persistent>& c) {
  if (c->writing || c->outbox.empty() || c->broken) return;
  c->writing = true;
  auto data = std::make_shared<std::string>(std::move(c->outbox));
  c->outbox.clear();
  asio::async_write(c->socket, asio::buffer(*data), [this, s, c, data](const error_code& ec, std::size_t) {
    c->writing = false;
    if (c->broken) return;
    if (ec) return persistent_fail(s, c);
    persistent_write(s, c);
  });
}

void LiveRun::persistent_read(std::uint32_t s, const std::shared_ptr<Persistent>& c) {
  c->socket.async_read_some(asio::buffer(c->buffer), [this, s, c](const error_code& ec, std::size_t n) {
    if (c->broken) return;
    if (ec) return persistent_fail(s, c);
    c->inbox.append(c->buffer.data(), n);
    for (;;) {
      if (c->pending.empty()) {
        c->inbox.clear();
        break;
      }
      const Pending next = c->pending.front();
      std::size_t end = std::string::npos;
      if (next.whatsat_shape && !c->inbox.starts_with("? ")) {
        const auto blank = c->inbox.find("\n\n");
        if (blank != std::string::npos) end = blank + 2;
      } else {
        const auto nl = c->inbox.find('\n');
        if (nl != std::string::npos) end = nl + 1;
      }
      if (end == std::string::npos) {
        if (c->inbox.size() > kMaxReplyBytes) return persistent_fail(s, c);
        break;
      }
      c->pending.pop_front();
      finish_request(true, next.kind, std::string_view(c->inbox).substr(0, end));
      c->inbox.erase(0, end);
    }
    persistent_read(s, c);
  });
}

void LiveRun::persistent_fail(std::uint32_t, const std::shared_ptr<Persistent>& c) {
  if (c->broken) return;
  c->broken = true;
  for (const auto& p : c->pending) finish_request(false, p.kind, {});
  c->pending.clear();
  error_code ignored;
  c->socket.close(ignored);
}

}  // namespace herd::sim::live_run
