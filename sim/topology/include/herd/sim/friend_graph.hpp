#pragma once
// FriendGraph: which servers of a simulated herd talk to each other. An undirected simple
// graph (no self loops, no duplicate friendships) of named servers, stored compactly as
// sorted adjacency vectors so that every iteration order is deterministic: the simulator's
// fingerprint depends on the order in which friends are visited.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace herd::sim {

// Every error about a topology: bad generator parameters, malformed graph files (their
// messages start with "file:line: "), invalid edges, unknown server names.
class TopologyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Servers are numbered 0..size()-1 in the order they were added.
using ServerIndex = std::uint32_t;

// One friendship, normalised so that a < b; vectors of them sort lexicographically.
struct Friendship {
  ServerIndex a = 0;
  ServerIndex b = 0;
  friend constexpr auto operator<=>(const Friendship&, const Friendship&) = default;
};

// The form Boost.Graph algorithms take; vertex i is server i.
using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;

// Limits that keep a typo in a scenario ("n = 1e9") from exhausting memory.
inline constexpr std::size_t kMaxServers = 1'000'000;
inline constexpr std::size_t kMaxFriendships = 20'000'000;
inline constexpr std::size_t kMaxServerNameBytes = 255;

// The name prefix of generated servers ("s0000", "s0001", ...).
inline constexpr std::string_view kDefaultServerPrefix = "s";

class FriendGraph {
 public:
  FriendGraph() = default;

  // A graph of these servers and no friendships. Throws TopologyError on an invalid or
  // duplicate name.
  explicit FriendGraph(std::vector<std::string> names);

  // n servers named prefix + index, zero-padded to the width of n-1 ("s0".."s9",
  // "s00".."s10", "s0000".."s9999").
  [[nodiscard]] static FriendGraph numbered(std::size_t n,
                                            std::string_view prefix = kDefaultServerPrefix);

  // Converts a Boost graph; vertex i gets names[i] (or a numbered name when names is
  // empty). Throws TopologyError on self loops, parallel edges or a name count mismatch.
  [[nodiscard]] static FriendGraph from_boost(const BoostGraph& graph,
                                              std::vector<std::string> names = {});

  // Adds a server with no friends and returns its index. Names must be 1..255 bytes with
  // no whitespace or control characters (they travel in protocol lines) and be unique.
  ServerIndex add_server(std::string name);

  // Adds the friendship a -- b. Throws TopologyError naming the servers for an index out
  // of range, a self loop or a duplicate.
  void add_edge(ServerIndex a, ServerIndex b);
  void add_edge(std::string_view a, std::string_view b);

  // Removes a -- b if present; returns whether it was.
  bool remove_edge(ServerIndex a, ServerIndex b);

  [[nodiscard]] std::size_t size() const { return names_.size(); }
  [[nodiscard]] std::size_t edge_count() const { return edge_count_; }
  [[nodiscard]] bool empty() const { return names_.empty(); }

  [[nodiscard]] const std::vector<std::string>& names() const { return names_; }
  [[nodiscard]] const std::string& name(ServerIndex i) const;

  // The index of a server, or nothing / a TopologyError naming the unknown server.
  [[nodiscard]] std::optional<ServerIndex> find(std::string_view name) const;
  [[nodiscard]] ServerIndex index_of(std::string_view name) const;

  // Friends of server i in ascending index order.
  [[nodiscard]] std::span<const ServerIndex> neighbours(ServerIndex i) const;
  [[nodiscard]] std::size_t degree(ServerIndex i) const { return neighbours(i).size(); }
  [[nodiscard]] bool has_edge(ServerIndex a, ServerIndex b) const;

  // Every friendship once, as (a < b) pairs in ascending order.
  [[nodiscard]] std::vector<Friendship> edges() const;

  [[nodiscard]] BoostGraph to_boost() const;

  // Same servers in the same order with the same friendships.
  friend bool operator==(const FriendGraph&, const FriendGraph&);

  // The names and each server's friends (ascending), moved out: a herd's layout is made
  // from them without a copy of a million friend lists. The graph is left empty.
  struct Parts {
    std::vector<std::string> names;
    std::vector<std::vector<ServerIndex>> adjacency;
  };
  [[nodiscard]] Parts release() &&;

 private:
  void check_index(ServerIndex i, std::string_view what) const;
  // The slot of `name` in name_slots_: the one holding its index, or the empty one where it
  // would go.
  [[nodiscard]] std::size_t name_slot(std::string_view name) const;
  void grow_name_slots(std::size_t servers);

  std::vector<std::string> names_;
  std::vector<std::vector<ServerIndex>> adjacency_;
  // Servers by name: an open-addressing hash table of indices into names_ (linear probing,
  // at most half full). A million-server herd would otherwise spend a tree node of about
  // 80 bytes per name. Only ever probed, never iterated, so its order reaches nothing.
  std::vector<ServerIndex> name_slots_;
  std::size_t edge_count_ = 0;
};

// Why `name` cannot be a server name, or nothing when it can.
[[nodiscard]] std::optional<std::string> server_name_error(std::string_view name);

// The name FriendGraph::numbered gives server i of n.
[[nodiscard]] std::string numbered_server_name(std::string_view prefix, std::size_t i,
                                               std::size_t n);

}  // namespace herd::sim
