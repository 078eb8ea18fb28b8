#pragma once
// The herd server as a pure state machine (docs/architecture.md#the-core-is-a-state-machine).
// A runtime — live sockets or the simulator — feeds it inputs with the current time and
// drains its outputs; the server itself does no I/O, reads no clock and draws no entropy.
//
// Connections: every accepted TCP connection is a ConnId. A connection whose first line is
// a valid peer greeting becomes an inbound link from that friend; any other connection is
// a client. Each server also dials one outbound link to each friend (PeerId = index into
// ServerConfig::friends) and sends its updates only on those, so a pair of friends is
// joined by two one-way links.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "herd/core/codec.hpp"
#include "herd/core/name_list.hpp"
#include "herd/core/packed_optional.hpp"
#include "herd/core/peer_handshake.hpp"
#include "herd/core/prng.hpp"
#include "herd/core/peer_line_memo.hpp"
#include "herd/core/propagation.hpp"
#include "herd/core/record_store.hpp"
#include "herd/core/time.hpp"
#include "herd/core/vector_fifo.hpp"

namespace herd::core {

using ConnId = std::uint64_t;
using PeerId = std::uint32_t;

struct ServerLimits {
  // A line longer than this closes its connection (after the replies already due).
  std::size_t max_line_bytes = 64 * 1024;
  // Connections on the client port beyond this are closed as soon as they are opened.
  // Connections on the peer port do not count, so clients cannot crowd out friends' links
  // (max_ungreeted_links bounds those).
  std::size_t max_connections = 10'000;
  // A client connection with no input for this long is closed; 0 disables the check.
  Nanoseconds idle_timeout_ns = 300 * kNanosPerSecond;
  // A line must end within this long of its first byte, or its connection is closed: bytes
  // trickling in keep idle_timeout at bay, not this. Friends' links, once greeted, are
  // exempt; a greeting is not. 0 disables the check.
  Nanoseconds line_timeout_ns = 10 * kNanosPerSecond;
  // Connections on the peer port that have not greeted yet. One more closes the oldest of
  // them to make room, so silent connections there can delay a friend's link but not keep
  // it out.
  std::size_t max_ungreeted_links = 64;
  // Commands of one connection waiting for earlier replies (e.g. behind a places look-up);
  // a connection that pipelines more is closed.
  std::size_t max_pending_replies = 1024;
  // Records held (one per client ID). When full, an IAMAT for a new client is answered "? "
  // and a friend's update for a new client is dropped and counted (records_refused); known
  // clients still update. 0: no limit (the simulator, whose workload bounds its clients).
  std::size_t max_records = 1'000'000;
  // Longest client ID: an IAMAT naming a longer one is invalid ("? "), and a friend's update
  // naming one is dropped as malformed. Every stored record costs about this much at most.
  std::size_t max_client_bytes = 1024;
  // With ServerConfig::peer_auth: an outbound link whose friend has not answered the
  // greeting (HELLO) with a CHALLENGE within this long is dropped and dialled again later;
  // a connection on the peer port that has not completed its greeting (HELLO and PROOF)
  // this long after it opened is closed, and so is one on the client port this long after
  // its HELLO.
  Nanoseconds handshake_timeout_ns = 10 * kNanosPerSecond;
};

// The most bytes a line on a friend's link can have beyond the client line it was made from,
// given the longest server name of the herd (an AT line's origin may be any server). From
// the formats (docs/protocol.md#line-length-on-peer-links): an IAMAT of n bytes has at least
// "IAMAT" and three separators around its operands; its AT line drops "IAMAT" and adds "AT",
// five single spaces, the origin and a time difference of at most 21 bytes
// (sign, 10 digits, point, 9 digits), so at most n - 1 + origin + 21 bytes; the longest peer
// form, an anti-entropy repair "AE PUSH <AT line> <hops>", adds 8 + 1 + 7 (hops up to
// kMaxHops) to that.
[[nodiscard]] std::size_t peer_line_overhead(std::size_t longest_server_name) noexcept;

struct ServerConfig {
  std::string name;
  std::vector<std::string> friends;  // PeerId i is friends[i]
  // Without peer_auth (below): friends greet "HERD 1 <name> <peer_secret>", the secret in
  // clear (the simulator's form: it has no wire to protect). Required when non-empty.
  std::string peer_secret;
  ServerLimits limits;
  bool log_traffic = true;           // a LogRecord for every line received and sent
  bool emit_observations = false;    // Observation outputs, for recorders
  PropagationConfig propagation;     // flooding unless configured otherwise
  // Builds the strategy instead of make_propagation(propagation) when set: for strategies
  // under development and for tests that plant a broken one.
  StrategyFactory strategy_factory;
  // The longest name of any server in the herd, for the limit on peer lines
  // (peer_line_overhead); 0 takes the longest of this server's and its friends' names.
  std::size_t longest_server_name = 0;
  // Set: friends greet with the HERD 2 challenge-response (peer_handshake.hpp) instead, and
  // a HERD 1 greeting is refused. The live runtime always sets it.
  std::shared_ptr<PeerAuthenticator> peer_auth;
  // Attach a PeerLineMemo to the lines it forwards (SendToPeer::memo), for a runtime that
  // hands them to the receiver with the bytes (the simulator); off, none is made.
  bool forward_memos = false;
};

// --- outputs -------------------------------------------------------------------------------

struct SendToConn {
  ConnId conn = 0;
  std::string bytes;
};

enum class CloseReason : std::uint8_t { finished, line_too_long, too_many_connections, idle,
                                        too_many_pending, bad_peer, line_timeout };

[[nodiscard]] std::string_view to_string(CloseReason reason) noexcept;

// Close after everything already sent to the connection has been written.
struct CloseConn {
  ConnId conn = 0;
  CloseReason reason = CloseReason::finished;
};

struct SendToPeer {
  PeerId peer = 0;
  SharedText bytes;  // one buffer shared by every friend it goes to
  // The parse of `bytes` (Server::forward_memo), when the server could make it without
  // parsing: a runtime may hand it to the receiver (herd/core/peer_line_memo.hpp). 0: none.
  std::uint32_t memo = 0;
};

struct QueryPlaces {
  std::uint64_t request = 0;
  double lat_deg = 0;
  double lng_deg = 0;
  double radius_m = 0;
  int limit = 0;
};

enum class LogLevel { debug, info, warn, error };

struct LogRecord {
  LogLevel level = LogLevel::info;
  std::string text;
};

enum class ObservationKind {
  update_accepted,  // an IAMAT became a new record at its origin
  update_applied,   // a peer update became a new record here (hops > 0)
  update_ignored,   // a peer update arrived that was not newer (redundant traffic)
  read_answered,    // a WHATSAT reply went out with `update` as its AT line
};

struct Observation {
  ObservationKind kind = ObservationKind::update_accepted;
  Instant at;
  SharedText update;          // the AT line: the update's identity (empty for an
                              // update_ignored that repeats the record held: see update_id)
  std::uint64_t update_id = 0;  // update_id(*update), so recorders need not hash the line
  std::uint32_t hops = 0;
  std::optional<PeerId> from; // the friend it came from, for peer updates
};

// Drop the outbound link to a friend now: its greeting failed (HERD 2 only). The runtime
// handles it as any other drop, redialling after its backoff.
struct ClosePeer {
  PeerId peer = 0;
};

using Output = std::variant<SendToConn, CloseConn, SendToPeer, QueryPlaces, LogRecord,
                            Observation, ClosePeer>;

// What a places provider answered: JSON in the legacy Nearby Search shape.
struct PlacesResult {
  std::string json;
};

// Counters a runtime or benchmark can read at any time.
struct ServerStats {
  std::uint64_t client_lines = 0;
  std::uint64_t invalid_lines = 0;
  std::uint64_t peer_lines = 0;
  std::uint64_t bad_peer_lines = 0;
  // Of those, messages of a strategy this server does not run (a herd whose servers
  // disagree on [strategy]); each kind is logged once per friend.
  std::uint64_t foreign_peer_lines = 0;
  std::uint64_t updates_accepted = 0;
  std::uint64_t updates_applied = 0;
  std::uint64_t updates_ignored = 0;
  std::uint64_t peer_messages_sent = 0;
  std::uint64_t peer_messages_dropped = 0;  // the outbound link was down
  // Lines not sent because a friend would reject them as too long (peer_line_limit), and
  // lines from friends dropped as too long; neither costs the link.
  std::uint64_t peer_lines_too_long = 0;
  std::uint64_t connections_closed_by_limit = 0;
  // New clients refused because the store held max_records (IAMATs and friends' updates).
  std::uint64_t records_refused = 0;
  // HERD 2 greetings that failed, either side (wrong proof, not a friend, a HERD 1 greeting,
  // no answer in time), and ones that succeeded on inbound connections.
  std::uint64_t handshakes_refused = 0;
  std::uint64_t handshakes_accepted = 0;
  // Greeted inbound links closed because the same friend greeted again on a newer one.
  std::uint64_t inbound_links_replaced = 0;
};

class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // --- inputs ------------------------------------------------------------------------------
  // A connection accepted on the peer port is `link`: its first line must be a friend's
  // greeting, or it is closed. One accepted on the client port is `any`: a client, or a
  // friend that greets there (kept for compatibility).
  enum class ConnRole { any, link };
  void handle_conn_open(Instant now, ConnId conn, ConnRole role = ConnRole::any);
  // `memo`, if given, is PeerLineMemo::of_bytes(bytes): used in place of parsing the line
  // when the bytes frame to exactly that one line (herd/core/peer_line_memo.hpp).
  void handle_conn_bytes(Instant now, ConnId conn, std::string_view bytes,
                         const PeerLineMemo* memo = nullptr);
  // The peer half-closed: answer what is buffered (an unterminated last line too), then close.
  void handle_conn_eof(Instant now, ConnId conn);
  // The connection is gone (reset, error, or closed after CloseConn): forget it.
  void handle_conn_closed(Instant now, ConnId conn);
  void handle_peer_up(Instant now, PeerId peer);
  void handle_peer_down(Instant now, PeerId peer);
  // Bytes a friend sent back on our outbound link to it.
  void handle_peer_bytes(Instant now, PeerId peer, std::string_view bytes);
  void handle_places_result(Instant now, std::uint64_t request, PlacesResult result);
  void handle_timeout(Instant now);
  // Puts back a record this server held before it stopped (read from a durable store by
  // the runtime, before any connection): stored as it was, with its hops, but neither
  // observed nor pushed to friends; anti-entropy reconciles it with them as usual.
  enum class RestoreResult { restored, not_newer, invalid, store_full };
  [[nodiscard]] RestoreResult restore_record(Instant now, std::string_view at_line,
                                             std::uint32_t hops);

