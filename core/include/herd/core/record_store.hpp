#pragma once
// What a server knows about each client: the newest location update under the herd's
// total order (docs/protocol.md#the-total-order), so that every server converges to the
// same record.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herd/core/codec.hpp"
#include "herd/core/shared_text.hpp"
#include "herd/core/time.hpp"

namespace herd::core {

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
  // Builds the update a server accepts from an IAMAT whose operands are already validated:
  // its AT line formatted once, the views placed by construction rather than re-parsed.
  [[nodiscard]] static LocationUpdate accepted(std::string_view origin, Nanoseconds diff_ns,
                                               std::string_view client, std::string_view coords,
                                               std::string_view client_time, GeoPoint position,
                                               Nanoseconds client_time_ns);
};

// An update as a record store holds it: the AT line, the client timestamp and where the
// client ID lies in the line; 24 bytes rather than a LocationUpdate's 112, for a store holds
// one per client on every server. The client ID is compared on look-ups, so it is kept at
// hand; the other fields are found again by splitting the line (a shape-only split, the line
// having been validated when it was stored) on the paths that need them: equal timestamps,
// WHATSAT, anti-entropy and plumtree messages.
class StoredUpdate {
 public:
  StoredUpdate() = default;
  // `update.client` must view into `update.at_line`, as every LocationUpdate's fields do.
  explicit StoredUpdate(const LocationUpdate& update);

  SharedText at_line;  // "AT <origin> <diff> <client> <coords> <client-time>"
  Nanoseconds client_time_ns = 0;

  [[nodiscard]] std::string_view client() const noexcept {
    return {at_line.view().data() + client_at_, client_size_};
  }
  [[nodiscard]] std::string_view origin() const noexcept { return fields().origin; }
  [[nodiscard]] std::string_view diff() const noexcept { return fields().diff; }
  [[nodiscard]] std::string_view coords() const noexcept { return fields().coords; }
  [[nodiscard]] std::string_view client_time() const noexcept { return fields().client_time; }
  [[nodiscard]] GeoPoint position() const noexcept;
  // The field views (into *at_line) without position or client_time_ns.
  [[nodiscard]] PeerUpdate fields() const noexcept;
  // Everything, for code that takes a LocationUpdate.
  [[nodiscard]] LocationUpdate full() const;

 private:
  std::uint32_t client_at_ = 0;
  std::uint32_t client_size_ = 0;
};

namespace detail {
inline const LocationUpdate& update_fields(const LocationUpdate& u) noexcept { return u; }
inline const PeerUpdate& update_fields(const PeerUpdate& u) noexcept { return u; }
inline PeerUpdate update_fields(const StoredUpdate& u) noexcept { return u.fields(); }
}  // namespace detail

