#include "herd/gui/scenario_panel.hpp"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QTextBlock>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "herd/sim/run_store.hpp"
#include "herd/sim/scenario_file.hpp"

namespace herd::gui {

namespace {
constexpr qint64 kMaxScenarioBytes = 4 * 1024 * 1024;  // scenario files are a few KB
}

ScenarioPanel::ScenarioPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* buttons = new QHBoxLayout;
  auto* open = new QPushButton("Open scenario…");
  auto* save = new QPushButton("Save");
  auto* check_button = new QPushButton("Check");
  run_ = new QPushButton("Run and store");
  cancel_ = new QPushButton("Cancel");
  cancel_->setEnabled(false);
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setFormat("%p% of virtual time");
  for (QWidget* w : {static_cast<QWidget*>(open), static_cast<QWidget*>(save),
                     static_cast<QWidget*>(check_button), static_cast<QWidget*>(run_),
                     static_cast<QWidget*>(cancel_)}) {
    buttons->addWidget(w);
  }
  buttons->addWidget(progress_, 1);
  layout->addLayout(buttons);
  editor_ = new QPlainTextEdit;
  editor_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  editor_->setLineWrapMode(QPlainTextEdit::NoWrap);
  editor_->setPlaceholderText("Open a scenario file (docs/scenarios.md), edit it, Check, then Run.");
  layout->addWidget(editor_, 1);
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(status_);
  set_database({});

  connect(open, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, "Open a scenario", QString(),
                                                      "Scenario files (*.toml);;All files (*)");
    if (path.isEmpty()) return;
    const QString error = open_file(path);
    if (!error.isEmpty()) status_->setText(error);
  });
  connect(save, &QPushButton::clicked, this, [this] {
    QString path = source_;
    if (path.isEmpty() || !QFileInfo(path).isAbsolute()) {
      path = QFileDialog::getSaveFileName(this, "Save the scenario", "scenario.toml", "Scenario files (*.toml)");
    }
    if (path.isEmpty()) return;
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text().toUtf8()) < 0) {
      status_->setText(path + ": cannot write: " + file.errorString());
      return;
    }
    source_ = path;
    status_->setText("saved " + path);
  });
  connect(check_button, &QPushButton::clicked, this, [this] { check(); });
  connect(run_, &QPushButton::clicked, this, [this] { run(); });
  connect(cancel_, &QPushButton::clicked, this, [this] { cancel(); });
  connect(&watcher_, &QFutureWatcher<ScenarioRunResult>::finished, this, [this] { finished(); });
}

ScenarioPanel::~ScenarioPanel() {
  cancel();
  watcher_.waitForFinished();
}

void ScenarioPanel::set_database(const QString& path) {
  database_ = path;
  run_->setEnabled(!path.isEmpty() && !running());
  run_->setToolTip(path.isEmpty() ? "Open a results database first (File ▸ Open)"
                                  : "Run in virtual time and store the run in " + path);
}

QString ScenarioPanel::open_file(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return path + ": cannot read: " + file.errorString();
  if (file.size() > kMaxScenarioBytes) {
    return QString("%1: %2 bytes; a scenario file is at most %3").arg(path).arg(file.size()).arg(kMaxScenarioBytes);
  }
  set_text(QString::fromUtf8(file.readAll()), QFileInfo(path).absoluteFilePath());
  return {};
}

void ScenarioPanel::set_text(const QString& text, const QString& source_name) {
  editor_->setPlainText(text);
  source_ = source_name;
  editor_->setExtraSelections({});
  status_->setText(source_name.isEmpty() ? QString() : "editing " + source_name);
}

QString ScenarioPanel::text() const { return editor_->toPlainText(); }

