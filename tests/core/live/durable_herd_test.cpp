// Durable records on real herd-server processes: every IAMAT a server acknowledged is still
// there after every server was killed with SIGKILL under load, and a store that cannot
// write stops its server without having acknowledged what it could not keep.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "herd/live/durable_store.hpp"
#include "test_herd.hpp"

using namespace herd::live::testing;

namespace {

// "AT <origin> <diff> <client> <coords> <time>": field i (0 = "AT").
std::string field_of(const std::string& at_line, int i) {
  std::size_t start = 0;
  for (int f = 0; f < i; ++f) {
    start = at_line.find(' ', start);
    if (start == std::string::npos) return {};
    ++start;
  }
  return at_line.substr(start, at_line.find(' ', start) - start);
}

// Every client timestamp of a test has one width, so their text compares as their value.
bool not_older(const std::string& held, const std::string& acked) {
  return field_of(held, 5) >= field_of(acked, 5);
}

struct Acked {
  std::string server;   // the one that answered
  std::string at_line;  // its newest AT reply for the client
};

// One client connection pumping pipelined IAMATs (windows of 16) for its own clients until
// the server goes away; every AT reply it read is recorded.
void pump(std::uint16_t port, const std::string& server, const std::string& prefix,
          std::int64_t base_s, std::map<std::string, Acked>& acked, std::mutex& mutex,
          std::atomic<bool>& stop, std::string& problem) {
  try {
    TestClient client(port);
    for (int k = 0; !stop;) {
      std::string window;
      for (int i = 0; i < 16; ++i, ++k) {
        char time[32];
        std::snprintf(time, sizeof time, "%lld.%09d", static_cast<long long>(base_s), k);
        window += "IAMAT " + prefix + std::to_string(k % 40) + " +34.068930-118.445127 " +
                  time + "\n";
      }
      client.send(window);
      for (int i = 0; i < 16; ++i) {
        std::string line = client.read_line(5s);
        line.pop_back();
        const std::lock_guard lock(mutex);
        if (line.rfind("AT " + server + " ", 0) != 0) {
          // Catch's assertions belong to the main thread: report it there.
          problem = server + " answered " + line;
          return;
        }
        acked[field_of(line, 3)] = Acked{server, line};
      }
    }
  } catch (const TestError&) {
    // The server was killed: what was read before counts.
  }
}

// The AT line WHATSAT returns for `client`, or the "? " reply.
std::string whatsat(TestClient& client, const std::string& name) {
  client.send("WHATSAT " + name + " 10 1\n");
  const std::string reply = client.read_until("\n\n", 5s);
  return reply.substr(0, reply.find('\n'));
}

}  // namespace

TEST_CASE("durable herd: every acknowledged IAMAT survives SIGKILL of every server under load") {
  const std::string sync = GENERATE(std::string("full"), std::string("normal"));
  INFO("sync = " << sync);
  raise_descriptor_limit();
  HerdSpec spec;
  spec.servers = {"Clark", "Bona", "Jaquez"};
  spec.friends = {{"Clark", "Bona"}, {"Bona", "Jaquez"}};
  TempDir state_dir("herd-state");
  const auto state = state_dir.path();
  spec.storage = {"dir = \"" + state.string() + "\"", "sync = \"" + sync + "\""};
  TestHerd live(std::move(spec));
  live.start_all();
  live.wait_for_links();

  const std::int64_t base_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now()
                                                           .time_since_epoch())
          .count();
  std::map<std::string, Acked> acked;
  std::mutex mutex;
  std::atomic<bool> stop{false};
  std::string problem;
  std::vector<std::thread> clients;
  for (const std::string server : {"Clark", "Bona", "Jaquez"}) {
    for (int c = 0; c < 2; ++c) {
      clients.emplace_back(pump, live.port(server), server, server + "-" + std::to_string(c) + "-",
                           base_s, std::ref(acked), std::ref(mutex), std::ref(stop),
                           std::ref(problem));
    }
  }
  std::this_thread::sleep_for(1200ms);
  // Every server dies mid-burst, none with a chance to say goodbye.
  for (const std::string server : {"Clark", "Bona", "Jaquez"}) live.signal(server, SIGKILL);
  stop = true;
  for (auto& thread : clients) thread.join();
  CHECK(problem.empty());
  INFO(acked.size() << " clients acknowledged");
  REQUIRE(acked.size() == 240);  // 6 connections x 40 clients, each acknowledged at least once

  // The record tables, read directly: each server holds what it acknowledged (or newer).
  for (const std::string server : {"Clark", "Bona", "Jaquez"}) {
    herd::live::DurableStore store(state / (server + ".db"), server,
                                   herd::live::SyncPolicy::full);
    std::map<std::string, std::string> rows;
    store.load([&](std::string_view client, std::string_view line, std::uint32_t) {
      rows.emplace(std::string(client), std::string(line));
    });
    for (const auto& [client, ack] : acked) {
      if (ack.server != server) continue;
      INFO(server << " acknowledged " << ack.at_line);
      REQUIRE(rows.contains(client));
      CHECK(not_older(rows.at(client), ack.at_line));
    }
  }

  // Restarted, each server answers WHATSAT with what it acknowledged (or newer).
  live.start_all();
  std::map<std::string, TestClient> readers;
  for (const std::string server : {"Clark", "Bona", "Jaquez"}) {
    readers.emplace(server, TestClient(live.port(server)));
  }
  std::size_t found = 0;
  for (const auto& [client, ack] : acked) {
    const std::string held = whatsat(readers.at(ack.server), client);
    INFO(ack.server << " acknowledged " << ack.at_line << ", answers " << held);
    CHECK(held.rfind("AT ", 0) == 0);
    CHECK(not_older(held, ack.at_line));
    if (held.rfind("AT ", 0) == 0 && not_older(held, ack.at_line)) ++found;
  }
  CHECK(found == acked.size());
}

