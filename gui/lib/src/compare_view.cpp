#include "herd/gui/compare_view.hpp"

#include <QBrush>
#include <QColor>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFont>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "herd/gui/charts.hpp"

namespace herd::gui {

namespace {

QString text(const std::string& s) { return QString::fromStdString(s); }

QString value_text(const std::optional<double>& v, bool never) {
  if (!v) return never ? "never" : "-";
  return compare_number(*v);
}

QVariant number_or_nothing(const std::optional<double>& v) { return v ? QVariant(*v) : QVariant(); }

const QColor kDiffersBackground(255, 222, 222);
const QColor kDiffersText(170, 20, 20);
const QColor kWithinText(20, 120, 50);
const QColor kQuietText(110, 110, 110);

QString picker_label(const sim::StoredRun& r) {
  return QString("#%1  %2  %3  %4  s%5")
      .arg(r.run_id)
      .arg(text(r.scenario), text(r.backend), text(r.variant.empty() ? r.strategy : r.variant))
      .arg(r.seed);
}

}  // namespace

QString compare_number(double v) {
  // As herd-sim compare prints it, so the two agree digit for digit.
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.4f", v);
  QString s = QString::fromLatin1(buffer);
  if (s.contains('.')) {
    while (s.endsWith('0')) s.chop(1);
    if (s.endsWith('.')) s.chop(1);
  }
  return s;
}

// ---- the model ------------------------------------------------------------------------------

void CompareModel::set_comparison(std::optional<sim::RunComparison> comparison) {
  beginResetModel();
  comparison_ = std::move(comparison);
  endResetModel();
}

int CompareModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid() || !comparison_) return 0;
  return static_cast<int>(comparison_->rows.size());
}

int CompareModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumns;
}

QVariant CompareModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || !comparison_ || index.row() >= rowCount()) return {};
  const sim::ComparisonRow& r = comparison_->rows[static_cast<std::size_t>(index.row())];
  const bool differs = r.verdict == sim::CompareVerdict::differs;
  const bool both = r.a && r.b;
  switch (role) {
    case Qt::DisplayRole:
      switch (index.column()) {
        case kMetric: return text(r.metric);
        case kUnit: return QString(sim::unit_name(r.unit));
        case kA: return value_text(r.a, r.absent_means_never);
        case kB: return value_text(r.b, r.absent_means_never);
        case kDiff: return both ? compare_number(*r.diff()) : QString("-");
        case kAllowed: return both ? compare_number(r.allowed) : QString("-");
        case kVerdict: return QString(sim::verdict_text(r.verdict));
        default: return {};
      }
    case Qt::UserRole:
      switch (index.column()) {
        case kMetric: return text(r.metric);
        case kUnit: return QString(sim::unit_name(r.unit));
        case kA: return number_or_nothing(r.a);
        case kB: return number_or_nothing(r.b);
        case kDiff: return number_or_nothing(r.diff());
        case kAllowed: return both ? QVariant(r.allowed) : QVariant();
        case kVerdict: return QString(sim::verdict_name(r.verdict));
        default: return {};
      }
    case Qt::TextAlignmentRole:
      return index.column() == kMetric || index.column() == kUnit || index.column() == kVerdict
                 ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                 : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::BackgroundRole:
      return differs ? QVariant(QBrush(kDiffersBackground)) : QVariant();
    case Qt::ForegroundRole:
      if (index.column() != kVerdict) return {};
      if (differs) return QBrush(kDiffersText);
      if (r.verdict == sim::CompareVerdict::within) return QBrush(kWithinText);
      return QBrush(kQuietText);
    case Qt::FontRole:
      if (index.column() == kVerdict && differs) {
        QFont bold;
        bold.setBold(true);
        return bold;
      }
      return {};
    case Qt::ToolTipRole: {
      if (!both) {
        return r.verdict == sim::CompareVerdict::absent ? QString("%1: measured in neither run").arg(text(r.metric))
               : r.absent_means_never
                   ? QString("%1: one run converged, the other never did").arg(text(r.metric))
                   : QString("%1: measured in one run only; not counted").arg(text(r.metric));
      }
      const auto& t = comparison_->tolerance;
      return QString("%1: |B − A| = %2, allowed %3 (%4 % of max(|A|, |B|)%5)")
          .arg(text(r.metric), compare_number(std::abs(*r.diff())), compare_number(r.allowed),
               compare_number(t.pct),
               r.unit == sim::CompareUnit::ms ? QString(" + %1 ms").arg(compare_number(t.ms)) : QString());
    }
    default: return {};
  }
}

