#include "herd/places/geo.hpp"

#include <catch2/catch.hpp>

namespace {
using herd::places::bounding_boxes;
using herd::places::haversine_distance_m;
using herd::places::LatLng;
using herd::places::LatLngBox;

bool contains(const std::vector<LatLngBox>& boxes, LatLng point) {
  for (const auto& box : boxes) {
    if (point.lat_deg >= box.lat_min_deg && point.lat_deg <= box.lat_max_deg &&
        point.lng_deg >= box.lng_min_deg && point.lng_deg <= box.lng_max_deg) {
      return true;
    }
  }
  return false;
}
}  // namespace

TEST_CASE("geo: haversine distance matches known separations") {
  // One degree of latitude on the mean sphere: 2*pi*R/360.
  CHECK(haversine_distance_m({0, 0}, {1, 0}) == Approx(111195.08).margin(0.1));
  CHECK(haversine_distance_m({34.068930, -118.445127}, {34.068930, -118.445127}) == 0.0);
  // UCLA to Beverly Hills (GeoNames point), about 4.16 km.
  CHECK(haversine_distance_m({34.068930, -118.445127}, {34.07362, -118.40036}) ==
        Approx(4156).margin(2));
  // Across the antimeridian the short way round, not 359 degrees.
  CHECK(haversine_distance_m({0, 179.5}, {0, -179.5}) == Approx(111195.08).margin(0.1));
  // Antipodes: half the circumference, without NaN from rounding.
  CHECK(haversine_distance_m({10, 20}, {-10, -160}) == Approx(20015086.8).margin(1));
}

TEST_CASE("geo: box of a small circle is one box around the centre") {
  const auto boxes = bounding_boxes({34.0, -118.0}, 10000);
  REQUIRE(boxes.size() == 1);
  CHECK(boxes[0].lat_min_deg == Approx(34.0 - 0.08993).margin(1e-4));
  CHECK(boxes[0].lat_max_deg == Approx(34.0 + 0.08993).margin(1e-4));
  // Wider in longitude than latitude by about 1/cos(34 deg).
  CHECK(boxes[0].lng_max_deg - boxes[0].lng_min_deg == Approx(2 * 0.08993 / 0.8290).margin(1e-3));
}

TEST_CASE("geo: circle across the antimeridian splits into two boxes") {
  const auto boxes = bounding_boxes({-17.0, 179.9}, 50000);
  REQUIRE(boxes.size() == 2);
  CHECK(contains(boxes, {-17.0, 179.95}));
  CHECK(contains(boxes, {-17.0, -179.8}));
  CHECK_FALSE(contains(boxes, {-17.0, 0.0}));
  const auto west = bounding_boxes({-17.0, -179.9}, 50000);
  REQUIRE(west.size() == 2);
  CHECK(contains(west, {-17.0, 179.8}));
}

TEST_CASE("geo: circle reaching a pole covers every longitude") {
  const auto north = bounding_boxes({89.9, 10.0}, 20000);
  REQUIRE(north.size() == 1);
  CHECK(north[0].lat_max_deg == 90.0);
  CHECK(north[0].lng_min_deg == -180.0);
  CHECK(north[0].lng_max_deg == 180.0);
  CHECK(contains(north, {89.95, -170.0}));
  const auto south = bounding_boxes({-90.0, 0.0}, 1000);
  REQUIRE(south.size() == 1);
  CHECK(south[0].lat_min_deg == -90.0);
}

TEST_CASE("geo: every point within the radius lies in the boxes") {
  // Walk a ring of points just inside the circle, for centres in awkward places.
  const std::vector<LatLng> centres = {
      {0, 0}, {60, 179.99}, {-75, -179.5}, {88.5, 45}, {34.06893, -118.445127}};
  for (const auto& centre : centres) {
    for (const double radius_m : {1000.0, 50000.0, 300000.0}) {
      const auto boxes = bounding_boxes(centre, radius_m);
      for (int step = 0; step < 360; step += 5) {
        // Destination point at 0.999 * radius on bearing `step`.
        const double d = 0.999 * radius_m / herd::places::kEarthRadius_m;
        const double bearing = step * 3.14159265358979 / 180;
        const double lat1 = centre.lat_deg * 3.14159265358979 / 180;
        const double lng1 = centre.lng_deg * 3.14159265358979 / 180;
        const double lat2 = std::asin(std::sin(lat1) * std::cos(d) +
                                      std::cos(lat1) * std::sin(d) * std::cos(bearing));
        double lng2 = lng1 + std::atan2(std::sin(bearing) * std::sin(d) * std::cos(lat1),
                                        std::cos(d) - std::sin(lat1) * std::sin(lat2));
        double lng2_deg = lng2 * 180 / 3.14159265358979;
        while (lng2_deg > 180) lng2_deg -= 360;
        while (lng2_deg < -180) lng2_deg += 360;
        const LatLng point{lat2 * 180 / 3.14159265358979, lng2_deg};
        INFO("centre " << centre.lat_deg << "," << centre.lng_deg << " radius " << radius_m
                       << " bearing " << step);
        CHECK(haversine_distance_m(centre, point) <= radius_m);
        CHECK(contains(boxes, point));
      }
    }
  }
}
