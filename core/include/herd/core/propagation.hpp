#pragma once
// How updates spread between servers. The server core decides what is new (the record
// store's total order); a propagation strategy decides who hears about it and when. Each
// strategy is a plug-in behind one interface, so the same choice runs live and in the
// simulator, and strategies compose (a push strategy plus anti-entropy as a safety net).
//
// Strategies see the server only through PeerChannel: they send lines to friends, read the
// record store, draw from the server's seeded PRNG and ask for timers. They never do I/O.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herd/core/prng.hpp"
#include "herd/core/record_store.hpp"
#include "herd/core/time.hpp"

namespace herd::core {

using PeerId = std::uint32_t;

struct PropagationConfig {
  // How a server pushes an update it has just stored.
  enum class Push {
    flood,     // to every friend but the sender (the original herd)
    gossip,    // to `fanout` random friends but the sender, up to `hop_limit` hops
    rumor,     // Demers et al. rumor mongering: periodic pushes until interest is lost
    plumtree,  // Leitão et al. epidemic broadcast tree: eager tree links, lazy IHAVEs
  };
  Push push = Push::flood;

  // gossip
  std::uint32_t fanout = 2;
  std::uint32_t hop_limit = 0;  // 0: unlimited

  // rumor mongering
  bool rumor_feedback = true;   // false: blind
  bool rumor_counter = true;    // false: coin (lose interest with probability 1/k)
  std::uint32_t rumor_k = 2;
  Nanoseconds rumor_period_ns = 100 * kNanosPerMilli;
  // When servers push. async: each on its own grid at a random phase. sync: all at the
  // multiples of the period (clocks agreeing to well within a period, as NTP gives), and a
  // friend answers KNEW only for what it held before the round began: the synchronous
  // cycles of Demers et al.'s simulations.
  enum class Rounds { async, sync };
  Rounds rumor_rounds = Rounds::async;
  // Feedback with counter only: a push that no KNEW answered by the next round taught the
  // friend something and sets the counter back to 0, so k counts unnecessary contacts in a
  // row (how Demers et al.'s Table 1 counts). false: k counts them in all.
  bool rumor_counter_reset = false;

  // plumtree
  Nanoseconds plumtree_ihave_delay_ns = 0;                 // batch lazy announcements
  Nanoseconds plumtree_graft_timeout_ns = 500 * kNanosPerMilli;
  std::uint32_t plumtree_prune_after = 3;  // duplicates in a row that prune a link; >= 1

  // anti-entropy: periodic push-pull with a random friend, and on every new link
  bool anti_entropy = false;
  Nanoseconds anti_entropy_period_ns = kNanosPerSecond;
  bool anti_entropy_on_connect = true;

  // Seeds the server's PRNG (random friends, coins). The runtime derives it.
  std::uint64_t seed = 0;
};

[[nodiscard]] std::string_view to_string(PropagationConfig::Push push) noexcept;
// "flood", "gossip", "rumor", "plumtree"; nothing for anything else.
[[nodiscard]] std::optional<PropagationConfig::Push> parse_push(std::string_view name) noexcept;
[[nodiscard]] std::string_view to_string(PropagationConfig::Rounds rounds) noexcept;
// "async", "sync"; nothing for anything else.
[[nodiscard]] std::optional<PropagationConfig::Rounds> parse_rounds(
    std::string_view name) noexcept;

// What a strategy may do with the server it belongs to.
class PeerChannel {
 public:
  virtual ~PeerChannel() = default;
  [[nodiscard]] virtual Instant now() const = 0;
  [[nodiscard]] virtual std::size_t friend_count() const = 0;
  [[nodiscard]] virtual bool peer_up(PeerId peer) const = 0;
  [[nodiscard]] virtual std::string_view friend_name(PeerId peer) const = 0;
  // Queues one line (ending in '\n') on the link to `peer`; dropped and counted if down.
  virtual void send(PeerId peer, const SharedText& line) = 0;
  [[nodiscard]] virtual const RecordStore& records() const = 0;
  [[nodiscard]] virtual Prng& rng() = 0;
  virtual void log_warn(std::string text) = 0;
  // Hands the server an update that a repair (anti-entropy) brought from `peer`: `line` is
  // a peer update "AT ... <hops>" without its "\n". The line is validated at once: false if
  // it is not a valid peer update (nothing is queued; the caller logs it). A valid one is
  // queued and applied when the hook that called apply_repair has returned — at the same
  // instant, in the order handed over — so the strategy is never re-entered from inside
  // its own hook. The server then stores it if it is newer than what it holds and calls
  // on_repaired_update, never on_new_update; one that is not newer is counted as redundant
  // traffic and reaches no hook, so repairs neither look like pushes nor draw feedback.
  virtual bool apply_repair(PeerId peer, std::string_view line) = 0;
};

class PropagationStrategy {
 public:
  virtual ~PropagationStrategy() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;

