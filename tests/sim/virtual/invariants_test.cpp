// The invariant checker, on its own and planted into runs with broken strategies.
#include "herd/sim/invariants.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "herd/core/propagation.hpp"
#include "herd/sim/simulation.hpp"

using namespace herd::sim;
using herd::core::kNanosPerMilli;
using herd::core::kNanosPerSecond;
using herd::core::SharedText;

namespace {

SharedText at(const std::string& origin, const std::string& client, int t) {
  return SharedText("AT " + origin + " +0.000000001 " + client +
                    " +34.068930-118.445127 17000000" + std::to_string(10 + t) + ".000000000");
}
std::uint64_t id(const SharedText& line) { return herd::core::update_id(*line); }

HerdLayout pair_herd() {
  HerdLayout layout;
  layout.names = {"a", "b"};
  layout.neighbours = {{1}, {0}};
  return layout;
}

Scenario one_iamat() {
  Scenario s;
  s.name = "planted";
  s.duration_ns = 2 * kNanosPerSecond;
  s.network.latency = herd::sim::constant_delay(kNanosPerMilli);
  s.workload.script.push_back(ScriptedCommand{
      kNanosPerSecond, "a", "IAMAT kiwi +34.068930-118.445127 1700000001.000000000"});
  return s;
}

// Floods as usual, and also tells every friend about a client nobody has seen.
class Fabricating final : public herd::core::PropagationStrategy {
 public:
  std::string_view name() const override { return "fabricating"; }
  void on_new_update(herd::core::PeerChannel& ch, const herd::core::LocationUpdate& update,
                     std::uint32_t hops, std::optional<herd::core::PeerId> from) override {
    for (herd::core::PeerId p = 0; p < ch.friend_count(); ++p) {
      if (from && *from == p) continue;
      ch.send(p, herd::core::peer_update_line(update, hops + 1));
      if (!from) {
        ch.send(p, SharedText("AT a +0.000000001 ghost +34.068930-118.445127 1700000000.5 1\n"));
      }
    }
  }
};

// Asks to be woken at the instant it is woken at, forever.
class Spinning final : public herd::core::PropagationStrategy {
 public:
  std::string_view name() const override { return "spinning"; }
  void on_new_update(herd::core::PeerChannel& ch, const herd::core::LocationUpdate&,
                     std::uint32_t, std::optional<herd::core::PeerId>) override {
    due_ = ch.now();
  }
  void on_timeout(herd::core::PeerChannel& ch) override { due_ = ch.now(); }
  std::optional<herd::core::Instant> next_timeout() const override { return due_; }

 private:
  std::optional<herd::core::Instant> due_;
};

template <class Strategy>
herd::core::StrategyFactory plant() {
  return [](const herd::core::PropagationConfig&) { return std::make_unique<Strategy>(); };
}

std::string violation_of(const Scenario& s, SimulationOptions options) {
  if (!options.check_invariants) options.check_invariants = true;
  Simulation sim(s, pair_herd(), std::move(options));
  try {
    sim.run();
  } catch (const InvariantViolation& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("invariants: a record no client sent is caught where it is stored") {
  SimulationOptions options;
  options.strategy_factory = plant<Fabricating>();
  const std::string what = violation_of(one_iamat(), options);
  INFO(what);
  CHECK(what.find("server b stored a record no client sent") != std::string::npos);
  CHECK(what.find("ghost") != std::string::npos);
  CHECK(what.find("t=1.001000000s") != std::string::npos);
}

TEST_CASE("invariants: a timer that re-arms for the instant it fired at stops the run") {
  SimulationOptions options;
  options.strategy_factory = plant<Spinning>();
  const std::string what = violation_of(one_iamat(), options);
  INFO(what);
  CHECK(what.find("server a asked its timer to fire again at 1.000000000s") != std::string::npos);
  CHECK(what.find("spin") != std::string::npos);
}

TEST_CASE("invariants: a run past its event cap stops with the cap named") {
  Scenario s = one_iamat();
  s.max_events = 3;
  const std::string what = violation_of(s, {});
  INFO(what);
  CHECK(what.find("event cap of 3 events (scenario.max_events)") != std::string::npos);
}

TEST_CASE("invariants: a violation found on a thread of a parallel run reads as the serial one") {
  // Windows of one event, so that every delivery and timer is handled on a thread: a
  // fabricated record (caught as the commit stores it), a spinning timer (caught on the
  // thread that fires it) and the event cap.
  Scenario capped = one_iamat();
  capped.max_events = 3;
  const std::vector<std::pair<Scenario, herd::core::StrategyFactory>> cases = {
      {one_iamat(), plant<Fabricating>()}, {one_iamat(), plant<Spinning>()}, {capped, {}}};
  for (const auto& [scenario, factory] : cases) {
    SimulationOptions serial;
    serial.strategy_factory = factory;
    SimulationOptions threaded = serial;
    threaded.threads = 2;
    threaded.parallel_min_events = 1;
    const std::string expected = violation_of(scenario, serial);
    INFO(expected);
    CHECK_FALSE(expected.empty());
    CHECK(violation_of(scenario, threaded) == expected);
  }
}

TEST_CASE("invariants: with the checker off a planted fabrication goes unnoticed") {
  // What the checker is for: the run itself has no way to tell.
  SimulationOptions options;
  options.strategy_factory = plant<Fabricating>();
  options.check_invariants = false;
  CHECK(violation_of(one_iamat(), options).empty());
}

TEST_CASE("invariants: a record going backwards is reported with both lines") {
  InvariantChecker checker;
  const SharedText newer = at("a", "kiwi", 2), older = at("a", "kiwi", 1);
  CHECK_FALSE(checker.on_accepted(0, newer, id(newer)));
  CHECK_FALSE(checker.on_accepted(1, older, id(older)));
  auto broken = checker.on_stored(0, older, id(older));
  REQUIRE(broken);
  CHECK(broken->find("went backwards for client kiwi") != std::string::npos);
  // Not after the server lost its state.
  checker.on_state_lost(0);
  CHECK_FALSE(checker.on_stored(0, older, id(older)));
  CHECK(checker.held(0, "kiwi") == id(older));
  CHECK(checker.held(1, "kiwi") == id(older));
  CHECK_FALSE(checker.held(1, "lime"));
}

TEST_CASE("invariants: time running backwards is reported") {
  CHECK_FALSE(InvariantChecker::on_event(5, 5, 1, 0));
  auto broken = InvariantChecker::on_event(4, 5, 2, 0);
  REQUIRE(broken);
  CHECK(broken->find("virtual time ran backwards") != std::string::npos);
}
