#include "herd/sim/server_arena.hpp"

#include <new>
#include <stdexcept>
#include <utility>

#include "herd/sim/huge_pages.hpp"

namespace herd::sim {

static_assert(alignof(core::Server) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

ServerArena::ServerArena(std::size_t count)
    : base_(count == 0 ? nullptr
                       : HugePageAllocator<std::byte>{}.allocate(count * sizeof(core::Server))),
      count_(count) {}

ServerArena::~ServerArena() {
  if (base_ != nullptr) HugePageAllocator<std::byte>{}.deallocate(base_, count_ * sizeof(core::Server));
}

ServerArena::ServerArena(ServerArena&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), count_(std::exchange(other.count_, 0)) {}

ServerArena& ServerArena::operator=(ServerArena&& other) noexcept {
  if (this != &other) {
    ServerArena gone(std::move(*this));
    base_ = std::exchange(other.base_, nullptr);
    count_ = std::exchange(other.count_, 0);
  }
  return *this;
}

ServerArena::Handle ServerArena::make(std::size_t index, core::ServerConfig config) {
  if (index >= count_) throw std::out_of_range("ServerArena::make: no slot for this server");
  void* slot = base_ + index * sizeof(core::Server);
  return Handle(::new (slot) core::Server(std::move(config)));
}

}  // namespace herd::sim
