// PeerChannel::apply_repair queues a repair and the server applies it once the strategy's
// hook has returned: a strategy is never re-entered (on_repaired_update) from inside its
// own on_peer_message. A planted strategy records the order of its hook calls.

#include "herd/core/server.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace herd::core;

namespace {

constexpr Nanoseconds kT0 = 1'700'000'000LL * kNanosPerSecond;

struct Journal {
  std::vector<std::string> calls;
  bool in_message = false;        // inside on_peer_message
  bool reentered = false;         // a hook ran while on_peer_message was running
  std::vector<bool> accepted;     // what apply_repair returned, in call order
  std::vector<Nanoseconds> repaired_at;  // channel.now() in on_repaired_update
};

// "REPAIR <AT line>..." (several separated by " | ") hands each AT line to apply_repair.
class Recorder final : public PropagationStrategy {
 public:
  explicit Recorder(Journal& journal) : journal_(journal) {}
  std::string_view name() const override { return "recorder"; }
  void on_new_update(PeerChannel&, const LocationUpdate& update, std::uint32_t,
                     std::optional<PeerId>) override {
    note("new " + std::string(update.client));
  }
  void on_repaired_update(PeerChannel& ch, const LocationUpdate& update, std::uint32_t,
                          PeerId) override {
    note("repaired " + std::string(update.client));
    journal_.repaired_at.push_back(ch.now().ns);
  }
  bool on_peer_message(PeerChannel& ch, PeerId from, std::string_view line) override {
    if (!line.starts_with("REPAIR ")) return false;
    note("message begin");
    journal_.in_message = true;
    std::string_view rest = line.substr(7);
    while (!rest.empty()) {
      const auto bar = rest.find(" | ");
      journal_.accepted.push_back(ch.apply_repair(from, rest.substr(0, bar)));
      rest.remove_prefix(bar == std::string_view::npos ? rest.size() : bar + 3);
    }
    journal_.in_message = false;
    journal_.calls.emplace_back("message end");
    return true;
  }

 private:
  void note(std::string call) {
    if (journal_.in_message) journal_.reentered = true;
    journal_.calls.push_back(std::move(call));
  }
  Journal& journal_;
};

std::string update_line(const std::string& client, int t) {
  return "AT Src +0.100000000 " + client + " +34.000000-118.000000 " +
         std::to_string(1'700'000'000 + t) + ".5 1";
}

struct Fixture {
  Journal journal;
  Server server;
  Fixture() : server(config(journal)) {
    server.handle_peer_up(Instant{kT0}, 0);
    while (server.poll_output()) {
    }
  }
  static ServerConfig config(Journal& journal) {
    ServerConfig c;
    c.name = "Alpha";
    c.friends = {"Src"};
    c.log_traffic = false;
    c.limits.idle_timeout_ns = 0;
    c.strategy_factory = [&journal](const PropagationConfig&) {
      return std::make_unique<Recorder>(journal);
    };
    return c;
  }
  std::vector<std::string> warnings() {
    std::vector<std::string> out;
    while (auto o = server.poll_output()) {
      if (auto* l = std::get_if<LogRecord>(&*o); l && l->level == LogLevel::warn) {
        out.push_back(l->text);
      }
    }
    return out;
  }
};

}  // namespace

TEST_CASE("a repair reaches on_repaired_update only after on_peer_message returned") {
  Fixture f;
  const Nanoseconds at = kT0 + 5 * kNanosPerMilli;
  f.server.handle_peer_bytes(Instant{at}, 0, "REPAIR " + update_line("c1", 1) + "\n");
  CHECK(f.journal.calls ==
        std::vector<std::string>{"message begin", "message end", "repaired c1"});
  CHECK_FALSE(f.journal.reentered);
  CHECK(f.journal.accepted == std::vector<bool>{true});
  // Applied at the instant of the message that carried it, and stored.
  CHECK(f.journal.repaired_at == std::vector<Nanoseconds>{at});
  CHECK(f.server.records().find("c1") != nullptr);
  CHECK(f.server.stats().updates_applied == 1);
}

TEST_CASE("repairs are applied in the order they were handed over") {
  Fixture f;
  f.server.handle_peer_bytes(
      Instant{kT0}, 0,
      "REPAIR " + update_line("c2", 1) + " | " + update_line("c1", 1) + " | " +
          update_line("c3", 1) + "\n");
  CHECK(f.journal.calls == std::vector<std::string>{"message begin", "message end",
                                                    "repaired c2", "repaired c1",
                                                    "repaired c3"});
  CHECK_FALSE(f.journal.reentered);
}

TEST_CASE("an invalid repair is refused at once and nothing is queued") {
  Fixture f;
  // Right shape, bad coordinates: only the value check can tell.
  std::string bad = update_line("c1", 1);
  bad.replace(bad.find("+34.000000"), 10, "+99.000000");
  f.server.handle_peer_bytes(Instant{kT0}, 0, "REPAIR " + bad + " | AT nonsense\n");
  CHECK(f.journal.accepted == std::vector<bool>{false, false});
  CHECK(f.journal.calls == std::vector<std::string>{"message begin", "message end"});
  CHECK(f.server.records().find("c1") == nullptr);
}

TEST_CASE("a repair of what the server already holds reaches no hook") {
  Fixture f;
  f.server.handle_peer_bytes(Instant{kT0}, 0, update_line("c1", 2) + "\n");
  f.server.handle_peer_bytes(Instant{kT0}, 0, "REPAIR " + update_line("c1", 1) + "\n");
  CHECK(f.journal.calls == std::vector<std::string>{"new c1", "message begin", "message end"});
  CHECK(f.server.stats().updates_ignored == 1);
  CHECK(f.warnings().empty());
}
