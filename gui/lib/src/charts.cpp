#include "herd/gui/charts.hpp"

#include <QCursor>
#include <QPen>
#include <QToolTip>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QBoxPlotSeries>
#include <QtCharts/QBoxSet>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QStackedBarSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

namespace herd::gui {
namespace {

constexpr std::size_t kEveryPoint = 1'000'000;

QString q(const std::string& s) { return QString::fromStdString(s); }
std::string num(double v, int precision = 3) {
  return QString::number(v, 'g', precision + 3).toStdString();
}

// The point of `series` nearest (on screen) to where the mouse is.
QPointF nearest_point(QXYSeries* series, const QPointF& at) {
  QChart* chart = series->chart();
  const auto points = series->points();
  if (points.isEmpty() || chart == nullptr) return at;
  const QPointF mouse = chart->mapToPosition(at, series);
  QPointF best = points.front();
  double best_d = 1e300;
  for (const QPointF& p : points) {
    const QPointF d = chart->mapToPosition(p, series) - mouse;
    const double dd = d.x() * d.x() + d.y() * d.y();
    if (dd < best_d) best_d = dd, best = p;
  }
  return best;
}

void hover_tip(QXYSeries* series, std::function<QString(const QPointF&)> text) {
  QObject::connect(series, &QXYSeries::hovered, series,
                   [series, text = std::move(text)](const QPointF& at, bool on) {
                     if (on) {
                       QToolTip::showText(QCursor::pos(), text(nearest_point(series, at)));
                     } else {
                       QToolTip::hideText();
                     }
                   });
}

QValueAxis* value_axis(QChart* chart, Qt::Alignment where, const QString& title, double lo,
                       double hi, bool nice = true) {
  auto* axis = new QValueAxis;
  axis->setTitleText(title);
  if (!(hi > lo)) hi = lo + 1;
  axis->setRange(lo, hi);
  if (nice) axis->applyNiceNumbers();
  axis->setLabelFormat("%g");
  chart->addAxis(axis, where);
  return axis;
}

QLineSeries* add_line(QChart* chart, const Line& line, const QColor& colour, Qt::PenStyle style,
                      qreal width, std::size_t max_points) {
  auto* series = new QLineSeries;
  series->setName(q(line.name));
  const Line drawn = thin_out(line, max_points);
  QList<QPointF> points;
  points.reserve(static_cast<qsizetype>(drawn.points.size()));
  for (const Point& p : drawn.points) points.append(QPointF(p.x, p.y));
  series->replace(points);
  QPen pen(colour);
  pen.setWidthF(width);
  pen.setStyle(style);
  series->setPen(pen);
  chart->addSeries(series);
  return series;
}

// Legend labels: without the scenario when every run shares it (the title names it then).
std::vector<std::string> short_labels(const std::vector<const RunData*>& runs) {
  bool same = true;
  for (const RunData* r : runs) same &= r->run.scenario == runs.front()->run.scenario;
  std::vector<std::string> out;
  for (const RunData* r : runs) {
    if (!same) {
      out.push_back(run_label(r->run));
      continue;
    }
    out.push_back("#" + std::to_string(r->run.run_id) + " " +
                  (r->run.variant.empty() ? r->run.strategy : r->run.variant) + " s" +
                  std::to_string(r->run.seed) +
                  (r->run.backend != "sim" ? " " + r->run.backend : std::string()));
  }
  return out;
}

QString common_scenario(const std::vector<const RunData*>& runs) {
  for (const RunData* r : runs) {
    if (r->run.scenario != runs.front()->run.scenario) return {};
  }
  return runs.empty() ? QString() : q(runs.front()->run.scenario);
}

// Many entries go in a column at the right, where long names fit.
// (Markers report themselves invisible until the chart is laid out, so hidden ones are
// counted here rather than asked.)
constexpr const char* kHiddenMarkers = "herdHiddenMarkers";

void place_legend(QChart* chart) {
  const auto shown = chart->legend()->markers().size() - chart->property(kHiddenMarkers).toInt();
  chart->legend()->setAlignment(shown > 5 ? Qt::AlignRight : Qt::AlignBottom);
}

void hide_from_legend(QChart* chart, QAbstractSeries* series) {
  const auto markers = chart->legend()->markers(series);
  for (QLegendMarker* m : markers) m->setVisible(false);
  chart->setProperty(kHiddenMarkers, chart->property(kHiddenMarkers).toInt() + static_cast<int>(markers.size()));
}

void attach(QAbstractSeries* series, QAbstractAxis* x, QAbstractAxis* y) {
  series->attachAxis(x);
  series->attachAxis(y);
}

QChart* new_chart(ChartKind kind, const QString& subtitle = {}) {
  auto* chart = new QChart;
  QString title = chart_info(kind).title;
  if (!subtitle.isEmpty()) title += " — " + subtitle;
  chart->setTitle(title);
  QFont font = chart->titleFont();
  font.setPointSizeF(font.pointSizeF() * 1.2);
  font.setBold(true);
  chart->setTitleFont(font);
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->legend()->setShowToolTips(true);
  chart->setAnimationOptions(QChart::NoAnimation);
  chart->setMargins(QMargins(8, 8, 8, 8));
  return chart;
}

QChart* empty_chart(ChartKind kind, const QString& why) {
  QChart* chart = new_chart(kind, why);
  chart->legend()->hide();
  return chart;
}

// ---- propagation delay CDF --------------------------------------------------------------

// The Compare view passes its own legend labels and subtitle (run A and run B).
QChart* cdf_chart(const ChartSpec& spec, const std::vector<const RunData*>& runs,
                  const std::vector<std::string>* names = nullptr,
                  const QString* subtitle = nullptr) {
  QChart* chart = new_chart(ChartKind::cdf, subtitle ? *subtitle : common_scenario(runs));
  const auto labels = names ? *names : short_labels(runs);
  std::vector<Line> lines;
  double hi = 0, lo = 0, median = 0;
  for (const RunData* r : runs) {
    // Thinned as it is made: a million-point line is never built for drawing.
    lines.push_back(delay_cdf(*r, spec.max_points));
    for (const Point& p : lines.back().points) {
      if (p.x > 0 && (lo == 0 || p.x < lo)) lo = p.x;
    }
    if (!lines.back().points.empty()) {
      hi = std::max(hi, lines.back().points.back().x);
      median = std::max(median, lines.back().points[lines.back().points.size() / 2].x);
    }
  }
  // A long tail (faults hold some deliveries back by seconds) squeezes the body of the
  // distribution against the axis; a log scale shows both.
  const bool log_x = median > 0 && hi > 50 * median;
  QAbstractAxis* x = nullptr;
  if (log_x) {
    auto* axis = new QLogValueAxis;
    axis->setBase(10);
    axis->setTitleText("propagation delay (ms, log scale)");
    axis->setLabelFormat("%g");
    axis->setMinorTickCount(8);
    lo = std::pow(10.0, std::floor(std::log10(std::max(lo, 1e-3))));
    axis->setRange(lo, std::pow(10.0, std::ceil(std::log10(hi))));
    chart->addAxis(axis, Qt::AlignBottom);
    x = axis;
  } else {
    x = value_axis(chart, Qt::AlignBottom, "propagation delay (ms)", 0, hi);
  }
  auto* y = value_axis(chart, Qt::AlignLeft, "fraction of deliveries ≤ delay", 0, 1, false);
  y->setTickCount(6);
  y->setLabelFormat("%.1f");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    lines[i].name = labels[i] + " (n=" + std::to_string(lines[i].total) + ")";
    if (log_x) {
      for (Point& p : lines[i].points) p.x = std::max(p.x, lo);
    }
    QLineSeries* s = add_line(chart, lines[i], series_colour(i), Qt::SolidLine, 2, spec.max_points);
    attach(s, x, y);
    const QString name = q(lines[i].name);
    hover_tip(s, [name](const QPointF& p) {
      return QString("%1\n%2 ms: %3% of deliveries no later")
          .arg(name).arg(p.x(), 0, 'f', 2).arg(p.y() * 100, 0, 'f', 1);
    });
  }
  place_legend(chart);
  return chart;
}

// ---- delay by hop distance --------------------------------------------------------------

QChart* hops_chart(const std::vector<const RunData*>& runs) {
  QString scenario = common_scenario(runs);
  QChart* chart = new_chart(ChartKind::hops, (scenario.isEmpty() ? "" : scenario + ", ") +
                                                 "solid: median, dashed: 95th percentile");
  const auto labels = short_labels(runs);
  std::vector<std::vector<HopDelay>> data;
  double max_hops = 1, max_ms = 0;
  for (const RunData* r : runs) {
    data.push_back(delay_by_hops(*r));
    for (const auto& h : data.back()) {
      max_hops = std::max(max_hops, static_cast<double>(h.hops));
      max_ms = std::max(max_ms, h.p95_ms);
    }
  }
  auto* x = value_axis(chart, Qt::AlignBottom, "hops from the origin", 0, max_hops + 1, false);
  x->setTickType(QValueAxis::TicksDynamic);
  x->setTickAnchor(0);
  x->setTickInterval(max_hops > 20 ? 5 : 1);
  x->setLabelFormat("%d");
  auto* y = value_axis(chart, Qt::AlignLeft, "propagation delay (ms)", 0, max_ms);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    Line p50{labels[i], {}}, p95{labels[i] + " p95", {}};
    for (const auto& h : data[i]) {
      p50.points.push_back({static_cast<double>(h.hops), h.p50_ms});
      p95.points.push_back({static_cast<double>(h.hops), h.p95_ms});
    }
    QLineSeries* a = add_line(chart, p50, series_colour(i), Qt::SolidLine, 2.5, kEveryPoint);
    QLineSeries* b = add_line(chart, p95, series_colour(i), Qt::DashLine, 1.5, kEveryPoint);
    a->setPointsVisible(true);
    hide_from_legend(chart, b);
    for (QLineSeries* s : {a, b}) {
      attach(s, x, y);
      const auto rows = data[i];
      const QString name = q(labels[i]);
      hover_tip(s, [rows, name](const QPointF& p) {
        for (const auto& h : rows) {
          if (static_cast<double>(h.hops) == p.x()) {
            return QString("%1, %2 hops: %3 deliveries\nmedian %4 ms, p95 %5 ms, mean %6 ms, max %7 ms")
                .arg(name).arg(h.hops).arg(h.count).arg(h.p50_ms, 0, 'f', 2).arg(h.p95_ms, 0, 'f', 2)
                .arg(h.mean_ms, 0, 'f', 2).arg(h.max_ms, 0, 'f', 2);
          }
        }
        return name;
      });
    }
  }
  place_legend(chart);
  return chart;
}