  // The server has just stored `update` as new: from a client (from = nullopt, hops = 0)
  // or from a friend (hops as received).
  virtual void on_new_update(PeerChannel& channel, const LocationUpdate& update,
                             std::uint32_t hops, std::optional<PeerId> from) = 0;
  // The server has just stored `update` as new from a repair sent by `from` (through
  // PeerChannel::apply_repair): anti-entropy found it missing here. By default the same as
  // a new update from that friend; a strategy whose state says which links deliver first
  // (plumtree) overrides it so that repairs store and spread without moving that state.
  virtual void on_repaired_update(PeerChannel& channel, const LocationUpdate& update,
                                  std::uint32_t hops, PeerId from) {
    on_new_update(channel, update, hops, from);
  }
  // A friend sent an update the server already holds (`held` is the stored record; it may
  // be newer than what was sent). Redundant traffic: feedback and pruning happen here.
  virtual void on_redundant_update(PeerChannel& /*channel*/, const StoredRecord& /*held*/,
                                   bool /*identical*/, PeerId /*from*/) {}
  // A friend's line that is not an AT update. Returns false if the strategy does not know
  // it (the server then logs it as malformed).
  virtual bool on_peer_message(PeerChannel& /*channel*/, PeerId /*from*/,
                               std::string_view /*line*/) {
    return false;
  }
  virtual void on_peer_up(PeerChannel& /*channel*/, PeerId /*peer*/) {}
  virtual void on_peer_down(PeerChannel& /*channel*/, PeerId /*peer*/) {}
  virtual void on_timeout(PeerChannel& /*channel*/) {}
  [[nodiscard]] virtual std::optional<Instant> next_timeout() const { return std::nullopt; }
};

using StrategyFactory =
    std::function<std::unique_ptr<PropagationStrategy>(const PropagationConfig&)>;

// The push strategy of `config`, then anti-entropy if enabled, as one strategy.
[[nodiscard]] std::unique_ptr<PropagationStrategy> make_propagation(
    const PropagationConfig& config);
// `push` (a strategy of one's own) in place of the configured push strategy, then
// anti-entropy if `config` enables it.
[[nodiscard]] std::unique_ptr<PropagationStrategy> make_propagation(
    const PropagationConfig& config, std::unique_ptr<PropagationStrategy> push);

// Builds the "AT ... <hops>" line a strategy sends for an update.
[[nodiscard]] SharedText peer_update_line(const LocationUpdate& update, std::uint32_t hops);
[[nodiscard]] SharedText peer_update_line(const StoredUpdate& update, std::uint32_t hops);
// The kind of a strategy's peer message, by its first word ("AE", "IHAVE", "GRAFT",
// "PRUNE", "KNEW"), and the strategy that sends it, for logs; nothing for any other line.
// `word` points into a static table.
struct MessageKind {
  std::string_view word;
  std::string_view strategy;
};
[[nodiscard]] std::optional<MessageKind> message_kind(std::string_view line) noexcept;

// The word that starts a repair: "AE PUSH" then " " and a peer update.
inline constexpr std::string_view kRepairPush = "AE PUSH";
// Builds the "AE PUSH AT ... <hops>" line that carries an update as a repair: the receiving
// server's anti-entropy hands it to PeerChannel::apply_repair (docs/strategies/
// anti-entropy.md).
[[nodiscard]] SharedText repair_update_line(const LocationUpdate& update, std::uint32_t hops);
[[nodiscard]] SharedText repair_update_line(const StoredUpdate& update, std::uint32_t hops);

}  // namespace herd::core
