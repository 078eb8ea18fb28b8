#pragma once
// Results in SQLite (docs/results-schema.md): one database holds many runs, sim and live
// alike, so runs can be compared with sqlite3 or pandas. Each run is written in one
// transaction: a failed run (full disk, crash, bad input) leaves no rows behind.
// docs/results-schema.md documents every table; kSchemaVersion changes when a column does.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "herd/sim/herd_layout.hpp"
#include "herd/sim/metrics.hpp"
#include "herd/sim/scenario.hpp"

struct sqlite3;

namespace herd::sim {

class MessageTrace;

inline constexpr int kSchemaVersion = 4;

struct ResultsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Everything a run is stored with besides its metrics.
struct RunRecord {
  std::string backend = "sim";  // "sim" or "live"
  std::string herd_version;
  std::string recorded_at;      // wall-clock ISO 8601, metadata only
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> fingerprint;
  double wall_seconds = 0;
  std::uint64_t events = 0;
  std::uint64_t peer_deliveries = 0;
  std::uint64_t peer_dropped = 0;
  std::uint64_t client_commands = 0;
  std::int64_t drained_ns = 0;  // virtual time run past the duration to let updates settle
  std::string sweep_id;         // "name@hash" for a sweep's cells, empty (NULL) otherwise
  std::string variant;          // the sweep variant's label, empty (NULL) outside sweeps
  // The run's message trace, stored in `messages` and `message_traces` (docs/traces.md);
  // null: the run recorded none.
  const MessageTrace* trace = nullptr;
};

struct RunRow {
  std::int64_t run_id = 0;
  std::string scenario;
  std::uint64_t seed = 0;
  std::string backend;
  std::string fingerprint;
  std::string recorded_at;
  std::vector<std::pair<std::string, double>> summary;  // sorted by metric name
};

// The summary table's (metric, value) pairs for a run, in a fixed order.
[[nodiscard]] std::vector<std::pair<std::string, double>> summary_metrics(const Summary& s);
// The inverse, for the fields summary_metrics stores (deliveries_direct and answered are not
// stored and stay 0). Integral fields come back exactly: times are stored in ms as doubles
// and rounded back to whole nanoseconds.
[[nodiscard]] Summary summary_from_metrics(const std::vector<std::pair<std::string, double>>& m);

// One stored cell of a sweep (runs.sweep_id set).
struct StoredSweepCell {
  std::int64_t run_id = 0;
  std::string variant, scenario;
  std::uint64_t seed = 0;
  std::string fingerprint;
  Summary summary;
};

// One stored run as `herd-sim compare` reads it (docs/compare.md): its identity, summary
// metrics and the distributions behind them, whatever backend wrote it.
struct RunProfile {
  std::int64_t run_id = 0;
  std::string scenario, backend, strategy;
  std::uint64_t seed = 0;
  std::uint32_t servers = 0;
  std::vector<std::pair<std::string, double>> summary;  // sorted by metric name
  // Propagation delays d(u, s), s ≠ origin, from the applies table (empty when the run was
  // stored with --summary-only or had none): how many, and the nearest-rank quantiles
  // asked for, in the order asked.
  std::uint64_t delay_count = 0;
  std::vector<std::int64_t> delay_quantiles_ns;
  // Staleness samples: how many, the mean of their per-server mean, the largest max.
  std::uint64_t staleness_samples = 0;
  double staleness_mean_ns = 0;
  std::int64_t staleness_max_ns = 0;
  struct KindTraffic {
    std::string kind;
    std::uint64_t lines = 0, bytes = 0;
  };
  std::vector<KindTraffic> traffic_by_kind;  // kinds seen, by name
};

// What merge_from did with one input database.
struct MergeCounts {
  std::size_t copied = 0;   // runs copied, renumbered after the runs already present
  std::size_t skipped = 0;  // sweep cells already present (same sweep_id, variant, scenario, seed)
};

class ResultsDb {
 public:
  // Opens or creates the database and its schema; the folder must exist. Throws
  // ResultsError naming the path and SQLite's reason.
  explicit ResultsDb(const std::filesystem::path& path);
  ~ResultsDb();
  ResultsDb(const ResultsDb&) = delete;
  ResultsDb& operator=(const ResultsDb&) = delete;

  // Stores one run; returns its run_id. All or nothing.
  std::int64_t store_run(const Scenario& scenario, const HerdLayout& layout,
                         const std::vector<FaultSpec>& faults, const MetricsRecorder& metrics,
                         const RunRecord& record);

  [[nodiscard]] std::vector<RunRow> runs() const;
  // The cells stored for a sweep on one backend ("sim" or "live"), oldest run first (a cell
  // stored twice appears twice).
  [[nodiscard]] std::vector<StoredSweepCell> sweep_cells(const std::string& sweep_id,
                                                         const std::string& backend = "sim") const;
  // One run with its distributions; nullopt when no run has that id. `quantiles` are in
  // [0, 1]; memory does not grow with the run (the delays are streamed in order).
  [[nodiscard]] std::optional<RunProfile> run_profile(std::int64_t run_id,
                                                      const std::vector<double>& quantiles) const;

  // Copies every run of another results database (every table, run_ids renumbered after
  // this database's last) in one transaction, except sweep cells this database already
  // holds. Throws ResultsError if `input` is missing, not a results database, or written
  // with another schema version.
  MergeCounts merge_from(const std::filesystem::path& input);
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  void exec(const char* sql) const;
  void store_trace(std::int64_t run_id, const MessageTrace& trace, const MetricsRecorder& metrics);
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace herd::sim
