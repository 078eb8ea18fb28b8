// The HERD 2 greeting as the server runs it (docs/protocol.md#authenticated-greeting): the
// acceptor's side on a connection, the dialler's on an outbound link. The messages and the
// transcript are in peer_handshake.cpp; the cryptography is the runtime's PeerAuthenticator.

#include <limits>
#include <utility>

#include "herd/core/server.hpp"

namespace herd::core {

// --- acceptor ------------------------------------------------------------------------------

void Server::on_handshake_line(ConnId conn, Connection& c, std::string_view line) {
  const HandshakeMessage message = parse_handshake_line(line);
  const std::string who = "conn " + std::to_string(conn);
  if (!c.handshake()) {
    const auto* hello = std::get_if<HelloMessage>(&message);
    if (!hello) {
      refuse_handshake(conn, c, kRefusedUnexpected,
                       who + ": a greeting that is not a valid HELLO: " + log_excerpt(line));
      return;
    }
    const auto peer = friend_id(hello->dialer);
    if (!peer) {
      refuse_handshake(conn, c, kRefusedNotAFriend,
                       who + ": greeting from '" + printable(hello->dialer) +
                           "', which is not a friend of " + config_.name);
      return;
    }
    Connection::Handshake handshake{*peer, std::string(hello->nonce),
                                    config_.peer_auth->fresh_nonce()};
    const std::string proof = config_.peer_auth->prove(
        handshake_transcript(HandshakeRole::acceptor, hello->dialer, config_.name,
                             handshake.dialer_nonce, handshake.acceptor_nonce));
    Connection::Extra& extra = c.extra();
    extra.handshake = std::move(handshake);
    if (!extra.greeting_deadline) start_greeting_clock(c, now_);
    reply_now(conn, c, format_challenge(config_.name, extra.handshake->acceptor_nonce, proof));
    return;
  }
  const Connection::Handshake handshake = std::move(*c.handshake());
  c.extra_->handshake.reset();
  const std::string dialer(config_.friends[handshake.peer]);
  const auto* proof = std::get_if<ProofMessage>(&message);
  if (!proof) {
    refuse_handshake(conn, c, kRefusedUnexpected,
                     who + ": greeting as " + dialer + " went on with '" + log_excerpt(line) +
                         "' instead of its PROOF");
    return;
  }
  const std::string transcript =
      handshake_transcript(HandshakeRole::dialer, dialer, config_.name, handshake.dialer_nonce,
                           handshake.acceptor_nonce);
  if (!config_.peer_auth->check(transcript, proof->proof)) {
    refuse_handshake(conn, c, kRefusedBadProof,
                     who + ": greeting as " + dialer + " failed the challenge (its peer_secret " +
                         "differs from ours, or it is not " + dialer + ")");
    return;
  }
  ++stats_.handshakes_accepted;
  accept_link(conn, c, handshake.peer);
}

// A greeting that stalls half-way (a HELLO and no PROOF, or a PROOF trickling in) would
// otherwise hold its connection until idle_timeout, minutes; the dialler's side gives up
// after handshake_timeout, and so does this one. sweep_idle closes it when due.
void Server::start_greeting_clock(Connection& c, Instant now) {
  Nanoseconds deadline_ns = 0;
  if (__builtin_add_overflow(now.ns, config_.limits.handshake_timeout_ns, &deadline_ns)) {
    deadline_ns = std::numeric_limits<Nanoseconds>::max();  // a timeout too long to matter
  }
  c.extra().greeting_deadline = Instant{deadline_ns};
  if (!next_idle_sweep_ || Instant{deadline_ns} < *next_idle_sweep_) {
    next_idle_sweep_ = Instant{deadline_ns};
  }
}

// A friend dials one link to us at a time, so an older inbound link from it is one the
// friend has given up on (it restarted, or the old connection died without a word reaching
// us): the newest greeting wins and the older link is closed. This also bounds what anyone
// greeting with a friend's name can hold open to one link per friend. Replacements are
// logged at most once a second, with how many went unlogged.
void Server::replace_older_links(ConnId newest, PeerId peer) {
  for_each_conn([&](ConnId conn, Connection& c) {
    if (conn == newest || c.closing || c.peer != peer) return;
    ++stats_.inbound_links_replaced;
    ++cold().replacements_unlogged;
    if (!cold().replacement_logged_at || now_ - *cold().replacement_logged_at >= kNanosPerSecond) {
      std::string more;
      if (cold().replacements_unlogged > 1) {
        more = "; " + std::to_string(cold().replacements_unlogged - 1) +
               " more replaced since the last such line";
      }
      log(LogLevel::warn, "inbound link from " + friend_string(peer) + " (conn " +
                              std::to_string(conn) + ") closed: " + friend_string(peer) +
                              " greeted again on conn " + std::to_string(newest) +
                              " (one inbound link per friend, the newest kept)" + more);
      cold().replacement_logged_at = now_;
      cold().replacements_unlogged = 0;
    }
    close(conn, c, CloseReason::too_many_connections);
  });
}

// The dialler learns why (one word) and the connection closes; the log says more.
void Server::refuse_handshake(ConnId conn, Connection& c, std::string_view reason,
                              std::string why) {
  ++stats_.handshakes_refused;
  ++stats_.invalid_lines;
  log(LogLevel::warn, std::move(why) + "; refused (" + std::string(reason) + ")");
  reply_now(conn, c, format_refused(reason));
  close(conn, c, CloseReason::bad_peer);
}

// --- dialler -------------------------------------------------------------------------------

void Server::start_dial_handshake(Instant now, PeerId peer) {
  if (!cold_->dial_handshakes[peer]) ++cold_->pending_dial_handshakes;
  const std::string nonce = config_.peer_auth->fresh_nonce();
  Nanoseconds deadline_ns = 0;
  if (__builtin_add_overflow(now.ns, config_.limits.handshake_timeout_ns, &deadline_ns)) {
    deadline_ns = std::numeric_limits<Nanoseconds>::max();  // a timeout too long to matter
  }
  cold_->dial_handshakes[peer] = DialHandshake{nonce, Instant{deadline_ns}};
  log(LogLevel::debug, "link to " + friend_string(peer) + " connected; greeting");
  queue_output(SendToPeer{peer, SharedText(format_hello(config_.name, nonce))});
}

void Server::on_dial_handshake_line(Instant now, PeerId peer, std::string_view line) {
  const DialHandshake handshake = std::move(*cold_->dial_handshakes[peer]);
  cold_->dial_handshakes[peer].reset();
  --cold_->pending_dial_handshakes;
  const std::string name(config_.friends[peer]);
  const std::string where = "link to " + name + ": ";
  if (config_.log_traffic) log_traffic("peer ", name, "recv", line);
  const HandshakeMessage message = parse_handshake_line(line);
  if (const auto* refused = std::get_if<RefusedMessage>(&message)) {
    std::string hint;
    if (refused->reason == kRefusedBadProof) hint = "; do our peer_secret values differ?";
    if (refused->reason == kRefusedNotAFriend) hint = "; are we in its friend list?";
    fail_dial_handshake(peer, where + name + " refused our greeting (" +
                                  std::string(refused->reason) + ")" + hint);
    return;
  }
  if (line.starts_with("? HERD 2 ")) {
    fail_dial_handshake(peer, where + name + " answered our greeting as a client command: it " +
                                  "runs an older herd that knows only the cleartext greeting " +
                                  "(HERD 1) and must be upgraded");
    return;
  }
  const auto* challenge = std::get_if<ChallengeMessage>(&message);
  if (!challenge) {
    fail_dial_handshake(peer, where + "expected a CHALLENGE, got '" + log_excerpt(line) + "'");
    return;
  }
  if (challenge->acceptor != name) {
    fail_dial_handshake(peer, where + "the server at " + name + "'s address calls itself '" +
                                  printable(challenge->acceptor) + "'");
    return;
  }
  const std::string acceptor_transcript = handshake_transcript(
      HandshakeRole::acceptor, config_.name, name, handshake.nonce, challenge->nonce);
  if (!config_.peer_auth->check(acceptor_transcript, challenge->proof)) {
    // Not a word back: whoever answered has not shown it is a friend.
    fail_dial_handshake(peer, where + name + " failed the challenge (its peer_secret differs " +
                                  "from ours, or it is not " + name + ")");
    return;
  }
  const std::string proof = config_.peer_auth->prove(handshake_transcript(
      HandshakeRole::dialer, config_.name, name, handshake.nonce, challenge->nonce));
  queue_output(SendToPeer{peer, SharedText(format_proof(proof))});
  link_up(now, peer);
}

void Server::fail_dial_handshake(PeerId peer, std::string why) {
  ++stats_.handshakes_refused;
  log(LogLevel::warn, std::move(why) + "; dropping the link");
  queue_output(ClosePeer{peer});
}

void Server::expire_dial_handshakes(Instant now) {
  for (PeerId peer = 0; peer < cold_->dial_handshakes.size(); ++peer) {
    if (!cold_->dial_handshakes[peer] || cold_->dial_handshakes[peer]->deadline > now) continue;
    cold_->dial_handshakes[peer].reset();
    --cold_->pending_dial_handshakes;
    fail_dial_handshake(peer, "link to " + friend_string(peer) + ": no answer to our greeting " +
                                  "within handshake_timeout (" +
                                  std::to_string(config_.limits.handshake_timeout_ns /
                                                 kNanosPerMilli) +
                                  " ms); is an older herd listening there?");
  }
}

std::optional<Instant> Server::next_dial_handshake_deadline() const {
  if (!cold_ || cold_->pending_dial_handshakes == 0) return std::nullopt;
  std::optional<Instant> earliest;
  for (const auto& handshake : cold_->dial_handshakes) {
    if (handshake && (!earliest || handshake->deadline < *earliest)) earliest = handshake->deadline;
  }
  return earliest;
}

}  // namespace herd::core
