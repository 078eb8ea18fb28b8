#pragma once
// Message traces, read side (docs/traces.md): the `messages` table a run recorded with
// `herd-sim run --trace` (or `[scenario] trace = true`), one row per peer line and per client
// command or reply, read back in send-time order. Plain structs and standard types only, so
// viewers (the dashboard, the exporters of `herd-sim trace`) depend on nothing else.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herd::sim {

// What a message is. The peer kinds come first, in the order of PeerLineKind (metrics.hpp),
// whose names they share; then the client's commands and the server's replies.
enum class MessageKind : std::uint8_t {
  greeting,     // HERD 1 <sender> ...: the first line of a link
  at,           // AT ... <hops>: an update pushed by the strategy
  ihave,        // Plumtree
  graft,
  prune,
  knew,         // rumor mongering's feedback
  ae_groups,    // anti-entropy
  ae_leaves,
  ae_pull,
  ae_push,      // anti-entropy repair, carries one update
  other,        // a peer line of no known kind
  iamat,        // client command
  whatsat,      // client command
  client_other, // a scripted client line that is neither
  reply_at,     // the server's answer: an AT line (and, for WHATSAT, places JSON)
  reply_error,  // the server's answer "? <line>"
};
inline constexpr std::size_t kMessageKinds = 16;

// What became of a message: what its receiver did with it, or why it never got there.
enum class MessageOutcome : std::uint8_t {
  delivered,   // handed over; carried no update (greeting, digests, ...), or a reply
  applied,     // carried an update that became a new record at the receiver
  ignored,     // carried an update the receiver already held, or an older one (redundant)
  rejected,    // the receiver refused it: a malformed or unexpected peer line, a `?` reply
  answered,    // a client command the server answered (with an AT line)
  unanswered,  // a client command whose connection closed without a reply
  dropped,     // sent while its link was down: never on the wire
  lost,        // in flight when its link went down (crash, partition, cut), or waiting
               // in a paused server that then crashed, or sent to a crashed server
  in_flight,   // still on the wire when the run ended
};
inline constexpr std::size_t kMessageOutcomes = 9;

[[nodiscard]] const char* to_string(MessageKind kind) noexcept;
[[nodiscard]] const char* to_string(MessageOutcome outcome) noexcept;
[[nodiscard]] std::optional<MessageKind> parse_message_kind(std::string_view name) noexcept;
[[nodiscard]] std::optional<MessageOutcome> parse_message_outcome(std::string_view name) noexcept;
// Peer line (greeting ... other) rather than a client command or reply.
[[nodiscard]] constexpr bool is_peer_kind(MessageKind kind) noexcept {
  return kind <= MessageKind::other;
}

// One row of the `messages` table.
struct TraceMessage {
  std::int64_t send_ns = 0;  // virtual time it was sent
  // When the receiver handled it; for `lost` when it reached the receiver's side and was
  // discarded; for `dropped` the send time; for `in_flight` its due arrival (after the end).
  std::int64_t recv_ns = 0;
  // Server ids (`servers` table); empty for a client end.
  std::optional<std::uint32_t> from_server;
  std::optional<std::uint32_t> to_server;
  std::optional<std::uint64_t> conn;  // client messages: the connection at the server
  MessageKind kind = MessageKind::other;
  std::optional<std::int64_t> update_id;  // updates.update_id of the update it carries
  std::uint32_t bytes = 0;                // newline included
  MessageOutcome outcome = MessageOutcome::delivered;
};

// The `message_traces` row of a run: how much was recorded.
struct TraceInfo {
  std::int64_t run_id = 0;
  std::uint64_t messages = 0;    // rows in `messages`
  std::uint64_t limit = 0;       // [scenario] trace_limit
  bool truncated = false;        // more messages than the limit: recording stopped
  std::uint64_t unrecorded = 0;  // messages sent after recording stopped
  std::optional<std::int64_t> truncated_at_ns;  // send time of the first unrecorded one
  std::vector<std::string> server_names;        // by server id
};

// Which messages to read. Times select on send time: [from_ns, to_ns).
struct TraceQuery {
  std::optional<std::int64_t> from_ns;
  std::optional<std::int64_t> to_ns;
  // Keep a message when its sender or its receiver is one of these server ids (a client
  // command by its server). Empty: every server.
  std::vector<std::uint32_t> servers;
};

// Whether a run has a trace (throws ResultsError, results_db.hpp, when the run does not exist,
// names the run and says how to record one when it has none). The database is opened
// read-only; a file of another schema version is refused.
[[nodiscard]] TraceInfo read_trace_info(const std::filesystem::path& db, std::int64_t run_id);

// The runs of a results database that were stored with a trace, oldest first.
[[nodiscard]] std::vector<std::int64_t> traced_runs(const std::filesystem::path& db);

// Calls `visit` for every message of the query in send-time order (ties: the order they
// were sent in), without holding them all: for exports of any size. `visit` returns false to
// stop. Returns how many it visited.
std::uint64_t for_each_trace_message(const std::filesystem::path& db, std::int64_t run_id,
                                     const TraceQuery& query,
                                     const std::function<bool(const TraceMessage&)>& visit);

struct Trace {
  TraceInfo info;
  std::vector<TraceMessage> messages;  // in send-time order
};

// The query's messages in memory. More than `max_messages` throws ResultsError saying how
// many there are and to narrow the window or the server set.
[[nodiscard]] Trace read_trace(const std::filesystem::path& db, std::int64_t run_id,
                               const TraceQuery& query = {},
                               std::uint64_t max_messages = 5'000'000);

}  // namespace herd::sim