  // Hints with no effect on behaviour, in three stages: a runtime that knows a connection
  // will deliver bytes soon may call prefetch_object, once that has had time to load
  // prefetch_state, and then prefetch_hint with the bytes; the server starts loading the
  // state they will touch (its own fields, the connection, the record their client maps
  // to). The simulator does this to hide cache misses on big herds; nothing else needs to.
  void prefetch_object() const noexcept;
  void prefetch_state(ConnId conn) const noexcept;
  void prefetch_hint(ConnId conn, std::string_view bytes) const noexcept;

  // --- outputs -----------------------------------------------------------------------------
  [[nodiscard]] std::optional<Output> poll_output();
  [[nodiscard]] std::optional<Instant> poll_timeout() const;
  // Friends whose greeting arrived since the last call, each once, in PeerId order: a friend
  // that greets is running again, so a runtime redials its outbound link to it at once.
  [[nodiscard]] std::vector<PeerId> take_greeted_friends();

  // --- getters -----------------------------------------------------------------------------
  // What the server keeps of its ServerConfig: its name and friends (PeerId i is friends()[i]).
  // The propagation settings and the strategy factory serve construction only.
  [[nodiscard]] const std::string& name() const noexcept { return config_.name; }
  [[nodiscard]] const NameList& friends() const noexcept { return config_.friends; }
  [[nodiscard]] const RecordStore& records() const noexcept { return store_; }
  [[nodiscard]] const ServerStats& stats() const noexcept { return stats_; }
  // The memo a SendToPeer output names (its `memo`), valid until poll_output has returned
  // every output; null for 0.
  [[nodiscard]] const PeerLineMemo* forward_memo(std::uint32_t memo) const noexcept {
    return memo == 0 || memo > forward_memos_.size() ? nullptr : &forward_memos_[memo - 1];
  }
  // Throws std::out_of_range for a PeerId that is not a friend's.
  [[nodiscard]] bool peer_is_up(PeerId peer) const;
  [[nodiscard]] std::size_t open_connections() const noexcept { return live_conns_; }
  [[nodiscard]] std::string_view strategy_name() const { return strategy_->name(); }
  // The longest line a friend's link carries: max_line_bytes + peer_line_overhead.
  [[nodiscard]] std::size_t peer_line_limit() const noexcept { return peer_line_limit_; }

