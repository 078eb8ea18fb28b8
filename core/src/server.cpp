#include "herd/core/server.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include "strategies/plumtree_wire.hpp"

namespace herd::core {
namespace {

constexpr std::size_t decimal_digits(std::uint64_t value) noexcept {
  std::size_t digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

// The longest time difference format_time_diff writes: sign, whole seconds of the largest
// int64 magnitude, point, nine decimals.
constexpr std::size_t kLongestTimeDiff =
    1 + decimal_digits((static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) /
                       static_cast<std::uint64_t>(kNanosPerSecond)) +
    1 + 9;
static_assert(kLongestTimeDiff == 21);

// Strategy messages not built from a client line are bounded on their own; the longest is
// a full IHAVE line (anti-entropy's longest, AE LEAVES, has 556 bytes).
constexpr std::size_t kLongestFixedPeerLine = plumtree_wire::kMaxIhaveLineBytes - 1;

std::uint32_t compute_peer_line_limit(const std::string& name, const NameList& friends,
                                    std::size_t longest_server_name, std::size_t max_line_bytes) {
  std::size_t longest = std::max(longest_server_name, name.size());
  for (std::size_t i = 0; i < friends.size(); ++i) longest = std::max(longest, friends[i].size());
  const std::size_t limit =
      std::max(max_line_bytes + peer_line_overhead(longest), kLongestFixedPeerLine);
  return std::min<std::size_t>(limit, std::numeric_limits<std::uint32_t>::max());
}

LineFramer peer_framer(std::size_t limit) {
  LineFramer framer(limit);
  framer.skip_overlong_lines();
  return framer;
}

// Builds the stored form of a peer update: its AT line in a buffer of its own, with the
// field views moved from the received line into that buffer.
LocationUpdate to_location_update(const PeerUpdate& parsed) {
  auto line = SharedText(parsed.at_line);
  auto rebase = [&](std::string_view field) {
    return std::string_view(line->data() + (field.data() - parsed.at_line.data()), field.size());
  };
  LocationUpdate update;
  update.origin = rebase(parsed.origin);
  update.diff = rebase(parsed.diff);
  update.client = rebase(parsed.client);
  update.coords = rebase(parsed.coords);
  update.client_time = rebase(parsed.client_time);
  update.position = parsed.position;
  update.client_time_ns = parsed.client_time_ns;
  update.at_line = std::move(line);
  return update;
}

}  // namespace

std::size_t peer_line_overhead(std::size_t longest_server_name) noexcept {
  constexpr std::size_t kIamatFixed = std::string_view("IAMAT").size() + 3;  // + separators
  constexpr std::size_t kAtFixed = std::string_view("AT").size() + 5;        // + single spaces
  constexpr std::size_t kRepairPrefix = kRepairPush.size() + 1;             // "AE PUSH "
  constexpr std::size_t kHopsTail = 1 + decimal_digits(kMaxHops);            // " <hops>"
  return kAtFixed + longest_server_name + kLongestTimeDiff - kIamatFixed + kRepairPrefix +
         kHopsTail;
}

std::string_view to_string(CloseReason reason) noexcept {
  switch (reason) {
    case CloseReason::finished: return "finished";
    case CloseReason::line_too_long: return "line too long";
    case CloseReason::too_many_connections: return "too many connections";
    case CloseReason::idle: return "idle timeout";
    case CloseReason::too_many_pending: return "too many pending replies";
    case CloseReason::bad_peer: return "bad peer";
    case CloseReason::line_timeout: return "line timeout";
  }
  return "unknown";
}

// What the propagation strategy sees of its server.
Instant Server::Channel::now() const { return server_.now_; }
std::size_t Server::Channel::friend_count() const { return server_.config_.friends.size(); }
bool Server::Channel::peer_up(PeerId peer) const {
  return server_.is_friend(peer) && server_.friend_slots_[peer].up;
}
std::string_view Server::Channel::friend_name(PeerId peer) const {
  return server_.config_.friends.at(peer);
}
void Server::Channel::send(PeerId peer, const SharedText& line) {
  server_.send_to_peer(peer, line);
}
const RecordStore& Server::Channel::records() const { return server_.store_; }
Prng& Server::Channel::rng() { return server_.rng_; }
void Server::Channel::log_warn(std::string text) { server_.log(LogLevel::warn, std::move(text)); }

// Validates the line now, so the strategy can reject a bad one while it still has the
// message in hand, and queues it: the strategy is in the middle of one of its hooks, and
// storing the update would call its on_repaired_update from inside that hook. The server
// applies the queue as soon as the hook returns (apply_queued_repairs), at the same
// instant and in the same order, with the same storing, counting and observing as a
// peer's AT line in on_peer_line — but a new update goes to on_repaired_update and a
// redundant one to no hook at all: a repair is neither a push from that friend nor a
// duplicate path.
bool Server::Channel::apply_repair(PeerId from, std::string_view line) {
  auto parsed = split_peer_update(line);
  if (!parsed || !check_peer_update_values(*parsed)) return false;
  server_.queued_repairs_.push_back({from, std::string(line)});
  return true;
}

namespace {
std::uint32_t clamp32(std::size_t n) noexcept {
  return static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX));
}
}  // namespace

