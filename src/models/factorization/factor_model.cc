#include "models/factorization/factor_model.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

#include "data/error.h"
#include "io/model_file.h"
#include "models/runtime.h"
#include "models/scratch.h"
#include "util/cholesky.h"

namespace segue {

// One BLAS thread per call (RuntimeOptions::blas_threads): parallelism comes
// from segue's pool, one block of users per thread. Set once for the process
// by configure_runtime / ensure_runtime, never changed by a model.
void use_single_threaded_blas() { ensure_runtime(); }

FactorModel::FactorModel(ModelSpec spec) : Recommender(std::move(spec)) { ensure_runtime(); }

void FactorModel::set_factors(std::int32_t factors, std::vector<float> user_factors, std::vector<float> item_factors) {
  if (factors < 1) throw std::invalid_argument("factors: must be >= 1, got " + std::to_string(factors));
  const auto f = static_cast<std::size_t>(factors);
  if (user_factors.size() != static_cast<std::size_t>(n_users()) * f)
    throw std::invalid_argument("user_factors: " + std::to_string(user_factors.size()) + " floats for " +
                                std::to_string(n_users()) + " users x " + std::to_string(factors) + " factors");
  if (item_factors.size() != static_cast<std::size_t>(n_items()) * f)
    throw std::invalid_argument("item_factors: " + std::to_string(item_factors.size()) + " floats for " +
                                std::to_string(n_items()) + " items x " + std::to_string(factors) + " factors");
  factors_ = factors;
  user_factors_ = std::move(user_factors);
  item_factors_ = std::move(item_factors);
  compute_item_norms();
  packed_items_ = pack_items(item_factors_.data(), n_items(), factors_);
}

void FactorModel::compute_item_norms() {
  const auto f = static_cast<std::size_t>(factors_);
  item_norms_.resize(static_cast<std::size_t>(n_items()));
  for (std::size_t i = 0; i < item_norms_.size(); ++i) {
    double sum = 0;
    for (std::size_t k = 0; k < f; ++k) sum += double(item_factors_[i * f + k]) * item_factors_[i * f + k];
    item_norms_[i] = static_cast<float>(std::sqrt(sum));
  }
}

const float* FactorModel::gather_users(std::span<const std::int32_t> users, std::vector<float>& rows) const {
  const auto f = static_cast<std::size_t>(factors_);
  rows.resize(users.size() * f);
  for (std::size_t r = 0; r < users.size(); ++r)
    std::copy_n(user_factors_.data() + static_cast<std::size_t>(users[r]) * f, f, rows.data() + r * f);
  return rows.data();
}

// Scoring uses score_kernel.h rather than cblas_sgemm: with K = factors as
// small as 64, OpenBLAS reached 40-65 GFLOP/s per core here while the kernel's
// register-blocked FMA loop reaches about twice that, and only a kernel of our
// own can test each score against the user's top-k threshold in registers.
void FactorModel::score_users(std::span<const std::int32_t> users, float* out) const {
  if (users.empty() || n_items() == 0) return;
  Scratch<float> rows;
  score_rows(packed_items_, gather_users(users, *rows), static_cast<std::int32_t>(users.size()), out, n_items());
}

void FactorModel::top_k_users(std::span<const std::int32_t> users,
                              std::span<const std::span<const std::int32_t>> exclude, std::int32_t k,
                              ScoredItem* out, std::int32_t* counts) const {
  if (users.empty()) return;
  Scratch<float> rows;
  top_k_rows_fused(packed_items_, gather_users(users, *rows), static_cast<std::int32_t>(users.size()), exclude, k, out,
                   counts);
}

void FactorModel::score_vector(std::span<const float> user_vector, float* out) const {
  if (user_vector.size() != static_cast<std::size_t>(factors_))
    throw UsageError("user_vector: " + std::to_string(user_vector.size()) + " floats for " +
                     std::to_string(factors_) + " factors");
  if (n_items() == 0) return;
  cblas_sgemv(CblasRowMajor, CblasNoTrans, n_items(), factors_, 1.0f, item_factors_.data(), factors_,
              user_vector.data(), 1, 0.0f, out, 1);
}

void FactorModel::fold_in_least_squares(std::span<const std::int32_t> items, std::span<const float> weights, float reg,
                                        std::span<float> out) const {
  check_history(items, weights);
  if (!(reg > 0)) throw UsageError("reg: the fold-in regularisation must be > 0, got " + std::to_string(reg));
  const auto f = static_cast<std::size_t>(factors_);
  if (out.size() != f)
    throw UsageError("out: " + std::to_string(out.size()) + " floats for " + std::to_string(f) + " factors");
  std::vector<double> a(f * f, 0.0);
  std::vector<double> b(f, 0.0);
  for (std::size_t j = 0; j < items.size(); ++j) {
    const float* v = item_factors_.data() + static_cast<std::size_t>(items[j]) * f;
    const double w = weights.empty() ? 1.0 : weights[j];
    for (std::size_t r = 0; r < f; ++r) {
      b[r] += w * v[r];
      for (std::size_t c = 0; c <= r; ++c) a[r * f + c] += double(v[r]) * v[c];
    }
  }
  for (std::size_t r = 0; r < f; ++r) {
    a[r * f + r] += reg;
    for (std::size_t c = 0; c < r; ++c) a[c * f + r] = a[r * f + c];
  }
  // reg > 0 makes the matrix positive definite; failure means non-finite input.
  if (!cholesky_solve(a, b, f)) throw UsageError("weights: fold-in failed (non-finite weights or factors)");
  for (std::size_t r = 0; r < f; ++r) out[r] = static_cast<float>(b[r]);
}

std::vector<ScoredItem> FactorModel::similar_items(std::int32_t item, std::int32_t n) const {
  check_item(item);
  check_count(n);
  const auto f = static_cast<std::size_t>(factors_);
  std::vector<float> scores(static_cast<std::size_t>(n_items()));
  score_vector(std::span<const float>(item_factors_.data() + static_cast<std::size_t>(item) * f, f), scores.data());
  const float self = item_norms_[static_cast<std::size_t>(item)];
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const float norms = self * item_norms_[i];
    scores[i] = norms > 0 ? scores[i] / norms : 0.0f;
  }
  std::vector<ScoredItem> out;
  top_k(scores, std::span<const std::int32_t>(&item, 1), std::min(n, n_items()), out);
  return out;
}

