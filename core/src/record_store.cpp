#include "herd/core/record_store.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <charconv>
#include <stdexcept>
#include <utility>

#include "herd/core/prng.hpp"

namespace herd::core {

namespace {

// Eight bytes as a little-endian word on every platform (the id is on the wire).
std::uint64_t load_le64(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

}  // namespace

std::uint64_t update_id(std::string_view at_line) noexcept {
  // Eight bytes at a time, read little-endian so every platform agrees, each word folded
  // through the SplitMix64 finaliser: several times faster than byte-wise FNV on ~100-byte
  // lines, and it runs for every stored update.
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ at_line.size();
  std::size_t i = 0;
  for (; i + 8 <= at_line.size(); i += 8) {
    h = SplitMix64::mix(h ^ load_le64(at_line.data() + i)) + 0x9e3779b97f4a7c15ULL;
  }
  std::uint64_t tail = 0;
  for (std::size_t b = 0; i + b < at_line.size(); ++b) {
    tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(at_line[i + b])) << (8 * b);
  }
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
  auto parsed = parse_at_line(*at_line);
  // The line must be exactly the AT line: no white space around it, single spaces inside,
  // so that every server stores and compares the same bytes.
  if (!parsed || parsed->at_line.size() != at_line->size()) return std::nullopt;
  LocationUpdate update;
  update.origin = parsed->origin;
  update.diff = parsed->diff;
  update.client = parsed->client;
  update.coords = parsed->coords;
  update.client_time = parsed->client_time;
  update.position = parsed->position;
  update.client_time_ns = parsed->client_time_ns;
  update.at_line = std::move(at_line);
  return update;
}

LocationUpdate LocationUpdate::accepted(std::string_view origin, Nanoseconds diff_ns,
                                        std::string_view client, std::string_view coords,
                                        std::string_view client_time, GeoPoint position,
                                        Nanoseconds client_time_ns) {
  auto line = SharedText(
      format_at_line(origin, diff_ns, client, coords, client_time));
  // "AT <origin> <diff> <client> <coords> <client-time>": each field starts one past the
  // previous field's end.
  LocationUpdate update;
  const char* p = line->data() + 3;
  auto take = [&](std::size_t size) {
    std::string_view field(p, size);
    p += size + 1;
    return field;
  };
  update.origin = take(origin.size());
  update.diff = take(line->size() - 3 - origin.size() - client.size() - coords.size() -
                     client_time.size() - 4);
  update.client = take(client.size());
  update.coords = take(coords.size());
  update.client_time = take(client_time.size());
  update.position = position;
  update.client_time_ns = client_time_ns;
  update.at_line = std::move(line);
  return update;
}

StoredUpdate::StoredUpdate(const LocationUpdate& update)
    : at_line(update.at_line),
      client_time_ns(update.client_time_ns),
      client_at_(static_cast<std::uint32_t>(update.client.data() - at_line->data())),
      client_size_(static_cast<std::uint32_t>(update.client.size())) {}

PeerUpdate StoredUpdate::fields() const noexcept {
  // Stored lines were valid AT lines, so the split succeeds; an empty store entry has none.
  if (!at_line) return {};
  auto split = split_at_line(*at_line);
  return split ? *split : PeerUpdate{};
}

GeoPoint StoredUpdate::position() const noexcept {
  auto position = parse_iso6709(coords());
  return position ? *position : GeoPoint{};
}

LocationUpdate StoredUpdate::full() const {
  const PeerUpdate split = fields();
  LocationUpdate update;
  update.at_line = at_line;
  update.origin = split.origin;
  update.diff = split.diff;
  update.client = split.client;
  update.coords = split.coords;
  update.client_time = split.client_time;
  update.position = position();
  update.client_time_ns = client_time_ns;
  return update;
}

namespace {

// The index hashes a client ID the way digests place it, so a look-up's hash also names
// the client's digest leaf.
std::uint64_t client_hash(std::string_view client) noexcept { return update_id(client); }
std::uint32_t leaf_of_hash(std::uint64_t client_hash) noexcept {
  return static_cast<std::uint32_t>(client_hash % kDigestLeaves);
}

constexpr std::size_t kInitialSlots = 4;  // a server in a flood of a few updates holds a few

}  // namespace

std::uint32_t digest_leaf_of(std::string_view client) noexcept {
  return leaf_of_hash(client_hash(client));
}

RecordStore::RecordStore(bool keep_digests)
    : digests_(keep_digests ? std::make_unique<Digests>() : nullptr) {}

const RecordStore::Digests& RecordStore::digests() const {
  if (!digests_) throw std::out_of_range("RecordStore: digests asked of a store that keeps none");
  return *digests_;
}

RecordStore::~RecordStore() = default;
RecordStore::RecordStore(RecordStore&&) noexcept = default;
RecordStore& RecordStore::operator=(RecordStore&&) noexcept = default;

void RecordStore::fold_into_digests(std::uint64_t client_hash, std::uint64_t change) {
  if (!digests_) return;
  const std::uint32_t leaf = leaf_of_hash(client_hash);
  digests_->leaf[leaf] ^= change;
  digests_->group[leaf / kLeavesPerGroup] ^= change;
}

std::vector<const StoredRecord*> RecordStore::leaf_records(std::uint32_t leaf) const {
  std::vector<const StoredRecord*> found;
  for (std::size_t i = 0; i < size_; ++i) {
    const Entry& e = entry(i);
    if (digest_leaf_of(e.update.client()) == leaf) found.push_back(&e);
  }
  std::sort(found.begin(), found.end(), [](const StoredRecord* a, const StoredRecord* b) {
    return a->update.client() < b->update.client();
  });
  return found;
}

std::size_t RecordStore::probe(std::string_view client, std::uint64_t hash,
                               std::optional<std::uint64_t> line_id) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (!slot.entry) return i;
    if (slot.hash != hash) continue;
    // The id hashes the whole AT line, the client ID included: a match is this client's
    // record without reading the entry. Otherwise the key decides.
    if ((line_id && slot.id == *line_id) || slot.entry->update.client() == client) return i;
  }
}

