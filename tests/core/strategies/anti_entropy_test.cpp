#include "herd/core/server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace herd::core;

namespace {

constexpr Nanoseconds kT0 = 1'700'000'000LL * kNanosPerSecond;
constexpr Nanoseconds kPeriod = kNanosPerSecond;
constexpr ConnId kFromPartner = 1;  // inbound link from the other server of a pair
constexpr ConnId kFromSource = 2;   // inbound link from "Src", a friend whose link stays down
// "AE GROUPS" and 32 digests of 16 hex digits, each after a space, and the newline.
constexpr std::size_t kGroupsLineBytes = 9 + 32 * 17 + 1;

PropagationConfig anti_entropy(bool on_connect, std::uint64_t seed = 1) {
  PropagationConfig p;
  p.anti_entropy = true;
  p.anti_entropy_period_ns = kPeriod;
  p.anti_entropy_on_connect = on_connect;
  p.seed = seed;
  return p;
}

ServerConfig node_config(std::string name, std::vector<std::string> friends,
                         PropagationConfig propagation) {
  ServerConfig config;
  config.name = std::move(name);
  config.friends = std::move(friends);
  config.peer_secret = "s";
  config.log_traffic = false;
  config.limits.idle_timeout_ns = 0;  // no idle sweep: poll_timeout is the strategy's alone
  config.propagation = propagation;
  return config;
}

// A hand-driven Server that splits what it sends to each friend into lines.
struct Node {
  explicit Node(ServerConfig config) : server(std::move(config)) {}

  void drain() {
    while (auto out = server.poll_output()) {
      if (auto* p = std::get_if<SendToPeer>(&*out)) {
        std::string_view bytes = *p->bytes;
        while (!bytes.empty()) {
          auto lf = bytes.find('\n');
          to_peer[p->peer].emplace_back(bytes.substr(0, lf + 1));
          bytes.remove_prefix(lf == bytes.npos ? bytes.size() : lf + 1);
        }
      } else if (auto* l = std::get_if<LogRecord>(&*out)) {
        if (l->level == LogLevel::warn || l->level == LogLevel::error) warnings.push_back(l->text);
      }
    }
  }
  void peer_up(PeerId peer, Nanoseconds at = kT0) {
    server.handle_peer_up(Instant{at}, peer);
    drain();
  }
  // An inbound connection; greeted here as `greeting_from`, or left for the friend's own
  // greeting to arrive first.
  void open(ConnId conn, const std::string& greeting_from = "") {
    server.handle_conn_open(Instant{kT0}, conn);
    if (!greeting_from.empty()) {
      server.handle_conn_bytes(Instant{kT0}, conn, "HERD 1 " + greeting_from + " s\n");
    }
    drain();
  }
  void feed(ConnId conn, std::string_view bytes, Nanoseconds at = kT0) {
    server.handle_conn_bytes(Instant{at}, conn, bytes);
    drain();
  }
  // Fires the strategy's timer at its deadline; returns the deadline.
  Nanoseconds fire_timer() {
    auto due = server.poll_timeout();
    REQUIRE(due);
    server.handle_timeout(*due);
    drain();
    return due->ns;
  }
  std::vector<std::string> take(PeerId peer) {
    std::vector<std::string> lines = std::move(to_peer[peer]);
    to_peer.erase(peer);
    return lines;
  }
  bool warned(std::string_view needle) const {
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const std::string& l) { return l.find(needle) != l.npos; });
  }

  Server server;
  std::map<PeerId, std::vector<std::string>> to_peer;
  std::vector<std::string> warnings;
};

std::string client_name(int i) { return "client" + std::to_string(i); }

