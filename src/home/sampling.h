// Random draws the Bayesian policies need (normal, gamma, beta), on segue's
// splitmix Rng so that a seeded decision is reproducible.
#pragma once

#include <cmath>
#include <numbers>

#include "util/rng.h"

namespace segue::home {

// Uniform in (0, 1): 53 random bits, never 0 (log-safe).
inline double open_unit(Rng& rng) { return (static_cast<double>(rng.next() >> 11) + 0.5) * 0x1.0p-53; }

// Standard normals by Box-Muller, both values of a pair used: a draw
// sequence for one decision (not shared between threads).
class NormalDraws {
 public:
  double next(Rng& rng) {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(open_unit(rng)));
    const double angle = 2.0 * std::numbers::pi * open_unit(rng);
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 by boosting to shape + 1.
inline double gamma_draw(double shape, Rng& rng, NormalDraws& normals) {
  if (shape < 1.0) return gamma_draw(shape + 1.0, rng, normals) * std::pow(open_unit(rng), 1.0 / shape);
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = 0, v = 0;
    do {
      x = normals.next(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = open_unit(rng);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;  // the squeeze: no log most of the time
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

inline double beta_draw(double alpha, double beta, Rng& rng, NormalDraws& normals) {
  const double x = gamma_draw(alpha, rng, normals);
  return x / (x + gamma_draw(beta, rng, normals));
}

}  // namespace segue::home
