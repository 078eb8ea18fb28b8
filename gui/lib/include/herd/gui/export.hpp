#pragma once
// Saving what the dashboard shows: a widget (a chart, the topology view) as PNG or SVG, a
// chart's data as CSV. Each returns an empty string on success, else what went wrong.

#include <QString>
#include <string>

class QWidget;

namespace herd::gui {

// By the file's extension: .png or .svg (anything else is refused).
[[nodiscard]] QString save_image(QWidget* widget, const QString& path);
[[nodiscard]] QString save_png(QWidget* widget, const QString& path);
[[nodiscard]] QString save_svg(QWidget* widget, const QString& path, const QString& title = {});
[[nodiscard]] QString save_text(const QString& path, const std::string& text);

}  // namespace herd::gui
