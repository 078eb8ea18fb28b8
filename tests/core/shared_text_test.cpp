#include "herd/core/shared_text.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using herd::core::SharedText;

TEST_CASE("shared text: holds a copy of its bytes, NUL and binary bytes included") {
  std::string source("AT a\0b\xff\n", 8);
  SharedText text(source);
  source.assign("changed");
  REQUIRE(text);
  CHECK(*text == std::string_view("AT a\0b\xff\n", 8));
  CHECK(text->size() == 8);
  CHECK(text.view() == *text);

  SharedText empty_text{std::string_view{}};
  REQUIRE(empty_text);  // an empty text is still a text
  CHECK(empty_text->empty());
  CHECK(empty_text.use_count() == 1);
}

TEST_CASE("shared text: copies share one buffer and the last owner frees it") {
  SharedText a("PRUNE\n");
  CHECK(a.use_count() == 1);
  SharedText b = a;
  CHECK(a.use_count() == 2);
  CHECK(a == b);                  // identity
  CHECK(a->data() == b->data());  // one buffer
  CHECK(a != SharedText("PRUNE\n"));  // same bytes, another buffer
  {
    std::vector<SharedText> many(5, a);
    CHECK(a.use_count() == 7);
  }
  CHECK(a.use_count() == 2);
  b.reset();
  CHECK_FALSE(b);
  CHECK(b.view().empty());
  CHECK(a.use_count() == 1);
  CHECK(*a == "PRUNE\n");
}

TEST_CASE("shared text: moves leave the source empty and self-assignment keeps the text") {
  SharedText a("GRAFT\n");
  SharedText b = std::move(a);
  CHECK_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from text is empty by contract
  CHECK(b.use_count() == 1);
  SharedText c("x");
  c = std::move(b);
  CHECK(*c == "GRAFT\n");
  CHECK(c.use_count() == 1);
  const SharedText& alias = c;
  c = alias;
  CHECK(*c == "GRAFT\n");
  CHECK(c.use_count() == 1);
  SharedText d;
  CHECK(d == SharedText{});
  d = c;
  CHECK(c.use_count() == 2);
  d = SharedText{};
  CHECK(c.use_count() == 1);
}

TEST_CASE("shared text: joined lays its parts end to end in one buffer") {
  SharedText line = SharedText::joined({"AT Clark +0.1 kiwi +1+1 5", " ", "", "3\n"});
  CHECK(*line == "AT Clark +0.1 kiwi +1+1 5 3\n");
  CHECK(line.use_count() == 1);
  SharedText nothing = SharedText::joined({});
  REQUIRE(nothing);
  CHECK(nothing->empty());
}
