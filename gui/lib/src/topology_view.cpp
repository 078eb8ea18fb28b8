#include "herd/gui/topology_view.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMouseEvent>
#include <QPaintEngine>
#include <QPainter>
#include <QPushButton>
#include <QScrollBar>
#include <QSlider>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStyleOptionGraphicsItem>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <algorithm>
#include <cmath>

#include "herd/gui/charts.hpp"
#include "herd/gui/graph_layout.hpp"

namespace herd::gui {
namespace {

constexpr int kSliderSteps = 1000;
constexpr int kFrameMs = 16;  // ~60 frames/s asked; the panel measures what it gets
constexpr double kPlaybackWallSeconds = 8;  // at 1x, a span plays in this long

const QRgb kHolder = qRgb(0, 114, 178);
const QRgb kFresh = qRgb(230, 159, 0);
const QRgb kOrigin = qRgb(20, 20, 20);
const QRgb kMissing = qRgb(205, 205, 205);
const QRgb kDown = qRgb(150, 150, 150);

// Green through yellow to red as staleness goes from 0 to `top`.
QRgb staleness_colour(double value, double top) {
  double f = top > 0 ? std::clamp(value / top, 0.0, 1.0) : 0.0;
  f = std::sqrt(f);  // small staleness still visible
  const QColor a(0, 158, 115), b(240, 200, 40), c(213, 60, 0);
  auto mix = [](const QColor& x, const QColor& y, double t) {
    return qRgb(static_cast<int>(x.red() + (y.red() - x.red()) * t),
                static_cast<int>(x.green() + (y.green() - x.green()) * t),
                static_cast<int>(x.blue() + (y.blue() - x.blue()) * t));
  };
  return f < 0.5 ? mix(a, b, f * 2) : mix(b, c, (f - 0.5) * 2);
}

}  // namespace

// ---- the herd as one item -----------------------------------------------------------------

HerdGraphItem::HerdGraphItem(std::vector<Point> positions, const RunData& run)
    : positions_(std::move(positions)) {
  const std::size_t n = positions_.size();
  for (const auto& s : run.servers) names_.push_back(QString::fromStdString(s.name));
  names_.resize(n);
  radius_ = std::clamp(1000.0 / std::sqrt(static_cast<double>(std::max<std::size_t>(n, 1))) * 0.16, 1.5, 14.0);
  // Lines over each undirected link, both directions.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> lines;
  for (const auto& l : run.links) {
    lines[{std::min(l.from_id, l.to_id), std::max(l.from_id, l.to_id)}] += l.lines;
  }
  std::uint64_t most = 1;
  for (const auto& [k, v] : lines) most = std::max(most, v);
  std::vector<std::vector<QLineF>> edge_bands(4);
  for (const auto& e : run.edges) {
    if (e.a >= n || e.b >= n) continue;
    auto it = lines.find({e.a, e.b});
    const double v = it == lines.end() ? 0.0 : static_cast<double>(it->second);
    const auto band = std::min<std::size_t>(3, static_cast<std::size_t>(4 * v / static_cast<double>(most)));
    edges_.emplace_back(e.a, e.b);
    edge_bands[band].emplace_back(QPointF(positions_[e.a].x, positions_[e.a].y),
                                   QPointF(positions_[e.b].x, positions_[e.b].y));
  }
  double x0 = 0, y0 = 0, x1 = 1, y1 = 1;
  if (n > 0) {
    x0 = x1 = positions_[0].x;
    y0 = y1 = positions_[0].y;
    for (const auto& p : positions_) {
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
      y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
    }
  }
  // Room for names: they start just right of a disc, so the right margin grows with the
  // longest one (about 8 units a character at the zoom a small herd is fitted at).
  const double m = radius_ * 2 + 40;
  qsizetype longest = 0;
  if (n <= 80) {
    for (const auto& name : names_) longest = std::max(longest, name.size());
  }
  const double right = m + 8.0 * static_cast<double>(longest);
  bounds_ = QRectF(x0 - m, y0 - m, x1 - x0 + m + right, y1 - y0 + 2 * m);
  auto* edges = new HerdEdgesItem(std::move(edge_bands), bounds_, n, this);
  edges->setFlag(QGraphicsItem::ItemStacksBehindParent);
  set_colours(std::vector<QRgb>(n, kMissing));
}

HerdEdgesItem::HerdEdgesItem(std::vector<std::vector<QLineF>> bands, QRectF bounds,
                             std::size_t servers, QGraphicsItem* parent)
    : QGraphicsItem(parent), bands_(std::move(bands)), bounds_(bounds), servers_(servers) {
  setCacheMode(QGraphicsItem::DeviceCoordinateCache);
}

void HerdEdgesItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  const bool big = servers_ > 2000;
  painter->setRenderHint(QPainter::Antialiasing, !big);
  static const QColor band_colour[4] = {QColor(222, 225, 230), QColor(190, 196, 205),
                                        QColor(150, 158, 172), QColor(105, 115, 132)};
  static const qreal band_width[4] = {0.6, 0.9, 1.3, 1.8};
  for (std::size_t b = 0; b < bands_.size(); ++b) {
    if (bands_[b].empty()) continue;
    QColor c = band_colour[b];
    if (servers_ > 300) c.setAlpha(big ? 70 : 110);
    QPen pen(c, big ? band_width[b] * 0.6 : band_width[b]);
    pen.setCosmetic(true);
    painter->setPen(pen);
    painter->drawLines(bands_[b].data(), static_cast<int>(bands_[b].size()));
  }
}

