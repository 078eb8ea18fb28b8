#include "herd/live/store_writer.hpp"

#include <utility>

namespace herd::live {

StoreWriter::StoreWriter(DurableStore& store, std::function<void()> written)
    : store_(store), written_(std::move(written)), thread_([this] { run(); }) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void StoreWriter::submit(std::vector<DurableStore::Row> rows) {
  busy_ = true;
  {
    std::lock_guard lock(mutex_);
    rows_ = std::move(rows);
    has_batch_ = true;
  }
  wake_.notify_all();
}

std::optional<StoreWriter::Outcome> StoreWriter::take() {
  if (!busy_) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (!outcome_) return std::nullopt;
  busy_ = false;
  return std::exchange(outcome_, std::nullopt);
}

std::optional<StoreWriter::Outcome> StoreWriter::wait() {
  if (!busy_) return std::nullopt;
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return outcome_.has_value(); });
  busy_ = false;
  return std::exchange(outcome_, std::nullopt);
}

void StoreWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return has_batch_ || quit_; });
    // A batch in hand is written even when quitting: the runtime may be waiting for it.
    if (!has_batch_) return;
    std::vector<DurableStore::Row> rows = std::move(rows_);
    has_batch_ = false;
    lock.unlock();
    Outcome outcome{rows.size(), std::nullopt};
    try {
      store_.write(rows);
    } catch (const StoreError& error) {
      outcome.error = error.what();
    }
    lock.lock();
    outcome_ = std::move(outcome);
    wake_.notify_all();
    // Told outside the lock: the news may wake the runtime's thread at once.
    lock.unlock();
    written_();
    lock.lock();
  }
}

}  // namespace herd::live