void RecordStore::grow_index() {
  std::vector<Slot> old(slots_.empty() ? kInitialSlots : slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (!slot.entry) continue;
    std::size_t i = static_cast<std::size_t>(slot.hash) & mask;
    while (slots_[i].entry) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

RecordStore::Lookup RecordStore::lookup(std::string_view client,
                                        std::optional<std::uint64_t> line_id) const {
  Lookup at;
  at.hash = client_hash(client);
  if (slots_.empty()) return at;  // nothing held; offer() makes the index
  at.slot = probe(client, at.hash, line_id);
  if (const Slot& slot = slots_[at.slot]; slot.entry) {
    at.record = slot.entry;
    at.id = slot.id;
    at.client_time_ns = slot.client_time_ns;
  }
  return at;
}

OfferResult RecordStore::offer(const LocationUpdate& update, Instant now, std::uint32_t hops,
                               const StoredRecord** stored) {
  return offer(lookup(update.client), update, now, hops, stored);
}

OfferResult RecordStore::offer(const Lookup& at, const LocationUpdate& update, Instant now,
                               std::uint32_t hops, const StoredRecord** stored,
                               std::optional<std::uint64_t> known_id) {
  if (slots_.empty()) {
    grow_index();
    Lookup fresh = at;
    fresh.slot = probe(update.client, at.hash, std::nullopt);
    return offer(fresh, update, now, hops, stored, known_id);
  }
  Slot& slot = slots_[at.slot];
  if (slot.entry) {
    StoredRecord& held = *slot.entry;
    int order = compare_updates(update, held.update);
    if (order == 0) return OfferResult::duplicate;
    if (order < 0) return OfferResult::older;
    std::uint64_t id = known_id ? *known_id : update_id(*update.at_line);
    fold_into_digests(at.hash, held.id ^ id);
    held = StoredRecord{StoredUpdate(update), now, hops, id};
    slot.id = id;
    slot.client_time_ns = update.client_time_ns;
    if (stored) *stored = &held;
    return OfferResult::applied;
  }
  if (std::size_t entries = chunk_starting_at(size_); entries != 0) {
    chunks_.push_back(std::make_unique<Entry[]>(entries));
  }
  std::uint64_t id = known_id ? *known_id : update_id(*update.at_line);
  Entry& e = entry(size_);
  e = StoredRecord{StoredUpdate(update), now, hops, id};
  slot = Slot{id, update.client_time_ns, &e, at.hash};
  ++size_;
  fold_into_digests(at.hash, id);
  if (stored) *stored = &e;
  // At most three quarters full: linear probing stays short with a mixed hash, and the
  // index costs 43 to 85 bytes per record rather than 64 to 128 at one half.
  if (size_ * 4 > slots_.size() * 3) grow_index();
  return OfferResult::applied;
}

void RecordStore::prefetch(std::string_view client) const noexcept {
  if (slots_.empty()) return;
  __builtin_prefetch(&slots_[static_cast<std::size_t>(client_hash(client)) & (slots_.size() - 1)]);
}

const StoredRecord* RecordStore::find(std::string_view client) const {
  return lookup(client).record;
}

}  // namespace herd::core
