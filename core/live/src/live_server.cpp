#include "herd/live/live_server.hpp"

#include <random>

#include <algorithm>
#include <chrono>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "herd/live/clock.hpp"
#include "herd/live/tls.hpp"
#include "herd/places/provider.hpp"

namespace herd::live {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kFlushInterval = std::chrono::seconds(1);
// After accept fails (typically out of file descriptors) wait before trying again instead of
// spinning on an error that will not go away by itself at once.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// Peers exchange far more than a client reads; their queue may grow larger before we give up
// on a friend that stopped reading.
constexpr std::size_t kPeerOutputFactor = 16;
// Outputs held back while a commit is written (docs/durability.md): past either bound the
// event loop waits for the commit instead of reading on.
constexpr std::size_t kMaxHeldOutputs = 65'536;
constexpr std::size_t kMaxHeldBytes = 64 * 1024 * 1024;

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// The core draws its strategy's random choices from a seed it is given; a live server has
// no replay to protect, so it takes one from the operating system.
ServerSetup with_entropy(ServerSetup setup) {
  std::random_device device;
  setup.core.propagation.seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return setup;
}

// A durable store learns which records changed from the core's observations.
ServerSetup with_store_observations(ServerSetup setup) {
  if (setup.storage) setup.core.emit_observations = true;
  return setup;
}

// The client field of an AT line the core stored ("AT <origin> <diff> <client> ..."): such
// lines are validated, with single spaces between fields.
std::string_view client_of(std::string_view at_line) {
  std::size_t start = 0;
  for (int field = 0; field < 3; ++field) {
    start = at_line.find(' ', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  return at_line.substr(start, at_line.find(' ', start) - start);
}

std::string shortened(std::string_view text, std::size_t max_bytes = 120) {
  if (text.size() <= max_bytes) return std::string(text);
  return std::string(text.substr(0, max_bytes)) + "...";
}

}  // namespace

LiveServer::LiveServer(asio::io_context& io, ServerSetup setup, places::PlacesProvider& places,
                       LiveOptions options)
    : io_(io),
      setup_(with_store_observations(with_entropy(std::move(setup)))),
      places_(places),
      options_(std::move(options)),
      core_(setup_.core),
      clients_(io, core::Server::ConnRole::any),
      peers_(io, core::Server::ConnRole::link),
      core_timer_(io),
      flush_timer_(io),
      output_budget_(options_.max_total_output_bytes) {
  // A setup built in code may leave the peer endpoint's host out: the client host then.
  if (setup_.peer_listen.host.empty()) setup_.peer_listen.host = setup_.listen.host;
}

LiveServer::~LiveServer() {
  *alive_ = false;
  if (started_) stop();
}

std::uint16_t LiveServer::port() const {
  error_code ec;
  const auto endpoint = clients_.acceptor.local_endpoint(ec);
  return ec ? setup_.listen.port : endpoint.port();
}

std::uint16_t LiveServer::peer_port() const {
  error_code ec;
  const auto endpoint = peers_.acceptor.local_endpoint(ec);
  return ec ? setup_.peer_listen.port : endpoint.port();
}

void LiveServer::start() {
  if (started_) return;
  try {
    log_ = std::make_unique<ServerLog>(name(), options_.log_dir, options_.console_sink,
                                       options_.log_rotation);
  } catch (const std::exception& error) {
    throw StartError(name() + ": " + error.what());
  }
  std::shared_ptr<asio::ssl::context> peer_tls;
  try {
    if (setup_.tls.peers) peer_tls = make_peer_tls_context(setup_.tls);
    if (setup_.tls.clients) clients_.tls = make_client_tls_context(setup_.tls);
  } catch (const TlsError& error) {
    throw StartError(name() + ": " + error.what());
  }
  peers_.tls = peer_tls;
  open_store();
  // Friends' port first: whoever sees the client port accept (a grader, a test harness,
  // herd-sim's live backend) may dial the peer port next, and must not be refused there.
  open_acceptor(peers_, setup_.peer_listen);
  open_acceptor(clients_, setup_.listen);
  started_ = true;
  std::string friends;
  for (const auto& friend_name : setup_.core.friends) {
    friends += (friends.empty() ? "" : ", ") + friend_name;
  }
  log_->notice(spdlog::level::info,
               "start: " + name() + " listening on " + to_string(setup_.listen) +
                   ", friends' links on port " + std::to_string(peer_port()) +
                   (friends.empty() ? ", no friends" : ", friends " + friends) + ", strategy " +
                   std::string(core_.strategy_name()) +
                   (setup_.tls.peers ? ", TLS on friends' links" : "") +
                   (setup_.tls.clients ? ", TLS on the client port" : ""));
  const std::size_t peer_output_bytes = options_.max_output_bytes * kPeerOutputFactor;
  for (core::PeerId peer = 0; peer < setup_.core.friends.size(); ++peer) {
    links_.push_back(std::make_unique<PeerLink>(
        io_, peer, name(), setup_.core.friends[peer], setup_.friend_addresses.at(peer),
        static_cast<PeerLinkEvents&>(*this), *log_, peer_output_bytes, options_.backoff,
        setup_.herd_client_ports, peer_tls));
  }
  for (auto& link : links_) link->start();
  do_accept(clients_);
  do_accept(peers_);
  do_flush_timer();
}

void LiveServer::open_acceptor(Listener& listener, const Endpoint& listen) {
  const std::string where = name() + ": cannot listen on " + to_string(listen) +
                            (listener.role == core::Server::ConnRole::link ? " (peer_port)" : "") +
                            ": ";
  tcp::acceptor& acceptor = listener.acceptor;
  error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints = resolver.resolve(listen.host, std::to_string(listen.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service,
                                          ec);
  if (ec || endpoints.empty()) throw StartError(where + (ec ? ec.message() : "no address"));
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  // Each step can fail on its own (a bad host, a port in use, no permission); say which.
  if (acceptor.open(endpoint.protocol(), ec); ec) throw StartError(where + ec.message());
  // A restarted server must be able to take its port back from connections in TIME_WAIT.
  if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
    throw StartError(where + ec.message());
  }
  if (acceptor.bind(endpoint, ec); ec) throw StartError(where + ec.message());
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    throw StartError(where + ec.message());
  }
}

void LiveServer::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  error_code ignored;
  for (Listener* listener : {&clients_, &peers_}) {
    listener->acceptor.close(ignored);
    listener->retry_timer.cancel();
  }
  core_timer_.cancel();
  flush_timer_.cancel();
  for (auto& [id, conn] : conns_) conn->abort(ConnEnd::stopped);
  const std::size_t open_connections = conns_.size();
  conns_.clear();
  std::uint64_t dropped = 0;
  for (auto& link : links_) {
    link->stop();
    dropped += link->dropped_messages();
  }
  if (store_) close_store();
  const core::ServerStats& stats = core_.stats();
  log_->notice(spdlog::level::info,
               "stop: " + name() + "; open connections closed: " +
                   std::to_string(open_connections) + "; " + std::to_string(stats.client_lines) + " client lines (" +
                   std::to_string(stats.invalid_lines) + " invalid), " +
                   std::to_string(stats.updates_accepted) + " updates accepted, " +
                   std::to_string(stats.updates_applied) + " applied, " +
                   std::to_string(stats.peer_messages_sent) + " peer messages sent, " +
                   std::to_string(dropped) + " dropped by links");
  log_->flush();
}

