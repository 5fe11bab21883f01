// The factorization machine: prediction, SGD on the log loss, weighted refit.
#include "home/reward_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace segue::home {
namespace {

constexpr std::size_t kRows = std::size_t{1} << kFeatureBits;
constexpr float kInitScale = 0.05f;  // factors start uniform in ±kInitScale·√3 (sd kInitScale)

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

FactorizationMachine::FactorizationMachine(const FmOptions& options) : options_(options) {
  if (options.factors < 0 || options.factors > kMaxFmFactors)
    throw std::invalid_argument("fm: factors " + std::to_string(options.factors) + " not in [0, " +
                                std::to_string(kMaxFmFactors) + "]");
  stride_ = 1 + static_cast<std::size_t>(options.factors);
  rows_ = std::make_unique_for_overwrite<float[]>(kRows * stride_);
  reset();
}

void FactorizationMachine::reset() {
  trained_.assign(kRows / 64, 0);
  bias_ = 0.0f;
}

// w = 0 and small seeded factors, uniform in ±kInitScale·√3 (random factors
// break the symmetry between features: all-zero factors get zero gradient).
// A hash of (seed, row) rather than a stream, so any row can be made alone.
void FactorizationMachine::initial_row(std::uint32_t index, float* out) const {
  const float scale = kInitScale * std::sqrt(3.0f) * 0x1.0p-31f;  // ±2^31 → ±kInitScale·√3
  const std::uint64_t row_key = splitmix64_mix(options_.seed * 0x9E3779B97F4A7C15ull + index);
  out[0] = 0.0f;
  for (int f = 0; f < options_.factors; f += 2) {
    const std::uint64_t bits = splitmix64_mix(row_key + static_cast<std::uint64_t>(f));
    out[1 + f] = static_cast<float>(static_cast<std::int32_t>(bits)) * scale;
    if (f + 1 < options_.factors) out[2 + f] = static_cast<float>(static_cast<std::int32_t>(bits >> 32)) * scale;
  }
}

const float* FactorizationMachine::row(std::uint32_t index, float* scratch) const {
  if (trained_[index >> 6] >> (index & 63) & 1) return rows_.get() + std::size_t{index} * stride_;
  initial_row(index, scratch);
  return scratch;
}

float* FactorizationMachine::trained_row(std::uint32_t index) {
  float* stored = rows_.get() + std::size_t{index} * stride_;
  std::uint64_t& word = trained_[index >> 6];
  if (!(word >> (index & 63) & 1)) {
    initial_row(index, stored);
    word |= std::uint64_t{1} << (index & 63);
  }
  return stored;
}

double FactorizationMachine::logit(std::span<const Feature> features, float* sums) const {
  // Rendle's linear-time form: Σ_{i<j} <v_i, v_j> x_i x_j =
  // ½ Σ_f [(Σ_i v_if x_i)² − Σ_i v_if² x_i²].
  const int k = options_.factors;
  std::fill(sums, sums + k, 0.0f);
  float squares[kMaxFmFactors] = {};
  float scratch[1 + kMaxFmFactors];
  double linear = bias_;
  for (const Feature& feature : features) {
    const float* values = row(feature.index, scratch);
    linear += values[0] * feature.value;
    for (int f = 0; f < k; ++f) {
      const float term = values[1 + f] * feature.value;
      sums[f] += term;
      squares[f] += term * term;
    }
  }
  double pairwise = 0.0;
  for (int f = 0; f < k; ++f) pairwise += sums[f] * sums[f] - squares[f];
  return linear + 0.5 * pairwise;
}

void FactorizationMachine::prefetch(std::span<const Feature> features) const {
  for (const Feature& feature : features) {
    const float* stored = rows_.get() + std::size_t{feature.index} * stride_;
    __builtin_prefetch(stored);
    __builtin_prefetch(stored + stride_ - 1);  // a row may straddle two cache lines
  }
}

double FactorizationMachine::predict(std::span<const Feature> features) const {
  float sums[kMaxFmFactors];
  return sigmoid(logit(features, sums));
}

void FactorizationMachine::step(std::span<const Feature> features, double reward, double weight,
                                double learning_rate) {
  float sums[kMaxFmFactors];
  // d(log loss)/d(logit) = p − y.
  const double gradient = weight * (sigmoid(logit(features, sums)) - reward);
  const auto rate = static_cast<float>(learning_rate);
  const auto reg = static_cast<float>(options_.reg);
  const auto g = static_cast<float>(gradient);
  bias_ -= rate * g;
  for (const Feature& feature : features) {
    float* row = trained_row(feature.index);
    const float x = feature.value;
    row[0] -= rate * (g * x + reg * row[0]);
    // ∂logit/∂v_if = x_i (sums_f − v_if x_i), with the sums from before the step.
    for (int f = 0; f < options_.factors; ++f) {
      float& v = row[1 + f];
      v -= rate * (g * x * (sums[f] - v * x) + reg * v);
    }
  }
}

void FactorizationMachine::update(std::span<const Feature> features, double reward, double weight) {
  step(features, reward, weight, options_.learning_rate);
}

void FactorizationMachine::refit(std::span<const Outcome> outcomes, double max_weight) {
  reset();
  const std::vector<double> weights = importance_weights(outcomes, max_weight);
  Rng rng(options_.seed ^ 0x5EEDF00Dull);
  for (int epoch = 0; epoch < options_.epochs; ++epoch) {
    const double rate = options_.learning_rate / ((1.0 + epoch) * (1.0 + epoch));
    for (const std::size_t i : shuffled_order(outcomes.size(), rng))
      step(outcomes[i].features, outcomes[i].reward, weights[i], rate);
  }
}

std::vector<double> importance_weights(std::span<const Outcome> outcomes, double max_weight) {
  if (!(max_weight > 0.0)) throw std::invalid_argument("refit: max_weight must be > 0");
  std::vector<double> weights(outcomes.size());
  double total = 0.0;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const double propensity = outcomes[i].propensity;
    if (!(propensity > 0.0 && propensity <= 1.0))
      throw std::invalid_argument("refit: outcome " + std::to_string(i) + " has propensity " +
                                  std::to_string(propensity) + ", expected (0, 1]");
    weights[i] = std::min(1.0 / propensity, max_weight);
    total += weights[i];
  }
  if (total > 0.0)
    for (double& weight : weights) weight *= static_cast<double>(weights.size()) / total;
  return weights;
}

std::vector<std::size_t> shuffled_order(std::size_t n, Rng& rng) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

}  // namespace segue::home
