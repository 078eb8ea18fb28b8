#pragma once
// One herd server on real sockets: a core::Server driven by an Asio io_context. It accepts
// connections on the server's address, dials one outbound link per friend, turns socket
// events and a single timer into the core's handle_* calls, and carries out whatever the
// core's poll_output() asks for. It adds no protocol logic: lines, replies, floods, limits
// on lines and idle time all live in the core; the runtime only bounds what the core cannot
// see (bytes queued for a peer that stopped reading, for all clients together, and
// connections per client address).
//
// Single-threaded: everything runs on the io_context it is given, except a durable store's
// commits, which run on the store's writer thread (store_writer.hpp). The object must outlive
// that io_context's run(); stop() makes it let go of every socket and timer.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/common.h>

#include "herd/core/server.hpp"
#include "herd/live/client_connection.hpp"
#include "herd/live/config.hpp"
#include "herd/live/durable_store.hpp"
#include "herd/live/output_budget.hpp"
#include "herd/live/peer_link.hpp"
#include "herd/live/server_log.hpp"
#include "herd/live/store_writer.hpp"

namespace herd::places {
class PlacesProvider;
}

namespace herd::live {

// The server could not start; what() reads "Clark: cannot listen on 127.0.0.1:12004: ...".
class StartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LiveOptions {
  std::filesystem::path log_dir;
  std::size_t max_output_bytes = 1024 * 1024;
  std::size_t max_total_output_bytes = 64 * 1024 * 1024;  // all client connections together
  std::size_t max_connections_per_address = 1024;         // on the client port
  LogRotation log_rotation;
  spdlog::sink_ptr console_sink;  // null: no console output
  BackoffPolicy backoff;
  // Called once if the durable store fails to commit; the server has stopped by then and
  // sent nothing that depended on the failed commit. The message names the file.
  std::function<void(const std::string& why)> on_store_failure;
};

class LiveServer final : private ConnectionEvents, private PeerLinkEvents {
 public:
  LiveServer(boost::asio::io_context& io, ServerSetup setup, places::PlacesProvider& places,
             LiveOptions options);
  ~LiveServer();
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  // Opens the log, binds and listens, starts the friend links. Throws StartError.
  void start();
  // Closes the listener, every connection and link; logs the stop. Idempotent.
  void stop();

  [[nodiscard]] const std::string& name() const noexcept { return setup_.core.name; }
  [[nodiscard]] const core::Server& core() const noexcept { return core_; }
  // The ports actually bound (useful when the configuration said 0): clients', friends'.
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::uint16_t peer_port() const;
  // Called for every Observation the core emits (only with emit_observations set).
  void set_observer(std::function<void(const core::Observation&)> observer) {
    observer_ = std::move(observer);
  }

 private:
  // ConnectionEvents
  void on_conn_bytes(core::ConnId conn, std::string_view bytes) override;
  void on_conn_eof(core::ConnId conn) override;
  void on_conn_closed(core::ConnId conn, ConnEnd end) override;
  // PeerLinkEvents
  void on_peer_up(core::PeerId peer) override;
  void on_peer_down(core::PeerId peer) override;
  void on_peer_bytes(core::PeerId peer, std::string_view bytes) override;

  // The client port and the peer port each have an acceptor; what a connection may say
  // depends on which it came in on (core::Server::ConnRole).
  struct Listener {
    explicit Listener(boost::asio::io_context& io, core::Server::ConnRole role)
        : acceptor(io), retry_timer(io), role(role) {}
    boost::asio::ip::tcp::acceptor acceptor;
    boost::asio::steady_timer retry_timer;
    core::Server::ConnRole role;
    std::shared_ptr<boost::asio::ssl::context> tls;  // set: connections here are TLS
  };
  void open_acceptor(Listener& listener, const Endpoint& where);
  void do_accept(Listener& listener);
  void on_accept(Listener& listener, const boost::system::error_code& ec,
                 boost::asio::ip::tcp::socket socket);
  bool admit_address(const boost::asio::ip::tcp::socket& socket, std::string& address);
  void release_address(core::ConnId conn);
  void enforce_output_budget();
  void redial_greeted_friends();
  void on_places_answer(std::uint64_t request, std::string json);
  void drain_outputs();
  void dispatch(core::Output& output);
  // With a durable store: stages the records a batch of outputs changed, dispatches the
  // rest at once or holds it until they are committed (docs/durability.md).
  void route_durable(std::vector<core::Output>& batch);
  void open_store();
  void submit_open_batch();
  void on_commit_written();
  void settle_commit(const StoreWriter::Outcome& outcome);
  void fail_store(const std::string& error);
  void close_store();
  static std::size_t held_size(const core::Output& output);
  void rearm_timer();
  void on_timer(const boost::system::error_code& ec);
  void do_flush_timer();
  void fail(const boost::system::error_code& ec, std::string_view what);

  boost::asio::io_context& io_;
  ServerSetup setup_;
  places::PlacesProvider& places_;
  LiveOptions options_;
  core::Server core_;
  std::unique_ptr<ServerLog> log_;
  Listener clients_;
  Listener peers_;
  boost::asio::steady_timer core_timer_;
  boost::asio::steady_timer flush_timer_;
  std::unordered_map<core::ConnId, std::shared_ptr<ClientConnection>> conns_;
  OutputBudget output_budget_;
  // Client-port connections by remote address, and each one's address (max_connections_per_address).
  std::unordered_map<std::string, std::size_t> connections_per_address_;
  std::unordered_map<core::ConnId, std::string> address_of_;
  // Refusals by address are logged at most once a second, with how many went unlogged.
  std::optional<std::chrono::steady_clock::time_point> last_refusal_logged_;
  std::uint64_t refusals_unlogged_ = 0;
  std::vector<std::unique_ptr<PeerLink>> links_;
  std::optional<core::Instant> timer_deadline_;
  std::function<void(const core::Observation&)> observer_;
  // The server's records on disk, when it has a store, committed by writer_'s thread. A
  // changed record is staged in open_rows_, handed to the writer as one batch (numbered
  // commits_submitted_ from 1) and kept in writing_rows_ until it is committed; outputs wait
  // in held_, in order, each for the commit it may depend on.
  struct StagedRow {
    core::SharedText at_line;
    std::string_view client;  // views into at_line
    std::uint32_t hops = 0;
  };
  struct HeldOutput {
    std::uint64_t commit = 0;
    core::Output output;
  };
  std::unique_ptr<DurableStore> store_;
  std::unique_ptr<StoreWriter> writer_;  // after store_: destroyed (joined) before it
  std::vector<core::Output> batch_;
  std::vector<StagedRow> open_rows_;
  std::vector<StagedRow> writing_rows_;
  std::uint64_t commits_submitted_ = 0;
  std::deque<HeldOutput> held_;
  std::size_t held_bytes_ = 0;
  bool submit_posted_ = false;
  // Lets a places answer that arrives after this server is gone find out it is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  core::ConnId next_conn_id_ = 1;
  bool started_ = false;
  bool stopped_ = false;
  bool draining_ = false;
};

}  // namespace herd::live
