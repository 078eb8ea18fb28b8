#pragma once
// Errors that point into a graph file: "source:line: what is wrong". Private to the
// loaders.

#include <cstddef>
#include <string>
#include <string_view>

#include "herd/sim/friend_graph.hpp"

namespace herd::sim::detail {

[[nodiscard]] inline TopologyError located_error(std::string_view source, std::size_t line,
                                                 std::string_view what) {
  std::string message(source);
  message += ':';
  message += std::to_string(line);
  message += ": ";
  message += what;
  return TopologyError(message);
}

// Runs f; a TopologyError from FriendGraph's own checks (bad name, self loop, duplicate,
// limits) gains the file and line that caused it.
template <class F>
decltype(auto) at_location(std::string_view source, std::size_t line, F&& f) {
  try {
    return f();
  } catch (const TopologyError& error) {
    throw located_error(source, line, error.what());
  }
}

// How a token appears in an error message: quoted, control characters shown as \xNN.
[[nodiscard]] inline std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace herd::sim::detail
