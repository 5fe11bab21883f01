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

// Gamma(shape, 1) by Marsaglia & Tsang (2000), its constants computed once
// per shape (a decision draws each arm's posterior many times); shape < 1 by
// boosting to shape + 1.
class GammaSampler {
 public:
  explicit GammaSampler(double shape = 1.0)
      : boost_(shape < 1.0 ? 1.0 / shape : 0.0),
        d_((shape < 1.0 ? shape + 1.0 : shape) - 1.0 / 3.0),
        c_(1.0 / std::sqrt(9.0 * d_)) {}

  double draw(Rng& rng, NormalDraws& normals) const {
    while (true) {
      double x = 0, v = 0;
      do {
        x = normals.next(rng);
        v = 1.0 + c_ * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = open_unit(rng);
      // The squeeze accepts most draws without a log.
      if (u < 1.0 - 0.0331 * x * x * x * x || std::log(u) < 0.5 * x * x + d_ * (1.0 - v + std::log(v)))
        return boost_ > 0.0 ? d_ * v * std::pow(open_unit(rng), boost_) : d_ * v;
    }
  }

 private:
  double boost_;  // 1 / shape when shape < 1, else 0
  double d_, c_;
};

// Beta(alpha, beta) as X / (X + Y), X ~ Gamma(alpha), Y ~ Gamma(beta).
class BetaSampler {
 public:
  BetaSampler(double alpha = 1.0, double beta = 1.0) : alpha_(alpha), beta_(beta) {}
  double draw(Rng& rng, NormalDraws& normals) const {
    const double x = alpha_.draw(rng, normals);
    return x / (x + beta_.draw(rng, normals));
  }

 private:
  GammaSampler alpha_, beta_;
};

}  // namespace segue::home
