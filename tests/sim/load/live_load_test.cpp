// herd_load against real servers on loopback: a herd-server process started by the test
// (both connection styles, open and closed loop, warm-up), a port nobody listens on, a
// listener that never answers, the herd-load program's JSON, and the Python reference herd.
#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include "herd/sim/load/load.hpp"
#include "herd/sim/load/report.hpp"
#include "test_herd.hpp"

using namespace herd::sim::load;
using herd::live::testing::ChildProcess;
using herd::live::testing::TestHerd;
using herd::live::testing::TestClient;
using herd::live::testing::TestError;
using herd::live::testing::free_port;
using herd::live::testing::lone_server;
using namespace std::chrono_literals;

namespace {

LoadOptions options_for(std::uint16_t port) {
  LoadOptions o;
  o.targets = resolve_targets({"127.0.0.1:" + std::to_string(port)});
  o.timeout_s = 5;
  o.workload.clients = 20;
  return o;
}

std::uint64_t total_errors(const LoadResult& r) {
  std::uint64_t n = 0;
  for (auto e : r.errors) n += e;
  return n;
}

std::uint64_t errors_of(const LoadResult& r, ErrorKind kind) {
  return r.errors[static_cast<std::size_t>(kind)];
}

const KindStats& kind_of(const LoadResult& r, CommandKind kind) {
  return r.kinds[static_cast<std::size_t>(kind)];
}

// Every measured command answered well, counted once, with its latency recorded.
void check_clean(const LoadResult& r, std::uint64_t expected) {
  INFO(format_table(LoadOptions{}, r));
  CHECK(r.measured() == expected);
  CHECK(r.ok() == expected);
  CHECK(r.failed() == 0);
  CHECK(total_errors(r) == 0);
  CHECK(r.skipped == 0);
  CHECK(r.unsolicited == 0);
  CHECK(r.latency.count() == expected);
  CHECK(kind_of(r, CommandKind::iamat).issued + kind_of(r, CommandKind::whatsat).issued == expected);
}

// A socket that accepts connections (the kernel completes them) and never answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw TestError(std::string("silent listener: ") + std::strerror(errno));
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("load: persistent pipelined connections against herd-server, every reply checked") {
  TestHerd herd(lone_server());
  herd.start_all();
  LoadOptions o = options_for(herd.port("Clark"));
  o.style = ConnectionStyle::persistent;
  o.connections = 3;
  o.outstanding = 8;
  o.count = 600;
  o.workload.whatsat_fraction = 0.3;
  const LoadResult r = run_load(o);
  check_clean(r, 600);
  CHECK(kind_of(r, CommandKind::whatsat).ok > 100);
  CHECK(kind_of(r, CommandKind::whatsat).latency.count() == kind_of(r, CommandKind::whatsat).ok);
  CHECK(r.connections_opened == 3);  // one connect per connection: nothing dropped
  CHECK(r.latency.quantile(0.5) <= r.latency.quantile(0.99));
  CHECK(r.latency.quantile(0.99) <= r.latency.max());
}

TEST_CASE("load: a connection per command, grader style, against herd-server") {
  TestHerd herd(lone_server());
  herd.start_all();
  LoadOptions o = options_for(herd.port("Clark"));
  o.style = ConnectionStyle::per_command;
  o.connections = 4;
  o.outstanding = 2;
  o.count = 300;
  o.workload.whatsat_fraction = 0.25;
  o.threads = 2;
  const LoadResult r = run_load(o);
  check_clean(r, 300);
  CHECK(kind_of(r, CommandKind::whatsat).ok > 30);
  CHECK(r.connections_opened == 300);
}

TEST_CASE("load: open loop at a fixed rate issues exactly rate x duration, warm-up apart") {
  TestHerd herd(lone_server());
  herd.start_all();
  for (const ConnectionStyle style : {ConnectionStyle::persistent, ConnectionStyle::per_command}) {
    LoadOptions o = options_for(herd.port("Clark"));
    o.style = style;
    o.connections = 2;
    o.rate_per_s = 400;
    o.arrivals = Arrivals::fixed;
    o.warmup_s = 0.25;
    o.duration_s = 0.5;
    o.threads = 2;
    o.workload.whatsat_fraction = 0.2;
    const LoadResult r = run_load(o);
    INFO(to_string(style));
    check_clean(r, 200);
    CHECK(r.warmup_commands == 100);
    CHECK(r.warmup_errors == 0);
    CHECK(r.throughput_per_s() > 200);
  }
}

TEST_CASE("load: open loop with Poisson arrivals is seeded") {
  TestHerd herd(lone_server());
  herd.start_all();
  LoadOptions o = options_for(herd.port("Clark"));
  o.rate_per_s = 2000;
  o.count = 300;
  o.connections = 2;
  const LoadResult r = run_load(o);
  check_clean(r, 300);
}

TEST_CASE("load: an interrupt ends a long run early, with what was measured intact") {
  TestHerd herd(lone_server());
  herd.start_all();
  LoadOptions o = options_for(herd.port("Clark"));
  o.connections = 2;
  o.outstanding = 4;
  o.duration_s = 60;
  std::atomic<bool> interrupt{false};
  o.interrupt = &interrupt;
  std::thread stopper([&interrupt] {
    std::this_thread::sleep_for(300ms);
    interrupt.store(true);
  });
  const LoadResult r = run_load(o);
  stopper.join();
  CHECK(r.wall_s < 5);
  CHECK(r.measured() > 0);
  check_clean(r, r.measured());
}

TEST_CASE("load: a target nobody listens on counts every command as connect_refused") {
  const std::uint16_t port = free_port();
  for (const ConnectionStyle style : {ConnectionStyle::per_command, ConnectionStyle::persistent}) {
    LoadOptions o = options_for(port);
    o.style = style;
    o.count = 12;
    o.outstanding = 2;
    const LoadResult r = run_load(o);
    INFO(to_string(style));
    CHECK(r.measured() == 12);
    CHECK(r.ok() == 0);
    CHECK(errors_of(r, ErrorKind::connect_refused) == 12);
    CHECK(total_errors(r) == 12);
    CHECK(r.latency.count() == 0);
    CHECK_THAT(r.error_examples[static_cast<std::size_t>(ErrorKind::connect_refused)],
               Catch::Matchers::Contains("127.0.0.1:" + std::to_string(port)));
  }
}

TEST_CASE("load: on_failure tells of every failed command, with its target and instants") {
  const std::uint16_t closed = free_port();
  TestHerd herd(lone_server({}));
  herd.start_all();
  LoadOptions o;
  o.targets = resolve_targets({"127.0.0.1:" + std::to_string(herd.port("Clark")),
                               "127.0.0.1:" + std::to_string(closed)});
  o.style = ConnectionStyle::persistent;
  o.connections = 2;
  o.count = 20;
  o.workload.clients = 20;
  std::vector<Failure> failures;  // one worker thread: no lock needed
  const auto before = std::chrono::steady_clock::now();
  o.on_failure = [&](const Failure& f) {
    CHECK(f.detail.find("refused") != std::string_view::npos);
    failures.push_back(f);
  };
  const LoadResult r = run_load(o);
  CHECK(r.failed() > 0);
  REQUIRE(failures.size() == r.failed());
  for (const auto& f : failures) {
    CHECK(f.target == 1);
    CHECK(f.error == ErrorKind::connect_refused);
    CHECK(f.measured);
    CHECK(f.due >= before);
    CHECK(f.at >= f.due);
  }
  CHECK(r.ok() + r.failed() == 20);
}

TEST_CASE("load: a server that never answers times out, and the rest of its pipeline is aborted") {
  SilentListener silent;
  {
    LoadOptions o = options_for(silent.port());
    o.style = ConnectionStyle::persistent;
    o.outstanding = 3;
    o.count = 3;
    o.timeout_s = 0.3;
    const LoadResult r = run_load(o);
    CHECK(r.measured() == 3);
    CHECK(errors_of(r, ErrorKind::timeout) == 1);
    CHECK(errors_of(r, ErrorKind::aborted) == 2);
    CHECK(r.wall_s < 3);
  }
  {
    LoadOptions o = options_for(silent.port());
    o.style = ConnectionStyle::per_command;
    o.connections = 2;
    o.count = 2;
    o.timeout_s = 0.3;
    const LoadResult r = run_load(o);
    CHECK(errors_of(r, ErrorKind::timeout) == 2);
    CHECK(r.ok() == 0);
  }
}

TEST_CASE("load: a server that closes without answering counts closed_early") {
  // Every IAMAT is longer than the line limit: herd-server closes the connection unanswered.
  TestHerd herd(lone_server({"max_line_bytes = 20"}));
  herd.start_all();
  for (const ConnectionStyle style : {ConnectionStyle::per_command, ConnectionStyle::persistent}) {
    LoadOptions o = options_for(herd.port("Clark"));
    o.style = style;
    o.outstanding = 2;
    o.count = 8;
    const LoadResult r = run_load(o);
    INFO(to_string(style) << "\n" << format_table(o, r));
    CHECK(r.measured() == 8);
    CHECK(errors_of(r, ErrorKind::closed_early) == 8);
    CHECK(total_errors(r) == 8);
  }
}

TEST_CASE("load: bad targets and contradictory options are refused with a reason") {
  CHECK_THROWS_WITH(parse_target("localhost"), Catch::Matchers::Contains("expected host:port"));
  CHECK_THROWS_WITH(parse_target("localhost:0"), Catch::Matchers::Contains("1 to 65535"));
  CHECK_THROWS_WITH(parse_target("localhost:70000"), Catch::Matchers::Contains("1 to 65535"));
  CHECK_THROWS_WITH(parse_target(":80"), Catch::Matchers::Contains("host is empty"));
  CHECK_THROWS_WITH(parse_target("::1:80"), Catch::Matchers::Contains("brackets"));
  CHECK(parse_target("[::1]:12001").host == "::1");
  CHECK_THROWS_WITH(resolve_targets({"no-such-host.invalid:80"}),
                    Catch::Matchers::Contains("cannot resolve"));
  LoadOptions o = options_for(12001);
  CHECK_THROWS_WITH(validate(o), Catch::Matchers::Contains("--duration"));
  o.count = 10;
  o.connections = 2000;
  CHECK_THROWS_WITH(validate(o), Catch::Matchers::Contains("--max-connections"));
}

TEST_CASE("load: the herd-load program writes JSON that parses and adds up") {
  TestHerd herd(lone_server());
  herd.start_all();
  const auto json_file = herd.dir() / "load.json";
  const auto output = herd.dir() / "herd-load.out";
  ChildProcess load({HERD_LOAD_BIN, "127.0.0.1:" + std::to_string(herd.port("Clark")), "--count",
                     "250", "--whatsat", "0.2", "--connections", "2", "--outstanding", "4",
                     "--quiet", "--json", json_file.string()},
                    output);
  const auto status = load.wait(30s);
  REQUIRE(status.has_value());
  INFO(read_text(output));
  CHECK(*status == 0);
  CHECK_THAT(read_text(output), Catch::Matchers::Contains("p99.9 ms"));
  const boost::json::value json = boost::json::parse(read_text(json_file));
  const auto& o = json.as_object();
  CHECK(o.at("tool").as_string() == "herd-load");
  CHECK(o.at("commands").as_int64() == 250);
  CHECK(o.at("ok").as_int64() == 250);
  const auto& kinds = o.at("kinds").as_object();
  CHECK(kinds.at("IAMAT").as_object().at("ok").as_int64() +
            kinds.at("WHATSAT").as_object().at("ok").as_int64() ==
        250);
  const auto& latency = o.at("latency_ms").as_object();
  CHECK(latency.at("count").as_int64() == 250);
  CHECK(latency.at("p50").to_number<double>() <= latency.at("p99_9").to_number<double>());
  CHECK(latency.at("p99_9").to_number<double>() <= latency.at("max").to_number<double>());
  for (const auto& [kind, count] : o.at("errors").as_object()) {
    INFO(std::string(kind));
    CHECK(count.as_int64() == 0);
  }

  // A bad target: exit 2 and a message naming it.
  ChildProcess bad({HERD_LOAD_BIN, "127.0.0.1", "--count", "1"}, herd.dir() / "bad.out");
  const auto bad_status = bad.wait(10s);
  REQUIRE(bad_status.has_value());
  CHECK(*bad_status == 2);
  CHECK_THAT(read_text(herd.dir() / "bad.out"), Catch::Matchers::Contains("expected host:port"));
}

#ifdef HERD_PYTHON3
TEST_CASE("load: the Python reference herd answers herd-load cleanly in both styles") {
  herd::testing::TempDir dir("herd-load-python");
  const std::uint16_t port = free_port();
  const auto config = dir.write("herd.toml", "[herd]\nname = \"py\"\npeer_secret = \"s\"\nlog_dir = \"" +
                                                 (dir.path() / "logs").string() +
                                                 "\"\nfriends = []\n\n[[servers]]\nname = "
                                                 "\"Clark\"\nhost = \"127.0.0.1\"\nport = " +
                                                 std::to_string(port) + "\n");
  ChildProcess server({HERD_PYTHON3, HERD_SOURCE_DIR "/tests/bench/python_herd/server.py",
                       "--config", config.string(), "--name", "Clark"},
                      dir.path() / "server.out");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    try {
      TestClient probe(port, 0, 200ms);
      break;
    } catch (const TestError&) {
      REQUIRE(server.running());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(20ms);
    }
  }
  for (const ConnectionStyle style : {ConnectionStyle::persistent, ConnectionStyle::per_command}) {
    LoadOptions o = options_for(port);
    o.style = style;
    o.connections = 2;
    o.outstanding = 4;
    o.count = 200;
    o.workload.whatsat_fraction = 0.3;
    const LoadResult r = run_load(o);
    INFO(to_string(style));
    check_clean(r, 200);
    CHECK(kind_of(r, CommandKind::whatsat).ok > 20);
  }
}
#endif
