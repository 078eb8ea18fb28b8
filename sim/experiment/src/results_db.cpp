#include "herd/sim/results_db.hpp"

#include "run_profile_read.hpp"

#include <sqlite3.h>

#include "herd/sim/message_trace.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace herd::sim {
namespace {

constexpr const char* kMeta =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL,
  scenario_path TEXT,
  scenario_text TEXT NOT NULL,
  overrides TEXT NOT NULL,
  seed INTEGER NOT NULL,
  backend TEXT NOT NULL CHECK (backend IN ('sim', 'live')),
  strategy TEXT NOT NULL,
  fingerprint TEXT,
  herd_version TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  duration_ns INTEGER NOT NULL,
  drained_ns INTEGER NOT NULL,
  wall_seconds REAL NOT NULL,
  events INTEGER NOT NULL,
  servers INTEGER NOT NULL,
  friend_edges INTEGER NOT NULL,
  sweep_id TEXT,
  variant TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_sweep_cell ON runs (sweep_id, variant, scenario, seed);
CREATE TABLE IF NOT EXISTS servers (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  server_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  degree INTEGER NOT NULL,
  PRIMARY KEY (run_id, server_id)
);
CREATE TABLE IF NOT EXISTS friends (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  a INTEGER NOT NULL,
  b INTEGER NOT NULL,
  PRIMARY KEY (run_id, a, b)
);
CREATE TABLE IF NOT EXISTS faults (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  fault_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at_ns INTEGER NOT NULL,
  duration_ns INTEGER NOT NULL,
  servers TEXT NOT NULL,
  origin TEXT NOT NULL,
  PRIMARY KEY (run_id, fault_id)
);
CREATE TABLE IF NOT EXISTS updates (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  update_id INTEGER NOT NULL,
  client TEXT NOT NULL,
  origin INTEGER NOT NULL,
  accepted_ns INTEGER NOT NULL,
  at_line TEXT NOT NULL,
  holders INTEGER NOT NULL,
  ldh INTEGER NOT NULL,
  messages INTEGER NOT NULL,
  PRIMARY KEY (run_id, update_id)
);
CREATE TABLE IF NOT EXISTS applies (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  update_id INTEGER NOT NULL,
  server_id INTEGER NOT NULL,
  at_ns INTEGER NOT NULL,
  delay_ns INTEGER NOT NULL,
  hops INTEGER NOT NULL,
  direct INTEGER NOT NULL,
  from_id INTEGER
);
CREATE INDEX IF NOT EXISTS applies_by_update ON applies (run_id, update_id);
CREATE TABLE IF NOT EXISTS reads (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  at_ns INTEGER NOT NULL,
  server_id INTEGER NOT NULL,
  client TEXT NOT NULL,
  update_id INTEGER,
  stale INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS staleness (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  at_ns INTEGER NOT NULL,
  server_id INTEGER NOT NULL,
  stale_clients INTEGER NOT NULL,
  max_ns INTEGER NOT NULL,
  mean_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS staleness_by_server ON staleness (run_id, server_id, at_ns);
CREATE TABLE IF NOT EXISTS traffic (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  counter TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (run_id, counter)
);
CREATE TABLE IF NOT EXISTS traffic_kinds (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  lines INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (run_id, kind)
);
CREATE TABLE IF NOT EXISTS traffic_links (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  from_id INTEGER NOT NULL,
  to_id INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (run_id, from_id, to_id)
);
CREATE TABLE IF NOT EXISTS message_traces (
  run_id INTEGER PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
  messages INTEGER NOT NULL,
  trace_limit INTEGER NOT NULL,
  truncated INTEGER NOT NULL,
  unrecorded INTEGER NOT NULL,
  truncated_at_ns INTEGER
);
CREATE TABLE IF NOT EXISTS messages (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  send_ns INTEGER NOT NULL,
  recv_ns INTEGER NOT NULL,
  from_id INTEGER,
  to_id INTEGER,
  conn INTEGER,
  kind TEXT NOT NULL,
  update_id INTEGER,
  bytes INTEGER NOT NULL,
  outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (run_id, send_ns);
CREATE TABLE IF NOT EXISTS summary (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, metric)
);
)sql";

std::string hex64(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "%016" PRIx64, v);
  return text;
}

std::string join(const std::vector<std::string>& names, const char* sep = ",") {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

// Who a fault touches, readably: "a,b" or "a,b|c,d" for groups or from|to.
std::string fault_servers(const FaultSpec& f) {
  if (!f.groups.empty()) {
    std::vector<std::string> groups;
    for (const auto& g : f.groups) groups.push_back(join(g));
    return join(groups, "|");
  }
  if (!f.from.empty() || !f.to.empty()) return join(f.from) + "|" + join(f.to);
  return join(f.servers);
}

// One prepared statement, reset after every step; errors name the database.
class Statement {
 public:
  Statement(sqlite3* db, const std::filesystem::path& path, const char* sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  Statement& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, std::uint32_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
  Statement& bind(int i, std::string_view v) {
    return check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Statement& bind_null(int i) { return check(sqlite3_bind_null(stmt_, i)); }
  void run() {
    if (sqlite3_step(stmt_) != SQLITE_DONE) fail("write");
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  bool next_row() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("read");
    return false;
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  Statement& check(int rc) {
    if (rc != SQLITE_OK) fail("bind");
    return *this;
  }
  [[noreturn]] void fail(const char* what) {
    throw ResultsError(path_.string() + ": cannot " + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  const std::filesystem::path& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

std::string column_text(sqlite3_stmt* stmt, int i) {
  auto* text = sqlite3_column_text(stmt, i);
  return text ? reinterpret_cast<const char*>(text) : "";
}

// A run's summary metrics by name; one statement serves many runs.
constexpr const char* kSummaryQuery =
    "SELECT metric, value FROM summary WHERE run_id = ? ORDER BY metric";

std::vector<std::pair<std::string, double>> read_summary(Statement& s, std::int64_t run_id) {
  std::vector<std::pair<std::string, double>> metrics;
  s.bind(1, run_id);
  while (s.next_row()) {
    metrics.emplace_back(column_text(s.get(), 0), sqlite3_column_double(s.get(), 1));
  }
  sqlite3_reset(s.get());
  return metrics;
}

}  // namespace

std::vector<std::pair<std::string, double>> summary_metrics(const Summary& s) {
  auto ms = [](double ns) { return ns / 1e6; };
  std::vector<std::pair<std::string, double>> m{
      {"updates", static_cast<double>(s.updates)},
      {"propagation_p50_ms", ms(static_cast<double>(s.propagation.p50_ns))},
      {"propagation_p95_ms", ms(static_cast<double>(s.propagation.p95_ns))},
      {"propagation_p99_ms", ms(static_cast<double>(s.propagation.p99_ns))},
      {"propagation_max_ms", ms(static_cast<double>(s.propagation.max_ns))},
      {"propagation_mean_ms", ms(s.propagation.mean_ns)},
      {"reach_mean", s.reach_mean},
      {"reach_min", s.reach_min},
      {"residue_mean", 1.0 - s.reach_mean},
      {"lost_updates", static_cast<double>(s.lost_updates)},
      {"in_flight_updates", static_cast<double>(s.in_flight_updates)},
      {"ldh_max", static_cast<double>(s.ldh_max)},
      {"ldh_mean", s.ldh_mean},
      {"peer_messages", static_cast<double>(s.peer_messages)},
      {"peer_lines", static_cast<double>(s.peer_lines)},
      {"peer_bytes", static_cast<double>(s.peer_bytes)},
      {"messages_per_update", s.messages_per_update},
      {"rmr", s.rmr},
      {"rmr_mean", s.rmr_mean},
      {"reads", static_cast<double>(s.reads)},
      {"stale_reads", static_cast<double>(s.stale_reads)},
      {"unknown_reads", static_cast<double>(s.unknown_reads)},
      {"requests", static_cast<double>(s.requests)},
      {"availability", s.availability},
      {"max_staleness_ms", ms(static_cast<double>(s.max_staleness_ns))},
  };
  if (s.convergence_ns) m.emplace_back("convergence_ms", ms(static_cast<double>(*s.convergence_ns)));
  return m;
}

Summary summary_from_metrics(const std::vector<std::pair<std::string, double>>& m) {
  Summary s;
  auto ns = [](double ms) { return static_cast<Nanoseconds>(std::llround(ms * 1e6)); };
  auto count = [](double v) { return static_cast<std::uint64_t>(std::llround(v)); };
  for (const auto& [name, v] : m) {
    if (name == "updates") s.updates = count(v);
    else if (name == "propagation_p50_ms") s.propagation.p50_ns = ns(v);
    else if (name == "propagation_p95_ms") s.propagation.p95_ns = ns(v);
    else if (name == "propagation_p99_ms") s.propagation.p99_ns = ns(v);
    else if (name == "propagation_max_ms") s.propagation.max_ns = ns(v);
    else if (name == "propagation_mean_ms") s.propagation.mean_ns = v * 1e6;
    else if (name == "reach_mean") s.reach_mean = v;
    else if (name == "reach_min") s.reach_min = v;
    else if (name == "lost_updates") s.lost_updates = count(v);
    else if (name == "in_flight_updates") s.in_flight_updates = count(v);
    else if (name == "ldh_max") s.ldh_max = static_cast<std::uint32_t>(count(v));
    else if (name == "ldh_mean") s.ldh_mean = v;
    else if (name == "peer_messages") s.peer_messages = count(v);
    else if (name == "peer_lines") s.peer_lines = count(v);
    else if (name == "peer_bytes") s.peer_bytes = count(v);
    else if (name == "messages_per_update") s.messages_per_update = v;
    else if (name == "rmr") s.rmr = v;
    else if (name == "rmr_mean") s.rmr_mean = v;
    else if (name == "reads") s.reads = count(v);
    else if (name == "stale_reads") s.stale_reads = count(v);
    else if (name == "unknown_reads") s.unknown_reads = count(v);
    else if (name == "requests") s.requests = count(v);
    else if (name == "availability") s.availability = v;
    else if (name == "max_staleness_ms") s.max_staleness_ns = ns(v);
    else if (name == "convergence_ms") s.convergence_ns = ns(v);
  }
  return s;
}

ResultsDb::ResultsDb(const std::filesystem::path& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw ResultsError(path.string() + ": cannot open results database: " + reason);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec("PRAGMA foreign_keys = ON");
    exec(kMeta);
    // Check the version before creating anything else: an older database's tables lack
    // columns this build's indexes name.
    {
      Statement version(db_, path_, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (version.next_row() && column_text(version.get(), 0) != std::to_string(kSchemaVersion)) {
        throw ResultsError(path.string() + ": results schema version " +
                           column_text(version.get(), 0) + ", this build writes " +
                           std::to_string(kSchemaVersion) + "; use a new database file");
      }
    }
    exec(kSchema);
    exec(("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '" +
          std::to_string(kSchemaVersion) + "')").c_str());
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

ResultsDb::~ResultsDb() { sqlite3_close(db_); }

void ResultsDb::exec(const char* sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string reason = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw ResultsError(path_.string() + ": " + reason);
  }
}

std::int64_t ResultsDb::store_run(const Scenario& scenario, const HerdLayout& layout,
                                  const std::vector<FaultSpec>& faults,
                                  const MetricsRecorder& metrics, const RunRecord& record) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement run(db_, path_,
                  "INSERT INTO runs(scenario, scenario_path, scenario_text, overrides, seed, backend, "
                  "strategy, fingerprint, herd_version, recorded_at, duration_ns, drained_ns, "
                  "wall_seconds, events, servers, friend_edges, sweep_id, variant) "
                  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    run.bind(1, scenario.name).bind(2, scenario.source_path).bind(3, scenario.source_text);
    run.bind(4, join(record.overrides, "\n")).bind(5, scenario.seed).bind(6, record.backend);
    run.bind(7, scenario.strategy);
    if (record.fingerprint) {
      run.bind(8, hex64(*record.fingerprint));
    } else {
      run.bind_null(8);
    }
    run.bind(9, record.herd_version).bind(10, record.recorded_at).bind(11, scenario.duration_ns);
    run.bind(12, record.drained_ns);
    run.bind(13, record.wall_seconds).bind(14, record.events).bind(15, layout.size());
    run.bind(16, layout.edge_count());
    if (record.sweep_id.empty()) {
      run.bind_null(17).bind_null(18);
    } else {
      run.bind(17, record.sweep_id).bind(18, record.variant);
    }
    run.run();
    const std::int64_t run_id = sqlite3_last_insert_rowid(db_);

    Statement server(db_, path_, "INSERT INTO servers VALUES (?,?,?,?)");
    Statement edge(db_, path_, "INSERT INTO friends VALUES (?,?,?)");
    for (std::uint32_t i = 0; i < layout.size(); ++i) {
      server.bind(1, run_id).bind(2, i).bind(3, layout.names[i]);
      server.bind(4, static_cast<std::int64_t>(layout.neighbours[i].size())).run();
      for (auto j : layout.neighbours[i]) {
        if (i < j) edge.bind(1, run_id).bind(2, i).bind(3, j).run();
      }
    }
    Statement fault(db_, path_, "INSERT INTO faults VALUES (?,?,?,?,?,?,?)");
    for (std::size_t i = 0; i < faults.size(); ++i) {
      const FaultSpec& f = faults[i];
      fault.bind(1, run_id).bind(2, static_cast<std::int64_t>(i)).bind(3, std::string(to_string(f.kind)));
      fault.bind(4, f.at_ns).bind(5, f.duration_ns).bind(6, fault_servers(f));
      fault.bind(7, f.origin.empty() ? std::string("scenario") : f.origin).run();
    }
    const auto& names = metrics.client_names();
    Statement update(db_, path_, "INSERT INTO updates VALUES (?,?,?,?,?,?,?,?,?)");
    const auto& updates = metrics.updates();
    for (std::uint32_t i = 0; i < updates.size(); ++i) {
      const UpdateStats& u = updates[i];
      update.bind(1, run_id).bind(2, i).bind(3, names[u.client]).bind(4, u.origin);
      update.bind(5, u.accepted_ns).bind(6, *u.update.at_line).bind(7, u.holders);
      update.bind(8, u.ldh).bind(9, u.deliveries).run();
    }
    Statement apply(db_, path_, "INSERT INTO applies VALUES (?,?,?,?,?,?,?,?)");
    for (const Delivery& d : metrics.deliveries()) {
      apply.bind(1, run_id).bind(2, d.update).bind(3, d.server).bind(4, d.at_ns);
      apply.bind(5, d.at_ns - updates[d.update].accepted_ns).bind(6, d.hops);
      apply.bind(7, d.direct ? 1 : 0);
      if (d.from == kNoServer) {
        apply.bind_null(8);
      } else {
        apply.bind(8, d.from);
      }
      apply.run();
    }
    Statement read(db_, path_, "INSERT INTO reads VALUES (?,?,?,?,?,?)");
    for (const ReadStats& r : metrics.reads()) {
      read.bind(1, run_id).bind(2, r.at_ns).bind(3, r.server).bind(4, names[r.client]);
      if (r.update) {
        read.bind(5, *r.update);
      } else {
        read.bind_null(5);
      }
      read.bind(6, r.stale ? 1 : 0).run();
    }
    Statement sample(db_, path_, "INSERT INTO staleness VALUES (?,?,?,?,?,?)");
    for (const StalenessSample& s : metrics.staleness()) {
      sample.bind(1, run_id).bind(2, s.at_ns).bind(3, s.server).bind(4, s.stale_clients);
      sample.bind(5, s.max_staleness_ns).bind(6, s.mean_staleness_ns).run();
    }
    Statement traffic(db_, path_, "INSERT INTO traffic VALUES (?,?,?)");
    for (const auto& [counter, value] :
         std::vector<std::pair<std::string, std::uint64_t>>{
             {"client_commands", record.client_commands},
             {"peer_deliveries", record.peer_deliveries},
             {"peer_dropped", record.peer_dropped}}) {
      traffic.bind(1, run_id).bind(2, counter).bind(3, value).run();
    }
    Statement kind(db_, path_, "INSERT INTO traffic_kinds VALUES (?,?,?,?)");
    const auto& kinds = metrics.traffic_by_kind();
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      if (kinds[k].lines == 0) continue;
      kind.bind(1, run_id).bind(2, std::string_view(to_string(static_cast<PeerLineKind>(k))));
      kind.bind(3, kinds[k].lines).bind(4, kinds[k].bytes).run();
    }
    // Links in the runtime's order: server by server, each one's friends in order, which is
    // the order of layout.neighbours.
    Statement link(db_, path_, "INSERT INTO traffic_links VALUES (?,?,?,?,?)");
    const auto& links = metrics.traffic_by_link();
    std::size_t index = 0;
    for (std::uint32_t from = 0; from < layout.size(); ++from) {
      for (auto to : layout.neighbours[from]) {
        if (index >= links.size()) break;
        const LineCount& c = links[index++];
        link.bind(1, run_id).bind(2, from).bind(3, to).bind(4, c.lines).bind(5, c.bytes).run();
      }
    }
    if (record.trace) store_trace(run_id, *record.trace, metrics);
    Statement metric(db_, path_, "INSERT INTO summary VALUES (?,?,?)");
    for (const auto& [name, value] : summary_metrics(metrics.summarize())) {
      metric.bind(1, run_id).bind(2, name).bind(3, value).run();
    }
    exec("COMMIT");
    return run_id;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// One row per message; client ends are NULL server ids and the connection in `conn`. Kinds
// and outcomes are bound as static text: the loop allocates nothing per row.
void ResultsDb::store_trace(std::int64_t run_id, const MessageTrace& trace,
                            const MetricsRecorder& metrics) {
  Statement info(db_, path_, "INSERT INTO message_traces VALUES (?,?,?,?,?,?)");
  info.bind(1, run_id).bind(2, static_cast<std::uint64_t>(trace.size()));
  info.bind(3, trace.limit()).bind(4, trace.truncated() ? 1 : 0).bind(5, trace.unrecorded());
  if (trace.truncated()) {
    info.bind(6, trace.truncated_at_ns());
  } else {
    info.bind_null(6);
  }
  info.run();
  // Millions of rows: a page cache that holds the table's and the index's growing ends.
  exec("PRAGMA cache_size = -65536");
  Statement insert(db_, path_, "INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?,?)");
  sqlite3_stmt* q = insert.get();
  auto check = [&](int rc) {
    if (rc != SQLITE_OK) throw ResultsError(path_.string() + ": cannot bind: " + sqlite3_errmsg(db_));
  };
  // The last update looked up: a flood carries one update in many rows close together.
  std::uint64_t last_hash = 0;
  std::optional<UpdateIndex> last_index;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const MessageRecord& m = trace[i];
    const bool client_request = m.kind == MessageKind::iamat || m.kind == MessageKind::whatsat ||
                                m.kind == MessageKind::client_other;
    const bool reply = m.kind == MessageKind::reply_at || m.kind == MessageKind::reply_error;
    check(sqlite3_bind_int64(q, 1, run_id));
    check(sqlite3_bind_int64(q, 2, m.send_ns));
    check(sqlite3_bind_int64(q, 3, m.recv_ns));
    check(client_request ? sqlite3_bind_null(q, 4) : sqlite3_bind_int64(q, 4, m.from));
    check(reply ? sqlite3_bind_null(q, 5) : sqlite3_bind_int64(q, 5, m.to));
    if (client_request && m.outcome != MessageOutcome::lost &&
        m.outcome != MessageOutcome::in_flight) {
      check(sqlite3_bind_int64(q, 6, m.from));
    } else if (reply) {
      check(sqlite3_bind_int64(q, 6, m.to));
    } else {
      check(sqlite3_bind_null(q, 6));
    }
    check(sqlite3_bind_text(q, 7, to_string(m.kind), -1, SQLITE_STATIC));
    if (m.update != 0 && m.update != last_hash) {
      last_hash = m.update;
      last_index = metrics.update_index(m.update);
    }
    if (m.update != 0 && last_index) {
      check(sqlite3_bind_int64(q, 8, *last_index));
    } else {
      check(sqlite3_bind_null(q, 8));
    }
    check(sqlite3_bind_int64(q, 9, m.bytes));
    check(sqlite3_bind_text(q, 10, to_string(m.outcome), -1, SQLITE_STATIC));
    if (sqlite3_step(q) != SQLITE_DONE) {
      throw ResultsError(path_.string() + ": cannot write: " + sqlite3_errmsg(db_));
    }
    sqlite3_reset(q);
  }
}

std::vector<RunRow> ResultsDb::runs() const {
  std::vector<RunRow> rows;
  Statement q(db_, path_,
              "SELECT run_id, scenario, seed, backend, COALESCE(fingerprint, ''), recorded_at "
              "FROM runs ORDER BY run_id");
  while (q.next_row()) {
    RunRow row;
    row.run_id = sqlite3_column_int64(q.get(), 0);
    row.scenario = column_text(q.get(), 1);
    row.seed = static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 2));
    row.backend = column_text(q.get(), 3);
    row.fingerprint = column_text(q.get(), 4);
    row.recorded_at = column_text(q.get(), 5);
    rows.push_back(std::move(row));
  }
  Statement s(db_, path_, kSummaryQuery);
  for (auto& row : rows) row.summary = read_summary(s, row.run_id);
  return rows;
}

std::vector<StoredSweepCell> ResultsDb::sweep_cells(const std::string& sweep_id,
                                                    const std::string& backend) const {
  std::vector<StoredSweepCell> cells;
  Statement q(db_, path_,
              "SELECT run_id, variant, scenario, seed, COALESCE(fingerprint, '') FROM runs "
              "WHERE sweep_id = ? AND backend = ? ORDER BY run_id");
  q.bind(1, sweep_id).bind(2, backend);
  while (q.next_row()) {
    StoredSweepCell c;
    c.run_id = sqlite3_column_int64(q.get(), 0);
    c.variant = column_text(q.get(), 1);
    c.scenario = column_text(q.get(), 2);
    c.seed = static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 3));
    c.fingerprint = column_text(q.get(), 4);
    cells.push_back(std::move(c));
  }
  Statement s(db_, path_, kSummaryQuery);
  for (auto& c : cells) c.summary = summary_from_metrics(read_summary(s, c.run_id));
  return cells;
}

namespace detail {

std::optional<RunProfile> read_run_profile(sqlite3* db, const std::filesystem::path& path,
                                           std::int64_t run_id,
                                           const std::vector<double>& quantiles) {
  RunProfile p;
  p.run_id = run_id;
  {
    Statement q(db, path,
                "SELECT scenario, seed, backend, strategy, servers FROM runs WHERE run_id = ?");
    q.bind(1, run_id);
    if (!q.next_row()) return std::nullopt;
    p.scenario = column_text(q.get(), 0);
    p.seed = static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 1));
    p.backend = column_text(q.get(), 2);
    p.strategy = column_text(q.get(), 3);
    p.servers = static_cast<std::uint32_t>(sqlite3_column_int64(q.get(), 4));
  }
  {
    Statement s(db, path, kSummaryQuery);
    p.summary = read_summary(s, run_id);
  }
  // Delays of (update, server ≠ origin), the population of the propagation_* metrics
  // (docs/metrics.md): counted first, then streamed in order to pick the nearest ranks.
  constexpr const char* kDelays =
      " FROM applies a JOIN updates u ON u.run_id = a.run_id AND u.update_id = a.update_id "
      "WHERE a.run_id = ? AND a.server_id <> u.origin";
  {
    Statement n(db, path, (std::string("SELECT COUNT(*)") + kDelays).c_str());
    n.bind(1, run_id);
    if (n.next_row()) p.delay_count = static_cast<std::uint64_t>(sqlite3_column_int64(n.get(), 0));
  }
  if (p.delay_count > 0 && !quantiles.empty()) {
    std::vector<std::pair<std::uint64_t, std::size_t>> ranks;  // (rank, index in quantiles)
    for (std::size_t i = 0; i < quantiles.size(); ++i) {
      auto rank = static_cast<std::uint64_t>(
          std::ceil(std::clamp(quantiles[i], 0.0, 1.0) * static_cast<double>(p.delay_count)));
      ranks.emplace_back(std::clamp<std::uint64_t>(rank, 1, p.delay_count), i);
    }
    std::sort(ranks.begin(), ranks.end());
    p.delay_quantiles_ns.assign(quantiles.size(), 0);
    Statement d(db, path, (std::string("SELECT a.delay_ns") + kDelays + " ORDER BY a.delay_ns").c_str());
    d.bind(1, run_id);
    std::uint64_t row = 0;
    std::size_t next = 0;
    while (next < ranks.size() && d.next_row()) {
      ++row;
      const std::int64_t delay = sqlite3_column_int64(d.get(), 0);
      while (next < ranks.size() && ranks[next].first == row) {
        p.delay_quantiles_ns[ranks[next++].second] = delay;
      }
    }
  }
  {
    Statement st(db, path,
                 "SELECT COUNT(*), COALESCE(AVG(mean_ns), 0), COALESCE(MAX(max_ns), 0) "
                 "FROM staleness WHERE run_id = ?");
    st.bind(1, run_id);
    if (st.next_row()) {
      p.staleness_samples = static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 0));
      p.staleness_mean_ns = sqlite3_column_double(st.get(), 1);
      p.staleness_max_ns = sqlite3_column_int64(st.get(), 2);
    }
  }
  {
    Statement k(db, path,
                "SELECT kind, lines, bytes FROM traffic_kinds WHERE run_id = ? ORDER BY kind");
    k.bind(1, run_id);
    while (k.next_row()) {
      p.traffic_by_kind.push_back({column_text(k.get(), 0),
                                   static_cast<std::uint64_t>(sqlite3_column_int64(k.get(), 1)),
                                   static_cast<std::uint64_t>(sqlite3_column_int64(k.get(), 2))});
    }
  }
  return p;
}

}  // namespace detail