QRectF HerdGraphItem::boundingRect() const { return bounds_; }

const QPixmap& HerdGraphItem::disc_sprite(QRgb rgb, double device_radius, qreal dpr) {
  const int key = static_cast<int>(std::lround(device_radius * 4 * dpr));
  auto it = sprites_.find({rgb, key});
  if (it != sprites_.end()) return it->second;
  if (sprites_.size() >= kMaxSprites) sprites_.clear();  // zoomed through many sizes
  const double r = key / (4.0 * dpr);
  const int side = static_cast<int>(std::ceil((2 * r + 2) * dpr));
  QPixmap sprite(side, side);
  sprite.fill(Qt::transparent);
  {
    QPainter p(&sprite);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor::fromRgb(rgb));
    p.drawEllipse(QPointF(side / 2.0, side / 2.0), r * dpr, r * dpr);
  }
  sprite.setDevicePixelRatio(dpr);
  return sprites_.emplace(std::make_pair(rgb, key), std::move(sprite)).first->second;
}

void HerdGraphItem::set_colours(const std::vector<QRgb>& colours) {
  by_colour_.clear();
  for (std::size_t i = 0; i < positions_.size() && i < colours.size(); ++i) {
    by_colour_[colours[i]].emplace_back(positions_[i].x, positions_[i].y);
  }
  update();
}

void HerdGraphItem::set_carried(std::vector<CarriedLink> links, std::int64_t recent_since_ns) {
  carried_.clear();
  recent_.clear();
  for (const auto& l : links) {
    if (l.from >= positions_.size() || l.to >= positions_.size()) continue;
    QLineF line(QPointF(positions_[l.from].x, positions_[l.from].y),
                QPointF(positions_[l.to].x, positions_[l.to].y));
    (l.at_ns >= recent_since_ns ? recent_ : carried_).push_back(line);
  }
  update();
}

void HerdGraphItem::set_marked(std::optional<std::uint32_t> server) {
  marked_ = server;
  update();
}

