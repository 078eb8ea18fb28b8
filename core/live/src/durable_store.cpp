#include "herd/live/durable_store.hpp"

#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

#include <sqlite3.h>

namespace herd::live {

namespace {

// Written into meta at creation; a file with another format is refused rather than guessed at.
constexpr std::string_view kFormat = "herd-records-1";
// The write-ahead log is copied into the database (a checkpoint, which syncs both files)
// once it holds this many pages: 32 MiB of 4 KiB pages. SQLite's default of 1,000 pages
// made checkpoints, not commits, the main cost under load. After a checkpoint the log is
// cut back to the limit below, so it stays bounded however long the server runs.
constexpr int kWalCheckpointPages = 8192;
constexpr int kJournalSizeLimitBytes = 32 << 20;

const char* const kSchema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS records(client TEXT PRIMARY KEY, at_line TEXT NOT NULL,"
    " hops INTEGER NOT NULL) WITHOUT ROWID;";

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

std::string_view column_text(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column))};
}

}  // namespace

DurableStore::DurableStore(std::filesystem::path file, std::string server, SyncPolicy sync)
    : file_(std::move(file)), server_(std::move(server)) {
  if (file_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    if (ec) {
      throw StoreError(file_.string() + ": cannot create its folder: " + ec.message());
    }
  }
  const int rc = sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                 nullptr);
  if (rc != SQLITE_OK) {
    // The handle exists even when opening failed, and holds the message.
    std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreError(file_.string() + ": cannot open: " + why);
  }
  try {
    sqlite3_extended_result_codes(db_, 1);
    // Exclusive before WAL: no shared-memory index, and the lock is kept from the first
    // write on, so the same server started twice fails here instead of sharing the file.
    exec("PRAGMA locking_mode = EXCLUSIVE", "cannot set the locking mode");
    {
      Statement wal;
      sqlite3_stmt* raw = nullptr;
      int mode_rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, &raw, nullptr);
      wal.reset(raw);
      if (mode_rc == SQLITE_OK) mode_rc = sqlite3_step(raw);
      if (mode_rc != SQLITE_ROW) fail(mode_rc, "cannot switch to WAL mode");
      const std::string_view mode = column_text(raw, 0);
      if (mode != "wal") {
        throw StoreError(file_.string() + ": cannot switch to WAL mode (journal mode stays " +
                         std::string(mode) + ")");
      }
    }
    exec(sync == SyncPolicy::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
         "cannot set the sync policy");
    exec(("PRAGMA journal_size_limit = " + std::to_string(kJournalSizeLimitBytes)).c_str(),
         "cannot limit the write-ahead log");
    exec(("PRAGMA wal_autocheckpoint = " + std::to_string(kWalCheckpointPages)).c_str(),
         "cannot set the checkpoint interval");
    exec("BEGIN IMMEDIATE", "cannot lock (is another herd-server using it?)");
    exec(kSchema, "cannot create the tables");
    sqlite3_stmt* raw = nullptr;
    int meta_rc = sqlite3_prepare_v2(db_, "SELECT key, value FROM meta", -1, &raw, nullptr);
    Statement meta(raw);
    if (meta_rc != SQLITE_OK) fail(meta_rc, "cannot read meta");
    std::string format, owner;
    bool any = false;
    while ((meta_rc = sqlite3_step(raw)) == SQLITE_ROW) {
      any = true;
      const std::string_view key = column_text(raw, 0);
      if (key == "format") format = column_text(raw, 1);
      if (key == "server") owner = column_text(raw, 1);
    }
    if (meta_rc != SQLITE_DONE) fail(meta_rc, "cannot read meta");
    meta.reset();
    if (!any) {
      sqlite3_stmt* insert = nullptr;
      meta_rc = sqlite3_prepare_v2(db_, "INSERT INTO meta(key, value) VALUES('format', ?1),"
                                        " ('server', ?2)", -1, &insert, nullptr);
      Statement owned(insert);
      if (meta_rc != SQLITE_OK) fail(meta_rc, "cannot write meta");
      sqlite3_bind_text(insert, 1, kFormat.data(), static_cast<int>(kFormat.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(insert, 2, server_.data(), static_cast<int>(server_.size()),
                        SQLITE_STATIC);
      meta_rc = sqlite3_step(insert);
      if (meta_rc != SQLITE_DONE) fail(meta_rc, "cannot write meta");
    } else if (format != kFormat) {
      throw StoreError(file_.string() + ": not a herd record file (format \"" + format +
                       "\", expected \"" + std::string(kFormat) + "\")");
    } else if (owner != server_) {
      throw StoreError(file_.string() + ": holds the records of server " + owner + ", not " +
                       server_);
    }
    exec("COMMIT", "cannot commit the schema");
    const char* upsert =
        "INSERT INTO records(client, at_line, hops) VALUES(?1, ?2, ?3)"
        " ON CONFLICT(client) DO UPDATE SET at_line = excluded.at_line, hops = excluded.hops";
    const int prepare_rc = sqlite3_prepare_v3(db_, upsert, -1, SQLITE_PREPARE_PERSISTENT,
                                              &upsert_, nullptr);
    if (prepare_rc != SQLITE_OK) fail(prepare_rc, "cannot prepare the record writer");
  } catch (...) {
    sqlite3_finalize(upsert_);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

DurableStore::~DurableStore() {
  sqlite3_finalize(upsert_);
  // Closing the last connection checkpoints the log into the database and removes it.
  sqlite3_close_v2(db_);
}

void DurableStore::exec(const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, what);
}

void DurableStore::fail(int rc, std::string_view what) const {
  // Taken first: SQLite keeps the errno of a failed write only for some errors, and the
  // system's reason (a full disk, a file size limit, a read-only file system) says more
  // than its "disk I/O error".
  const int last_errno = errno;
  std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  int system_errno = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
  const int primary = rc & 0xff;
  if (system_errno == 0 && (primary == SQLITE_IOERR || primary == SQLITE_FULL ||
                            primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY)) {
    system_errno = last_errno;
  }
  if (system_errno != 0) why += std::string(" (") + std::strerror(system_errno) + ")";
  throw StoreError(file_.string() + ": " + std::string(what) + ": " + why);
}

std::size_t DurableStore::count() {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM records", -1, &raw, nullptr);
  Statement statement(raw);
  if (rc == SQLITE_OK) rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) fail(rc, "cannot count the records");
  return static_cast<std::size_t>(sqlite3_column_int64(raw, 0));
}

