// CUPED (Deng, Xu, Kohavi & Walker, WSDM 2013): variance reduction with a
// covariate measured before the experiment, here the same metric over a
// pre-period log. Pre-period behaviour cannot depend on the arm, so
// subtracting its part of the noise leaves the difference unbiased.
#pragma once

#include <span>
#include <vector>

#include "ab/ratio_metric.h"

namespace segue::ab {

// One arm's listeners: numerator and denominator per listener (aligned).
struct ArmSeries {
  std::vector<double> y, x;
};

struct CupedResult {
  double theta = 0.0;
  double variance_reduction = 0.0;   // 1 − Σ (L − θM)² / Σ L², pooled over arms
  std::vector<RatioEstimate> arms;   // adjusted value and variance per arm
};

// For ratio metrics CUPED works on the linearised values (ratio_metric.h):
// L_i for the experiment period and M_i = (y'_i − R'_a x'_i) / x̄'_a for the
// pre period, both with their own arm's ratio, so both sum to 0 within an arm.
//   θ = Σ_arms Σ_i L_i M_i / Σ_arms Σ_i M_i²      (pooled within-arm cov / var;
//                                                  one θ for all arms keeps the
//                                                  difference unbiased)
//   R_a,cuped = R_a − θ (R'_a − R'), R' the pre-period ratio over all arms
//   Var(R_a,cuped) = Σ_i (L_i − θ M_i)² / (n_a (n_a − 1))
// For x_i = 1 this is plain CUPED: Ȳ_a − θ (Ȳ'_a − Ȳ'). An arm without
// pre-period activity gets M = 0 (no adjustment). pre is aligned with current
// (std::invalid_argument otherwise).
CupedResult cuped_adjust(std::span<const ArmSeries> current, std::span<const ArmSeries> pre);

}  // namespace segue::ab
