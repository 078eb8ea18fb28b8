#include "observations.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "herd/core/record_store.hpp"

namespace herd::sim::live {

namespace {

// A file bigger than this is not an observation file the runner asked for.
constexpr std::uintmax_t kMaxFileBytes = 1ULL << 30;

std::string_view next_field(std::string_view& rest) {
  const auto space = rest.find(' ');
  std::string_view field = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return field;
}

template <class T>
T number(std::string_view text, const char* what) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw std::invalid_argument(std::string("bad ") + what + " '" + std::string(text) + "'");
  }
  return value;
}

ServerIndex server_index(const HerdLayout& layout, std::string_view name) {
  for (ServerIndex i = 0; i < layout.size(); ++i) {
    if (layout.names[i] == name) return i;
  }
  throw std::invalid_argument("unknown server '" + std::string(name) + "'");
}

}  // namespace

std::optional<ObservedEvent> parse_observation_line(std::string_view line,
                                                    const HerdLayout& layout) {
  if (line.empty() || line.front() == '#') return std::nullopt;
  std::string_view rest = line;
  ObservedEvent e;
  e.server = server_index(layout, next_field(rest));
  const std::string_view kind = next_field(rest);
  if (kind == "accepted") {
    e.kind = ObservedEvent::Kind::accepted;
  } else if (kind == "applied") {
    e.kind = ObservedEvent::Kind::applied;
  } else if (kind == "ignored") {
    e.kind = ObservedEvent::Kind::ignored;
  } else if (kind == "read") {
    e.kind = ObservedEvent::Kind::read;
  } else {
    throw std::invalid_argument("unknown kind '" + std::string(kind) + "'");
  }
  e.at_ns = number<Nanoseconds>(next_field(rest), "time");
  const std::string_view id_text = next_field(rest);
  const auto id = core::parse_update_id(id_text);
  if (!id || id_text.size() != 16) {
    throw std::invalid_argument("bad update id '" + std::string(id_text) + "'");
  }
  e.id = *id;
  e.hops = number<std::uint32_t>(next_field(rest), "hop count");
  const std::string_view from = next_field(rest);
  if (from.empty()) throw std::invalid_argument("missing fields");
  if (from != "-") e.from = server_index(layout, from);
  if (e.kind == ObservedEvent::Kind::accepted || e.kind == ObservedEvent::Kind::read) {
    if (!rest.starts_with("AT ")) throw std::invalid_argument("missing AT line");
    if (core::update_id(rest) != e.id) {
      throw std::invalid_argument("the AT line does not hash to the update id");
    }
    e.at_line = core::SharedText(rest);
  } else if (!rest.empty()) {
    throw std::invalid_argument("unexpected fields after the friend");
  }
  return e;
}

ObservationFile read_observation_file(const std::filesystem::path& file,
                                      const HerdLayout& layout) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw std::runtime_error(file.string() + ": cannot read observations: " + ec.message());
  if (size > kMaxFileBytes) {
    throw std::runtime_error(file.string() + ": " + std::to_string(size) +
                             " bytes, more than an observation file may hold");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  ObservationFile out;
  std::size_t start = 0, number = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    if (nl == std::string::npos) break;  // cut short by a kill: the line never finished
    ++number;
    const std::string_view line(text.data() + start, nl - start);
    start = nl + 1;
    if (line.starts_with("# truncated")) out.truncated = true;
    try {
      if (auto event = parse_observation_line(line, layout)) out.events.push_back(std::move(*event));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace herd::sim::live
