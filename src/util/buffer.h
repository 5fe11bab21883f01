// Buffer<T>: a contiguous array that owns its elements (a std::vector) or
// borrows someone else's, read-only. It lets FeedbackMatrix wrap a caller's
// arrays (a scipy CSR matrix handed over by the Python module) without a copy.
//
// Reads never copy. Any write first copies borrowed elements into owned
// storage, so a borrowed array is never written through. Copying a Buffer
// always gives an owning one: a model that keeps a copy of its training data
// can never outlive the borrowed arrays. Moving keeps borrowing.
//
// A borrow may hold a keep-alive handle (the mapping of a store file): the
// borrowed memory then lives as long as some Buffer still borrows it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace segue {

template <class T>
class Buffer {
 public:
  using value_type = T;
  using size_type = std::size_t;
  using const_iterator = const T*;
  using iterator = const T*;  // iteration is read-only; write through operator[] or the mutators

  Buffer() = default;
  Buffer(std::initializer_list<T> init) : owned_(init) {}
  Buffer(std::vector<T> elements) : owned_(std::move(elements)) {}  // NOLINT: a vector converts implicitly
  Buffer(size_type n, const T& value) : owned_(n, value) {}
  template <class It>
  Buffer(It first, It last) : owned_(first, last) {}

  Buffer(const Buffer& other) : owned_(other.begin(), other.end()) {}
  Buffer(Buffer&& other) noexcept
      : owned_(std::move(other.owned_)),
        borrowed_(other.borrowed_),
        borrowed_size_(other.borrowed_size_),
        keep_alive_(std::move(other.keep_alive_)) {
    other.release();
  }
  Buffer& operator=(const Buffer& other) {
    if (this != &other) {
      std::vector<T> copy(other.begin(), other.end());
      release();
      owned_ = std::move(copy);
    }
    return *this;
  }
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      owned_ = std::move(other.owned_);
      borrowed_ = other.borrowed_;
      borrowed_size_ = other.borrowed_size_;
      keep_alive_ = std::move(other.keep_alive_);
      other.release();
    }
    return *this;
  }
  Buffer& operator=(std::initializer_list<T> init) { return *this = std::vector<T>(init); }
  Buffer& operator=(std::vector<T> elements) {
    release();
    owned_ = std::move(elements);
    return *this;
  }

  // A view of [data, data + n): the caller keeps it alive and unchanged while
  // this buffer (or one it is moved into) reads it, or hands over `keep_alive`,
  // an owner of the memory that the buffer holds while it borrows.
  static Buffer borrow(const T* data, size_type n, std::shared_ptr<const void> keep_alive = nullptr) {
    Buffer out;
    out.borrowed_ = data;
    out.borrowed_size_ = n;
    out.keep_alive_ = std::move(keep_alive);
    if (data == nullptr) out.release();
    return out;
  }
  bool borrowed() const { return borrowed_ != nullptr; }

  const T* data() const { return borrowed_ != nullptr ? borrowed_ : owned_.data(); }
  size_type size() const { return borrowed_ != nullptr ? borrowed_size_ : owned_.size(); }
  bool empty() const { return size() == 0; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }
  const T& operator[](size_type i) const { return data()[i]; }
  const T& front() const { return data()[0]; }
  const T& back() const { return data()[size() - 1]; }
  operator std::span<const T>() const { return {data(), size()}; }  // NOLINT: a span views it implicitly
  std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }

  // Writes (each makes the elements owned first).
  T* mutable_data() { return own().data(); }
  T& at_mut(size_type i) { return own()[i]; }
  void push_back(const T& value) { own().push_back(value); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    return own().emplace_back(std::forward<Args>(args)...);
  }
  void reserve(size_type n) { own().reserve(n); }
  void resize(size_type n) { own().resize(n); }
  void resize(size_type n, const T& value) { own().resize(n, value); }
  void assign(size_type n, const T& value) {
    release();
    owned_.assign(n, value);
  }
  template <class It>
  void assign(It first, It last) {
    std::vector<T> copy(first, last);  // first..last may point into this buffer
    release();
    owned_ = std::move(copy);
  }
  template <class It>
  void insert_back(It first, It last) {
    own().insert(owned_.end(), first, last);
  }
  void clear() {
    release();
    owned_.clear();
  }
  void shrink_to_fit() { own().shrink_to_fit(); }
  std::vector<T>& own() {
    if (borrowed_ != nullptr) {
      owned_.assign(borrowed_, borrowed_ + borrowed_size_);
      release();
    }
    return owned_;
  }

  friend bool operator==(const Buffer& a, const Buffer& b) { return std::ranges::equal(a, b); }
  friend bool operator==(const Buffer& a, const std::vector<T>& b) { return std::ranges::equal(a, b); }

 private:
  void release() {
    borrowed_ = nullptr;
    borrowed_size_ = 0;
    keep_alive_.reset();
  }

  std::vector<T> owned_;
  const T* borrowed_ = nullptr;
  size_type borrowed_size_ = 0;
  std::shared_ptr<const void> keep_alive_;
};

}  // namespace segue
