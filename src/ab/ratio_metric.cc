#include "ab/ratio_metric.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "ab/distributions.h"

namespace segue::ab {

double RatioEstimate::se() const { return std::sqrt(variance); }

std::vector<double> linearize(std::span<const double> y, std::span<const double> x) {
  if (y.size() != x.size()) throw std::invalid_argument("linearize: y and x differ in size");
  double sy = 0.0, sx = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) sy += y[i], sx += x[i];
  std::vector<double> out(y.size(), 0.0);
  if (sx <= 0.0) return out;
  const double r = sy / sx, mean_x = sx / static_cast<double>(x.size());
  for (std::size_t i = 0; i < y.size(); ++i) out[i] = (y[i] - r * x[i]) / mean_x;
  return out;
}

RatioEstimate ratio_estimate(std::span<const double> y, std::span<const double> x) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  RatioEstimate out;
  out.n = static_cast<std::int64_t>(y.size());
  double sy = 0.0, sx = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) sy += y[i], sx += x[i];
  if (sx <= 0.0) return {out.n, nan, nan};
  out.value = sy / sx;
  if (out.n < 2) return {out.n, out.value, nan};
  double sum_sq = 0.0;
  for (const double l : linearize(y, x)) sum_sq += l * l;
  out.variance = sum_sq / (static_cast<double>(out.n) * static_cast<double>(out.n - 1));
  return out;
}

Difference difference(const RatioEstimate& control, const RatioEstimate& treatment, double alpha) {
  Difference out;
  out.estimate = treatment.value - control.value;
  out.se = std::sqrt(treatment.variance + control.variance);
  out.relative = out.estimate / control.value;
  const double half = normal_quantile(1.0 - alpha / 2.0) * out.se;
  out.lo = out.estimate - half;
  out.hi = out.estimate + half;
  if (std::isnan(out.se)) {
    out.z = out.p = std::numeric_limits<double>::quiet_NaN();
  } else if (out.se > 0.0) {
    out.z = out.estimate / out.se;
    out.p = normal_two_sided_p(out.z);
  } else {
    out.p = out.estimate == 0.0 ? 1.0 : 0.0;  // no variance: any difference is certain
  }
  return out;
}

}  // namespace segue::ab