Server::Limits::Limits(const ServerLimits& limits)
    : max_line_bytes(clamp32(limits.max_line_bytes)),
      max_connections(clamp32(limits.max_connections)),
      max_ungreeted_links(clamp32(limits.max_ungreeted_links)),
      max_pending_replies(clamp32(limits.max_pending_replies)),
      max_records(clamp32(limits.max_records)),
      max_client_bytes(clamp32(limits.max_client_bytes)),
      idle_timeout_ns(limits.idle_timeout_ns),
      line_timeout_ns(limits.line_timeout_ns),
      handshake_timeout_ns(limits.handshake_timeout_ns) {}

Server::Settings::Settings(ServerConfig& config)
    : name(std::move(config.name)),
      friends(config.friends),
      peer_secret(std::move(config.peer_secret)),
      peer_auth(std::move(config.peer_auth)),
      limits(config.limits),
      log_traffic(config.log_traffic),
      emit_observations(config.emit_observations),
      forward_memos(config.forward_memos) {}

Server::Cold& Server::cold() {
  if (!cold_) cold_ = std::make_unique<Cold>();
  return *cold_;
}

Server::Server(ServerConfig config)
    : store_(config.propagation.anti_entropy),
      strategy_(config.strategy_factory ? config.strategy_factory(config.propagation)
                                        : make_propagation(config.propagation)),
      config_(config),
      peer_line_limit_(compute_peer_line_limit(config_.name, config_.friends,
                                               config.longest_server_name,
                                               config_.limits.max_line_bytes)),
      rng_(config.propagation.seed),
      friend_slots_(config_.friends.empty()
                        ? nullptr
                        : std::make_unique<FriendSlot[]>(config_.friends.size())) {
  // Only an authenticating server dials with a handshake; the simulator's servers (no
  // authenticator) keep no slot for one.
  if (config_.peer_auth) cold().dial_handshakes.resize(config_.friends.size());
  // Greetings name the friend; a herd on a complete graph has hundreds of friends each.
  std::vector<PeerId> by_name(config_.friends.size());
  for (PeerId i = 0; i < by_name.size(); ++i) by_name[i] = i;
  // Stable, so a name listed twice finds its first PeerId.
  std::stable_sort(by_name.begin(), by_name.end(), [&](PeerId a, PeerId b) {
    return config_.friends[a] < config_.friends[b];
  });
  for (std::size_t i = 0; i < by_name.size(); ++i) friend_slots_[i].by_name = by_name[i];
}

bool Server::peer_is_up(PeerId peer) const {
  if (!is_friend(peer)) {
    throw std::out_of_range("Server::peer_is_up: PeerId " + std::to_string(peer) + " of " +
                            std::to_string(config_.friends.size()) + " friends");
  }
  return friend_slots_[peer].up;
}

Server::~Server() = default;

// --- connections ---------------------------------------------------------------------------

// (Opening, finding and closing connections: server_connections.cpp.)

void Server::handle_conn_bytes(Instant now, ConnId conn, std::string_view bytes,
                               const PeerLineMemo* memo) {
  now_ = now;
  Connection* found = find_conn(conn);
  if (!found || found->closing) return;
  Connection& c = *found;
  c.last_input = now;
  const std::uint64_t skipped = c.framer.skipped_lines();
  bool line_ended = false;
  c.framer.feed(bytes, [&](std::string_view line) {
    line_ended = true;
    // The memo describes the bytes' one line: it applies if the framer took that line
    // straight from them (nothing was buffered before it).
    const bool memo_applies =
        memo && line.data() == bytes.data() && line.size() == memo->line_size;
    on_line(now, conn, c, line, memo_applies ? memo : nullptr);
    return !c.closing;
  });
  if (c.awaiting_greeting && c.peer) forget_ungreeted(conn, c);
  track_unfinished_line(now, c, line_ended);
  if (c.peer && c.framer.skipped_lines() != skipped) {
    log_skipped_peer_lines("inbound link from " + friend_string(*c.peer), c.framer, skipped);
  }
  if (c.framer.overflowed() && !c.closing) {
    log_line_too_long(conn);
    close(conn, c, CloseReason::line_too_long);
  }
}

