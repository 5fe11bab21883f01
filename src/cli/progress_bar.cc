#include "cli/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace segue::cli {

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(double fraction, std::string_view detail) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // Nothing for the first second: fast commands stay quiet.
  if (now - start_ < std::chrono::seconds(1)) return;
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && fraction < 1.0) return;
  last_draw_ = now;
  drawn_ = true;
  fraction = std::clamp(fraction, 0.0, 1.0);
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %.1fs %.*s", label_.c_str(), bar.c_str(), fraction * 100.0, elapsed,
               static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!drawn_) return;
  drawn_ = false;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

void ProgressBar::note(std::string_view line) {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
  drawn_ = false;
}

std::function<void(const FitProgress&)> fit_progress(ProgressBar& bar) {
  return [&bar](const FitProgress& p) {
    if (p.stage == "epoch" && !p.detail.empty())
      bar.note("  epoch " + std::to_string(p.done) + "/" + std::to_string(p.total) + "  " + std::string(p.detail));
    if (p.total > 0) bar.update(static_cast<double>(p.done) / static_cast<double>(p.total), p.detail);
  };
}

}  // namespace segue::cli
