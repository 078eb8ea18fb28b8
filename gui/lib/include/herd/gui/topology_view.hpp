#pragma once
// The friend graph of one run, drawn from a seeded force-directed layout (graph_layout.hpp):
// servers coloured by staleness or by whether they hold a chosen update, links drawn thicker
// and darker the more lines they carried, and playback of an update spreading server by
// server, the link each server got it over highlighted (playback.hpp decides what is shown at
// each virtual time). Zoom with the wheel, pan by dragging, click a server for its staleness.
//
// Level of detail: no item per server or link. The links are one cached item that batches
// them by traffic band (one drawLines call each); the servers and highlighted links are one
// item that batches by colour, so 10,000 servers cost a few dozen state changes per frame;
// names are drawn only when they fit.

#include <QElapsedTimer>
#include <QGraphicsItem>
#include <QGraphicsView>
#include <QPixmap>
#include <QWidget>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "herd/gui/chart_data.hpp"
#include "herd/gui/inspect.hpp"
#include "herd/gui/playback.hpp"
#include "herd/gui/run_data.hpp"

class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;
class QTableView;
class QStandardItemModel;
class QChartView;

namespace herd::gui {

// The friend links, which do not change during playback: drawn once into a device-pixel
// cache (redrawn on zoom), so a playback frame costs only the servers and the highlighted
// links.
class HerdEdgesItem : public QGraphicsItem {
 public:
  HerdEdgesItem(std::vector<std::vector<QLineF>> bands, QRectF bounds, std::size_t servers,
                QGraphicsItem* parent);
  QRectF boundingRect() const override { return bounds_; }
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  std::vector<std::vector<QLineF>> bands_;  // by traffic band, light to heavy
  QRectF bounds_;
  std::size_t servers_;
};

class HerdGraphItem : public QGraphicsItem {
 public:
  HerdGraphItem(std::vector<Point> positions, const RunData& run);

  QRectF boundingRect() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

  void set_colours(const std::vector<QRgb>& colours);
  void set_carried(std::vector<CarriedLink> links, std::int64_t recent_since_ns);
  void set_marked(std::optional<std::uint32_t> server);
  [[nodiscard]] std::optional<std::uint32_t> server_at(const QPointF& scene_point) const;
  // The friend link (a, b) under a point, when no server is.
  [[nodiscard]] std::optional<std::pair<std::uint32_t, std::uint32_t>> link_at(
      const QPointF& scene_point) const;
  [[nodiscard]] double radius() const noexcept { return radius_; }
  [[nodiscard]] const std::vector<Point>& positions() const noexcept { return positions_; }
  [[nodiscard]] std::uint64_t paints() const noexcept { return paints_; }

  // Discs larger than this on screen are drawn as paths (few are visible then).
  static constexpr double kMaxSpriteRadius = 32;
  static constexpr std::size_t kMaxSprites = 256;

 private:
  const QPixmap& disc_sprite(QRgb rgb, double device_radius, qreal dpr);
  std::vector<Point> positions_;
  std::vector<QString> names_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges_;
  std::map<QRgb, std::vector<QPointF>> by_colour_;
  // Discs drawn once per colour and on-screen size, then copied to each server's place: a
  // playback frame of 10,000 servers is 10,000 small blits, not 10,000 antialiased paths.
  // Keyed by colour and device radius in quarter pixels; dropped when they pile up.
  std::map<std::pair<QRgb, int>, QPixmap> sprites_;
  std::vector<QLineF> carried_, recent_;
  std::optional<std::uint32_t> marked_;
  QRectF bounds_;
  double radius_ = 5;
  std::uint64_t paints_ = 0;
};

class TopologyView : public QGraphicsView {
  Q_OBJECT
 public:
  explicit TopologyView(QWidget* parent = nullptr);
  void fit();

 Q_SIGNALS:
  void clicked(const QPointF& scene_point);

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;