// ---- staleness over time ----------------------------------------------------------------

QColor fault_colour(const std::string& kind) {
  static const std::map<std::string, QColor> colours{
      {"crash", QColor(220, 50, 47)},   {"pause", QColor(181, 137, 0)},
      {"partition", QColor(108, 113, 196)}, {"one_way", QColor(38, 139, 210)},
      {"clog", QColor(133, 153, 0)},    {"latency", QColor(211, 54, 130)},
      {"clock", QColor(42, 161, 152)}};
  auto it = colours.find(kind);
  return it == colours.end() ? QColor(120, 120, 120) : it->second;
}

QChart* staleness_chart(const ChartSpec& spec, const std::vector<const RunData*>& runs) {
  QString subtitle = "whole herd";
  if (spec.server && !runs.empty() && *spec.server < runs.front()->servers.size()) {
    subtitle = "server " + q(runs.front()->servers[*spec.server].name);
  }
  if (runs.size() > 1) subtitle += QString(", faults of run #%1").arg(runs.front()->run.run_id);
  subtitle += "; solid: max, dashed: mean";
  QChart* chart = new_chart(ChartKind::staleness, subtitle);
  const auto labels = short_labels(runs);
  std::vector<StalenessLines> lines;
  double end_s = 1, top = 0;
  for (const RunData* r : runs) {
    lines.push_back(staleness_lines(*r, spec.server));
    end_s = std::max(end_s, static_cast<double>(r->run.duration_ns + r->run.drained_ns) / 1e9);
    for (const auto& p : lines.back().max.points) top = std::max(top, p.y);
  }
  auto* x = value_axis(chart, Qt::AlignBottom, "virtual time (s)", 0, end_s);
  auto* y = value_axis(chart, Qt::AlignLeft, "staleness (ms)", 0, top > 0 ? top * 1.08 : 1);
  const double band_top = y->max();
  // Fault intervals first, so the lines draw over them: one shaded series per kind, its
  // legend entry naming the faults of that kind. Only the first run's: runs with random
  // faults each have their own schedule, and overlaid they would shade everything.
  std::map<std::string, std::vector<FaultBand>> by_kind;
  std::vector<std::string> kind_order;
  if (!runs.empty()) {
    for (auto& b : fault_bands(*runs.front())) {
      auto& list = by_kind[b.kind];
      if (list.empty()) kind_order.push_back(b.kind);
      list.push_back(b);
    }
  }
  for (const auto& kind : kind_order) {
    auto bands = by_kind[kind];
    std::sort(bands.begin(), bands.end(),
              [](const FaultBand& a, const FaultBand& b) { return a.from_s < b.from_s; });
    auto* upper = new QLineSeries;
    for (const auto& b : bands) {
      upper->append(b.from_s, 0);
      upper->append(b.from_s, band_top);
      upper->append(b.to_s, band_top);
      upper->append(b.to_s, 0);
    }
    // Short in the legend (hover a band for its servers and times).
    QString names;
    if (bands.size() == 1) {
      QString who = q(bands[0].label.substr(bands[0].kind.size() + 1));
      if (who.size() > 24) who = who.left(22) + "…";
      names = QString("%1, %2–%3 s").arg(who).arg(bands[0].from_s, 0, 'g', 4).arg(bands[0].to_s, 0, 'g', 4);
    } else {
      names = QString("×%1").arg(bands.size());
    }
    auto* area = new QAreaSeries(upper);
    area->setName(QString("%1 %2").arg(q(kind), names));
    QColor fill = fault_colour(kind);
    fill.setAlpha(45);
    area->setBrush(fill);
    QColor edge = fault_colour(kind);
    edge.setAlpha(140);
    area->setPen(QPen(edge, 1));
    chart->addSeries(area);
    attach(area, x, y);
    QObject::connect(area, &QAreaSeries::hovered, area, [bands](const QPointF& p, bool on) {
      if (!on) return QToolTip::hideText();
      for (const auto& b : bands) {
        if (p.x() >= b.from_s && p.x() <= b.to_s) {
          QToolTip::showText(QCursor::pos(), QString("%1 from %2 s to %3 s")
                                                 .arg(q(b.label)).arg(b.from_s).arg(b.to_s));
          return;
        }
      }
    });
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string who = spec.server ? "" : " (herd)";
    lines[i].max.name = labels[i] + " max" + who;
    lines[i].mean.name = labels[i] + " mean" + who;
    QLineSeries* mx = add_line(chart, lines[i].max, series_colour(i), Qt::SolidLine, 2, spec.max_points);
    QLineSeries* mean = add_line(chart, lines[i].mean, series_colour(i), Qt::DashLine, 1.5, spec.max_points);
    for (QLineSeries* s : {mx, mean}) {
      attach(s, x, y);
      const QString name = s->name();
      hover_tip(s, [name](const QPointF& p) {
        return QString("%1\nt = %2 s: %3 ms").arg(name).arg(p.x(), 0, 'f', 3).arg(p.y(), 0, 'f', 2);
      });
    }
    if (lines.size() > 2) hide_from_legend(chart, mean);
  }
  place_legend(chart);
  return chart;
}

