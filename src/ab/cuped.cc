#include "ab/cuped.h"

#include <cmath>
#include <stdexcept>

namespace segue::ab {
namespace {

double ratio_of(const ArmSeries& arm, bool& defined) {
  double sy = 0.0, sx = 0.0;
  for (std::size_t i = 0; i < arm.y.size(); ++i) sy += arm.y[i], sx += arm.x[i];
  defined = sx > 0.0;
  return defined ? sy / sx : 0.0;
}

}  // namespace

CupedResult cuped_adjust(std::span<const ArmSeries> current, std::span<const ArmSeries> pre) {
  if (current.size() != pre.size()) throw std::invalid_argument("cuped_adjust: pre must have one series per arm");
  std::vector<std::vector<double>> l(current.size()), m(current.size());
  double cross = 0.0, m_sq = 0.0, l_sq = 0.0, pre_y = 0.0, pre_x = 0.0;
  for (std::size_t a = 0; a < current.size(); ++a) {
    if (pre[a].y.size() != current[a].y.size()) throw std::invalid_argument("cuped_adjust: pre not aligned");
    l[a] = linearize(current[a].y, current[a].x);
    m[a] = linearize(pre[a].y, pre[a].x);
    for (std::size_t i = 0; i < l[a].size(); ++i) {
      cross += l[a][i] * m[a][i];
      m_sq += m[a][i] * m[a][i];
      l_sq += l[a][i] * l[a][i];
      pre_y += pre[a].y[i];
      pre_x += pre[a].x[i];
    }
  }
  CupedResult out;
  out.theta = m_sq > 0.0 ? cross / m_sq : 0.0;
  const double pooled_pre = pre_x > 0.0 ? pre_y / pre_x : 0.0;
  double residual_sq = 0.0;
  for (std::size_t a = 0; a < current.size(); ++a) {
    RatioEstimate arm = ratio_estimate(current[a].y, current[a].x);
    bool pre_defined = false;
    const double pre_ratio = ratio_of(pre[a], pre_defined);
    if (pre_defined) arm.value -= out.theta * (pre_ratio - pooled_pre);
    double sum_sq = 0.0;
    for (std::size_t i = 0; i < l[a].size(); ++i) {
      const double r = l[a][i] - out.theta * m[a][i];
      sum_sq += r * r;
    }
    residual_sq += sum_sq;
    if (arm.n >= 2 && !std::isnan(arm.variance))
      arm.variance = sum_sq / (static_cast<double>(arm.n) * static_cast<double>(arm.n - 1));
    out.arms.push_back(arm);
  }
  out.variance_reduction = l_sq > 0.0 ? 1.0 - residual_sq / l_sq : 0.0;
  return out;
}

}  // namespace segue::ab
