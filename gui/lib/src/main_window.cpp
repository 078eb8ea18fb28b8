#include "herd/gui/main_window.hpp"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>

#include "herd/gui/compare_view.hpp"
#include "herd/gui/export.hpp"
#include "herd/gui/runs_model.hpp"
#include "herd/gui/scenario_panel.hpp"
#include "herd/gui/sequence_view.hpp"
#include "herd/gui/topology_view.hpp"

namespace herd::gui {

// ---- one chart ------------------------------------------------------------------------------

ChartPanel::ChartPanel(ChartKind kind, QWidget* parent) : QWidget(parent), kind_(kind) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  if (kind == ChartKind::staleness) {
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel("Staleness of"));
    server_ = new QComboBox;
    server_->setMinimumContentsLength(18);
    server_->setToolTip("The whole herd (max and mean over servers) or one server of the first selected run");
    row->addWidget(server_);
    row->addWidget(new QLabel("— solid: max over clients, dashed: mean; shaded: faults"));
    row->addStretch(1);
    layout->addLayout(row);
    connect(server_, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
  } else if (kind == ChartKind::sweep) {
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel("Mean over seeds of"));
    metric_ = new QComboBox;
    metric_->addItem("peer lines per update", kSweepMetrics[0]);
    metric_->addItem("p99 propagation delay", kSweepMetrics[1]);
    metric_->setToolTip("The selected runs grouped by scenario (x) and sweep variant or strategy (bars)");
    row->addWidget(metric_);
    row->addWidget(new QLabel("— select a sweep's runs (filter the table by its name)"));
    row->addStretch(1);
    layout->addLayout(row);
    connect(metric_, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
  }
  view_ = new QChartView;
  view_->setRenderHint(QPainter::Antialiasing);
  view_->setContextMenuPolicy(Qt::CustomContextMenu);
  view_->setChart(build_chart(spec(), {}));
  layout->addWidget(view_, 1);
}

ChartPanel::~ChartPanel() { delete view_->chart(); }

std::vector<const RunData*> ChartPanel::raw() const {
  std::vector<const RunData*> out;
  for (const auto& r : runs_) out.push_back(r.get());
  return out;
}

void ChartPanel::set_runs(std::vector<std::shared_ptr<const RunData>> runs) {
  runs_ = std::move(runs);
  if (server_ != nullptr) {
    QSignalBlocker block(server_);
    server_->clear();
    server_->addItem("the whole herd");
    if (!runs_.empty()) {
      for (const auto& s : runs_.front()->servers) {
        server_->addItem(QString::fromStdString(s.name), s.server_id);
        if (server_->count() > 5000) break;  // a list no one scrolls; click the topology instead
      }
    }
  }
  dirty_ = true;
  if (isVisible()) rebuild();
}

void ChartPanel::set_server(std::optional<std::uint32_t> server) {
  if (server_ == nullptr) return;
  server_->setCurrentIndex(server ? static_cast<int>(*server) + 1 : 0);
  rebuild();
}

ChartSpec ChartPanel::spec() const {
  ChartSpec s;
  s.kind = kind_;
  if (server_ != nullptr && server_->currentIndex() > 0) {
    s.server = static_cast<std::uint32_t>(server_->currentData().toUInt());
  }
  if (metric_ != nullptr) s.sweep_metric = metric_->currentData().toString().toStdString();
  return s;
}

void ChartPanel::rebuild() {
  QChart* old = view_->chart();
  view_->setChart(build_chart(spec(), raw()));
  delete old;
  dirty_ = false;
}

Table ChartPanel::table() const { return chart_table(spec(), raw()); }

void ChartPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (dirty_) rebuild();
}

