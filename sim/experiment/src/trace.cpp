#include "herd/sim/trace.hpp"

#include <sqlite3.h>

#include <array>
#include <limits>
#include <string>

#include "herd/sim/results_db.hpp"

namespace herd::sim {
namespace {

constexpr std::array<const char*, kMessageKinds> kKindNames{
    "greeting", "AT",      "IHAVE",   "GRAFT",        "PRUNE",    "KNEW",
    "AE GROUPS", "AE LEAVES", "AE PULL", "AE PUSH",     "other",    "IAMAT",
    "WHATSAT",  "client other", "reply AT", "reply ?"};
constexpr std::array<const char*, kMessageOutcomes> kOutcomeNames{
    "delivered", "applied",  "ignored", "rejected", "answered",
    "unanswered", "dropped", "lost",    "in_flight"};

// A read-only connection to a results database of this schema version.
class ReadOnlyDb {
 public:
  explicit ReadOnlyDb(const std::filesystem::path& path) : path_(path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
      throw ResultsError(path.string() + ": no such results database");
    }
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw ResultsError(path.string() + ": cannot open results database: " + reason);
    }
    sqlite3_busy_timeout(db_, 5000);
    std::string version;
    {
      Query q(*this, "SELECT value FROM meta WHERE key = 'schema_version'", true);
      if (q.ok() && q.step()) version = q.text(0);
    }
    if (version.empty()) {
      close();
      throw ResultsError(path.string() + ": not a herd results database (no schema_version in meta)");
    }
    if (version != std::to_string(kSchemaVersion)) {
      close();
      throw ResultsError(path.string() + ": results schema version " + version +
                         ", this build reads " + std::to_string(kSchemaVersion) +
                         " (message traces came with version 4); rerun the scenario into a new "
                         "database file");
    }
  }
  ~ReadOnlyDb() { close(); }
  ReadOnlyDb(const ReadOnlyDb&) = delete;
  ReadOnlyDb& operator=(const ReadOnlyDb&) = delete;

  class Query {
   public:
    // `tolerant`: a statement that does not prepare (a table missing) is not an error;
    // ok() says whether it did.
    Query(ReadOnlyDb& db, const char* sql, bool tolerant = false) : db_(db) {
      if (sqlite3_prepare_v2(db.db_, sql, -1, &stmt_, nullptr) != SQLITE_OK && !tolerant) {
        fail("read");
      }
    }
    ~Query() { sqlite3_finalize(stmt_); }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    [[nodiscard]] bool ok() const { return stmt_ != nullptr; }
    void bind(int i, std::int64_t v) {
      if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) fail("bind");
    }
    bool step() {
      const int rc = sqlite3_step(stmt_);
      if (rc == SQLITE_ROW) return true;
      if (rc != SQLITE_DONE) fail("read");
      return false;
    }
    [[nodiscard]] bool null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
    [[nodiscard]] std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
    [[nodiscard]] std::string_view text(int i) const {
      const auto* p = sqlite3_column_text(stmt_, i);
      return p ? std::string_view(reinterpret_cast<const char*>(p),
                                  static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
               : std::string_view();
    }

   private:
    [[noreturn]] void fail(const char* what) {
      throw ResultsError(db_.path_.string() + ": cannot " + what + " the message trace: " +
                         sqlite3_errmsg(db_.db_));
    }
    ReadOnlyDb& db_;
    sqlite3_stmt* stmt_ = nullptr;
  };

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  void close() {
    sqlite3_close(db_);
    db_ = nullptr;
  }
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

TraceInfo read_info(ReadOnlyDb& db, std::int64_t run_id) {
  TraceInfo info;
  info.run_id = run_id;
  {
    ReadOnlyDb::Query run(db, "SELECT COUNT(*), (SELECT MIN(run_id) FROM runs), "
                              "(SELECT MAX(run_id) FROM runs) FROM runs WHERE run_id = ?");
    run.bind(1, run_id);
    run.step();
    if (run.integer(0) == 0) {
      throw ResultsError(db.path().string() + ": no run " + std::to_string(run_id) +
                         (run.null(1) ? std::string(" (the database holds no runs)")
                                      : " (it holds runs " + std::to_string(run.integer(1)) +
                                            " to " + std::to_string(run.integer(2)) + ")"));
    }
  }
  ReadOnlyDb::Query q(db, "SELECT messages, trace_limit, truncated, unrecorded, truncated_at_ns "
                          "FROM message_traces WHERE run_id = ?");
  q.bind(1, run_id);
  if (!q.step()) {
    throw ResultsError(db.path().string() + ": run " + std::to_string(run_id) +
                       " was stored without a message trace; rerun it with `herd-sim run "
                       "--trace` (or [scenario] trace = true)");
  }
  info.messages = static_cast<std::uint64_t>(q.integer(0));
  info.limit = static_cast<std::uint64_t>(q.integer(1));
  info.truncated = q.integer(2) != 0;
  info.unrecorded = static_cast<std::uint64_t>(q.integer(3));
  if (!q.null(4)) info.truncated_at_ns = q.integer(4);
  ReadOnlyDb::Query names(db, "SELECT server_id, name FROM servers WHERE run_id = ? ORDER BY server_id");
  names.bind(1, run_id);
  while (names.step()) info.server_names.emplace_back(names.text(1));
  return info;
}

}  // namespace

