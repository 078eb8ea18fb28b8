#pragma once
// Bytes waiting to go out on one socket. Writes are gathered: everything queued while one
// async_write is in flight goes out in the next single write, so a burst of small replies
// costs one system call, not one each.

#include <cstddef>
#include <deque>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "herd/core/record_store.hpp"

namespace herd::live {

class WriteQueue {
 public:
  void push(core::SharedText bytes);

  // Moves everything queued into the in-flight batch and returns its buffers. The buffers
  // stay valid until finish_batch() or clear().
  [[nodiscard]] std::vector<boost::asio::const_buffer> start_batch();
  void finish_batch();

  [[nodiscard]] bool writing() const noexcept { return !in_flight_.empty(); }
  [[nodiscard]] bool has_queued() const noexcept { return !queued_.empty(); }
  [[nodiscard]] bool idle() const noexcept { return queued_.empty() && in_flight_.empty(); }
  // Bytes queued or in flight: what the peer has not yet taken from us.
  [[nodiscard]] std::size_t pending_bytes() const noexcept { return pending_bytes_; }

  // Drops what is queued (the in-flight batch is released by finish_batch); returns how many
  // messages were never completely written.
  std::size_t clear();

 private:
  std::deque<core::SharedText> queued_;
  std::vector<core::SharedText> in_flight_;
  std::size_t pending_bytes_ = 0;
  std::size_t in_flight_bytes_ = 0;
};

}  // namespace herd::live
