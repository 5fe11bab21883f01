// xgboost's trees as flat arrays, for serving: the same margins as xgboost's
// own prediction, without its per-call setup, and with a block of candidates
// walking one tree while it is in L1. xgb_ranker.h builds it from the booster.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace segue {

class TreeForest {
 public:
  // From xgboost's JSON model (XGBoosterSaveModelToBuffer, format "json"):
  // every tree of learner.gradient_booster.model. std::runtime_error naming
  // the tree and node when the JSON is not a forest of n_features features
  // (split on a feature out of range, a child that does not come after its
  // parent, arrays of different lengths, categorical splits).
  static TreeForest from_json(std::string_view json, std::int32_t n_features);

  bool empty() const { return roots_.empty(); }
  std::size_t trees() const { return roots_.size(); }
  // Added to every margin (xgboost's base score in margin space; from_json
  // leaves it 0 and the caller sets it from one xgboost prediction).
  void set_bias(float bias) { bias_ = bias; }
  float bias() const { return bias_; }

  // Margins of `rows` rows (row-major, n_features floats each, NaN = missing):
  // bias + the sum of each tree's leaf. A split sends x < threshold left, a
  // missing value to its default side, as xgboost does.
  void predict(const float* x, std::size_t rows, float* out) const;

 private:
  // Structure of arrays, one entry per node. A leaf loops onto itself (left =
  // itself, threshold NaN: every comparison is false), so every tree is walked
  // for its full depth without a branch, many rows at once.
  std::vector<float> threshold_;
  std::vector<std::int32_t> feature_;  // 0 for a leaf (any valid column)
  std::vector<std::int32_t> left_;     // absolute node index; right = left + 1
  std::vector<std::int32_t> missing_right_;  // 1: NaN goes right
  std::vector<float> leaf_;            // the leaf's value (0 for a split)
  std::vector<std::int32_t> roots_, depth_;
  std::int32_t n_features_ = 0;
  float bias_ = 0.0f;
};

}  // namespace segue
