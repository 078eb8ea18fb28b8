#include "herd/gui/run_data.hpp"

#include "herd/gui/chart_data.hpp"

namespace herd::gui {

std::pair<const sim::StoredApply*, const sim::StoredApply*> RunData::applies_of(
    std::uint32_t update) const {
  if (static_cast<std::size_t>(update) + 1 >= update_first.size()) return {nullptr, nullptr};
  const sim::StoredApply* base = applies.data();
  return {base + update_first[update], base + update_first[update + 1]};
}

std::string run_label(const sim::StoredRun& run) {
  std::string label = "#" + std::to_string(run.run_id) + " " + run.scenario + " " +
                      (run.variant.empty() ? run.strategy : run.variant);
  label += " s" + std::to_string(run.seed);
  // Simulated runs are the default; a live run says so, so sim and live compare legibly.
  if (run.backend != "sim") label += " " + run.backend;
  return label;
}

std::shared_ptr<const RunData> load_run(const sim::ResultsReader& reader, std::int64_t run_id) {
  auto run = reader.run(run_id);
  if (!run) {
    throw sim::ResultsError(reader.path().string() + ": no run " + std::to_string(run_id));
  }
  auto data = std::make_shared<RunData>();
  data->run = std::move(*run);
  data->servers = reader.servers(run_id);
  data->edges = reader.friends(run_id);
  data->faults = reader.faults(run_id);
  data->updates = reader.updates(run_id);
  data->applies = reader.applies(run_id);
  data->staleness = reader.staleness(run_id);
  data->kinds = reader.traffic_kinds(run_id);
  data->links = reader.traffic_links(run_id);
  // Index the applies by update (they come sorted by update_id).
  data->update_first.assign(data->updates.size() + 1, data->applies.size());
  std::size_t row = 0;
  for (std::size_t u = 0; u < data->updates.size(); ++u) {
    while (row < data->applies.size() && data->applies[row].update_id < u) ++row;
    data->update_first[u] = row;
  }
  data->delays_ms = propagation_delays_ms(*data);
  return data;
}

std::shared_ptr<const RunData> RunCache::get(const sim::ResultsReader& reader,
                                             std::int64_t run_id) {
  ++clock_;
  auto it = runs_.find(run_id);
  if (it != runs_.end()) {
    it->second.used = clock_;
    return it->second.data;
  }
  auto data = load_run(reader, run_id);
  if (runs_.size() >= capacity_ && capacity_ > 0) {
    auto oldest = runs_.begin();
    for (auto i = runs_.begin(); i != runs_.end(); ++i) {
      if (i->second.used < oldest->second.used) oldest = i;
    }
    runs_.erase(oldest);
  }
  runs_[run_id] = Entry{data, clock_};
  return data;
}

}  // namespace herd::gui