// The herd's total order on updates of one client: client timestamp first, then origin
// name, coordinates, time difference and timestamp text, all compared as bytes. Two updates
// compare equal only if their AT lines are identical. A template so that a freshly parsed
// PeerUpdate can be compared with a stored record before anything is copied; a stored
// update's fields are split out only when the timestamps are equal.
template <typename A, typename B>
[[nodiscard]] int compare_updates(const A& a_update, const B& b_update) noexcept {
  if (a_update.client_time_ns != b_update.client_time_ns) {
    return a_update.client_time_ns < b_update.client_time_ns ? -1 : 1;
  }
  decltype(auto) a = detail::update_fields(a_update);
  decltype(auto) b = detail::update_fields(b_update);
  int c = a.origin.compare(b.origin);
  if (c == 0) c = a.coords.compare(b.coords);
  if (c == 0) c = a.diff.compare(b.diff);
  if (c == 0) c = a.client_time.compare(b.client_time);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// A 64-bit identity of an update, the same on every server: a hash of its AT line.
[[nodiscard]] std::uint64_t update_id(std::string_view at_line) noexcept;
[[nodiscard]] std::string format_update_id(std::uint64_t id);  // 16 hex digits
[[nodiscard]] std::optional<std::uint64_t> parse_update_id(std::string_view text) noexcept;

struct StoredRecord {
  StoredUpdate update;
  Instant applied_at;   // local time this server first held it
  std::uint32_t hops = 0;  // 0 at the origin
  std::uint64_t id = 0;    // update_id(*update.at_line)
};

enum class OfferResult { applied, duplicate, older };

// Records are spread over kDigestLeaves buckets by a hash of the client ID; each bucket's
// digest is the XOR of its records' update ids, kept up to date on every change. Two
// servers holding the same records have the same digests; anti-entropy compares the
// kDigestGroups group digests (XOR of kDigestLeaves / kDigestGroups leaves) first and
// descends only into groups that differ.
inline constexpr std::uint32_t kDigestLeaves = 1024;
inline constexpr std::uint32_t kDigestGroups = 32;
inline constexpr std::uint32_t kLeavesPerGroup = kDigestLeaves / kDigestGroups;

[[nodiscard]] std::uint32_t digest_leaf_of(std::string_view client) noexcept;

// The records of one server, keyed by client ID. Every peer message a server receives
// looks its client up here, and on a big herd each look-up is a cache miss, so the index
// slots carry what most look-ups need: the held record's id and client timestamp. A flood's
// usual message, a repeat of the held update, is settled from the slot alone (one miss);
// entries holding the records live in chunks that never move, so a StoredRecord's address
// is stable. Records are never removed: a server forgets only by being replaced (a crash
// with amnesia).
class RecordStore {
 public:
  // Digests cost 8 KiB per store, so they are kept only when asked for (anti-entropy).
  explicit RecordStore(bool keep_digests = false);
  ~RecordStore();
  RecordStore(RecordStore&&) noexcept;
  RecordStore& operator=(RecordStore&&) noexcept;
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  // Stores the update if it is newer than what the store holds for its client. `stored`,
  // if given, is set to the record now held when the update was applied.
  OfferResult offer(const LocationUpdate& update, Instant now, std::uint32_t hops,
                    const StoredRecord** stored = nullptr);
  [[nodiscard]] const StoredRecord* find(std::string_view client) const;

  // One look-up serving both a check and the offer that may follow it (a server's hot
  // path). `line_id`, the update_id of an AT line of this client, lets a slot whose id
  // matches answer without reading its entry. The Lookup is valid until the store changes.
  struct Lookup {
    const StoredRecord* record = nullptr;  // what is held for the client, if anything
    std::uint64_t id = 0;                  // record->id, read from the slot
    Nanoseconds client_time_ns = 0;        // record->update.client_time_ns, from the slot
    std::size_t slot = 0;
    std::uint64_t hash = 0;
  };
  [[nodiscard]] Lookup lookup(std::string_view client,
                              std::optional<std::uint64_t> line_id = std::nullopt) const;
  // `id`, if known, must be update_id(*update.at_line) (saves hashing the line again).
  OfferResult offer(const Lookup& at, const LocationUpdate& update, Instant now,
                    std::uint32_t hops, const StoredRecord** stored = nullptr,
                    std::optional<std::uint64_t> id = std::nullopt);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // Starts loading the index slot `client` hashes to (a performance hint only).
  void prefetch(std::string_view client) const noexcept;

  [[nodiscard]] bool keeps_digests() const noexcept { return digests_ != nullptr; }
  // Throw std::out_of_range unless the store keeps digests.
  [[nodiscard]] std::uint64_t leaf_digest(std::uint32_t leaf) const {
    return digests().leaf.at(leaf);
  }
  [[nodiscard]] std::uint64_t group_digest(std::uint32_t group) const {
    return digests().group.at(group);
  }
  // The records of one leaf, sorted by client ID. A scan of the whole store: meant for
  // reconciling the few leaves that differ, not for hot paths.
  [[nodiscard]] std::vector<const StoredRecord*> leaf_records(std::uint32_t leaf) const;

  // Visits records in the order their clients were first stored.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < size_; ++i) fn(entry(i));
  }

 private:
  // Each entry is the record alone: its client ID is read from the AT line it holds
  // (update.client views into it), not kept as a copy of its own.
  using Entry = StoredRecord;
  // 32 bytes, two to a cache line. `entry` is null in an empty slot.
  struct Slot {
    std::uint64_t id = 0;
    Nanoseconds client_time_ns = 0;
    Entry* entry = nullptr;
    std::uint64_t hash = 0;  // of the client ID, so growing never reads entries
  };
  // Chunks of 1, 2, 4, ... kLastChunk entries, then of kLastChunk each: a store's first
  // record costs one entry, not a chunk of sixteen, and a big store wastes at most one
  // chunk's worth rather than as many entries as it holds.
  static constexpr unsigned kDoublingChunks = 10;
  static constexpr std::size_t kLastChunk = std::size_t{1} << kDoublingChunks;
  static constexpr std::size_t kDoubledEntries = kLastChunk - 1;  // 1 + 2 + ... + 512

  [[nodiscard]] Entry& entry(std::size_t i) const noexcept {
    if (i < kDoubledEntries) {
      const std::size_t j = i + 1;
      const auto chunk = static_cast<unsigned>(std::bit_width(j)) - 1;
      return chunks_[chunk][j - (std::size_t{1} << chunk)];
    }
    const std::size_t k = i - kDoubledEntries;
    return chunks_[kDoublingChunks + k / kLastChunk][k % kLastChunk];
  }
  // Entries in the chunk that entry `i` starts, if it starts one (0 otherwise).
  [[nodiscard]] static std::size_t chunk_starting_at(std::size_t i) noexcept {
    if (i < kDoubledEntries) return std::has_single_bit(i + 1) ? i + 1 : 0;
    return (i - kDoubledEntries) % kLastChunk == 0 ? kLastChunk : 0;
  }
  // The slot holding `client`, or the empty slot where it would go.
  [[nodiscard]] std::size_t probe(std::string_view client, std::uint64_t hash,
                                  std::optional<std::uint64_t> line_id) const noexcept;
  void grow_index();
  void fold_into_digests(std::uint64_t client_hash, std::uint64_t change);

  std::vector<Slot> slots_;  // a power of two, at most three quarters full
  std::vector<std::unique_ptr<Entry[]>> chunks_;
  std::size_t size_ = 0;
  // Behind a pointer, null unless keep_digests: an object of a million-server herd's servers
  // is 40 bytes smaller than with two vectors.
  struct Digests {
    std::array<std::uint64_t, kDigestLeaves> leaf{};
    std::array<std::uint64_t, kDigestGroups> group{};
  };
  [[nodiscard]] const Digests& digests() const;
  std::unique_ptr<Digests> digests_;
};

}  // namespace herd::core
