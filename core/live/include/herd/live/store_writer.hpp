#pragma once
// Commits a durable store's batches on a thread of its own, so the event loop goes on reading
// and handling input while a commit (and, with sync = full, its fsync) is under way
// (docs/durability.md). One batch is in hand at a time: the runtime stages what arrives
// meanwhile and hands it over, as one transaction, once the batch in hand is written.
//
// The runtime's thread owns everything but the rows' bytes, which it keeps alive and
// unchanged until the batch is done; the writer thread only reads them and the store.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "herd/live/durable_store.hpp"

namespace herd::live {

class StoreWriter {
 public:
  struct Outcome {
    std::size_t rows = 0;
    std::optional<std::string> error;  // set: the commit failed and was rolled back (why)
  };

  // `written` is called on the writer thread after each batch, success or not; it must only
  // hand the news to the runtime's thread (e.g. post to its io_context), which then calls
  // take(). The store must outlive the writer.
  StoreWriter(DurableStore& store, std::function<void()> written);
  ~StoreWriter();  // waits for the batch in hand, then ends the thread
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Hands a batch over; only while !busy(). The bytes the rows view must stay put until its
  // outcome has been taken.
  void submit(std::vector<DurableStore::Row> rows);
  // A batch was submitted and its outcome not taken yet.
  [[nodiscard]] bool busy() const noexcept { return busy_; }
  // The outcome of the batch in hand if it is written, without waiting.
  [[nodiscard]] std::optional<Outcome> take();
  // Waits for the batch in hand and returns its outcome; nullopt when there is none.
  [[nodiscard]] std::optional<Outcome> wait();

 private:
  void run();

  DurableStore& store_;
  std::function<void()> written_;
  bool busy_ = false;  // the runtime's thread only

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<DurableStore::Row> rows_;  // the batch in hand, under mutex_
  bool has_batch_ = false;
  std::optional<Outcome> outcome_;
  bool quit_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace herd::live
