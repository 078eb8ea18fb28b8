#pragma once
// A herd's core::Server objects side by side in one block (huge pages for big herds; see
// huge_pages.hpp), rather than a heap allocation each: a million servers were a million
// calls to malloc and as many scattered first touches of fresh memory at set-up. Server i
// lives at slot i; an amnesiac restart destroys it and makes a new one in the same slot.

#include <cstddef>
#include <memory>

#include "herd/core/server.hpp"

namespace herd::sim {

class ServerArena {
 public:
  // Destroys a server in place; its slot's memory stays the arena's.
  struct Destroy {
    void operator()(core::Server* server) const noexcept { server->~Server(); }
  };
  using Handle = std::unique_ptr<core::Server, Destroy>;

  ServerArena() noexcept = default;
  explicit ServerArena(std::size_t count);
  // Every handle made here must be gone first: declare the arena before what holds them.
  ~ServerArena();
  ServerArena(ServerArena&& other) noexcept;
  ServerArena& operator=(ServerArena&& other) noexcept;
  ServerArena(const ServerArena&) = delete;
  ServerArena& operator=(const ServerArena&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  // Makes server `index` in its slot, which must be empty (never made, or its handle reset).
  [[nodiscard]] Handle make(std::size_t index, core::ServerConfig config);

 private:
  std::byte* base_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace herd::sim