std::optional<std::uint32_t> HerdGraphItem::server_at(const QPointF& p) const {
  std::optional<std::uint32_t> best;
  double best_d = (radius_ * 1.8) * (radius_ * 1.8);
  for (std::size_t i = 0; i < positions_.size(); ++i) {
    const double dx = positions_[i].x - p.x(), dy = positions_[i].y - p.y();
    const double d = dx * dx + dy * dy;
    if (d <= best_d) best_d = d, best = static_cast<std::uint32_t>(i);
  }
  return best;
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> HerdGraphItem::link_at(const QPointF& p) const {
  // The link whose segment passes closest to the point, within a disc's radius of it.
  std::optional<std::pair<std::uint32_t, std::uint32_t>> best;
  double best_d = radius_ * radius_;
  for (const auto& [a, b] : edges_) {
    const QPointF u(positions_[a].x, positions_[a].y), v(positions_[b].x, positions_[b].y);
    const QPointF d = v - u;
    const double len2 = QPointF::dotProduct(d, d);
    const double t = len2 > 0 ? std::clamp(QPointF::dotProduct(p - u, d) / len2, 0.0, 1.0) : 0.0;
    const QPointF off = p - (u + t * d);
    const double dist = QPointF::dotProduct(off, off);
    if (dist <= best_d) best_d = dist, best = std::make_pair(a, b);
  }
  return best;
}

void HerdGraphItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  ++paints_;
  const qreal lod = option->levelOfDetailFromTransform(painter->worldTransform());
  const std::size_t n = positions_.size();
  const bool big = n > 2000;
  painter->setRenderHint(QPainter::Antialiasing, !big || lod > 2);
  if (!carried_.empty()) {
    QPen pen(QColor(230, 159, 0, 200), 2.2);
    pen.setCosmetic(true);
    painter->setPen(pen);
    painter->drawLines(carried_.data(), static_cast<int>(carried_.size()));
  }
  if (!recent_.empty()) {
    QPen pen(QColor(213, 40, 0), 3.5);
    pen.setCosmetic(true);
    painter->setPen(pen);
    painter->drawLines(recent_.data(), static_cast<int>(recent_.size()));
  }
  // Servers: one brush per colour, discs without outline (stroking wide round points is
  // several times slower in the raster engine). On screen (and in PNGs) each disc is a copy
  // of a sprite; vector output (SVG) gets real circles.
  painter->setPen(Qt::NoPen);
  const QTransform world = painter->worldTransform();
  const double device_radius = radius_ * lod;
  const bool raster = painter->paintEngine() != nullptr && painter->paintEngine()->type() == QPaintEngine::Raster;
  if (raster && world.type() <= QTransform::TxScale && device_radius <= kMaxSpriteRadius) {
    const qreal dpr = painter->device()->devicePixelRatio();
    const QRectF visible = world.mapRect(option->exposedRect).adjusted(-device_radius - 1, -device_radius - 1,
                                                                        device_radius + 1, device_radius + 1);
    painter->save();
    painter->resetTransform();
    for (const auto& [rgb, points] : by_colour_) {
      const QPixmap& sprite = disc_sprite(rgb, device_radius, dpr);
      const QPointF centre(sprite.width() / (2 * dpr), sprite.height() / (2 * dpr));
      for (const QPointF& p : points) {
        const QPointF at = world.map(p);
        if (visible.contains(at)) painter->drawPixmap(at - centre, sprite);
      }
    }
    painter->restore();
  } else {
    for (const auto& [rgb, points] : by_colour_) {
      painter->setBrush(QColor::fromRgb(rgb));
      for (const QPointF& p : points) painter->drawEllipse(p, radius_, radius_);
    }
  }
  if (!big || lod > 3) {
    QPen outline(QColor(40, 40, 40), 0.8);
    outline.setCosmetic(true);
    painter->setPen(outline);
    painter->setBrush(Qt::NoBrush);
    if (n <= 600) {
      for (const auto& p : positions_) painter->drawEllipse(QPointF(p.x, p.y), radius_, radius_);
    }
  }
  if (marked_ && *marked_ < n) {
    QPen ring(QColor(213, 40, 0), 2.5);
    ring.setCosmetic(true);
    painter->setPen(ring);
    painter->setBrush(Qt::NoBrush);
    const auto& p = positions_[*marked_];
    painter->drawEllipse(QPointF(p.x, p.y), radius_ * 1.9, radius_ * 1.9);
  }
  // Names when they fit: few servers, or zoomed in far enough.
  const double screen_radius = radius_ * lod;
  if (n <= 80 || screen_radius > 9) {
    QFont font = painter->font();
    font.setPointSizeF(std::max(1.0, 9.0 / lod));
    painter->setFont(font);
    painter->setPen(QColor(20, 20, 20));
    const QRectF visible = option->exposedRect;
    for (std::size_t i = 0; i < n; ++i) {
      QPointF at(positions_[i].x + radius_ * 1.2, positions_[i].y - radius_ * 1.2);
      if (!visible.contains(at)) continue;
      painter->drawText(at, names_[i]);
    }
  }
}

