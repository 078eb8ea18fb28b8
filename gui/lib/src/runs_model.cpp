#include "herd/gui/runs_model.hpp"

#include <QColor>
#include <cmath>

namespace herd::gui {

void RunsModel::set_runs(std::vector<sim::StoredRun> runs) {
  beginResetModel();
  runs_ = std::move(runs);
  endResetModel();
}

int RunsModel::row_of(std::int64_t run_id) const {
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    if (runs_[i].run_id == run_id) return static_cast<int>(i);
  }
  return -1;
}

int RunsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int RunsModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumns;
}

namespace {
QVariant metric(const sim::StoredRun& r, const char* name) {
  auto v = r.metric(name);
  return v ? QVariant(*v) : QVariant();
}
QString text(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

QVariant RunsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= static_cast<int>(runs_.size())) return {};
  const sim::StoredRun& r = runs_[static_cast<std::size_t>(index.row())];
  if (role == Qt::UserRole) return QVariant::fromValue<qlonglong>(r.run_id);
  if (role == Qt::TextAlignmentRole) {
    switch (index.column()) {
      case kScenario: case kStrategy: case kVariant: case kBackend: case kSweep: case kRecorded:
        return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
      default: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
  }
  if (role == Qt::ForegroundRole && index.column() == kLost) {
    auto lost = r.metric("lost_updates");
    if (lost && *lost > 0) return QColor(200, 30, 30);
    return {};
  }
  if (role == Qt::ToolTipRole) {
    QString tip = QString("run %1: %2 (%3), seed %4\nfingerprint %5\nrecorded %6")
                      .arg(r.run_id).arg(text(r.scenario), text(r.strategy)).arg(r.seed)
                      .arg(text(r.fingerprint), text(r.recorded_at));
    for (const auto& o : r.overrides) tip += "\n--set " + text(o);
    return tip;
  }
  if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
  switch (index.column()) {
    case kRunId: return QVariant::fromValue<qlonglong>(r.run_id);
    case kScenario: return text(r.scenario);
    case kStrategy: return text(r.strategy);
    case kVariant: return text(r.variant);
    case kSeed: return QVariant::fromValue<qulonglong>(r.seed);
    case kBackend: return text(r.backend);
    case kServers: return QVariant::fromValue<qulonglong>(r.servers);
    case kUpdates: return metric(r, "updates");
    case kP50: return metric(r, "propagation_p50_ms");
    case kP99: return metric(r, "propagation_p99_ms");
    case kReach: return metric(r, "reach_mean");
    case kLost: return metric(r, "lost_updates");
    case kRmr: return metric(r, "rmr");
    case kLdh: return metric(r, "ldh_max");
    case kConvergence: return metric(r, "convergence_ms");
    case kMaxStaleness: return metric(r, "max_staleness_ms");
    case kSweep: return text(r.sweep_id);
    case kRecorded: return text(r.recorded_at);
    default: return {};
  }
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  static const char* names[kColumns] = {"run", "scenario", "strategy", "variant", "seed",
                                        "backend", "servers", "updates", "p50 ms", "p99 ms",
                                        "reach", "lost", "RMR", "LDH", "converge ms",
                                        "max stale ms", "sweep", "recorded (UTC)"};
  static const char* tips[kColumns] = {
      "run_id in the database", "scenario name", "propagation strategy", "sweep variant label",
      "seed", "sim or live", "servers in the herd", "accepted updates",
      "median propagation delay (ms)", "99th percentile propagation delay (ms)",
      "mean fraction of live servers holding each update", "updates some live server lacks",
      "relative message redundancy", "last delivery hop (max)",
      "time from the last disturbance to every server holding every update (ms)",
      "largest staleness sample of any server (ms)", "sweep id (name@hash)", "wall-clock time stored"};
  if (section < 0 || section >= kColumns) return {};
  if (role == Qt::DisplayRole) return QString(names[section]);
  if (role == Qt::ToolTipRole) return QString(tips[section]);
  return {};
}

}  // namespace herd::gui
