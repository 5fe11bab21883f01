// The few distribution functions the A/B analysis needs: the normal CDF and
// quantile (z-tests and confidence intervals) and the chi-square survival
// function (the sample-ratio-mismatch test).
#pragma once

namespace segue::ab {

double normal_cdf(double z);
// Two-sided p-value of a standard normal statistic: 2 (1 - Φ(|z|)).
double normal_two_sided_p(double z);
// Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation refined by one
// Halley step (|error| < 1e-15 in double); std::invalid_argument outside (0, 1).
double normal_quantile(double p);
// P(χ²_df > x): the regularised upper incomplete gamma Q(df/2, x/2), by its
// series below a + 1 and Lentz's continued fraction above (Numerical Recipes
// §6.2), to 1e-15 relative. df >= 1; x <= 0 gives 1.
double chi_square_sf(double x, int df);

}  // namespace segue::ab
