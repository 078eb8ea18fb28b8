#include "herd/places/places_db.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "sqlite_places.hpp"

namespace herd::places {
namespace detail {
namespace {

constexpr std::size_t kFieldCount = 5;
constexpr std::size_t kMaxLineBytes = 4096;  // a real row is < 200 bytes; bounds bad input

// Returns the byte offset of the first invalid UTF-8 sequence, or npos.
std::size_t invalid_utf8_at(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned int code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code = (code << 6) | (next & 0x3F);
    }
    constexpr std::array<unsigned int, 5> kMinForLength = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinForLength[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return i;  // overlong form, beyond Unicode, or a surrogate
    }
    i += length;
  }
  return std::string_view::npos;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return fields;
}

class TsvReader {
 public:
  explicit TsvReader(const std::filesystem::path& path) : path_(path), in_(path) {
    if (!in_) throw PlacesDataError(path_.string() + ": cannot open for reading");
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw PlacesDataError(path_.string() + ":" + std::to_string(line_number_) + ": " + problem);
  }

  // Next line without its terminator; false at end of file.
  bool next(std::string& line) {
    if (!std::getline(in_, line)) {
      if (in_.bad()) fail("read error");
      return false;
    }
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > kMaxLineBytes)
      fail("line longer than " + std::to_string(kMaxLineBytes) + " bytes");
    return true;
  }

  double coordinate(std::string_view field, const char* what, double limit) const {
    double value = 0;
    const auto* end = field.data() + field.size();
    const auto [ptr, ec] = std::from_chars(field.data(), end, value);
    if (field.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
      fail(std::string(what) + " '" + std::string(field) + "' is not a decimal number");
    }
    if (std::abs(value) > limit) {
      fail(std::string(what) + " '" + std::string(field) + "' is outside [-" +
           std::to_string(static_cast<int>(limit)) + ", " +
           std::to_string(static_cast<int>(limit)) + "]");
    }
    return value;
  }

  void check_text(std::string_view field, const char* what) const {
    if (const auto at = invalid_utf8_at(field); at != std::string_view::npos) {
      fail(std::string(what) + " has invalid UTF-8 at byte " + std::to_string(at));
    }
    for (const char ch : field) {
      const auto byte = static_cast<unsigned char>(ch);
      if (byte < 0x20 || byte == 0x7F) fail(std::string(what) + " contains a control character");
    }
  }

 private:
  std::filesystem::path path_;
  std::ifstream in_;
  std::size_t line_number_ = 0;
};

constexpr const char* kSchemaSql =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE places(id INTEGER PRIMARY KEY, name TEXT NOT NULL, lat REAL NOT NULL,"
    " lng REAL NOT NULL, country TEXT NOT NULL, admin1 TEXT NOT NULL, place_id TEXT NOT NULL);"
    "CREATE VIRTUAL TABLE places_rtree USING rtree(id, lat_min, lat_max, lng_min, lng_max);";

void bind_text(sqlite3* db, sqlite3_stmt* statement, int index, std::string_view text) {
  check(db,
        sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT),
        "bind");
}

void put_meta(sqlite3* db, std::string_view key, std::string_view value) {
  Statement insert = prepare(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)");
  bind_text(db, insert.get(), 1, key);
  bind_text(db, insert.get(), 2, value);
  check(db, sqlite3_step(insert.get()), "write meta", SQLITE_DONE);
}

}  // namespace

SqliteDb open_db(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    const std::string reason = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    throw PlacesDataError(path + ": cannot open places database: " + reason);
  }
  return db;
}

Statement prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  Statement statement(raw);
  check(db, rc, "prepare '" + std::string(sql) + "'");
  return statement;
}

void check(sqlite3* db, int rc, std::string_view what, int ok) {
  if (rc != ok) throw PlacesDataError(std::string(what) + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const char* sql, std::string_view what) {
  check(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), what);
}

