#pragma once
// Where an update is at a moment of virtual time, as a pure function of its delivery rows
// (the applies table): which servers hold it and over which friend link each got it. The
// topology view's playback draws exactly this state frame by frame.

#include <cstdint>
#include <vector>

#include "herd/sim/results_reader.hpp"

namespace herd::gui {

struct CarriedLink {
  std::uint32_t from = 0, to = 0;
  std::int64_t at_ns = 0;  // when `to` got the update over it
};

struct PlaybackState {
  std::int64_t at_ns = 0;
  std::vector<std::uint8_t> holds;  // per server: 1 if it holds the update at at_ns
  std::size_t holders = 0;
  std::vector<CarriedLink> links;   // by at_ns: links that carried it so far
  // Rows with at_ns <= at_ns (a prefix of the update's rows sorted by time).
  std::size_t delivered = 0;
};

// `rows` are one update's applies, sorted by at_ns (as ResultsReader::applies_of_update and
// RunData::applies_of return them). Server ids at or past `servers` are ignored.
[[nodiscard]] PlaybackState playback_state(const sim::StoredApply* first,
                                           const sim::StoredApply* last, std::size_t servers,
                                           std::int64_t at_ns);

// The span playback covers for an update: from its acceptance to its last delivery.
struct PlaybackSpan {
  std::int64_t begin_ns = 0, end_ns = 0;
};
[[nodiscard]] PlaybackSpan playback_span(const sim::StoredApply* first,
                                         const sim::StoredApply* last);

}  // namespace herd::gui
