#pragma once
// The one query behind RunProfile, shared by the writer's connection (ResultsDb) and the
// read-only one (ResultsReader), so both sides answer alike. Private to herd_experiment.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "herd/sim/results_db.hpp"

struct sqlite3;

namespace herd::sim::detail {

// nullopt when the database holds no run `run_id`; throws ResultsError naming `path`.
[[nodiscard]] std::optional<RunProfile> read_run_profile(sqlite3* db,
                                                         const std::filesystem::path& path,
                                                         std::int64_t run_id,
                                                         const std::vector<double>& quantiles);

}  // namespace herd::sim::detail