// ---- the window -----------------------------------------------------------------------------

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle("herd-dash");
  model_ = new RunsModel(this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(model_);
  proxy_->setFilterKeyColumn(-1);
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  proxy_->setSortRole(Qt::DisplayRole);

  auto* left = new QWidget;
  auto* left_layout = new QVBoxLayout(left);
  left_layout->setContentsMargins(4, 4, 4, 4);
  filter_ = new QLineEdit;
  filter_->setPlaceholderText("Filter runs (scenario, strategy, seed, variant, ...)");
  filter_->setClearButtonEnabled(true);
  count_ = new QLabel("No database open: File ▸ Open");
  table_ = new QTableView;
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(RunsModel::kRunId, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setAlternatingRowColors(true);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(22);
  table_->horizontalHeader()->setStretchLastSection(true);
  left_layout->addWidget(filter_);
  left_layout->addWidget(table_, 1);
  left_layout->addWidget(count_);

  tabs_ = new QTabWidget;
  for (const auto& info : chart_kinds()) {
    auto* panel = new ChartPanel(info.kind);
    charts_[info.kind] = panel;
    tabs_->addTab(panel, info.tab);
    tabs_->setTabToolTip(tabs_->count() - 1, info.title);
    connect(panel->view(), &QWidget::customContextMenuRequested, this, [this, panel](const QPoint& at) {
      tabs_->setCurrentWidget(panel);
      QMenu menu;
      menu.addAction("Export chart as PNG…", this, [this] { export_current("png"); });
      menu.addAction("Export chart as SVG…", this, [this] { export_current("svg"); });
      menu.addAction("Export data as CSV…", this, [this] { export_current("csv"); });
      menu.exec(panel->view()->mapToGlobal(at));
    });
  }
  topology_ = new TopologyPanel;
  tabs_->addTab(topology_, "Topology");
  topology_->view()->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(topology_->view(), &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
    QMenu menu;
    menu.addAction("Export view as PNG…", this, [this] { export_current("png"); });
    menu.addAction("Export view as SVG…", this, [this] { export_current("svg"); });
    menu.addAction("Export servers as CSV…", this, [this] { export_current("csv"); });
    menu.exec(topology_->view()->mapToGlobal(at));
  });
  connect(topology_, &TopologyPanel::serverClicked, this, [this](std::uint32_t s) {
    statusBar()->showMessage(QString("server %1 selected; its staleness and records are below the graph").arg(s), 5000);
  });

  // Two runs side by side (herd-sim compare's rows), e.g. a simulated run against a live one.
  compare_ = new ComparePanel;
  tabs_->addTab(compare_, "Compare");
  tabs_->setTabToolTip(tabs_->count() - 1,
                       "Two selected runs side by side: delay CDFs and herd-sim compare's verdicts");
  for (QWidget* w : {static_cast<QWidget*>(compare_->view()), static_cast<QWidget*>(compare_->table_view())}) {
    connect(w, &QWidget::customContextMenuRequested, this, [this, w](const QPoint& at) {
      QMenu menu;
      menu.addAction("Export view as PNG…", this, [this] { export_current("png"); });
      menu.addAction("Export view as SVG…", this, [this] { export_current("svg"); });
      menu.addAction("Export comparison as CSV…", this, [this] { export_current("csv"); });
      menu.exec(w->mapToGlobal(at));
    });
  }

  // The message trace (runs stored with --trace), as a sequence diagram.
  messages_tab_ = new QWidget;
  {
    auto* layout = new QVBoxLayout(messages_tab_);
    auto* row = new QHBoxLayout;
    from_ms_ = new QDoubleSpinBox;
    from_ms_->setRange(0, 1e9);
    from_ms_->setDecimals(1);
    from_ms_->setSuffix(" ms");
    from_ms_->setPrefix("from ");
    length_ms_ = new QDoubleSpinBox;
    length_ms_->setRange(0.1, 60'000);
    length_ms_->setDecimals(1);
    length_ms_->setValue(100);
    length_ms_->setSuffix(" ms");
    length_ms_->setPrefix("for ");
    row->addWidget(new QLabel("Message trace of the first selected run (herd-sim run --trace):"));
    row->addWidget(from_ms_);
    row->addWidget(length_ms_);
    row->addStretch(1);
    layout->addLayout(row);
    sequence_ = new SequenceView;
    layout->addWidget(sequence_, 1);
    auto refresh = [this] { show_messages(from_ms_->value(), length_ms_->value()); };
    connect(from_ms_, &QDoubleSpinBox::editingFinished, this, refresh);
    connect(length_ms_, &QDoubleSpinBox::editingFinished, this, refresh);
  }
  tabs_->addTab(messages_tab_, "Messages");
  tabs_->setTabToolTip(tabs_->count() - 1, "Message sequence of a run stored with a message trace");
  connect(tabs_, &QTabWidget::currentChanged, this, [this](int) {
    if (tabs_->currentWidget() == messages_tab_) show_messages(from_ms_->value(), length_ms_->value());
    if (tabs_->currentWidget() == compare_ && compare_pending_) compare_selected();
  });

  scenario_ = new ScenarioPanel;
  tabs_->addTab(scenario_, "Run scenario");
  tabs_->setTabToolTip(tabs_->count() - 1, "Edit a scenario, run it and store it in the open database");
  connect(scenario_, &ScenarioPanel::stored, this, [this](std::int64_t run_id) {
    reload();
    select_runs({run_id});
    statusBar()->showMessage(QString("run %1 stored and selected").arg(run_id), 8000);
  });

  auto* split = new QSplitter;
  split->addWidget(left);
  split->addWidget(tabs_);
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setSizes({520, 980});
  setCentralWidget(split);
  resize(1500, 900);

  watcher_ = new QFileSystemWatcher(this);
  reload_timer_ = new QTimer(this);
  reload_timer_->setSingleShot(true);
  reload_timer_->setInterval(500);  // a run is stored in one transaction; let it finish
  connect(watcher_, &QFileSystemWatcher::fileChanged, this, [this] { reload_timer_->start(); });
  connect(reload_timer_, &QTimer::timeout, this, [this] {
    // Some writers replace the file; watch the path again.
    if (!path_.isEmpty() && watcher_->files().isEmpty() && QFileInfo::exists(path_)) {
      watcher_->addPath(path_);
    }
    const qint64 size = QFileInfo(path_).size();
    if (size != last_size_) reload();
  });
  connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
    proxy_->setFilterFixedString(text);
    count_->setText(QString("%1 of %2 runs shown").arg(proxy_->rowCount()).arg(model_->rowCount()));
  });
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          [this] { selection_changed(); });
  build_menus();
}

