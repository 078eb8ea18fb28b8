#pragma once
// A server's records on disk: one SQLite file per server in WAL mode, one row per client
// holding the newest AT line the server stored for it. The live runtime writes the records
// each event-loop turn changed in one transaction and lets no reply go out before that
// transaction is committed (docs/durability.md), and reads them back when the server starts.
//
// The file is opened in exclusive locking mode: a second process that opens it (the same
// server started twice) gets a clear error instead of sharing it.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "herd/core/shared_text.hpp"
#include "herd/live/config.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace herd::live {

// The store cannot be opened, read or written; what() names the file and says why, e.g.
// "state/Clark.db: cannot commit 12 records: database or disk is full".
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DurableStore {
 public:
  // Opens the file, creating it (not its folder) if missing, and checks that it is a herd
  // record file of `server`. Throws StoreError.
  DurableStore(std::filesystem::path file, std::string server, SyncPolicy sync);
  ~DurableStore();
  DurableStore(const DurableStore&) = delete;
  DurableStore& operator=(const DurableStore&) = delete;

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

  // Rows stored (a COUNT over the table).
  [[nodiscard]] std::size_t count();

  // Visits every stored record in client order: its client, AT line and hops. Throws
  // StoreError if the file cannot be read; the visitor may throw too.
  using RowVisitor =
      std::function<void(std::string_view client, std::string_view at_line, std::uint32_t hops)>;
  void load(const RowVisitor& visit);

  // Queues a record for the next commit; a later record of the same client replaces it.
  // `client` must view into `*at_line`.
  void stage(core::SharedText at_line, std::string_view client, std::uint32_t hops);
  [[nodiscard]] std::size_t staged() const noexcept { return staged_.size(); }

  // Writes every staged record in one transaction. On failure nothing of it is kept (the
  // transaction is rolled back) and StoreError says why; the staged records stay queued.
  void commit();

  // One record to write: views of bytes the caller keeps alive during write().
  struct Row {
    std::string_view client;
    std::string_view at_line;
    std::uint32_t hops = 0;
  };
  // Writes `rows` in one transaction, in order (a later row of a client wins), as commit()
  // does with the staged ones. Touches nothing staged, so a StoreWriter's thread may call it
  // while no other thread uses the store.
  void write(std::span<const Row> rows);

  // Totals since the store was opened, for the server's stop line.
  [[nodiscard]] std::uint64_t records_written() const noexcept { return records_written_; }
  [[nodiscard]] std::uint64_t commits() const noexcept { return commits_; }

 private:
  struct Staged {
    core::SharedText at_line;
    std::string_view client;
    std::uint32_t hops = 0;
  };
  void exec(const char* sql, std::string_view what);
  [[noreturn]] void fail(int rc, std::string_view what) const;

  std::filesystem::path file_;
  std::string server_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  std::vector<Staged> staged_;
  std::uint64_t records_written_ = 0;
  std::uint64_t commits_ = 0;
};

}  // namespace herd::live
