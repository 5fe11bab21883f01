// The vectors an AnnIndex serves, through the Recommender contract's
// inner-product form (models/recommender.h): item vectors, a user's query,
// the query of a history (ann_index.h).
#include <string>

#include "models/recommender.h"
#include "serve/ann_index.h"

namespace segue {

std::optional<ItemVectors> item_vectors(const Recommender& model) {
  auto vectors = model.inner_product_items();
  if (vectors && (vectors->dim <= 0 || vectors->n_items != model.n_items())) return std::nullopt;
  return vectors;
}

std::vector<float> user_vector(const Recommender& model, std::int32_t user) {
  const auto vectors = item_vectors(model);
  if (!vectors) return {};
  std::vector<float> out(static_cast<std::size_t>(vectors->dim));
  if (!model.user_query(user, out)) return {};
  return out;
}

std::vector<float> fold_in_vector(const Recommender& model, std::span<const std::int32_t> items,
                                  std::span<const float> weights) {
  const auto vectors = item_vectors(model);
  if (!vectors) return {};
  std::vector<float> out(static_cast<std::size_t>(vectors->dim));
  if (!model.history_query(items, weights, out)) return {};
  return out;
}

}  // namespace segue