// ---- traffic per update by kind ---------------------------------------------------------

QChart* traffic_chart(const std::vector<const RunData*>& runs) {
  QChart* chart = new_chart(ChartKind::traffic, common_scenario(runs));
  KindBars bars = traffic_per_update(runs);
  bars.runs = short_labels(runs);
  auto* series = new QStackedBarSeries;
  for (std::size_t k = 0; k < bars.kinds.size(); ++k) {
    auto* set = new QBarSet(q(bars.kinds[k]));
    for (double v : bars.values[k]) set->append(v);
    set->setColor(series_colour(k + 3));
    set->setBorderColor(series_colour(k + 3).darker(130));
    series->append(set);
    const auto kind = q(bars.kinds[k]);
    const auto labels = bars.runs;
    QObject::connect(set, &QBarSet::hovered, set, [set, kind, labels](bool on, int index) {
      if (!on) return QToolTip::hideText();
      QToolTip::showText(QCursor::pos(), QString("%1\n%2: %3 lines per update")
                                             .arg(q(labels[static_cast<std::size_t>(index)]), kind)
                                             .arg(set->at(index), 0, 'f', 2));
    });
  }
  chart->addSeries(series);
  auto* x = new QBarCategoryAxis;
  QStringList categories;
  for (const auto& r : bars.runs) categories << q(r);
  x->append(categories);
  if (bars.runs.size() > 4) x->setLabelsAngle(-35);
  chart->addAxis(x, Qt::AlignBottom);
  double top = 0;
  for (std::size_t r = 0; r < bars.runs.size(); ++r) {
    double sum = 0;
    for (std::size_t k = 0; k < bars.kinds.size(); ++k) sum += bars.values[k][r];
    top = std::max(top, sum);
  }
  auto* y = value_axis(chart, Qt::AlignLeft, "peer lines per accepted update", 0, top * 1.05);
  attach(series, x, y);
  return chart;
}

