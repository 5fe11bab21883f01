// A LambdaMART ranker over dense feature rows, trained and applied with
// xgboost's C API (Debian libxgboost-dev): the learned second stage of
// `rerank` (rerank.h). Only this file and its .cc know xgboost.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/rerank/tree_forest.h"

namespace segue {

// Rows grouped by listener: group_sizes[g] consecutive rows of x (row-major,
// n_features floats each; NaN = missing) belong to group g.
struct RankingRows {
  std::int32_t n_features = 0;
  std::vector<float> x;
  std::vector<float> labels;  // relevance, >= 0
  std::vector<unsigned> group_sizes;
  std::size_t rows() const { return labels.size(); }
};

struct RankerParams {
  std::string objective = "rank:ndcg";  // rank:ndcg | rank:pairwise | rank:map
  int rounds = 400;                     // the most; early stopping picks fewer
  int early_stop = 40;                  // rounds without a better validation ndcg@eval_at
  double eta = 0.05;
  int max_depth = 6;
  double min_child_weight = 1.0;
  double subsample = 0.8;
  double colsample = 0.8;
  double lambda = 1.0;
  int eval_at = 10;
  // Per feature: +1 the margin may only rise with it, -1 only fall, 0 free
  // (xgboost's monotone_constraints); empty = all free.
  std::vector<int> monotone;
  int threads = 1;
  std::uint64_t seed = 42;
};

class XgbRanker {
 public:
  XgbRanker() = default;
  ~XgbRanker();
  XgbRanker(XgbRanker&& other) noexcept;
  XgbRanker& operator=(XgbRanker&& other) noexcept;
  XgbRanker(const XgbRanker&) = delete;
  XgbRanker& operator=(const XgbRanker&) = delete;

  // Boosts up to params.rounds trees on `train`, stopping when `valid`'s
  // ndcg@eval_at has not improved for early_stop rounds (no early stopping
  // when valid has no rows), and keeps the trees up to the best round.
  // std::runtime_error with xgboost's message on failure.
  static XgbRanker train(const RankingRows& train, const RankingRows& valid, const RankerParams& params);
  // A model saved by to_bytes(); std::runtime_error when xgboost rejects it or
  // it expects another number of features.
  static XgbRanker from_bytes(std::string_view bytes, std::int32_t n_features);
  std::string to_bytes() const;  // xgboost's UBJSON model

  bool empty() const { return booster_ == nullptr; }
  std::int32_t n_features() const { return n_features_; }
  int rounds() const { return rounds_; }
  double best_valid_ndcg() const { return best_valid_; }
  void set_best_valid_ndcg(double value) { best_valid_ = value; }

  // Margins for `rows` feature rows (row-major, n_features() each), from the
  // trees as flat arrays (tree_forest.h). Thread-safe.
  void predict(const float* x, std::size_t rows, float* out) const;
  // The same margins from xgboost's in-place prediction (checks, benchmarks).
  void predict_xgboost(const float* x, std::size_t rows, float* out) const;
  // Per-feature contributions to row's margin (SHAP, TreeSHAP): n_features()
  // values then the bias; they sum to predict()'s margin.
  std::vector<float> contributions(const float* row) const;

 private:
  // The serving copy of the booster's trees, with xgboost's base margin.
  void build_forest();

  void* booster_ = nullptr;
  TreeForest forest_;
  std::int32_t n_features_ = 0;
  int rounds_ = 0;
  double best_valid_ = 0.0;
};

}  // namespace segue
