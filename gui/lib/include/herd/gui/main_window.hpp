#pragma once
// herd-dash's window: a results database's runs on the left (sortable, filterable,
// multi-select), charts of the selected runs, the topology view and the comparison of two
// selected runs on the right. The file is
// watched: runs stored into it while the window is open appear without reopening.

#include <QMainWindow>
#include <QWidget>
#include <map>
#include <memory>
#include <vector>

#include "herd/gui/charts.hpp"
#include "herd/gui/run_data.hpp"

class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QFileSystemWatcher;
class QLabel;
class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTimer;

namespace herd::gui {

class ComparePanel;
class RunsModel;
class ScenarioPanel;
class SequenceView;
class TopologyPanel;

// One chart of the selected runs, rebuilt when they change (lazily, when shown).
class ChartPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ChartPanel(ChartKind kind, QWidget* parent = nullptr);
  ~ChartPanel() override;
  void set_runs(std::vector<std::shared_ptr<const RunData>> runs);
  void set_server(std::optional<std::uint32_t> server);  // staleness: one server or the herd
  void rebuild();
  [[nodiscard]] ChartSpec spec() const;
  [[nodiscard]] QChartView* view() const noexcept { return view_; }
  [[nodiscard]] Table table() const;
  [[nodiscard]] ChartKind kind() const noexcept { return kind_; }

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  std::vector<const RunData*> raw() const;
  ChartKind kind_;
  QComboBox* server_ = nullptr;
  QComboBox* metric_ = nullptr;  // sweep: which summary metric
  QChartView* view_;
  std::vector<std::shared_ptr<const RunData>> runs_;
  bool dirty_ = true;
};

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Opens a results database; on failure shows nothing and returns the reason.
  QString open_database(const QString& path);
  // Re-reads the run list (keeping the selection); called when the file changes.
  void reload();
  void select_runs(const std::vector<std::int64_t>& run_ids);
  [[nodiscard]] std::vector<std::int64_t> selected_run_ids() const;

  [[nodiscard]] RunsModel* runs_model() const noexcept { return model_; }
  [[nodiscard]] QSortFilterProxyModel* runs_proxy() const noexcept { return proxy_; }
  [[nodiscard]] QTableView* runs_table() const noexcept { return table_; }
  [[nodiscard]] QLineEdit* filter_box() const noexcept { return filter_; }
  [[nodiscard]] QTabWidget* tabs() const noexcept { return tabs_; }
  [[nodiscard]] ChartPanel* chart_panel(ChartKind kind) const;
  [[nodiscard]] TopologyPanel* topology() const noexcept { return topology_; }
  [[nodiscard]] ComparePanel* compare_panel() const noexcept { return compare_; }
  [[nodiscard]] ScenarioPanel* scenario_panel() const noexcept { return scenario_; }
  [[nodiscard]] SequenceView* sequence_view() const noexcept { return sequence_; }
  // Shows the first selected run's message trace from `from_ms` for `length_ms`.
  void show_messages(double from_ms, double length_ms);
  [[nodiscard]] const QString& database() const noexcept { return path_; }

  static constexpr int kMaxRecent = 8;
  // Loads at most this many runs at once (each may hold a million deliveries).
  static constexpr int kMaxSelectedRuns = 24;

 private:
  void build_menus();
  void open_dialog();
  void remember(const QString& path);
  void fill_recent();
  void selection_changed();
  void compare_selected();  // the Compare view, when exactly two runs are selected
  void export_current(const QString& what);  // "png", "svg", "csv"

  std::unique_ptr<sim::ResultsReader> reader_;
  RunCache cache_;
  QString path_;
  RunsModel* model_;
  QSortFilterProxyModel* proxy_;
  QTableView* table_;
  QLineEdit* filter_;
  QLabel* count_;
  QTabWidget* tabs_;
  std::map<ChartKind, ChartPanel*> charts_;
  TopologyPanel* topology_;
  ComparePanel* compare_;
  bool compare_pending_ = false;  // two runs selected while the Compare view was hidden
  ScenarioPanel* scenario_;
  SequenceView* sequence_;
  QWidget* messages_tab_;
  QDoubleSpinBox* from_ms_;
  QDoubleSpinBox* length_ms_;
  std::shared_ptr<const RunData> first_run_;
  QFileSystemWatcher* watcher_;
  QTimer* reload_timer_;
  QMenu* recent_menu_ = nullptr;
  qint64 last_size_ = -1;
};

}  // namespace herd::gui