// A friend's link drops an overlong line and keeps going (LineFramer::skip_overlong_lines):
// closing it would make the friend redial and send the same line again, forever.
// (Called only when there are some: building `where` on every read of a link would cost an
// allocation on the hot path.)
void Server::log_skipped_peer_lines(const std::string& where, const LineFramer& framer,
                                    std::uint64_t skipped_before) {
  const std::uint64_t skipped = framer.skipped_lines() - skipped_before;
  stats_.peer_lines_too_long += skipped;
  log(LogLevel::warn, where + ": " + std::to_string(skipped) + " line(s) longer than " +
                          std::to_string(peer_line_limit_) +
                          " bytes dropped (max_line_bytes plus the peer overhead; do the " +
                          "herd's servers disagree on max_line_bytes?)");
}

void Server::log_line_too_long(ConnId conn) {
  log(LogLevel::warn, "conn " + std::to_string(conn) + ": line longer than " +
                          std::to_string(config_.limits.max_line_bytes) +
                          " bytes (max_line_bytes); closing");
}

void Server::handle_conn_eof(Instant now, ConnId conn) {
  now_ = now;
  Connection* found = find_conn(conn);
  if (!found) return;
  Connection& c = *found;
  c.eof = true;
  if (c.closing) return;
  if (c.peer) {
    log(LogLevel::warn, "inbound link from " + friend_string(*c.peer) + " closed (conn " +
                            std::to_string(conn) + ")");
    close(conn, c, CloseReason::finished);
    return;
  }
  // Graders write one command with no newline and half-close: answer it, then close.
  if (auto rest = c.framer.take_rest()) on_line(now, conn, c, *rest);
  c.line_started.reset();  // the line is complete now: its end is the end of the stream
  // A greeting that arrived unterminated with the half-close opened a link that can carry
  // nothing more: close it rather than keep it open forever.
  if (c.peer && !c.closing) {
    close(conn, c, CloseReason::finished);
    return;
  }
  if (c.framer.overflowed() && !c.closing) {
    close(conn, c, CloseReason::line_too_long);
    return;
  }
  flush_replies(conn, c);
}

void Server::close(ConnId conn, Connection& c, CloseReason reason) {
  if (c.closing) return;
  c.closing = true;
  forget_ungreeted(conn, c);
  if (reason != CloseReason::finished) ++stats_.connections_closed_by_limit;
  c.close_due = reason;
  flush_replies(conn, c);
}

// --- lines ---------------------------------------------------------------------------------

void Server::on_line(Instant now, ConnId conn, Connection& c, std::string_view line,
                     const PeerLineMemo* memo) {
  if (c.peer) {
    on_peer_line(now, *c.peer, line, memo);
    return;
  }
  bool first = !c.saw_first_line;
  c.saw_first_line = true;
  if (config_.peer_auth && (c.handshake() || (first && is_handshake_line(line)))) {
    // Handshake lines carry names, nonces and proofs, nothing secret: logged as they are.
    if (config_.log_traffic) log_traffic("conn ", std::to_string(conn), "recv", line);
    ++stats_.client_lines;
    on_handshake_line(conn, c, line);
    return;
  }
  ClientLine parsed = parse_client_line(line);
  // A greeting's secret field, right or wrong, never reaches a log or a reply: the line is
  // shown up to the secret, then "<secret>".
  std::string redacted;
  if (const auto* greeting = std::get_if<PeerGreeting>(&parsed); greeting && !greeting->auth.empty()) {
    redacted = std::string(line.substr(0, static_cast<std::size_t>(greeting->auth.data() - line.data()))) +
               "<secret>";
  }
  const std::string_view shown = redacted.empty() ? line : std::string_view(redacted);
  if (config_.log_traffic) log_traffic("conn ", std::to_string(conn), "recv", shown);
  ++stats_.client_lines;
  if (c.link_only) {
    // The peer port carries friends' links only: no client is answered there.
    if (auto* greeting = std::get_if<PeerGreeting>(&parsed);
        greeting && first && on_greeting(now, conn, c, *greeting)) {
      return;
    }
    ++stats_.invalid_lines;
    log(LogLevel::warn, "conn " + std::to_string(conn) +
                            " on the peer port did not start with a friend's greeting; closing");
    close(conn, c, CloseReason::bad_peer);
    return;
  }
  if (auto* greeting = std::get_if<PeerGreeting>(&parsed); greeting && first) {
    if (on_greeting(now, conn, c, *greeting)) return;
  } else if (auto* iamat = std::get_if<IamatCommand>(&parsed)) {
    on_iamat(now, conn, c, line, *iamat);
    return;
  } else if (auto* whatsat = std::get_if<WhatsatCommand>(&parsed)) {
    on_whatsat(now, conn, c, line, *whatsat);
    return;
  }
  ++stats_.invalid_lines;
  reply_now(conn, c, "? " + std::string(shown) + "\n");
}

