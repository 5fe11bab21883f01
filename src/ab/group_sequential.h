// Group-sequential boundaries (Lan & DeMets 1983): a fixed-horizon z-test made
// safe for a planned number of looks by spending α across them. Unlike the
// mSPRT it needs the horizon (the planned listeners) in advance, and in
// return it spends all of α over the looks instead of a fraction of it.
#pragma once

#include <span>
#include <vector>

namespace segue::ab {

enum class Spending {
  // α(t) = 4 − 4Φ(z_{1−α/4} / √t) (each side spends α/2 by 2 − 2Φ(z_{1−α/4} / √t)):
  // hardly any α early, nearly the fixed test at the end.
  kOBrienFleming,
  kPocock,         // α(t) = α ln(1 + (e − 1) t): about equal boundaries at every look
};

// α spent by information fraction t in [0, 1] (two-sided).
double spent_alpha(Spending spending, double t, double alpha);

// Two-sided z boundaries c_k for looks at information fractions t_1 < ... <=
// 1 (the share of the planned listeners seen): reject at the first look with
// |Z_k| >= c_k. c_k makes P(|Z_j| < c_j for j < k, |Z_k| >= c_k) = α(t_k) −
// α(t_{k−1}) under H0, where Z_k = S(t_k) / √t_k for a Brownian motion S: the
// sub-density of S on the continuation region is carried from look to look by
// numerical integration (Armitage, McPherson & Rowe 1969; Jennison & Turnbull
// 2000, ch. 19) on a grid of `grid` points, Simpson's rule; each c_k by
// bisection to 1e-10. std::invalid_argument for fractions not increasing in
// (0, 1] or alpha outside (0, 1).
std::vector<double> group_sequential_bounds(std::span<const double> fractions, double alpha,
                                            Spending spending = Spending::kOBrienFleming, int grid = 801);

}  // namespace segue::ab
