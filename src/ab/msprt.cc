#include "ab/msprt.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace segue::ab {

MsprtLook msprt_look(double d, double variance, double tau, double alpha) {
  if (!(tau > 0.0) || !(alpha > 0.0 && alpha < 1.0))
    throw std::invalid_argument("msprt: tau must be > 0 and alpha in (0, 1)");
  MsprtLook out;
  if (!(variance > 0.0) || std::isnan(d)) return out;
  const double t2 = tau * tau, spread = variance + t2;
  // In logs: Λ overflows a double long before the p-value stops mattering.
  const double log_lambda = 0.5 * std::log(variance / spread) + t2 * d * d / (2.0 * variance * spread);
  out.lambda = std::exp(log_lambda);
  out.p = std::min(1.0, std::exp(-log_lambda));
  const double half = std::sqrt(variance * spread / t2 * (2.0 * std::log(1.0 / alpha) + std::log(spread / variance)));
  out.lo = d - half;
  out.hi = d + half;
  return out;
}

void AlwaysValid::observe(const MsprtLook& look) {
  ++looks;
  p = std::min(p, look.p);
  lo = std::max(lo, look.lo);
  hi = std::min(hi, look.hi);
}

}  // namespace segue::ab