bool Server::on_greeting(Instant /*now*/, ConnId conn, Connection& c,
                         const PeerGreeting& greeting) {
  auto peer = friend_id(greeting.sender);
  std::string who = "conn " + std::to_string(conn);
  if (!peer) {
    log(LogLevel::warn, who + ": greeting from '" + printable(greeting.sender) +
                            "', which is not a friend of " + config_.name);
    return false;
  }
  if (config_.peer_auth) {
    // An older server (or one configured by hand) greets with its secret in clear. Say so
    // plainly: the operator has to upgrade it, and nothing else will make the link work.
    ++stats_.handshakes_refused;
    log(LogLevel::warn, who + ": greeting as " + friend_string(*peer) +
                            " in the old cleartext form (HERD 1); this server accepts only the " +
                            "authenticated greeting (HERD 2), so " + friend_string(*peer) +
                            " must be upgraded; refused");
    return false;
  }
  if (greeting.auth != config_.peer_secret) {
    log(LogLevel::warn, who + ": greeting as " + friend_string(*peer) +
                            " with a wrong peer secret; treated as a client line");
    return false;
  }
  accept_link(conn, c, *peer);
  return true;
}

void Server::accept_link(ConnId conn, Connection& c, PeerId peer) {
  c.peer = peer;
  if (c.extra_) c.extra_->greeting_deadline.reset();
  replace_older_links(conn, peer);
  // From the next line on this is a friend's link: it carries lines up to the peer limit and
  // drops a longer one instead of closing.
  c.framer.set_max_line_bytes(peer_line_limit_);
  c.framer.skip_overlong_lines();
  // A flag per friend until the runtime takes the list: a runtime that never takes it (the
  // simulator) holds nothing more however often links come back.
  if (!friend_slots_[peer].greeted) {
    friend_slots_[peer].greeted = true;
    ++greeted_friends_;
  }
  log(LogLevel::info, "inbound link from " + friend_string(peer) + " up (conn " +
                          std::to_string(conn) + ")");
}

void Server::on_iamat(Instant now, ConnId conn, Connection& c, std::string_view line,
                      const IamatCommand& cmd) {
  if (cmd.client.size() > config_.limits.max_client_bytes) {
    ++stats_.invalid_lines;
    reply_now(conn, c, "? " + std::string(line) + "\n");
    return;
  }
  if (store_full() && store_.find(cmd.client) == nullptr) {
    ++stats_.invalid_lines;
    refuse_record(cmd.client);
    reply_now(conn, c, "? " + std::string(line) + "\n");
    return;
  }
  Nanoseconds diff_ns = 0;
  if (__builtin_sub_overflow(now.ns, cmd.client_time_ns, &diff_ns)) {
    // Only absurd timestamps get here (centuries away); the difference has no int64 form.
    // Answered like any invalid line: the line exactly as the client sent it.
    ++stats_.invalid_lines;
    reply_now(conn, c, "? " + std::string(line) + "\n");
    return;
  }
  LocationUpdate update = LocationUpdate::accepted(config_.name, diff_ns, cmd.client, cmd.coords,
                                                  cmd.client_time, cmd.position,
                                                  cmd.client_time_ns);
  std::string reply;
  reply.reserve(update.at_line->size() + 1);
  reply.append(*update.at_line).push_back('\n');
  reply_now(conn, c, std::move(reply));

  const StoredRecord* stored = nullptr;
  if (store_.offer(update, now, 0, &stored) != OfferResult::applied) return;
  ++stats_.updates_accepted;
  if (config_.emit_observations) {
    observe(ObservationKind::update_accepted, now, update.at_line, stored->id, 0, std::nullopt);
  }
  strategy_->on_new_update(channel_, update, 0, std::nullopt);
  apply_queued_repairs(now);
}

void Server::on_whatsat(Instant now, ConnId conn, Connection& c, std::string_view line,
                        const WhatsatCommand& cmd) {
  const StoredRecord* record = store_.find(cmd.client);
  if (!record) {
    ++stats_.invalid_lines;
    reply_now(conn, c, "? " + std::string(line) + "\n");
    return;
  }
  auto& replies = c.extra().replies;
  if (replies.size() >= config_.limits.max_pending_replies) {
    log(LogLevel::warn, "conn " + std::to_string(conn) + ": more than " +
                            std::to_string(config_.limits.max_pending_replies) +
                            " replies pending (max_pending_replies); closing");
    close(conn, c, CloseReason::too_many_pending);
    return;
  }
  std::uint64_t sequence = c.extra_->next_sequence++;
  replies.push_back(PendingReply{sequence, std::nullopt});
  std::uint64_t request = cold().next_places_request++;
  cold().places_waits.emplace(request, PlacesWait{conn, sequence, record->update.at_line});
  observe(ObservationKind::read_answered, now, record->update.at_line, record->id, record->hops,
          std::nullopt);
  const GeoPoint position = record->update.position();
  queue_output(QueryPlaces{request, position.lat_deg, position.lng_deg,
                                    cmd.radius_km * 1000.0, cmd.bound});
}

