#pragma once
// Builds the places provider a herd configuration asks for: the offline gazetteer (the
// built-in database unless [places] db names one) or Google Places over HTTPS.

#include <memory>
#include <stdexcept>

#include <boost/asio/io_context.hpp>

#include "herd/live/config.hpp"
#include "herd/places/provider.hpp"

namespace herd::live {

// Throws std::runtime_error with a message naming what could not be set up (e.g. the
// database path).
[[nodiscard]] std::unique_ptr<places::PlacesProvider> make_places_provider(
    boost::asio::io_context& io, const PlacesSettings& settings);

}  // namespace herd::live