 private:
  struct PendingReply {
    std::uint64_t sequence = 0;
    std::optional<std::string> bytes;  // empty while waiting for places
  };
  // Replies of one connection in command order (most connections carry a single command).
  using ReplyQueue = VectorFifo<PendingReply>;
  // A connection's state. What only client connections (replies) and HERD 2 greetings
  // (the handshake and its deadline) need lives in `Extra`, made on first use: most
  // connections of a big simulated herd are friends' links, four or so per server, and
  // carry neither.
  // An Instant or none, in 8 bytes (std::optional<Instant> takes 16).
  using OptionalInstant = PackedOptional<Instant, Instant{std::numeric_limits<Nanoseconds>::min()}>;
  struct Connection {
    explicit Connection(std::size_t max_line_bytes, Instant now)
        : framer(max_line_bytes), last_input(now) {}
    // Between a friend's HELLO and its PROOF (HERD 2): who it claims to be and the nonces.
    struct Handshake {
      PeerId peer = 0;
      std::string dialer_nonce;
      std::string acceptor_nonce;
    };
    struct Extra {
      ReplyQueue replies;  // in command order
      std::uint64_t next_sequence = 0;
      std::optional<Handshake> handshake;
      // HERD 2: when the greeting must be complete (peer port: from the open; client port:
      // from the HELLO). Greeted, closing or never greeting: unset.
      std::optional<Instant> greeting_deadline;
    };
    Extra& extra() {
      if (!extra_) extra_ = std::make_unique<Extra>();
      return *extra_;
    }
    [[nodiscard]] bool has_replies() const noexcept { return extra_ && !extra_->replies.empty(); }
    [[nodiscard]] Handshake* handshake() const noexcept {
      return extra_ && extra_->handshake ? &*extra_->handshake : nullptr;
    }
    [[nodiscard]] const std::optional<Instant>* greeting_deadline() const noexcept {
      return extra_ && extra_->greeting_deadline ? &extra_->greeting_deadline : nullptr;
    }

