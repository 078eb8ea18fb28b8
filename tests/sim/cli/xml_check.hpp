#pragma once
// A strict little XML reader for the tests of herd-sim's JUnit report: checks the text is
// well-formed (one root, nested and matching tags, quoted attributes, only the five named
// entities and numeric references, no raw '<' or '&' in text), and records each element's
// name and attributes. Enough for reports the project writes; not a general XML parser.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xml_check {

struct Element {
  std::string name;
  std::map<std::string, std::string> attributes;  // unescaped
};

struct Document {
  bool well_formed = false;
  std::string problem;
  std::vector<Element> elements;  // in document order

  [[nodiscard]] std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& e : elements) n += e.name == name ? 1 : 0;
    return n;
  }
  // The attribute of the first element called `name`; empty when absent.
  [[nodiscard]] std::string attribute(std::string_view name, const std::string& key) const {
    for (const auto& e : elements) {
      if (e.name != name) continue;
      auto it = e.attributes.find(key);
      return it == e.attributes.end() ? std::string() : it->second;
    }
    return {};
  }
};

namespace detail {

inline bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == ':';
}

class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  Document read() {
    Document doc;
    try {
      if (s_.starts_with("<?xml")) {
        auto end = s_.find("?>");
        if (end == s_.npos) throw std::string("unterminated XML declaration");
        i_ = end + 2;
      }
      skip_blanks();
      element(doc);
      skip_blanks();
      if (i_ != s_.size()) throw std::string("text after the root element");
      doc.well_formed = true;
    } catch (const std::string& problem) {
      doc.problem = problem + " at offset " + std::to_string(i_);
    }
    return doc;
  }

 private:
  void skip_blanks() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  std::string name() {
    std::size_t start = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    if (start == i_) throw std::string("expected a name");
    return std::string(s_.substr(start, i_ - start));
  }
  void expect(char c) {
    if (i_ >= s_.size() || s_[i_] != c) throw std::string("expected '") + c + "'";
    ++i_;
  }
  // Text up to `stop`, with references resolved.
  std::string text_until(char stop) {
    std::string out;
    while (i_ < s_.size() && s_[i_] != stop) {
      char c = s_[i_];
      if (c == '<') throw std::string("raw '<' in text or attribute");
      if (c == '&') {
        auto end = s_.find(';', i_);
        if (end == s_.npos) throw std::string("unterminated reference");
        std::string_view ref = s_.substr(i_ + 1, end - i_ - 1);
        if (ref == "amp") out += '&';
        else if (ref == "lt") out += '<';
        else if (ref == "gt") out += '>';
        else if (ref == "quot") out += '"';
        else if (ref == "apos") out += '\'';
        else if (ref.size() > 1 && ref[0] == '#') out += static_cast<char>(std::stoi(std::string(ref.substr(1))));
        else throw std::string("unknown entity &") + std::string(ref) + ";";
        i_ = end + 1;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
        throw std::string("control character");
      out += c;
      ++i_;
    }
    return out;
  }
  void element(Document& doc) {
    expect('<');
    Element e;
    e.name = name();
    while (true) {
      skip_blanks();
      if (i_ >= s_.size()) throw std::string("unterminated tag");
      if (s_[i_] == '/' || s_[i_] == '>') break;
      std::string key = name();
      expect('=');
      expect('"');
      std::string value = text_until('"');
      expect('"');
      if (!e.attributes.emplace(key, value).second) throw std::string("repeated attribute");
    }
    const std::string tag = e.name;
    doc.elements.push_back(std::move(e));
    if (s_[i_] == '/') {
      ++i_;
      expect('>');
      return;
    }
    expect('>');
    while (true) {
      (void)text_until('<');
      if (i_ >= s_.size()) throw std::string("unclosed <" + tag + ">");
      if (s_.substr(i_, 2) == "</") {
        i_ += 2;
        if (name() != tag) throw std::string("mismatched end tag for <" + tag + ">");
        skip_blanks();
        expect('>');
        return;
      }
      element(doc);
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace detail

inline Document parse(std::string_view text) { return detail::Reader(text).read(); }

}  // namespace xml_check
