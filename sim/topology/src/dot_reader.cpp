// parse_dot: a recursive-descent reader for the DOT subset described in dot_format.hpp.

#include "herd/sim/dot_format.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "dot_lexer.hpp"
#include "located_error.hpp"

namespace herd::sim {

namespace {

using detail::DotLexeme;
using detail::DotToken;

// Subgraphs nest by recursion; a hostile file must not be able to exhaust the stack.
constexpr int kMaxSubgraphDepth = 32;

class DotReader {
 public:
  DotReader(std::string_view text, std::string_view source)
      : lexer_(text, source), source_(source) {}

  FriendGraph read() {
    advance();
    if (detail::is_keyword(token_, "strict")) {
      strict_ = true;
      advance();
    }
    if (detail::is_keyword(token_, "digraph")) {
      fail("'digraph' is directed; friend graphs are undirected, write 'graph'");
    }
    if (!detail::is_keyword(token_, "graph")) {
      fail("expected 'graph' to start the file, found " + describe(token_));
    }
    advance();
    if (token_.kind == DotToken::id && !detail::is_any_keyword(token_)) advance();  // name
    const std::size_t opened = token_.line;
    expect(DotToken::left_brace, "'{' after the graph header");
    statements(0, opened, nullptr);
    advance();  // the closing brace
    if (token_.kind != DotToken::end) {
      fail("unexpected " + describe(token_) + " after the end of the graph (one graph per file)");
    }
    return std::move(graph_);
  }

 private:
  using Members = std::vector<ServerIndex>;

  void advance() { token_ = lexer_.next(); }

  [[noreturn]] void fail(std::string_view what) const {
    throw detail::located_error(source_, token_.line, what);
  }

  void expect(DotToken kind, std::string_view what) {
    if (token_.kind != kind) fail("expected " + std::string(what) + ", found " + describe(token_));
    advance();
  }

  // Statements up to (not past) the '}' that closes a brace opened on line `opened`.
  // Servers mentioned are appended to `members` when parsing a subgraph.
  void statements(int depth, std::size_t opened, Members* members) {
    for (;;) {
      switch (token_.kind) {
        case DotToken::right_brace: return;
        case DotToken::end:
          fail("missing '}' for the '{' on line " + std::to_string(opened));
        case DotToken::semicolon: advance(); continue;
        default: statement(depth, members);
      }
    }
  }

  void statement(int depth, Members* members) {
    if (detail::is_keyword(token_, "graph") || detail::is_keyword(token_, "node") ||
        detail::is_keyword(token_, "edge")) {
      advance();
      if (token_.kind != DotToken::left_bracket) {
        fail("expected '[' after 'graph', 'node' or 'edge', found " + describe(token_));
      }
      attribute_lists();
      return;
    }
    if (token_.kind == DotToken::id && !detail::is_any_keyword(token_)) {
      DotLexeme first = token_;
      advance();
      if (token_.kind == DotToken::equals) {  // a graph setting: ID = ID
        advance();
        expect(DotToken::id, "a value after '='");
        return;
      }
      Members left = node_operand(first, members);
      edges_from(std::move(left), depth, members);
      return;
    }
    if (token_.kind == DotToken::left_brace || detail::is_keyword(token_, "subgraph")) {
      Members left = subgraph(depth, members);
      edges_from(std::move(left), depth, members);
      return;
    }
    fail("expected a statement, found " + describe(token_));
  }

  // After the first operand of a statement: `-- operand` repeated, then attributes.
  void edges_from(Members left, int depth, Members* members) {
    while (token_.kind == DotToken::undirected_edge || token_.kind == DotToken::directed_edge) {
      if (token_.kind == DotToken::directed_edge) {
        fail("'->' is a directed edge; friend graphs are undirected, write '--'");
      }
      const std::size_t line = token_.line;
      advance();
      Members right;
      if (token_.kind == DotToken::left_brace || detail::is_keyword(token_, "subgraph")) {
        right = subgraph(depth, members);
      } else if (token_.kind == DotToken::id && !detail::is_any_keyword(token_)) {
        DotLexeme name = token_;
        advance();
        right = node_operand(name, members);
      } else {
        fail("expected a server name or subgraph after '--', found " + describe(token_));
      }
      connect(left, right, line);
      left = std::move(right);
    }
    if (token_.kind == DotToken::left_bracket) attribute_lists();
  }

  // A server name just read as `name`; the current token is the one after it.
  Members node_operand(const DotLexeme& name, Members* members) {
    if (token_.kind == DotToken::colon) {
      fail("ports ('" + name.text + ":port') are not supported; friendships join servers");
    }
    const ServerIndex index = detail::at_location(source_, name.line, [&] {
      if (auto existing = graph_.find(name.text)) return *existing;
      return graph_.add_server(name.text);
    });
    if (members != nullptr) members->push_back(index);
    return Members{index};
  }

  // `subgraph [name] { ... }` or `{ ... }`: its servers, also added to the enclosing set.
  Members subgraph(int depth, Members* members) {
    if (depth + 1 > kMaxSubgraphDepth) {
      fail("subgraphs nested deeper than " + std::to_string(kMaxSubgraphDepth));
    }
    if (detail::is_keyword(token_, "subgraph")) {
      advance();
      if (token_.kind == DotToken::id && !detail::is_any_keyword(token_)) advance();
      if (token_.kind != DotToken::left_brace) {
        fail("expected '{' to open the subgraph, found " + describe(token_));
      }
    }
    const std::size_t opened = token_.line;
    advance();  // '{'
    Members inner;
    statements(depth + 1, opened, &inner);
    advance();  // '}'
    // A server named twice in a subgraph is still one endpoint. Order no longer matters:
    // servers were numbered when first named, and adjacency lists are kept sorted.
    std::sort(inner.begin(), inner.end());
    inner.erase(std::unique(inner.begin(), inner.end()), inner.end());
    if (members != nullptr) members->insert(members->end(), inner.begin(), inner.end());
    return inner;
  }

  // Friendships between every server of `left` and every server of `right`.
  void connect(const Members& left, const Members& right, std::size_t line) {
    for (const ServerIndex a : left) {
      for (const ServerIndex b : right) {
        if (a != b && graph_.has_edge(a, b)) {
          if (strict_) continue;  // GraphViz merges duplicates in a strict graph
          throw detail::located_error(
              source_, line,
              "duplicate friendship '" + graph_.name(a) + "' -- '" + graph_.name(b) +
                  "' (write 'strict graph' to merge duplicates)");
        }
        detail::at_location(source_, line, [&] { graph_.add_edge(a, b); });
      }
    }
  }

  // One or more `[ k = v, ... ]` lists, all ignored.
  void attribute_lists() {
    while (token_.kind == DotToken::left_bracket) {
      const std::size_t opened = token_.line;
      advance();
      while (token_.kind != DotToken::right_bracket) {
        if (token_.kind == DotToken::end) {
          fail("missing ']' for the '[' on line " + std::to_string(opened));
        }
        expect(DotToken::id, "an attribute name");
        if (token_.kind == DotToken::equals) {
          advance();
          expect(DotToken::id, "an attribute value after '='");
        }
        if (token_.kind == DotToken::comma || token_.kind == DotToken::semicolon) advance();
      }
      advance();  // ']'
    }
  }

  detail::DotLexer lexer_;
  std::string_view source_;
  DotLexeme token_;
  FriendGraph graph_;
  bool strict_ = false;
};

}  // namespace

FriendGraph parse_dot(std::string_view text, std::string_view source_name) {
  return DotReader(text, source_name).read();
}

}  // namespace herd::sim
