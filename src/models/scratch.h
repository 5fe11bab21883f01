// Scratch buffers for one call. A model's scoring call borrows vectors from a
// small per-thread pool and gives them back when it returns, so a nested model
// (blend of a blend, mmr of an mmr) can never be handed a buffer its caller is
// still using, hot paths (the server's one-user requests) do not allocate, and
// a large buffer is freed on return instead of staying with the thread for its
// life. Replaces function-local `thread_local` buffers in src/models.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace segue {

// What a thread keeps between calls, per element type: buffers of at most
// kScratchKeepBytes (one score row of a 1M-item catalogue), at most
// kScratchKeepTotal bytes in all. Anything larger is freed when the call ends.
inline constexpr std::size_t kScratchKeepBytes = std::size_t{4} << 20;
inline constexpr std::size_t kScratchKeepTotal = std::size_t{8} << 20;

namespace scratch_detail {
// Bytes this thread's pools hold right now (all element types).
std::size_t& held_bytes();
}  // namespace scratch_detail

// Bytes the calling thread keeps in its scratch pools between calls: bounded
// by kScratchKeepTotal per element type (tests and the server's memory metric).
inline std::size_t scratch_bytes_held() { return scratch_detail::held_bytes(); }

// A vector borrowed for the lifetime of this object (empty, capacity kept from
// an earlier call when one was pooled). Not copyable; use it on one thread.
template <class T>
class Scratch {
 public:
  Scratch() : vec_(take()) {}
  // A size over kScratchKeepBytes gets a fresh vector, leaving the pooled ones
  // for the small requests they fit.
  explicit Scratch(std::size_t size) : vec_(size * sizeof(T) > kScratchKeepBytes ? std::vector<T>() : take()) {
    vec_.resize(size);
  }
  ~Scratch() { give_back(std::move(vec_)); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  std::vector<T>& operator*() { return vec_; }
  std::vector<T>* operator->() { return &vec_; }
  T* data() { return vec_.data(); }
  std::size_t size() const { return vec_.size(); }
  T& operator[](std::size_t i) { return vec_[i]; }

 private:
  struct Pool {
    std::vector<std::vector<T>> free;
    std::size_t bytes = 0;
  };
  static Pool& pool() {
    thread_local Pool p;
    return p;
  }
  static std::size_t bytes_of(const std::vector<T>& v) { return v.capacity() * sizeof(T); }
  static std::vector<T> take() {
    Pool& p = pool();
    if (p.free.empty()) return {};
    std::vector<T> v = std::move(p.free.back());
    p.free.pop_back();
    p.bytes -= bytes_of(v);
    scratch_detail::held_bytes() -= bytes_of(v);
    v.clear();
    return v;
  }
  static void give_back(std::vector<T>&& v) {
    Pool& p = pool();
    const std::size_t bytes = bytes_of(v);
    if (bytes == 0 || bytes > kScratchKeepBytes || p.bytes + bytes > kScratchKeepTotal) return;  // v frees itself
    p.bytes += bytes;
    scratch_detail::held_bytes() += bytes;
    p.free.push_back(std::move(v));
  }

  std::vector<T> vec_;
};

// An element whose default construction leaves it unset: a Scratch<Uninit<float>>
// of n elements costs no memset, for a buffer the caller overwrites in full
// (a generator's score row). data_of() gives the plain T*.
template <class T>
struct Uninit {
  T value;
  Uninit() {}  // user-provided and empty: value-initialisation leaves `value` alone
};

template <class T>
T* data_of(Scratch<Uninit<T>>& buffer) {
  return reinterpret_cast<T*>(buffer.data());  // standard layout, one member: same address
}

}  // namespace segue