// A peer update from Src: client time `t` seconds after 1700000000.
std::string src_update(const std::string& client, int t, int lat = 34) {
  return "AT Src +0.100000000 " + client + " +" + std::to_string(lat) + ".000000-118.000000 " +
         std::to_string(1'700'000'000 + t) + ".5 1\n";
}

// Two friends, Alpha and Beta, each also a friend of Src (whose links stay down, so what
// they flood towards it is dropped). Their outbound links start down.
struct Pair {
  explicit Pair(PropagationConfig p)
      : a(node_config("Alpha", {"Beta", "Src"}, p)), b(node_config("Beta", {"Alpha", "Src"}, p)) {
    a.open(kFromPartner);  // greeted by Beta's first line when its link comes up
    b.open(kFromPartner);
    a.open(kFromSource, "Src");
    b.open(kFromSource, "Src");
  }
  void links_up() {
    a.peer_up(0);
    b.peer_up(0);
  }
  // Carries each server's lines to the other until both are quiet, recording them.
  void shuttle() {
    for (int step = 0; step < 100; ++step) {
      auto from_a = a.take(0), from_b = b.take(0);
      if (from_a.empty() && from_b.empty()) return;
      for (const auto& line : from_a) {
        a_to_b.push_back(line);
        b.feed(kFromPartner, line);
      }
      for (const auto& line : from_b) {
        b_to_a.push_back(line);
        a.feed(kFromPartner, line);
      }
    }
    FAIL("the exchange did not settle within 100 steps");
  }
  void forget_traffic() {
    a_to_b.clear();
    b_to_a.clear();
  }
  Node a, b;
  std::vector<std::string> a_to_b, b_to_a;
};

void load(Node& node, const std::vector<std::string>& updates) {
  std::string bytes;
  for (const auto& u : updates) bytes += u;
  node.feed(kFromSource, bytes);
}

std::vector<std::string> many_updates(int clients) {
  std::vector<std::string> updates;
  for (int i = 0; i < clients; ++i) updates.push_back(src_update(client_name(i), i % 50));
  return updates;
}

void check_same_records(const RecordStore& x, const RecordStore& y) {
  CHECK(x.size() == y.size());
  for (std::uint32_t leaf = 0; leaf < kDigestLeaves; ++leaf) {
    if (x.leaf_digest(leaf) != y.leaf_digest(leaf)) FAIL_CHECK("leaf " << leaf << " differs");
  }
  x.for_each([&](const StoredRecord& r) {
    const StoredRecord* other = y.find(r.update.client());
    REQUIRE(other);
    CHECK(*other->update.at_line == *r.update.at_line);
  });
}

// The AE PUSH lines a server sends for its records of one leaf: hop count plus one, client
// order.
std::vector<std::string> leaf_lines(const RecordStore& store, std::uint32_t leaf) {
  std::vector<std::string> lines;
  for (const StoredRecord* r : store.leaf_records(leaf)) {
    lines.emplace_back(*repair_update_line(r->update, r->hops + 1));
  }
  return lines;
}

std::vector<std::string> starting_with(const std::vector<std::string>& lines,
                                       std::string_view prefix) {
  std::vector<std::string> found;
  for (const auto& l : lines) {
    if (l.starts_with(prefix)) found.push_back(l);
  }
  return found;
}

// A client whose digest leaf holds at least `min_records` of the first `clients` clients.
int client_in_crowded_leaf(int clients, std::size_t min_records) {
  std::map<std::uint32_t, std::vector<int>> by_leaf;
  for (int i = 0; i < clients; ++i) by_leaf[digest_leaf_of(client_name(i))].push_back(i);
  for (const auto& [leaf, members] : by_leaf) {
    if (members.size() >= min_records) return members.front();
  }
  FAIL("no leaf holds " << min_records << " clients");
  return -1;
}

}  // namespace

TEST_CASE("anti-entropy: equal digests cost one short message and nothing else") {
  Pair pair(anti_entropy(/*on_connect=*/false));
  auto updates = many_updates(500);
  load(pair.a, updates);
  load(pair.b, updates);
  pair.links_up();
  pair.shuttle();
  CHECK(pair.a.server.strategy_name() == "flood+anti-entropy");
  REQUIRE(pair.a.server.records().size() == 500);
  pair.forget_traffic();

  pair.a.fire_timer();
  pair.shuttle();
  REQUIRE(pair.a_to_b.size() == 1);
  CHECK(pair.a_to_b[0].starts_with("AE GROUPS "));
  CHECK(pair.a_to_b[0].size() == kGroupsLineBytes);
  CHECK(pair.b_to_a.empty());
  CHECK(pair.a.warnings.empty());
  CHECK(pair.b.warnings.empty());
}

