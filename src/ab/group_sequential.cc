#include "ab/group_sequential.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "ab/distributions.h"

namespace segue::ab {
namespace {

double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }

// Simpson weights for an odd number of equally spaced points with step h.
std::vector<double> simpson_weights(int points, double h) {
  std::vector<double> w(static_cast<std::size_t>(points));
  for (int i = 0; i < points; ++i) w[i] = h / 3.0 * (i == 0 || i == points - 1 ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0));
  return w;
}

}  // namespace

double spent_alpha(Spending spending, double t, double alpha) {
  if (t <= 0.0) return 0.0;
  t = std::min(t, 1.0);
  if (spending == Spending::kPocock) return alpha * std::log(1.0 + (std::numbers::e - 1.0) * t);
  return 4.0 - 4.0 * normal_cdf(normal_quantile(1.0 - alpha / 4.0) / std::sqrt(t));
}

std::vector<double> group_sequential_bounds(std::span<const double> fractions, double alpha, Spending spending,
                                            int grid) {
  if (!(alpha > 0.0 && alpha < 1.0)) throw std::invalid_argument("group_sequential_bounds: alpha must be in (0, 1)");
  if (grid % 2 == 0) ++grid;
  std::vector<double> bounds;
  std::vector<double> s, density, weight;  // grid over the last continuation region (S scale) and f there
  double previous_t = 0.0, previous_spent = 0.0;
  for (const double t : fractions) {
    if (!(t > previous_t && t <= 1.0))
      throw std::invalid_argument("group_sequential_bounds: fractions must increase within (0, 1]");
    const double target = spent_alpha(spending, t, alpha) - previous_spent;
    const double sigma = std::sqrt(t - previous_t);
    // P(exit at this look | boundary b on the S scale).
    const auto exit_probability = [&](double b) {
      if (bounds.empty()) return 2.0 * (1.0 - normal_cdf(b / sigma));
      double p = 0.0;
      for (std::size_t i = 0; i < s.size(); ++i)
        p += weight[i] * density[i] * (normal_cdf((-b - s[i]) / sigma) + normal_cdf((s[i] - b) / sigma));
      return p;
    };
    double lo = 0.0, hi = 40.0 * std::sqrt(t);
    if (target <= 0.0) {
      lo = hi;  // nothing to spend: a boundary no path reaches
    } else {
      while (hi - lo > 1e-10 * std::sqrt(t)) {
        const double mid = 0.5 * (lo + hi);
        (exit_probability(mid) > target ? lo : hi) = mid;
      }
    }
    const double b = 0.5 * (lo + hi);
    bounds.push_back(b / std::sqrt(t));
    // Carry the sub-density of S over (−b, b) to this look.
    std::vector<double> next_s(static_cast<std::size_t>(grid)), next_density(static_cast<std::size_t>(grid));
    const double h = 2.0 * b / (grid - 1);
    for (int j = 0; j < grid; ++j) {
      const double x = -b + h * j;
      next_s[j] = x;
      if (bounds.size() == 1) {
        next_density[j] = normal_pdf(x / sigma) / sigma;
      } else {
        double f = 0.0;
        for (std::size_t i = 0; i < s.size(); ++i) f += weight[i] * density[i] * normal_pdf((x - s[i]) / sigma);
        next_density[j] = f / sigma;
      }
    }
    s = std::move(next_s);
    density = std::move(next_density);
    weight = simpson_weights(grid, h);
    previous_t = t;
    previous_spent += target > 0.0 ? target : 0.0;
  }
  return bounds;
}

}  // namespace segue::ab
