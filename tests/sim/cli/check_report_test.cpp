// The pieces of herd-sim check's reports that need no simulation: formatting, escaping,
// exit codes, which files count as scenarios.
#include <catch2/catch.hpp>

#include <sstream>

#include "herd/sim/check_report.hpp"
#include "herd_test/temp_dir.hpp"
#include "xml_check.hpp"

using namespace herd::sim;
using herd::testing::TempDir;

TEST_CASE("check report: integer-valued counts print as integers, times and ratios keep "
          "decimals") {
  CHECK(format_metric("peer_messages", 2339.0) == "2339");
  CHECK(format_metric("updates", 0.0) == "0");
  CHECK(format_metric("propagation_p99_ms", 12.0) == "12.000");
  CHECK(format_metric("reach_min", 1.0) == "1.0000");
  CHECK(format_metric("availability", 1.0) == "1.0000");
  CHECK(format_metric("ldh_mean", 3.0) == "3.0000");
  CHECK(format_metric("messages_per_update", 4.0) == "4.0000");
  CHECK(format_metric("rmr_mean", 0.25) == "0.2500");
}

TEST_CASE("check report: the real-time factor keeps three significant digits below 100x") {
  CHECK(format_speedup(1.0, 4.0) == "0.25x");
  CHECK(format_speedup(1.0, 3.0) == "0.333x");
  CHECK(format_speedup(1.0, 1000.0) == "0.001x");
  CHECK(format_speedup(10.0, 1.0) == "10x");
  CHECK(format_speedup(12.34, 1.0) == "12.3x");
  CHECK(format_speedup(1234.4, 1.0) == "1234x");
  CHECK(format_speedup(1.0, 0.0) == "-");
}

TEST_CASE("check report: escaping for XML, JSON and the shell") {
  CHECK(xml_escape("a<b>&\"'\n") == "a&lt;b&gt;&amp;&quot;&apos;&#10;");
  CHECK(xml_escape(std::string("bell\x07")) == "bell?");
  CHECK(json_escape("a\"b\\c\n\x01") == "a\\\"b\\\\c\\n\\u0001");
  CHECK(shell_quote("scenarios/a-b_c.toml") == "scenarios/a-b_c.toml");
  CHECK(shell_quote("my file.toml") == "'my file.toml'");
  CHECK(shell_quote("scenario.name=it's") == "'scenario.name=it'\\''s'");
}

TEST_CASE("check report: exit codes, the highest winning") {
  CheckResult pass, fail, none, error;
  pass.status = CheckStatus::passed;
  fail.status = CheckStatus::failed;
  none.status = CheckStatus::no_expectations;
  error.status = CheckStatus::error;
  CheckSettings plain, strict;
  strict.require_expect = true;
  CHECK(check_exit_code({}, plain) == 0);
  CHECK(check_exit_code({pass, none}, plain) == 0);
  CHECK(check_exit_code({pass, none}, strict) == 1);
  CHECK(check_exit_code({pass, fail}, plain) == 1);
  CHECK(check_exit_code({fail, error}, plain) == 2);
  CheckResult flaky = pass;
  flaky.nondeterministic = true;
  CHECK(check_exit_code({error, flaky}, plain) == 3);
}

TEST_CASE("check report: JUnit counts failures per testcase and errors apart") {
  CheckResult fail;
  fail.file = "a.toml";
  fail.name = "a";
  fail.status = CheckStatus::failed;
  fail.expectations = {{"min_reach", ">= 1", "0.5", false}, {"max_ldh", "<= 3", "9", false},
                       {"lost_updates", "<= 0", "0", true}};
  CheckResult error;
  error.file = "b.toml";
  error.name = "b";
  error.error = "b.toml:1:2: TOML syntax error: <oops> & more";
  CheckResult none;
  none.file = "c.toml";
  none.name = "c";
  none.status = CheckStatus::no_expectations;
  std::ostringstream out;
  write_junit(out, {fail, error, none}, CheckSettings{});
  const auto xml = xml_check::parse(out.str());
  INFO(out.str());
  REQUIRE(xml.well_formed);
  CHECK(xml.attribute("testsuite", "tests") == "3");
  CHECK(xml.attribute("testsuite", "failures") == "1");
  CHECK(xml.attribute("testsuite", "errors") == "1");
  CHECK(xml.attribute("testsuite", "skipped") == "1");
  CHECK(xml.count("failure") == 2);
  CHECK(xml.attribute("error", "message") == error.error);
  CHECK(xml.attribute("failure", "message") == "min_reach: expected >= 1, got 0.5");
}

TEST_CASE("check report: files are told apart by their top-level keys") {
  TempDir dir;
  CHECK(classify_toml_file(dir.write("s.toml", "[scenario]\nname = \"x\"\n")) == TomlKind::scenario);
  CHECK(classify_toml_file(dir.write("w.toml", "[sweep]\n")) == TomlKind::sweep);
  CHECK(classify_toml_file(dir.write("h.toml", "[[servers]]\nname = \"A\"\n")) ==
        TomlKind::herd_config);
  CHECK(classify_toml_file(dir.write("o.toml", "x = 1\n")) == TomlKind::other);
  CHECK(classify_toml_file(dir.write("b.toml", "[scenario\n")) == TomlKind::unreadable);
}

TEST_CASE("check report: globs expand like folders, and match-nothing is an error") {
  TempDir dir;
  dir.write("a/one.toml", "[scenario]\nname = \"1\"\n");
  dir.write("b/two.toml", "[scenario]\nname = \"2\"\n");
  dir.write("b/herd.toml", "[[servers]]\nname = \"A\"\n");
  auto targets = find_check_targets({(dir.path() / "*").string()});
  REQUIRE(targets.size() == 2);
  CHECK(targets[0].file.filename() == "one.toml");
  CHECK(targets[1].file.filename() == "two.toml");
  targets = find_check_targets({(dir.path() / "b" / "*.toml").string()});
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].file.filename() == "two.toml");
  targets = find_check_targets({(dir.path() / "*.yaml").string()});
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].file.empty());
  CHECK(targets[0].error.ends_with("the pattern matches no .toml files"));
}

TEST_CASE("check report: the table marks nondeterministic runs and failures without [expect]") {
  CheckResult flaky;
  flaky.file = "f.toml";
  flaky.name = "flaky";
  flaky.status = CheckStatus::passed;
  flaky.nondeterministic = true;
  flaky.reproduce = "herd-sim check f.toml --seed 1 --verify-determinism";
  CheckResult none;
  none.file = "n.toml";
  none.name = "none";
  none.status = CheckStatus::no_expectations;
  none.reproduce = "herd-sim check n.toml --seed 1 --require-expect";
  CheckSettings strict;
  strict.require_expect = true;
  std::ostringstream out;
  write_check_table(out, {flaky, none}, strict);
  const std::string table = out.str();
  INFO(table);
  CHECK(table.find("\nNONDET ") != std::string::npos);
  CHECK(table.find("\nFAIL       none") != std::string::npos);
  CHECK(table.find("reproduce with: herd-sim check f.toml --seed 1 --verify-determinism") !=
        std::string::npos);
  CHECK(table.find("no [expect] section (--require-expect)") != std::string::npos);
  CHECK(table.find("2 scenarios: 1 passed, 0 failed, 1 without expectations (failing: "
                   "--require-expect), 0 errors, 1 nondeterministic") != std::string::npos);
}