void Server::handle_places_result(Instant /*now*/, std::uint64_t request, PlacesResult result) {
  if (!cold_) return;
  auto wait = cold_->places_waits.find(request);
  if (wait == cold_->places_waits.end()) return;
  PlacesWait w = std::move(wait->second);
  cold_->places_waits.erase(wait);
  Connection* found = find_conn(w.conn);
  if (!found || !found->extra_) return;  // the client went away while we waited
  Connection& c = *found;
  auto& replies = c.extra_->replies;
  auto slot = std::find_if(replies.begin(), replies.end(),
                           [&](const PendingReply& r) { return r.sequence == w.sequence; });
  if (slot == replies.end()) return;
  std::string bytes(*w.at_line);
  bytes.append("\n").append(normalize_places_json(result.json)).append("\n\n");
  slot->bytes = std::move(bytes);
  flush_replies(w.conn, c);
}

void Server::reply_now(ConnId conn, Connection& c, std::string bytes) {
  Connection::Extra& extra = c.extra();
  extra.replies.push_back(PendingReply{extra.next_sequence++, std::move(bytes)});
  flush_replies(conn, c);
}

void Server::flush_replies(ConnId conn, Connection& c) {
  if (c.extra_) {
    auto& replies = c.extra_->replies;
    while (!replies.empty() && replies.front().bytes) {
      std::string bytes = std::move(*replies.front().bytes);
      replies.pop_front();
      if (config_.log_traffic) log_traffic("conn ", std::to_string(conn), "send", bytes);
      queue_output(SendToConn{conn, std::move(bytes)});
    }
    if (!replies.empty()) return;
  }
  if (!c.close_due && c.eof && !c.peer) c.close_due = CloseReason::finished;
  if (c.close_due) {
    c.closing = true;
    queue_output(CloseConn{conn, *c.close_due});
    c.close_due.reset();
  }
}

// --- peers ---------------------------------------------------------------------------------

void Server::handle_peer_up(Instant now, PeerId peer) {
  now_ = now;
  if (!is_friend(peer)) return;
  FriendSlot& slot = friend_slots_[peer];
  slot.framer.reset();  // a new connection: nothing of the old one is buffered
  if (config_.peer_auth) {
    // The link carries nothing but the handshake until the friend has proved itself.
    slot.up = false;
    start_dial_handshake(now, peer);
    return;
  }
  slot.up = true;
  log(LogLevel::info, "link to " + friend_string(peer) + " up");
  std::string greeting = "HERD 1 " + config_.name;
  if (!config_.peer_secret.empty()) greeting += " " + config_.peer_secret;
  queue_output(SendToPeer{peer, SharedText(greeting + "\n")});
  strategy_->on_peer_up(channel_, peer);
  apply_queued_repairs(now);
}

// HERD 2: the friend proved itself; from here on the link is the strategy's.
void Server::link_up(Instant now, PeerId peer) {
  friend_slots_[peer].up = true;
  log(LogLevel::info, "link to " + friend_string(peer) + " up");
  strategy_->on_peer_up(channel_, peer);
  apply_queued_repairs(now);
}

void Server::handle_peer_down(Instant now, PeerId peer) {
  now_ = now;
  if (!is_friend(peer)) return;
  if (cold_ && peer < cold_->dial_handshakes.size() && cold_->dial_handshakes[peer]) {
    cold_->dial_handshakes[peer].reset();
    --cold_->pending_dial_handshakes;
    log(LogLevel::info, "link to " + friend_string(peer) + " dropped during its greeting");
  }
  if (!friend_slots_[peer].up) return;
  friend_slots_[peer].up = false;
  log(LogLevel::warn, "link to " + friend_string(peer) + " down");
  strategy_->on_peer_down(channel_, peer);
  apply_queued_repairs(now);
}

