// core::Server's outputs: the queue a runtime drains after every input, the storage it lends
// between inputs, and the log and observation records that go through it.
#include "herd/core/server.hpp"

#include <utility>

namespace herd::core {

std::vector<PeerId> Server::take_greeted_friends() {
  std::vector<PeerId> greeted;
  if (greeted_friends_ == 0) return greeted;
  greeted.reserve(greeted_friends_);
  for (PeerId peer = 0; peer < config_.friends.size(); ++peer) {
    if (friend_slots_[peer].greeted) {
      friend_slots_[peer].greeted = false;
      greeted.push_back(peer);
    }
  }
  greeted_friends_ = 0;
  return greeted;
}

namespace {

// Empty output storage between two servers' inputs on this thread (Server::park_storage).
struct SpareStorage {
  VectorFifo<Output> outputs;
  std::vector<PeerLineMemo> memos;
};
thread_local SpareStorage spare_storage;

}  // namespace

void Server::adopt_spare_outputs() noexcept {
  if (spare_storage.outputs.capacity() != 0) swap(outputs_, spare_storage.outputs);
}

void Server::adopt_spare_memos() noexcept {
  if (spare_storage.memos.capacity() != 0) forward_memos_.swap(spare_storage.memos);
}

void Server::park_storage() noexcept {
  // Parked only into an empty spare: a server whose storage finds the spare taken keeps it.
  if (outputs_.capacity() != 0 && spare_storage.outputs.capacity() == 0) {
    swap(outputs_, spare_storage.outputs);
  }
  if (forward_memos_.capacity() != 0 && spare_storage.memos.capacity() == 0) {
    forward_memos_.swap(spare_storage.memos);
  }
}

std::optional<Output> Server::poll_output() {
  flush_send_log();
  if (outputs_.empty()) {
    forward_memos_.clear();  // every SendToPeer naming one has been handed out
    park_storage();
    return std::nullopt;
  }
  Output out = std::move(outputs_.front());
  outputs_.pop_front();
  return out;
}

void Server::observe(ObservationKind kind, Instant now, const SharedText& update,
                     std::uint64_t id, std::uint32_t hops, std::optional<PeerId> from) {
  if (!config_.emit_observations) return;
  queue_output(Observation{kind, now, update, id, hops, from});
}

void Server::log(LogLevel level, std::string text) {
  queue_output(LogRecord{level, std::move(text)});
}

void Server::log_traffic(std::string_view kind, std::string_view who, std::string_view direction,
                         std::string_view line) {
  while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::string text;
  text.reserve(kind.size() + who.size() + direction.size() + line.size() + 8);
  text.append(kind).append(who).append(" ").append(direction).append(": ");
  append_printable(text, line);
  queue_output(LogRecord{LogLevel::debug, std::move(text)});
}

void Server::flush_send_log() {
  if (!cold_ || !cold_->pending_send_log.line) return;
  auto& pending = cold_->pending_send_log;
  log_traffic(pending.peers, "", "send", *pending.line);
  pending.line.reset();
  pending.peers.clear();
}

}  // namespace herd::core
