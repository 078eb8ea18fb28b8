#include "gml_tree.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

#include "located_error.hpp"

namespace herd::sim::detail {

namespace {

bool key_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool key_char(char c) { return key_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

// The character an entity body ("quot", "#233", "#xe9") stands for, if it is one.
bool decode_entity(std::string_view body, std::string& out) {
  static constexpr std::array<std::pair<std::string_view, char>, 5> kNamed = {
      {{"quot", '"'}, {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"apos", '\''}}};
  for (const auto& [name, c] : kNamed) {
    if (body == name) {
      out += c;
      return true;
    }
  }
  if (body.size() < 2 || body.front() != '#') return false;
  const bool hex = body[1] == 'x' || body[1] == 'X';
  const std::string_view digits = body.substr(hex ? 2 : 1);
  std::uint32_t code = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return false;
  }
  if (code == 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
  append_utf8(out, code);
  return true;
}

class GmlParser {
 public:
  GmlParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  std::vector<GmlEntry> parse() { return entries(0, 0); }

 private:
  [[noreturn]] void fail(std::string_view what) const {
    throw located_error(source_, line_, what);
  }
  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_blanks() {
    bool line_start = pos_ == 0 || text_[pos_ - 1] == '\n';
    while (!at_end()) {
      const char c = peek();
      if (c == '\n') {
        ++line_;
        line_start = true;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '#' && line_start) {
        while (!at_end() && peek() != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  // `key value` pairs up to the ']' closing a list opened on `opened_line` (depth > 0) or
  // the end of the text (depth 0).
  std::vector<GmlEntry> entries(int depth, std::size_t opened_line) {
    std::vector<GmlEntry> list;
    for (;;) {
      skip_blanks();
      if (at_end()) {
        if (depth > 0) fail("missing ']' for the '[' on line " + std::to_string(opened_line));
        return list;
      }
      if (peek() == ']') {
        if (depth == 0) fail("unexpected ']' (no list is open)");
        ++pos_;
        return list;
      }
      if (!key_start(peek())) {
        fail("expected a key, found " + printable(text_.substr(pos_, 1)));
      }
      GmlEntry entry;
      entry.line = line_;
      const std::size_t start = pos_;
      while (key_char(peek())) ++pos_;
      entry.key = std::string(text_.substr(start, pos_ - start));
      skip_blanks();
      entry.value = value(entry.key, depth);
      list.push_back(std::move(entry));
    }
  }

  GmlValue value(const std::string& key, int depth) {
    GmlValue result;
    const char c = peek();
    if (at_end() || c == ']') fail("key '" + key + "' has no value");
    if (c == '[') {
      if (depth + 1 > kMaxGmlDepth) {
        fail("lists nested deeper than " + std::to_string(kMaxGmlDepth));
      }
      const std::size_t opened = line_;
      ++pos_;
      result.kind = GmlValue::Kind::list;
      result.list = entries(depth + 1, opened);
    } else if (c == '"') {
      result.kind = GmlValue::Kind::string;
      result.text = decode_gml_entities(quoted_string());
    } else if (c == '+' || c == '-' || c == '.' || digit(c)) {
      number(key, result);
    } else {
      fail("expected a value for key '" + key + "', found " + printable(text_.substr(pos_, 1)));
    }
    return result;
  }

  std::string_view quoted_string() {
    const std::size_t opened = line_;
    const std::size_t start = ++pos_;
    while (!at_end() && peek() != '"') {
      if (peek() == '\n') ++line_;
      ++pos_;
    }
    if (at_end()) {
      line_ = opened;
      fail("unterminated string");
    }
    return text_.substr(start, pos_++ - start);
  }

  void number(const std::string& key, GmlValue& result) {
    const std::size_t start = pos_;
    if (peek() == '+' || peek() == '-') ++pos_;
    bool real = false;
    std::size_t digits = 0;
    for (; digit(peek()) || peek() == '.'; ++pos_) {
      if (peek() == '.') real = true; else ++digits;
    }
    if (digits > 0 && (peek() == 'e' || peek() == 'E')) {
      real = true;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      while (digit(peek())) ++pos_;
    }
    while (!at_end() && !std::isspace(static_cast<unsigned char>(peek())) && peek() != ']') ++pos_;
    result.text = std::string(text_.substr(start, pos_ - start));
    const char* first = result.text.data() + (result.text.front() == '+' ? 1 : 0);
    const char* last = result.text.data() + result.text.size();
    std::from_chars_result parsed{};
    if (real) {
      double ignored = 0;
      parsed = std::from_chars(first, last, ignored);
      result.kind = GmlValue::Kind::real;
    } else {
      parsed = std::from_chars(first, last, result.integer);
      result.kind = GmlValue::Kind::integer;
    }
    const auto [end, error] = parsed;
    if (error == std::errc::result_out_of_range) {
      fail("number " + printable(result.text) + " for key '" + key + "' is out of range");
    }
    if (error != std::errc() || end != last || digits == 0) {
      fail("malformed number " + printable(result.text) + " for key '" + key + "'");
    }
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

std::vector<GmlEntry> parse_gml_tree(std::string_view text, std::string_view source_name) {
  return GmlParser(text, source_name).parse();
}

std::string decode_gml_entities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      const std::size_t semicolon = text.find(';', i + 1);
      if (semicolon != std::string_view::npos && semicolon - i <= 10 &&
          decode_entity(text.substr(i + 1, semicolon - i - 1), out)) {
        i = semicolon;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace herd::sim::detail
