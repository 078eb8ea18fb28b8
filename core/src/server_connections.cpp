// core::Server's table of connections: opening, finding, prefetching and closing them
// (the flat vectors declared in server.hpp, in ConnId order, closed slots compacted lazily).
#include "herd/core/server.hpp"

#include <algorithm>

namespace herd::core {

void Server::handle_conn_open(Instant now, ConnId conn, ConnRole role) {
  now_ = now;
  const bool link = role == ConnRole::link;
  // Only the client port counts against max_connections: friends' links arrive on the peer
  // port, and a client holding every slot must not keep a restarted friend out.
  if (!link && client_connections_ >= config_.limits.max_connections) {
    ++stats_.connections_closed_by_limit;
    log(LogLevel::warn, "conn " + std::to_string(conn) + " refused: " +
                            std::to_string(client_connections_) +
                            " client connections open (max_connections)");
    queue_output(CloseConn{conn, CloseReason::too_many_connections});
    return;
  }
  if (find_conn(conn)) {  // already open: the runtime's mistake, nothing to do
    schedule_idle_sweep(now);
    return;
  }
  if (link) make_room_for_link(conn);
  // ConnIds grow, so the new one goes last; an id not above the last is put in its place
  // (or revives its closed slot, below).
  std::size_t at = conns_.size();
  if (!conn_ids_.empty() && conn_ids_.back() >= conn) {
    at = static_cast<std::size_t>(
        std::lower_bound(conn_ids_.begin(), conn_ids_.end(), conn) - conn_ids_.begin());
  }
  if (conns_.capacity() == 0) {
    // Room for every friend's link, which is all a server of a big simulated herd ever holds;
    // clients grow the vectors as they come.
    static_assert(sizeof(Connection) <= 80, "a big herd's servers hold four or so each");
    const std::size_t room = std::max<std::size_t>(config_.friends.size(), 1);
    conns_.reserve(room);
    conn_ids_.reserve(room);
  }
  Connection* slot = nullptr;
  if (at < conn_ids_.size() && conn_ids_[at] == conn) {
    // A runtime that reuses ids: the closed connection's slot, not yet compacted away.
    conns_[at] = Connection(config_.limits.max_line_bytes, now);
    slot = &conns_[at];
  } else {
    conn_ids_.insert(conn_ids_.begin() + static_cast<std::ptrdiff_t>(at), conn);
    slot = &*conns_.emplace(conns_.begin() + static_cast<std::ptrdiff_t>(at),
                            config_.limits.max_line_bytes, now);
  }
  Connection& c = *slot;
  ++live_conns_;
  if (link) {
    c.link_only = true;
    c.awaiting_greeting = true;
    cold().ungreeted_links.insert(conn);
    if (config_.peer_auth) start_greeting_clock(c, now);
  } else {
    ++client_connections_;
  }
  schedule_idle_sweep(now);
}

// Anyone can connect to the peer port, so the connections there that have not proved to be
// a friend are few and the oldest gives way to a newcomer: a friend greets at once, a
// flood of silent connections only churns.
void Server::make_room_for_link(ConnId newcomer) {
  auto& ungreeted = cold().ungreeted_links;
  while (!ungreeted.empty() && ungreeted.size() >= config_.limits.max_ungreeted_links) {
    const ConnId oldest = *ungreeted.begin();
    Connection* c = find_conn(oldest);
    if (c == nullptr) {
      ungreeted.erase(ungreeted.begin());
      continue;
    }
    log(LogLevel::warn, "conn " + std::to_string(oldest) + " on the peer port closed: " +
                            std::to_string(ungreeted.size()) +
                            " connections there have not greeted (max_ungreeted_links); "
                            "making room for conn " +
                            std::to_string(newcomer));
    close(oldest, *c, CloseReason::too_many_connections);
  }
}

void Server::forget_ungreeted(ConnId conn, Connection& c) {
  if (!c.awaiting_greeting) return;
  c.awaiting_greeting = false;
  cold().ungreeted_links.erase(conn);
}

void Server::prefetch_object() const noexcept {
  // The fields prefetch_state reads or prefetches: no loads, only addresses.
  __builtin_prefetch(&conn_ids_);
  __builtin_prefetch(&store_);
  __builtin_prefetch(&outputs_);
  __builtin_prefetch(&stats_);
  __builtin_prefetch(&strategy_);
  __builtin_prefetch(&config_.friends);
  __builtin_prefetch(&friend_slots_);
}

void Server::prefetch_state(ConnId conn) const noexcept {
  // What a delivery reads before anything else: the connection ids, the store's index
  // header, the output queue and the counters; then the strategy (every input ends by
  // asking it for its next timeout) and, for a greeting, the friends' names and slots.
  (void)conn;
  __builtin_prefetch(conn_ids_.data());
  __builtin_prefetch(&store_);
  __builtin_prefetch(&outputs_);
  __builtin_prefetch(&stats_);
  __builtin_prefetch(strategy_.get());
  __builtin_prefetch(config_.friends.block());
  __builtin_prefetch(friend_slots_.get());
}

void Server::prefetch_hint(ConnId conn, std::string_view bytes) const noexcept {
  if (const std::size_t slot = conn_slot(conn); slot < conns_.size()) {
    __builtin_prefetch(&conns_[slot]);
    __builtin_prefetch(reinterpret_cast<const char*>(&conns_[slot]) + 64);
  }
  // "AT <origin> <diff> <client> ...": the client is the fourth field. Anything else (or
  // odd spacing) is simply not prefetched.
  if (!bytes.starts_with("AT ")) return;
  std::size_t start = 3;
  for (int skip = 0; skip < 2; ++skip) {
    std::size_t space = bytes.find(' ', start);
    if (space == std::string_view::npos) return;
    start = space + 1;
  }
  std::size_t end = bytes.find(' ', start);
  if (end == std::string_view::npos) return;
  store_.prefetch(bytes.substr(start, end - start));
}

std::size_t Server::conn_slot(ConnId conn) const noexcept {
  // A linear scan while the ids fit in a few cache lines, a binary search beyond.
  const std::size_t n = conn_ids_.size();
  if (n <= 16) {
    for (std::size_t i = 0; i < n; ++i) {
      if (conn_ids_[i] == conn) return conns_[i].erased ? n : i;
    }
    return n;
  }
  auto it = std::lower_bound(conn_ids_.begin(), conn_ids_.end(), conn);
  if (it == conn_ids_.end() || *it != conn) return n;
  const auto i = static_cast<std::size_t>(it - conn_ids_.begin());
  return conns_[i].erased ? n : i;
}

Server::Connection* Server::find_conn(ConnId conn) {
  const std::size_t slot = conn_slot(conn);
  return slot < conns_.size() ? &conns_[slot] : nullptr;
}

void Server::handle_conn_closed(Instant /*now*/, ConnId conn) {
  const std::size_t slot = conn_slot(conn);
  if (slot == conns_.size()) return;
  Connection& c = conns_[slot];
  forget_ungreeted(conn, c);
  if (!c.link_only) --client_connections_;
  // A link this server closed itself (a newer one replaced it) was logged then.
  if (c.peer && !c.eof && !c.closing) {
    log(LogLevel::warn, "inbound link from " + friend_string(*c.peer) + " dropped (conn " +
                            std::to_string(conn) + ")");
  }
  --live_conns_;
  if (slot + 1 == conns_.size()) {
    // The newest connection (a simulated client's, always): no slot is left behind.
    conns_.pop_back();
    conn_ids_.pop_back();
  } else {
    c = Connection(0, Instant{});  // releases its buffers now
    c.erased = true;
  }
  // Erased slots are dropped once they outnumber the live ones, so each close costs O(1)
  // amortised and the vectors stay at most about twice the open connections.
  const std::size_t erased = conns_.size() - live_conns_;
  if (erased > live_conns_ || (erased > 0 && live_conns_ == 0)) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].erased) continue;
      if (out != i) {
        conns_[out] = std::move(conns_[i]);
        conn_ids_[out] = conn_ids_[i];
      }
      ++out;
    }
    conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(out), conns_.end());
    conn_ids_.resize(out);
  }
}

}  // namespace herd::core