// --- accepting -----------------------------------------------------------------------------

void LiveServer::do_accept(Listener& listener) {
  listener.acceptor.async_accept([this, &listener](const error_code& ec, tcp::socket socket) {
    on_accept(listener, ec, std::move(socket));
  });
}

void LiveServer::on_accept(Listener& listener, const error_code& ec, tcp::socket socket) {
  if (stopped_) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    log_->notice(spdlog::level::warn, "accept: " + ec.message() + "; retrying");
    listener.retry_timer.expires_after(kAcceptRetry);
    listener.retry_timer.async_wait([this, &listener](const error_code& wait_ec) {
      if (!wait_ec && !stopped_) do_accept(listener);
    });
    return;
  }
  const bool client_port = listener.role == core::Server::ConnRole::any;
  std::string address;
  if (client_port && !admit_address(socket, address)) {
    error_code ignored;
    socket.close(ignored);
    do_accept(listener);
    return;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  const core::ConnId id = next_conn_id_++;
  if (client_port) address_of_.emplace(id, std::move(address));
  // Friends' links (the peer port) stay out of the clients' budget: they have their own limit.
  auto conn = std::make_shared<ClientConnection>(std::move(socket), id,
                                                 static_cast<ConnectionEvents&>(*this),
                                                 options_.max_output_bytes,
                                                 client_port ? &output_budget_ : nullptr,
                                                 listener.tls);
  if (setup_.core.log_traffic) {
    log_->file(spdlog::level::debug, "conn " + std::to_string(id) + " open from " + conn->remote() +
                                         (listener.role == core::Server::ConnRole::link
                                              ? " on the peer port"
                                              : ""));
  }
  conns_.emplace(id, conn);
  conn->start();
  core_.handle_conn_open(wall_now(), id, listener.role);
  drain_outputs();
  do_accept(listener);
}

