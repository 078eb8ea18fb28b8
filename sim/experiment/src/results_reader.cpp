#include "herd/sim/results_reader.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "run_profile_read.hpp"

namespace herd::sim {

// One prepared read; errors name the database, the table and SQLite's reason, and a query
// that returns more than the limit's rows stops with an error instead of growing on.
class ResultsReader::Query {
 public:
  Query(const ResultsReader& reader, const char* table, const char* sql)
      : reader_(reader), table_(table) {
    if (sqlite3_prepare_v2(reader.db_, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail("query");
  }
  ~Query() { sqlite3_finalize(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, std::int64_t v) {
    if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) fail("bind a parameter of");
    return *this;
  }
  bool next() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) fail("read");
    if (++rows_ > reader_.limits_.max_rows) {
      throw ResultsError(reader_.path_.string() + ": table " + table_ + " has more than " +
                         std::to_string(reader_.limits_.max_rows) +
                         " rows for this query; the reader stops there");
    }
    return true;
  }
  std::int64_t i64(int c) const { return sqlite3_column_int64(stmt_, c); }
  std::uint32_t u32(int c) const { return static_cast<std::uint32_t>(sqlite3_column_int64(stmt_, c)); }
  std::uint64_t u64(int c) const { return static_cast<std::uint64_t>(sqlite3_column_int64(stmt_, c)); }
  double real(int c) const { return sqlite3_column_double(stmt_, c); }
  bool null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw ResultsError(reader_.path_.string() + ": cannot " + what + " table " + table_ + ": " +
                       sqlite3_errmsg(reader_.db_));
  }
  const ResultsReader& reader_;
  const char* table_;
  sqlite3_stmt* stmt_ = nullptr;
  std::uint64_t rows_ = 0;
};

std::optional<double> StoredRun::metric(const std::string& name) const {
  auto it = std::lower_bound(summary.begin(), summary.end(), name,
                             [](const auto& entry, const std::string& n) { return entry.first < n; });
  if (it == summary.end() || it->first != name) return std::nullopt;
  return it->second;
}

ResultsReader::ResultsReader(const std::filesystem::path& path, ReaderLimits limits)
    : path_(path), limits_(limits) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw ResultsError(path.string() + ": no such results database");
  }
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw ResultsError(path.string() + ": cannot open results database: " + reason);
  }
  // A writer may hold the file briefly while it stores a run.
  sqlite3_busy_timeout(db_, 5000);
  std::string version;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &q,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW) {
    const auto* p = sqlite3_column_text(q, 0);
    if (p) version = reinterpret_cast<const char*>(p);
  }
  sqlite3_finalize(q);
  if (version != std::to_string(kSchemaVersion)) {
    sqlite3_close(db_);
    db_ = nullptr;
    if (version.empty()) {
      throw ResultsError(path.string() +
                         ": not a herd results database (no schema_version in its meta table)");
    }
    throw ResultsError(path.string() + ": results schema version " + version +
                       ", this build reads version " + std::to_string(kSchemaVersion) +
                       "; rerun the scenarios into a new database");
  }
}

ResultsReader::~ResultsReader() { sqlite3_close(db_); }

namespace {

constexpr const char* kRunColumns =
    "SELECT run_id, scenario, COALESCE(scenario_path, ''), backend, strategy, "
    "COALESCE(fingerprint, ''), herd_version, recorded_at, COALESCE(sweep_id, ''), "
    "COALESCE(variant, ''), overrides, seed, duration_ns, drained_ns, wall_seconds, events, "
    "servers, friend_edges FROM runs";

std::vector<std::string> split_lines(const std::string& all) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < all.size()) {
    std::size_t end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) out.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// One row of kRunColumns; a template so it takes the private Query type by deduction.
template <class Row>
StoredRun read_run(const Row& q) {
  StoredRun r;
  r.run_id = q.i64(0);
  r.scenario = q.text(1);
  r.scenario_path = q.text(2);
  r.backend = q.text(3);
  r.strategy = q.text(4);
  r.fingerprint = q.text(5);
  r.herd_version = q.text(6);
  r.recorded_at = q.text(7);
  r.sweep_id = q.text(8);
  r.variant = q.text(9);
  r.overrides = split_lines(q.text(10));
  r.seed = q.u64(11);
  r.duration_ns = q.i64(12);
  r.drained_ns = q.i64(13);
  r.wall_seconds = q.real(14);
  r.events = q.u64(15);
  r.servers = q.u64(16);
  r.friend_edges = q.u64(17);
  return r;
}

}  // namespace

std::vector<StoredRun> ResultsReader::runs() const {
  std::vector<StoredRun> out;
  {
    Query q(*this, "runs", (std::string(kRunColumns) + " ORDER BY run_id").c_str());
    while (q.next()) {
      out.push_back(read_run(q));
    }
  }
  // One pass over the summary table rather than a query per run.
  Query s(*this, "summary",
          "SELECT run_id, metric, value FROM summary WHERE value IS NOT NULL "
          "ORDER BY run_id, metric");
  auto it = out.begin();
  while (s.next()) {
    const std::int64_t id = s.i64(0);
    while (it != out.end() && it->run_id < id) ++it;
    if (it == out.end()) break;
    if (it->run_id == id) it->summary.emplace_back(s.text(1), s.real(2));
  }
  return out;
}

