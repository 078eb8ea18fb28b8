#pragma once
// A message-sequence view of a run's message trace (herd/sim/trace.hpp, docs/traces.md):
// one vertical lifeline per server, time flowing down, one arrow per peer line from its
// send to its receipt, coloured by kind; lost and dropped lines end in a cross.

#include <QWidget>
#include <cstdint>
#include <optional>
#include <vector>

#include "herd/sim/trace.hpp"

class QLabel;
class QDoubleSpinBox;

namespace herd::gui {

struct SequenceArrow {
  std::size_t from_lane = 0, to_lane = 0;
  std::int64_t send_ns = 0, recv_ns = 0;
  sim::MessageKind kind = sim::MessageKind::other;
  sim::MessageOutcome outcome = sim::MessageOutcome::delivered;
};

struct SequenceLayout {
  std::vector<std::uint32_t> lanes;  // server ids, in order of first appearance
  std::vector<SequenceArrow> arrows;
  std::size_t left_out = 0;          // peer lines touching servers past max_lanes
};

// Peer lines only (client commands and replies have no lifeline), in send order; at most
// max_lanes servers get a lifeline.
[[nodiscard]] SequenceLayout sequence_layout(const std::vector<sim::TraceMessage>& messages,
                                             std::size_t max_lanes);

class SequenceView : public QWidget {
  Q_OBJECT
 public:
  static constexpr std::size_t kMaxLanes = 16;
  static constexpr std::uint64_t kMaxMessages = 20'000;

  explicit SequenceView(QWidget* parent = nullptr);
  // Shows run_id's trace from from_ns for length_ns; a run without a trace shows why.
  void show_trace(const QString& db, std::int64_t run_id, std::int64_t from_ns,
                  std::int64_t length_ns);
  [[nodiscard]] const SequenceLayout& layout() const noexcept { return layout_; }
  [[nodiscard]] const QString& note() const noexcept { return note_; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  SequenceLayout layout_;
  std::vector<QString> names_;
  std::int64_t from_ns_ = 0, length_ns_ = 1;
  QString note_;
};

}  // namespace herd::gui