// --- socket events -------------------------------------------------------------------------

void LiveServer::on_conn_bytes(core::ConnId conn, std::string_view bytes) {
  if (stopped_) return;
  core_.handle_conn_bytes(wall_now(), conn, bytes);
  drain_outputs();
}

void LiveServer::on_conn_eof(core::ConnId conn) {
  if (stopped_) return;
  core_.handle_conn_eof(wall_now(), conn);
  drain_outputs();
}

void LiveServer::on_conn_closed(core::ConnId conn, ConnEnd end) {
  if (stopped_) return;
  const auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  const std::string prefix = "conn " + std::to_string(conn) + " (" + it->second->remote() + ")";
  if (end == ConnEnd::tls_failed) {
    log_->file(spdlog::level::warn, prefix + ": TLS handshake failed: " + it->second->last_error());
  } else if (end == ConnEnd::output_limit) {
    log_->notice(spdlog::level::warn,
                 prefix + ": closed: more than " + std::to_string(options_.max_output_bytes) +
                     " bytes waiting to be read (max_output_bytes; slow reader)");
  } else if (end == ConnEnd::peer_gone && setup_.core.log_traffic) {
    log_->file(spdlog::level::debug, prefix + ": " + it->second->last_error());
  } else if (setup_.core.log_traffic) {
    log_->file(spdlog::level::debug, prefix + ": " + std::string(to_string(end)));
  }
  conns_.erase(it);
  release_address(conn);
  core_.handle_conn_closed(wall_now(), conn);
  drain_outputs();
}

// Counts the connection against its address; false (and a log line, at most one a second)
// when that address already holds max_connections_per_address.
bool LiveServer::admit_address(const tcp::socket& socket, std::string& address) {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  address = ec ? "?" : remote.address().to_string();
  std::size_t& open = connections_per_address_[address];
  if (open < options_.max_connections_per_address) {
    ++open;
    return true;
  }
  ++refusals_unlogged_;
  const auto now = std::chrono::steady_clock::now();
  if (!last_refusal_logged_ || now - *last_refusal_logged_ >= std::chrono::seconds(1)) {
    last_refusal_logged_ = now;
    std::string more;
    if (refusals_unlogged_ > 1) {
      more = "; " + std::to_string(refusals_unlogged_ - 1) +
             " more refused since the last such line";
    }
    log_->notice(spdlog::level::warn,
                 "connection from " + address + " refused: " + std::to_string(open) +
                     " connections from that address open (max_connections_per_address)" + more);
    refusals_unlogged_ = 0;
  }
  return false;
}

void LiveServer::release_address(core::ConnId conn) {
  const auto it = address_of_.find(conn);
  if (it == address_of_.end()) return;
  if (const auto count = connections_per_address_.find(it->second);
      count != connections_per_address_.end() && --count->second == 0) {
    connections_per_address_.erase(count);
  }
  address_of_.erase(it);
}

// Closes the client connections with the most bytes waiting until all of them together fit
// max_total_output_bytes again: the clients that stopped reading go first, and whoever
// reads along keeps its connection.
void LiveServer::enforce_output_budget() {
  while (output_budget_.exceeded()) {
    const ClientConnection* biggest = nullptr;
    for (const auto& [id, conn] : conns_) {
      if (biggest == nullptr || conn->budgeted_bytes() > biggest->budgeted_bytes()) {
        biggest = conn.get();
      }
    }
    if (biggest == nullptr || biggest->budgeted_bytes() == 0) return;
    log_->notice(spdlog::level::warn,
                 "conn " + std::to_string(biggest->id()) + " (" + biggest->remote() +
                     "): closed: " + std::to_string(biggest->budgeted_bytes()) +
                     " bytes waiting to be read, the most of any client, while all clients "
                     "together had " +
                     std::to_string(output_budget_.total_bytes()) + " (max_total_output_bytes " +
                     std::to_string(output_budget_.limit_bytes()) + "; slow readers)");
    conns_.at(biggest->id())->abort(ConnEnd::output_budget);
  }
}

