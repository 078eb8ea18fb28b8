#include "herd/gui/export.hpp"

#include <QFile>
#include <QImage>
#include <QPainter>
#include <QPixmap>
#include <QSvgGenerator>
#include <QWidget>

namespace herd::gui {

QString save_image(QWidget* widget, const QString& path) {
  if (path.endsWith(".png", Qt::CaseInsensitive)) return save_png(widget, path);
  if (path.endsWith(".svg", Qt::CaseInsensitive)) return save_svg(widget, path);
  return path + ": unknown image type (use .png or .svg)";
}

QString save_png(QWidget* widget, const QString& path) {
  const QPixmap pixmap = widget->grab();
  if (pixmap.isNull()) return path + ": nothing to save (the view has no size)";
  if (!pixmap.save(path, "PNG")) return path + ": cannot write the PNG file";
  return {};
}

QString save_svg(QWidget* widget, const QString& path, const QString& title) {
  QSvgGenerator svg;
  svg.setFileName(path);
  svg.setSize(widget->size());
  svg.setViewBox(QRect(QPoint(0, 0), widget->size()));
  svg.setTitle(title.isEmpty() ? QString("herd-dash") : title);
  svg.setDescription("Drawn by herd-dash");
  QPainter painter;
  if (!painter.begin(&svg)) return path + ": cannot write the SVG file";
  widget->render(&painter);
  painter.end();
  if (!QFile::exists(path)) return path + ": cannot write the SVG file";
  return {};
}

QString save_text(const QString& path, const std::string& text) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    return path + ": cannot write: " + file.errorString();
  }
  if (file.write(text.data(), static_cast<qint64>(text.size())) != static_cast<qint64>(text.size())) {
    return path + ": cannot write: " + file.errorString();
  }
  return {};
}

}  // namespace herd::gui
