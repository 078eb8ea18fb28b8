#include "herd/places/offline_gazetteer.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "herd/places/geo.hpp"
#include "herd/places/nearby_query.hpp"
#include "herd/places/places_db.hpp"
#include "sqlite_places.hpp"

namespace herd::places {
namespace {

// R*Tree boxes are stored as 32-bit floats rounded outwards, which already keeps every
// point inside a query box that contains it; the pad only absorbs rounding in our own box
// arithmetic. The exact haversine filter afterwards decides membership.
constexpr double kBoxPad_deg = 1e-6;

// Two steps: exact coordinates of every place in the boxes, then the details of only the
// nearest `limit` of them (a 50 km box in a dense region holds hundreds of places).
constexpr std::string_view kBoxQuerySql =
    "SELECT p.id, p.lat, p.lng FROM places_rtree AS r JOIN places AS p ON p.id = r.id"
    " WHERE r.lat_max >= ?1 AND r.lat_min <= ?2 AND r.lng_max >= ?3 AND r.lng_min <= ?4";
constexpr std::string_view kDetailQuerySql =
    "SELECT name, country, admin1, place_id FROM places WHERE id = ?1";

std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  const int bytes = sqlite3_column_bytes(statement, column);
  return text == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes));
}

std::string vicinity(const std::string& admin1, const std::string& country) {
  if (admin1.empty()) return country;
  if (country.empty()) return admin1;
  return admin1 + ", " + country;
}

