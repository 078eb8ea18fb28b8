#pragma once
// One accepted TCP connection (a client, or a friend's inbound link: the core tells them
// apart). It only moves bytes: what it reads goes to its owner, what the owner sends is
// queued and written in gathered batches. It never decides anything about the protocol.
//
// Every notification to the owner comes from an asynchronous completion, never from inside
// send() or close_after_drain(), so the owner is never re-entered while it dispatches the
// core's outputs. on_conn_closed arrives exactly once, after the socket is closed.

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "herd/core/server.hpp"
#include "herd/live/output_budget.hpp"
#include "herd/live/write_queue.hpp"

namespace herd::live {

// Why a connection ended, as the owner needs to know it for logging.
enum class ConnEnd {
  closed,        // the core asked for it and the queue drained (or the drain timed out)
  peer_gone,     // read or write error, e.g. a reset
  output_limit,  // the peer stopped reading and its queue outgrew the limit
  output_budget, // closed by the owner: the largest queue when all together were too big
  stopped,       // the server is shutting down
  tls_failed,    // the TLS handshake failed (last_error says why)
};

[[nodiscard]] std::string_view to_string(ConnEnd end) noexcept;

class ConnectionEvents {
 public:
  virtual void on_conn_bytes(core::ConnId conn, std::string_view bytes) = 0;
  virtual void on_conn_eof(core::ConnId conn) = 0;
  virtual void on_conn_closed(core::ConnId conn, ConnEnd end) = 0;

 protected:
  ~ConnectionEvents() = default;
};

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  // `budget`, when given, is told of every change in what this connection has queued.
  // With `tls`, the connection is TLS (server side): nothing is read or written before the
  // handshake succeeds, and a failed one ends it (tls_failed).
  ClientConnection(boost::asio::ip::tcp::socket socket, core::ConnId id, ConnectionEvents& events,
                   std::size_t max_output_bytes, OutputBudget* budget = nullptr,
                   std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

  void start();
  // Queues bytes; closes the connection (output_limit) when the queue outgrows the limit,
  // which takes a client that stops reading while its commands still produce replies.
  void send(core::SharedText bytes);
  // Half-closes once everything queued is written, then waits briefly for the peer's EOF so
  // that unread input does not turn the close into a reset that destroys our last replies.
  void close_after_drain();
  // Closes at once, queued bytes or not.
  void abort(ConnEnd end);

  [[nodiscard]] core::ConnId id() const noexcept { return id_; }
  [[nodiscard]] const std::string& remote() const noexcept { return remote_; }
  [[nodiscard]] std::size_t pending_bytes() const noexcept { return queue_.pending_bytes(); }
  // This connection's share of its OutputBudget: pending_bytes() until it is closed, then 0.
  [[nodiscard]] std::size_t budgeted_bytes() const noexcept { return budgeted_bytes_; }
  // The socket error that ended the connection ("read: Connection reset by peer"), if any.
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }

 private:
  void on_tls_handshake(const boost::system::error_code& ec);
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  // Hands what was read to the owner slice by slice; pauses (no reads) while the client
  // leaves half of max_output_bytes unread, so a pipelining client is slowed, not closed.
  void feed();
  void do_write();
  void on_write(const boost::system::error_code& ec);
  void do_shutdown();
  void on_close_deadline(const boost::system::error_code& ec);
  void finish(ConnEnd end);
  void report_to_budget();
  void fail(const boost::system::error_code& ec, std::string_view what);

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  bool tls_ready_ = false;  // the handshake is done (or there is no TLS)
  boost::asio::steady_timer close_deadline_;
  core::ConnId id_;
  ConnectionEvents& events_;
  std::size_t max_output_bytes_;
  std::string remote_;
  std::string last_error_;
  WriteQueue queue_;
  OutputBudget* budget_;
  std::size_t budgeted_bytes_ = 0;
  std::array<char, 16 * 1024> read_buffer_{};
  std::size_t unfed_begin_ = 0;  // read_buffer_[unfed_begin_, unfed_end_) awaits feed()
  std::size_t unfed_end_ = 0;
  bool paused_ = false;
  bool eof_ = false;              // the peer half-closed; no more reads
  bool close_requested_ = false;  // the core asked to close
  bool shut_down_ = false;        // our FIN is sent
  bool finished_ = false;         // socket closed, owner told (or about to be)
};

}  // namespace herd::live
