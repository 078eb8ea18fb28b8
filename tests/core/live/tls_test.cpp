#include "herd/live/tls.hpp"

// TLS on friends' links and on the client port, with a throwaway CA made at test time by the
// openssl command-line tool.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "herd_test/temp_dir.hpp"
#include "test_client.hpp"
#include "test_herd.hpp"

using namespace herd::live::testing;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

const std::string kUcla = "+34.068930-118.445127";

// A CA and certificates it signs, as PEM files in a temporary folder.
class ThrowawayPki {
 public:
  ThrowawayPki() { make_ca("ca"); }

  // A self-signed CA certificate: <name>.crt, <name>.key.
  void make_ca(const std::string& name) {
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
        " -subj /CN=herd-test-" + name + " -addext basicConstraints=critical,CA:TRUE"
        " -addext keyUsage=critical,keyCertSign,cRLSign -keyout " + path(name + ".key") +
        " -out " + path(name + ".crt"));
  }
  // A certificate for <name>, signed by the CA <ca>.
  void make_leaf(const std::string& name, const std::string& ca) {
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name +
        " -keyout " + path(name + ".key") + " -out " + path(name + ".csr"));
    run("openssl x509 -req -days 2 -in " + path(name + ".csr") + " -CA " + path(ca + ".crt") +
        " -CAkey " + path(ca + ".key") + " -CAcreateserial -out " + path(name + ".crt"));
  }
  [[nodiscard]] std::string path(const std::string& file) const { return (dir_.path() / file).string(); }

  // The [tls] lines of a herd config using <name>'s certificate and the CA "ca".
  [[nodiscard]] std::vector<std::string> tls_lines(const std::string& name, bool peers,
                                                   bool clients) const {
    return {std::string("peers = ") + (peers ? "true" : "false"),
            std::string("clients = ") + (clients ? "true" : "false"),
            "ca = \"" + path("ca.crt") + "\"", "cert = \"" + path(name + ".crt") + "\"",
            "key = \"" + path(name + ".key") + "\""};
  }

 private:
  void run(const std::string& command) {
    const std::string log = path("openssl.log");
    INFO(command);
    REQUIRE(std::system((command + " >>" + log + " 2>&1").c_str()) == 0);
  }
  herd::testing::TempDir dir_{"herd-tls"};
};

// Runs one asynchronous step with a deadline; the step's first argument is the error.
template <class Start>
error_code run_step(asio::io_context& io, Start start) {
  error_code result = asio::error::timed_out;
  bool done = false;
  start([&](const error_code& ec, auto&&...) {
    result = ec;
    done = true;
  });
  io.restart();
  io.run_for(std::chrono::seconds(5));
  return done ? result : asio::error::timed_out;
}

// One command over TLS to the client port, verifying the server against the CA; the first
// line of the reply, or the error that stopped it.
std::string tls_request(std::uint16_t port, const std::string& ca_file, const std::string& line) {
  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(ca_file);
  context.set_verify_mode(ssl::verify_peer);
  ssl::stream<tcp::socket> stream(io, context);
  const tcp::endpoint server(asio::ip::address_v4::loopback(), port);
  if (auto ec = run_step(io, [&](auto h) { stream.next_layer().async_connect(server, h); })) {
    return "connect: " + ec.message();
  }
  if (auto ec = run_step(io, [&](auto h) { stream.async_handshake(ssl::stream_base::client, h); })) {
    return "handshake: " + ec.message();
  }
  if (auto ec = run_step(io, [&](auto h) { asio::async_write(stream, asio::buffer(line), h); })) {
    return "write: " + ec.message();
  }
  std::string reply;
  if (auto ec = run_step(io, [&](auto h) {
        asio::async_read_until(stream, asio::dynamic_buffer(reply), "\n", h);
      })) {
    return "read: " + ec.message();
  }
  return reply.substr(0, reply.find('\n') + 1);
}

std::string client_time() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::string fraction = std::to_string(ns % 1'000'000'000);
  return std::to_string(ns / 1'000'000'000) + "." + std::string(9 - fraction.size(), '0') + fraction;
}

}  // namespace