void Server::handle_peer_bytes(Instant now, PeerId peer, std::string_view bytes) {
  now_ = now;
  if (!is_friend(peer)) return;
  auto& slot = friend_slots_[peer].framer;
  if (!slot) slot = std::make_unique<LineFramer>(peer_framer(peer_line_limit_));
  LineFramer& framer = *slot;
  const std::uint64_t skipped = framer.skipped_lines();
  framer.feed(bytes, [&](std::string_view line) {
    if (cold_ && peer < cold_->dial_handshakes.size() && cold_->dial_handshakes[peer]) {
      on_dial_handshake_line(now, peer, line);
    } else if (friend_slots_[peer].up || !config_.peer_auth) {
      on_peer_line(now, peer, line);
    }
    // Otherwise the handshake failed and the link is being dropped: nothing more is read.
    return true;
  });
  if (framer.skipped_lines() != skipped) {
    log_skipped_peer_lines("link to " + friend_string(peer), framer, skipped);
  }
}

void Server::on_peer_line(Instant now, PeerId from, std::string_view line,
                          const PeerLineMemo* memo) {
  ++stats_.peer_lines;
  if (config_.log_traffic) log_traffic("peer ", config_.friends[from], "recv", line);
  if (!line.starts_with("AT ")) {
    const bool claimed = strategy_->on_peer_message(channel_, from, line);
    // Repairs the message carried, now that the strategy is done with it.
    apply_queued_repairs(now);
    if (claimed) return;
    if (drop_foreign_message(from, line)) return;
  }
  // A memo is of a valid update line: split, checked and hashed already.
  auto parsed = memo ? std::optional<PeerUpdate>(memo->update(line)) : split_peer_update(line);
  const auto id = memo ? std::optional<std::uint64_t>(memo->id) : std::nullopt;
  if (!parsed || !take_peer_update(now, from, *parsed, PeerUpdateKind::pushed, id)) {
    ++stats_.bad_peer_lines;
    log(LogLevel::warn, "dropped malformed line from peer " + friend_string(from) + ": " +
                            log_excerpt(line));
  }
  apply_queued_repairs(now);
}

// Stores the repairs the strategy handed over (PeerChannel::apply_repair) during the hook
// that just returned, in the order it handed them over. They were validated then; a repair
// applied here may make the strategy queue more, which this loop applies too.
void Server::apply_queued_repairs(Instant now) {
  while (!queued_repairs_.empty()) {
    std::vector<PendingRepair> batch;
    batch.swap(queued_repairs_);
    for (auto& repair : batch) {
      auto parsed = split_peer_update(repair.line);
      if (parsed) (void)take_peer_update(now, repair.from, *parsed, PeerUpdateKind::repaired);
    }
  }
}

bool Server::store_full() const noexcept {
  return config_.limits.max_records != 0 && store_.size() >= config_.limits.max_records;
}

void Server::refuse_record(std::string_view client) {
  // Logged at the first refusal and then at every 1,000th, so a flood of new names cannot
  // turn into a flood of log lines.
  if (stats_.records_refused++ % 1000 == 0) {
    log(LogLevel::warn, "record store full (max_records " +
                            std::to_string(config_.limits.max_records) + "): refused client '" +
                            printable(client.substr(0, 64)) + "' (" +
                            std::to_string(stats_.records_refused) + " refused so far)");
  }
}

// Stores a friend's update if it is newer, counts and observes it, and tells the strategy:
// a pushed update as new or redundant, a repair (anti-entropy) only when it was new.
// `parsed` comes from split_peer_update; false if its values turn out malformed.
bool Server::take_peer_update(Instant now, PeerId from, PeerUpdate& parsed, PeerUpdateKind kind,
                              std::optional<std::uint64_t> id) {
  // Most flooded messages repeat what the server holds: settle those before copying, and
  // before validating the values. A held line with the same 64-bit id is this very line,
  // and it was valid when it was stored. (Treating an id match as identity is the
  // assumption digests and the recorder already make; a collision would make this server
  // ignore one update, nothing worse.)
  const std::uint64_t line_id = id ? *id : update_id(parsed.at_line);
  const RecordStore::Lookup at = store_.lookup(parsed.client, line_id);
  const bool repeat = at.record && line_id == at.id;
  if (!repeat && !id && !check_peer_update_values(parsed)) return false;
  if (!at.record) {
    if (parsed.client.size() > config_.limits.max_client_bytes) return false;
    if (store_full()) {
      refuse_record(parsed.client);
      return true;  // well-formed, just not storable here: not a bad peer line
    }
  }
  if (const StoredRecord* held = at.record) {
    // The timestamps settle most of the rest; only equal timestamps need the byte
    // comparison of the total order.
    int order = 0;  // a repeat
    if (!repeat) {
      order = parsed.client_time_ns != at.client_time_ns
                  ? (parsed.client_time_ns < at.client_time_ns ? -1 : 1)
                  : compare_updates(parsed, held->update);
    }
    if (order <= 0) {
      ++stats_.updates_ignored;
      if (config_.emit_observations) {
        // An identical repeat is observed by id only; an older update by its own line.
        SharedText line;
        if (order < 0) line = SharedText(parsed.at_line);
        observe(ObservationKind::update_ignored, now, line, line_id, parsed.hops, from);
      }
      if (kind == PeerUpdateKind::pushed) {
        strategy_->on_redundant_update(channel_, *held, order == 0, from);
      }
      return true;
    }
  }
  LocationUpdate update = to_location_update(parsed);
  const StoredRecord* stored = nullptr;
  (void)store_.offer(at, update, now, parsed.hops, &stored, line_id);
  ++stats_.updates_applied;
  if (config_.emit_observations) {
    observe(ObservationKind::update_applied, now, update.at_line, stored->id, parsed.hops, from);
  }
  if (parsed.hops >= kMaxHops) return true;
  if (kind == PeerUpdateKind::pushed) {
    Forwarding forwarding{&update, line_id, parsed.hops + 1, {}, 0};
    if (config_.forward_memos) forwarding_ = &forwarding;
    struct Done {
      Forwarding*& f;
      ~Done() { f = nullptr; }
    } done{forwarding_};
    strategy_->on_new_update(channel_, update, parsed.hops, from);
  } else {
    strategy_->on_repaired_update(channel_, update, parsed.hops, from);
  }
  return true;
}

