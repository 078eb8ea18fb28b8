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
// compare equal only if their AT lines are identical. A template so that a freshly parsed
// PeerUpdate can be compared with a stored record before anything is copied.
template <typename A, typename B>
[[nodiscard]] int compare_updates(const A& a, const B& b) noexcept {
  if (a.client_time_ns != b.client_time_ns) return a.client_time_ns < b.client_time_ns ? -1 : 1;
  int c = a.origin.compare(b.origin);
  if (c == 0) c = a.coords.compare(b.coords);
  if (c == 0) c = a.diff.compare(b.diff);
  if (c == 0) c = a.client_time.compare(b.client_time);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

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
  // The key is its own string (short client IDs live inside the node), so a lookup and the
  // timestamp comparison usually touch one cache line, not the AT line's buffer too.
  std::unordered_map<std::string, StoredRecord, TransparentHash, std::equal_to<>> records_;
};

}  // namespace herd::core