TEST_CASE("tls: a herd whose friends' links run over TLS floods an IAMAT (3 servers)") {
  ThrowawayPki pki;
  pki.make_leaf("herd", "ca");
  HerdSpec spec;
  spec.servers = {"Bona", "Clark", "Jaquez"};
  spec.friends = {{"Bona", "Clark"}, {"Clark", "Jaquez"}};
  spec.tls = pki.tls_lines("herd", true, false);
  TestHerd herd(spec);
  herd.start_all();
  herd.wait_for_links();
  CHECK(herd.wait_for_log("Clark", "TLS on friends' links"));

  const std::string operands = "tls-client " + kUcla + " " + client_time();
  const std::string reply = grader_request(herd.port("Bona"), "IAMAT " + operands);
  REQUIRE(reply.rfind("AT Bona ", 0) == 0);
  const std::string at_line = reply.substr(0, reply.size() - 1);
  const auto deadline = Clock::now() + 5s;
  std::string far;
  do {
    far = grader_request(herd.port("Jaquez"), "WHATSAT tls-client 10 1");
  } while (far.rfind(at_line + "\n", 0) != 0 && Clock::now() < deadline);
  CHECK(far.rfind(at_line + "\n{", 0) == 0);

  // The peer port speaks TLS only: a cleartext greeting there never reaches the core.
  TestClient plain(static_cast<std::uint16_t>(herd.port("Clark") + herd::live::kDefaultPeerPortOffset));
  plain.send("HERD 2 HELLO Bona 0123456789abcdef0123456789abcdef\n");
  const ReadResult refused = plain.read_to_end(3s);
  CHECK(refused.end != End::timeout);
  CHECK(refused.bytes.find("CHALLENGE") == std::string::npos);
  CHECK(herd.wait_for_log("Clark", "TLS handshake failed"));
}

TEST_CASE("tls: a client over TLS gets its AT reply, and a cleartext one nothing") {
  ThrowawayPki pki;
  pki.make_leaf("herd", "ca");
  HerdSpec spec = lone_server();
  spec.tls = pki.tls_lines("herd", false, true);
  TestHerd herd(spec);
  herd.start("Clark");
  CHECK(herd.wait_for_log("Clark", "TLS on the client port"));
  const std::string operands = "kiwi.cs.ucla.edu " + kUcla + " " + client_time();
  const std::string reply = tls_request(herd.port("Clark"), pki.path("ca.crt"), "IAMAT " + operands + "\n");
  CHECK(reply.rfind("AT Clark ", 0) == 0);
  CHECK(reply.ends_with(" " + operands + "\n"));

  TestClient plain(herd.port("Clark"));
  plain.send("IAMAT " + operands + "\n");
  const ReadResult result = plain.read_to_end(3s);
  CHECK(result.end != End::timeout);
  CHECK(result.bytes.find("AT Clark") == std::string::npos);
}

TEST_CASE("tls: a friend whose certificate the herd's CA did not sign is refused") {
  ThrowawayPki pki;
  pki.make_leaf("herd", "ca");
  pki.make_ca("rogue-ca");
  pki.make_leaf("rogue", "rogue-ca");
  TestHerd herd([&] {
    HerdSpec spec = two_friends();
    spec.tls = pki.tls_lines("herd", true, false);
    return spec;
  }());
  herd.start("Clark");
  // Bona has the herd's secret but a certificate from another CA.
  std::ifstream in(herd.config_path());
  std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string ext : {".crt\"", ".key\""}) {
    const std::string from = "herd" + ext;
    REQUIRE(config.find(from) != std::string::npos);
    config.replace(config.find(from), from.size(), "rogue" + ext);
  }
  const auto rogue_config = herd.dir() / "rogue.toml";
  std::ofstream(rogue_config) << config;
  ChildProcess bona({HERD_SERVER_BIN, "--config", rogue_config.string(), "--name", "Bona"},
                    herd.output_path("Bona"));

  CHECK(herd.wait_for_log("Clark", "TLS handshake failed", 1, 10s));
  CHECK(herd.wait_for_log("Clark", "link to Bona: TLS handshake with", 1, 10s));
  std::this_thread::sleep_for(500ms);
  const std::string log = herd.read_log("Clark");
  INFO(log);
  CHECK(log.find("inbound link from Bona up") == std::string::npos);
  CHECK(log.find("link to Bona up") == std::string::npos);
}

TEST_CASE("tls: a missing certificate file stops the server at start with its path") {
  ThrowawayPki pki;
  HerdSpec spec = lone_server();
  spec.tls = pki.tls_lines("absent", false, true);
  TestHerd herd(spec);
  CHECK_THROWS_WITH(herd.start("Clark"), Catch::Contains("absent.crt") &&
                                             Catch::Contains("cannot use it as the TLS certificate"));
}
