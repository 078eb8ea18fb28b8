#include "dot_lexer.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "located_error.hpp"

namespace herd::sim::detail {

namespace {

// DOT identifiers: letters, digits, underscores and any byte >= 0x80 (UTF-8), not
// starting with a digit.
bool id_start(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return std::isalpha(byte) != 0 || c == '_' || byte >= 0x80;
}
bool id_char(char c) { return id_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string describe(const DotLexeme& lexeme) {
  switch (lexeme.kind) {
    case DotToken::id: return printable(lexeme.text);
    case DotToken::left_brace: return "'{'";
    case DotToken::right_brace: return "'}'";
    case DotToken::left_bracket: return "'['";
    case DotToken::right_bracket: return "']'";
    case DotToken::semicolon: return "';'";
    case DotToken::comma: return "','";
    case DotToken::equals: return "'='";
    case DotToken::colon: return "':'";
    case DotToken::undirected_edge: return "'--'";
    case DotToken::directed_edge: return "'->'";
    case DotToken::end: return "end of file";
  }
  return "?";
}

bool is_keyword(const DotLexeme& lexeme, std::string_view word) {
  return lexeme.kind == DotToken::id && !lexeme.quoted && equals_ignoring_case(lexeme.text, word);
}

bool is_any_keyword(const DotLexeme& lexeme) {
  static constexpr std::array<std::string_view, 6> kKeywords = {
      "strict", "graph", "digraph", "subgraph", "node", "edge"};
  return std::any_of(kKeywords.begin(), kKeywords.end(),
                     [&](std::string_view word) { return is_keyword(lexeme, word); });
}

void DotLexer::fail(std::size_t line, std::string_view what) const {
  throw located_error(source_, line, what);
}

void DotLexer::skip_blanks_and_comments() {
  while (!at_end()) {
    const char c = peek();
    if (c == '\n') {
      ++line_;
      ++pos_;
      line_start_ = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++pos_;
    } else if ((c == '#' && line_start_) || (c == '/' && peek(1) == '/')) {
      // '#' lines are C preprocessor output, which GraphViz discards.
      while (!at_end() && peek() != '\n') ++pos_;
    } else if (c == '/' && peek(1) == '*') {
      const std::size_t opened = line_;
      pos_ += 2;
      while (!at_end() && !(peek() == '*' && peek(1) == '/')) {
        if (peek() == '\n') ++line_;
        ++pos_;
      }
      if (at_end()) fail(opened, "unterminated /* comment");
      pos_ += 2;
      line_start_ = false;
    } else {
      return;
    }
  }
}

DotLexeme DotLexer::next() {
  skip_blanks_and_comments();
  line_start_ = false;
  DotLexeme lexeme;
  lexeme.line = line_;
  if (at_end()) return lexeme;
  const char c = peek();
  const auto single = [&](DotToken kind) {
    ++pos_;
    lexeme.kind = kind;
    return lexeme;
  };
  switch (c) {
    case '{': return single(DotToken::left_brace);
    case '}': return single(DotToken::right_brace);
    case '[': return single(DotToken::left_bracket);
    case ']': return single(DotToken::right_bracket);
    case ';': return single(DotToken::semicolon);
    case ',': return single(DotToken::comma);
    case '=': return single(DotToken::equals);
    case ':': return single(DotToken::colon);
    case '"': return quoted_string();
    case '<': return html_string();
    default: break;
  }
  if (c == '-' && peek(1) == '-') {
    pos_ += 2;
    lexeme.kind = DotToken::undirected_edge;
    return lexeme;
  }
  if (c == '-' && peek(1) == '>') {
    pos_ += 2;
    lexeme.kind = DotToken::directed_edge;
    return lexeme;
  }
  if (c == '-' || c == '.' || digit(c)) return numeral();
  if (id_start(c)) return identifier();
  if (c == '+') fail(line_, "string concatenation with '+' is not supported");
  fail(line_, "unexpected character " + printable(std::string_view(&text_[pos_], 1)));
}

DotLexeme DotLexer::quoted_string() {
  DotLexeme lexeme{DotToken::id, {}, true, line_};
  ++pos_;  // opening quote
  while (!at_end() && peek() != '"') {
    if (peek() == '\\' && peek(1) == '"') {
      lexeme.text += '"';
      pos_ += 2;
    } else if (peek() == '\\' && peek(1) == '\n') {
      pos_ += 2;
      ++line_;
    } else if (peek() == '\\' && peek(1) == '\r' && peek(2) == '\n') {
      pos_ += 3;
      ++line_;
    } else {
      if (peek() == '\n') ++line_;
      lexeme.text += peek();
      ++pos_;
    }
  }
  if (at_end()) fail(lexeme.line, "unterminated quoted string");
  ++pos_;  // closing quote
  return lexeme;
}

DotLexeme DotLexer::html_string() {
  DotLexeme lexeme{DotToken::id, {}, true, line_};
  ++pos_;  // opening '<'
  int depth = 1;
  while (!at_end()) {
    const char c = peek();
    if (c == '<') ++depth;
    if (c == '>' && --depth == 0) break;
    if (c == '\n') ++line_;
    lexeme.text += c;
    ++pos_;
  }
  if (at_end()) fail(lexeme.line, "unterminated <html> string");
  ++pos_;  // closing '>'
  return lexeme;
}

DotLexeme DotLexer::numeral() {
  DotLexeme lexeme{DotToken::id, {}, false, line_};
  const std::size_t start = pos_;
  if (peek() == '-') ++pos_;
  while (digit(peek())) ++pos_;
  if (peek() == '.') {
    ++pos_;
    while (digit(peek())) ++pos_;
  }
  lexeme.text = std::string(text_.substr(start, pos_ - start));
  if (lexeme.text == "-" || lexeme.text == "." || lexeme.text == "-.") {
    fail(line_, "unexpected " + printable(lexeme.text) + " (edges are written '--')");
  }
  if (id_char(peek())) {
    std::size_t end = pos_;
    while (end < text_.size() && id_char(text_[end])) ++end;
    fail(line_, printable(text_.substr(start, end - start)) +
                    " is not a DOT identifier (it starts with a digit); quote it");
  }
  return lexeme;
}

DotLexeme DotLexer::identifier() {
  DotLexeme lexeme{DotToken::id, {}, false, line_};
  const std::size_t start = pos_;
  while (!at_end() && id_char(peek())) ++pos_;
  lexeme.text = std::string(text_.substr(start, pos_ - start));
  return lexeme;
}

}  // namespace herd::sim::detail
