#pragma once
// The offline gazetteer: places near a point from a local GeoNames-derived database
// (places_db.hpp), answered in the Google Nearby Search (legacy) shape without network.
//
// Thread-safety: one OfflineGazetteer may be shared by any number of threads; its queries
// are serialised on an internal mutex because they share one SQLite connection and its
// prepared statements. A query takes microseconds, so contention is not a concern for a
// server; a benchmark that wants parallel queries opens one gazetteer per thread.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "herd/places/legacy_json.hpp"
#include "herd/places/provider.hpp"

namespace herd::places {

struct NearbyPlace {
  LegacyPlace place;
  double distance_m = 0;  // great-circle distance from the query centre
};

class OfflineGazetteer {
 public:
  // Opens a database built by herd-places-build read-only, or, for a path ending in
  // ".tsv", builds an in-memory database from that TSV (about a second for the full
  // gazetteer; meant for tests and small custom place lists). Throws PlacesDataError
  // naming the path when the file is missing, unreadable or not a places database.
  explicit OfflineGazetteer(const std::filesystem::path& path);
  ~OfflineGazetteer();
  OfflineGazetteer(OfflineGazetteer&&) noexcept;
  OfflineGazetteer& operator=(OfflineGazetteer&&) noexcept;
  OfflineGazetteer(const OfflineGazetteer&) = delete;
  OfflineGazetteer& operator=(const OfflineGazetteer&) = delete;

  // Places within query.radius_m of the centre (great-circle), nearest first (ties by
  // database order), at most query.limit of them. Throws std::invalid_argument for a query
  // that query_error() rejects, PlacesDataError if the database fails mid-query.
  [[nodiscard]] std::vector<NearbyPlace> nearby(const NearbyQuery& query) const;

  // The same answer as a legacy-shape JSON text: status "OK" with results, "ZERO_RESULTS"
  // with none, "INVALID_REQUEST" for a rejected query, "UNKNOWN_ERROR" if the database
  // fails; the last two carry an "error_message". Never throws for bad input.
  [[nodiscard]] std::string nearby_json(const NearbyQuery& query) const;

  [[nodiscard]] std::size_t size() const noexcept;
  // The TSV's comment lines (source, licence, attribution) recorded in the database.
  [[nodiscard]] const std::string& source_note() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The html_attributions entry of every offline answer (CC-BY-4.0 asks for it).
inline constexpr const char* kGeoNamesAttribution =
    "Place data from <a href=\"https://www.geonames.org/\">GeoNames</a>, licensed under "
    "<a href=\"https://creativecommons.org/licenses/by/4.0/\">CC BY 4.0</a>";

}  // namespace herd::places
