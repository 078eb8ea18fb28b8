#pragma once
// What `herd-sim report` shows of each stored run beyond ResultsDb::runs(): the strategy
// label and the --set overrides the run was made with (the runs table keeps both).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace herd::sim {

struct RunLabels {
  std::string strategy;                // e.g. "rumor+anti-entropy"
  std::vector<std::string> overrides;  // as given, in order
};

// By run_id. Opens the database read-only; throws ResultsError when it cannot.
[[nodiscard]] std::map<std::int64_t, RunLabels> run_labels(const std::filesystem::path& db);

}  // namespace herd::sim