// ---- the view -----------------------------------------------------------------------------

TopologyView::TopologyView(QWidget* parent) : QGraphicsView(parent) {
  setDragMode(QGraphicsView::ScrollHandDrag);
  setRenderHint(QPainter::Antialiasing);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  // The herd is one item covering the view: repaint it once per frame, not per dirty piece.
  setViewportUpdateMode(QGraphicsView::FullViewportUpdate);
  setBackgroundBrush(QColor(252, 252, 250));
  setMinimumSize(200, 150);
}

void TopologyView::fit() {
  if (scene() == nullptr) return;
  fitInView(scene()->itemsBoundingRect(), Qt::KeepAspectRatio);
}

void TopologyView::wheelEvent(QWheelEvent* event) {
  const double factor = std::pow(1.0015, event->angleDelta().y());
  const double current = transform().m11();
  if (current * factor < 0.02 || current * factor > 200) return;
  scale(factor, factor);
}

void TopologyView::mousePressEvent(QMouseEvent* event) {
  press_ = event->position().toPoint();
  QGraphicsView::mousePressEvent(event);
}

void TopologyView::mouseReleaseEvent(QMouseEvent* event) {
  QGraphicsView::mouseReleaseEvent(event);
  // A click, not the end of a drag.
  if ((event->position().toPoint() - press_).manhattanLength() < 4) {
    Q_EMIT clicked(mapToScene(event->position().toPoint()));
  }
}

// ---- the panel ----------------------------------------------------------------------------