void LiveServer::on_peer_up(core::PeerId peer) {
  if (stopped_) return;
  core_.handle_peer_up(wall_now(), peer);
  drain_outputs();
}

void LiveServer::on_peer_down(core::PeerId peer) {
  if (stopped_) return;
  core_.handle_peer_down(wall_now(), peer);
  drain_outputs();
}

void LiveServer::on_peer_bytes(core::PeerId peer, std::string_view bytes) {
  if (stopped_) return;
  core_.handle_peer_bytes(wall_now(), peer, bytes);
  drain_outputs();
}

void LiveServer::on_places_answer(std::uint64_t request, std::string json) {
  if (stopped_) return;
  core_.handle_places_result(wall_now(), request, core::PlacesResult{std::move(json)});
  drain_outputs();
}

// --- the core's outputs --------------------------------------------------------------------

void LiveServer::drain_outputs() {
  // Socket events reach this class asynchronously, so this never nests; the guard keeps it
  // that way should a future caller forget. (A places answer given inside nearby() feeds the
  // core without draining: see dispatch.)
  if (draining_) return;
  draining_ = true;
  if (store_) {
    // Everything one input produced is looked at together: the core queues an IAMAT's
    // reply before the observation that says its record changed.
    for (;;) {
      batch_.clear();
      while (auto output = core_.poll_output()) batch_.push_back(std::move(*output));
      if (batch_.empty()) break;
      route_durable(batch_);
      // A commit that failed while route_durable waited for it stopped the server: what is
      // left may reveal records that were never stored.
      if (!store_) break;
    }
  } else {
    while (auto output = core_.poll_output()) dispatch(*output);
  }
  draining_ = false;
  redial_greeted_friends();
  rearm_timer();
}

// --- the durable store ---------------------------------------------------------------------

void LiveServer::open_store() {
  if (!setup_.storage) return;
  const std::string file = setup_.storage->file.string();
  try {
    store_ = std::make_unique<DurableStore>(setup_.storage->file, name(), setup_.storage->sync);
    const std::size_t rows = store_->count();
    const std::size_t max_records = setup_.core.limits.max_records;
    if (max_records != 0 && rows > max_records) {
      throw StoreError(file + ": holds " + std::to_string(rows) +
                       " records, more than [limits] max_records = " +
                       std::to_string(max_records) + "; raise the limit or move the file away");
    }
    const core::Instant now = wall_now();
    store_->load([&](std::string_view client, std::string_view at_line, std::uint32_t hops) {
      const auto result = core_.restore_record(now, at_line, hops);
      const core::StoredRecord* held = core_.records().find(client);
      if (result != core::Server::RestoreResult::restored || held == nullptr ||
          *held->update.at_line != at_line) {
        throw StoreError(file + ": the record of client '" + shortened(client) +
                         "' is not a valid AT line of that client: '" + shortened(at_line) + "'");
      }
    });
    log_->notice(spdlog::level::info,
                 "store: " + file + ", " + std::to_string(rows) + " records restored, sync " +
                     std::string(to_string(setup_.storage->sync)));
    // The writer tells this thread through the io_context; the check keeps a late word
    // from reaching a server that is gone.
    writer_ = std::make_unique<StoreWriter>(
        *store_, [this, alive = std::weak_ptr<bool>(alive_)] {
          asio::post(io_, [this, alive] {
            const auto still = alive.lock();
            if (still && *still) on_commit_written();
          });
        });
  } catch (const StoreError& error) {
    writer_.reset();
    store_.reset();
    throw StartError(name() + ": " + error.what());
  }
}