std::optional<StoredRun> ResultsReader::run(std::int64_t run_id) const {
  Query q(*this, "runs", (std::string(kRunColumns) + " WHERE run_id = ?").c_str());
  q.bind(1, run_id);
  if (!q.next()) return std::nullopt;
  StoredRun r = read_run(q);
  r.summary = summary(run_id);
  return r;
}

std::vector<std::pair<std::string, double>> ResultsReader::summary(std::int64_t run_id) const {
  std::vector<std::pair<std::string, double>> out;
  Query q(*this, "summary",
          "SELECT metric, value FROM summary WHERE run_id = ? AND value IS NOT NULL "
          "ORDER BY metric");
  q.bind(1, run_id);
  while (q.next()) out.emplace_back(q.text(0), q.real(1));
  return out;
}

std::optional<RunProfile> ResultsReader::run_profile(std::int64_t run_id,
                                                     const std::vector<double>& quantiles) const {
  return detail::read_run_profile(db_, path_, run_id, quantiles);
}

std::vector<StoredServer> ResultsReader::servers(std::int64_t run_id) const {
  std::vector<StoredServer> out;
  Query q(*this, "servers",
          "SELECT server_id, name, degree FROM servers WHERE run_id = ? ORDER BY server_id");
  q.bind(1, run_id);
  while (q.next()) out.push_back({q.u32(0), q.text(1), q.u32(2)});
  return out;
}

std::vector<StoredEdge> ResultsReader::friends(std::int64_t run_id) const {
  std::vector<StoredEdge> out;
  Query q(*this, "friends", "SELECT a, b FROM friends WHERE run_id = ? ORDER BY a, b");
  q.bind(1, run_id);
  while (q.next()) out.push_back({q.u32(0), q.u32(1)});
  return out;
}

std::vector<StoredFault> ResultsReader::faults(std::int64_t run_id) const {
  std::vector<StoredFault> out;
  Query q(*this, "faults",
          "SELECT fault_id, kind, at_ns, duration_ns, servers, origin FROM faults "
          "WHERE run_id = ? ORDER BY fault_id");
  q.bind(1, run_id);
  while (q.next()) {
    out.push_back({q.u32(0), q.text(1), q.i64(2), q.i64(3), q.text(4), q.text(5)});
  }
  return out;
}

std::vector<StoredUpdate> ResultsReader::updates(std::int64_t run_id) const {
  std::vector<StoredUpdate> out;
  Query q(*this, "updates",
          "SELECT update_id, client, origin, accepted_ns, at_line, holders, ldh, messages "
          "FROM updates WHERE run_id = ? ORDER BY update_id");
  q.bind(1, run_id);
  while (q.next()) {
    out.push_back({q.u32(0), q.text(1), q.u32(2), q.i64(3), q.text(4), q.u32(5), q.u32(6),
                   q.u64(7)});
  }
  return out;
}

namespace {
StoredApply apply_row(std::int64_t update, std::int64_t server, std::int64_t at, std::int64_t delay,
                      std::int64_t hops, std::int64_t direct, std::optional<std::int64_t> from) {
  StoredApply a;
  a.update_id = static_cast<std::uint32_t>(update);
  a.server_id = static_cast<std::uint32_t>(server);
  a.at_ns = at;
  a.delay_ns = delay;
  a.hops = static_cast<std::uint32_t>(hops);
  a.direct = direct != 0;
  a.from_id = from.value_or(kNoFrom);
  return a;
}
}  // namespace

