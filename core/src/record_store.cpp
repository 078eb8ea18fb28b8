#include "herd/core/record_store.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "herd/core/prng.hpp"

namespace herd::core {

std::uint64_t update_id(std::string_view at_line) noexcept {
  // Eight bytes at a time, assembled little-endian by hand so every platform agrees, each
  // word folded through the SplitMix64 finaliser: several times faster than byte-wise FNV
  // on ~100-byte lines, and it runs for every stored update.
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ at_line.size();
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint64_t>(static_cast<unsigned char>(at_line[k])); };
  for (; i + 8 <= at_line.size(); i += 8) {
    std::uint64_t w = 0;
    for (std::size_t b = 0; b < 8; ++b) w |= byte(i + b) << (8 * b);
    h = SplitMix64::mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
  }
  std::uint64_t tail = 0;
  for (std::size_t b = 0; i + b < at_line.size(); ++b) tail |= byte(i + b) << (8 * b);
  return SplitMix64::mix(h ^ tail);
}

std::string format_update_id(std::uint64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, id >>= 4) text[static_cast<std::size_t>(i)] = kHex[id & 0xf];
  return text;
}

std::optional<std::uint64_t> parse_update_id(std::string_view text) noexcept {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id, 16);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return id;
}


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

std::uint32_t digest_leaf_of(std::string_view client) noexcept {
  return static_cast<std::uint32_t>(update_id(client) % kDigestLeaves);
}

RecordStore::RecordStore(bool keep_digests) {
  if (keep_digests) {
    leaf_digest_.assign(kDigestLeaves, 0);
    group_digest_.assign(kDigestGroups, 0);
  }
}

void RecordStore::fold_into_digests(std::string_view client, std::uint64_t change) {
  if (leaf_digest_.empty()) return;
  std::uint32_t leaf = digest_leaf_of(client);
  leaf_digest_[leaf] ^= change;
  group_digest_[leaf / kLeavesPerGroup] ^= change;
}

std::vector<const StoredRecord*> RecordStore::leaf_records(std::uint32_t leaf) const {
  std::vector<const StoredRecord*> found;
  for (const auto& [client, record] : records_) {
    if (digest_leaf_of(client) == leaf) found.push_back(&record);
  }
  std::sort(found.begin(), found.end(), [](const StoredRecord* a, const StoredRecord* b) {
    return a->update.client < b->update.client;
  });
  return found;
}

OfferResult RecordStore::offer(const LocationUpdate& update, Instant now, std::uint32_t hops) {
  auto it = records_.find(update.client);
  if (it == records_.end()) {
    std::uint64_t id = update_id(*update.at_line);
    records_.emplace(std::string(update.client), StoredRecord{update, now, hops, id});
    fold_into_digests(update.client, id);
    return OfferResult::applied;
  }
  int order = compare_updates(update, it->second.update);
  if (order == 0) return OfferResult::duplicate;
  if (order < 0) return OfferResult::older;
  std::uint64_t id = update_id(*update.at_line);
  fold_into_digests(update.client, it->second.id ^ id);
  it->second = StoredRecord{update, now, hops, id};
  return OfferResult::applied;
}

const StoredRecord* RecordStore::find(std::string_view client) const {
  auto it = records_.find(client);
  return it == records_.end() ? nullptr : &it->second;
}

}  // namespace herd::core