QVariant CompareModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || section < 0 || section >= kColumns) return {};
  static const char* names[kColumns] = {"metric", "unit", "A", "B", "B − A", "allowed", "verdict"};
  static const char* tips[kColumns] = {
      "the metric (docs/compare.md, docs/metrics.md)",
      "ms, or ratio for fractions and per-update counts",
      "run A's value", "run B's value", "B minus A",
      "the largest |B − A| within tolerance: pct % of max(|A|, |B|), plus the ms allowance for time metrics",
      "ok, DIFFERS (counts against the whole), one run only, n/a"};
  if (role == Qt::DisplayRole) {
    if (comparison_ && (section == kA || section == kB)) {
      const auto& p = section == kA ? comparison_->a : comparison_->b;
      return QString("%1 (#%2 %3)").arg(names[section]).arg(p.run_id).arg(text(p.backend));
    }
    return QString(names[section]);
  }
  if (role == Qt::ToolTipRole) return QString(tips[section]);
  return {};
}

Table CompareModel::table() const {
  Table t;
  t.header = {"metric", "unit", "a", "b", "diff", "allowed", "verdict"};
  for (int row = 0; row < rowCount(); ++row) {
    std::vector<std::string> cells;
    for (int c = 0; c < kColumns; ++c) {
      QString cell = data(index(row, c), c == kVerdict ? Qt::UserRole : Qt::DisplayRole).toString();
      if (cell == "-") cell.clear();
      cells.push_back(cell.toStdString());
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

// ---- the panel ------------------------------------------------------------------------------

ComparePanel::ComparePanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* row = new QHBoxLayout;
  run_a_ = new QComboBox;
  run_b_ = new QComboBox;
  for (QComboBox* box : {run_a_, run_b_}) {
    box->setMinimumContentsLength(12);
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setToolTip("Select two runs in the runs table, or pick them here");
  }
  pct_ = new QDoubleSpinBox;
  pct_->setRange(0, 1000);
  pct_->setDecimals(1);
  pct_->setValue(sim::Tolerance{}.pct);
  pct_->setSuffix(" %");
  pct_->setToolTip("Allowed difference, percent of the larger magnitude (herd-sim compare --tolerance-pct)");
  ms_ = new QDoubleSpinBox;
  ms_->setRange(0, 1e6);
  ms_->setDecimals(2);
  ms_->setValue(sim::Tolerance{}.ms);
  ms_->setSuffix(" ms");
  ms_->setToolTip("Allowed difference added for time metrics (herd-sim compare --tolerance-ms)");
  row->addWidget(new QLabel("A"));
  row->addWidget(run_a_, 1);
  row->addWidget(new QLabel("B"));
  row->addWidget(run_b_, 1);
  row->addSpacing(12);
  row->addWidget(new QLabel("tolerance"));
  row->addWidget(pct_);
  row->addWidget(new QLabel("+"));
  row->addWidget(ms_);
  layout->addLayout(row);

  verdict_ = new QLabel;
  verdict_->setWordWrap(true);
  verdict_->setTextFormat(Qt::PlainText);
  QFont font = verdict_->font();
  font.setBold(true);
  font.setPointSizeF(font.pointSizeF() * 1.1);
  verdict_->setFont(font);
  layout->addWidget(verdict_);

  view_ = new QChartView;
  view_->setRenderHint(QPainter::Antialiasing);
  view_->setContextMenuPolicy(Qt::CustomContextMenu);
  view_->setChart(build_compare_chart(nullptr, nullptr));
  model_ = new CompareModel(this);
  table_ = new QTableView;
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setContextMenuPolicy(Qt::CustomContextMenu);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(21);
  table_->horizontalHeader()->setStretchLastSection(true);
  split_ = new QSplitter(Qt::Vertical);
  split_->addWidget(view_);
  split_->addWidget(table_);
  split_->setStretchFactor(0, 1);
  split_->setStretchFactor(1, 1);
  split_->setChildrenCollapsible(false);
  layout->addWidget(split_, 1);

  connect(run_a_, &QComboBox::currentIndexChanged, this, [this] { pickers_changed(); });
  connect(run_b_, &QComboBox::currentIndexChanged, this, [this] { pickers_changed(); });
  connect(pct_, &QDoubleSpinBox::valueChanged, this, [this] { tolerance_changed(); });
  connect(ms_, &QDoubleSpinBox::valueChanged, this, [this] { tolerance_changed(); });
  clear("Select exactly two runs in the runs table (or pick them above) to compare them.");
}

ComparePanel::~ComparePanel() { delete view_->chart(); }

void ComparePanel::set_source(const sim::ResultsReader* reader, Loader loader) {
  reader_ = reader;
  loader_ = std::move(loader);
}

void ComparePanel::set_run_list(const std::vector<sim::StoredRun>& runs) {
  const QVariant a = run_a_->currentData(), b = run_b_->currentData();
  QSignalBlocker block_a(run_a_), block_b(run_b_);
  for (QComboBox* box : {run_a_, run_b_}) {
    box->clear();
    box->addItem("—", QVariant());
    for (const auto& r : runs) box->addItem(picker_label(r), QVariant::fromValue<qlonglong>(r.run_id));
  }
  // Keep what was picked if the database still holds it.
  run_a_->setCurrentIndex(std::max(0, run_a_->findData(a)));
  run_b_->setCurrentIndex(std::max(0, run_b_->findData(b)));
}

sim::Tolerance ComparePanel::tolerance() const { return sim::Tolerance{pct_->value(), ms_->value()}; }

void ComparePanel::set_tolerance(const sim::Tolerance& tolerance) {
  {
    QSignalBlocker block_pct(pct_), block_ms(ms_);
    pct_->setValue(tolerance.pct);
    ms_->setValue(tolerance.ms);
  }
  tolerance_changed();
}

void ComparePanel::clear(const QString& why) {
  model_->set_comparison(std::nullopt);
  verdict_->setText(why);
  verdict_->setStyleSheet(QString("color: %1").arg(kQuietText.name()));
  redraw(nullptr, nullptr);
}

QString ComparePanel::compare(std::int64_t a, std::int64_t b) {
  {
    QSignalBlocker block_a(run_a_), block_b(run_b_);
    run_a_->setCurrentIndex(std::max(0, run_a_->findData(QVariant::fromValue<qlonglong>(a))));
    run_b_->setCurrentIndex(std::max(0, run_b_->findData(QVariant::fromValue<qlonglong>(b))));
  }
  if (reader_ == nullptr) {
    clear("No database open.");
    return "no database open";
  }
  std::optional<sim::RunComparison> comparison;
  std::shared_ptr<const RunData> run_a, run_b;
  try {
    comparison = sim::compare_runs(*reader_, a, b, tolerance());
    if (loader_) {
      run_a = loader_(a);
      run_b = loader_(b);
    }
  } catch (const std::exception& e) {
    clear(QString("Cannot compare runs %1 and %2: %3").arg(a).arg(b).arg(e.what()));
    return QString::fromStdString(e.what());
  }
  model_->set_comparison(std::move(comparison));
  table_->resizeColumnsToContents();
  fit_table();
  show_verdict();
  redraw(run_a.get(), run_b.get());
  return {};
}

void ComparePanel::fit_table() {
  const int rows = model_->rowCount();
  const int total = split_->sizes().value(0) + split_->sizes().value(1);
  if (rows == 0 || total <= 0) return;
  const int want = table_->horizontalHeader()->sizeHint().height() +
                   rows * table_->verticalHeader()->defaultSectionSize() + 2 * table_->frameWidth() + 2;
  const int height = std::min(want, total * 11 / 20);
  split_->setSizes({total - height, height});
}

void ComparePanel::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  fit_table();
}

void ComparePanel::pickers_changed() {
  const QVariant a = run_a_->currentData(), b = run_b_->currentData();
  if (!a.isValid() || !b.isValid()) {
    clear("Pick two runs to compare.");
    return;
  }
  compare(a.toLongLong(), b.toLongLong());
}

void ComparePanel::tolerance_changed() {
  const auto& current = model_->comparison();
  if (!current) return;
  // The profiles are already read: judging them again needs no trip to the database.
  model_->set_comparison(sim::compare_profiles(current->a, current->b, tolerance()));
  show_verdict();
}

void ComparePanel::show_verdict() {
  const auto& c = model_->comparison();
  if (!c) return;
  const auto differing = c->differing();
  const auto one_sided = c->one_sided();
  QString line;
  if (differing.empty()) {
    line = QString("Within tolerance: all %1 metrics agree").arg(c->rows.size());
  } else {
    QStringList names;
    for (const auto& n : differing) names << text(n);
    line = QString("DIFFERENT: %1 of %2 metrics outside tolerance (%3)")
               .arg(differing.size()).arg(c->rows.size()).arg(names.join(", "));
  }
  if (!one_sided.empty()) {
    QStringList names;
    for (const auto& n : one_sided) names << text(n);
    line += QString(" — not compared, one run only: %1").arg(names.join(", "));
  }
  verdict_->setText(line);
  verdict_->setStyleSheet(
      QString("color: %1").arg((differing.empty() ? kWithinText : kDiffersText).name()));
}

void ComparePanel::redraw(const RunData* a, const RunData* b) {
  QChart* old = view_->chart();
  view_->setChart(build_compare_chart(a, b));
  delete old;
}

}  // namespace herd::gui
