// The soak's verdict from made-up material: which marks an injected fault explains, which
// it does not, RSS judged per process (a restart starts a new series), and the reasons.
#include <catch2/catch.hpp>

#include <limits>

#include "herd/sim/soak/fault_windows.hpp"
#include "herd/sim/soak/soak.hpp"

using namespace herd::sim;
using namespace herd::sim::soak;

namespace {

FaultSpec crash(const std::string& server, double at_s, double for_s) {
  FaultSpec f;
  f.kind = FaultSpec::Kind::crash;
  f.at_ns = static_cast<Nanoseconds>(at_s * 1e9);
  f.duration_ns = static_cast<Nanoseconds>(for_s * 1e9);
  f.servers = {server};
  return f;
}

FaultSpec partition(std::vector<std::vector<std::string>> groups, double at_s, double for_s) {
  FaultSpec f;
  f.kind = FaultSpec::Kind::partition;
  f.at_ns = static_cast<Nanoseconds>(at_s * 1e9);
  f.duration_ns = static_cast<Nanoseconds>(for_s * 1e9);
  f.groups = std::move(groups);
  return f;
}

ErrorRecord log_mark(const std::string& server, double t, const std::string& text) {
  ErrorRecord m;
  m.source = ErrorRecord::Source::log;
  m.server = server;
  m.t_s = t;
  m.text = text;
  return m;
}

ErrorRecord client_mark(const std::string& server, double due, double at) {
  ErrorRecord m;
  m.source = ErrorRecord::Source::client;
  m.server = server;
  m.due_s = due;
  m.t_s = at;
  m.kind = "connect_refused";
  m.text = "IAMAT connect_refused: connection refused";
  return m;
}

// A report with flat RSS for every server, one pid each, sampled every 10 s for 10 min.
SoakReport flat_report() {
  SoakReport r;
  r.duration_s = 600;
  r.servers = {"Bailey", "Bona", "Campbell"};
  int pid = 100;
  for (const auto& name : r.servers) {
    ServerRss s{name, {}, {}};
    for (int i = 0; i <= 60; ++i) s.samples.push_back(RssSample{i * 10.0, pid, 9000});
    ++pid;
    r.rss.push_back(std::move(s));
  }
  return r;
}

}  // namespace

TEST_CASE("soak faults: a crash explains failed commands to its server, near its window") {
  const auto w = fault_windows({crash("Bona", 100, 10)});
  REQUIRE(w.size() == 1);
  CHECK(w[0].stops_servers);
  CHECK(explains_client_failure(w, "Bona", 99, 101, 5));
  CHECK(explains_client_failure(w, "Bona", 113, 113, 5));  // just after the restart
  CHECK_FALSE(explains_client_failure(w, "Bona", 120, 120, 5));
  CHECK_FALSE(explains_client_failure(w, "Bailey", 105, 105, 5));
  // A command due before the crash that timed out during it.
  CHECK(explains_client_failure(w, "Bona", 90, 100.5, 0));
  const auto forever = fault_windows({crash("Bona", 100, 0)});
  CHECK(forever[0].to_s == std::numeric_limits<double>::infinity());
  CHECK(explains_client_failure(forever, "Bona", 500, 500, 0));
}

TEST_CASE("soak faults: a partition explains link churn of the servers it names, not client failures") {
  const auto w = fault_windows({partition({{"Bailey"}, {"Bona", "Campbell"}}, 50, 10)});
  CHECK_FALSE(w[0].stops_servers);
  CHECK(explains_link_churn(w, "Bailey", "Bona", 50.01, 1));
  CHECK(explains_link_churn(w, "Clark", "Bona", 55, 1));  // Clark's link to a server it cuts
  CHECK_FALSE(explains_link_churn(w, "Clark", "Jaquez", 55, 1));
  CHECK_FALSE(explains_link_churn(w, "Bailey", "Bona", 70, 1));
  CHECK_FALSE(explains_client_failure(w, "Bailey", 55, 55, 1));
}

