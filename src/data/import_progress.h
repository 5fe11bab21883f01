// Throttled progress reporting for importers: calls the user's callback at
// most every 64 Ki updates, with the share of input bytes consumed.
#pragma once

#include <cstddef>
#include <functional>

namespace segue {

class ImportProgress {
 public:
  ImportProgress(const std::function<void(double)>& callback, std::size_t total)
      : callback_(callback), total_(total) {}
  void update(std::size_t done) {
    if (!callback_ || total_ == 0 || (++calls_ & 0xFFFF) != 0) return;
    callback_(static_cast<double>(done) / static_cast<double>(total_));
  }
  ~ImportProgress() {
    if (callback_) callback_(1.0);
  }

 private:
  const std::function<void(double)>& callback_;
  std::size_t total_;
  std::size_t calls_ = 0;
};

}  // namespace segue
