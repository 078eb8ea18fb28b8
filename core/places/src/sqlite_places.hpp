#pragma once
// Internal: SQLite handles and the places schema shared by the database builder and the
// offline gazetteer.
//
// Schema (format tag kPlacesFormat in meta):
//   meta(key TEXT PRIMARY KEY, value TEXT)   format, source (the TSV's comment lines), count
//   places(id INTEGER PRIMARY KEY, name, lat, lng, country, admin1, place_id)
//   places_rtree USING rtree(id, lat_min, lat_max, lng_min, lng_max)   one point per place

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace herd::places::detail {

inline constexpr std::string_view kPlacesFormat = "herd-places-1";

struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Opens (flags as for sqlite3_open_v2); throws PlacesDataError naming the path.
[[nodiscard]] SqliteDb open_db(const std::string& path, int flags);

[[nodiscard]] Statement prepare(sqlite3* db, std::string_view sql);

// Throws PlacesDataError "<what>: <sqlite message>" unless rc is one of the ok codes.
void check(sqlite3* db, int rc, std::string_view what, int ok = SQLITE_OK);

void exec(sqlite3* db, const char* sql, std::string_view what);

// Creates the schema in an empty database and fills it from the TSV in one transaction.
// Returns the number of places. Throws PlacesDataError "<file>:<line>: <problem>".
std::size_t import_tsv(sqlite3* db, const std::filesystem::path& tsv_path);

// A stable identifier for a place, derived from its TSV row (FNV-1a 64 of the row text):
// the same row gives the same id in every build.
[[nodiscard]] std::string derive_place_id(std::string_view row);

}  // namespace herd::places::detail