    // 80 bytes: a big herd's servers hold four or so each.
    LineFramer framer;
    Instant last_input;
    // The first byte of the unfinished line, if any.
    OptionalInstant line_started;
    std::unique_ptr<Extra> extra_;
    // Set once the connection greeted as a friend.
    PackedOptional<PeerId, std::numeric_limits<PeerId>::max()> peer;
    bool link_only = false;            // accepted on the peer port: greet or be closed
    bool awaiting_greeting = false;    // link_only and in Cold::ungreeted_links
    bool saw_first_line = false;
    bool eof = false;
    bool closing = false;                // no more input is read
    bool erased = false;                 // closed by the runtime: a slot awaiting compaction
    std::optional<CloseReason> close_due;  // CloseConn goes out once the replies drain
  };
  struct PlacesWait {
    ConnId conn = 0;
    std::uint64_t sequence = 0;
    SharedText at_line;
  };

  void on_line(Instant now, ConnId conn, Connection& c, std::string_view line,
               const PeerLineMemo* memo = nullptr);
  void on_client_line(Instant now, ConnId conn, Connection& c, std::string_view line);
  void on_peer_line(Instant now, PeerId from, std::string_view line,
                    const PeerLineMemo* memo = nullptr);
  enum class PeerUpdateKind { pushed, repaired };
  // `id`, when known, is update_id(parsed.at_line) and the values are already checked.
  bool take_peer_update(Instant now, PeerId from, PeerUpdate& parsed, PeerUpdateKind kind,
                        std::optional<std::uint64_t> id = std::nullopt);
  void apply_queued_repairs(Instant now);
  [[nodiscard]] bool store_full() const noexcept;
  void refuse_record(std::string_view client);
  void on_iamat(Instant now, ConnId conn, Connection& c, std::string_view line,
                const IamatCommand& cmd);
  void on_whatsat(Instant now, ConnId conn, Connection& c, std::string_view line,
                  const WhatsatCommand& cmd);
  bool on_greeting(Instant now, ConnId conn, Connection& c, const PeerGreeting& greeting);
  void accept_link(ConnId conn, Connection& c, PeerId peer);
  // HERD 2, acceptor side (peer_handshake.cpp): a HELLO, then the PROOF.
  void on_handshake_line(ConnId conn, Connection& c, std::string_view line);
  void refuse_handshake(ConnId conn, Connection& c, std::string_view reason, std::string why);
  void start_greeting_clock(Connection& c, Instant now);
  void replace_older_links(ConnId newest, PeerId peer);
  // HERD 2, dialler side: the HELLO on a new outbound link, then the friend's answer.
  void start_dial_handshake(Instant now, PeerId peer);
  void on_dial_handshake_line(Instant now, PeerId peer, std::string_view line);
  void fail_dial_handshake(PeerId peer, std::string why);
  void expire_dial_handshakes(Instant now);
  [[nodiscard]] std::optional<Instant> next_dial_handshake_deadline() const;
  void link_up(Instant now, PeerId peer);
  void log_line_too_long(ConnId conn);
  void reply_now(ConnId conn, Connection& c, std::string bytes);
  void flush_replies(ConnId conn, Connection& c);
  void close(ConnId conn, Connection& c, CloseReason reason);
  // What the propagation strategy sees of its server (defined in server.cpp). A member,
  // not a heap object: a herd of a million servers would hold a million 32-byte blocks.
  class Channel final : public PeerChannel {
   public:
    explicit Channel(Server& server) : server_(server) {}
    Instant now() const override;
    std::size_t friend_count() const override;
    bool peer_up(PeerId peer) const override;
    std::string_view friend_name(PeerId peer) const override;
    void send(PeerId peer, const SharedText& line) override;
    const RecordStore& records() const override;
    Prng& rng() override;
    void log_warn(std::string text) override;
    bool apply_repair(PeerId from, std::string_view line) override;