// ---- a summary metric across runs and strategies ----------------------------------------

QChart* spread_chart(ChartKind kind, const std::vector<const RunData*>& runs, const char* metric,
                     const QString& axis_title) {
  QChart* chart = new_chart(kind, QString("spread over seeds (%1)").arg(metric));
  std::vector<const sim::StoredRun*> stored;
  for (const RunData* r : runs) stored.push_back(&r->run);
  auto groups = metric_spread(stored, metric);
  auto* series = new QBoxPlotSeries;
  series->setName(QString("%1: min, quartiles, median, max per group").arg(metric));
  QStringList categories;
  double lo = 0, hi = 0;
  bool any = false;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Spread& s = groups[g];
    if (s.values.empty()) continue;
    QString label = q(s.group) + QString(" (%1 run%2").arg(s.values.size()).arg(s.values.size() == 1 ? "" : "s");
    if (s.missing > 0 && std::string_view(metric) == "convergence_ms") {
      label += QString("; %1 never converged").arg(s.missing);
    }
    label += ")";
    auto* box = new QBoxSet(s.min, s.q1, s.median, s.q3, s.max, label);
    box->setBrush(series_colour(g).lighter(150));
    box->setPen(QPen(series_colour(g).darker(120), 1.5));
    series->append(box);
    categories << label;
    lo = any ? std::min(lo, s.min) : s.min;
    hi = any ? std::max(hi, s.max) : s.max;
    any = true;
  }
  if (!any) {
    delete series;
    // convergence_ms is absent exactly when a run never converged: say that, not "has no
    // value", which reads like missing data.
    chart->setTitle(chart->title() +
                    (std::string_view(metric) == "convergence_ms"
                         ? QString(" — none of the %1 selected runs converged").arg(runs.size())
                         : QString(" — no selected run has %1").arg(metric)));
    chart->legend()->hide();
    return chart;
  }
  chart->addSeries(series);
  QObject::connect(series, &QBoxPlotSeries::hovered, series,
                   [groups, metric = QString(metric)](bool on, QBoxSet* box) {
                     if (!on || box == nullptr) return QToolTip::hideText();
                     for (const auto& s : groups) {
                       if (!box->label().startsWith(q(s.group))) continue;
                       QString values;
                       for (std::size_t i = 0; i < s.values.size() && i < 12; ++i) {
                         values += (i ? ", " : "") + QString::number(s.values[i], 'g', 4);
                       }
                       QToolTip::showText(
                           QCursor::pos(),
                           QString("%1\n%2: median %3, mean %4, min %5, max %6\nvalues: %7%8")
                               .arg(q(s.group), metric).arg(s.median, 0, 'g', 4).arg(s.mean, 0, 'g', 4)
                               .arg(s.min, 0, 'g', 4).arg(s.max, 0, 'g', 4).arg(values)
                               .arg(s.missing ? QString("\n%1 run(s) without it").arg(s.missing) : ""));
                       return;
                     }
                   });
  auto* x = new QBarCategoryAxis;
  x->append(categories);
  if (categories.size() > 3) x->setLabelsAngle(-30);
  chart->addAxis(x, Qt::AlignBottom);
  const double pad = (hi - lo) * 0.1 + (hi == lo ? std::max(1.0, std::abs(hi) * 0.1) : 0);
  auto* y = value_axis(chart, Qt::AlignLeft, axis_title, std::min(0.0, lo - pad), hi + pad);
  attach(series, x, y);
  return chart;
}