TEST_CASE("soak verdict: flat RSS and only explained marks pass") {
  SoakReport r = flat_report();
  r.faults = {crash("Bona", 100, 10)};
  SoakOptions o;
  judge(r,
        {log_mark("Bailey", 100.2, "warning link to Bona down"),
         log_mark("Campbell", 111, "warning inbound link from Bona closed (conn 9)"),
         client_mark("Bona", 104, 104.001)},
        o);
  CHECK(r.passed);
  CHECK(r.reasons.empty());
  CHECK(r.log_problems == 2);
  CHECK(r.log_explained == 2);
  CHECK(r.client_failures == 1);
  CHECK(r.client_explained == 1);
  CHECK(r.unexplained == 0);
  CHECK(r.processes_judged == 3);
  CHECK(r.rss_flat);
  CHECK(r.trend_options.warmup_s == 150);  // a quarter of the duration by default
  CHECK(r.listed.empty());
  REQUIRE(r.explained.size() == 2);
  CHECK(r.explained[0].source_kind == "client connect_refused");
  CHECK(r.explained[0].count == 1);
  CHECK(r.explained[1].source_kind == "log link churn");
  CHECK(r.explained[1].count == 2);
}

TEST_CASE("soak verdict: link churn before time 0 is the herd coming up; other lines are not") {
  SoakReport r = flat_report();
  SoakOptions o;
  judge(r,
        {log_mark("Clark", -0.07, "warning link to Jaquez down"),
         log_mark("Clark", -0.05, "warning conn 3 on the peer port did not start with a "
                                  "friend's greeting; closing")},
        o);
  CHECK(r.log_explained == 1);
  CHECK(r.unexplained == 1);
  REQUIRE(r.explained.size() == 1);
  CHECK(r.explained[0].source_kind == "log link churn while the herd came up");
  REQUIRE(r.listed.size() == 1);
  CHECK(r.listed[0].t_s == -0.05);
}

TEST_CASE("soak verdict: a planted error line and a failure no fault explains are caught") {
  SoakReport r = flat_report();
  r.faults = {crash("Bona", 100, 10)};
  SoakOptions o;
  judge(r,
        {log_mark("Bailey", 300, "warning link to Bona down"),  // no fault then
         log_mark("Bona", 105, "error planted by the test"),      // never link churn
         client_mark("Campbell", 105, 105),                       // Campbell was up
         client_mark("Bona", 105, 105)},
        o);
  CHECK_FALSE(r.passed);
  CHECK(r.unexplained == 3);
  CHECK(r.log_explained == 0);
  CHECK(r.client_explained == 1);
  // The unexplained ones, in time order; the explained one only counted.
  REQUIRE(r.listed.size() == 3);
  CHECK(r.listed[0].text == "error planted by the test");
  CHECK(r.listed[1].server == "Campbell");
  CHECK(r.listed[2].t_s == 300);
  for (const auto& e : r.listed) CHECK_FALSE(e.explained);
  REQUIRE(r.explained.size() == 1);
  CHECK(r.explained[0].source_kind == "client connect_refused");
  CHECK(r.explained[0].count == 1);
  REQUIRE(r.reasons.size() == 1);
  CHECK(r.reasons[0] == "3 error(s) that no injected fault explains");

  SoakOptions few;
  few.max_listed = 2;
  SoakReport again = flat_report();
  judge(again, {log_mark("Bona", 1, "error a"), log_mark("Bona", 2, "error b"),
                log_mark("Bona", 3, "error c")},
        few);
  CHECK(again.unexplained == 3);
  CHECK(again.listed.size() == 2);
}

TEST_CASE("soak verdict: marks beyond the recording limit count as unexplained") {
  SoakReport r = flat_report();
  r.unclassified = 4;
  SoakOptions o;
  o.max_recorded = 1;
  judge(r, {log_mark("Bona", 1, "warning link to Clark down")}, o);  // no fault: unexplained
  CHECK(r.unexplained == 5);
  CHECK_FALSE(r.passed);
  REQUIRE(r.reasons.size() == 2);
  CHECK(r.reasons[0] == "4 mark(s) beyond the 1 recorded (--max-recorded) were not classified; "
                        "they count as unexplained");
  CHECK(r.reasons[1] == "5 error(s) that no injected fault explains");
}

