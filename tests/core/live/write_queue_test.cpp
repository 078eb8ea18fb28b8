#include "herd/live/write_queue.hpp"

#include <memory>
#include <string>

#include <catch2/catch.hpp>

using herd::live::WriteQueue;

namespace {
herd::core::SharedText text(const std::string& s) { return herd::core::SharedText(s); }
}  // namespace

TEST_CASE("write queue: everything queued during a write goes out in the next single batch") {
  WriteQueue queue;
  CHECK(queue.idle());
  queue.push(text("AT one\n"));
  auto first = queue.start_batch();
  REQUIRE(first.size() == 1);
  CHECK(queue.writing());
  queue.push(text("AT two\n"));
  queue.push(text(""));  // nothing to write: not queued
  queue.push(text("AT three\n"));
  CHECK(queue.pending_bytes() == 7 + 7 + 9);
  queue.finish_batch();
  CHECK(queue.pending_bytes() == 16);
  CHECK_FALSE(queue.writing());
  auto second = queue.start_batch();
  REQUIRE(second.size() == 2);
  CHECK(std::string(static_cast<const char*>(second[0].data()), second[0].size()) == "AT two\n");
  CHECK(std::string(static_cast<const char*>(second[1].data()), second[1].size()) == "AT three\n");
  queue.finish_batch();
  CHECK(queue.idle());
  CHECK(queue.pending_bytes() == 0);
}

TEST_CASE("write queue: clear drops what is queued but keeps the batch being written") {
  WriteQueue queue;
  queue.push(text("in flight\n"));
  auto batch = queue.start_batch();
  queue.push(text("queued\n"));
  CHECK(queue.clear() == 2);
  // The socket may still read the in-flight buffer until its write completes.
  CHECK(queue.writing());
  CHECK(queue.pending_bytes() == 10);
  CHECK(std::string(static_cast<const char*>(batch[0].data()), batch[0].size()) == "in flight\n");
  queue.finish_batch();
  CHECK(queue.idle());
}
