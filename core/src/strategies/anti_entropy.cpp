// Anti-entropy: push-pull reconciliation over the record store's hierarchical digests
// (Demers et al., "Epidemic algorithms for replicated database maintenance", PODC 1987,
// with the digest tree of Merkle-style set reconciliation). The wire messages, their limits
// and the cost per round are specified in docs/strategies/anti-entropy.md:
//
//   AE GROUPS <d0> ... <d31>           round start: the initiator's 32 group digests
//   AE LEAVES <group> <d0> ... <d31>   the friend's 32 leaf digests of one differing group
//   AE PULL <leaf> ...                 the initiator asks for the friend's records of leaves
//   AE PUSH AT ... <hops>              one record, as a repair
//
// Records travel as AE PUSH rather than as plain "AT" lines so that the receiving server
// can tell a repair from a push: it keeps only what is newer (PeerChannel::apply_repair) and
// hands that to its push strategy as a repaired update, which spreads it without taking the
// friend's link for a push path (plumtree's tree) and without feedback (rumor's KNEW).
//
// The strategy keeps no per-exchange state: every message is answered from the current
// store, so a message lost to a dropped link leaves nothing waiting; the next round (or the
// next link-up) starts over. The only state is the round timer.

#include "strategies/anti_entropy.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace herd::core {
namespace {

constexpr std::string_view kGroupsWord = "GROUPS";
constexpr std::string_view kLeavesWord = "LEAVES";
constexpr std::string_view kPullWord = "PULL";
// The longest valid message is "AE LEAVES 31" and 32 digests: 556 bytes. Anything longer
// is rejected before it is split.
constexpr std::size_t kMaxMessageBytes = 600;
// Fields of the longest message: "AE", "LEAVES", the group and 32 digests.
constexpr std::size_t kMaxFields = 3 + kLeavesPerGroup;
// A pull names at most one group's worth of leaves (the initiator sends one per group).
constexpr std::size_t kMaxPullLeaves = kLeavesPerGroup;

using Digests = std::array<std::uint64_t, kLeavesPerGroup>;
static_assert(kDigestGroups == kLeavesPerGroup, "GROUPS and LEAVES carry the same count");

// A message split on single spaces. Empty fields (two spaces, a leading or trailing space)
// and more than kMaxFields fields make the split fail: peer messages are ours, so strict.
struct Fields {
  std::array<std::string_view, kMaxFields> at{};
  std::size_t count = 0;
};

std::optional<Fields> split_fields(std::string_view line) {
  Fields f;
  std::size_t start = 0;
  while (true) {
    std::size_t space = line.find(' ', start);
    std::string_view field = line.substr(start, space == line.npos ? line.npos : space - start);
    if (field.empty() || f.count == kMaxFields) return std::nullopt;
    f.at[f.count++] = field;
    if (space == line.npos) return f;
    start = space + 1;
  }
}

// Exactly 16 lowercase hex digits, as format_update_id writes them.
std::optional<std::uint64_t> parse_digest(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return parse_update_id(text);
}

// A decimal index of at most 4 digits without sign or leading zeros; range checked apart,
// so that an unknown leaf is told from a malformed one.
std::optional<std::uint32_t> parse_index(std::string_view text) {
  if (text.empty() || text.size() > 4 || (text.size() > 1 && text[0] == '0')) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

std::optional<Digests> parse_digests(std::span<const std::string_view> fields) {
  if (fields.size() != kLeavesPerGroup) return std::nullopt;
  Digests digests{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto d = parse_digest(fields[i]);
    if (!d) return std::nullopt;
    digests[i] = *d;
  }
  return digests;
}

std::string digest_line(std::string_view head, const Digests& digests) {
  std::string line;
  line.reserve(head.size() + digests.size() * 17 + 1);
  line.append(head);
  for (std::uint64_t d : digests) line.append(" ").append(format_update_id(d));
  line.push_back('\n');
  return line;
}

// now + delay, saturating: a huge configured period must not overflow into the past.
Instant later(Instant now, Nanoseconds delay_ns) {
  constexpr Nanoseconds kMax = std::numeric_limits<Nanoseconds>::max();
  return Instant{now.ns > 0 && delay_ns > kMax - now.ns ? kMax : now.ns + delay_ns};
}

class AntiEntropy final : public PropagationStrategy {
 public:
  explicit AntiEntropy(const PropagationConfig& config)
      : period_ns_(config.anti_entropy_period_ns), on_connect_(config.anti_entropy_on_connect) {}

  std::string_view name() const override { return "anti-entropy"; }

  // Pushing new updates is the push strategy's job; anti-entropy repairs what it missed.
  void on_new_update(PeerChannel&, const LocationUpdate&, std::uint32_t,
                     std::optional<PeerId>) override {}

  void on_peer_up(PeerChannel& ch, PeerId peer) override {
    arm_timer(ch);
    if (on_connect_) start_round(ch, peer);
  }

  void on_timeout(PeerChannel& ch) override {
    if (!next_round_ || ch.now() < *next_round_) return;
    // From now, not from the missed deadline: a server that was stalled does not burst.
    next_round_ = later(ch.now(), period_ns_);
    if (auto peer = random_up_friend(ch)) start_round(ch, *peer);
  }

  std::optional<Instant> next_timeout() const override { return next_round_; }

  bool on_peer_message(PeerChannel& ch, PeerId from, std::string_view line) override;

 private:
  void arm_timer(PeerChannel& ch);
  std::optional<PeerId> random_up_friend(PeerChannel& ch);
  bool has_digests(PeerChannel& ch);
  void start_round(PeerChannel& ch, PeerId peer);
  void on_groups(PeerChannel& ch, PeerId from, const Digests& theirs);
  void on_leaves(PeerChannel& ch, PeerId from, std::uint32_t group, const Digests& theirs);
  void send_records(PeerChannel& ch, PeerId to, std::span<const std::uint32_t> leaves);
  void reject(PeerChannel& ch, PeerId from, std::string_view why, std::string_view line);

  Nanoseconds period_ns_;
  bool on_connect_;
  std::optional<Instant> next_round_;  // empty until the first link comes up
  std::vector<PeerId> candidates_;     // scratch for random_up_friend, at most friend_count
  bool warned_no_digests_ = false;
};

// The first link-up starts the round timer at a random phase within one period, so that
// servers started together do not all reconcile at the same instants. A period of 0 or less
// leaves only the exchanges on link-up.
void AntiEntropy::arm_timer(PeerChannel& ch) {
  if (next_round_ || period_ns_ <= 0) return;
  auto period = static_cast<std::uint64_t>(period_ns_);
  next_round_ = later(ch.now(), static_cast<Nanoseconds>(ch.rng().uniform_u64(period)));
}

std::optional<PeerId> AntiEntropy::random_up_friend(PeerChannel& ch) {
  candidates_.clear();
  for (PeerId peer = 0; peer < ch.friend_count(); ++peer) {
    if (ch.peer_up(peer)) candidates_.push_back(peer);
  }
  if (candidates_.empty()) return std::nullopt;
  return candidates_[ch.rng().uniform_u64(candidates_.size())];
}

// The store keeps digests whenever the server's config enables anti-entropy; a strategy
// built without them (a programming error elsewhere) must still not crash the server.
bool AntiEntropy::has_digests(PeerChannel& ch) {
  if (ch.records().keeps_digests()) return true;
  if (!warned_no_digests_) {
    warned_no_digests_ = true;
    ch.log_warn("anti-entropy: the record store keeps no digests (config.anti_entropy is "
                "false); anti-entropy does nothing");
  }
  return false;
}

void AntiEntropy::start_round(PeerChannel& ch, PeerId peer) {
  if (!has_digests(ch) || !ch.peer_up(peer)) return;
  Digests groups{};
  for (std::uint32_t g = 0; g < kDigestGroups; ++g) groups[g] = ch.records().group_digest(g);
  ch.send(peer, SharedText(digest_line("AE GROUPS", groups)));
}

// The friend answers each group that differs with that group's leaf digests; equal groups
// cost nothing more, so a round between equal stores is the one GROUPS line.
void AntiEntropy::on_groups(PeerChannel& ch, PeerId from, const Digests& theirs) {
  const RecordStore& store = ch.records();
  for (std::uint32_t g = 0; g < kDigestGroups; ++g) {
    if (theirs[g] == store.group_digest(g)) continue;
    Digests leaves{};
    for (std::uint32_t i = 0; i < kLeavesPerGroup; ++i) {
      leaves[i] = store.leaf_digest(g * kLeavesPerGroup + i);
    }
    ch.send(from, SharedText(digest_line("AE LEAVES " + std::to_string(g), leaves)));
  }
}

// The initiator pulls the friend's records of every leaf that differs and pushes its own.
// The pull goes first: the friend answers from its store as it was, not echoing back the
// records about to be pushed to it.
void AntiEntropy::on_leaves(PeerChannel& ch, PeerId from, std::uint32_t group,
                            const Digests& theirs) {
  const RecordStore& store = ch.records();
  std::vector<std::uint32_t> differing;
  std::string pull = "AE PULL";
  for (std::uint32_t i = 0; i < kLeavesPerGroup; ++i) {
    std::uint32_t leaf = group * kLeavesPerGroup + i;
    if (theirs[i] == store.leaf_digest(leaf)) continue;
    differing.push_back(leaf);
    pull.append(" ").append(std::to_string(leaf));
  }
  if (differing.empty()) return;  // equal by now: something arrived since the GROUPS line
  pull.push_back('\n');
  ch.send(from, SharedText(pull));
  send_records(ch, from, differing);
}

// Sends every record of `leaves` (sorted, distinct, each below kDigestLeaves) as an AT line,
// in leaf then client order. One pass over the store for all of them, rather than one
// leaf_records() scan per leaf.
void AntiEntropy::send_records(PeerChannel& ch, PeerId to, std::span<const std::uint32_t> leaves) {
  std::bitset<kDigestLeaves> wanted;
  for (std::uint32_t leaf : leaves) wanted.set(leaf);
  std::vector<std::pair<std::uint32_t, const StoredRecord*>> found;
  ch.records().for_each([&](const StoredRecord& record) {
    std::uint32_t leaf = digest_leaf_of(record.update.client());
    if (wanted.test(leaf)) found.emplace_back(leaf, &record);
  });
  // The store's iteration order is unspecified; the wire order must not be.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first
                              : a.second->update.client() < b.second->update.client();
  });
  for (const auto& [leaf, record] : found) {
    std::uint32_t hops = std::min(record->hops, kMaxHops - 1) + 1;
    ch.send(to, repair_update_line(record->update, hops));
  }
}