TEST_CASE("anti-entropy: one differing record moves exactly its leaf's records both ways") {
  const int clients = 3000;  // about three per leaf, so a leaf has neighbours to count
  const int odd_one = client_in_crowded_leaf(clients, 4);
  const std::string odd = client_name(odd_one);
  const std::uint32_t leaf = digest_leaf_of(odd);
  const std::uint32_t group = leaf / kLeavesPerGroup;
  Pair pair(anti_entropy(/*on_connect=*/false));
  auto updates = many_updates(clients);
  load(pair.a, updates);
  load(pair.b, updates);

  SECTION("the friend holds the newer record and the initiator pulls it") {
    load(pair.b, {src_update(odd, 100, 35)});
  }
  SECTION("the initiator holds the newer record and pushes it") {
    load(pair.a, {src_update(odd, 100, 35)});
  }
  SECTION("only the friend knows a client of that leaf") {
    // Find a new client name that lands in the same leaf.
    int extra = clients;
    while (digest_leaf_of(client_name(extra)) != leaf) ++extra;
    load(pair.b, {src_update(client_name(extra), 7)});
  }
  pair.links_up();
  pair.shuttle();  // greetings only: no exchange on connect in this test
  REQUIRE(pair.a_to_b.size() == 1);
  pair.forget_traffic();
  const auto a_lines = leaf_lines(pair.a.server.records(), leaf);
  const auto b_lines = leaf_lines(pair.b.server.records(), leaf);
  REQUIRE(a_lines.size() >= 3);

  pair.a.fire_timer();
  pair.shuttle();

  // Alpha: the digests, a pull of the one leaf, then its records of that leaf.
  REQUIRE(pair.a_to_b.size() == 2 + a_lines.size());
  CHECK(pair.a_to_b[0].starts_with("AE GROUPS "));
  CHECK(pair.a_to_b[1] == "AE PULL " + std::to_string(leaf) + "\n");
  CHECK(std::vector<std::string>(pair.a_to_b.begin() + 2, pair.a_to_b.end()) == a_lines);
  // Beta: the leaf digests of the one group, then its records of the leaf.
  REQUIRE(pair.b_to_a.size() == 1 + b_lines.size());
  CHECK(pair.b_to_a[0].starts_with("AE LEAVES " + std::to_string(group) + " "));
  CHECK(std::vector<std::string>(pair.b_to_a.begin() + 1, pair.b_to_a.end()) == b_lines);

  check_same_records(pair.a.server.records(), pair.b.server.records());
  CHECK(pair.a.warnings.empty());
  CHECK(pair.b.warnings.empty());
}

TEST_CASE("anti-entropy: an empty server gets every record in one round") {
  Pair pair(anti_entropy(/*on_connect=*/false));
  load(pair.a, many_updates(2000));
  pair.links_up();
  pair.shuttle();
  pair.forget_traffic();

  SECTION("the empty server starts the round and pulls") { pair.b.fire_timer(); }
  SECTION("the full server starts the round and pushes") { pair.a.fire_timer(); }
  pair.shuttle();
  check_same_records(pair.a.server.records(), pair.b.server.records());
  // Every group differs: 32 LEAVES answers and 32 PULLs, one per group, and the 2,000
  // records once (the empty side has none to send back).
  std::vector<std::string> all = pair.a_to_b;
  all.insert(all.end(), pair.b_to_a.begin(), pair.b_to_a.end());
  CHECK(starting_with(all, "AE GROUPS ").size() == 1);
  CHECK(starting_with(all, "AE LEAVES ").size() == kDigestGroups);
  CHECK(starting_with(all, "AE PULL ").size() == kDigestGroups);
  CHECK(starting_with(all, "AE PUSH AT ").size() == 2000);
  CHECK(starting_with(all, "AT ").empty());  // repairs never look like pushes
}

