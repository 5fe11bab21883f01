// A one-line progress bar on stderr for anything that can take more than a
// second; silent when stderr is not a terminal (logs, CI, pipes).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "models/recommender.h"

namespace segue::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  void update(double fraction, std::string_view detail = {});  // 0..1; redraws at most ~10 times a second
  void finish();
  // A line that stays (e.g. one per training epoch): printed above the bar on a
  // terminal, and on stderr as a plain line otherwise (logs keep the epochs).
  void note(std::string_view line);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// FitContext::progress for a model fit: the bar, plus one line per epoch for
// models that report epochs with a detail (the deep models).
std::function<void(const FitProgress&)> fit_progress(ProgressBar& bar);

}  // namespace segue::cli