TopologyPanel::TopologyPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* controls = new QHBoxLayout;
  colour_by_ = new QComboBox;
  colour_by_->addItem("colour: holds the update");
  colour_by_->addItem("colour: staleness");
  colour_by_->setToolTip("Colour servers by whether they hold the chosen update, or by their "
                         "staleness at the current virtual time");
  update_ = new QSpinBox;
  update_->setPrefix("update ");
  update_->setToolTip("update_id of the update to play");
  play_ = new QPushButton("Play");
  auto* back = new QPushButton("◀ step");
  auto* forward = new QPushButton("step ▶");
  speed_ = new QComboBox;
  for (const char* s : {"0.25×", "0.5×", "1×", "2×", "4×", "16×"}) speed_->addItem(s);
  speed_->setCurrentIndex(2);
  speed_->setToolTip("Playback speed; at 1× the update's spread (or the whole run) takes 8 s");
  controls->addWidget(colour_by_);
  controls->addWidget(update_);
  controls->addWidget(play_);
  controls->addWidget(back);
  controls->addWidget(forward);
  controls->addWidget(speed_);
  controls->addStretch(1);
  layout->addLayout(controls);
  auto* scrub = new QHBoxLayout;
  slider_ = new QSlider(Qt::Horizontal);
  slider_->setRange(0, kSliderSteps);
  slider_->setToolTip("Scrub virtual time");
  time_label_ = new QLabel;
  time_label_->setMinimumWidth(260);
  scrub->addWidget(slider_, 1);
  scrub->addWidget(time_label_);
  layout->addLayout(scrub);
  update_info_ = new QLabel;
  update_info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(update_info_);
  scene_ = new QGraphicsScene(this);
  view_ = new TopologyView;
  view_->setScene(scene_);
  layout->addWidget(view_, 1);
  legend_ = new QLabel;
  layout->addWidget(legend_);
  server_chart_ = new QChartView;
  server_chart_->setRenderHint(QPainter::Antialiasing);
  server_chart_->setMinimumHeight(250);
  server_chart_->setMaximumHeight(300);
  records_ = new QTableView;
  records_model_ = new QStandardItemModel(this);
  records_->setModel(records_model_);
  records_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  records_->setSortingEnabled(true);
  records_->verticalHeader()->hide();
  records_->verticalHeader()->setDefaultSectionSize(records_->fontMetrics().height() + 4);
  records_->horizontalHeader()->setStretchLastSection(true);
  records_->setToolTip("The clicked server's records at the current virtual time: per client, "
                       "the newest update it stored itself");
  details_ = new QWidget;
  auto* details = new QHBoxLayout(details_);
  details->setContentsMargins(0, 0, 0, 0);
  details->addWidget(server_chart_, 3);
  auto* records_box = new QVBoxLayout;
  records_title_ = new QLabel;
  records_box->addWidget(records_title_);
  records_box->addWidget(records_, 1);
  details->addLayout(records_box, 2);
  details_->setMinimumHeight(250);
  details_->setMaximumHeight(300);
  details_->hide();
  layout->addWidget(details_);
  link_info_ = new QLabel;
  link_info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  link_info_->hide();
  layout->addWidget(link_info_);
  timer_ = new QTimer(this);
  timer_->setInterval(kFrameMs);
  timer_->setTimerType(Qt::PreciseTimer);

  connect(timer_, &QTimer::timeout, this, &TopologyPanel::tick);
  connect(play_, &QPushButton::clicked, this, [this] { playing() ? pause() : play(); });
  connect(back, &QPushButton::clicked, this, [this] { step(-1); });
  connect(forward, &QPushButton::clicked, this, [this] { step(1); });
  connect(colour_by_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (!syncing_) set_colour_by(i == 0 ? ColourBy::update : ColourBy::staleness);
  });
  connect(update_, &QSpinBox::valueChanged, this, [this](int v) {
    if (!syncing_) select_update(static_cast<std::uint32_t>(v));
  });
  connect(slider_, &QSlider::valueChanged, this, [this](int v) {
    if (syncing_) return;
    auto [lo, hi] = range();
    seek(lo + static_cast<std::int64_t>(static_cast<double>(hi - lo) * v / kSliderSteps));
  });
  connect(view_, &TopologyView::clicked, this, [this](const QPointF& p) {
    if (item_ == nullptr) return;
    if (auto s = item_->server_at(p)) {
      click_server(*s);
    } else if (auto l = item_->link_at(p)) {
      click_link(l->first, l->second);
    }
  });
}

TopologyPanel::~TopologyPanel() { delete server_chart_->chart(); }

bool TopologyPanel::playing() const noexcept { return timer_->isActive(); }

void TopologyPanel::set_run(std::shared_ptr<const RunData> run) {
  pause();
  run_ = std::move(run);
  clicked_.reset();
  details_->hide();
  link_info_->hide();
  // The layout is the slow part of a big herd: make it when the view is first shown.
  if (isVisible()) {
    rebuild();
  } else {
    dirty_ = true;
  }
}

void TopologyPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (dirty_) rebuild();
}

void TopologyPanel::rebuild() {
  dirty_ = false;
  scene_->clear();
  item_ = nullptr;
  if (!run_) {
    update_info_->setText("Select a run to see its herd.");
    return;
  }
  auto it = layouts_.find(run_->run.run_id);
  if (it == layouts_.end()) {
    LayoutOptions options;
    options.seed = static_cast<std::uint32_t>(run_->run.seed);
    it = layouts_.emplace(run_->run.run_id, force_layout(run_->servers.size(), run_->edges, options)).first;
  }
  item_ = new HerdGraphItem(it->second, *run_);
  scene_->addItem(item_);
  scene_->setSceneRect(item_->boundingRect());
  syncing_ = true;
  update_->setRange(0, std::max<int>(0, static_cast<int>(run_->updates.size()) - 1));
  update_->setEnabled(!run_->updates.empty());
  syncing_ = false;
  // Start on the update that travelled furthest: the most to watch.
  std::uint32_t pick = 0;
  for (const auto& u : run_->updates) {
    if (u.ldh > run_->updates[pick].ldh) pick = u.update_id;
  }
  view_->resetTransform();
  QTimer::singleShot(0, view_, [v = view_] { v->fit(); });
  view_->fit();
  select_update(pick);
}