std::vector<StoredApply> ResultsReader::applies(std::int64_t run_id) const {
  // A run's rows are written in one transaction, so they lie in one stretch of rowids. The
  // index finds the stretch (and the count), then the rows are read in storage order: a
  // sequential scan, several times cheaper than following the index row by row, which jumps
  // around the table (rows are stored in time order, the index is by update). The run_id
  // test stays, so rows of another run inside the stretch would be skipped, not mixed in.
  std::uint64_t count = 0;
  std::int64_t first_row = 0, last_row = -1;
  {
    Query q(*this, "applies", "SELECT COUNT(*), MIN(rowid), MAX(rowid) FROM applies WHERE run_id = ?");
    q.bind(1, run_id);
    if (q.next() && !q.null(1)) {
      count = q.u64(0);
      first_row = q.i64(1);
      last_row = q.i64(2);
    }
  }
  std::vector<StoredApply> rows;
  rows.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, limits_.max_rows)));
  Query q(*this, "applies",
          "SELECT update_id, server_id, at_ns, delay_ns, hops, direct, from_id FROM applies "
          "WHERE rowid BETWEEN ? AND ? AND +run_id = ?");
  q.bind(1, first_row).bind(2, last_row).bind(3, run_id);
  std::uint32_t updates = 0;
  while (q.next()) {
    rows.push_back(apply_row(q.i64(0), q.i64(1), q.i64(2), q.i64(3), q.i64(4), q.i64(5),
                             q.null(6) ? std::nullopt : std::optional(q.i64(6))));
    updates = std::max(updates, rows.back().update_id + 1);
  }
  auto by_time = [](const StoredApply& a, const StoredApply& b) {
    return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : a.server_id < b.server_id;
  };
  if (updates > rows.size()) {
    // Sparse update ids (not written by herd): a plain sort, not a bucket per id.
    std::sort(rows.begin(), rows.end(), [&](const StoredApply& a, const StoredApply& b) {
      return a.update_id != b.update_id ? a.update_id < b.update_id : by_time(a, b);
    });
    return rows;
  }
  // By (update_id, at_ns, server_id): a counting sort by update, then each update's rows
  // (a few thousand at most, nearly in time order already) sorted on their own.
  std::vector<std::size_t> first(static_cast<std::size_t>(updates) + 1, 0);
  for (const auto& a : rows) ++first[a.update_id + 1];
  for (std::size_t u = 1; u < first.size(); ++u) first[u] += first[u - 1];
  std::vector<StoredApply> out(rows.size());
  {
    std::vector<std::size_t> next(first.begin(), first.end() - 1);
    for (const auto& a : rows) out[next[a.update_id]++] = a;
  }
  for (std::size_t u = 0; u + 1 < first.size(); ++u) {
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first[u]),
              out.begin() + static_cast<std::ptrdiff_t>(first[u + 1]), by_time);
  }
  return out;
}

std::vector<StoredApply> ResultsReader::applies_of_update(std::int64_t run_id,
                                                          std::uint32_t update_id) const {
  std::vector<StoredApply> out;
  Query q(*this, "applies",
          "SELECT update_id, server_id, at_ns, delay_ns, hops, direct, from_id FROM applies "
          "WHERE run_id = ? AND update_id = ? ORDER BY at_ns, server_id");
  q.bind(1, run_id).bind(2, update_id);
  while (q.next()) {
    out.push_back(apply_row(q.i64(0), q.i64(1), q.i64(2), q.i64(3), q.i64(4), q.i64(5),
                            q.null(6) ? std::nullopt : std::optional(q.i64(6))));
  }
  return out;
}

std::uint64_t ResultsReader::apply_count(std::int64_t run_id) const {
  Query q(*this, "applies", "SELECT COUNT(*) FROM applies WHERE run_id = ?");
  q.bind(1, run_id);
  return q.next() ? q.u64(0) : 0;
}

std::vector<StoredStaleness> ResultsReader::staleness(std::int64_t run_id) const {
  std::vector<StoredStaleness> out;
  Query q(*this, "staleness",
          "SELECT at_ns, server_id, stale_clients, max_ns, mean_ns FROM staleness "
          "WHERE run_id = ? ORDER BY at_ns, server_id");
  q.bind(1, run_id);
  while (q.next()) out.push_back({q.i64(0), q.u32(1), q.u32(2), q.i64(3), q.i64(4)});
  return out;
}

std::vector<StoredStaleness> ResultsReader::staleness_of_server(std::int64_t run_id,
                                                                std::uint32_t server_id) const {
  std::vector<StoredStaleness> out;
  Query q(*this, "staleness",
          "SELECT at_ns, server_id, stale_clients, max_ns, mean_ns FROM staleness "
          "WHERE run_id = ? AND server_id = ? ORDER BY at_ns");
  q.bind(1, run_id).bind(2, server_id);
  while (q.next()) out.push_back({q.i64(0), q.u32(1), q.u32(2), q.i64(3), q.i64(4)});
  return out;
}

std::vector<KindTraffic> ResultsReader::traffic_kinds(std::int64_t run_id) const {
  std::vector<KindTraffic> out;
  Query q(*this, "traffic_kinds",
          "SELECT kind, lines, bytes FROM traffic_kinds WHERE run_id = ? "
          "ORDER BY lines DESC, kind");
  q.bind(1, run_id);
  while (q.next()) out.push_back({q.text(0), q.u64(1), q.u64(2)});
  return out;
}

std::vector<LinkTraffic> ResultsReader::traffic_links(std::int64_t run_id) const {
  std::vector<LinkTraffic> out;
  Query q(*this, "traffic_links",
          "SELECT from_id, to_id, lines, bytes FROM traffic_links WHERE run_id = ? "
          "ORDER BY from_id, to_id");
  q.bind(1, run_id);
  while (q.next()) out.push_back({q.u32(0), q.u32(1), q.u64(2), q.u64(3)});
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> ResultsReader::traffic_counters(
    std::int64_t run_id) const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  Query q(*this, "traffic",
          "SELECT counter, value FROM traffic WHERE run_id = ? ORDER BY counter");
  q.bind(1, run_id);
  while (q.next()) out.emplace_back(q.text(0), q.u64(1));
  return out;
}

}  // namespace herd::sim
