#pragma once
// The Compare view: two runs side by side, as `herd-sim compare` puts them (docs/compare.md),
// typically a simulated run against a live one of the same scenario. Their delay CDFs
// overlaid, and the comparison's rows in a table with a verdict per row and overall. The
// rows come from the experiment layer (herd/sim/run_comparison.hpp); nothing is worked out
// here that the command line would work out differently.

#include <QAbstractTableModel>
#include <QWidget>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "herd/gui/chart_data.hpp"
#include "herd/gui/run_data.hpp"
#include "herd/sim/run_comparison.hpp"

class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSplitter;
class QTableView;

namespace herd::gui {

// The rows of a RunComparison. Qt::DisplayRole holds the text shown (numbers as
// `herd-sim compare` prints them, "never", "-"); Qt::UserRole holds the number itself (or an
// invalid QVariant where there is none) so tests and sorting see exact values.
class CompareModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { kMetric, kUnit, kA, kB, kDiff, kAllowed, kVerdict, kColumns };
  explicit CompareModel(QObject* parent = nullptr) : QAbstractTableModel(parent) {}

  void set_comparison(std::optional<sim::RunComparison> comparison);
  [[nodiscard]] const std::optional<sim::RunComparison>& comparison() const noexcept {
    return comparison_;
  }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

  // Every row as shown, for CSV export.
  [[nodiscard]] Table table() const;

 private:
  std::optional<sim::RunComparison> comparison_;
};

// The number as `herd-sim compare` prints it: four decimals, trailing zeros dropped.
[[nodiscard]] QString compare_number(double v);

class ComparePanel : public QWidget {
  Q_OBJECT
 public:
  // Loads a run whole (for its delays); the window passes its run cache.
  using Loader = std::function<std::shared_ptr<const RunData>(std::int64_t)>;

  explicit ComparePanel(QWidget* parent = nullptr);
  ~ComparePanel() override;

  // The database the runs come from (null: none open) and how to load a run of it.
  void set_source(const sim::ResultsReader* reader, Loader loader);
  // The runs the two pickers offer, by run_id.
  void set_run_list(const std::vector<sim::StoredRun>& runs);
  // Compares runs a and b (A then B). Returns an empty string, or what went wrong (also
  // shown in the panel).
  QString compare(std::int64_t a, std::int64_t b);
  // Nothing to compare (the selection is not two runs).
  void clear(const QString& why);
  void set_tolerance(const sim::Tolerance& tolerance);

  [[nodiscard]] CompareModel* model() const noexcept { return model_; }
  [[nodiscard]] QChartView* view() const noexcept { return view_; }
  [[nodiscard]] QTableView* table_view() const noexcept { return table_; }
  [[nodiscard]] QLabel* verdict_label() const noexcept { return verdict_; }
  [[nodiscard]] QDoubleSpinBox* tolerance_pct() const noexcept { return pct_; }
  [[nodiscard]] QDoubleSpinBox* tolerance_ms() const noexcept { return ms_; }
  [[nodiscard]] QComboBox* run_a() const noexcept { return run_a_; }
  [[nodiscard]] QComboBox* run_b() const noexcept { return run_b_; }
  [[nodiscard]] sim::Tolerance tolerance() const;
  [[nodiscard]] Table table() const { return model_->table(); }

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  void pickers_changed();
  void fit_table();  // the table as tall as its rows, leaving the chart at least 45 %
  void tolerance_changed();
  void show_verdict();
  void redraw(const RunData* a, const RunData* b);

  const sim::ResultsReader* reader_ = nullptr;
  Loader loader_;
  CompareModel* model_;
  QComboBox* run_a_;
  QComboBox* run_b_;
  QDoubleSpinBox* pct_;
  QDoubleSpinBox* ms_;
  QLabel* verdict_;
  QChartView* view_;
  QTableView* table_;
  QSplitter* split_;
};

}  // namespace herd::gui
