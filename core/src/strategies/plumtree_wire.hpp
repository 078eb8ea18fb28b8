#pragma once
// The plumtree peer messages on the wire (docs/strategies/plumtree.md): strict parsers and
// formatters for IHAVE and GRAFT, kept apart from the strategy's state machine. Header-only
// so that the strategy stays one build unit.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herd/core/codec.hpp"
#include "herd/core/record_store.hpp"

namespace herd::core::plumtree_wire {

inline constexpr std::size_t kMaxIhaveEntries = 64;      // announcements in one IHAVE line
inline constexpr std::size_t kMaxIhaveLineBytes = 4096;  // one IHAVE line, its "\n" included
inline constexpr std::size_t kFieldsPerEntry = 4;        // id, client, client time, origin

// One announcement: enough of an update to tell whether a server holds it or something
// newer, under the herd's total order (client timestamp first, then origin name). Views
// into the line it was parsed from.
struct Announcement {
  std::uint64_t id = 0;
  std::string_view client;
  Nanoseconds client_time_ns = 0;
  std::string_view origin;
};

// Splits on single spaces, strictly: no empty field, no other white space, at most
// `max_fields` fields. Peer messages are machine-written, so anything looser is a bug.
inline bool split_fields(std::string_view line, std::vector<std::string_view>& fields,
                         std::size_t max_fields) {
  fields.clear();
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] != ' ') {
      if (is_protocol_space(line[i])) return false;
      continue;
    }
    if (i == start || fields.size() == max_fields) return false;
    fields.push_back(line.substr(start, i - start));
    start = i + 1;
  }
  return true;
}

// "IHAVE <id> <client> <client-time> <origin> ...": false unless the whole line is valid,
// so that a bad line is ignored as a whole. `fields` is scratch space.
inline bool parse_ihave(std::string_view line, std::vector<std::string_view>& fields,
                        std::vector<Announcement>& out) {
  out.clear();
  if (line.size() + 1 > kMaxIhaveLineBytes ||
      !split_fields(line, fields, 1 + kMaxIhaveEntries * kFieldsPerEntry) ||
      fields.size() < 1 + kFieldsPerEntry || (fields.size() - 1) % kFieldsPerEntry != 0 ||
      fields[0] != "IHAVE") {
    return false;
  }
  for (std::size_t i = 1; i < fields.size(); i += kFieldsPerEntry) {
    auto id = parse_update_id(fields[i]);
    auto time_ns = parse_posix_time_ns(fields[i + 2]);
    if (!id || !time_ns) return false;
    out.push_back(Announcement{*id, fields[i + 1], *time_ns, fields[i + 3]});
  }
  return true;
}

// "GRAFT" (bare: take me back into the tree) or "GRAFT <id> <client>" (and send me your
// record of that client). Nothing if the line is malformed.
struct Graft {
  std::optional<std::string_view> client;  // empty for a bare GRAFT
};

inline std::optional<Graft> parse_graft(std::string_view line,
                                        std::vector<std::string_view>& fields) {
  if (!split_fields(line, fields, 3) || fields[0] != "GRAFT") return std::nullopt;
  if (fields.size() == 1) return Graft{};
  if (fields.size() != 3 || !parse_update_id(fields[1])) return std::nullopt;
  return Graft{fields[2]};
}

// " <id> <client> <client-time> <origin>": one entry of an IHAVE line.
inline std::string format_ihave_entry(const StoredRecord& record) {
  const PeerUpdate u = record.update.fields();
  std::string entry;
  entry.reserve(20 + u.client.size() + u.client_time.size() + u.origin.size());
  entry.append(" ").append(format_update_id(record.id)).append(" ").append(u.client);
  entry.append(" ").append(u.client_time).append(" ").append(u.origin);
  return entry;
}

inline std::string format_graft(std::uint64_t id, std::string_view client) {
  std::string line = "GRAFT " + format_update_id(id) + " ";
  line.append(client).append("\n");
  return line;
}

}  // namespace herd::core::plumtree_wire
