#pragma once
// What the dashboard holds of one stored run: everything its charts and views draw, read
// once through the results reader (herd/sim/results_reader.hpp) and shared by every view.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "herd/sim/results_reader.hpp"

namespace herd::gui {

struct RunData {
  sim::StoredRun run;
  std::vector<sim::StoredServer> servers;
  std::vector<sim::StoredEdge> edges;
  std::vector<sim::StoredFault> faults;
  std::vector<sim::StoredUpdate> updates;
  std::vector<sim::StoredApply> applies;  // by (update_id, at_ns, server_id)
  std::vector<sim::StoredStaleness> staleness;
  std::vector<sim::KindTraffic> kinds;
  std::vector<sim::LinkTraffic> links;
  // applies[update_first[u] .. update_first[u + 1]) are update u's rows.
  std::vector<std::size_t> update_first;
  // propagation_delays_ms(*this), worked out once when the run is loaded (load_run), so the
  // delay CDF, the first chart shown, costs no sort of a million values when drawn.
  std::vector<double> delays_ms;

  // Update u's delivery rows, by at_ns; empty for an unknown update.
  [[nodiscard]] std::pair<const sim::StoredApply*, const sim::StoredApply*> applies_of(
      std::uint32_t update) const;
};

// A short label for legends and axes: "#3 ws200 flood s2" (variant instead of strategy
// when the run is a sweep cell with one).
[[nodiscard]] std::string run_label(const sim::StoredRun& run);

// Reads one run whole. Throws sim::ResultsError (unknown run, unreadable file).
[[nodiscard]] std::shared_ptr<const RunData> load_run(const sim::ResultsReader& reader,
                                                      std::int64_t run_id);

// Loaded runs by run_id, so switching between selections does not read a run twice. Holds
// at most `capacity` runs, dropping the least recently used.
class RunCache {
 public:
  explicit RunCache(std::size_t capacity = 16) : capacity_(capacity) {}
  std::shared_ptr<const RunData> get(const sim::ResultsReader& reader, std::int64_t run_id);
  void clear() { runs_.clear(); }
  [[nodiscard]] std::size_t size() const noexcept { return runs_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const RunData> data;
    std::uint64_t used = 0;
  };
  std::size_t capacity_;
  std::uint64_t clock_ = 0;
  std::map<std::int64_t, Entry> runs_;
};

}  // namespace herd::gui