MainWindow::~MainWindow() = default;

ChartPanel* MainWindow::chart_panel(ChartKind kind) const {
  auto it = charts_.find(kind);
  return it == charts_.end() ? nullptr : it->second;
}

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&Open results database…", QKeySequence::Open, this, [this] { open_dialog(); });
  recent_menu_ = file->addMenu("Open &recent");
  file->addAction("Re&load", QKeySequence::Refresh, this, [this] { reload(); });
  file->addAction("Run a &scenario…", this, [this] { tabs_->setCurrentWidget(scenario_); });
  file->addSeparator();
  file->addAction("Export current view as &PNG…", this, [this] { export_current("png"); });
  file->addAction("Export current view as &SVG…", this, [this] { export_current("svg"); });
  file->addAction("Export current data as &CSV…", this, [this] { export_current("csv"); });
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, [this] { close(); });
  fill_recent();
}

void MainWindow::fill_recent() {
  recent_menu_->clear();
  const QStringList recent = QSettings().value("recentFiles").toStringList();
  for (const QString& path : recent) {
    recent_menu_->addAction(path, this, [this, path] {
      QString error = open_database(path);
      if (!error.isEmpty()) QMessageBox::warning(this, "herd-dash", error);
    });
  }
  recent_menu_->setEnabled(!recent.isEmpty());
}

