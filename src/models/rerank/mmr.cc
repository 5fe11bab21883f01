#include "models/rerank/mmr.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/error.h"
#include "features/feature_matrix.h"
#include "models/content/content.h"
#include "models/factorization/factor_model.h"
#include "io/model_file.h"
#include "models/rerank/nested_model.h"
#include "models/scratch.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_mmr(const ModelSpec& spec) { return std::make_unique<MmrModel>(spec); }

}  // namespace

// ---------------------------------------------------------------- ItemSimilarity

ItemSimilarity ItemSimilarity::from_rows(SparseRows rows, bool normalise) {
  for (std::int32_t r = 0; normalise && r < rows.n_rows; ++r) {
    double ss = 0.0;
    for (std::int64_t k = rows.indptr[r]; k < rows.indptr[r + 1]; ++k)
      ss += static_cast<double>(rows.values[k]) * rows.values[k];
    const double inv = ss > 0.0 ? 1.0 / std::sqrt(ss) : 0.0;
    for (std::int64_t k = rows.indptr[r]; k < rows.indptr[r + 1]; ++k)
      rows.values[k] = static_cast<float>(rows.values[k] * inv);
  }
  ItemSimilarity out;
  out.rows_ = std::move(rows);
  return out;
}

ItemSimilarity ItemSimilarity::from_features(const FeatureMatrix& features) {
  SparseRows rows;
  rows.n_rows = features.n_rows;
  rows.n_cols = features.n_features;
  rows.indptr = features.indptr;
  rows.indices = features.indices;
  rows.values = features.values;
  return from_rows(std::move(rows));
}

ItemSimilarity ItemSimilarity::from_vectors(std::span<const float> vectors, std::int32_t n, std::int32_t dim) {
  if (vectors.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(dim))
    throw std::invalid_argument("item vectors: size is not n × dim");
  SparseRows rows;
  rows.n_rows = n;
  rows.n_cols = dim;
  for (std::int32_t i = 0; i < n; ++i) {
    for (std::int32_t d = 0; d < dim; ++d) {
      const float v = vectors[static_cast<std::size_t>(i) * dim + d];
      if (v != 0.0f && std::isfinite(v)) {
        rows.indices.push_back(d);
        rows.values.push_back(v);
      }
    }
    rows.indptr.push_back(static_cast<std::int64_t>(rows.indices.size()));
  }
  return from_rows(std::move(rows));
}

ItemSimilarity ItemSimilarity::from_interactions(const SparseRows& user_rows) {
  SparseRows rows = user_rows.transpose();
  std::fill(rows.values.begin(), rows.values.end(), 1.0f);
  return from_rows(std::move(rows));
}

float ItemSimilarity::operator()(std::int32_t a, std::int32_t b) const {
  const auto ai = rows_.row_indices(a);
  const auto av = rows_.row_values(a);
  const auto bi = rows_.row_indices(b);
  const auto bv = rows_.row_values(b);
  float dot = 0.0f;
  for (std::size_t x = 0, y = 0; x < ai.size() && y < bi.size();) {
    if (ai[x] < bi[y]) ++x;
    else if (bi[y] < ai[x]) ++y;
    else dot += av[x++] * bv[y++];
  }
  return dot;
}

// ---------------------------------------------------------------- mmr_rerank

std::int32_t mmr_rerank(std::span<const ScoredItem> candidates, std::int32_t k, double lambda,
                        const ItemSimilarity& similarity, ScoredItem* out) {
  if (!(lambda >= 0.0 && lambda <= 1.0)) throw UsageError("lambda: must be in [0, 1]");
  const std::size_t n = candidates.size();
  const std::size_t picks = std::min<std::size_t>(n, static_cast<std::size_t>(std::max(k, 0)));
  if (picks == 0) return 0;
  Scratch<double> rel(n), max_sim(n);
  Scratch<std::uint8_t> taken(n);
  double hi = -std::numeric_limits<double>::infinity(), lo = std::numeric_limits<double>::infinity();
  for (const ScoredItem& c : candidates)
    if (std::isfinite(c.score)) {
      hi = std::max(hi, static_cast<double>(c.score));
      lo = std::min(lo, static_cast<double>(c.score));
    }
  for (std::size_t c = 0; c < n; ++c) {
    const double s = candidates[c].score;
    if (!std::isfinite(s)) rel[c] = s > 0 ? 1.0 : 0.0;
    else rel[c] = hi > lo ? (s - lo) / (hi - lo) : 1.0;
  }
  for (std::size_t p = 0; p < picks; ++p) {
    std::size_t best = n;
    double best_value = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < n; ++c) {
      if (taken[c]) continue;
      const double value = lambda * rel[c] - (1.0 - lambda) * max_sim[c];
      if (best == n || value > best_value) {
        best = c;
        best_value = value;
      }
    }
    taken[best] = 1;
    out[p] = candidates[best];
    if (p + 1 == picks || lambda >= 1.0) continue;
    for (std::size_t c = 0; c < n; ++c)
      if (!taken[c])
        max_sim[c] = std::max(max_sim[c], static_cast<double>(similarity(candidates[c].item, candidates[best].item)));
  }
  return static_cast<std::int32_t>(picks);
}