TEST_CASE("soak verdict: a leaking server fails, and a restart starts a new series") {
  SoakReport r = flat_report();
  // Campbell leaks 2 MiB a minute.
  for (auto& s : r.rss[2].samples) s.rss_kib = 9000 + static_cast<std::uint64_t>(s.t_s / 60 * 2048);
  // Bona crashes at 300 s and comes back with a new pid and a small RSS: on one series
  // this would be a drop, then a climb; per process, both halves are flat.
  for (auto& s : r.rss[1].samples) {
    if (s.t_s >= 300 && s.t_s < 310) s = RssSample{s.t_s, 0, 0};
    if (s.t_s >= 310) s = RssSample{s.t_s, 555, 3000};
  }
  SoakOptions o;
  o.rss_warmup_s = 60;
  o.rss_min_span_s = 60;
  judge(r, {}, o);
  CHECK_FALSE(r.passed);
  CHECK_FALSE(r.rss_flat);
  CHECK(r.processes_judged == 4);  // Bailey, Campbell, and both processes of Bona
  REQUIRE(r.rss[1].processes.size() == 2);
  CHECK(r.rss[1].processes[0].trend.judged);
  CHECK(r.rss[1].processes[0].trend.flat);
  CHECK(r.rss[1].processes[1].pid == 555);
  CHECK(r.rss[1].processes[1].trend.judged);
  CHECK(r.rss[1].processes[1].trend.flat);
  CHECK_FALSE(r.rss[2].processes[0].trend.flat);
  REQUIRE(r.reasons.size() == 1);
  CHECK(r.reasons[0].starts_with("RSS of Campbell (pid 102) grew 204"));
  CHECK(r.rss[2].processes[0].trend.slope_kib_per_min == Approx(2048).epsilon(0.01));
}

TEST_CASE("soak verdict: nothing judged is a failure, with the reason") {
  SoakReport r = flat_report();
  for (auto& s : r.rss) s.samples.resize(2);
  SoakOptions o;
  judge(r, {}, o);
  CHECK_FALSE(r.passed);
  CHECK(r.processes_judged == 0);
  REQUIRE(r.reasons.size() == 1);
  CHECK(r.reasons[0].find("no server process ran long enough") == 0);
}

TEST_CASE("soak options: limits are checked at their edges") {
  SoakOptions o;
  CHECK_NOTHROW(validate(o, 600));
  CHECK_THROWS_AS(validate(o, 0), SoakError);
  o.sample_every_s = 0.1;
  CHECK_NOTHROW(validate(o, 600));
  o.sample_every_s = 0.099;
  CHECK_THROWS_WITH(validate(o, 600), "--sample-every must be at least 100ms");
  o.sample_every_s = 0.1;
  CHECK_NOTHROW(validate(o, 100'000));
  CHECK_THROWS_WITH(validate(o, 100'000.2), Catch::Contains("at most 1000000 samples"));
  SoakOptions c;
  c.load_connections = 100;
  CHECK_NOTHROW(validate(c, 60));
  c.load_connections = 101;
  CHECK_THROWS_AS(validate(c, 60), SoakError);
  c.load_connections = 0;
  CHECK_THROWS_AS(validate(c, 60), SoakError);
  c.load_rate_per_s = 0;  // no load: its options do not matter
  CHECK_NOTHROW(validate(c, 60));
  SoakOptions w;
  w.load_whatsat_fraction = 1.01;
  CHECK_THROWS_AS(validate(w, 60), SoakError);
  SoakOptions m;
  m.max_recorded = 0;
  CHECK_THROWS_AS(validate(m, 60), SoakError);
  m.max_recorded = 1;
  m.max_log_line_bytes = 64;
  CHECK_NOTHROW(validate(m, 60));
  m.max_log_line_bytes = 63;
  CHECK_THROWS_WITH(validate(m, 60), "--max-log-line must be at least 64 bytes");
}
