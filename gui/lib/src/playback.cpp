#include "herd/gui/playback.hpp"

#include <algorithm>

namespace herd::gui {

PlaybackState playback_state(const sim::StoredApply* first, const sim::StoredApply* last,
                             std::size_t servers, std::int64_t at_ns) {
  PlaybackState state;
  state.at_ns = at_ns;
  state.holds.assign(servers, 0);
  for (const sim::StoredApply* a = first; a != last && a->at_ns <= at_ns; ++a) {
    ++state.delivered;
    if (a->server_id >= servers) continue;
    if (!state.holds[a->server_id]) {
      state.holds[a->server_id] = 1;
      ++state.holders;
    }
    if (a->from_id != sim::kNoFrom && static_cast<std::size_t>(a->from_id) < servers) {
      state.links.push_back({static_cast<std::uint32_t>(a->from_id), a->server_id, a->at_ns});
    }
  }
  return state;
}

PlaybackSpan playback_span(const sim::StoredApply* first, const sim::StoredApply* last) {
  PlaybackSpan span;
  if (first == last) return span;
  span.begin_ns = first->at_ns - first->delay_ns;  // acceptance time
  span.end_ns = span.begin_ns;
  for (const sim::StoredApply* a = first; a != last; ++a) span.end_ns = std::max(span.end_ns, a->at_ns);
  return span;
}

}  // namespace herd::gui
