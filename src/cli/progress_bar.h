// A one-line progress bar on stderr for anything that can take more than a
// second; silent when stderr is not a terminal (logs, CI, pipes).
#pragma once

#include <chrono>
#include <string>

namespace segue::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  void update(double fraction);  // 0..1; redraws at most ~10 times a second
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace segue::cli