void AntiEntropy::reject(PeerChannel& ch, PeerId from, std::string_view why,
                         std::string_view line) {
  ch.log_warn("anti-entropy: ignored a message from " + std::string(ch.friend_name(from)) +
              " (" + std::string(why) + "): " + log_excerpt(line));
}

bool AntiEntropy::on_peer_message(PeerChannel& ch, PeerId from, std::string_view line) {
  if (!line.starts_with("AE ")) return false;
  if (line.substr(0, line.find(' ', kRepairPush.size())) == kRepairPush) {
    // As long as the AT line it carries: the server's line limit bounds it, not ours.
    std::string_view at = line.substr(std::min(line.size(), kRepairPush.size() + 1));
    if (!at.starts_with("AT ") || !ch.apply_repair(from, at)) {
      reject(ch, from, "AE PUSH needs a peer update: AT <origin> <diff> <client> <coords> "
                       "<client-time> <hops>", line);
    }
    return true;
  }
  if (line.size() > kMaxMessageBytes) {
    reject(ch, from, std::to_string(line.size()) + " bytes, more than the " +
                         std::to_string(kMaxMessageBytes) + " any AE message needs", line);
    return true;
  }
  auto fields = split_fields(line);
  if (!fields) {
    reject(ch, from, "empty field or too many fields", line);
    return true;
  }
  std::span<const std::string_view> all(fields->at.data(), fields->count);
  if (all.size() < 2) {
    reject(ch, from, "no message kind after AE", line);
    return true;
  }
  const std::string_view kind = all[1];
  if (!has_digests(ch)) return true;

  if (kind == kGroupsWord) {
    auto digests = parse_digests(all.subspan(2));
    if (!digests) {
      reject(ch, from, "AE GROUPS needs 32 digests of 16 lowercase hex digits", line);
    } else {
      on_groups(ch, from, *digests);
    }
  } else if (kind == kLeavesWord) {
    auto group = all.size() > 2 ? parse_index(all[2]) : std::nullopt;
    auto digests = all.size() > 2 ? parse_digests(all.subspan(3)) : std::nullopt;
    if (!group || !digests) {
      reject(ch, from, "AE LEAVES needs a group and 32 digests of 16 lowercase hex digits",
             line);
    } else if (*group >= kDigestGroups) {
      reject(ch, from, "no group " + std::to_string(*group) + "; groups are 0-31", line);
    } else {
      on_leaves(ch, from, *group, *digests);
    }
  } else if (kind == kPullWord) {
    std::span<const std::string_view> named = all.subspan(2);
    if (named.empty() || named.size() > kMaxPullLeaves) {
      reject(ch, from, "AE PULL needs 1 to 32 leaves", line);
      return true;
    }
    std::vector<std::uint32_t> leaves;
    for (std::string_view text : named) {
      auto leaf = parse_index(text);
      if (!leaf) {
        reject(ch, from, "a leaf must be a decimal number", line);
        return true;
      }
      if (*leaf >= kDigestLeaves) {
        reject(ch, from, "no leaf " + std::to_string(*leaf) + "; leaves are 0-1023", line);
        return true;
      }
      if (!leaves.empty() && *leaf <= leaves.back()) {
        reject(ch, from, "leaves must be in increasing order", line);
        return true;
      }
      leaves.push_back(*leaf);
    }
    send_records(ch, from, leaves);
  } else {
    reject(ch, from, "unknown AE message kind", line);
  }
  return true;
}

}  // namespace

std::unique_ptr<PropagationStrategy> make_anti_entropy(const PropagationConfig& config) {
  return std::make_unique<AntiEntropy>(config);
}

}  // namespace herd::core