TEST_CASE("durable herd: a store that cannot write stops its server and loses no acknowledged "
          "IAMAT") {
  TempDir state_dir("herd-state");
  HerdSpec spec = lone_server();
  spec.storage = {"dir = \"" + state_dir.path().string() + "\""};
  TestHerd herd(std::move(spec));
  const auto file = state_dir.path() / "Clark.db";
  // The file size limit plays a full disk (dash counts 512-byte blocks: 256 KiB). With
  // SIGXFSZ ignored, a write past it fails with EFBIG as one on a full disk fails with ENOSPC.
  herd.set_launcher({"/bin/sh", "-c", "trap '' XFSZ; ulimit -f 512; exec \"$0\" \"$@\""});
  herd.start("Clark", {"--quiet-traffic"});

  std::map<std::string, std::string> acked;  // client -> AT line
  const std::string padding(900, 'p');
  bool cut = false;
  try {
    TestClient client(herd.port("Clark"));
    for (int k = 0; k < 5000; ++k) {
      const std::string name = "client-" + std::to_string(k) + "-" + padding;
      client.send("IAMAT " + name + " +34.068930-118.445127 1621464827." +
                  std::to_string(100000000 + k) + "\n");
      std::string line = client.read_line(5s);
      line.pop_back();
      REQUIRE(line.rfind("AT Clark ", 0) == 0);
      acked[name] = line;
    }
  } catch (const TestError&) {
    cut = true;
  }
  REQUIRE(cut);
  INFO(acked.size() << " acknowledged before the store failed");
  CHECK(acked.size() > 10);
  REQUIRE(herd.wait_exit("Clark", 5s));
  const std::string output = herd.read_output("Clark");
  CHECK_THAT(output, Catch::Contains("herd-server: Clark: " + file.string() + ": cannot commit"));
  CHECK_THAT(output, Catch::Contains("File too large"));

  // Without the limit it starts again from the file and has every acknowledged update.
  herd.set_launcher({});
  herd.start("Clark", {"--quiet-traffic"});
  TestClient reader(herd.port("Clark"));
  std::size_t found = 0;
  for (const auto& [client, line] : acked) {
    if (whatsat(reader, client) == line) ++found;
  }
  CHECK(found == acked.size());
}

TEST_CASE("durable herd: a store the server cannot trust stops the start, naming the file") {
  TempDir state_dir("herd-state");
  const auto file = state_dir.path() / "Clark.db";
  auto write_rows = [&](const std::vector<std::string>& lines) {
    std::filesystem::remove(file);
    herd::live::DurableStore store(file, "Clark", herd::live::SyncPolicy::full);
    for (const auto& line : lines) {
      const herd::core::SharedText text(line);
      std::string_view client = *text;
      client = client.substr(client.find(' ', 3) + 1);
      client = client.substr(client.find(' ') + 1);
      client = client.substr(0, client.find(' '));
      store.stage(text, client, 0);
    }
    store.commit();
  };
  auto start_error = [&](const std::vector<std::string>& limits) {
    HerdSpec spec = lone_server(limits);
    spec.storage = {"dir = \"" + state_dir.path().string() + "\""};
    TestHerd herd(std::move(spec));
    try {
      herd.start("Clark");
    } catch (const TestError& error) {
      return std::string(error.what());
    }
    return std::string("(started)");
  };
  const std::string good = "AT Clark +0.000120000 kiwi +34.068930-118.445127 1621464827.959498503";
  const std::string other = "AT Clark +0.000120000 lime +34.068930-118.445127 1621464827.959498503";

  write_rows({good, "AT Clark garbage kiwi2 and-more"});
  CHECK_THAT(start_error({}), Catch::Contains("Clark: " + file.string() +
                                              ": the record of client 'kiwi2' is not a valid AT "
                                              "line of that client"));

  write_rows({good, other});
  CHECK_THAT(start_error({"max_records = 1"}),
             Catch::Contains(file.string() + ": holds 2 records, more than [limits] max_records = 1"));
  CHECK(start_error({"max_records = 2"}) == "(started)");
}
