// Random draws the Bayesian policies need (normal, gamma, beta), on segue's
// splitmix Rng so that a seeded decision is reproducible.
#pragma once

#include <cmath>
#include <numbers>

#include "util/rng.h"

namespace segue::home {

// Uniform in (0, 1): 53 random bits, never 0 (log-safe).
inline double open_unit(Rng& rng) { return (static_cast<double>(rng.next() >> 11) + 0.5) * 0x1.0p-53; }

// Standard normal (Box-Muller; the second value is dropped so the draw has no state).
inline double standard_normal(Rng& rng) {
  const double radius = std::sqrt(-2.0 * std::log(open_unit(rng)));
  return radius * std::cos(2.0 * std::numbers::pi * open_unit(rng));
}

// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 by boosting to shape + 1.
inline double gamma_draw(double shape, Rng& rng) {
  if (shape < 1.0) return gamma_draw(shape + 1.0, rng) * std::pow(open_unit(rng), 1.0 / shape);
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = 0, v = 0;
    do {
      x = standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = open_unit(rng);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;  // the squeeze: no log most of the time
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

inline double beta_draw(double alpha, double beta, Rng& rng) {
  const double x = gamma_draw(alpha, rng);
  return x / (x + gamma_draw(beta, rng));
}

}  // namespace segue::home