// A message of one of the project's strategies that this server's strategy did not claim:
// the friend runs another [strategy] (or anti-entropy where this server has it off). That
// is a configuration problem, not line noise, so it is said once per friend and kind, in
// words that point at the cause, rather than once per line as a malformed message.
bool Server::drop_foreign_message(PeerId from, std::string_view line) {
  const auto kind = message_kind(line);
  if (!kind) return false;
  ++stats_.bad_peer_lines;
  ++stats_.foreign_peer_lines;
  if (cold().foreign_kinds_logged.emplace(from, kind->word).second) {
    log(LogLevel::warn, "peer " + friend_string(from) + " sends " + std::string(kind->word) +
                            " messages, which belong to " + std::string(kind->strategy) +
                            "; this server runs " + std::string(strategy_->name()) +
                            ", so they are ignored. The herd's servers disagree on [strategy]." +
                            " (Logged once per friend and kind.)");
  }
  return true;
}

void Server::send_to_peer(PeerId peer, const SharedText& line) {
  if (!is_friend(peer) || !friend_slots_[peer].up) {
    ++stats_.peer_messages_dropped;
    return;
  }
  // A friend with the herd's limits drops a longer line; sending it would only waste the
  // link (and, were it closed for it, make us resend it on every reconnection). Lines made
  // from a client line never get here (peer_line_overhead); a strategy bug could.
  if (std::size_t bytes = line->size() - (line->ends_with('\n') ? 1 : 0);
      bytes > peer_line_limit_) {
    ++stats_.peer_lines_too_long;
    log(LogLevel::warn, "not sent to " + friend_string(peer) + ": a line of " +
                            std::to_string(bytes) + " bytes, over the peer limit of " +
                            std::to_string(peer_line_limit_));
    return;
  }
  ++stats_.peer_messages_sent;
  if (config_.log_traffic) {
    // One line sent to several friends (a flood) is logged once, naming them all.
    if (cold().pending_send_log.line != line) flush_send_log();
    auto& pending = cold_->pending_send_log;
    if (!pending.line) {
      pending.line = line;
      pending.peers = "peer ";
    } else {
      pending.peers += ",";
    }
    pending.peers += config_.friends[peer];
  }
  std::uint32_t memo = 0;
  if (forwarding_) {
    // A strategy builds its line once and sends it to several friends: one memo for all.
    if (!(forwarding_->line == line)) {
      forwarding_->line = line;
      forwarding_->memo = 0;
      if (auto made = PeerLineMemo::of_forward(*line, *forwarding_->update, forwarding_->id,
                                               forwarding_->hops)) {
        if (forward_memos_.capacity() == 0) adopt_spare_memos();
        forward_memos_.push_back(*made);
        forwarding_->memo = static_cast<std::uint32_t>(forward_memos_.size());
      }
    }
    memo = forwarding_->memo;
  }
  queue_output(SendToPeer{peer, line, memo});
}

std::optional<PeerId> Server::friend_id(std::string_view name) const {
  // The first of the friends in name order whose name is not below `name`.
  std::size_t low = 0;
  std::size_t high = config_.friends.size();
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    if (config_.friends[friend_slots_[mid].by_name] < name) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low == config_.friends.size()) return std::nullopt;
  const PeerId peer = friend_slots_[low].by_name;
  if (config_.friends[peer] != name) return std::nullopt;
  return peer;
}

