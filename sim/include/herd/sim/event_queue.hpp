#pragma once
// The simulator's agenda: events ordered by (virtual time, insertion sequence), so events at
// the same instant run in the order they were scheduled and every run replays identically.

#include <algorithm>
#include <cassert>
#include <cstdint>
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

struct Event {
  Nanoseconds at_ns = 0;
  std::uint64_t sequence = 0;
  EventKind kind = EventKind::sample;
  std::uint32_t a = 0;
  std::uint64_t payload = 0;
};

class EventQueue {
 public:
  void push(Nanoseconds at_ns, EventKind kind, std::uint32_t a = 0, std::uint64_t payload = 0) {
    heap_.push_back(Event{at_ns, next_sequence_++, kind, a, payload});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] const Event& top() const { return heap_.front(); }
  Event pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Event e = heap_.back();
    heap_.pop_back();
    return e;
  }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  // std::*_heap keeps the "largest" first; "later" makes that the earliest event.
  static bool later(const Event& x, const Event& y) noexcept {
    return x.at_ns != y.at_ns ? x.at_ns > y.at_ns : x.sequence > y.sequence;
  }
  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace herd::sim