// ---- a sweep: one metric per scenario and variant ----------------------------------------

QString sweep_axis_title(const std::string& metric) {
  // Short enough to fit beside a panel a third of a page high (longer titles get elided).
  return metric == "propagation_p99_ms" ? "p99 delay (ms, log)" : "lines per update (log)";
}

// Scenario names such as "maelstrom-broadcast-grid" share long prefixes; slanted and
// elided they become indistinguishable. Axis labels are rich text, so each name is broken
// at its hyphens into lines of at most ~14 characters and drawn level.
QString category_label(const std::string& name) {
  QStringList lines{QString()};
  const QStringList parts = q(name).split('-');
  for (int i = 0; i < parts.size(); ++i) {
    const QString piece = parts[i] + (i + 1 < parts.size() ? "-" : "");
    if (!lines.back().isEmpty() && lines.back().size() + piece.size() > 14) lines << QString();
    lines.back() += piece.toHtmlEscaped();
  }
  return lines.join("<br>");
}

QChart* sweep_chart(const ChartSpec& spec, const std::vector<const RunData*>& runs) {
  std::vector<const sim::StoredRun*> stored;
  for (const RunData* r : runs) stored.push_back(&r->run);
  const SweepBars bars = sweep_bars(stored, spec.sweep_metric);
  QString sweep;
  for (const RunData* r : runs) {
    if (!r->run.sweep_id.empty()) sweep = q(r->run.sweep_id.substr(0, r->run.sweep_id.find('@')));
  }
  QChart* chart = new_chart(ChartKind::sweep, (sweep.isEmpty() ? QString() : sweep + ": ") +
                                                  (spec.sweep_metric == "propagation_p99_ms"
                                                       ? "p99 propagation delay"
                                                       : "peer lines per update"));
  // The strategies differ by orders of magnitude in lines and delay: a log axis from the
  // power of ten below the smallest mean to the one above the largest.
  double lo = 0, hi = 0;
  bool any = false;
  for (const auto& row : bars.mean) {
    for (const auto& v : row) {
      if (!v || !(*v > 0)) continue;
      lo = any ? std::min(lo, *v) : *v;
      hi = any ? std::max(hi, *v) : *v;
      any = true;
    }
  }
  if (!any) {
    chart->setTitle(chart->title() + QString(" — no selected run has %1").arg(q(spec.sweep_metric)));
    chart->legend()->hide();
    return chart;
  }
  const double axis_lo = std::pow(10.0, std::floor(std::log10(lo)));
  const double axis_hi = std::pow(10.0, std::max(std::ceil(std::log10(hi)), std::log10(axis_lo) + 1));
  auto* series = new QBarSeries;
  for (std::size_t v = 0; v < bars.variants.size(); ++v) {
    auto* set = new QBarSet(q(bars.variants[v]));
    // A missing cell is drawn at the axis floor, i.e. not at all.
    for (const auto& value : bars.mean[v]) set->append(value && *value > 0 ? *value : axis_lo);
    set->setColor(series_colour(v));
    set->setBorderColor(series_colour(v).darker(130));
    series->append(set);
    QObject::connect(set, &QBarSet::hovered, set, [bars, v](bool on, int index) {
      if (!on) return QToolTip::hideText();
      const auto s = static_cast<std::size_t>(index);
      const auto& value = bars.mean[v][s];
      QToolTip::showText(QCursor::pos(),
                         QString("%1 / %2\n%3: %4 (mean of %5 run%6)")
                             .arg(q(bars.scenarios[s]), q(bars.variants[v]), q(bars.metric))
                             .arg(value ? QString::number(*value, 'f', 2) : QString("none"))
                             .arg(bars.runs[v][s]).arg(bars.runs[v][s] == 1 ? "" : "s"));
    });
  }
  chart->addSeries(series);
  auto* x = new QBarCategoryAxis;
  QStringList categories;
  for (const auto& s : bars.scenarios) categories << category_label(s);
  x->append(categories);
  chart->addAxis(x, Qt::AlignBottom);
  auto* y = new QLogValueAxis;
  y->setBase(10);
  y->setRange(axis_lo, axis_hi);
  y->setLabelFormat("%g");
  y->setMinorTickCount(8);
  y->setTitleText(sweep_axis_title(spec.sweep_metric));
  chart->addAxis(y, Qt::AlignLeft);
  attach(series, x, y);
  place_legend(chart);
  return chart;
}

}  // namespace

