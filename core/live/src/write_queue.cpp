#include "herd/live/write_queue.hpp"

#include <utility>

namespace herd::live {

void WriteQueue::push(core::SharedText bytes) {
  if (!bytes || bytes->empty()) return;
  pending_bytes_ += bytes->size();
  queued_.push_back(std::move(bytes));
}

std::vector<boost::asio::const_buffer> WriteQueue::start_batch() {
  std::vector<boost::asio::const_buffer> buffers;
  buffers.reserve(queued_.size());
  while (!queued_.empty()) {
    in_flight_bytes_ += queued_.front()->size();
    buffers.emplace_back(queued_.front()->data(), queued_.front()->size());
    in_flight_.push_back(std::move(queued_.front()));
    queued_.pop_front();
  }
  return buffers;
}

void WriteQueue::finish_batch() {
  pending_bytes_ -= in_flight_bytes_;
  in_flight_bytes_ = 0;
  in_flight_.clear();
}

std::size_t WriteQueue::clear() {
  // The in-flight batch stays until its write completes: the socket operation may still
  // point into it, even after the socket was closed.
  const std::size_t dropped = queued_.size() + in_flight_.size();
  queued_.clear();
  pending_bytes_ = in_flight_bytes_;
  return dropped;
}

}  // namespace herd::live