// A path as the path part of an SQLite file: URI.
std::string uri_escape(const std::string& path) {
  std::string out;
  for (const char ch : path) {
    if (ch == '%' || ch == '?' || ch == '#') {
      static constexpr std::string_view kHex = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(ch);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string read_meta(sqlite3* db, std::string_view key) {
  detail::Statement select = detail::prepare(db, "SELECT value FROM meta WHERE key = ?1");
  detail::check(db,
                sqlite3_bind_text(select.get(), 1, key.data(), static_cast<int>(key.size()),
                                  SQLITE_TRANSIENT),
                "bind");
  return sqlite3_step(select.get()) == SQLITE_ROW ? column_text(select.get(), 0) : std::string();
}

}  // namespace

struct OfflineGazetteer::Impl {
  detail::SqliteDb db;
  detail::Statement box_query;
  detail::Statement detail_query;
  std::size_t size = 0;
  std::string source_note;
  std::mutex mutex;  // guards db and the statements
};

OfflineGazetteer::OfflineGazetteer(const std::filesystem::path& path)
    : impl_(std::make_unique<Impl>()) {
  const std::string name = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw PlacesDataError(name +
                          ": places file not found (build it with herd-places-build, "
                          "or pass a .tsv)");
  }
  if (path.extension() == ".tsv") {
    impl_->db = detail::open_db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    detail::import_tsv(impl_->db.get(), path);
  } else {
    // immutable=1: the builder replaces a database by renaming a new file over it, never
    // by writing into it, so SQLite may skip the file lock and change check that it would
    // otherwise take around every statement (most of the cost of a small query).
    impl_->db = detail::open_db("file:" + uri_escape(name) + "?immutable=1",
                                SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI);
  }
  sqlite3* db = impl_->db.get();
  std::string format;
  try {
    format = read_meta(db, "format");
  } catch (const PlacesDataError& error) {
    throw PlacesDataError(name + ": not a herd places database (" + error.what() + ")");
  }
  if (format != detail::kPlacesFormat) {
    throw PlacesDataError(name + ": places database format is '" + format + "', expected '" +
                          std::string(detail::kPlacesFormat) + "'; rebuild it");
  }
  const std::string count = read_meta(db, "count");
  std::from_chars(count.data(), count.data() + count.size(), impl_->size);  // 0 if absent
  impl_->source_note = read_meta(db, "source");
  impl_->box_query = detail::prepare(db, kBoxQuerySql);
  impl_->detail_query = detail::prepare(db, kDetailQuerySql);
}

OfflineGazetteer::~OfflineGazetteer() = default;
OfflineGazetteer::OfflineGazetteer(OfflineGazetteer&&) noexcept = default;
OfflineGazetteer& OfflineGazetteer::operator=(OfflineGazetteer&&) noexcept = default;

std::size_t OfflineGazetteer::size() const noexcept { return impl_->size; }

const std::string& OfflineGazetteer::source_note() const noexcept { return impl_->source_note; }

std::vector<NearbyPlace> OfflineGazetteer::nearby(const NearbyQuery& query) const {
  if (auto problem = query_error(query)) throw std::invalid_argument(*problem);
  const LatLng centre{query.lat_deg, query.lng_deg};

  struct Candidate {
    double distance_m = 0;
    sqlite3_int64 id = 0;
    LatLng at;
  };
  const std::lock_guard lock(impl_->mutex);
  sqlite3* db = impl_->db.get();

  std::vector<Candidate> candidates;
  sqlite3_stmt* box_query = impl_->box_query.get();
  for (const LatLngBox& box : bounding_boxes(centre, query.radius_m)) {
    sqlite3_reset(box_query);
    sqlite3_bind_double(box_query, 1, box.lat_min_deg - kBoxPad_deg);
    sqlite3_bind_double(box_query, 2, box.lat_max_deg + kBoxPad_deg);
    sqlite3_bind_double(box_query, 3, box.lng_min_deg - kBoxPad_deg);
    sqlite3_bind_double(box_query, 4, box.lng_max_deg + kBoxPad_deg);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(box_query)) == SQLITE_ROW) {
      const LatLng at{sqlite3_column_double(box_query, 1), sqlite3_column_double(box_query, 2)};
      const double distance_m = haversine_distance_m(centre, at);
      if (distance_m <= query.radius_m) {
        candidates.push_back({distance_m, sqlite3_column_int64(box_query, 0), at});
      }
    }
    detail::check(db, rc, "places query", SQLITE_DONE);
  }
  sqlite3_reset(box_query);  // release the read snapshot between queries

  // Two boxes never overlap (one per side of the antimeridian), so no place appears twice.
  const auto nearer = [](const Candidate& a, const Candidate& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.id < b.id;
  };
  const auto keep = std::min(candidates.size(), static_cast<std::size_t>(query.limit));
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                    candidates.end(), nearer);
  candidates.resize(keep);

  std::vector<NearbyPlace> places;
  places.reserve(keep);
  sqlite3_stmt* detail_query = impl_->detail_query.get();
  for (const Candidate& candidate : candidates) {
    sqlite3_reset(detail_query);
    sqlite3_bind_int64(detail_query, 1, candidate.id);
    detail::check(db, sqlite3_step(detail_query), "place details", SQLITE_ROW);
    NearbyPlace found;
    found.distance_m = candidate.distance_m;
    found.place.lat_deg = candidate.at.lat_deg;
    found.place.lng_deg = candidate.at.lng_deg;
    found.place.name = column_text(detail_query, 0);
    found.place.vicinity = vicinity(column_text(detail_query, 2), column_text(detail_query, 1));
    found.place.place_id = column_text(detail_query, 3);
    found.place.types = {"locality", "political"};
    places.push_back(std::move(found));
  }
  sqlite3_reset(detail_query);
  return places;
}

std::string OfflineGazetteer::nearby_json(const NearbyQuery& query) const {
  if (auto problem = query_error(query)) return legacy_error_json("INVALID_REQUEST", *problem);
  std::vector<NearbyPlace> found;
  try {
    found = nearby(query);
  } catch (const std::exception& error) {
    return legacy_error_json("UNKNOWN_ERROR", error.what());
  }
  std::vector<LegacyPlace> places;
  places.reserve(found.size());
  for (auto& entry : found) places.push_back(std::move(entry.place));
  return legacy_results_json({kGeoNamesAttribution}, places);
}

}  // namespace herd::places