 private:
  QPoint press_;
};

class TopologyPanel : public QWidget {
  Q_OBJECT
 public:
  enum class ColourBy { update, staleness };

  explicit TopologyPanel(QWidget* parent = nullptr);
  ~TopologyPanel() override;

  // Shows a run (null: nothing). Layouts are computed once per run and kept.
  void set_run(std::shared_ptr<const RunData> run);
  // Drops the kept layouts (another database was opened: run ids mean other runs).
  void forget_layouts() { layouts_.clear(); }
  void set_colour_by(ColourBy mode);
  void select_update(std::uint32_t update);
  // Virtual time, absolute ns since the run started.
  void seek(std::int64_t at_ns);
  void play();
  void pause();
  void step(int frames);
  // Rings a server and shows its staleness series and its record table at the current time.
  void click_server(std::uint32_t server);
  // Shows what a friend link carried in each direction.
  void click_link(std::uint32_t a, std::uint32_t b);

  [[nodiscard]] std::int64_t time_ns() const noexcept { return time_ns_; }
  [[nodiscard]] const std::shared_ptr<const RunData>& run() const noexcept { return run_; }
  [[nodiscard]] const PlaybackState& state() const noexcept { return state_; }
  [[nodiscard]] bool playing() const noexcept;
  [[nodiscard]] TopologyView* view() const noexcept { return view_; }
  [[nodiscard]] HerdGraphItem* graph() const noexcept { return item_; }
  [[nodiscard]] std::optional<std::uint32_t> clicked_server() const noexcept { return clicked_; }
  [[nodiscard]] const std::optional<LinkReport>& clicked_link() const noexcept { return clicked_link_; }
  [[nodiscard]] QStandardItemModel* records() const noexcept { return records_model_; }
  [[nodiscard]] QLabel* link_info() const noexcept { return link_info_; }
  // Frames drawn per second over the last second of playback.
  [[nodiscard]] double frame_rate() const noexcept { return fps_; }
  // Playback steps taken since the panel was made (each moves virtual time and redraws).
  [[nodiscard]] std::uint64_t steps() const noexcept { return steps_; }
  // The view's state as a table (server, name, x, y, holds, staleness), for CSV export.
  [[nodiscard]] Table table() const;

 Q_SIGNALS:
  void serverClicked(std::uint32_t server);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void rebuild();
  void refresh();  // colours and labels for time_ns_
  void show_records();  // the clicked server's records at time_ns_
  void tick();
  std::pair<std::int64_t, std::int64_t> range() const;

  std::shared_ptr<const RunData> run_;
  std::map<std::int64_t, std::vector<Point>> layouts_;  // by run_id, this file only
  TopologyView* view_;
  QGraphicsScene* scene_;
  HerdGraphItem* item_ = nullptr;
  QComboBox* colour_by_;
  QSpinBox* update_;
  QLabel* update_info_;
  QPushButton* play_;
  QComboBox* speed_;
  QSlider* slider_;
  QLabel* time_label_;
  QLabel* legend_;
  QChartView* server_chart_;
  QTimer* timer_;
  QElapsedTimer wall_;
  QElapsedTimer fps_clock_;
  std::uint64_t fps_frames_ = 0;
  std::uint64_t steps_ = 0;
  double fps_ = 0;
  ColourBy mode_ = ColourBy::update;
  std::uint32_t update_id_ = 0;
  std::int64_t time_ns_ = 0;
  PlaybackState state_;
  std::optional<std::uint32_t> clicked_;
  std::optional<LinkReport> clicked_link_;
  QWidget* details_;
  QTableView* records_;
  QLabel* records_title_;
  QStandardItemModel* records_model_;
  std::int64_t records_shown_at_ns_ = -1;
  QLabel* link_info_;
  bool syncing_ = false;
  bool dirty_ = false;  // a run was set while hidden: lay it out when shown
};

}  // namespace herd::gui
