#pragma once
// Running a scenario from the dashboard: open a scenario file, edit it (a mistake is shown
// with its line and column, and the cursor goes there), run it in virtual time on a worker
// thread with progress and cancel, and store it into the open results database, as
// `herd-sim run --db` would (herd/sim/run_store.hpp).

#include <QFutureWatcher>
#include <QWidget>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace herd::gui {

struct ScenarioRunResult {
  std::int64_t run_id = 0;
  QString error;  // empty on success
  bool cancelled = false;
};

class ScenarioPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ScenarioPanel(QWidget* parent = nullptr);
  ~ScenarioPanel() override;

  // Where runs are stored; empty disables Run.
  void set_database(const QString& path);
  // Loads a scenario file into the editor; returns the error, empty on success.
  QString open_file(const QString& path);
  void set_text(const QString& text, const QString& source_name);
  [[nodiscard]] QString text() const;
  // Parses the editor's text; on a mistake shows it, moves the cursor there and returns
  // "line:column: message".
  QString check();
  // Starts a run (false: not started, the reason shown); stored() or failed() follows.
  bool run();
  void cancel();
  [[nodiscard]] bool running() const;
  // Waits for a run in progress to end (tests).
  ScenarioRunResult wait();

 Q_SIGNALS:
  void stored(std::int64_t run_id);
  void failed(const QString& reason);

 private:
  void finished();
  void show_error(const QString& message, int line, int column);

  QString database_;
  QString source_;  // the file's path, anchoring relative paths in the scenario
  QPlainTextEdit* editor_;
  QLabel* status_;
  QProgressBar* progress_;
  QPushButton* run_;
  QPushButton* cancel_;
  std::shared_ptr<std::atomic<bool>> cancel_flag_;
  QFutureWatcher<ScenarioRunResult> watcher_;
};

}  // namespace herd::gui