TEST_CASE("anti-entropy: a new link starts an exchange that reconciles both sides") {
  Pair pair(anti_entropy(/*on_connect=*/true));
  std::vector<std::string> only_a, only_b;
  for (int i = 0; i < 40; ++i) only_a.push_back(src_update(client_name(i), 1));
  for (int i = 40; i < 80; ++i) only_b.push_back(src_update(client_name(i), 1));
  load(pair.a, only_a);
  load(pair.b, only_b);
  load(pair.a, {src_update("shared", 1)});
  load(pair.b, {src_update("shared", 2, 40)});

  pair.a.peer_up(0);
  auto sent = pair.a.to_peer[0];
  REQUIRE(sent.size() == 2);
  CHECK(sent[0] == "HERD 1 Alpha s\n");
  CHECK(sent[1].starts_with("AE GROUPS "));
  pair.b.peer_up(0);
  pair.shuttle();  // no timer fires: the link-ups alone reconcile

  check_same_records(pair.a.server.records(), pair.b.server.records());
  CHECK(pair.a.server.records().size() == 81);
  CHECK(pair.a.server.records().find("shared")->update.coords() == "+40.000000-118.000000");
}

TEST_CASE("anti-entropy: with anti_entropy_on_connect off a link-up sends only the greeting") {
  Pair pair(anti_entropy(/*on_connect=*/false));
  load(pair.a, many_updates(10));
  pair.a.peer_up(0);
  CHECK(pair.a.to_peer[0] == std::vector<std::string>{"HERD 1 Alpha s\n"});
}

TEST_CASE("anti-entropy: malformed oversized and unknown-leaf messages are logged and ignored") {
  Node b(node_config("Beta", {"Alpha"}, anti_entropy(/*on_connect=*/false)));
  b.open(kFromPartner, "Alpha");
  b.peer_up(0);
  b.take(0);
  // Records in every group, so that a wrongly accepted message would be answered.
  std::string records;
  for (const auto& u : many_updates(300)) records += u;
  b.feed(kFromPartner, records);
  REQUIRE(b.server.records().size() == 300);
  b.take(0);

  auto zeros = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += " 0000000000000000";
    return s;
  };
  std::string many_leaves;
  for (int i = 0; i < 33; ++i) many_leaves += " " + std::to_string(i);
  std::string upper_digest = " 0123456789ABCDEF" + zeros(31);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"AE GROUPS" + zeros(31), "32 digests"},
      {"AE GROUPS" + zeros(33), "32 digests"},
      {"AE GROUPS" + upper_digest, "lowercase hex"},
      {"AE GROUPS 000000000000000" + zeros(31), "lowercase hex"},
      {"AE GROUPS " + zeros(32), "empty field"},
      {"AE GROUPS" + zeros(32) + " ", "empty field"},
      {"AE LEAVES 32" + zeros(32), "no group 32"},
      {"AE LEAVES 01" + zeros(32), "needs a group"},
      {"AE LEAVES 3", "needs a group"},
      {"AE LEAVES", "needs a group"},
      {"AE PULL 1024", "no leaf 1024"},
      {"AE PULL 5 9999", "no leaf 9999"},
      {"AE PULL 99999", "decimal number"},
      {"AE PULL -1", "decimal number"},
      {"AE PULL +1", "decimal number"},
      {"AE PULL 1x", "decimal number"},
      {"AE PULL 7\x01", "decimal number"},
      {"AE PULL", "1 to 32 leaves"},
      {"AE PULL" + many_leaves, "1 to 32 leaves"},
      {"AE PULL 5 5", "increasing order"},
      {"AE PULL 7 3", "increasing order"},
      {"AE WHATEVER 1", "unknown AE message kind"},
      {"AE ", "empty field"},
      {"AE PULL" + std::string(4000, '1'), "4007 bytes"},
      {"AE PUSH", "AE PUSH needs a peer update"},
      {"AE PUSH ", "AE PUSH needs a peer update"},
      {"AE PUSH IAMAT kiwi +1+1 1700000000.5", "AE PUSH needs a peer update"},
      {"AE PUSH AT Src +0.1 kiwi +1+1 1700000000.5", "AE PUSH needs a peer update"},
      {"AE PUSH AT Src +0.1 kiwi +1+1 1700000000.5 x", "AE PUSH needs a peer update"},
      {"AE PUSH  AT Src +0.1 kiwi +1+1 1700000000.5 1", "AE PUSH needs a peer update"},
  };
  for (const auto& [line, reason] : bad) {
    INFO(line.substr(0, 100));
    b.warnings.clear();
    b.feed(kFromPartner, line + "\n");
    CHECK(b.take(0).empty());
    CHECK(b.warned("anti-entropy: ignored a message from Alpha"));
    CHECK(b.warned(reason));
  }
  CHECK(b.server.stats().bad_peer_lines == 0);  // claimed by anti-entropy, logged once

  // Lines that are not anti-entropy's are left to the server, which drops them.
  b.feed(kFromPartner, "AEGROUPS 1\n");
  CHECK(b.server.stats().bad_peer_lines == 1);
  CHECK(b.take(0).empty());

  // The server still answers a well-formed pull afterwards.
  const std::uint32_t leaf = digest_leaf_of(client_name(0));
  b.feed(kFromPartner, "AE PULL " + std::to_string(leaf) + "\n");
  CHECK(b.take(0) == leaf_lines(b.server.records(), leaf));
}

