#include "models/factorization/user_scale.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "data/error.h"

namespace segue {
namespace {

bool counts(float w) { return w > 0 && std::isfinite(w); }

struct RowStats {
  double median = 0;
  double total = 0;
  std::vector<float> sorted;  // the positive weights, ascending (rank only)
  std::size_t n = 0;
};

RowStats row_stats(UserScale scale, std::span<const float> row) {
  RowStats s;
  std::vector<float> positive;
  for (float w : row)
    if (counts(w)) positive.push_back(w);
  s.n = positive.size();
  if (s.n == 0) return s;
  for (float w : positive) s.total += w;
  if (scale == UserScale::median || scale == UserScale::rank) std::sort(positive.begin(), positive.end());
  if (scale == UserScale::median) {
    const std::size_t mid = s.n / 2;
    s.median = s.n % 2 == 1 ? positive[mid] : 0.5 * (static_cast<double>(positive[mid - 1]) + positive[mid]);
  }
  if (scale == UserScale::rank) s.sorted = std::move(positive);
  return s;
}

float apply(UserScale scale, const RowStats& s, float w) {
  if (!counts(w) || s.n == 0) return w;
  switch (scale) {
    case UserScale::none: return w;
    case UserScale::median: return static_cast<float>(w / s.median);
    case UserScale::share: return static_cast<float>(100.0 * w / s.total);
    case UserScale::rank: {
      const auto lo = std::lower_bound(s.sorted.begin(), s.sorted.end(), w);
      const auto hi = std::upper_bound(lo, s.sorted.end(), w);
      const double below = static_cast<double>(lo - s.sorted.begin());
      const double equal = static_cast<double>(hi - lo);
      // pandas' rank(pct=True): the mean 1-based rank of the tied run, over n (a value not in the row
      // ranks as if inserted: equal = 0 gives below + 0.5).
      return static_cast<float>((below + (equal + 1.0) / 2.0) / static_cast<double>(s.n));
    }
  }
  return w;
}

}  // namespace

UserScale parse_user_scale(const std::string& text, const std::string& key) {
  if (text == "none") return UserScale::none;
  if (text == "median") return UserScale::median;
  if (text == "share") return UserScale::share;
  if (text == "rank") return UserScale::rank;
  throw UsageError(key + ": expected none, median, share or rank, got '" + text + "'");
}

void scale_user_row(UserScale scale, std::span<float> values) {
  if (scale == UserScale::none) return;
  const RowStats s = row_stats(scale, values);
  for (float& w : values) w = apply(scale, s, w);
}

float scale_in_row(UserScale scale, std::span<const float> row, float value) {
  if (scale == UserScale::none) return value;
  return apply(scale, row_stats(scale, row), value);
}

}  // namespace segue
