// Flooding (the original herd) and push gossip: both forward a new update at once, to every
// friend but the sender or to a random few of them.

#include <algorithm>
#include <vector>

#include "strategies/push.hpp"
#include "strategies/plumtree.hpp"
#include "strategies/rumor.hpp"

namespace herd::core {
namespace {

class Flood final : public PropagationStrategy {
 public:
  std::string_view name() const override { return "flood"; }
  void on_new_update(PeerChannel& ch, const LocationUpdate& update, std::uint32_t hops,
                     std::optional<PeerId> from) override {
    SharedText line;  // built once, shared by every friend it goes to
    for (PeerId peer = 0; peer < ch.friend_count(); ++peer) {
      if (from && *from == peer) continue;
      if (!line) line = peer_update_line(update, hops + 1);
      ch.send(peer, line);
    }
  }
};

class Gossip final : public PropagationStrategy {
 public:
  explicit Gossip(const PropagationConfig& config)
      : fanout_(config.fanout), hop_limit_(config.hop_limit) {}
  std::string_view name() const override { return "gossip"; }
  void on_new_update(PeerChannel& ch, const LocationUpdate& update, std::uint32_t hops,
                     std::optional<PeerId> from) override {
    if (hop_limit_ > 0 && hops >= hop_limit_) return;
    candidates_.clear();
    for (PeerId peer = 0; peer < ch.friend_count(); ++peer) {
      if (!(from && *from == peer)) candidates_.push_back(peer);
    }
    // A partial Fisher-Yates: the first `fanout` entries become a uniform random sample.
    std::size_t picks = std::min<std::size_t>(fanout_, candidates_.size());
    SharedText line;
    for (std::size_t i = 0; i < picks; ++i) {
      std::size_t j = i + static_cast<std::size_t>(ch.rng().uniform_u64(candidates_.size() - i));
      std::swap(candidates_[i], candidates_[j]);
      if (!line) line = peer_update_line(update, hops + 1);
      ch.send(candidates_[i], line);
    }
  }

 private:
  std::uint32_t fanout_;
  std::uint32_t hop_limit_;
  std::vector<PeerId> candidates_;
};

}  // namespace

std::unique_ptr<PropagationStrategy> make_push_strategy(const PropagationConfig& config) {
  switch (config.push) {
    case PropagationConfig::Push::flood: return std::make_unique<Flood>();
    case PropagationConfig::Push::gossip: return std::make_unique<Gossip>(config);
    case PropagationConfig::Push::rumor: return make_rumor_mongering(config);
    case PropagationConfig::Push::plumtree: return make_plumtree(config);
  }
  return std::make_unique<Flood>();
}

}  // namespace herd::core