TEST_CASE("anti-entropy: rounds start at a random phase then every period with an up friend") {
  PropagationConfig p = anti_entropy(/*on_connect=*/false);
  std::set<Nanoseconds> phases;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    p.seed = seed;
    Node n(node_config("Hub", {"F0", "F1", "F2", "F3"}, p));
    CHECK_FALSE(n.server.poll_timeout());  // no link yet: nothing to reconcile with
    for (PeerId peer = 0; peer < 3; ++peer) n.peer_up(peer);  // F3 stays down
    for (PeerId peer = 0; peer < 3; ++peer) n.take(peer);
    auto first = n.server.poll_timeout();
    REQUIRE(first);
    CHECK(first->ns >= kT0);
    CHECK(first->ns < kT0 + kPeriod);
    phases.insert(first->ns - kT0);

    // Early: nothing happens.
    n.server.handle_timeout(Instant{first->ns - 1});
    n.drain();
    CHECK(n.to_peer.empty());

    std::map<PeerId, int> chosen;
    Nanoseconds expected = first->ns;
    for (int round = 0; round < 30; ++round) {
      CHECK(n.fire_timer() == expected);
      REQUIRE(n.to_peer.size() == 1);
      auto& [peer, lines] = *n.to_peer.begin();
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].starts_with("AE GROUPS "));
      ++chosen[peer];
      n.to_peer.clear();
      expected += kPeriod;
    }
    CHECK(chosen.size() == 3);  // every up friend, F3 never
    CHECK_FALSE(chosen.count(3));

    // With every link down a round sends nothing, and the timer keeps going.
    for (PeerId peer = 0; peer < 3; ++peer) n.server.handle_peer_down(Instant{expected}, peer);
    n.drain();
    CHECK(n.fire_timer() == expected);
    CHECK(n.to_peer.empty());
    CHECK(n.server.poll_timeout()->ns == expected + kPeriod);
  }
  CHECK(phases.size() > 4);
}

TEST_CASE("anti-entropy: a period of zero leaves only the exchange on link-up") {
  PropagationConfig p = anti_entropy(/*on_connect=*/true);
  p.anti_entropy_period_ns = 0;
  Pair pair(p);
  load(pair.a, many_updates(20));
  pair.links_up();
  CHECK_FALSE(pair.a.server.poll_timeout());
  pair.shuttle();
  check_same_records(pair.a.server.records(), pair.b.server.records());
}

