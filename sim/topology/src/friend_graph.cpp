#include "herd/sim/friend_graph.hpp"

#include <algorithm>
#include <utility>

namespace herd::sim {

namespace {

std::string quoted(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '\'';
  out += name;
  out += '\'';
  return out;
}

std::size_t decimal_width(std::size_t value) {
  std::size_t width = 1;
  while (value >= 10) {
    value /= 10;
    ++width;
  }
  return width;
}

constexpr ServerIndex kNoSlot = 0xffffffffu;

// FNV-1a, 64 bits: the same on every platform (std::hash need not be), though only the
// table's layout depends on it.
std::uint64_t name_hash(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h ^ (h >> 32);
}

}  // namespace

std::optional<std::string> server_name_error(std::string_view name) {
  if (name.empty()) return "a server name must not be empty";
  if (name.size() > kMaxServerNameBytes) {
    return "server name of " + std::to_string(name.size()) + " bytes is longer than " +
           std::to_string(kMaxServerNameBytes);
  }
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    // Names travel as protocol tokens (AT lines split on whitespace), so they may hold
    // neither whitespace nor control characters; bytes >= 0x80 (UTF-8) are fine.
    if (byte <= 0x20 || byte == 0x7f) {
      return "server name " + quoted(name) + " contains whitespace or a control character";
    }
  }
  return std::nullopt;
}

std::string numbered_server_name(std::string_view prefix, std::size_t i, std::size_t n) {
  const std::size_t width = decimal_width(n == 0 ? 0 : n - 1);
  std::string digits = std::to_string(i);
  std::string out(prefix);
  if (digits.size() < width) out.append(width - digits.size(), '0');
  out += digits;
  return out;
}

FriendGraph::FriendGraph(std::vector<std::string> names) {
  names_.reserve(names.size());
  adjacency_.reserve(names.size());
  grow_name_slots(std::min(names.size(), kMaxServers));
  for (auto& name : names) add_server(std::move(name));
}

std::size_t FriendGraph::name_slot(std::string_view name) const {
  const std::size_t mask = name_slots_.size() - 1;
  for (std::size_t slot = name_hash(name) & mask;; slot = (slot + 1) & mask) {
    const ServerIndex index = name_slots_[slot];
    if (index == kNoSlot || names_[index] == name) return slot;
  }
}

// Makes room for `servers` names, keeping the table at most half full.
void FriendGraph::grow_name_slots(std::size_t servers) {
  if (2 * servers <= name_slots_.size()) return;
  std::size_t capacity = 16;
  while (capacity < 2 * servers) capacity *= 2;
  if (capacity <= name_slots_.size()) return;
  name_slots_.assign(capacity, kNoSlot);
  for (ServerIndex i = 0; i < names_.size(); ++i) name_slots_[name_slot(names_[i])] = i;
}

FriendGraph FriendGraph::numbered(std::size_t n, std::string_view prefix) {
  if (n > kMaxServers) {
    throw TopologyError("a graph of " + std::to_string(n) + " servers exceeds the limit of " +
                        std::to_string(kMaxServers));
  }
  std::vector<std::string> names;
  names.reserve(n);
  for (std::size_t i = 0; i < n; ++i) names.push_back(numbered_server_name(prefix, i, n));
  return FriendGraph(std::move(names));
}

FriendGraph FriendGraph::from_boost(const BoostGraph& graph, std::vector<std::string> names) {
  const std::size_t n = boost::num_vertices(graph);
  FriendGraph result;
  if (names.empty()) {
    result = numbered(n);
  } else if (names.size() != n) {
    throw TopologyError("Boost graph has " + std::to_string(n) + " vertices but " +
                        std::to_string(names.size()) + " names were given");
  } else {
    result = FriendGraph(std::move(names));
  }
  for (auto [it, end] = boost::edges(graph); it != end; ++it) {
    result.add_edge(static_cast<ServerIndex>(boost::source(*it, graph)),
                    static_cast<ServerIndex>(boost::target(*it, graph)));
  }
  return result;
}

ServerIndex FriendGraph::add_server(std::string name) {
  if (auto error = server_name_error(name)) throw TopologyError(*error);
  if (names_.size() >= kMaxServers) {
    throw TopologyError("cannot add server " + quoted(name) + ": the limit is " +
                        std::to_string(kMaxServers) + " servers");
  }
  const auto index = static_cast<ServerIndex>(names_.size());
  grow_name_slots(names_.size() + 1);
  const std::size_t slot = name_slot(name);
  if (name_slots_[slot] != kNoSlot) throw TopologyError("duplicate server name " + quoted(name));
  name_slots_[slot] = index;
  names_.push_back(std::move(name));
  adjacency_.emplace_back();
  return index;
}

