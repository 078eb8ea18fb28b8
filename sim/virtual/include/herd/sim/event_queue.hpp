#pragma once
// The simulator's agenda: events ordered by (virtual time, insertion sequence), so events at
// the same instant run in the order they were scheduled and every run replays identically.

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstdint>
#include <stdexcept>
#include <utility>
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

// 24 bytes: the queue moves these around constantly, so they are kept small. The insertion
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

// A radix heap with a sorted front run. A simulation never schedules into the past, so the
// times it pops only grow; a radix heap exploits that. Events wait in 64 buckets by the
// highest bit in which their time differs from a base time, every one of them later than
// the base. The front run holds, in order, the events at or before the base. When the front
// runs short, the lowest bucket either joins it whole (sorted, when small) or is split into
// lower buckets around its earliest time, which becomes the base.
//
// Why not a heap: a heap pops with a dozen cache misses once a big herd has millions of
// messages in flight (its start-up greetings, one a link, are all in flight at time 0); a
// bucket is read and written in sequence, so each event costs a few streamed bytes per
// move and moves a few times at most. Buckets are lists of fixed chunks, taken from and
// given back to a small pool, so splitting a bucket never holds two copies of it.
//
// Order is a strict total order on (time, sequence), so any correct queue pops the same
// sequence of events: the structure is free to change without touching determinism. It
// stays correct for any order of pushes, an event before the current time included (it
// then pops next, where the simulation's checks see it).
class EventQueue {
 public:
  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;
  EventQueue(EventQueue&& other) noexcept { swap(other); }
  EventQueue& operator=(EventQueue&& other) noexcept {
    EventQueue gone(std::move(other));
    swap(gone);
    return *this;
  }
  ~EventQueue() {
    for (Bucket& b : buckets_) free_list(b.head);
    free_list(pool_);
  }

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
    const std::uint64_t k = key(e);
    ++size_;
    if (k <= base_) {
      insert_front(e);
    } else {
      append(bucket_of(k), e);
    }
  }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // After a push into an empty front run, looking fills it (from the buckets) first.
  [[nodiscard]] const Event& top() const {
    if (head_ == front_.size()) refill(1);
    return front_[head_];
  }
  // The event n places after top() as things stand (ahead(0) is top()); null when the
  // front run does not hold it, which after a pop it does for n < kAhead whenever the queue
  // has that many events. For prefetching: pushes may still put something before it.
  // Nothing moves, so top()'s reference stays good.
  [[nodiscard]] const Event* ahead(std::size_t n) const noexcept {
    return front_.size() - head_ > n ? &front_[head_ + n] : nullptr;
  }
  [[nodiscard]] const Event* second() const noexcept { return ahead(1); }
  // How far ahead() sees after a pop.
  static constexpr std::size_t kAhead = 5;
  Event pop() {
    if (head_ == front_.size()) refill(1);
    const Event first = front_[head_++];
    --size_;
    if (front_.size() - head_ < kAhead && nonempty_ != 0) {
      refill(kAhead);
    } else if (head_ == front_.size()) {
      front_.clear();
      head_ = 0;
    } else if (head_ >= kCompactAfter && head_ * 2 >= front_.size()) {
      // A long run at one time, fed as fast as it is eaten, does not grow without bound.
      front_.erase(front_.begin(), front_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    return first;
  }
  // Gives back room held for a burst that is over; the order of events is unchanged.
  void shrink_to_fit() {
    front_.erase(front_.begin(), front_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
    front_.shrink_to_fit();
    free_list(pool_);
    pool_ = nullptr;
    pooled_ = 0;
  }
  // The queue's order: whether x comes before y.
  static bool earlier(const Event& x, const Event& y) noexcept {
    return x.at_ns != y.at_ns ? x.at_ns < y.at_ns : x.sequence_and_kind < y.sequence_and_kind;
  }

 private:
  // 1,000 events (24,000 bytes) a chunk; the pool keeps a few for the buckets' next growth.
  static constexpr std::uint32_t kChunkEvents = 1000;
  static constexpr std::size_t kPoolChunks = 16;
  // A bucket this small joins the front run whole instead of being split.
  static constexpr std::size_t kJoinWhole = 32;
  static constexpr std::size_t kCompactAfter = 4096;

  struct Chunk {
    Chunk* next = nullptr;
    std::uint32_t count = 0;
    Event events[kChunkEvents];
  };
  struct Bucket {
    Chunk* head = nullptr;
    Chunk* tail = nullptr;
    std::size_t size = 0;
  };

  // Times as unsigned keys in the same order (negative times before positive ones).
  static std::uint64_t key(const Event& e) noexcept {
    return static_cast<std::uint64_t>(e.at_ns) ^ (std::uint64_t{1} << 63);
  }
  [[nodiscard]] unsigned bucket_of(std::uint64_t k) const noexcept {
    return static_cast<unsigned>(std::bit_width(k ^ base_)) - 1;
  }

  void insert_front(const Event& e) {
    if (head_ == front_.size() || !earlier(e, front_.back())) {
      front_.push_back(e);
      return;
    }
    auto at = std::upper_bound(front_.begin() + static_cast<std::ptrdiff_t>(head_), front_.end(),
                               e, earlier);
    front_.insert(at, e);
  }

  void append(unsigned b, const Event& e) const {
    Bucket& bucket = buckets_[b];
    if (bucket.tail == nullptr || bucket.tail->count == kChunkEvents) {
      Chunk* c = take_chunk();
      if (bucket.tail == nullptr) {
        bucket.head = c;
      } else {
        bucket.tail->next = c;
      }
      bucket.tail = c;
    }
    bucket.tail->events[bucket.tail->count++] = e;
    ++bucket.size;
    nonempty_ |= std::uint64_t{1} << b;
  }

  // Moves events from the lowest buckets into the front run until it holds `want` events
  // or the buckets are empty.
  void refill(std::size_t want) const {
    front_.erase(front_.begin(), front_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
    while (front_.size() < want && nonempty_ != 0) {
      const auto b = static_cast<unsigned>(std::countr_zero(nonempty_));
      Bucket bucket = buckets_[b];
      buckets_[b] = Bucket{};
      nonempty_ &= ~(std::uint64_t{1} << b);
      const std::size_t start = front_.size();
      if (bucket.size <= kJoinWhole) {
        // Every event in the lowest bucket is before every event in the others.
        for (Chunk* c = bucket.head; c != nullptr;) {
          front_.insert(front_.end(), c->events, c->events + c->count);
          c = give_chunk(c);
        }
        std::sort(front_.begin() + static_cast<std::ptrdiff_t>(start), front_.end(), earlier);
        base_ = key(front_.back());
        continue;
      }
      // Split around the bucket's earliest time: it becomes the base, the events at it
      // join the front run, and every other one lands in a lower bucket (they share the
      // bits above this bucket's with the base).
      std::uint64_t least = ~std::uint64_t{0};
      for (const Chunk* c = bucket.head; c != nullptr; c = c->next) {
        for (std::uint32_t i = 0; i < c->count; ++i) least = std::min(least, key(c->events[i]));
      }
      base_ = least;
      for (Chunk* c = bucket.head; c != nullptr;) {
        for (std::uint32_t i = 0; i < c->count; ++i) {
          const Event& e = c->events[i];
          const std::uint64_t k = key(e);
          if (k == least) {
            front_.push_back(e);
          } else {
            append(bucket_of(k), e);
          }
        }
        c = give_chunk(c);
      }
      std::sort(front_.begin() + static_cast<std::ptrdiff_t>(start), front_.end(), earlier);
    }
  }

  Chunk* take_chunk() const {
    if (pool_ == nullptr) return new Chunk;
    Chunk* c = pool_;
    pool_ = c->next;
    --pooled_;
    c->next = nullptr;
    c->count = 0;
    return c;
  }
  // Returns the chunk after c.
  Chunk* give_chunk(Chunk* c) const noexcept {
    Chunk* next = c->next;
    if (pooled_ < kPoolChunks) {
      c->next = pool_;
      pool_ = c;
      ++pooled_;
    } else {
      delete c;
    }
    return next;
  }
  static void free_list(Chunk* c) noexcept {
    while (c != nullptr) {
      Chunk* next = c->next;
      delete c;
      c = next;
    }
  }
  void swap(EventQueue& other) noexcept {
    std::swap(front_, other.front_);
    std::swap(head_, other.head_);
    std::swap(buckets_, other.buckets_);
    std::swap(nonempty_, other.nonempty_);
    std::swap(base_, other.base_);
    std::swap(size_, other.size_);
    std::swap(pool_, other.pool_);
    std::swap(pooled_, other.pooled_);
    std::swap(next_sequence_, other.next_sequence_);
  }

  // top() fills an empty front run from the buckets, lazily: pushes that come before the
  // next look (a start-up burst) land in buckets, not by sorted insertion in the front
  // run. So the structure is mutable; the order it gives is not.
  mutable std::vector<Event> front_;  // sorted; front_[head_] is the next event
  mutable std::size_t head_ = 0;
  mutable std::array<Bucket, 64> buckets_{};
  mutable std::uint64_t nonempty_ = 0;  // bit b: buckets_[b] holds events
  mutable std::uint64_t base_ = 0;      // front run's keys <= base_ < every bucketed key
  std::size_t size_ = 0;
  mutable Chunk* pool_ = nullptr;
  mutable std::size_t pooled_ = 0;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace herd::sim
