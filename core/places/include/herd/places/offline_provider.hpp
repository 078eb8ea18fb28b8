#pragma once
// The default PlacesProvider: answers from the offline gazetteer, no network, no key.

#include <filesystem>
#include <memory>

#include "herd/places/provider.hpp"

namespace herd::places {

// Answers each nearby() synchronously, calling `done` before nearby() returns, on the
// caller's thread (the runtime keeps per-connection reply order itself). `path` is a
// database built by herd-places-build, or a .tsv loaded into memory. Throws
// PlacesDataError naming the path when it cannot be opened.
[[nodiscard]] std::unique_ptr<PlacesProvider> make_offline_provider(
    const std::filesystem::path& path);

// The database the build produces from data/places/geonames-cities.tsv
// (<build dir>/data/places.db), compiled in as HERD_DEFAULT_PLACES_DB: what a server uses
// when its configuration names no places file. It points into the build tree, so an
// installed or relocated binary should be given a path explicitly.
[[nodiscard]] std::filesystem::path default_places_db_path();

}  // namespace herd::places
