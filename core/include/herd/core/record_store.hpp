#pragma once
// What a server knows about each client: the newest location update under the herd's
// total order (PROTOCOL.md §2), so that every server converges to the same record.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "herd/core/codec.hpp"
#include "herd/core/time.hpp"

namespace herd::core {

// One buffer shared by every output and record that carries the same bytes.
using SharedText = std::shared_ptr<const std::string>;

// A location update. Its identity is its AT line, which names the origin server and echoes
// the client's operands; every server stores the same line for the same update.
struct LocationUpdate {
  SharedText at_line;        // "AT <origin> <diff> <client> <coords> <client-time>"
  std::string_view origin;   // views into *at_line
  std::string_view diff;
  std::string_view client;
  std::string_view coords;
  std::string_view client_time;
  GeoPoint position;
  Nanoseconds client_time_ns = 0;

  // Builds an update from its AT line; false if the line is not a valid one.
  [[nodiscard]] static std::optional<LocationUpdate> from_at_line(SharedText at_line);
};

// The herd's total order on updates of one client: client timestamp first, then origin
// name, coordinates, time difference and timestamp text, all compared as bytes. Two updates
// compare equal only if their AT lines are identical.
[[nodiscard]] int compare_updates(const LocationUpdate& a, const LocationUpdate& b) noexcept;

struct StoredRecord {
  LocationUpdate update;
  Instant applied_at;   // local time this server first held it
  std::uint32_t hops = 0;  // 0 at the origin
};

enum class OfferResult { applied, duplicate, older };

class RecordStore {
 public:
  // Stores the update if it is newer than what the store holds for its client.
  OfferResult offer(const LocationUpdate& update, Instant now, std::uint32_t hops);
  [[nodiscard]] const StoredRecord* find(std::string_view client) const;
  [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }

  // Visits records in an unspecified order; callers that produce output sort first.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [client, record] : records_) fn(record);
  }

 private:
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  // Keyed by a view into the record's own AT line, so the client ID is stored once.
  std::unordered_map<std::string_view, StoredRecord, TransparentHash, std::equal_to<>> records_;
};

}  // namespace herd::core
