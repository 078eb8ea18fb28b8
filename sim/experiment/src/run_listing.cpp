#include "herd/sim/run_listing.hpp"

#include <sqlite3.h>

#include "herd/sim/results_db.hpp"

namespace herd::sim {

std::map<std::int64_t, RunLabels> run_labels(const std::filesystem::path& db) {
  sqlite3* handle = nullptr;
  auto fail = [&](const std::string& what) {
    std::string reason = handle ? sqlite3_errmsg(handle) : "out of memory";
    sqlite3_close(handle);
    throw ResultsError(db.string() + ": " + what + ": " + reason);
  };
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    fail("cannot open results database");
  }
  sqlite3_stmt* query = nullptr;
  if (sqlite3_prepare_v2(handle, "SELECT run_id, strategy, overrides FROM runs", -1, &query,
                         nullptr) != SQLITE_OK) {
    fail("cannot list runs");
  }
  auto text = [&](int column) {
    const auto* p = sqlite3_column_text(query, column);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  };
  std::map<std::int64_t, RunLabels> labels;
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(query)) == SQLITE_ROW) {
    RunLabels& row = labels[sqlite3_column_int64(query, 0)];
    row.strategy = text(1);
    // Stored one per line (results_db.cpp joins them with "\n").
    std::string all = text(2);
    std::size_t start = 0;
    while (start < all.size()) {
      std::size_t end = all.find('\n', start);
      if (end == std::string::npos) end = all.size();
      if (end > start) row.overrides.push_back(all.substr(start, end - start));
      start = end + 1;
    }
  }
  sqlite3_finalize(query);
  if (step != SQLITE_DONE) fail("cannot list runs");
  sqlite3_close(handle);
  return labels;
}

}  // namespace herd::sim
