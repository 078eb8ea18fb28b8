// [strategy] keys must belong to the herd's strategy: another strategy's key would be
// silently ignored.
#include <catch2/catch.hpp>
#include <string>

#include "herd/sim/scenario_file.hpp"
#include "scenario_test_support.hpp"

using namespace herd::sim;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using scenario_test::error_of;

TEST_CASE("strategy keys: a key of another strategy than the herd's is an error") {
  const std::string head =
      "[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\", \"B\"]\nstrategy = \"flood\"\n";
  CHECK_THAT(error_of(head + "[strategy]\nfanout = 3\n"),
             StartsWith("t.toml:7:1: strategy.fanout is a gossip parameter, but the herd's "
                        "strategy is flood from herd.strategy (t.toml:5)"));
  // The default strategy is flood too.
  CHECK_THAT(error_of("[scenario]\nname = \"t\"\n[herd]\nservers = [\"A\"]\n[strategy]\nk = 2\n"),
             StartsWith("t.toml:6:1: strategy.k is a rumor parameter, but the herd's strategy is "
                        "flood from herd.strategy (not set: flood is the default)"));
  CHECK_THAT(error_of(head + "[strategy]\ngraft_timeout = \"1s\"\n", {"herd.strategy=rumor"}),
             Contains("strategy.graft_timeout is a plumtree parameter"));
  // Keys of the herd's own strategy and anti-entropy's are fine.
  CHECK(parse_scenario(head + "[strategy]\nfanout = 3\nanti_entropy = true\n", "t.toml",
                       {"herd.strategy=gossip"})
            .propagation.fanout == 3);
  CHECK(parse_scenario(head + "[strategy]\nanti_entropy_period = \"2s\"\n", "t.toml")
            .propagation.anti_entropy_period_ns == 2'000'000'000);
}
