// The reward model of the featurised policies: a factorization machine
// (Rendle 2010) over the hashed sparse features, with a logistic output, the
// probability that a shown card is streamed. Its pairwise interactions let the
// reward depend on explanation × context (BaRT: logistic regression alone picks
// the same explanation whatever the context).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "home/bandit.h"

namespace segue::home {

struct FmOptions {
  int factors = 8;              // latent dimensions per feature; 0 = plain logistic regression
  double learning_rate = 0.05;  // SGD step on the log loss
  double reg = 0.001;           // L2 on the weights a step touches
  int epochs = 5;               // passes over the logs in refit
  std::uint64_t seed = 1;       // initial factors and refit's shuffle
};

inline constexpr int kMaxFmFactors = 64;

class FactorizationMachine {
 public:
  explicit FactorizationMachine(const FmOptions& options);

  const FmOptions& options() const { return options_; }
  // P(reward = 1 | features). Const and safe to call concurrently.
  double predict(std::span<const Feature> features) const;
  // Asks the CPU to start loading these features' rows (a decision's arms
  // touch rows all over the 2^20 table: overlapping their cache misses is
  // most of predict's speed).
  void prefetch(std::span<const Feature> features) const;
  // One SGD step on weight × log loss. Not concurrent with predict.
  void update(std::span<const Feature> features, double reward, double weight = 1.0);
  // Re-initialises, then `epochs` seeded-shuffled passes over `outcomes`,
  // each weighted by min(1 / propensity, max_weight) divided by the mean
  // weight (the weighted optimum is the same; the mean-one scale keeps the
  // step size that `learning_rate` was chosen for). The step decays as
  // learning_rate / (1 + epoch)² so the last passes settle: heavy importance
  // weights make late SGD steps noisy.
  void refit(std::span<const Outcome> outcomes, double max_weight);
  // Back to the seeded initial state (no data seen).
  void reset();

 private:
  // The logit; fills sums[f] = Σ_i v_if x_i for the gradient.
  double logit(std::span<const Feature> features, float* sums) const;
  void step(std::span<const Feature> features, double reward, double weight, double learning_rate);
  // Row `index` as stored, or, while no step has touched it, its seeded
  // initial values written to `scratch`.
  const float* row(std::uint32_t index, float* scratch) const;
  // Row `index` for writing (stored from its initial values on first use).
  float* trained_row(std::uint32_t index);
  void initial_row(std::uint32_t index, float* out) const;

  FmOptions options_;
  std::size_t stride_ = 1;  // 1 + factors floats per feature row
  // 2^kFeatureBits rows [w_i, v_i1 .. v_ik], contiguous: one feature, one
  // cache-friendly row, no allocation per feature. Left uninitialised (the OS
  // maps a page on its first write) and filled per row on first training, so
  // a model costs memory and time only for the features it has seen.
  std::unique_ptr<float[]> rows_;
  std::vector<std::uint64_t> trained_;  // one bit per row: stored in rows_ yet?
  float bias_ = 0.0f;
};

// Weights min(1 / propensity, max_weight) scaled to mean 1, for refit.
std::vector<double> importance_weights(std::span<const Outcome> outcomes, double max_weight);

// A seeded permutation of 0..n-1 (Fisher-Yates).
std::vector<std::size_t> shuffled_order(std::size_t n, Rng& rng);

}  // namespace segue::home