std::pair<std::int64_t, std::int64_t> TopologyPanel::range() const {
  if (!run_) return {0, 1};
  if (mode_ == ColourBy::staleness) {
    return {0, std::max<std::int64_t>(1, run_->run.duration_ns + run_->run.drained_ns)};
  }
  auto [first, last] = run_->applies_of(update_id_);
  if (first == last) {
    if (update_id_ < run_->updates.size()) {
      const auto at = run_->updates[update_id_].accepted_ns;
      return {at, at + 1};
    }
    return {0, 1};
  }
  auto span = playback_span(first, last);
  // A little room after the last delivery so the end state is visible.
  const std::int64_t pad = std::max<std::int64_t>(1, (span.end_ns - span.begin_ns) / 20);
  return {span.begin_ns, span.end_ns + pad};
}

void TopologyPanel::set_colour_by(ColourBy mode) {
  if (dirty_) rebuild();
  mode_ = mode;
  syncing_ = true;
  colour_by_->setCurrentIndex(mode == ColourBy::update ? 0 : 1);
  syncing_ = false;
  seek(range().first);
}

void TopologyPanel::select_update(std::uint32_t update) {
  if (dirty_) rebuild();
  update_id_ = update;
  syncing_ = true;
  update_->setValue(static_cast<int>(update));
  syncing_ = false;
  if (run_ && update < run_->updates.size()) {
    const auto& u = run_->updates[update];
    auto [first, last] = run_->applies_of(update);
    update_info_->setText(
        QString("update %1: client %2 accepted at %3 by %4 at %5 s; %6 holders, last delivery hop %7, "
                "%8 update-carrying lines")
            .arg(update).arg(QString::fromStdString(u.client))
            .arg(QString::fromStdString(u.origin < run_->servers.size() ? run_->servers[u.origin].name : "?"))
            .arg(u.origin).arg(static_cast<double>(u.accepted_ns) / 1e9, 0, 'f', 3)
            .arg(u.holders).arg(u.ldh).arg(u.messages) +
        (first == last ? QString(" (no delivery rows: stored with --summary-only?)") : QString()));
  } else if (run_) {
    update_info_->setText("This run accepted no updates.");
  }
  seek(range().first);
}

void TopologyPanel::seek(std::int64_t at_ns) {
  if (dirty_) rebuild();
  auto [lo, hi] = range();
  time_ns_ = std::clamp(at_ns, lo, hi);
  syncing_ = true;
  slider_->setValue(hi > lo ? static_cast<int>(static_cast<double>(time_ns_ - lo) * kSliderSteps /
                                               static_cast<double>(hi - lo))
                            : 0);
  syncing_ = false;
  refresh();
  // The record table follows the scrubber, but not every frame of playback (it reads every
  // delivery row of the run); pausing brings it up to date.
  if (clicked_ && !playing() && records_shown_at_ns_ != time_ns_) show_records();
}

