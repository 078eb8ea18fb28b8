#include "herd/core/vector_fifo.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using herd::core::VectorFifo;

TEST_CASE("vector fifo: items come out in the order they went in, across refills") {
  VectorFifo<std::string> fifo;
  CHECK(fifo.empty());
  fifo.push_back("a");
  fifo.emplace_back("b");
  CHECK(fifo.size() == 2);
  CHECK(fifo.front() == "a");
  fifo.pop_front();
  fifo.push_back("c");  // pushed while not yet drained
  std::vector<std::string> seen;
  for (auto& item : fifo) seen.push_back(item);
  CHECK(seen == std::vector<std::string>{"b", "c"});
  fifo.pop_front();
  CHECK(fifo.front() == "c");
  fifo.pop_front();
  CHECK(fifo.empty());
  CHECK(fifo.size() == 0);
}

TEST_CASE("vector fifo: a queue that is never drained does not grow without bound") {
  VectorFifo<int> fifo;
  int next_in = 0;
  int next_out = 0;
  // Always one item behind: the queue never empties, so only compaction keeps it small.
  fifo.push_back(next_in++);
  for (int round = 0; round < 10'000; ++round) {
    fifo.push_back(next_in++);
    REQUIRE(fifo.front() == next_out++);
    fifo.pop_front();
  }
  CHECK(fifo.size() == 1);
  CHECK(fifo.front() == next_out);
  CHECK(fifo.capacity() <= 256);
}