std::optional<RunProfile> ResultsDb::run_profile(std::int64_t run_id,
                                                 const std::vector<double>& quantiles) const {
  return detail::read_run_profile(db_, path_, run_id, quantiles);
}

namespace {

// The schema version an input database was written with; throws if it is not one.
std::string input_schema_version(const std::filesystem::path& input) {
  if (!std::filesystem::exists(input)) {
    throw ResultsError(input.string() + ": no such results database");
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(input.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string reason = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw ResultsError(input.string() + ": cannot open: " + reason);
  }
  std::string version;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &q,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW) {
    version = column_text(q, 0);
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  if (version.empty()) {
    throw ResultsError(input.string() + ": not a herd results database (no schema_version in meta)");
  }
  return version;
}

std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string> columns_of(sqlite3* db, const std::filesystem::path& path,
                                    const std::string& schema, const std::string& table) {
  std::vector<std::string> columns;
  Statement q(db, path, ("PRAGMA " + schema + ".table_info(" + quoted(table) + ")").c_str());
  while (q.next_row()) columns.push_back(column_text(q.get(), 1));
  return columns;
}

}  // namespace

MergeCounts ResultsDb::merge_from(const std::filesystem::path& input) {
  const std::string version = input_schema_version(input);
  if (version != std::to_string(kSchemaVersion)) {
    throw ResultsError(input.string() + ": results schema version " + version + ", but " +
                       path_.string() + " holds version " + std::to_string(kSchemaVersion) +
                       "; merge only databases written by the same schema version");
  }
  {
    Statement attach(db_, path_, "ATTACH DATABASE ? AS merge_src");
    attach.bind(1, input.string());
    attach.run();
  }
  MergeCounts counts;
  try {
    exec("BEGIN IMMEDIATE");
    exec("DROP TABLE IF EXISTS temp.merge_map");
    exec("CREATE TEMP TABLE merge_map (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)");
    // New run_ids continue after this database's last, in the input's order.
    exec("INSERT INTO temp.merge_map (old, new) "
         "SELECT run_id, (SELECT COALESCE(MAX(run_id), 0) FROM main.runs) + "
         "ROW_NUMBER() OVER (ORDER BY run_id) FROM merge_src.runs r "
         "WHERE r.sweep_id IS NULL OR NOT EXISTS (SELECT 1 FROM main.runs m "
         "WHERE m.sweep_id = r.sweep_id AND m.variant IS r.variant AND m.scenario = r.scenario "
         "AND m.seed = r.seed AND m.backend = r.backend)");
    {
      Statement n(db_, path_, "SELECT (SELECT COUNT(*) FROM temp.merge_map), (SELECT COUNT(*) FROM merge_src.runs)");
      n.next_row();
      counts.copied = static_cast<std::size_t>(sqlite3_column_int64(n.get(), 0));
      counts.skipped = static_cast<std::size_t>(sqlite3_column_int64(n.get(), 1)) - counts.copied;
    }
    // Every table but meta, runs first (the others reference it).
    std::vector<std::string> tables;
    {
      Statement q(db_, path_,
                  "SELECT name FROM merge_src.sqlite_master WHERE type = 'table' AND name <> 'meta' "
                  "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name <> 'runs', name");
      while (q.next_row()) tables.push_back(column_text(q.get(), 0));
    }
    for (const auto& table : tables) {
      auto columns = columns_of(db_, path_, "merge_src", table);
      if (columns != columns_of(db_, path_, "main", table)) {
        throw ResultsError(input.string() + ": table " + table + " differs from " + path_.string() +
                           "'s; both claim schema version " + version);
      }
      if (std::find(columns.begin(), columns.end(), "run_id") == columns.end()) {
        throw ResultsError(input.string() + ": table " + table + " has no run_id; cannot merge it");
      }
      std::string names, values;
      for (const auto& c : columns) {
        names += (names.empty() ? "" : ", ") + quoted(c);
        values += (values.empty() ? "" : ", ") + (c == "run_id" ? std::string("m.new") : "s." + quoted(c));
      }
      exec(("INSERT INTO main." + quoted(table) + " (" + names + ") SELECT " + values +
            " FROM merge_src." + quoted(table) + " s JOIN temp.merge_map m ON m.old = s.run_id " +
            "ORDER BY s.rowid").c_str());
    }
    exec("DROP TABLE temp.merge_map");
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_exec(db_, "DETACH DATABASE merge_src", nullptr, nullptr, nullptr);
    throw;
  }
  exec("DETACH DATABASE merge_src");
  return counts;
}

}  // namespace herd::sim