const std::vector<ChartInfo>& chart_kinds() {
  static const std::vector<ChartInfo> kinds{
      {ChartKind::cdf, "cdf", "Propagation delay CDF", "Delay CDF"},
      {ChartKind::hops, "hops", "Propagation delay by hop distance", "Delay by hops"},
      {ChartKind::staleness, "staleness", "Staleness over time", "Staleness"},
      {ChartKind::traffic, "traffic", "Traffic per update by message kind", "Traffic"},
      {ChartKind::rmr, "rmr", "Relative message redundancy", "RMR"},
      {ChartKind::ldh, "ldh", "Last delivery hop", "LDH"},
      {ChartKind::convergence, "convergence", "Convergence time", "Convergence"},
      {ChartKind::sweep, "sweep", "Sweep", "Sweep"},
  };
  return kinds;
}

std::optional<ChartKind> chart_from_name(std::string_view name) {
  for (const auto& k : chart_kinds()) {
    if (name == k.name) return k.kind;
  }
  return std::nullopt;
}

const ChartInfo& chart_info(ChartKind kind) {
  for (const auto& k : chart_kinds()) {
    if (k.kind == kind) return k;
  }
  return chart_kinds().front();
}

QColor series_colour(std::size_t i) {
  // Okabe-Ito, then Tableau's remaining hues.
  static const QColor palette[] = {
      QColor(0, 114, 178),  QColor(213, 94, 0),   QColor(0, 158, 115),  QColor(204, 121, 167),
      QColor(230, 159, 0),  QColor(86, 180, 233), QColor(120, 94, 240), QColor(140, 86, 75),
      QColor(127, 127, 127), QColor(188, 189, 34), QColor(23, 190, 207), QColor(214, 39, 40)};
  return palette[i % (sizeof palette / sizeof palette[0])];
}