   private:
    Server& server_;
  };
  friend class Channel;
  void send_to_peer(PeerId peer, const SharedText& line);
  // While a strategy forwards an update (take_peer_update): what its lines carry, so that
  // send_to_peer can attach a memo made without parsing. It lives on that call's stack.
  struct Forwarding {
    const LocationUpdate* update = nullptr;
    std::uint64_t id = 0;
    std::uint32_t hops = 0;  // the hop count the forwarded line carries
    SharedText line;         // the last line sent, and its memo (0: none)
    std::uint32_t memo = 0;
  };
  Forwarding* forwarding_ = nullptr;
  std::vector<PeerLineMemo> forward_memos_;  // emptied once the outputs are drained
  // Outputs are queued here. A runtime drains them after every input, so between inputs the
  // queue and the memos are empty; their storage then goes to a spare kept per thread
  // (park_storage) and the next server to queue an output on that thread takes it
  // (adopt_spare_*). A big herd's idle servers so hold no output storage: about 300 bytes
  // each after a flood. Only empty storage moves, so nothing a server does depends on it.
  template <typename... Args>
  void queue_output(Args&&... args) {
    if (outputs_.capacity() == 0) adopt_spare_outputs();
    outputs_.emplace_back(std::forward<Args>(args)...);
  }
  void adopt_spare_outputs() noexcept;
  void adopt_spare_memos() noexcept;
  void park_storage() noexcept;
  void observe(ObservationKind kind, Instant now, const SharedText& update, std::uint64_t id,
               std::uint32_t hops, std::optional<PeerId> from);
  void log(LogLevel level, std::string text);
  [[nodiscard]] std::optional<PeerId> friend_id(std::string_view name) const;
  // Friend `peer`'s name as a std::string, for building log lines.
  [[nodiscard]] std::string friend_string(PeerId peer) const {
    return std::string(config_.friends[peer]);
  }
  void schedule_idle_sweep(Instant now);
  void track_unfinished_line(Instant now, Connection& c, bool line_ended);
  void sweep_idle(Instant now);
  void make_room_for_link(ConnId conn);
  void forget_ungreeted(ConnId conn, Connection& c);
  void log_traffic(std::string_view kind, std::string_view who, std::string_view direction,
                   std::string_view line);
  void flush_send_log();
  bool drop_foreign_message(PeerId from, std::string_view line);

  // ServerLimits in the narrowest types their ranges allow (counts and sizes above 2^32 - 1
  // are clamped to it, which no server reaches): every server of a herd holds a copy.
  struct Limits {
    explicit Limits(const ServerLimits& limits);
    std::uint32_t max_line_bytes;
    std::uint32_t max_connections;
    std::uint32_t max_ungreeted_links;
    std::uint32_t max_pending_replies;
    std::uint32_t max_records;
    std::uint32_t max_client_bytes;
    Nanoseconds idle_timeout_ns;
    Nanoseconds line_timeout_ns;
    Nanoseconds handshake_timeout_ns;
  };
  // What the server keeps of its ServerConfig after construction (160 bytes, not 312).
  struct Settings {
    explicit Settings(ServerConfig& config);  // moves the name out of `config`
    std::string name;
    NameList friends;  // PeerId i is friends[i]
    std::string peer_secret;
    std::shared_ptr<PeerAuthenticator> peer_auth;
    Limits limits;
    bool log_traffic;
    bool emit_observations;
    bool forward_memos;
  };