void ScenarioPanel::show_error(const QString& message, int line, int column) {
  status_->setText("<span style='color:#c00000'>" + message.toHtmlEscaped() + "</span>");
  editor_->setExtraSelections({});
  if (line <= 0) return;
  QTextBlock block = editor_->document()->findBlockByNumber(line - 1);
  if (!block.isValid()) return;
  QTextCursor cursor(block);
  cursor.movePosition(QTextCursor::Right, QTextCursor::MoveAnchor, std::max(0, column - 1));
  editor_->setTextCursor(cursor);
  editor_->centerCursor();
  QTextEdit::ExtraSelection mark;
  mark.format.setBackground(QColor(255, 220, 220));
  mark.format.setProperty(QTextFormat::FullWidthSelection, true);
  mark.cursor = QTextCursor(block);
  editor_->setExtraSelections({mark});
}

QString ScenarioPanel::check() {
  try {
    sim::Scenario s = sim::parse_scenario(text().toStdString(),
                                          (source_.isEmpty() ? QString("untitled.toml") : source_).toStdString());
    editor_->setExtraSelections({});
    status_->setText(QString("OK: %1, seed %2, strategy %3")
                         .arg(QString::fromStdString(s.name)).arg(s.seed).arg(QString::fromStdString(s.strategy)));
    return {};
  } catch (const sim::ScenarioError& e) {
    const QString where = e.line > 0 ? QString("%1:%2: ").arg(e.line).arg(e.column) : QString();
    show_error(QString::fromStdString(e.what()), e.line, e.column);
    return where + QString::fromStdString(e.message);
  } catch (const std::exception& e) {
    show_error(QString::fromStdString(e.what()), 0, 0);
    return QString::fromStdString(e.what());
  }
}

bool ScenarioPanel::running() const { return watcher_.isRunning(); }

bool ScenarioPanel::run() {
  if (running()) return false;
  if (database_.isEmpty()) {
    status_->setText("Open a results database first (File ▸ Open): runs are stored there.");
    return false;
  }
  if (!check().isEmpty()) return false;
  sim::Scenario scenario = sim::parse_scenario(
      text().toStdString(), (source_.isEmpty() ? QString("untitled.toml") : source_).toStdString());
  cancel_flag_ = std::make_shared<std::atomic<bool>>(false);
  progress_->setValue(0);
  run_->setEnabled(false);
  cancel_->setEnabled(true);
  status_->setText(QString("running %1…").arg(QString::fromStdString(scenario.name)));
  QPointer<QProgressBar> bar = progress_;
  const std::string db = database_.toStdString();
  auto flag = cancel_flag_;
  watcher_.setFuture(QtConcurrent::run([scenario = std::move(scenario), db, flag, bar]() {
    ScenarioRunResult result;
    sim::RunStoreOptions options;
    options.cancel = flag.get();
    options.progress = [bar](double fraction) {
      QMetaObject::invokeMethod(bar, [bar, fraction] {
        if (bar) bar->setValue(static_cast<int>(fraction * 1000));
      }, Qt::QueuedConnection);
    };
    try {
      result.run_id = sim::run_and_store(scenario, db, options).run_id;
    } catch (const sim::RunCancelled&) {
      result.cancelled = true;
    } catch (const std::exception& e) {
      result.error = QString::fromStdString(e.what());
    }
    return result;
  }));
  return true;
}

void ScenarioPanel::cancel() {
  if (cancel_flag_) cancel_flag_->store(true);
}

ScenarioRunResult ScenarioPanel::wait() {
  watcher_.waitForFinished();
  return watcher_.future().isValid() && watcher_.future().resultCount() > 0 ? watcher_.result()
                                                                             : ScenarioRunResult{};
}

void ScenarioPanel::finished() {
  cancel_->setEnabled(false);
  run_->setEnabled(!database_.isEmpty());
  const ScenarioRunResult result = watcher_.result();
  if (result.cancelled) {
    status_->setText("cancelled; nothing stored");
    progress_->setValue(0);
  } else if (!result.error.isEmpty()) {
    show_error(result.error, 0, 0);
    Q_EMIT failed(result.error);
  } else {
    progress_->setValue(1000);
    status_->setText(QString("stored as run %1 in %2").arg(result.run_id).arg(database_));
    Q_EMIT stored(result.run_id);
  }
}

}  // namespace herd::gui
