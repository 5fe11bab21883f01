#include "models/collective.h"
#include "models/knn/item_knn.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/error.h"
#include "io/model_file.h"
#include "models/scratch.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_item_knn(const ModelSpec& spec) { return std::make_unique<ItemKnn>(spec); }

knn::KnnDefaults item_defaults() {
  knn::KnnDefaults d;
  // Picked on a validation split of the Last.fm training data (docs/MODELS.md); k 250 (was 100): the same on
  // Last.fm's validation carve (0.1830 vs 0.1823), +4% on mpd-subset's (docs/MODELS.md "Defaults").
  d.k = 250;
  d.similarity = "cosine";
  d.shrink = 10.0;
  d.weighting = "none";
  d.normalize = true;
  d.history_weight = "log";
  return d;
}

constexpr std::size_t kExplainTop = 10;
constexpr const char* knn_search_space =
    "k=10:800:log,shrink=0:400,similarity=cosine|asymmetric|jaccard,alpha=0.1:0.9,"
    "weighting=none|log|bm25|tfidf,normalize=false|true,history_weight=binary|log,prune=target|source";

std::vector<ParamDecl> item_params() {
  std::vector<ParamDecl> decls = knn::knn_params(item_defaults(), "item");
  decls.push_back(string_param("prune", "source",
                               "target: score i from the history items among i's k nearest; source: each history "
                               "item scores only its own k nearest"));
  return decls;
}

}  // namespace

ModelInfo item_knn_info() {
  return ModelInfo{"itemknn",
                   "item-based k nearest neighbours (cosine / asymmetric / jaccard, bm25 / tf-idf weighting, shrinkage)",
                   item_params(), &make_item_knn, knn_search_space};
}

ItemKnn::ItemKnn(const ModelSpec& spec) : Recommender(spec) {
  knn::read_knn_params(spec, similarity_, weighting_, history_weight_);
  const std::string& prune = spec.get_string("prune");
  if (prune != "target" && prune != "source")
    throw UsageError("model 'itemknn': parameter 'prune': unknown value '" + prune + "' (known: target, source)");
  prune_source_ = prune == "source";
}

void ItemKnn::fit_model(const FeedbackMatrix&, const FitContext& context) {
  // Documents are items, terms the users who played them.
  const SparseRows docs = history().transpose();
  const knn::WeightingStats stats = knn::weighting_stats(docs);
  const SparseRows features = knn::weight_documents(docs, weighting_, stats);
  const SparseRows by_user = features.transpose();
  if (prune_source_) {
    // Row j: the k items i with the largest sim(i, j).
    knn::SimilarityParams params = similarity_;
    params.reversed = true;
    by_source_ = knn::similarity_top_k(features, by_user, params, context.pool, context.collective);
    neighbors_ = by_source_.transpose();
  } else {
    neighbors_ = knn::similarity_top_k(features, by_user, similarity_, context.pool, context.collective);
    by_source_ = neighbors_.transpose();
  }
  if (is_distributed(context.collective)) set_fit_stat("ranks", context.collective->size());
  context.report("items", n_items(), n_items());
}

void ItemKnn::accumulate(std::span<const std::int32_t> items, std::span<const float> values, float* out) const {
  std::memset(out, 0, static_cast<std::size_t>(n_items()) * sizeof(float));
  for (std::size_t k = 0; k < items.size(); ++k) {
    const float w = knn::history_weight(history_weight_, values[k]);
    if (w == 0.0f) continue;
    const auto targets = by_source_.row_indices(items[k]);
    const auto sims = by_source_.row_values(items[k]);
    for (std::size_t t = 0; t < targets.size(); ++t) out[targets[t]] += w * sims[t];
  }
}

void ItemKnn::score_users(std::span<const std::int32_t> users, float* out) const {
  const auto stride = static_cast<std::size_t>(n_items());
  for (std::size_t row = 0; row < users.size(); ++row)
    accumulate(history().row_indices(users[row]), history().row_values(users[row]), out + row * stride);
}

void ItemKnn::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  Scratch<std::int32_t> merged_items;
  Scratch<float> merged_values;
  knn::merge_history(items, weights, *merged_items, *merged_values);
  accumulate(*merged_items, *merged_values, out);
}

std::vector<ScoredItem> ItemKnn::similar_items(std::int32_t item, std::int32_t n) const {
  check_item(item);
  check_count(n);
  const SparseRows& nearest = prune_source_ ? by_source_ : neighbors_;  // row i: i's k nearest
  const auto ids = nearest.row_indices(item);
  const auto sims = nearest.row_values(item);
  std::vector<ScoredItem> out;
  out.reserve(ids.size());
  for (std::size_t k = 0; k < ids.size(); ++k) out.push_back({ids[k], sims[k]});
  std::sort(out.begin(), out.end(), ranks_before);
  if (out.size() > static_cast<std::size_t>(n)) out.resize(static_cast<std::size_t>(n));
  return out;
}

Explanation ItemKnn::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Explanation out;
  out.user = user;
  out.item = item;
  const auto hist = history().row_indices(user);
  const auto hist_values = history().row_values(user);
  const auto ids = neighbors_.row_indices(item);
  const auto sims = neighbors_.row_values(item);
  // Both lists are sorted by item: merge them. The score is summed in the same
  // order as score_users (ascending j), so out.score equals the scored value.
  std::vector<ScoredItem> parts;
  double score = 0.0;
  float score_f = 0.0f;
  for (std::size_t a = 0, b = 0; a < hist.size() && b < ids.size();) {
    if (hist[a] < ids[b]) {
      ++a;
    } else if (ids[b] < hist[a]) {
      ++b;
    } else {
      const float w = knn::history_weight(history_weight_, hist_values[a]);
      const float part = w * sims[b];
      if (part > 0) {
        parts.push_back({hist[a], part});
        score += part;
        score_f += part;
      }
      ++a;
      ++b;
    }
  }
  out.score = score_f;
  if (parts.empty()) {
    out.note = "none of the user's items is among this item's " + std::to_string(similarity_.k) + " neighbours";
    return out;
  }
  std::sort(parts.begin(), parts.end(), ranks_before);
  if (parts.size() > kExplainTop) parts.resize(kExplainTop);
  for (const ScoredItem& p : parts)
    out.contributions.push_back({p.item, static_cast<float>(std::min(1.0, p.score / score))});
  return out;
}

void ItemKnn::save_model(ModelWriter& out) const {
  out.put("itemknn.neighbors.indptr", neighbors_.indptr);
  out.put("itemknn.neighbors.indices", neighbors_.indices);
  out.put("itemknn.neighbors.values", neighbors_.values);
}

void ItemKnn::load_model(const ModelReader& in) {
  neighbors_ = SparseRows{};
  neighbors_.n_rows = n_items();
  neighbors_.n_cols = n_items();
  neighbors_.indptr = in.get<std::int64_t>("itemknn.neighbors.indptr", static_cast<std::uint64_t>(n_items()) + 1);
  neighbors_.indices = in.get<std::int32_t>("itemknn.neighbors.indices");
  neighbors_.values = in.get<float>("itemknn.neighbors.values");
  try {
    neighbors_.validate("itemknn.neighbors");
  } catch (const std::invalid_argument& error) {
    in.fail("itemknn.neighbors", error.what());
  }
  for (float s : neighbors_.values)
    if (!std::isfinite(s) || s < 0) in.fail("itemknn.neighbors.values", "holds a negative or non-finite similarity");
  by_source_ = neighbors_.transpose();
}

}  // namespace segue

SEGUE_REGISTER_MODEL(itemknn, ::segue::item_knn_info())
