#include "models/collective.h"
#include "models/knn/user_knn.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/error.h"
#include "io/model_file.h"
#include "models/partial_fit.h"
#include "models/scratch.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_user_knn(const ModelSpec& spec) { return std::make_unique<UserKnn>(spec); }

knn::KnnDefaults user_defaults() {
  knn::KnnDefaults d;
  // Picked on a validation split of the Last.fm training data (docs/MODELS.md).
  d.k = 40;
  d.similarity = "cosine";
  d.shrink = 10.0;
  d.weighting = "tfidf";
  d.normalize = false;
  d.history_weight = "log";
  return d;
}

constexpr std::size_t kExplainTop = 10;
constexpr const char* knn_search_space =
    "k=10:800:log,shrink=0:400,similarity=cosine|asymmetric|jaccard,alpha=0.1:0.9,"
    "weighting=none|log|bm25|tfidf,normalize=false|true,history_weight=binary|log";

}  // namespace

ModelInfo user_knn_info() {
  return ModelInfo{"userknn",
                   "user-based k nearest neighbours (cosine / asymmetric / jaccard, bm25 / tf-idf weighting, shrinkage)",
                   knn::knn_params(user_defaults(), "user"), &make_user_knn, knn_search_space};
}

UserKnn::UserKnn(const ModelSpec& spec) : Recommender(spec) {
  knn::read_knn_params(spec, similarity_, weighting_, history_weight_);
}

void UserKnn::prepare_features() {
  // Documents are users, terms their items.
  stats_ = knn::weighting_stats(history());
  features_ = knn::weight_documents(history(), weighting_, stats_);
  by_item_ = features_.transpose();
  norms_ = knn::squared_norms(features_);
}

void UserKnn::fit_model(const FeedbackMatrix&, const FitContext& context) {
  prepare_features();
  neighbors_ = knn::similarity_top_k(features_, by_item_, similarity_, context.pool, context.collective);
  if (is_distributed(context.collective)) set_fit_stat("ranks", context.collective->size());
  context.report("users", n_users(), n_users());
}

void UserKnn::accumulate(std::span<const std::int32_t> users, std::span<const float> sims, float* out) const {
  std::memset(out, 0, static_cast<std::size_t>(n_items()) * sizeof(float));
  for (std::size_t k = 0; k < users.size(); ++k) {
    const float s = sims[k];
    const auto items = history().row_indices(users[k]);
    const auto values = history().row_values(users[k]);
    for (std::size_t t = 0; t < items.size(); ++t) out[items[t]] += s * knn::history_weight(history_weight_, values[t]);
  }
}

void UserKnn::score_users(std::span<const std::int32_t> users, float* out) const {
  const auto stride = static_cast<std::size_t>(n_items());
  for (std::size_t row = 0; row < users.size(); ++row)
    accumulate(neighbors_.row_indices(users[row]), neighbors_.row_values(users[row]), out + row * stride);
}

void UserKnn::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  Scratch<std::int32_t> terms, touched, ids;
  Scratch<float> values, sims;
  Scratch<float> accumulator(static_cast<std::size_t>(n_users()));  // all 0
  knn::merge_history(items, weights, *terms, *values);
  knn::weight_document(weighting_, stats_, *terms, *values);
  knn::similarity_top_k_one(*terms, *values, by_item_, norms_, similarity_, *accumulator, *touched, *ids, *sims);
  accumulate(*ids, *sims, out);
}

void UserKnn::partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix&) {
  prepare_features();
  SparseRows rows = SparseRows::empty(0, n_users());
  rows.indptr = {0};
  std::vector<float> accumulator(static_cast<std::size_t>(n_users()), 0.0f);
  std::vector<std::int32_t> touched;
  for (const std::int32_t u : users) {
    knn::similarity_top_k_one(features_.row_indices(u), features_.row_values(u), by_item_, norms_, similarity_,
                              accumulator, touched, rows.indices, rows.values, u);
    rows.indptr.push_back(static_cast<std::int64_t>(rows.indices.size()));
    ++rows.n_rows;
  }
  neighbors_.n_cols = n_users();
  neighbors_ = replace_rows(neighbors_, users, rows, "users");
}

