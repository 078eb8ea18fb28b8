#pragma once
// What the topology view shows for a clicked server or link, as pure functions of a run's
// stored rows: the server's record table at a moment of virtual time, and the traffic a
// friend link carried in each direction.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "herd/gui/run_data.hpp"

namespace herd::gui {

// One client's record on a server: the newest update of that client (in the herd's total
// order, docs/metrics.md) that the server stored itself at or before the moment asked for.
struct RecordRow {
  std::string client;
  std::uint32_t update_id = 0;
  std::string origin;             // the server that accepted it
  std::int64_t accepted_ns = 0;   // at the origin
  std::int64_t stored_ns = 0;     // at this server
  std::int64_t delay_ns = 0;      // stored - accepted (the propagation delay)
  std::optional<std::string> from;  // the friend whose line brought it; none at the origin
  std::string at_line;
};

// The records `server` held at `at_ns`, one per client, by client name. Built from the
// direct deliveries in `applies` (the server stored the update itself); a record replaced by
// a newer one of the same client is not listed. The results do not say whether a crash kept
// the server's state, so records stored before a crash are listed after it as well.
[[nodiscard]] std::vector<RecordRow> server_records(const RunData& run, std::uint32_t server,
                                                    std::int64_t at_ns);

// What one friend link carried, both directions: every peer line delivered on it
// (`traffic_links`, greetings included) and the updates it brought first (`applies.from_id`).
struct LinkReport {
  std::uint32_t a = 0, b = 0;  // a < b
  std::uint64_t lines_ab = 0, bytes_ab = 0, lines_ba = 0, bytes_ba = 0;
  std::uint64_t updates_ab = 0, updates_ba = 0;  // deliveries that came over it
};
[[nodiscard]] LinkReport link_report(const RunData& run, std::uint32_t a, std::uint32_t b);

// Multi-line text for a tooltip or label: "Bailey → Bona: 812 lines, 71.3 KiB, 97 updates first".
[[nodiscard]] std::string describe(const RunData& run, const LinkReport& link);

}  // namespace herd::gui