void MainWindow::remember(const QString& path) {
  QSettings settings;
  QStringList recent = settings.value("recentFiles").toStringList();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  recent.removeAll(absolute);
  recent.prepend(absolute);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue("recentFiles", recent);
  fill_recent();
}

void MainWindow::open_dialog() {
  const QString path = QFileDialog::getOpenFileName(this, "Open a results database", QString(),
                                                    "Results databases (*.db *.sqlite);;All files (*)");
  if (path.isEmpty()) return;
  QString error = open_database(path);
  if (!error.isEmpty()) QMessageBox::warning(this, "herd-dash", error);
}

QString MainWindow::open_database(const QString& path) {
  std::unique_ptr<sim::ResultsReader> reader;
  try {
    reader = std::make_unique<sim::ResultsReader>(path.toStdString());
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
  if (!path_.isEmpty()) watcher_->removePath(path_);
  reader_ = std::move(reader);
  path_ = path;
  cache_.clear();
  topology_->forget_layouts();
  watcher_->addPath(path_);
  scenario_->set_database(path_);
  compare_->set_source(reader_.get(), [this](std::int64_t id) { return cache_.get(*reader_, id); });
  compare_->clear("Select exactly two runs in the runs table (or pick them above) to compare them.");
  setWindowTitle("herd-dash — " + QFileInfo(path).fileName());
  remember(path);
  {
    QSignalBlocker block(table_->selectionModel());
    model_->set_runs({});
  }
  reload();
  // Start with the newest run selected, so every view has something to show.
  if (model_->rowCount() > 0) select_runs({model_->runs().back().run_id});
  return {};
}

void MainWindow::reload() {
  if (!reader_) return;
  const auto keep = selected_run_ids();
  std::vector<sim::StoredRun> runs;
  try {
    runs = reader_->runs();
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString("cannot read runs: %1").arg(e.what()));
    return;
  }
  last_size_ = QFileInfo(path_).size();
  const auto before = model_->rowCount();
  {
    QSignalBlocker block(table_->selectionModel());
    model_->set_runs(std::move(runs));
  }
  table_->resizeColumnsToContents();
  compare_->set_run_list(model_->runs());
  count_->setText(QString("%1 of %2 runs shown").arg(proxy_->rowCount()).arg(model_->rowCount()));
  if (before > 0 && model_->rowCount() != before) {
    statusBar()->showMessage(QString("%1 new run(s) in %2").arg(model_->rowCount() - before).arg(path_), 5000);
  }
  select_runs(keep);
}

void MainWindow::select_runs(const std::vector<std::int64_t>& run_ids) {
  QItemSelection selection;
  for (auto id : run_ids) {
    const int row = model_->row_of(id);
    if (row < 0) continue;
    const QModelIndex index = proxy_->mapFromSource(model_->index(row, 0));
    if (index.isValid()) selection.select(index, index);
  }
  table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  if (selection.isEmpty()) selection_changed();
}