Explanation UserKnn::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Explanation out;
  out.user = user;
  out.item = item;
  const auto own_items = features_.row_indices(user);
  const auto own_f = features_.row_values(user);
  std::vector<double> parts(own_items.size(), 0.0);
  const auto neighbours = neighbors_.row_indices(user);
  const auto sims = neighbors_.row_values(user);
  float score_f = 0.0f;
  for (std::size_t k = 0; k < neighbours.size(); ++k) {
    const std::int32_t v = neighbours[k];
    const auto v_items = history().row_indices(v);
    const auto found = std::lower_bound(v_items.begin(), v_items.end(), item);
    if (found == v_items.end() || *found != item) continue;
    const float w = knn::history_weight(history_weight_, history().row_values(v)[found - v_items.begin()]);
    score_f += sims[k] * w;
    // sim(u, v) = Σ_j f_uj f_vj · c: split it over the shared items j.
    const auto v_f_items = features_.row_indices(v);
    const auto v_f = features_.row_values(v);
    std::vector<std::pair<std::size_t, double>> shared;
    double dot = 0.0;
    for (std::size_t a = 0, b = 0; a < own_items.size() && b < v_f_items.size();) {
      if (own_items[a] < v_f_items[b]) {
        ++a;
      } else if (v_f_items[b] < own_items[a]) {
        ++b;
      } else {
        const double p = static_cast<double>(own_f[a]) * v_f[b];
        dot += p;
        shared.emplace_back(a, p);
        ++a;
        ++b;
      }
    }
    if (!(dot > 0)) continue;
    const double scale = static_cast<double>(sims[k]) * w / dot;
    for (const auto& [a, p] : shared) parts[a] += p * scale;
  }
  out.score = score_f;
  double total = 0.0;
  std::vector<ScoredItem> ranked;
  for (std::size_t a = 0; a < parts.size(); ++a) {
    total += parts[a];
    if (parts[a] > 0) ranked.push_back({own_items[a], static_cast<float>(parts[a])});
  }
  if (ranked.empty()) {
    out.note = "none of the user's " + std::to_string(similarity_.k) + " nearest neighbours played this item";
    return out;
  }
  std::sort(ranked.begin(), ranked.end(), ranks_before);
  if (ranked.size() > kExplainTop) ranked.resize(kExplainTop);
  for (const ScoredItem& p : ranked)
    out.contributions.push_back({p.item, static_cast<float>(std::min(1.0, p.score / total))});
  return out;
}

void UserKnn::save_model(ModelWriter& out) const {
  out.put("userknn.neighbors.indptr", neighbors_.indptr);
  out.put("userknn.neighbors.indices", neighbors_.indices);
  out.put("userknn.neighbors.values", neighbors_.values);
}

void UserKnn::load_model(const ModelReader& in) {
  neighbors_ = SparseRows{};
  neighbors_.n_rows = n_users();
  neighbors_.n_cols = n_users();
  neighbors_.indptr = in.get<std::int64_t>("userknn.neighbors.indptr", static_cast<std::uint64_t>(n_users()) + 1);
  neighbors_.indices = in.get<std::int32_t>("userknn.neighbors.indices");
  neighbors_.values = in.get<float>("userknn.neighbors.values");
  try {
    neighbors_.validate("userknn.neighbors");
  } catch (const std::invalid_argument& error) {
    in.fail("userknn.neighbors", error.what());
  }
  for (float s : neighbors_.values)
    if (!std::isfinite(s) || s < 0) in.fail("userknn.neighbors.values", "holds a negative or non-finite similarity");
  prepare_features();
}

}  // namespace segue

SEGUE_REGISTER_MODEL(userknn, ::segue::user_knn_info())