void FriendGraph::check_index(ServerIndex i, std::string_view what) const {
  if (i >= names_.size()) {
    throw TopologyError(std::string(what) + ": server index " + std::to_string(i) +
                        " is out of range (graph has " + std::to_string(names_.size()) +
                        " servers)");
  }
}

void FriendGraph::add_edge(ServerIndex a, ServerIndex b) {
  check_index(a, "add_edge");
  check_index(b, "add_edge");
  if (a == b) {
    throw TopologyError("self loop: server " + quoted(names_[a]) +
                        " cannot be its own friend");
  }
  if (edge_count_ >= kMaxFriendships) {
    throw TopologyError("too many friendships: the limit is " +
                        std::to_string(kMaxFriendships));
  }
  auto& from_a = adjacency_[a];
  const auto pos_b = std::lower_bound(from_a.begin(), from_a.end(), b);
  if (pos_b != from_a.end() && *pos_b == b) {
    throw TopologyError("duplicate friendship " + quoted(names_[a]) + " -- " +
                        quoted(names_[b]));
  }
  from_a.insert(pos_b, b);
  auto& from_b = adjacency_[b];
  from_b.insert(std::lower_bound(from_b.begin(), from_b.end(), a), a);
  ++edge_count_;
}

void FriendGraph::add_edge(std::string_view a, std::string_view b) {
  add_edge(index_of(a), index_of(b));
}

bool FriendGraph::remove_edge(ServerIndex a, ServerIndex b) {
  check_index(a, "remove_edge");
  check_index(b, "remove_edge");
  auto& from_a = adjacency_[a];
  const auto pos_b = std::lower_bound(from_a.begin(), from_a.end(), b);
  if (pos_b == from_a.end() || *pos_b != b) return false;
  from_a.erase(pos_b);
  auto& from_b = adjacency_[b];
  from_b.erase(std::lower_bound(from_b.begin(), from_b.end(), a));
  --edge_count_;
  return true;
}

const std::string& FriendGraph::name(ServerIndex i) const {
  check_index(i, "name");
  return names_[i];
}

std::optional<ServerIndex> FriendGraph::find(std::string_view name) const {
  if (name_slots_.empty()) return std::nullopt;
  const ServerIndex index = name_slots_[name_slot(name)];
  if (index == kNoSlot) return std::nullopt;
  return index;
}

ServerIndex FriendGraph::index_of(std::string_view name) const {
  if (auto index = find(name)) return *index;
  throw TopologyError("no server named " + quoted(name));
}

FriendGraph::Parts FriendGraph::release() && {
  Parts parts{std::move(names_), std::move(adjacency_)};
  *this = FriendGraph();
  return parts;
}

std::span<const ServerIndex> FriendGraph::neighbours(ServerIndex i) const {
  check_index(i, "neighbours");
  return adjacency_[i];
}

bool FriendGraph::has_edge(ServerIndex a, ServerIndex b) const {
  if (a >= names_.size() || b >= names_.size()) return false;
  // Search the shorter list: hubs in Barabasi-Albert graphs have thousands of friends.
  const auto& list = adjacency_[a].size() <= adjacency_[b].size() ? adjacency_[a]
                                                                    : adjacency_[b];
  const ServerIndex other = &list == &adjacency_[a] ? b : a;
  return std::binary_search(list.begin(), list.end(), other);
}

std::vector<Friendship> FriendGraph::edges() const {
  std::vector<Friendship> out;
  out.reserve(edge_count_);
  for (ServerIndex a = 0; a < adjacency_.size(); ++a) {
    for (const ServerIndex b : adjacency_[a]) {
      if (a < b) out.push_back({a, b});
    }
  }
  return out;
}

BoostGraph FriendGraph::to_boost() const {
  BoostGraph graph(names_.size());
  for (const auto& edge : edges()) boost::add_edge(edge.a, edge.b, graph);
  return graph;
}

bool operator==(const FriendGraph& x, const FriendGraph& y) {
  return x.names_ == y.names_ && x.adjacency_ == y.adjacency_;
}

}  // namespace herd::sim