void LiveServer::route_durable(std::vector<core::Output>& batch) {
  for (const auto& output : batch) {
    const auto* observation = std::get_if<core::Observation>(&output);
    if (observation == nullptr) continue;
    if (observation->kind == core::ObservationKind::update_accepted ||
        observation->kind == core::ObservationKind::update_applied) {
      open_rows_.push_back(
          StagedRow{observation->update, client_of(*observation->update), observation->hops});
    }
  }
  // Nothing leaves while a change before it is uncommitted: an AT reply acknowledges its
  // record, a WHATSAT reply or a friend's line may reveal one, and later outputs must not
  // overtake earlier ones. So an output waits for the open batch if that holds a change,
  // else for the commit being written (which it may reveal). Logs and observations say what
  // happened in memory and go at once.
  std::optional<std::uint64_t> wait_for;
  if (!open_rows_.empty()) {
    wait_for = commits_submitted_ + 1;
  } else if (writer_->busy()) {
    wait_for = commits_submitted_;
  } else if (!held_.empty()) {
    wait_for = held_.back().commit;
  }
  for (auto& output : batch) {
    if (wait_for && !std::holds_alternative<core::LogRecord>(output) &&
        !std::holds_alternative<core::Observation>(output)) {
      held_bytes_ += held_size(output);
      held_.push_back(HeldOutput{*wait_for, std::move(output)});
    } else {
      dispatch(output);
    }
  }
  if (!open_rows_.empty() && !writer_->busy() && !submit_posted_) {
    // Posted behind the handlers already queued: the changes of one turn of the event loop
    // share one commit. Changes that arrive while a commit is written wait for it and then
    // make the next one (group commit).
    submit_posted_ = true;
    asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
      const auto still = alive.lock();
      if (!still || !*still) return;
      submit_posted_ = false;
      if (!stopped_ && writer_ && !writer_->busy()) submit_open_batch();
    });
  }
  // The loop reads on while a commit is written; what it holds meanwhile is bounded: past
  // the limit it waits for the commit, as if the commit ran on the loop.
  while (writer_ && (held_.size() > kMaxHeldOutputs || held_bytes_ > kMaxHeldBytes)) {
    if (!writer_->busy()) {
      if (open_rows_.empty()) break;
      submit_open_batch();
    }
    const auto outcome = writer_->wait();
    if (outcome) settle_commit(*outcome);
  }
}

std::size_t LiveServer::held_size(const core::Output& output) {
  if (const auto* send = std::get_if<core::SendToConn>(&output)) return send->bytes.size();
  if (const auto* peer = std::get_if<core::SendToPeer>(&output)) return peer->bytes.view().size();
  return 0;
}

void LiveServer::submit_open_batch() {
  if (open_rows_.empty()) return;
  std::vector<DurableStore::Row> rows;
  rows.reserve(open_rows_.size());
  for (const StagedRow& row : open_rows_) rows.push_back({row.client, *row.at_line, row.hops});
  // The texts stay here, on this thread, until the commit is settled: the writer only
  // reads their bytes (a SharedText's count is not thread-safe).
  writing_rows_.swap(open_rows_);
  open_rows_.clear();
  ++commits_submitted_;
  writer_->submit(std::move(rows));
}

void LiveServer::on_commit_written() {
  if (stopped_ || !writer_) return;
  if (auto outcome = writer_->take()) settle_commit(*outcome);
}

// The commit in hand is done: on success what waited for it goes out, in order, and the next
// batch (what arrived meanwhile) is handed over first so that its commit overlaps the sends.
void LiveServer::settle_commit(const StoreWriter::Outcome& outcome) {
  writing_rows_.clear();
  if (outcome.error) {
    fail_store(*outcome.error);
    return;
  }
  const std::uint64_t done = commits_submitted_;
  std::vector<core::Output> ready;
  while (!held_.empty() && held_.front().commit <= done) {
    held_bytes_ -= held_size(held_.front().output);
    ready.push_back(std::move(held_.front().output));
    held_.pop_front();
  }
  if (!open_rows_.empty()) submit_open_batch();
  const bool nested = draining_;
  draining_ = true;
  for (auto& output : ready) dispatch(output);
  draining_ = nested;
  // A places answer given at once during that dispatch left outputs in the core (when this
  // runs inside a drain, that drain picks them up).
  if (!nested) drain_outputs();
}

// What was staged is in memory only: the replies that would acknowledge or reveal it are
// dropped, and the server stops rather than run on with records it cannot keep.
void LiveServer::fail_store(const std::string& error) {
  held_.clear();
  held_bytes_ = 0;
  open_rows_.clear();
  writing_rows_.clear();
  writer_.reset();
  store_.reset();
  const std::string why =
      name() + ": " + error + "; stopped, unacknowledged updates were not answered";
  log_->notice(spdlog::level::err, "store: " + why);
  stop();
  if (options_.on_store_failure) options_.on_store_failure(why);
}