std::vector<ScoredItem> mmr_rerank(std::span<const ScoredItem> candidates, std::int32_t k, double lambda,
                                   const ItemSimilarity& similarity) {
  std::vector<ScoredItem> out(std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(std::max(k, 0))));
  out.resize(static_cast<std::size_t>(mmr_rerank(candidates, k, lambda, similarity, out.data())));
  return out;
}

// ---------------------------------------------------------------- MmrModel

ModelInfo mmr_info() {
  std::vector<ParamDecl> params{
      string_param("base", "itemknn", "the base model's name (default parameters)"),
      string_param("base_spec", "", "the base model's spec with ';' between parameters (wins over base)"),
      float_param("lambda", 0.7, 0.0, 1.0, "relevance weight: lambda*rel - (1-lambda)*max sim (1 = base order)"),
      int_param("candidates", 100, 1, 100000, "N: the base model's top-N that is reranked"),
      string_param("similarity", "auto", "auto | features | factors | interactions: the item cosine used")};
  return ModelInfo{"mmr", "maximal marginal relevance re-ranking of another model's top-N (diversity)", params,
                   &make_mmr, "lambda=0:1"};
}

MmrModel::MmrModel(const ModelSpec& spec) : Recommender(spec) {
  lambda_ = spec.get_float("lambda");
  candidates_ = static_cast<std::int32_t>(spec.get_int("candidates"));
  const std::string& sim = spec.get_string("similarity");
  if (sim != "auto" && sim != "features" && sim != "factors" && sim != "interactions")
    throw UsageError("model 'mmr': parameter 'similarity': unknown value '" + sim +
                     "' (known: auto, features, factors, interactions)");
  base_ = make_nested_model("mmr", "base", spec.get_string("base"), spec.get_string("base_spec"));
}

void MmrModel::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  base_->fit(train, context);
  const std::string& sim = params().get_string("similarity");
  const auto* factors = dynamic_cast<const FactorModel*>(base_.get());
  if (sim == "features" || (sim == "auto" && context.item_features != nullptr)) {
    if (context.item_features == nullptr)
      throw UsageError("mmr: similarity=features needs item features (--items ITEMS.csv)");
    if (context.item_features->n_rows != n_items())
      throw UsageError("mmr: the item features have " + std::to_string(context.item_features->n_rows) +
                       " rows for " + std::to_string(n_items()) + " items");
    similarity_ = ItemSimilarity::from_features(*context.item_features);
    kind_ = "features";
  } else if (sim == "factors" || (sim == "auto" && factors != nullptr)) {
    if (factors == nullptr) throw UsageError("mmr: similarity=factors needs a factor model as base (ials, bpr)");
    similarity_ = ItemSimilarity::from_vectors(factors->item_factors(), n_items(), factors->factors());
    kind_ = "factors";
  } else {
    similarity_ = ItemSimilarity::from_interactions(history());
    kind_ = "interactions";
  }
}

void MmrModel::partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) {
  base_->partial_fit_users(users, feedback);
}

void MmrModel::rerank_row(float* row, std::span<const std::int32_t> exclude) const {
  const auto n = static_cast<std::size_t>(n_items());
  Scratch<ScoredItem> candidates, picked;
  top_k(std::span<const float>(row, n), exclude, std::min(candidates_, n_items()), *candidates);
  picked->resize(candidates.size());
  const std::int32_t count = mmr_rerank(*candidates, static_cast<std::int32_t>(candidates.size()), lambda_,
                                        similarity_, picked.data());
  double hi = -std::numeric_limits<double>::infinity(), lo = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(row[i])) {
      hi = std::max(hi, static_cast<double>(row[i]));
      lo = std::min(lo, static_cast<double>(row[i]));
    }
  const double range = hi > lo ? hi - lo : 1.0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(row[i])) row[i] = static_cast<float>(-1.0 - (hi - row[i]) / range);
  for (std::int32_t r = 0; r < count; ++r) row[picked[static_cast<std::size_t>(r)].item] = static_cast<float>(candidates_ - r);
}