std::string compare_label(char which, const RunData& run) {
  std::string label = std::string(1, which) + ": run " + std::to_string(run.run.run_id) + ", " +
                      run.run.backend + ", " + run.run.scenario;
  if (!run.run.variant.empty() || !run.run.strategy.empty()) {
    label += ", " + (run.run.variant.empty() ? run.run.strategy : run.run.variant);
  }
  return label + ", seed " + std::to_string(run.run.seed);
}

QChart* build_compare_chart(const RunData* a, const RunData* b, std::size_t max_points) {
  if (a == nullptr || b == nullptr) {
    return empty_chart(ChartKind::cdf, "select exactly two runs to compare");
  }
  ChartSpec spec;
  spec.kind = ChartKind::cdf;
  spec.max_points = max_points;
  const std::vector<std::string> names{compare_label('A', *a), compare_label('B', *b)};
  const QString subtitle = a->run.scenario == b->run.scenario
                               ? q(a->run.scenario) + ": A against B"
                               : QString("A against B");
  QChart* chart = cdf_chart(spec, {a, b}, &names, &subtitle);
  // Two long names: one above the other reads better than side by side.
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

QChart* build_chart(const ChartSpec& spec, const std::vector<const RunData*>& runs) {
  if (runs.empty()) return empty_chart(spec.kind, "select one or more runs");
  switch (spec.kind) {
    case ChartKind::cdf: return cdf_chart(spec, runs);
    case ChartKind::hops: return hops_chart(runs);
    case ChartKind::staleness: return staleness_chart(spec, runs);
    case ChartKind::traffic: return traffic_chart(runs);
    case ChartKind::rmr:
      return spread_chart(spec.kind, runs, "rmr", "relative message redundancy (M / Σ(holders−1) − 1)");
    case ChartKind::ldh: return spread_chart(spec.kind, runs, "ldh_max", "last delivery hop (hops)");
    case ChartKind::convergence:
      return spread_chart(spec.kind, runs, "convergence_ms", "convergence time (ms)");
    case ChartKind::sweep: return sweep_chart(spec, runs);
  }
  return empty_chart(spec.kind, "unknown chart");
}

Table chart_table(const ChartSpec& spec, const std::vector<const RunData*>& runs) {
  Table t;
  switch (spec.kind) {
    case ChartKind::cdf:
      t.header = {"run_id", "run", "delay_ms", "fraction"};
      for (const RunData* r : runs) {
        for (const auto& p : delay_cdf(*r).points) {
          t.rows.push_back({std::to_string(r->run.run_id), run_label(r->run), num(p.x, 9), num(p.y, 9)});
        }
      }
      break;
    case ChartKind::hops:
      t.header = {"run_id", "run", "hops", "deliveries", "p50_ms", "p95_ms", "mean_ms", "max_ms"};
      for (const RunData* r : runs) {
        for (const auto& h : delay_by_hops(*r)) {
          t.rows.push_back({std::to_string(r->run.run_id), run_label(r->run), std::to_string(h.hops),
                            std::to_string(h.count), num(h.p50_ms, 9), num(h.p95_ms, 9),
                            num(h.mean_ms, 9), num(h.max_ms, 9)});
        }
      }
      break;
    case ChartKind::staleness:
      t.header = {"run_id", "run", "who", "t_s", "max_ms", "mean_ms"};
      for (const RunData* r : runs) {
        auto lines = staleness_lines(*r, spec.server);
        std::string who = spec.server ? std::to_string(*spec.server) : "herd";
        for (std::size_t i = 0; i < lines.max.points.size(); ++i) {
          t.rows.push_back({std::to_string(r->run.run_id), run_label(r->run), who,
                            num(lines.max.points[i].x, 9), num(lines.max.points[i].y, 9),
                            num(lines.mean.points[i].y, 9)});
        }
      }
      break;
    case ChartKind::traffic: {
      t.header = {"run_id", "run", "kind", "lines_per_update"};
      KindBars bars = traffic_per_update(runs);
      for (std::size_t r = 0; r < runs.size(); ++r) {
        for (std::size_t k = 0; k < bars.kinds.size(); ++k) {
          t.rows.push_back({std::to_string(runs[r]->run.run_id), bars.runs[r], bars.kinds[k],
                            num(bars.values[k][r], 9)});
        }
      }
      break;
    }
    case ChartKind::rmr:
    case ChartKind::ldh:
    case ChartKind::convergence: {
      const char* metric = spec.kind == ChartKind::rmr   ? "rmr"
                           : spec.kind == ChartKind::ldh ? "ldh_max"
                                                         : "convergence_ms";
      t.header = {"group", "run_id", metric};
      std::vector<const sim::StoredRun*> stored;
      for (const RunData* r : runs) stored.push_back(&r->run);
      for (const auto& s : metric_spread(stored, metric)) {
        for (std::size_t i = 0; i < s.values.size(); ++i) {
          t.rows.push_back({s.group, std::to_string(s.run_ids[i]), num(s.values[i], 9)});
        }
      }
      break;
    }
    case ChartKind::sweep: {
      t.header = {"scenario", "variant", "runs", spec.sweep_metric};
      std::vector<const sim::StoredRun*> stored;
      for (const RunData* r : runs) stored.push_back(&r->run);
      const SweepBars bars = sweep_bars(stored, spec.sweep_metric);
      for (std::size_t s = 0; s < bars.scenarios.size(); ++s) {
        for (std::size_t v = 0; v < bars.variants.size(); ++v) {
          if (!bars.mean[v][s]) continue;
          t.rows.push_back({bars.scenarios[s], bars.variants[v], std::to_string(bars.runs[v][s]),
                            num(*bars.mean[v][s], 9)});
        }
      }
      break;
    }
  }
  return t;
}

}  // namespace herd::gui
