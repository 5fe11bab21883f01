// The mixture sequential probability ratio test (mSPRT; Johari, Koomen,
// Pekelis & Walsh, "Peeking at A/B tests", KDD 2017): p-values that stay
// valid however often the experiment is looked at, so it may stop early.
#pragma once

#include <limits>

namespace segue::ab {

// One look. The difference estimate d is taken as N(θ, V) (V its delta-method
// variance at this look); under H0 θ = 0, and the alternative mixes θ over
// the normal prior N(0, τ²). The mixture likelihood ratio is then
//   Λ = sqrt(V / (V + τ²)) · exp( τ² d² / (2 V (V + τ²)) ),
// which with V = 2σ²/n is the paper's two-sample statistic
//   sqrt(2σ² / (2σ² + nτ²)) · exp( n²τ² d² / (4σ² (2σ² + nτ²)) ).
// Λ is a martingale under H0, so by Ville's inequality P(sup Λ ≥ 1/α) ≤ α.
// τ is the scale of effects one expects (on the metric's own scale): a τ near
// the true effect gives the most power; the test is valid for any fixed τ.
struct MsprtLook {
  double lambda = 1.0;
  double p = 1.0;  // min(1, 1 / Λ): this look's contribution to the always-valid p
  // {θ0 : Λ(θ0) < 1/α}: d ± sqrt( V (V + τ²) / τ² · (2 log(1/α) + log((V + τ²) / V)) )
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
};

// std::invalid_argument unless tau > 0 and alpha in (0, 1); a look with V
// not > 0 or NaN carries no evidence (Λ = 1, unbounded interval).
MsprtLook msprt_look(double d, double variance, double tau, double alpha);

// The always-valid p-value and interval after several looks: p_n = min(p_{n−1},
// 1/Λ_n), starting at 1, so it never rises; the interval is the intersection of
// the looks' intervals. Reject H0 at level α at the first look with p <= α.
struct AlwaysValid {
  int looks = 0;
  double p = 1.0;
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  void observe(const MsprtLook& look);
};

}  // namespace segue::ab