void MmrModel::score_users(std::span<const std::int32_t> users, float* out) const {
  base_->score_users(users, out);
  const auto n = static_cast<std::size_t>(n_items());
  for (std::size_t r = 0; r < users.size(); ++r) rerank_row(out + r * n, history().row_indices(users[r]));
}

void MmrModel::top_k_users(std::span<const std::int32_t> users, std::span<const std::span<const std::int32_t>> exclude,
                           std::int32_t k, ScoredItem* out, std::int32_t* counts) const {
  if (users.empty()) return;
  k = std::max<std::int32_t>(k, 0);
  const std::int32_t wide = std::max(k, std::min(candidates_, n_items()));
  // The call's own buffers: an mmr base writes its lists through `out` while
  // using buffers of its own (shared thread_local ones once aliased here).
  Scratch<ScoredItem> lists(users.size() * static_cast<std::size_t>(wide));
  Scratch<std::int32_t> list_counts(users.size());
  base_->top_k_users(users, exclude, wide, lists.data(), list_counts.data());
  for (std::size_t r = 0; r < users.size(); ++r) {
    const ScoredItem* list = lists.data() + r * static_cast<std::size_t>(wide);
    const std::int32_t available = list_counts[r];
    const std::int32_t n_candidates = std::min(available, candidates_);
    ScoredItem* row = out + r * static_cast<std::size_t>(k);
    std::int32_t written = mmr_rerank(std::span<const ScoredItem>(list, static_cast<std::size_t>(n_candidates)), k,
                                      lambda_, similarity_, row);
    for (std::int32_t p = 0; p < written; ++p) row[p].score = static_cast<float>(candidates_ - p);
    // k > N: the rest in the base order, below the reranked ones.
    const double hi = available > 0 ? list[0].score : 0.0;
    for (std::int32_t c = n_candidates; c < available && written < k; ++c, ++written)
      row[written] = {list[c].item, static_cast<float>(-1.0 - (hi - list[c].score) / std::max(1e-30, std::abs(hi) + 1.0))};
    counts[r] = written;
  }
}

void MmrModel::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  base_->score_history(items, weights, out);
  std::vector<std::int32_t> exclude(items.begin(), items.end());
  std::sort(exclude.begin(), exclude.end());
  rerank_row(out, exclude);
}

std::vector<ScoredItem> MmrModel::similar_items(std::int32_t item, std::int32_t n) const {
  return base_->similar_items(item, n);
}

Explanation MmrModel::explain(std::int32_t user, std::int32_t item) const {
  Explanation out = base_->explain(user, item);
  std::vector<float> row(static_cast<std::size_t>(n_items()));
  score_users(std::span<const std::int32_t>(&user, 1), row.data());
  out.score = row[static_cast<std::size_t>(item)];
  out.note = (out.note.empty() ? "" : out.note + "; ") + "reranked by MMR (lambda " +
             std::to_string(lambda_).substr(0, 4) + ", " + kind_ + " cosine) from " + base_->name() + "'s top " +
             std::to_string(candidates_);
  return out;
}

void MmrModel::save_model(ModelWriter& out) const {
  save_nested_model(out, "mmr.base_model", *base_);
  out.put_string("mmr.similarity.kind", kind_);
  const std::vector<std::int64_t> shape{similarity_.rows().n_rows, similarity_.rows().n_cols};
  out.put("mmr.similarity.shape", shape);
  content_detail::save_rows(out, "mmr.similarity", similarity_.rows());
}

void MmrModel::load_model(const ModelReader& in) {
  base_ = load_nested_model(in, "mmr.base_model");
  if (base_->n_users() != n_users() || base_->n_items() != n_items())
    in.fail("mmr.base_model", "the nested model's shape differs from the wrapper's");
  kind_ = in.get_string("mmr.similarity.kind");
  const std::vector<std::int64_t> shape = in.get<std::int64_t>("mmr.similarity.shape", 2);
  if (shape[0] != n_items() || shape[1] < 0 || shape[1] > INT32_MAX) in.fail("mmr.similarity.shape", "bad dimensions");
  similarity_ = ItemSimilarity::from_rows(
      content_detail::load_rows(in, "mmr.similarity", n_items(), static_cast<std::int32_t>(shape[1])), false);
}

}  // namespace segue

SEGUE_REGISTER_MODEL(mmr, ::segue::mmr_info())
