#pragma once
// Reading a results database back in tests: every row as text, to compare two stores.
// Include only from tests that link SQLite.

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

namespace herd::testing {

// Every row the query returns, each as its columns' text joined by '|' (NULL as "NULL").
inline std::vector<std::string> query_rows(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &q, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(q) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(q); ++i) {
      const auto* text = sqlite3_column_text(q, i);
      row += (text ? reinterpret_cast<const char*>(text) : "NULL") + std::string("|");
    }
    rows.push_back(row);
  }
  sqlite3_finalize(q);
  sqlite3_close(handle);
  return rows;
}

// A whole table, in rowid order.
inline std::vector<std::string> table_rows_in_order(const std::filesystem::path& db,
                                                    const std::string& table) {
  return query_rows(db, "SELECT * FROM " + table + " ORDER BY rowid");
}

inline std::vector<std::string> table_names(const std::filesystem::path& db) {
  std::vector<std::string> names;
  for (const auto& row : query_rows(db, "SELECT name FROM sqlite_schema WHERE type = 'table'")) {
    names.push_back(row.substr(0, row.size() - 1));  // drop the trailing '|'
  }
  return names;
}

}  // namespace herd::testing
