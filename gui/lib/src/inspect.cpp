#include "herd/gui/inspect.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "herd/core/codec.hpp"
#include "herd/core/record_store.hpp"

namespace herd::gui {

std::vector<RecordRow> server_records(const RunData& run, std::uint32_t server, std::int64_t at_ns) {
  // The newest stored update per client, compared in the total order of the servers
  // themselves (core::compare_updates on the parsed AT lines).
  struct Best {
    const sim::StoredApply* row;
    core::PeerUpdate parsed;
  };
  std::map<std::string, Best> best;
  for (const auto& row : run.applies) {
    if (row.server_id != server || !row.direct || row.at_ns > at_ns) continue;
    if (row.update_id >= run.updates.size()) continue;
    const sim::StoredUpdate& u = run.updates[row.update_id];
    auto parsed = core::parse_at_line(u.at_line);
    if (!parsed) continue;  // every stored AT line parses; a damaged file shows no record
    auto it = best.find(u.client);
    if (it == best.end()) {
      best.emplace(u.client, Best{&row, std::move(*parsed)});
    } else if (core::compare_updates(*parsed, it->second.parsed) > 0) {
      it->second = Best{&row, std::move(*parsed)};
    }
  }
  std::vector<RecordRow> out;
  out.reserve(best.size());
  auto name = [&](std::int64_t id) {
    return id >= 0 && static_cast<std::size_t>(id) < run.servers.size()
               ? run.servers[static_cast<std::size_t>(id)].name
               : "#" + std::to_string(id);
  };
  for (const auto& [client, b] : best) {
    const sim::StoredUpdate& u = run.updates[b.row->update_id];
    RecordRow r;
    r.client = client;
    r.update_id = u.update_id;
    r.origin = name(u.origin);
    r.accepted_ns = u.accepted_ns;
    r.stored_ns = b.row->at_ns;
    r.delay_ns = b.row->delay_ns;
    if (b.row->from_id != sim::kNoFrom) r.from = name(b.row->from_id);
    r.at_line = u.at_line;
    out.push_back(std::move(r));
  }
  return out;
}

LinkReport link_report(const RunData& run, std::uint32_t a, std::uint32_t b) {
  LinkReport r;
  r.a = std::min(a, b);
  r.b = std::max(a, b);
  for (const auto& l : run.links) {
    if (l.from_id == r.a && l.to_id == r.b) r.lines_ab += l.lines, r.bytes_ab += l.bytes;
    if (l.from_id == r.b && l.to_id == r.a) r.lines_ba += l.lines, r.bytes_ba += l.bytes;
  }
  for (const auto& row : run.applies) {
    if (row.from_id == static_cast<std::int64_t>(r.a) && row.server_id == r.b) ++r.updates_ab;
    if (row.from_id == static_cast<std::int64_t>(r.b) && row.server_id == r.a) ++r.updates_ba;
  }
  return r;
}

std::string describe(const RunData& run, const LinkReport& link) {
  auto name = [&](std::uint32_t id) {
    return id < run.servers.size() ? run.servers[id].name : "#" + std::to_string(id);
  };
  auto one = [&](std::uint32_t from, std::uint32_t to, std::uint64_t lines, std::uint64_t bytes,
                 std::uint64_t updates) {
    char text[160];
    std::snprintf(text, sizeof text, ": %llu lines, %.1f KiB, %llu updates first",
                  static_cast<unsigned long long>(lines), static_cast<double>(bytes) / 1024.0,
                  static_cast<unsigned long long>(updates));
    return name(from) + " \u2192 " + name(to) + text;
  };
  return one(link.a, link.b, link.lines_ab, link.bytes_ab, link.updates_ab) + "\n" +
         one(link.b, link.a, link.lines_ba, link.bytes_ba, link.updates_ba);
}

}  // namespace herd::gui
