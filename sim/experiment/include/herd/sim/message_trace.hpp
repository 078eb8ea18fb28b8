#pragma once
// Message traces, write side: what a runtime records while a run goes, when the run asks for
// a trace (docs/traces.md). One flat array of 40-byte rows, appended in send order (which is
// send-time order: virtual time never goes back), and patched in place when the receiver
// handles the message. Nothing per message is allocated but the row.

#include <cstdint>
#include <cstddef>
#include <limits>
#include <memory>
#include <vector>

#include "herd/core/time.hpp"
#include "herd/sim/scenario.hpp"  // kMaxTraceLimit
#include "herd/sim/trace.hpp"

namespace herd::sim {

// One message as recorded. Client ends are connection numbers: `from` of a client command
// and `to` of a reply hold the connection's number (low 32 bits); the kind says which.
struct MessageRecord {
  core::Nanoseconds send_ns = 0;
  core::Nanoseconds recv_ns = 0;  // see TraceMessage::recv_ns
  std::uint64_t update = 0;       // core::update_id of the AT line it carries; 0: none
  std::uint32_t from = 0;
  std::uint32_t to = 0;
  std::uint32_t bytes = 0;
  MessageKind kind = MessageKind::other;
  MessageOutcome outcome = MessageOutcome::in_flight;
};
static_assert(sizeof(MessageRecord) == 40, "keep trace rows compact");

// Rows live in fixed blocks of 2^16 (2.5 MB): growing never copies what is recorded, and the
// memory a trace holds is what it recorded, not twice that.
class MessageTrace {
 public:
  static constexpr std::uint32_t kNoRow = std::numeric_limits<std::uint32_t>::max();
  static constexpr unsigned kBlockBits = 16;
  static constexpr std::size_t kBlockRows = std::size_t{1} << kBlockBits;

  explicit MessageTrace(std::uint64_t limit) : limit_(limit < kMaxTraceLimit ? limit : kMaxTraceLimit) {}

  // Appends a row; past the limit records only that a message went unrecorded, and returns
  // kNoRow.
  std::uint32_t add(const MessageRecord& row) {
    if (size_ >= limit_) {
      if (unrecorded_++ == 0) truncated_at_ns_ = row.send_ns;
      return kNoRow;
    }
    if ((size_ & (kBlockRows - 1)) == 0) blocks_.push_back(std::make_unique<MessageRecord[]>(kBlockRows));
    const auto index = static_cast<std::uint32_t>(size_++);
    (*this)[index] = row;
    return index;
  }
  [[nodiscard]] MessageRecord& row(std::uint32_t index) { return (*this)[index]; }
  [[nodiscard]] MessageRecord& operator[](std::size_t i) {
    return blocks_[i >> kBlockBits][i & (kBlockRows - 1)];
  }
  [[nodiscard]] const MessageRecord& operator[](std::size_t i) const {
    return blocks_[i >> kBlockBits][i & (kBlockRows - 1)];
  }
  // Rows recorded, in send order.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::uint64_t limit() const noexcept { return limit_; }
  [[nodiscard]] bool truncated() const noexcept { return unrecorded_ > 0; }
  [[nodiscard]] std::uint64_t unrecorded() const noexcept { return unrecorded_; }
  [[nodiscard]] core::Nanoseconds truncated_at_ns() const noexcept { return truncated_at_ns_; }

  // Visits every row in send order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t i = 0; i < size_; ++i) visit((*this)[i]);
  }

 private:
  std::uint64_t limit_;
  std::vector<std::unique_ptr<MessageRecord[]>> blocks_;
  std::size_t size_ = 0;
  std::uint64_t unrecorded_ = 0;
  core::Nanoseconds truncated_at_ns_ = 0;
};

}  // namespace herd::sim
