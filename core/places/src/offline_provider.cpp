#include "herd/places/offline_provider.hpp"

#include <utility>

#include "herd/places/offline_gazetteer.hpp"

#ifndef HERD_DEFAULT_PLACES_DB
#error "HERD_DEFAULT_PLACES_DB must be defined by core/places/CMakeLists.txt"
#endif

namespace herd::places {
namespace {

class OfflineProvider final : public PlacesProvider {
 public:
  explicit OfflineProvider(const std::filesystem::path& path) : gazetteer_(path) {}

  void nearby(const NearbyQuery& query, NearbyCallback done) override {
    done(gazetteer_.nearby_json(query));
  }

 private:
  OfflineGazetteer gazetteer_;
};

}  // namespace

std::unique_ptr<PlacesProvider> make_offline_provider(const std::filesystem::path& path) {
  return std::make_unique<OfflineProvider>(path);
}

std::filesystem::path default_places_db_path() { return HERD_DEFAULT_PLACES_DB; }

}  // namespace herd::places
