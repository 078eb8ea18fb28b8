#pragma once
// The runs of a results database as a Qt table: one row per run, its labels and key summary
// metrics. Numbers are returned as numbers (Qt::DisplayRole holds a double or integer), so a
// QSortFilterProxyModel sorts them numerically; Qt::UserRole holds the run_id of every row.

#include <QAbstractTableModel>
#include <vector>

#include "herd/sim/results_reader.hpp"

namespace herd::gui {

class RunsModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    kRunId, kScenario, kStrategy, kVariant, kSeed, kBackend, kServers, kUpdates, kP50, kP99,
    kReach, kLost, kRmr, kLdh, kConvergence, kMaxStaleness, kSweep, kRecorded, kColumns
  };
  explicit RunsModel(QObject* parent = nullptr) : QAbstractTableModel(parent) {}

  void set_runs(std::vector<sim::StoredRun> runs);
  [[nodiscard]] const std::vector<sim::StoredRun>& runs() const noexcept { return runs_; }
  // The row of a run_id, or -1.
  [[nodiscard]] int row_of(std::int64_t run_id) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  std::vector<sim::StoredRun> runs_;
};

}  // namespace herd::gui
