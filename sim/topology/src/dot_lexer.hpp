#pragma once
// Tokens of the DOT language, with the line each starts on. Private to the DOT reader.

#include <cstddef>
#include <string>
#include <string_view>

namespace herd::sim::detail {

enum class DotToken {
  id,               // identifier, numeral, "quoted" or <html> string
  left_brace,       // {
  right_brace,      // }
  left_bracket,     // [
  right_bracket,    // ]
  semicolon,        // ;
  comma,            // ,
  equals,           // =
  colon,            // :
  undirected_edge,  // --
  directed_edge,    // ->
  end,              // end of input
};

struct DotLexeme {
  DotToken kind = DotToken::end;
  std::string text;     // the ID's value (quotes removed, escapes applied)
  bool quoted = false;  // "..." or <...>: never a keyword
  std::size_t line = 1;
};

// How a lexeme appears in an error message ("'{'", "'name'", "end of file").
[[nodiscard]] std::string describe(const DotLexeme& lexeme);

// True if `lexeme` is the unquoted keyword `word` (DOT keywords are case-insensitive).
[[nodiscard]] bool is_keyword(const DotLexeme& lexeme, std::string_view word);
[[nodiscard]] bool is_any_keyword(const DotLexeme& lexeme);

class DotLexer {
 public:
  DotLexer(std::string_view text, std::string_view source_name)
      : text_(text), source_(source_name) {}

  // The next token; throws TopologyError ("source:line: ...") on malformed input.
  [[nodiscard]] DotLexeme next();

 private:
  void skip_blanks_and_comments();
  [[nodiscard]] DotLexeme quoted_string();
  [[nodiscard]] DotLexeme html_string();
  [[nodiscard]] DotLexeme numeral();
  [[nodiscard]] DotLexeme identifier();
  [[noreturn]] void fail(std::size_t line, std::string_view what) const;

  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  bool line_start_ = true;  // only blanks since the last newline (for '#' lines)
};

}  // namespace herd::sim::detail