void DurableStore::load(const RowVisitor& visit) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, "SELECT client, at_line, hops FROM records ORDER BY client",
                              -1, &raw, nullptr);
  Statement statement(raw);
  if (rc != SQLITE_OK) fail(rc, "cannot read the records");
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const std::string_view client = column_text(raw, 0);
    const sqlite3_int64 hops = sqlite3_column_int64(raw, 2);
    if (sqlite3_column_type(raw, 2) != SQLITE_INTEGER || hops < 0 ||
        hops > std::numeric_limits<std::uint32_t>::max()) {
      throw StoreError(file_.string() + ": the record of client '" + std::string(client) +
                       "' has a bad hop count");
    }
    visit(client, column_text(raw, 1), static_cast<std::uint32_t>(hops));
  }
  if (rc != SQLITE_DONE) fail(rc, "cannot read the records");
}

void DurableStore::stage(core::SharedText at_line, std::string_view client, std::uint32_t hops) {
  staged_.push_back(Staged{std::move(at_line), client, hops});
}

void DurableStore::commit() {
  if (staged_.empty()) return;
  std::vector<Row> rows;
  rows.reserve(staged_.size());
  for (const Staged& row : staged_) rows.push_back(Row{row.client, *row.at_line, row.hops});
  write(rows);
  staged_.clear();
}

void DurableStore::write(std::span<const Row> rows) {
  if (rows.empty()) return;
  const std::string what = "cannot commit " + std::to_string(rows.size()) + " records";
  try {
    exec("BEGIN", what);
    for (const Row& row : rows) {
      sqlite3_reset(upsert_);
      sqlite3_bind_text(upsert_, 1, row.client.data(), static_cast<int>(row.client.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(upsert_, 2, row.at_line.data(), static_cast<int>(row.at_line.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(upsert_, 3, row.hops);
      const int rc = sqlite3_step(upsert_);
      if (rc != SQLITE_DONE) fail(rc, what);
    }
    sqlite3_reset(upsert_);
    exec("COMMIT", what);
  } catch (const StoreError&) {
    sqlite3_reset(upsert_);
    if (sqlite3_get_autocommit(db_) == 0) {
      (void)sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    throw;
  }
  records_written_ += rows.size();
  ++commits_;
}

}  // namespace herd::live
