#include "herd/core/propagation.hpp"

#include <algorithm>
#include <charconv>

#include "strategies/anti_entropy.hpp"
#include "strategies/push.hpp"

namespace herd::core {
namespace {

// Runs a push strategy and, optionally, anti-entropy side by side: every event goes to
// both; a peer message belongs to whichever knows it.
class Composite final : public PropagationStrategy {
 public:
  explicit Composite(std::vector<std::unique_ptr<PropagationStrategy>> parts)
      : parts_(std::move(parts)) {
    for (const auto& p : parts_) {
      if (!name_.empty()) name_ += "+";
      name_ += p->name();
    }
  }
  std::string_view name() const override { return name_; }
  void on_new_update(PeerChannel& ch, const LocationUpdate& u, std::uint32_t hops,
                     std::optional<PeerId> from) override {
    for (auto& p : parts_) p->on_new_update(ch, u, hops, from);
  }
  void on_repaired_update(PeerChannel& ch, const LocationUpdate& u, std::uint32_t hops,
                          PeerId from) override {
    for (auto& p : parts_) p->on_repaired_update(ch, u, hops, from);
  }
  void on_redundant_update(PeerChannel& ch, const StoredRecord& held, bool identical,
                           PeerId from) override {
    for (auto& p : parts_) p->on_redundant_update(ch, held, identical, from);
  }
  bool on_peer_message(PeerChannel& ch, PeerId from, std::string_view line) override {
    for (auto& p : parts_) {
      if (p->on_peer_message(ch, from, line)) return true;
    }
    return false;
  }
  void on_peer_up(PeerChannel& ch, PeerId peer) override {
    for (auto& p : parts_) p->on_peer_up(ch, peer);
  }
  void on_peer_down(PeerChannel& ch, PeerId peer) override {
    for (auto& p : parts_) p->on_peer_down(ch, peer);
  }
  void on_timeout(PeerChannel& ch) override {
    for (auto& p : parts_) {
      auto due = p->next_timeout();
      if (due && *due <= ch.now()) p->on_timeout(ch);
    }
  }
  std::optional<Instant> next_timeout() const override {
    std::optional<Instant> next;
    for (const auto& p : parts_) {
      auto t = p->next_timeout();
      if (t && (!next || *t < *next)) next = t;
    }
    return next;
  }

 private:
  std::vector<std::unique_ptr<PropagationStrategy>> parts_;
  std::string name_;
};

}  // namespace

std::string_view to_string(PropagationConfig::Push push) noexcept {
  switch (push) {
    case PropagationConfig::Push::flood: return "flood";
    case PropagationConfig::Push::gossip: return "gossip";
    case PropagationConfig::Push::rumor: return "rumor";
    case PropagationConfig::Push::plumtree: return "plumtree";
  }
  return "unknown";
}

std::optional<PropagationConfig::Push> parse_push(std::string_view name) noexcept {
  for (auto p : {PropagationConfig::Push::flood, PropagationConfig::Push::gossip,
                 PropagationConfig::Push::rumor, PropagationConfig::Push::plumtree}) {
    if (to_string(p) == name) return p;
  }
  return std::nullopt;
}

std::string_view to_string(PropagationConfig::Rounds rounds) noexcept {
  switch (rounds) {
    case PropagationConfig::Rounds::async: return "async";
    case PropagationConfig::Rounds::sync: return "sync";
  }
  return "unknown";
}

std::optional<PropagationConfig::Rounds> parse_rounds(std::string_view name) noexcept {
  for (auto r : {PropagationConfig::Rounds::async, PropagationConfig::Rounds::sync}) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

std::optional<MessageKind> message_kind(std::string_view line) noexcept {
  static constexpr MessageKind kKinds[] = {
      {"AE", "anti-entropy ([strategy] anti_entropy)"},
      {"IHAVE", "plumtree"},
      {"GRAFT", "plumtree"},
      {"PRUNE", "plumtree"},
      {"KNEW", "rumor with feedback"},
  };
  const std::string_view word = line.substr(0, line.find(' '));
  for (const MessageKind& kind : kKinds) {
    if (kind.word == word) return kind;
  }
  return std::nullopt;
}

namespace {

// " <hops>\n", the tail of a peer update line.
struct HopsTail {
  explicit HopsTail(std::uint32_t hops) noexcept {
    text[0] = ' ';
    char* end = std::to_chars(text + 1, text + sizeof text - 1, hops).ptr;
    *end++ = '\n';
    size = static_cast<std::size_t>(end - text);
  }
  [[nodiscard]] std::string_view view() const noexcept { return {text, size}; }
  char text[13];
  std::size_t size;
};

}  // namespace

SharedText peer_update_line(const LocationUpdate& update, std::uint32_t hops) {
  return SharedText::joined({*update.at_line, HopsTail(hops).view()});
}

SharedText repair_update_line(const LocationUpdate& update, std::uint32_t hops) {
  return SharedText::joined({kRepairPush, " ", *update.at_line, HopsTail(hops).view()});
}

SharedText peer_update_line(const StoredUpdate& update, std::uint32_t hops) {
  return SharedText::joined({*update.at_line, HopsTail(hops).view()});
}

SharedText repair_update_line(const StoredUpdate& update, std::uint32_t hops) {
  return SharedText::joined({kRepairPush, " ", *update.at_line, HopsTail(hops).view()});
}

std::unique_ptr<PropagationStrategy> make_propagation(const PropagationConfig& config) {
  return make_propagation(config, make_push_strategy(config));
}

std::unique_ptr<PropagationStrategy> make_propagation(const PropagationConfig& config,
                                                      std::unique_ptr<PropagationStrategy> push) {
  if (!config.anti_entropy) return push;
  std::vector<std::unique_ptr<PropagationStrategy>> parts;
  parts.push_back(std::move(push));
  parts.push_back(make_anti_entropy(config));
  return std::make_unique<Composite>(std::move(parts));
}

}  // namespace herd::core