void TopologyPanel::refresh() {
  if (!run_ || item_ == nullptr) return;
  const std::size_t n = run_->servers.size();
  std::vector<QRgb> colours(n, kMissing);
  auto [lo, hi] = range();
  if (mode_ == ColourBy::update) {
    auto [first, last] = run_->applies_of(update_id_);
    state_ = playback_state(first, last, n, time_ns_);
    const std::int64_t fresh_since = time_ns_ - std::max<std::int64_t>(1, (hi - lo) / 30);
    for (const sim::StoredApply* a = first; a != last && a->at_ns <= time_ns_; ++a) {
      if (a->server_id < n) colours[a->server_id] = a->at_ns >= fresh_since ? kFresh : kHolder;
    }
    if (update_id_ < run_->updates.size() && run_->updates[update_id_].origin < n) {
      colours[run_->updates[update_id_].origin] = kOrigin;
    }
    item_->set_carried(state_.links, fresh_since);
    time_label_->setText(QString("t = %1 s (+%2 ms)  %3/%4 hold it")
                             .arg(static_cast<double>(time_ns_) / 1e9, 0, 'f', 4)
                             .arg(static_cast<double>(time_ns_ - lo) / 1e6, 0, 'f', 2)
                             .arg(state_.holders).arg(n));
    legend_->setText(
        "<span style='color:#141414'>●</span> origin &nbsp; <span style='color:#0072b2'>●</span> holds it "
        "&nbsp; <span style='color:#e69f00'>●</span> just got it &nbsp; <span style='color:#aaaaaa'>●</span> "
        "not yet &nbsp; <span style='color:#d52800'>━</span> link it just came over &nbsp; "
        "<span style='color:#e69f00'>━</span> links it came over &nbsp; grey links: darker = more lines");
  } else {
    state_ = PlaybackState{};
    state_.at_ns = time_ns_;
    item_->set_carried({}, 0);
    // The latest sample at or before time_ns_.
    double top = 0;
    for (const auto& s : run_->staleness) top = std::max(top, static_cast<double>(s.max_ns));
    const auto& samples = run_->staleness;
    auto end = std::upper_bound(samples.begin(), samples.end(), time_ns_,
                                [](std::int64_t t, const sim::StoredStaleness& s) { return t < s.at_ns; });
    std::int64_t sample_at = -1;
    if (end != samples.begin()) {
      sample_at = std::prev(end)->at_ns;
      for (auto s = n ? colours.begin() : colours.end(); s != colours.end(); ++s) *s = kDown;
      for (auto it = std::prev(end);; --it) {
        if (it->at_ns != sample_at) break;
        if (it->server_id < n) colours[it->server_id] = staleness_colour(static_cast<double>(it->max_ns), top);
        if (it == samples.begin()) break;
      }
    }
    time_label_->setText(QString("t = %1 s, sample at %2")
                             .arg(static_cast<double>(time_ns_) / 1e9, 0, 'f', 3)
                             .arg(sample_at < 0 ? QString("none yet")
                                                : QString::number(static_cast<double>(sample_at) / 1e9, 'f', 3) + " s"));
    legend_->setText(QString("staleness (max over clients) at the last sample: "
                             "<span style='color:#009e73'>●</span> 0 &nbsp; "
                             "<span style='color:#f0c828'>●</span> %1 ms &nbsp; "
                             "<span style='color:#d53c00'>●</span> %2 ms (run's max) &nbsp; "
                             "<span style='color:#969696'>●</span> down / not sampled")
                         .arg(top / 4e6, 0, 'f', 1).arg(top / 1e6, 0, 'f', 1));
  }
  item_->set_colours(colours);
}

void TopologyPanel::play() {
  if (dirty_) rebuild();
  if (!run_) return;
  auto [lo, hi] = range();
  if (time_ns_ >= hi) seek(lo);
  play_->setText("Pause");
  wall_.start();
  fps_clock_.start();
  fps_frames_ = 0;
  timer_->start();
}

void TopologyPanel::pause() {
  const bool was_playing = timer_->isActive();
  timer_->stop();
  play_->setText("Play");
  // Only playback leaves the record table behind; a step or a seek that pauses first
  // refreshes it itself, at the time it moves to.
  if (was_playing && clicked_ && records_shown_at_ns_ != time_ns_) show_records();
}

void TopologyPanel::step(int frames) {
  pause();
  auto [lo, hi] = range();
  // One step = 1/200 of the span (at least 1 ns).
  const std::int64_t dt = std::max<std::int64_t>(1, (hi - lo) / 200);
  seek(time_ns_ + frames * dt);
}

