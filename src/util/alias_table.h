// Walker/Vose alias table: O(1) draws from a discrete distribution given by
// non-negative weights (all zero, or none: every draw is uniform).
#pragma once

#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

#include "util/rng.h"

namespace segue {

class AliasTable {
 public:
  AliasTable() = default;
  explicit AliasTable(std::span<const double> weights) { build(weights); }

  void build(std::span<const double> weights) {
    const std::size_t n = weights.size();
    prob_.assign(n, 1.0f);  // rows the pairing below leaves (rounding) keep probability 1
    alias_.resize(n);
    std::iota(alias_.begin(), alias_.end(), 0);
    double total = 0;
    for (double w : weights) total += w;
    if (n == 0 || total <= 0) return;
    std::vector<double> scaled(n);
    std::vector<std::int32_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      scaled[i] = weights[i] * static_cast<double>(n) / total;
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::int32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const std::int32_t s = small.back(), l = large.back();
      small.pop_back();
      prob_[s] = static_cast<float>(scaled[s]);
      alias_[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
  }
  std::int32_t draw(Rng& rng) const {
    const auto i = static_cast<std::int32_t>(rng.below(prob_.size()));
    return rng.unit() < prob_[static_cast<std::size_t>(i)] ? i : alias_[static_cast<std::size_t>(i)];
  }
  std::size_t size() const { return prob_.size(); }

 private:
  std::vector<float> prob_;
  std::vector<std::int32_t> alias_;
};

}  // namespace segue
