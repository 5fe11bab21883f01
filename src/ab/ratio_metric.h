// Ratio metrics over listeners (streams / impressions, pages / listener) with
// the delta-method variance: the listener, not the impression, is the unit of
// randomisation, so impressions of one listener are not independent draws.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace segue::ab {

// R = Σ y_i / Σ x_i over n listeners (x_i = 1 gives a per-listener mean).
//
// Delta method (Deng, Knoblich & Lu, KDD 2018): R = ȳ / x̄ is a smooth function
// of two means, so to first order
//   Var(R) ≈ 1/(n x̄²) · (s_y² − 2 R s_xy + R² s_x²)
//          = Σ L_i² / (n (n − 1)),  with  L_i = (y_i − R x_i) / x̄
// (s² the sample (co)variances with n − 1; the L_i sum to 0 exactly). L_i is
// listener i's linearised contribution, which CUPED also works on.
struct RatioEstimate {
  std::int64_t n = 0;
  double value = 0.0;     // R; NaN when Σ x = 0
  double variance = 0.0;  // delta-method Var(R); NaN when n < 2 or Σ x = 0
  double se() const;
};

RatioEstimate ratio_estimate(std::span<const double> y, std::span<const double> x);

// L_i = (y_i − R x_i) / x̄ (all 0 when Σ x = 0: nothing to linearise).
std::vector<double> linearize(std::span<const double> y, std::span<const double> x);

// Treatment − control, arms independent: se = sqrt(Var_t + Var_c); a
// two-sided z-test of "no difference" and the (1 − alpha) normal interval.
struct Difference {
  double estimate = 0.0;
  double se = 0.0;
  double lo = 0.0, hi = 0.0;
  double z = 0.0;
  double p = 1.0;
  double relative = 0.0;  // estimate / control value (a point estimate)
};

Difference difference(const RatioEstimate& control, const RatioEstimate& treatment, double alpha);

}  // namespace segue::ab
