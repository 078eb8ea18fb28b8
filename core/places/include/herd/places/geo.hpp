#pragma once
// Spherical geometry for place look-ups: great-circle distance and the latitude/longitude
// boxes that enclose a search circle, split where a circle crosses the antimeridian.

#include <vector>

namespace herd::places {

// Mean Earth radius (IUGG); Google and most gazetteers quote distances on this sphere.
inline constexpr double kEarthRadius_m = 6371008.8;

struct LatLng {
  double lat_deg = 0;
  double lng_deg = 0;
};

// A box in degrees with lng_min_deg <= lng_max_deg (never wrapping).
struct LatLngBox {
  double lat_min_deg = 0;
  double lat_max_deg = 0;
  double lng_min_deg = 0;
  double lng_max_deg = 0;
};

// Great-circle distance by the haversine formula; accurate for small and antipodal
// separations alike.
[[nodiscard]] double haversine_distance_m(LatLng a, LatLng b);

// Boxes that together contain every point within radius_m of centre: one box normally, two
// when the circle crosses the antimeridian, one full-longitude box when it reaches a pole.
// Expects a valid centre (|lat| <= 90, |lng| <= 180) and radius_m >= 0.
[[nodiscard]] std::vector<LatLngBox> bounding_boxes(LatLng centre, double radius_m);

}  // namespace herd::places
