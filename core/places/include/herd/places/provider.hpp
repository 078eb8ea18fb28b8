#pragma once
// Places behind one interface (docs/architecture.md#places). Every provider answers in the
// shape of the Google Places Nearby Search (legacy) response, as a JSON text, nearest place
// first.

#include <functional>
#include <memory>
#include <string>

namespace herd::places {

struct NearbyQuery {
  double lat_deg = 0;
  double lng_deg = 0;
  double radius_m = 0;
  int limit = 20;  // the WHATSAT information bound, 1..20
};

// Called exactly once per query, on the thread that runs the provider's executor, with a
// complete legacy-shape JSON object; failures are answered in that shape too (a non-OK
// "status" with an "error_message"), never by not calling back.
using NearbyCallback = std::function<void(std::string json)>;

class PlacesProvider {
 public:
  virtual ~PlacesProvider() = default;
  virtual void nearby(const NearbyQuery& query, NearbyCallback done) = 0;
};

}  // namespace herd::places
