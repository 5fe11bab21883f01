// The vectors an AnnIndex serves: a factor model's item and user vectors, and
// the fold-in vector of a new listener (ann_index.h).
#include <string>

#include "data/error.h"
#include "models/factorization/bpr.h"
#include "models/factorization/factor_model.h"
#include "models/factorization/ials.h"
#include "models/hybrid/hybrid.h"
#include "serve/ann_index.h"

namespace segue {

// Every FactorModel scores by U[u] · V[i] alone (score_users is FactorModel's,
// overridden by none of ials, bpr, hybrid); bpr's and hybrid's item biases are
// one more column of V with the user's entry fixed at 1, so they are inside
// the inner product too.
std::optional<ItemVectors> item_vectors(const Recommender& model) {
  const auto* factors = dynamic_cast<const FactorModel*>(&model);
  if (factors == nullptr || factors->factors() == 0) return std::nullopt;
  return ItemVectors{factors->item_factors().data(), factors->n_items(), factors->factors()};
}

std::span<const float> user_vector(const Recommender& model, std::int32_t user) {
  const auto* factors = dynamic_cast<const FactorModel*>(&model);
  if (factors == nullptr || factors->factors() == 0) return {};
  if (user < 0 || user >= factors->n_users())
    throw UsageError("user: " + std::to_string(user) + " is not in [0, " + std::to_string(factors->n_users()) + ")");
  const auto f = static_cast<std::size_t>(factors->factors());
  return {factors->user_factors().data() + static_cast<std::size_t>(user) * f, f};
}

// Each model folds in with its own objective (ials: its weighted least squares
// with confidence and λ_u; bpr and hybrid: SGD on their loss), and its
// score_history is exactly fold_in + score_vector, so the same fold_in gives
// the vector whose inner products are score_history's row.
std::vector<float> fold_in_vector(const Recommender& model, std::span<const std::int32_t> items,
                                  std::span<const float> weights) {
  const auto* factors = dynamic_cast<const FactorModel*>(&model);
  if (factors == nullptr || factors->factors() == 0) return {};
  std::vector<float> out(static_cast<std::size_t>(factors->factors()));
  if (const auto* ials = dynamic_cast<const ImplicitAls*>(&model)) {
    ials->fold_in(items, weights, out);
  } else if (const auto* bpr = dynamic_cast<const Bpr*>(&model)) {
    bpr->fold_in(items, weights, out);
  } else if (const auto* hybrid = dynamic_cast<const Hybrid*>(&model)) {
    hybrid->fold_in(items, weights, out);
  } else {
    // A FactorModel this function does not know: its fold-in objective is its own.
    return {};
  }
  return out;
}

}  // namespace segue