TEST_CASE("anti-entropy: an exchange cut by a link drop stalls nothing and the next round heals") {
  Pair pair(anti_entropy(/*on_connect=*/false));
  load(pair.a, many_updates(200));
  load(pair.b, {src_update("only-at-beta", 3)});
  pair.links_up();
  pair.shuttle();
  pair.forget_traffic();

  const Nanoseconds first = pair.a.fire_timer();
  SECTION("the friend's answer is lost") {
    pair.b.server.handle_peer_down(Instant{first}, 0);  // Beta's link drops
    pair.b.feed(kFromPartner, pair.a.take(0).at(0));   // GROUPS arrives: LEAVES are lost
    CHECK(pair.b.take(0).empty());
    CHECK(pair.b.server.stats().peer_messages_dropped > 0);
    pair.b.peer_up(0, first + 1);
    // The new link's greeting would open a new connection at Alpha; this one is greeted.
    CHECK(pair.b.take(0) == std::vector<std::string>{"HERD 1 Beta s\n"});
  }
  SECTION("the initiator's pull and records are lost") {
    pair.b.feed(kFromPartner, pair.a.take(0).at(0));
    for (const auto& line : pair.b.take(0)) pair.a.feed(kFromPartner, line);  // LEAVES arrive
    CHECK_FALSE(pair.a.take(0).empty());  // PULLs and records, lost in flight
  }
  CHECK(pair.b.server.records().size() == 1);
  CHECK(pair.a.server.records().size() == 200);

  // Nothing waits on the lost messages: the timer is already set for the next round.
  CHECK(pair.a.fire_timer() == first + kPeriod);
  pair.shuttle();
  check_same_records(pair.a.server.records(), pair.b.server.records());
  CHECK(pair.a.server.records().size() == 201);
}

TEST_CASE("anti-entropy: a repair is stored and spread like a new update but never answered") {
  // Beta floods, with friends Alpha (who repairs) and Src and Carol (links up).
  Node b(node_config("Beta", {"Alpha", "Src", "Carol"}, anti_entropy(/*on_connect=*/false)));
  b.open(kFromPartner, "Alpha");
  for (PeerId peer = 0; peer < 3; ++peer) b.peer_up(peer);
  for (PeerId peer = 0; peer < 3; ++peer) b.take(peer);
  const std::string at = "AT Src +0.100000000 kiwi +34.000000-118.000000 1700000001.5";

  b.feed(kFromPartner, "AE PUSH " + at + " 2\n");
  REQUIRE(b.server.records().find("kiwi"));
  CHECK(b.server.records().find("kiwi")->hops == 2);
  CHECK(b.take(0).empty());  // not back to the friend it came from
  CHECK(b.take(1) == std::vector<std::string>{at + " 3\n"});
  CHECK(b.take(2) == std::vector<std::string>{at + " 3\n"});
  CHECK(b.server.stats().updates_applied == 1);

  // The same repair again, or an older one: counted as redundant, nothing sent.
  b.feed(kFromPartner, "AE PUSH " + at + " 2\n");
  b.feed(kFromPartner,
         "AE PUSH AT Src +0.100000000 kiwi +35.000000-118.000000 1700000000.5 1\n");
  CHECK(b.to_peer.empty());
  CHECK(b.server.stats().updates_ignored == 2);
  CHECK(b.warnings.empty());
  // A repair longer than the 600 bytes of the digest messages is fine: the server's line
  // limit bounds it.
  const std::string long_client(1000, 'k');
  b.feed(kFromPartner, "AE PUSH AT Src +0.100000000 " + long_client +
                           " +34.000000-118.000000 1700000001.5 1\n");
  CHECK(b.server.records().find(long_client));
  CHECK(b.warnings.empty());
}

TEST_CASE("anti-entropy: a repair of an update already held draws no KNEW from rumor") {
  PropagationConfig p = anti_entropy(/*on_connect=*/false);
  p.push = PropagationConfig::Push::rumor;
  Node b(node_config("Beta", {"Alpha", "Src"}, p));
  b.open(kFromPartner, "Alpha");
  b.open(kFromSource, "Src");
  b.peer_up(0);
  b.take(0);
  load(b, {src_update("kiwi", 1)});
  const std::string at = "AT Src +0.100000000 kiwi +34.000000-118.000000 1700000001.5";
  b.feed(kFromPartner, "AE PUSH " + at + " 1\n");
  CHECK(b.take(0).empty());
  b.feed(kFromPartner, at + " 1\n");  // the same update pushed: the rumor's feedback
  REQUIRE(b.to_peer[0].size() == 1);
  CHECK(b.to_peer[0][0].starts_with("KNEW "));
}
