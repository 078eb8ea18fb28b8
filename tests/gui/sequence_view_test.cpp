// The message-sequence view (gui/lib/src/sequence_view.cpp) against a run stored with its
// message trace: every peer line of the window becomes one arrow between lifelines.
#include "herd/gui/sequence_view.hpp"

#include <catch2/catch.hpp>

#include "dash_fixture.hpp"

using namespace herd::gui;

TEST_CASE("the sequence view draws a traced run's peer lines", "[gui][trace]") {
  herd::testing::TempDir dir{"herd-seq"};
  const auto db = dir.path() / "results.db";
  const auto traced = herd::testing::store_dash_run(db, {"scenario.trace=true"});
  const auto plain = herd::testing::store_dash_run(db, {"scenario.seed=2"});

  herd::sim::TraceQuery window;
  window.from_ns = 0;
  window.to_ns = 1'000'000'000;
  auto trace = herd::sim::read_trace(db, traced, window);
  std::size_t peer = 0;
  for (const auto& m : trace.messages) peer += herd::sim::is_peer_kind(m.kind) && m.from_server && m.to_server;
  REQUIRE(peer > 20);

  SequenceLayout all = sequence_layout(trace.messages, 64);
  CHECK(all.arrows.size() == peer);
  CHECK(all.left_out == 0);
  CHECK(all.lanes.size() <= 12);
  for (const auto& a : all.arrows) {
    CHECK(a.from_lane != a.to_lane);
    CHECK(a.recv_ns >= a.send_ns);
  }
  SequenceLayout few = sequence_layout(trace.messages, 3);
  CHECK(few.lanes.size() == 3);
  CHECK(few.arrows.size() + few.left_out == peer);

  SequenceView view;
  view.resize(900, 600);
  view.show_trace(QString::fromStdString(db.string()), traced, 0, 1'000'000'000);
  CHECK(view.layout().arrows.size() == std::min<std::size_t>(peer, view.layout().arrows.size()));
  CHECK(view.layout().arrows.size() + view.layout().left_out == peer);
  QImage image = view.grab().toImage();
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 2) {
    for (int x = 0; x < image.width(); x += 2) colours.insert(image.pixel(x, y));
  }
  CHECK(colours.size() > 20);

  // A run without a trace says so instead of drawing.
  view.show_trace(QString::fromStdString(db.string()), plain, 0, 1'000'000'000);
  CHECK(view.layout().arrows.empty());
  CHECK_FALSE(view.note().isEmpty());
}
