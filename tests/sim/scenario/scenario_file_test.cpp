#include "herd/sim/scenario_file.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "scenario_test_support.hpp"

using namespace herd::sim;
using scenario_test::examples;
using scenario_test::repo_root;
using herd::testing::TempDir;
using Dist = DelayDistribution::Kind;
using Fault = FaultSpec::Kind;

namespace {
constexpr Nanoseconds kMs = 1'000'000;
constexpr Nanoseconds kS = 1'000'000'000;

using Names = std::vector<std::string>;
}  // namespace

TEST_CASE("scenario file: everything.toml puts every key into the scenario") {
  const auto file = examples() / "everything.toml";
  const Scenario s = load_scenario(file);

  CHECK(s.source_path == file.string());
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(s.source_text == text.str());

  CHECK(s.name == "everything");
  CHECK(s.description.rfind("Every key: a Campbell outage", 0) == 0);
  CHECK(s.seed == 7);
  CHECK(s.duration_ns == 120 * kS);
  CHECK(s.epoch_ns == 1'700'000'000 * kS);
  CHECK(s.sample_every_ns == 500 * kMs);
  CHECK(s.places_db.empty());

  CHECK(s.topology.kind == TopologySpec::Kind::explicit_edges);
  CHECK(s.topology.servers == Names{"Bailey", "Bona", "Campbell", "Clark", "Jaquez"});
  REQUIRE(s.topology.friends.size() == 6);
  CHECK(s.topology.friends[0] == std::pair<std::string, std::string>{"Clark", "Jaquez"});
  CHECK(s.topology.friends[5] == std::pair<std::string, std::string>{"Bona", "Bailey"});
  CHECK(s.strategy == "flood");

  const NetworkSpec& net = s.network;
  CHECK(net.latency.kind == Dist::lognormal);
  CHECK(net.latency.median_ns == 20 * kMs);
  CHECK(net.latency.sigma == 0.6);
  CHECK(net.client_latency.kind == Dist::empirical);
  CHECK(net.client_latency.samples_ns.size() == 12);
  CHECK(net.client_latency.samples_ns.front() == 3'200'000);
  CHECK(net.client_latency.samples_ns.back() == 48 * kMs);
  CHECK(net.client_latency.source ==
        (examples() / "latency" / "campus-wifi.txt").lexically_normal().generic_string());
  CHECK(net.reorder);
  CHECK(net.reconnect_ns == 250 * kMs);
  REQUIRE(net.links.size() == 5);
  CHECK(net.links[0].a == "Clark");
  CHECK(net.links[0].b == "Bona");
  CHECK(net.links[0].both_directions);
  CHECK(net.loss == 0.0);
  for (const auto& link : net.links) REQUIRE(link.latency.has_value());
  CHECK_FALSE(net.links[0].loss.has_value());
  CHECK(net.links[4].loss == 0.0);
  CHECK(net.links[0].latency->kind == Dist::constant);
  CHECK(net.links[0].latency->value_ns == 150 * kMs);
  CHECK(net.links[1].a == "Campbell");
  CHECK(net.links[1].b == "Jaquez");
  CHECK_FALSE(net.links[1].both_directions);
  CHECK(net.links[1].latency->kind == Dist::uniform);
  CHECK(net.links[1].latency->min_ns == 5 * kMs);
  CHECK(net.links[1].latency->max_ns == 15 * kMs);
  CHECK(net.links[2].latency->kind == Dist::normal);
  CHECK(net.links[2].latency->mean_ns == 30 * kMs);
  CHECK(net.links[2].latency->stddev_ns == 5 * kMs);
  CHECK(net.links[2].latency->min_ns == 10 * kMs);
  CHECK(net.links[3].latency->kind == Dist::exponential);
  CHECK(net.links[3].latency->mean_ns == 8 * kMs);
  CHECK(net.links[4].latency->kind == Dist::pareto);
  CHECK(net.links[4].latency->scale_ns == 2 * kMs);
  CHECK(net.links[4].latency->shape == 1.5);

  REQUIRE(s.faults.size() == 7);
  const FaultSpec& crash = s.faults[0];
  CHECK(crash.kind == Fault::crash);
  CHECK(crash.at_ns == 10 * kS);
  CHECK(crash.duration_ns == 15 * kS);
  CHECK(crash.servers == Names{"Campbell"});
  CHECK_FALSE(crash.amnesia);
  CHECK(crash.origin == "scenario");
  const FaultSpec& split = s.faults[1];
  CHECK(split.kind == Fault::partition);
  CHECK(split.duration_ns == 10 * kS);
  CHECK(split.groups == std::vector<Names>{{"Bailey", "Bona"}, {"Campbell", "Clark", "Jaquez"}});
  CHECK(s.faults[2].kind == Fault::pause);
  CHECK(s.faults[2].servers == Names{"Clark", "Jaquez"});
  CHECK(s.faults[2].duration_ns == 2 * kS);
  CHECK(s.faults[3].kind == Fault::one_way);
  CHECK(s.faults[3].from == Names{"Bona"});
  CHECK(s.faults[3].to == Names{"Bailey", "Campbell"});
  CHECK(s.faults[4].kind == Fault::clog);
  CHECK(s.faults[4].from == Names{"Clark"});
  CHECK(s.faults[4].to == Names{"Bona", "Jaquez"});
  CHECK(s.faults[4].duration_ns == 3 * kS);
  CHECK(s.faults[5].kind == Fault::latency);
  CHECK(s.faults[5].from == Names{"Campbell"});
  CHECK(s.faults[5].to == Names{"Bona"});
  CHECK(s.faults[5].latency.kind == Dist::constant);
  CHECK(s.faults[5].latency.value_ns == 400 * kMs);
  const FaultSpec& clock = s.faults[6];
  CHECK(clock.kind == Fault::clock);
  CHECK(clock.at_ns == 80 * kS);
  CHECK(clock.servers == Names{"Bailey"});
  CHECK(clock.skew_ns == -250 * kMs);
  CHECK(clock.drift_ppm == 50.0);

  const RandomFaultSpec& swarm = s.random_faults;
  CHECK(swarm.enabled);
  CHECK(swarm.crashes == 3);
  CHECK(swarm.partitions == 2);
  CHECK(swarm.pauses == 1);
  CHECK(swarm.start_ns == 85 * kS);
  CHECK(swarm.end_ns == 100 * kS);
  CHECK(swarm.max_duration_ns == 5 * kS);
  CHECK(swarm.max_down == 1);
  CHECK_FALSE(swarm.amnesia);

  const WorkloadSpec& w = s.workload;
  CHECK(w.clients == 100);
  CHECK(w.attach == WorkloadSpec::Attach::sticky_random);
  CHECK(w.iamat_per_s == 200.0);
  CHECK(w.whatsat_per_s == 20.0);
  CHECK(w.whatsat_radius_km == 10.0);
  CHECK(w.whatsat_bound == 5);
  CHECK(w.lat_min == 33.5);
  CHECK(w.lng_min == -119.0);
  CHECK(w.lat_max == 34.5);
  CHECK(w.lng_max == -117.5);
  CHECK(w.speed_mps == 1.5);
  CHECK(w.start_ns == 1 * kS);
  CHECK(w.end_ns == 118 * kS);
  REQUIRE(w.script.size() == 2);
  CHECK(w.script[0].at_ns == 1'500 * kMs);
  CHECK(w.script[0].server == "Clark");
  CHECK(w.script[0].line == "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1700000001.5");
  CHECK(w.script[1].server == "Bailey");
  CHECK(w.script[1].line == "WHATSAT kiwi.cs.ucla.edu 10 5");

  const Expectations& e = s.expect;
  CHECK(e.converge_within_ns == 2 * kS);
  CHECK(e.propagation_p99_ns == 15 * kS);
  CHECK(e.propagation_max_ns == 30 * kS);
  CHECK(e.lost_updates == 0);
  CHECK(e.min_reach == 1.0);
  CHECK(e.max_stale_reads == 0);
  CHECK(e.max_ldh == 4);
  CHECK(e.seeds == 1);
  REQUIRE(e.across_seeds.size() == 1);
  CHECK(e.across_seeds[0].metric == "convergence");
  CHECK(e.across_seeds[0].quantile == 0.99);
  CHECK(e.across_seeds[0].limit == 2.0 * kS);
  CHECK(e.across_seeds[0].at_most);
}

TEST_CASE("scenario file: minimal.toml leaves every other field at its default") {
  const Scenario s = load_scenario(examples() / "minimal.toml");
  const Scenario defaults;
  CHECK(s.name == "minimal");
  CHECK(s.description.empty());
  CHECK(s.seed == defaults.seed);
  CHECK(s.duration_ns == 10 * kS);
  CHECK(s.epoch_ns == defaults.epoch_ns);
  CHECK(s.sample_every_ns == kS);
  CHECK(s.strategy == "flood");
  CHECK(s.places_db.empty());
  CHECK(s.topology.servers == Names{"Alpha", "Beta", "Gamma"});
  CHECK(s.topology.friends.size() == 2);
  CHECK(s.network.latency.kind == Dist::constant);
  CHECK(s.network.latency.value_ns == kMs);
  CHECK(s.network.client_latency.value_ns == 0);
  CHECK_FALSE(s.network.reorder);
  CHECK(s.network.links.empty());
  CHECK(s.network.loss == 0);
  CHECK(s.network.reconnect_ns == 0);
  CHECK(s.faults.empty());
  CHECK_FALSE(s.random_faults.enabled);
  CHECK(s.workload.clients == 10);
  CHECK(s.workload.iamat_per_s == 5.0);
  CHECK(s.workload.whatsat_per_s == 0.0);
  CHECK(s.workload.attach == WorkloadSpec::Attach::random);
  CHECK(s.workload.end_ns == 0);
  CHECK(s.workload.script.empty());
  CHECK_FALSE(s.expect.converge_within_ns);
  CHECK_FALSE(s.expect.lost_updates);
  CHECK_FALSE(s.expect.min_reach);
}

TEST_CASE("scenario file: loss on the whole network and per link, each key on its own") {
  const Scenario s = parse_scenario(R"(
[scenario]
name = "lossy"
[herd]
servers = ["A", "B", "C"]
friends = [["A", "B"], ["B", "C"]]
[network]
loss = 0.05
[[network.links]]
between = ["A", "B"]
loss = 0.5
[[network.links]]
from = "C"
to = "B"
latency = "3ms"
[[network.links]]
from = "B"
to = "C"
latency = "4ms"
loss = 0
)",
                                    "lossy.toml");
  CHECK(s.network.loss == 0.05);
  REQUIRE(s.network.links.size() == 3);
  CHECK(s.network.links[0].loss == 0.5);
  CHECK_FALSE(s.network.links[0].latency.has_value());
  CHECK_FALSE(s.network.links[1].loss.has_value());
  REQUIRE(s.network.links[1].latency.has_value());
  CHECK(s.network.links[1].latency->value_ns == 3 * kMs);
  // An explicit 0 is kept: it clears the network's loss on that link.
  CHECK(s.network.links[2].loss == 0.0);
  CHECK(s.network.links[2].latency->value_ns == 4 * kMs);
}

TEST_CASE("scenario file: every shipped scenario file loads") {
  // Every TOML file under scenarios/ with a [scenario] table must parse, so a format change
  // that breaks a shipped scenario fails here. (Live herd configs have no [scenario].)
  int loaded = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(repo_root() / "scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("[scenario]") == std::string::npos) continue;
    INFO(entry.path().string());
    CHECK_NOTHROW((void)load_scenario(entry.path()));
    ++loaded;
  }
  CHECK(loaded >= 2);
}

TEST_CASE("scenario file: the full example in docs/scenarios.md is everything.toml") {
  // The reference must not drift from the file the tests check key by key: the doc's last
  // toml block is the example without its leading comment lines.
  const auto read = [](const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  const std::string doc = read(repo_root() / "docs" / "scenarios.md");
  const auto fence = doc.rfind("```toml\n");
  REQUIRE(fence != std::string::npos);
  const auto body_start = fence + 8;
  const auto body_end = doc.find("```", body_start);
  REQUIRE(body_end != std::string::npos);
  const std::string block = doc.substr(body_start, body_end - body_start);

  std::string file = read(examples() / "everything.toml");
  while (file.rfind("#", 0) == 0) file.erase(0, file.find('\n') + 1);
  while (file.rfind("\n", 0) == 0) file.erase(0, 1);
  CHECK(block == file);
  CHECK_NOTHROW((void)parse_scenario(block, (examples() / "from-docs.toml").string()));
}

TEST_CASE("scenario file: rumor rounds and counter reset reach the propagation config") {
  const std::string head =
      "[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\", \"B\"]\nfriends = [[\"A\", \"B\"]]\n"
      "strategy = \"rumor\"\n";
  const Scenario defaults = parse_scenario(head, "t.toml");
  CHECK(defaults.propagation.rumor_rounds == herd::core::PropagationConfig::Rounds::async);
  CHECK_FALSE(defaults.propagation.rumor_counter_reset);
  const Scenario table1 =
      parse_scenario(head + "[strategy]\nrounds = \"sync\"\ncounter_reset = true\nk = 2\n",
                     "t.toml");
  CHECK(table1.propagation.rumor_rounds == herd::core::PropagationConfig::Rounds::sync);
  CHECK(table1.propagation.rumor_counter_reset);
  CHECK(table1.propagation.rumor_k == 2);
  const Scenario back = parse_scenario(head + "[strategy]\nrounds = \"sync\"\n", "t.toml",
                                       {"strategy.rounds=async"});
  CHECK(back.propagation.rumor_rounds == herd::core::PropagationConfig::Rounds::async);
}

TEST_CASE("scenario file: plumtree prune_after reaches the propagation config") {
  const std::string head =
      "[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\", \"B\"]\nfriends = [[\"A\", \"B\"]]\n"
      "strategy = \"plumtree\"\n";
  CHECK(parse_scenario(head, "t.toml").propagation.plumtree_prune_after == 3);
  CHECK(parse_scenario(head + "[strategy]\nprune_after = 1\n", "t.toml")
            .propagation.plumtree_prune_after == 1);
  CHECK(parse_scenario(head, "t.toml", {"strategy.prune_after=7"})
            .propagation.plumtree_prune_after == 7);
}

TEST_CASE("scenario file: a fault kind's name is the key that wrote it") {
  // Results and soak reports store to_string(kind); it must read back as the same kind.
  const Scenario s = load_scenario(examples() / "everything.toml");
  REQUIRE(s.faults.size() == 7);
  std::vector<std::string_view> names;
  for (const auto& f : s.faults) names.push_back(to_string(f.kind));
  CHECK(names == std::vector<std::string_view>{"crash", "partition", "pause", "one_way", "clog",
                                               "latency", "clock"});
}
