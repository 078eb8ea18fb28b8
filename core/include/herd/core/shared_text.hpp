#pragma once
// Immutable text shared by reference count: one buffer for every output and record that
// carries the same bytes (a flood's line goes to every friend; a stored update's AT line is
// also what observations and WHATSAT replies carry).
//
// The count and the bytes live in one allocation, and the count is not atomic: a
// core::Server and everything it outputs belong to one thread (both runtimes run a server
// on one thread), so a SharedText must not be copied or released on two threads at once.
// Hand another thread a copy of the text, not the SharedText.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace herd::core {

class SharedText {
 public:
  SharedText() noexcept = default;
  // A new buffer holding a copy of `text`.
  explicit SharedText(std::string_view text) : block_(allocate({text})) {}
  // A new buffer holding the parts one after another: a line built from pieces without a
  // temporary string first.
  [[nodiscard]] static SharedText joined(std::initializer_list<std::string_view> parts) {
    SharedText text;
    text.block_ = allocate(parts);
    return text;
  }
  SharedText(const SharedText& other) noexcept : block_(other.block_) {
    if (block_) ++block_->refs;
  }
  SharedText(SharedText&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  SharedText& operator=(const SharedText& other) noexcept {
    SharedText(other).swap(*this);
    return *this;
  }
  SharedText& operator=(SharedText&& other) noexcept {
    SharedText(std::move(other)).swap(*this);
    return *this;
  }
  ~SharedText() { release(); }

  void swap(SharedText& other) noexcept { std::swap(block_, other.block_); }
  void reset() noexcept {
    release();
    block_ = nullptr;
  }

  [[nodiscard]] explicit operator bool() const noexcept { return block_ != nullptr; }
  // The text. Like a pointer's, only on a SharedText that holds one.
  [[nodiscard]] std::string_view operator*() const noexcept {
    return {block_->bytes(), block_->size};
  }
  // `text->size()`: the view is made on the spot, as the header keeps a size, not a view.
  struct Arrow {
    std::string_view text;
    [[nodiscard]] const std::string_view* operator->() const noexcept { return &text; }
  };
  [[nodiscard]] Arrow operator->() const noexcept { return Arrow{**this}; }
  // The text, empty when there is none.
  [[nodiscard]] std::string_view view() const noexcept {
    return block_ ? **this : std::string_view{};
  }
  [[nodiscard]] std::size_t use_count() const noexcept { return block_ ? block_->refs : 0; }

  // Identity, as for pointers: equal when both share one buffer (or both are empty).
  // Compare *a and *b for the text.
  friend bool operator==(const SharedText& a, const SharedText& b) noexcept {
    return a.block_ == b.block_;
  }

 private:
  // Eight bytes of header before the text, not a string_view and a count (24): every
  // record a server stores holds one of these, and a big herd holds millions.
  struct Block {
    std::uint32_t size;  // of the bytes that follow this header
    std::uint32_t refs;  // each one is an object of at least 8 bytes: 2^32 cannot be reached
    [[nodiscard]] const char* bytes() const noexcept {
      return reinterpret_cast<const char*>(this + 1);
    }
  };
  static Block* allocate(std::initializer_list<std::string_view> parts) {
    std::size_t size = 0;
    for (std::string_view part : parts) size += part.size();
    if (size > UINT32_MAX) throw std::length_error("SharedText: text longer than 4 GiB");
    void* memory = ::operator new(sizeof(Block) + size);
    char* bytes = static_cast<char*>(memory) + sizeof(Block);
    std::size_t at = 0;
    for (std::string_view part : parts) {
      if (!part.empty()) std::memcpy(bytes + at, part.data(), part.size());
      at += part.size();
    }
    return ::new (memory) Block{static_cast<std::uint32_t>(size), 1};
  }
  void release() noexcept {
    if (block_ && --block_->refs == 0) ::operator delete(block_);
  }

  Block* block_ = nullptr;
};

}  // namespace herd::core
