#pragma once
// The offline gazetteer's storage: a TSV of places (data/places/geonames-cities.tsv, made
// by scripts/derive_places.py) turned into an SQLite database with an R*Tree index.
//
// TSV format: UTF-8, lines starting with '#' are comments (kept as the database's source
// note), blank lines are skipped, every other line is five tab-separated fields
//     name  lat  lng  country  admin1
// name non-empty without control characters, lat in [-90, 90], lng in [-180, 180] as
// decimal degrees; country and admin1 may be empty. CRLF line ends are accepted.

#include <cstddef>
#include <filesystem>
#include <stdexcept>

namespace herd::places {

// Bad or unreadable place data. The message names the file, and the line for TSV input.
class PlacesDataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds a database at db_path from the TSV and returns the number of places. It writes
// db_path + ".tmp" first and renames it into place, so a failed or interrupted build never
// leaves a half-written database where a server would look for one. Throws
// PlacesDataError.
std::size_t build_places_db(const std::filesystem::path& tsv_path,
                            const std::filesystem::path& db_path);

}  // namespace herd::places