std::string derive_place_id(std::string_view row) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const char ch : row) {
    hash ^= static_cast<unsigned char>(ch);
    hash *= 0x100000001b3ULL;  // FNV 64 prime
  }
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string id = "gn-0000000000000000";
  for (std::size_t i = id.size(); i-- > 3; hash >>= 4) id[i] = kHex[hash & 0x0F];
  return id;
}

std::size_t import_tsv(sqlite3* db, const std::filesystem::path& tsv_path) {
  TsvReader reader(tsv_path);
  exec(db, "BEGIN", "begin import");
  exec(db, kSchemaSql, "create places schema");
  Statement insert_place =
      prepare(db,
              "INSERT INTO places(id, name, lat, lng, country, admin1, place_id)"
              " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  Statement insert_box = prepare(db,
                                 "INSERT INTO places_rtree(id, lat_min, lat_max, lng_min, lng_max)"
                                 " VALUES(?1, ?2, ?2, ?3, ?3)");

  std::string source;
  std::string line;
  sqlite3_int64 count = 0;
  while (reader.next(line)) {
    if (line.empty()) continue;
    if (line.front() == '#') {
      source += line;
      source += '\n';
      continue;
    }
    const auto fields = split_tabs(line);
    if (fields.size() != kFieldCount) {
      reader.fail("expected 5 tab-separated fields (name, lat, lng, country, admin1), got " +
                  std::to_string(fields.size()));
    }
    if (fields[0].empty()) reader.fail("empty name");
    reader.check_text(fields[0], "name");
    reader.check_text(fields[3], "country");
    reader.check_text(fields[4], "admin1");
    const double lat = reader.coordinate(fields[1], "lat", 90.0);
    const double lng = reader.coordinate(fields[2], "lng", 180.0);

    ++count;
    sqlite3_stmt* place = insert_place.get();
    sqlite3_reset(place);
    check(db, sqlite3_bind_int64(place, 1, count), "bind");
    bind_text(db, place, 2, fields[0]);
    check(db, sqlite3_bind_double(place, 3, lat), "bind");
    check(db, sqlite3_bind_double(place, 4, lng), "bind");
    bind_text(db, place, 5, fields[3]);
    bind_text(db, place, 6, fields[4]);
    bind_text(db, place, 7, derive_place_id(line));
    check(db, sqlite3_step(place), "insert place", SQLITE_DONE);

    sqlite3_stmt* box = insert_box.get();
    sqlite3_reset(box);
    check(db, sqlite3_bind_int64(box, 1, count), "bind");
    check(db, sqlite3_bind_double(box, 2, lat), "bind");
    check(db, sqlite3_bind_double(box, 3, lng), "bind");
    check(db, sqlite3_step(box), "insert place index", SQLITE_DONE);
  }
  put_meta(db, "format", kPlacesFormat);
  put_meta(db, "source", source);
  put_meta(db, "count", std::to_string(count));
  exec(db, "COMMIT", "commit import");
  return static_cast<std::size_t>(count);
}

}  // namespace detail

std::size_t build_places_db(const std::filesystem::path& tsv_path,
                            const std::filesystem::path& db_path) {
  std::filesystem::path tmp_path = db_path;
  tmp_path += ".tmp";
  std::error_code ec;
  std::filesystem::remove(tmp_path, ec);  // a leftover from an interrupted build
  std::size_t count = 0;
  {
    auto db = detail::open_db(tmp_path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    // A throw-away file written once: no journal or fsync needed until the rename.
    detail::exec(db.get(), "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", "configure");
    try {
      count = detail::import_tsv(db.get(), tsv_path);
    } catch (...) {
      db.reset();
      std::filesystem::remove(tmp_path, ec);
      throw;
    }
  }
  std::filesystem::rename(tmp_path, db_path, ec);
  if (ec) {
    throw PlacesDataError(db_path.string() +
                          ": cannot move the new database into place: " + ec.message());
  }
  return count;
}

}  // namespace herd::places