std::vector<std::int64_t> MainWindow::selected_run_ids() const {
  std::vector<std::int64_t> ids;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows()) {
    ids.push_back(proxy_->data(index, Qt::UserRole).toLongLong());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void MainWindow::selection_changed() {
  auto ids = selected_run_ids();
  if (ids.size() > static_cast<std::size_t>(kMaxSelectedRuns)) {
    statusBar()->showMessage(QString("%1 runs selected; showing the first %2").arg(ids.size()).arg(kMaxSelectedRuns), 8000);
    ids.resize(kMaxSelectedRuns);
  }
  std::vector<std::shared_ptr<const RunData>> runs;
  QElapsedTimer clock;
  clock.start();
  std::uint64_t rows = 0;
  if (reader_ && !ids.empty()) {
    QApplication::setOverrideCursor(Qt::WaitCursor);
    for (auto id : ids) {
      try {
        runs.push_back(cache_.get(*reader_, id));
        rows += runs.back()->applies.size();
      } catch (const std::exception& e) {
        statusBar()->showMessage(QString("run %1: %2").arg(id).arg(e.what()));
      }
    }
    QApplication::restoreOverrideCursor();
  }
  for (auto& [kind, panel] : charts_) panel->set_runs(runs);
  first_run_ = runs.empty() ? nullptr : runs.front();
  if (first_run_ && !first_run_->updates.empty()) {
    // Start the message window at the first accepted update.
    QSignalBlocker block(from_ms_);
    from_ms_->setValue(static_cast<double>(first_run_->updates.front().accepted_ns) / 1e6);
  }
  if (tabs_->currentWidget() == messages_tab_) show_messages(from_ms_->value(), length_ms_->value());
  topology_->set_run(runs.empty() ? nullptr : runs.front());
  // Comparing reads both runs' delays in order from the database: only when it is shown.
  compare_pending_ = selected_run_ids().size() == 2;
  if (compare_pending_ && tabs_->currentWidget() == compare_) compare_selected();
  if (!runs.empty()) {
    statusBar()->showMessage(QString("%1 run(s), %2 deliveries, ready in %3 s")
                                 .arg(runs.size()).arg(rows).arg(clock.elapsed() / 1000.0, 0, 'f', 2));
  }
}

void MainWindow::compare_selected() {
  compare_pending_ = false;
  const auto ids = selected_run_ids();
  if (ids.size() != 2) return;
  const QString error = compare_->compare(ids[0], ids[1]);
  if (!error.isEmpty()) statusBar()->showMessage("cannot compare: " + error, 8000);
}

void MainWindow::show_messages(double from_ms, double length_ms) {
  if (!first_run_ || path_.isEmpty()) return;
  sequence_->show_trace(path_, first_run_->run.run_id, static_cast<std::int64_t>(from_ms * 1e6),
                        static_cast<std::int64_t>(length_ms * 1e6));
}

void MainWindow::export_current(const QString& what) {
  QWidget* current = tabs_->currentWidget();
  QWidget* target = nullptr;
  std::string csv;
  QString name = tabs_->tabText(tabs_->currentIndex()).toLower().replace(' ', '-');
  if (current == topology_) {
    target = topology_->view();
    csv = to_csv(topology_->table());
  } else if (current == messages_tab_) {
    target = sequence_;
    Table t;
    t.header = {"from", "to", "send_ns", "recv_ns", "kind", "outcome"};
    const auto& l = sequence_->layout();
    for (const auto& a : l.arrows) {
      t.rows.push_back({std::to_string(l.lanes[a.from_lane]), std::to_string(l.lanes[a.to_lane]),
                        std::to_string(a.send_ns), std::to_string(a.recv_ns), sim::to_string(a.kind),
                        sim::to_string(a.outcome)});
    }
    csv = to_csv(t);
  } else if (current == compare_) {
    target = compare_;
    csv = to_csv(compare_->table());
  } else if (auto* panel = qobject_cast<ChartPanel*>(current)) {
    target = panel->view();
    csv = to_csv(panel->table());
    name = chart_info(panel->kind()).name;
  }
  if (target == nullptr) return;
  const QString filter = what == "png" ? "PNG images (*.png)" : what == "svg" ? "SVG images (*.svg)" : "CSV files (*.csv)";
  QString path = QFileDialog::getSaveFileName(this, "Export", name + "." + what, filter);
  if (path.isEmpty()) return;
  if (!path.endsWith("." + what, Qt::CaseInsensitive)) path += "." + what;
  const QString error = what == "csv" ? save_text(path, csv) : save_image(target, path);
  if (!error.isEmpty()) {
    QMessageBox::warning(this, "herd-dash", error);
  } else {
    statusBar()->showMessage("saved " + path, 5000);
  }
}

}  // namespace herd::gui
