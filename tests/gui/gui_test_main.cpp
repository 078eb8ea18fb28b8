// Catch2 with a QApplication: every gui test draws real widgets, on Qt's offscreen platform
// unless the environment chose another. Listing the tests (catch_discover_tests does, at
// build time) needs no application.
#define CATCH_CONFIG_RUNNER
#include <QApplication>
#include <QStandardPaths>
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--list", 6) == 0) listing = true;
  }
  std::unique_ptr<QApplication> app;
  if (!listing) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    // Recent files and other settings go to a test location, not the user's.
    QStandardPaths::setTestModeEnabled(true);
    app = std::make_unique<QApplication>(argc, argv);
    QApplication::setOrganizationName("herd-tests");
    QApplication::setApplicationName("herd-dash-tests");
  }
  return Catch::Session().run(argc, argv);
}