  // Members a server of the simulator never or rarely touches, made on first use: places
  // look-ups (WHATSAT), connections on the peer port awaiting their greeting (the live
  // runtime's), the HERD 2 dialler's handshakes, foreign messages and the send log.
  struct DialHandshake {
    std::string nonce;
    Instant deadline;
  };
  struct PendingRepair {
    PeerId from = 0;
    std::string line;  // "AT ... <hops>", validated
  };
  struct Cold {
    std::map<std::uint64_t, PlacesWait> places_waits;  // by request id
    std::uint64_t next_places_request = 1;
    std::set<ConnId> ungreeted_links;  // on the peer port, not yet greeted, oldest first
    std::set<std::pair<PeerId, std::string_view>> foreign_kinds_logged;
    // Outbound links that sent their HELLO and await the friend's CHALLENGE (HERD 2).
    std::vector<std::optional<DialHandshake>> dial_handshakes;
    std::size_t pending_dial_handshakes = 0;
    // Replaced inbound links are logged at most once a second (replace_older_links).
    std::optional<Instant> replacement_logged_at;
    std::uint64_t replacements_unlogged = 0;
    struct {
      SharedText line;    // the line being sent to several friends in a row
      std::string peers;  // "peer A,B,C"
    } pending_send_log;
  };
  Cold& cold();

  // Hot members first: what a delivery reads lies in the object's first cache lines.
  Instant now_;  // the time of the input being handled, for the strategy's channel
  RecordStore store_;
  ServerStats stats_;
  VectorFifo<Output> outputs_;
  // Connections in ConnId order (sweeps must visit them in a fixed order), as two flat
  // vectors: the ids, which a look-up scans (a server's four or so links fit in one cache
  // line), and the connections at the same positions. A tree node per connection cost
  // about 300 bytes and a cache miss per level on every delivery. ConnIds grow, so a new
  // connection is appended. A closed one is marked `erased` and the vectors are compacted
  // once erased slots outnumber live ones: a server with thousands of clients does not
  // shift them all on every close. Slots move on insertion and compaction, so nothing
  // keeps a Connection pointer across the runtime's calls.
  std::vector<ConnId> conn_ids_;
  std::vector<Connection> conns_;
  [[nodiscard]] std::size_t conn_slot(ConnId conn) const noexcept;  // conns_.size() if none
  Connection* find_conn(ConnId conn);
  template <typename F>
  void for_each_conn(F&& f) {
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (!conns_[i].erased) f(conn_ids_[i], conns_[i]);
    }
  }
  std::unique_ptr<PropagationStrategy> strategy_;
  Channel channel_{*this};
  Settings config_;
  std::uint32_t peer_line_limit_;  // computed as a size_t, clamped to 2^32 - 1
  std::uint32_t live_conns_ = 0;
  std::uint32_t client_connections_ = 0;  // opened on the client port: max_connections
  std::uint32_t greeted_friends_ = 0;     // FriendSlot::greeted set: see take_greeted_friends
  // Repairs a strategy handed over during its current hook, applied when the hook returns.
  std::vector<PendingRepair> queued_repairs_;
  Prng rng_;
  // What the server keeps per friend, in one block of config_.friends.size() entries (16
  // bytes each) rather than three vectors: a vector costs 24 bytes in the object and a heap
  // block of its own on every server of a big herd.
  struct FriendSlot {
    // Bytes the friend sends back on our outbound link (only anti-entropy and plumtree
    // answer there), framed from the first byte: most links never need a framer.
    std::unique_ptr<LineFramer> framer;
    // Not friend i's: the PeerId of the i-th friend in name order, for look-ups by name (a
    // hash map costs a node per friend and a bucket array on every server).
    PeerId by_name = 0;
    bool up = false;  // our outbound link to friend i is up (and greeted, with HERD 2)
    bool greeted = false;  // greeted us since the runtime last took the list
  };
  std::unique_ptr<FriendSlot[]> friend_slots_;
  [[nodiscard]] bool is_friend(PeerId peer) const noexcept { return peer < config_.friends.size(); }
  OptionalInstant next_idle_sweep_;
  std::unique_ptr<Cold> cold_;
  void log_skipped_peer_lines(const std::string& where, const LineFramer& framer,
                              std::uint64_t skipped_before);
};

}  // namespace herd::core
