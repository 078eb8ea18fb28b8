#pragma once
// The read side of a results database (docs/results-schema.md) for tools that show results:
// the dashboard, reports, notebooks written in C++. Opens the file read-only, checks the
// schema version, and returns plain structs, one per row, in a fixed order; it never
// writes. Callers never see SQL.
//
// Limits: every query that grows with a run's size stops at ReaderLimits::max_rows and
// throws ResultsError naming the table and the limit, rather than exhausting memory on a
// 10,000-server herd's applies table.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "herd/sim/results_db.hpp"

struct sqlite3;

namespace herd::sim {

// A stored run with its labels and summary metrics.
struct StoredRun {
  std::int64_t run_id = 0;
  std::string scenario, scenario_path, backend, strategy, fingerprint, herd_version,
      recorded_at;
  std::string sweep_id, variant;  // empty outside sweeps
  std::vector<std::string> overrides;
  std::uint64_t seed = 0;
  std::int64_t duration_ns = 0, drained_ns = 0;
  double wall_seconds = 0;
  std::uint64_t events = 0, servers = 0, friend_edges = 0;
  std::vector<std::pair<std::string, double>> summary;  // sorted by metric name

  // A summary metric by name; nullopt when the run did not store it (e.g. convergence_ms
  // of a run that never converged).
  [[nodiscard]] std::optional<double> metric(const std::string& name) const;
};

struct StoredServer {
  std::uint32_t server_id = 0;
  std::string name;
  std::uint32_t degree = 0;
};

struct StoredEdge {
  std::uint32_t a = 0, b = 0;  // a < b
};

struct StoredFault {
  std::uint32_t fault_id = 0;
  std::string kind;  // crash pause partition one_way clog latency clock
  std::int64_t at_ns = 0;
  std::int64_t duration_ns = 0;  // 0 = permanent
  std::string servers;           // as stored: "a,b" or "a,b|c,d"
  std::string origin;            // scenario or random
};

struct StoredUpdate {
  std::uint32_t update_id = 0;
  std::string client;
  std::uint32_t origin = 0;
  std::int64_t accepted_ns = 0;
  std::string at_line;
  std::uint32_t holders = 0, ldh = 0;
  std::uint64_t messages = 0;
};

inline constexpr std::int64_t kNoFrom = -1;

struct StoredApply {
  std::uint32_t update_id = 0;
  std::uint32_t server_id = 0;
  std::int64_t at_ns = 0;
  std::int64_t delay_ns = 0;
  std::uint32_t hops = 0;
  bool direct = false;
  std::int64_t from_id = kNoFrom;  // kNoFrom at the origin and for indirect deliveries
};

struct StoredStaleness {
  std::int64_t at_ns = 0;
  std::uint32_t server_id = 0;
  std::uint32_t stale_clients = 0;
  std::int64_t max_ns = 0, mean_ns = 0;
};

struct KindTraffic {
  std::string kind;
  std::uint64_t lines = 0, bytes = 0;
};

struct LinkTraffic {
  std::uint32_t from_id = 0, to_id = 0;
  std::uint64_t lines = 0, bytes = 0;
};

struct ReaderLimits {
  std::uint64_t max_rows = 50'000'000;  // per query
};

class ResultsReader {
 public:
  // Opens `path` read-only. Throws ResultsError if it is missing, not a results database,
  // or written with another schema version than this build's.
  explicit ResultsReader(const std::filesystem::path& path, ReaderLimits limits = {});
  ~ResultsReader();
  ResultsReader(const ResultsReader&) = delete;
  ResultsReader& operator=(const ResultsReader&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  // Every run, by run_id, with labels and summary.
  [[nodiscard]] std::vector<StoredRun> runs() const;
  [[nodiscard]] std::optional<StoredRun> run(std::int64_t run_id) const;

  // By server_id / (a, b) / fault_id / update_id.
  [[nodiscard]] std::vector<StoredServer> servers(std::int64_t run_id) const;
  [[nodiscard]] std::vector<StoredEdge> friends(std::int64_t run_id) const;
  [[nodiscard]] std::vector<StoredFault> faults(std::int64_t run_id) const;
  [[nodiscard]] std::vector<StoredUpdate> updates(std::int64_t run_id) const;
  // By (update_id, at_ns, server_id).
  [[nodiscard]] std::vector<StoredApply> applies(std::int64_t run_id) const;
  [[nodiscard]] std::vector<StoredApply> applies_of_update(std::int64_t run_id,
                                                           std::uint32_t update_id) const;
  [[nodiscard]] std::uint64_t apply_count(std::int64_t run_id) const;
  // By (at_ns, server_id); of one server by at_ns.
  [[nodiscard]] std::vector<StoredStaleness> staleness(std::int64_t run_id) const;
  [[nodiscard]] std::vector<StoredStaleness> staleness_of_server(std::int64_t run_id,
                                                                 std::uint32_t server_id) const;
  // Most lines first, then by name / link.
  [[nodiscard]] std::vector<KindTraffic> traffic_kinds(std::int64_t run_id) const;
  [[nodiscard]] std::vector<LinkTraffic> traffic_links(std::int64_t run_id) const;
  // The traffic table's counters by name (client_commands, peer_deliveries, peer_dropped).
  [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> traffic_counters(
      std::int64_t run_id) const;
  [[nodiscard]] std::vector<std::pair<std::string, double>> summary(std::int64_t run_id) const;
  // A run's distributions in brief (ResultsDb::run_profile, over this read-only connection):
  // the delay quantiles are streamed from the applies table in order, never loaded whole.
  // nullopt when there is no such run.
  [[nodiscard]] std::optional<RunProfile> run_profile(std::int64_t run_id,
                                                      const std::vector<double>& quantiles) const;

 private:
  class Query;
  std::filesystem::path path_;
  ReaderLimits limits_;
  sqlite3* db_ = nullptr;
};

}  // namespace herd::sim