void TopologyPanel::tick() {
  auto [lo, hi] = range();
  static const double speeds[] = {0.25, 0.5, 1, 2, 4, 16};
  const double speed = speeds[std::clamp(speed_->currentIndex(), 0, 5)];
  const double wall_s = static_cast<double>(wall_.restart()) / 1000.0;
  const double per_s = static_cast<double>(hi - lo) / kPlaybackWallSeconds * speed;
  const std::int64_t next = time_ns_ + std::max<std::int64_t>(1, static_cast<std::int64_t>(wall_s * per_s));
  seek(next);
  ++fps_frames_;
  ++steps_;
  if (fps_clock_.elapsed() >= 1000) {
    fps_ = static_cast<double>(fps_frames_) * 1000.0 / static_cast<double>(fps_clock_.restart());
    fps_frames_ = 0;
  }
  if (next >= hi) pause();
}

void TopologyPanel::click_server(std::uint32_t server) {
  if (dirty_) rebuild();
  if (!run_ || server >= run_->servers.size()) return;
  clicked_ = server;
  item_->set_marked(server);
  ChartSpec spec;
  spec.kind = ChartKind::staleness;
  spec.server = server;
  QChart* old = server_chart_->chart();
  server_chart_->setChart(build_chart(spec, {run_.get()}));
  delete old;
  const bool was_hidden = details_->isHidden();
  details_->show();
  show_records();
  // The graph just lost the room the details took: fit it again once the layout settled.
  if (was_hidden) QTimer::singleShot(0, view_, [view = view_] { view->fit(); });
  Q_EMIT serverClicked(server);
}

void TopologyPanel::show_records() {
  if (!run_ || !clicked_) return;
  const auto rows = server_records(*run_, *clicked_, time_ns_);
  records_model_->clear();
  records_model_->setHorizontalHeaderLabels(
      {"client", "update", "origin", "accepted (s)", "stored (s)", "delay (ms)", "from"});
  auto number = [](double v, int decimals) {
    auto* item = new QStandardItem(QString::number(v, 'f', decimals));
    item->setData(v, Qt::UserRole);  // sorts as a number
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
  };
  for (const auto& r : rows) {
    QList<QStandardItem*> items{
        new QStandardItem(QString::fromStdString(r.client)),
        number(r.update_id, 0),
        new QStandardItem(QString::fromStdString(r.origin)),
        number(static_cast<double>(r.accepted_ns) / 1e9, 3),
        number(static_cast<double>(r.stored_ns) / 1e9, 3),
        number(static_cast<double>(r.delay_ns) / 1e6, 2),
        new QStandardItem(r.from ? QString::fromStdString(*r.from) : QString("(origin)"))};
    items[0]->setToolTip(QString::fromStdString(r.at_line));
    records_model_->appendRow(items);
  }
  records_model_->setSortRole(Qt::UserRole);
  for (int row = 0; row < records_model_->rowCount(); ++row) {
    for (int col : {0, 2, 6}) {
      QStandardItem* item = records_model_->item(row, col);
      item->setData(item->text(), Qt::UserRole);
    }
  }
  records_->resizeColumnsToContents();
  records_shown_at_ns_ = time_ns_;
  records_title_->setText(QString("%1's records at %2 s: %3 clients (newest update of each it stored)")
                              .arg(QString::fromStdString(run_->servers[*clicked_].name))
                              .arg(static_cast<double>(time_ns_) / 1e9, 0, 'f', 3)
                              .arg(rows.size()));
}

void TopologyPanel::click_link(std::uint32_t a, std::uint32_t b) {
  if (!run_) return;
  clicked_link_ = link_report(*run_, a, b);
  link_info_->setText(QString::fromStdString(describe(*run_, *clicked_link_)));
  link_info_->show();
}

Table TopologyPanel::table() const {
  Table t;
  t.header = {"server_id", "name", "x", "y", "holds_update", "update_id", "at_ns"};
  if (!run_ || item_ == nullptr) return t;
  const auto& pos = item_->positions();
  for (std::size_t i = 0; i < run_->servers.size() && i < pos.size(); ++i) {
    t.rows.push_back({std::to_string(i), run_->servers[i].name, std::to_string(pos[i].x),
                      std::to_string(pos[i].y),
                      i < state_.holds.size() ? std::to_string(state_.holds[i]) : "",
                      std::to_string(update_id_), std::to_string(time_ns_)});
  }
  return t;
}

}  // namespace herd::gui