std::optional<ItemVectors> FactorModel::inner_product_items() const {
  if (factors_ == 0) return std::nullopt;
  return ItemVectors{item_factors_.data(), n_items(), factors_};
}

bool FactorModel::user_query(std::int32_t user, std::span<float> out) const {
  check_user(user);
  const auto f = static_cast<std::size_t>(factors_);
  if (f == 0) return false;
  if (out.size() != f) throw UsageError("query: " + std::to_string(out.size()) + " floats for " + std::to_string(f) + " factors");
  std::copy_n(user_factors_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(user) * f), f, out.begin());
  return true;
}

bool FactorModel::history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                                std::span<float> out) const {
  check_history(items, weights);
  if (factors_ == 0) return false;
  if (out.size() != static_cast<std::size_t>(factors_))
    throw UsageError("query: " + std::to_string(out.size()) + " floats for " + std::to_string(factors_) + " factors");
  fold_in_user(items, weights, out);
  return true;
}

void FactorModel::fold_in_user(std::span<const std::int32_t>, std::span<const float>, std::span<float>) const {
  throw UsageError("model '" + name() + "' has no fold-in for partial_fit_users");
}

void FactorModel::fold_in_items(const SparseRows&, std::span<float>) const {
  throw UsageError("model '" + name() + "' has no item fold-in for partial_fit_items");
}

void FactorModel::partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix&) {
  const auto f = static_cast<std::size_t>(factors_);
  std::vector<float> vector(f);
  std::vector<std::pair<std::int32_t, std::vector<float>>> solved;
  for (const std::int32_t u : users) {
    fold_in_user(history().row_indices(u), history().row_values(u), vector);
    solved.emplace_back(u, vector);
  }
  // Installed only once every solve succeeded.
  user_factors_.resize(static_cast<std::size_t>(n_users()) * f, 0.0f);
  for (const auto& [u, x] : solved) std::copy(x.begin(), x.end(), user_factors_.begin() + static_cast<std::ptrdiff_t>(u * f));
}

void FactorModel::partial_fit_items_model(std::span<const std::int32_t> items, const SparseRows& columns) {
  const auto f = static_cast<std::size_t>(factors_);
  std::vector<float> solved(items.size() * f);
  fold_in_items(columns, solved);
  item_factors_.resize(static_cast<std::size_t>(n_items()) * f, 0.0f);
  for (std::size_t r = 0; r < items.size(); ++r)
    std::copy_n(solved.begin() + static_cast<std::ptrdiff_t>(r * f), f,
                item_factors_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(items[r]) * f));
  compute_item_norms();
  packed_items_ = pack_items(item_factors_.data(), n_items(), factors_);
}

void FactorModel::save_model(ModelWriter& out) const {
  out.put_scalar<std::int64_t>(name() + ".factors", factors_);
  out.put(name() + ".user_factors", user_factors_);
  out.put(name() + ".item_factors", item_factors_);
}

void FactorModel::load_model(const ModelReader& in) {
  const std::string section = name() + ".factors";
  const auto factors = in.get_scalar<std::int64_t>(section);
  if (factors < 1 || factors > 1 << 16) in.fail(section, "factors must be in [1, 65536], found " + std::to_string(factors));
  if (const std::int32_t expected = expected_factors(); expected > 0 && factors != expected)
    in.fail(section, std::to_string(factors) + " factors, but the model's parameters (" + params().to_short_string() +
                         ") make vectors of " + std::to_string(expected));
  const auto f = static_cast<std::uint64_t>(factors);
  std::vector<float> users = in.get<float>(name() + ".user_factors", static_cast<std::uint64_t>(n_users()) * f);
  std::vector<float> items = in.get<float>(name() + ".item_factors", static_cast<std::uint64_t>(n_items()) * f);
  for (float x : users)
    if (!std::isfinite(x)) in.fail(name() + ".user_factors", "holds a non-finite value");
  for (float x : items)
    if (!std::isfinite(x)) in.fail(name() + ".item_factors", "holds a non-finite value");
  factors_ = static_cast<std::int32_t>(factors);
  user_factors_ = std::move(users);
  item_factors_ = std::move(items);
  compute_item_norms();
  packed_items_ = pack_items(item_factors_.data(), n_items(), factors_);
}

}  // namespace segue