// A clean stop keeps what was staged, but its replies are not sent any more.
void LiveServer::close_store() {
  if (writer_) {
    if (const auto outcome = writer_->wait(); outcome && outcome->error) {
      log_->notice(spdlog::level::err, "store: " + *outcome->error);
    }
    writer_.reset();
  }
  writing_rows_.clear();
  std::vector<DurableStore::Row> rows;
  for (const StagedRow& row : open_rows_) rows.push_back({row.client, *row.at_line, row.hops});
  try {
    store_->write(rows);
  } catch (const StoreError& error) {
    log_->notice(spdlog::level::err, std::string("store: ") + error.what());
  }
  open_rows_.clear();
  held_.clear();
  held_bytes_ = 0;
  log_->notice(spdlog::level::info,
               "store: " + std::to_string(store_->records_written()) + " records written in " +
                   std::to_string(store_->commits()) + " commits to " + store_->file().string());
  store_.reset();  // closes the file, folding the write-ahead log into it
}

// A friend that greets us is running again: our link to it need not wait out its backoff
// (up to 2 s after a restart), so it dials now.
void LiveServer::redial_greeted_friends() {
  for (const core::PeerId peer : core_.take_greeted_friends()) {
    if (peer < links_.size()) links_[peer]->redial_now();
  }
}

void LiveServer::dispatch(core::Output& output) {
  std::visit(
      Overloaded{
          [this](core::SendToConn& send) {
            if (const auto it = conns_.find(send.conn); it != conns_.end()) {
              it->second->send(herd::core::SharedText(send.bytes));
              if (output_budget_.exceeded()) enforce_output_budget();
            }
          },
          [this](core::CloseConn& close) {
            if (const auto it = conns_.find(close.conn); it != conns_.end()) {
              it->second->close_after_drain();
            }
          },
          [this](core::SendToPeer& send) {
            if (send.peer < links_.size()) links_[send.peer]->send(std::move(send.bytes));
          },
          [this](core::QueryPlaces& query) {
            places::NearbyQuery nearby{query.lat_deg, query.lng_deg, query.radius_m, query.limit};
            places_.nearby(nearby, [this, alive = std::weak_ptr<bool>(alive_),
                                    request = query.request](std::string json) {
              const auto still = alive.lock();
              if (!still || !*still || stopped_) return;
              if (draining_) {
                // Answered inside nearby() (the offline provider does): the loop draining
                // right now picks up what this produces. Answering at once rather than
                // posting keeps a pipelined burst from piling up as pending replies.
                core_.handle_places_result(wall_now(), request, core::PlacesResult{std::move(json)});
              } else {
                on_places_answer(request, std::move(json));
              }
            });
          },
          [this](core::LogRecord& record) { log_->record(record.level, record.text); },
          [this](core::Observation& observation) {
            if (observer_) observer_(observation);
          },
          [this](core::ClosePeer& close) {
            if (close.peer < links_.size()) links_[close.peer]->drop("its greeting failed");
          },
      },
      output);
}

// --- timers --------------------------------------------------------------------------------

void LiveServer::rearm_timer() {
  if (stopped_) return;
  const std::optional<core::Instant> deadline = core_.poll_timeout();
  if (deadline == timer_deadline_) return;
  timer_deadline_ = deadline;
  if (!deadline) {
    core_timer_.cancel();
    return;
  }
  // The core's deadline is wall-clock; the steady timer only needs how far away it is.
  const auto delay_ns = std::max<core::Nanoseconds>(0, deadline->ns - wall_now().ns);
  core_timer_.expires_after(std::chrono::nanoseconds(delay_ns));
  core_timer_.async_wait([this](const error_code& ec) { on_timer(ec); });
}

void LiveServer::on_timer(const error_code& ec) {
  if (ec == asio::error::operation_aborted || stopped_) return;
  if (ec) {
    fail(ec, "timer");
    return;
  }
  timer_deadline_.reset();
  core_.handle_timeout(wall_now());
  drain_outputs();
}

void LiveServer::do_flush_timer() {
  flush_timer_.expires_after(kFlushInterval);
  flush_timer_.async_wait([this](const error_code& ec) {
    if (ec || stopped_) return;
    log_->flush();
    do_flush_timer();
  });
}

void LiveServer::fail(const error_code& ec, std::string_view what) {
  if (ec == asio::error::operation_aborted) return;
  log_->notice(spdlog::level::warn, std::string(what) + ": " + ec.message());
}

}  // namespace herd::live
