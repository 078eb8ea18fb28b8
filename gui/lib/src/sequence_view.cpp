#include "herd/gui/sequence_view.hpp"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>

#include "herd/gui/charts.hpp"

namespace herd::gui {

SequenceLayout sequence_layout(const std::vector<sim::TraceMessage>& messages, std::size_t max_lanes) {
  SequenceLayout out;
  auto lane_of = [&](std::uint32_t server) -> std::optional<std::size_t> {
    auto it = std::find(out.lanes.begin(), out.lanes.end(), server);
    if (it != out.lanes.end()) return static_cast<std::size_t>(it - out.lanes.begin());
    if (out.lanes.size() >= max_lanes) return std::nullopt;
    out.lanes.push_back(server);
    return out.lanes.size() - 1;
  };
  for (const auto& m : messages) {
    if (!sim::is_peer_kind(m.kind) || !m.from_server || !m.to_server) continue;
    auto a = lane_of(*m.from_server);
    auto b = lane_of(*m.to_server);
    if (!a || !b) {
      ++out.left_out;
      continue;
    }
    out.arrows.push_back({*a, *b, m.send_ns, m.recv_ns, m.kind, m.outcome});
  }
  return out;
}

SequenceView::SequenceView(QWidget* parent) : QWidget(parent) {
  setMinimumSize(300, 200);
  setAutoFillBackground(true);
  setPalette(QPalette(QColor(252, 252, 250)));
}

void SequenceView::show_trace(const QString& db, std::int64_t run_id, std::int64_t from_ns,
                              std::int64_t length_ns) {
  layout_ = {};
  names_.clear();
  from_ns_ = from_ns;
  length_ns_ = std::max<std::int64_t>(1, length_ns);
  note_.clear();
  try {
    sim::TraceQuery query;
    query.from_ns = from_ns;
    query.to_ns = from_ns + length_ns_;
    sim::Trace trace = sim::read_trace(db.toStdString(), run_id, query, kMaxMessages);
    layout_ = sequence_layout(trace.messages, kMaxLanes);
    for (auto s : layout_.lanes) {
      names_.push_back(s < trace.info.server_names.size() ? QString::fromStdString(trace.info.server_names[s])
                                                          : QString::number(s));
    }
    note_ = QString("run %1: %2 peer lines from %3 s to %4 s")
                .arg(run_id).arg(layout_.arrows.size())
                .arg(static_cast<double>(from_ns) / 1e9, 0, 'f', 3)
                .arg(static_cast<double>(from_ns + length_ns_) / 1e9, 0, 'f', 3);
    if (layout_.left_out > 0) {
      note_ += QString("; %1 more touch servers past the first %2").arg(layout_.left_out).arg(kMaxLanes);
    }
  } catch (const std::exception& e) {
    note_ = QString::fromStdString(e.what());
  }
  update();
}

void SequenceView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  const double top = 58, bottom = height() - 20.0, left = 90, right = width() - 60.0;
  p.setPen(QColor(40, 40, 40));
  p.drawText(QRectF(8, 4, width() - 16, 20), Qt::AlignLeft | Qt::AlignVCenter, note_);
  if (layout_.lanes.empty()) return;
  p.setPen(QColor(90, 90, 90));
  p.drawText(QRectF(8, 20, width() - 16, 16), Qt::AlignLeft | Qt::AlignVCenter,
             "one colour per message kind (AT orange); paler: redundant (the receiver held it); "
             "dotted, ending in ×: lost or dropped");
  const double step = (right - left) / static_cast<double>(std::max<std::size_t>(1, layout_.lanes.size() - 1));
  auto x_of = [&](std::size_t lane) { return layout_.lanes.size() == 1 ? (left + right) / 2 : left + step * static_cast<double>(lane); };
  auto y_of = [&](std::int64_t t) {
    return top + (bottom - top) * static_cast<double>(std::clamp<std::int64_t>(t - from_ns_, 0, length_ns_)) /
                     static_cast<double>(length_ns_);
  };
  // Lifelines and names; a time scale on the left.
  for (std::size_t i = 0; i < layout_.lanes.size(); ++i) {
    p.setPen(QPen(QColor(190, 190, 190), 1, Qt::DashLine));
    p.drawLine(QPointF(x_of(i), top), QPointF(x_of(i), bottom));
    p.setPen(QColor(30, 30, 30));
    p.drawText(QRectF(x_of(i) - 50, top - 18, 100, 16), Qt::AlignCenter, names_[i]);
  }
  p.setPen(QColor(90, 90, 90));
  for (int k = 0; k <= 4; ++k) {
    const double y = top + (bottom - top) * k / 4.0;
    p.drawText(QRectF(0, y - 8, left - 6, 16), Qt::AlignRight | Qt::AlignVCenter,
               QString("+%1 ms").arg(static_cast<double>(length_ns_) * k / 4.0 / 1e6, 0, 'g', 4));
  }
  for (const auto& a : layout_.arrows) {
    const QPointF from(x_of(a.from_lane), y_of(a.send_ns));
    const QPointF to(x_of(a.to_lane), y_of(a.recv_ns));
    const bool failed = a.outcome == sim::MessageOutcome::lost || a.outcome == sim::MessageOutcome::dropped;
    QColor colour = series_colour(static_cast<std::size_t>(a.kind));
    if (a.outcome == sim::MessageOutcome::ignored) colour = colour.lighter(140);
    p.setPen(QPen(colour, failed ? 1.0 : 1.4, failed ? Qt::DotLine : Qt::SolidLine));
    p.drawLine(from, to);
    if (failed) {
      p.drawLine(to + QPointF(-4, -4), to + QPointF(4, 4));
      p.drawLine(to + QPointF(-4, 4), to + QPointF(4, -4));
    } else {
      // An arrow head.
      const QPointF d = to - from;
      const double len = std::max(1e-9, std::hypot(d.x(), d.y()));
      const QPointF u(d.x() / len, d.y() / len), n(-u.y(), u.x());
      QPainterPath head;
      head.moveTo(to);
      head.lineTo(to - u * 7 + n * 3);
      head.lineTo(to - u * 7 - n * 3);
      head.closeSubpath();
      p.fillPath(head, colour);
    }
  }
}

}  // namespace herd::gui
