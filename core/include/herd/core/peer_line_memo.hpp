#pragma once
// What a server makes of a friend's update line before it looks at its own state: the
// fields split out (split_peer_update), the values validated (check_peer_update_values)
// and the update's id (update_id). That work depends on the bytes alone, so for a line
// many servers receive (a flood's, built once and sent to every friend) a runtime may do it
// once and hand the result over with the bytes: Server::handle_conn_bytes then uses it in
// place of its own parse when the framer yields exactly the line it was made from.
//
// Made without parsing by the server that forwards an update (of_forward): it holds the
// update's fields, values and id already, and checks that the line is exactly the update's
// AT line and hop count. The simulator hands that memo to every friend the line reaches;
// the live runtime does not (its bytes come off a socket). A test runs scenarios with the
// memo on and off and compares fingerprints and every stored row, and with invariant checks
// on the simulator compares every memo with of_bytes of its line.

#include <cstdint>
#include <optional>
#include <string_view>

#include "herd/core/codec.hpp"
#include "herd/core/record_store.hpp"

namespace herd::core {

struct PeerLineMemo {
  std::uint64_t id = 0;  // update_id of the AT line
  Nanoseconds client_time_ns = 0;
  GeoPoint position;
  std::uint32_t hops = 0;
  // Where each field lies in the line, which is at most kMaxLine bytes.
  static constexpr std::size_t kMaxLine = 255;
  std::uint8_t line_size = 0;  // the line without its terminator
  struct Field {
    std::uint8_t at = 0;
    std::uint8_t size = 0;
  };
  Field at_line;  // the first six fields
  Field origin, diff, client, coords, client_time;

  // The memo of `bytes` if they are exactly one line (LF-terminated, an optional CR before
  // the LF, as LineFramer frames it) that is a valid peer update of at most kMaxLine bytes;
  // nothing otherwise (the receiver parses such bytes itself and finds out what is wrong).
  [[nodiscard]] static std::optional<PeerLineMemo> of_bytes(std::string_view bytes) noexcept;
  // The same for a line already framed (no terminator).
  [[nodiscard]] static std::optional<PeerLineMemo> of_line(std::string_view line) noexcept;
  // The memo of `bytes` made from what the sender knows: `update` (validated when it was
  // stored), its id and the hop count the line carries. Nothing unless `bytes` are exactly
  // update's AT line, a space, `hops` and LF, and short enough.
  [[nodiscard]] static std::optional<PeerLineMemo> of_forward(std::string_view bytes,
                                                              const LocationUpdate& update,
                                                              std::uint64_t id,
                                                              std::uint32_t hops) noexcept;
  // Field for field (the positions compared bit for bit).
  [[nodiscard]] bool same_as(const PeerLineMemo& other) const noexcept;
  // The update as split_peer_update and check_peer_update_values make it from `line`, the
  // bytes this memo was made from (its views point into `line`).
  [[nodiscard]] PeerUpdate update(std::string_view line) const noexcept;
};

}  // namespace herd::core