// --- timers --------------------------------------------------------------------------------

void Server::schedule_idle_sweep(Instant now) {
  if (config_.limits.idle_timeout_ns <= 0 || next_idle_sweep_) return;
  next_idle_sweep_ = now + config_.limits.idle_timeout_ns;
}

void Server::handle_timeout(Instant now) {
  now_ = now;
  if (next_idle_sweep_ && now >= *next_idle_sweep_) sweep_idle(now);
  if (cold_ && cold_->pending_dial_handshakes != 0) expire_dial_handshakes(now);
  if (auto due = strategy_->next_timeout(); due && now >= *due) {
    strategy_->on_timeout(channel_);
    apply_queued_repairs(now);
  }
}

// A line's deadline starts with its first byte and only a line end moves it: the bytes in
// between, however many and however slow, do not.
void Server::track_unfinished_line(Instant now, Connection& c, bool line_ended) {
  if (config_.limits.line_timeout_ns <= 0 || c.peer || c.closing ||
      c.framer.buffered_bytes() == 0) {
    c.line_started.reset();
    return;
  }
  if (c.line_started && !line_ended) return;
  c.line_started = now;
  const Instant deadline = now + config_.limits.line_timeout_ns;
  if (!next_idle_sweep_ || deadline < *next_idle_sweep_) next_idle_sweep_ = deadline;
}

// Closes client connections idle for idle_timeout, holding a line unfinished for
// line_timeout or a greeting unfinished for handshake_timeout, then sleeps until the earliest of the others could be. Input only ever moves
// an idle deadline later and a new line's deadline is scheduled when it starts, so the timer
// never fires late; at worst it fires early and finds nothing to do.
void Server::sweep_idle(Instant now) {
  next_idle_sweep_.reset();
  const Nanoseconds timeout = config_.limits.idle_timeout_ns;
  const Nanoseconds line_timeout = config_.limits.line_timeout_ns;
  auto keep_earliest = [this](Instant deadline) {
    if (!next_idle_sweep_ || deadline < *next_idle_sweep_) next_idle_sweep_ = deadline;
  };
  for_each_conn([&](ConnId conn, Connection& c) {
    if (c.peer || c.closing) return;
    if (const auto* greeting_deadline = c.greeting_deadline()) {
      if (**greeting_deadline <= now) {
        ++stats_.handshakes_refused;
        log(LogLevel::warn,
            "conn " + std::to_string(conn) + ": greeting" +
                (c.handshake() ? " as " + friend_string(c.handshake()->peer) : std::string()) +
                " not completed within handshake_timeout (" +
                std::to_string(config_.limits.handshake_timeout_ns / kNanosPerMilli) +
                " ms); closing");
        close(conn, c, CloseReason::bad_peer);
        return;
      }
      keep_earliest(**greeting_deadline);
    }
    if (c.line_started && line_timeout > 0) {
      const Instant line_deadline = *c.line_started + line_timeout;
      if (line_deadline <= now) {
        log(LogLevel::info, "conn " + std::to_string(conn) + ": line unfinished after " +
                                std::to_string(line_timeout / kNanosPerMilli) +
                                " ms (line_timeout); closing");
        close(conn, c, CloseReason::line_timeout);
        return;
      }
      keep_earliest(line_deadline);
    }
    if (timeout <= 0) return;
    Instant deadline = c.last_input + timeout;
    if (deadline <= now) {
      log(LogLevel::info, "conn " + std::to_string(conn) + ": no input for " +
                              std::to_string(timeout / kNanosPerMilli) + " ms; closing");
      close(conn, c, CloseReason::idle);
    } else {
      keep_earliest(deadline);
    }
  });
}

std::optional<Instant> Server::poll_timeout() const {
  std::optional<Instant> due = strategy_->next_timeout();
  const std::optional<Instant> idle_sweep =
      next_idle_sweep_ ? std::optional<Instant>(*next_idle_sweep_) : std::nullopt;
  for (const std::optional<Instant>& other : {idle_sweep, next_dial_handshake_deadline()}) {
    if (other && (!due || *other < *due)) due = other;
  }
  return due;
}

Server::RestoreResult Server::restore_record(Instant now, std::string_view at_line,
                                             std::uint32_t hops) {
  auto update = LocationUpdate::from_at_line(SharedText(at_line));
  if (!update || hops > kMaxHops || update->client.size() > config_.limits.max_client_bytes) {
    return RestoreResult::invalid;
  }
  if (store_full() && store_.find(update->client) == nullptr) return RestoreResult::store_full;
  return store_.offer(*update, now, hops) == OfferResult::applied ? RestoreResult::restored
                                                                   : RestoreResult::not_newer;
}

}  // namespace herd::core
