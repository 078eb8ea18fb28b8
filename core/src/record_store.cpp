#include "herd/core/record_store.hpp"

#include <utility>

namespace herd::core {

std::optional<LocationUpdate> LocationUpdate::from_at_line(SharedText at_line) {
  if (!at_line) return std::nullopt;
  // An AT line is a peer update without its hop count; reuse the one strict parser.
  std::string with_hops = *at_line + " 1";
  auto parsed = parse_peer_update(with_hops);
  if (!parsed || parsed->at_line.size() != at_line->size()) return std::nullopt;
  auto view_of = [&](std::string_view field) {
    return std::string_view(at_line->data() + (field.data() - with_hops.data()), field.size());
  };
  LocationUpdate update;
  update.origin = view_of(parsed->origin);
  update.diff = view_of(parsed->diff);
  update.client = view_of(parsed->client);
  update.coords = view_of(parsed->coords);
  update.client_time = view_of(parsed->client_time);
  update.position = parsed->position;
  update.client_time_ns = parsed->client_time_ns;
  update.at_line = std::move(at_line);
  return update;
}

OfferResult RecordStore::offer(const LocationUpdate& update, Instant now, std::uint32_t hops) {
  auto it = records_.find(update.client);
  if (it == records_.end()) {
    records_.emplace(std::string(update.client), StoredRecord{update, now, hops});
    return OfferResult::applied;
  }
  int order = compare_updates(update, it->second.update);
  if (order == 0) return OfferResult::duplicate;
  if (order < 0) return OfferResult::older;
  it->second = StoredRecord{update, now, hops};
  return OfferResult::applied;
}

const StoredRecord* RecordStore::find(std::string_view client) const {
  auto it = records_.find(client);
  return it == records_.end() ? nullptr : &it->second;
}

}  // namespace herd::core
