#pragma once
// The simulator's agenda: events ordered by (virtual time, insertion sequence), so events at
// the same instant run in the order they were scheduled and every run replays identically.

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "herd/core/time.hpp"

namespace herd::sim {

using core::Nanoseconds;

enum class EventKind : std::uint8_t {
  deliver_peer,    // a = link, payload = in-flight message slot
  deliver_client,  // a = server, payload = client command slot
  server_timer,    // a = server
  link_up,         // a = link
  fault_start,     // payload = fault index
  fault_end,       // payload = fault index
  iamat,           // the workload's next IAMAT
  whatsat,         // the workload's next WHATSAT
  scripted,        // payload = script line index
  sample,          // staleness sampling tick
};

// 24 bytes: the heap moves these around constantly, so they are kept small. The insertion
// sequence and the kind share one word (sequence in the high 56 bits keeps the order).
struct Event {
  Nanoseconds at_ns = 0;
  std::uint64_t sequence_and_kind = 0;
  std::uint32_t a = 0;
  std::uint32_t payload = 0;

  [[nodiscard]] EventKind kind() const noexcept {
    return static_cast<EventKind>(sequence_and_kind & 0xff);
  }
  [[nodiscard]] std::uint64_t sequence() const noexcept { return sequence_and_kind >> 8; }
};

// A 4-ary min-heap: half the depth of a binary heap, and a node's four children share a
// cache line or two, which matters once a big herd has tens of thousands of messages in
// flight. Order is a strict total order on (time, sequence), so any correct heap pops the
// same sequence of events: the layout is free to change without touching determinism.
class EventQueue {
 public:
  // payload must fit 32 bits (slot and fault indices do; a simulation that needs more
  // in flight at once fails loudly rather than wrapping).
  void push(Nanoseconds at_ns, EventKind kind, std::uint32_t a = 0, std::uint64_t payload = 0) {
    push_sequenced(make(at_ns, kind, a, payload));
  }
  // The event push() would queue, with the next sequence number, for a queue of its own:
  // the threads of a parallel run keep their servers' events apart, in the one order.
  [[nodiscard]] Event make(Nanoseconds at_ns, EventKind kind, std::uint32_t a = 0,
                           std::uint64_t payload = 0) {
    assert(payload <= 0xffffffffULL);
    if (payload > 0xffffffffULL) throw std::length_error("event payload beyond 32 bits");
    return Event{at_ns, (next_sequence_++ << 8) | static_cast<std::uint8_t>(kind), a,
                 static_cast<std::uint32_t>(payload)};
  }
  // Queues an event made by make(), this queue's or another's, keeping its sequence.
  void push_sequenced(const Event& e) {
    // Sift up: move parents down until e's place is found.
    std::size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      std::size_t parent = (i - 1) / kArity;
      if (!earlier(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] const Event& top() const { return heap_.front(); }
  // The event after top(), as things stand (the earliest of the root's children); null if
  // there is none. For prefetching: pushes may still put something before it.
  [[nodiscard]] const Event* second() const noexcept {
    const std::size_t n = heap_.size();
    if (n < 2) return nullptr;
    const Event* best = &heap_[1];
    for (std::size_t c = 2; c <= kArity && c < n; ++c) {
      if (earlier(heap_[c], *best)) best = &heap_[c];
    }
    return best;
  }
  Event pop() {
    Event first = heap_.front();
    Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return first;
    // Sift the last event down from the root: move the earliest child up while it is
    // earlier than `last`.
    std::size_t i = 0;
    for (;;) {
      std::size_t child = i * kArity + 1;
      if (child >= n) break;
      std::size_t best = child;
      const std::size_t end = std::min(child + kArity, n);
      for (std::size_t c = child + 1; c < end; ++c) {
        if (earlier(heap_[c], heap_[best])) best = c;
      }
      if (!earlier(heap_[best], last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
    return first;
  }
  void reserve(std::size_t n) { heap_.reserve(n); }
  // Gives back room reserved for a burst that is over; the order of events is unchanged.
  void shrink_to_fit() { heap_.shrink_to_fit(); }
  // The queue's order: whether x comes before y.
  static bool earlier(const Event& x, const Event& y) noexcept {
    return x.at_ns != y.at_ns ? x.at_ns < y.at_ns : x.sequence_and_kind < y.sequence_and_kind;
  }

 private:
  static constexpr std::size_t kArity = 4;
  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace herd::sim