const char* to_string(MessageKind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < kKindNames.size() ? kKindNames[i] : "other";
}

const char* to_string(MessageOutcome outcome) noexcept {
  const auto i = static_cast<std::size_t>(outcome);
  return i < kOutcomeNames.size() ? kOutcomeNames[i] : "delivered";
}

std::optional<MessageKind> parse_message_kind(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (name == kKindNames[i]) return static_cast<MessageKind>(i);
  }
  return std::nullopt;
}

std::optional<MessageOutcome> parse_message_outcome(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kOutcomeNames.size(); ++i) {
    if (name == kOutcomeNames[i]) return static_cast<MessageOutcome>(i);
  }
  return std::nullopt;
}

std::vector<std::int64_t> traced_runs(const std::filesystem::path& db_path) {
  ReadOnlyDb db(db_path);
  ReadOnlyDb::Query q(db, "SELECT run_id FROM message_traces ORDER BY run_id");
  std::vector<std::int64_t> runs;
  while (q.step()) runs.push_back(q.integer(0));
  return runs;
}

TraceInfo read_trace_info(const std::filesystem::path& db_path, std::int64_t run_id) {
  ReadOnlyDb db(db_path);
  return read_info(db, run_id);
}

std::uint64_t for_each_trace_message(const std::filesystem::path& db_path, std::int64_t run_id,
                                     const TraceQuery& query,
                                     const std::function<bool(const TraceMessage&)>& visit) {
  ReadOnlyDb db(db_path);
  const TraceInfo info = read_info(db, run_id);
  std::vector<bool> wanted;
  for (std::uint32_t s : query.servers) {
    if (s >= info.server_names.size()) {
      throw ResultsError(db_path.string() + ": run " + std::to_string(run_id) + " has no server " +
                         std::to_string(s) + " (it has " + std::to_string(info.server_names.size()) +
                         ")");
    }
    if (wanted.empty()) wanted.assign(info.server_names.size(), false);
    wanted[s] = true;
  }
  const auto in_set = [&](const std::optional<std::uint32_t>& server) {
    return server && *server < wanted.size() && wanted[*server];
  };
  // Ties in send time keep the order of sending, which is insertion (rowid) order; the
  // index on (run_id, send_ns) delivers exactly that order.
  ReadOnlyDb::Query q(db, "SELECT send_ns, recv_ns, from_id, to_id, conn, kind, update_id, bytes, "
                          "outcome FROM messages WHERE run_id = ? AND send_ns >= ? AND send_ns < ? "
                          "ORDER BY send_ns, rowid");
  q.bind(1, run_id);
  q.bind(2, query.from_ns.value_or(std::numeric_limits<std::int64_t>::min()));
  q.bind(3, query.to_ns.value_or(std::numeric_limits<std::int64_t>::max()));
  std::uint64_t visited = 0;
  TraceMessage m;
  while (q.step()) {
    m.send_ns = q.integer(0);
    m.recv_ns = q.integer(1);
    m.from_server = q.null(2) ? std::nullopt : std::optional<std::uint32_t>(static_cast<std::uint32_t>(q.integer(2)));
    m.to_server = q.null(3) ? std::nullopt : std::optional<std::uint32_t>(static_cast<std::uint32_t>(q.integer(3)));
    if (!wanted.empty() && !in_set(m.from_server) && !in_set(m.to_server)) continue;
    m.conn = q.null(4) ? std::nullopt : std::optional<std::uint64_t>(static_cast<std::uint64_t>(q.integer(4)));
    auto kind = parse_message_kind(q.text(5));
    auto outcome = parse_message_outcome(q.text(8));
    if (!kind || !outcome) {
      throw ResultsError(db_path.string() + ": run " + std::to_string(run_id) +
                         ": a message of unknown kind '" + std::string(q.text(5)) +
                         "' or outcome '" + std::string(q.text(8)) + "'");
    }
    m.kind = *kind;
    m.outcome = *outcome;
    m.update_id = q.null(6) ? std::nullopt : std::optional<std::int64_t>(q.integer(6));
    m.bytes = static_cast<std::uint32_t>(q.integer(7));
    ++visited;
    if (!visit(m)) break;
  }
  return visited;
}

Trace read_trace(const std::filesystem::path& db, std::int64_t run_id, const TraceQuery& query,
                 std::uint64_t max_messages) {
  Trace trace;
  trace.info = read_trace_info(db, run_id);
  for_each_trace_message(db, run_id, query, [&](const TraceMessage& m) {
    if (trace.messages.size() >= max_messages) {
      throw ResultsError(db.string() + ": run " + std::to_string(run_id) + ": more than " +
                         std::to_string(max_messages) +
                         " messages match; narrow the time window or the server set");
    }
    trace.messages.push_back(m);
    return true;
  });
  return trace;
}

}  // namespace herd::sim
