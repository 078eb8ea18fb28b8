// herd-places-build <tsv> <db>: builds the offline gazetteer's SQLite R*Tree database from
// a places TSV (format in herd/places/places_db.hpp). The build runs it on
// data/places/geonames-cities.tsv; run it by hand for a custom place list.

#include <exception>
#include <iostream>
#include <string_view>

#include "herd/places/places_db.hpp"

int main(int argc, char** argv) {
  const bool help = argc == 2 && std::string_view(argv[1]) == "--help";
  if (argc != 3) {
    std::cerr << "usage: herd-places-build <places.tsv> <places.db>\n"
                 "Builds the offline gazetteer database (SQLite with an R*Tree index) from a "
                 "TSV of name, lat, lng, country, admin1.\n";
    return help ? 0 : 2;
  }
  try {
    const std::size_t count = herd::places::build_places_db(argv[1], argv[2]);
    std::cout << "herd-places-build: " << count << " places -> " << argv[2] << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "herd-places-build: " << error.what() << '\n';
    return 1;
  }
}
