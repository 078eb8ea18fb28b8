#include "herd/live/places_setup.hpp"

#include <string>

#include "herd/places/google_provider.hpp"
#include "herd/places/offline_provider.hpp"

namespace herd::live {

std::unique_ptr<places::PlacesProvider> make_places_provider(boost::asio::io_context& io,
                                                             const PlacesSettings& settings) {
  if (settings.provider == PlacesProviderKind::offline) {
    const auto path = settings.db.value_or(places::default_places_db_path());
    try {
      return places::make_offline_provider(path);
    } catch (const std::exception& error) {
      throw std::runtime_error("offline places: " + std::string(error.what()));
    }
  }
  places::GoogleOptions options;
  options.api_key = settings.google_api_key;
  options.api = settings.google_api == GoogleApi::legacy ? places::GoogleApi::legacy
                                                         : places::GoogleApi::places_new;
  options.timeout_ms = static_cast<int>(settings.timeout.count());
  try {
    return places::make_google_provider(io, std::move(options));
  } catch (const std::exception& error) {
    throw std::runtime_error("google places: " + std::string(error.what()));
  }
}

}  // namespace herd::live
