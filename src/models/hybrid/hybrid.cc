#include "models/hybrid/hybrid.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "data/error.h"
#include "models/collective.h"
#include "io/model_file.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_hybrid(const ModelSpec& spec) { return std::make_unique<Hybrid>(spec); }

bool contains(const std::int32_t* first, const std::int32_t* last, std::int32_t item) {
  return std::binary_search(first, last, item);
}

bool all_finite(const std::vector<float>& v) {
  float probe = 0.0f;
  for (float value : v) probe += value * 0.0f;
  return probe == 0.0f;
}

// The rows the model sums over: each row's given features (values × weight,
// zeros dropped), then its identity feature (ids after the given ones, in row
// order) when identity[r]; with normalize, each row scaled to Σ|w| = 1.
struct FeatureRows {
  std::int32_t n_features = 0;  // given + identity
  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> indices;
  std::vector<float> values;
};

FeatureRows build_rows(const FeatureMatrix* features, std::int32_t n_rows, float weight,
                       const std::vector<std::uint8_t>& identity, bool normalize) {
  FeatureRows r;
  r.n_features = features != nullptr ? features->n_features : 0;
  r.indptr.assign(static_cast<std::size_t>(n_rows) + 1, 0);
  r.indices.reserve(static_cast<std::size_t>((features != nullptr ? features->nnz() : 0) + n_rows));
  r.values.reserve(r.indices.capacity());
  for (std::int32_t row = 0; row < n_rows; ++row) {
    const std::size_t first = r.indices.size();
    if (features != nullptr && weight > 0.0f) {
      const auto cols = features->row_indices(row);
      const auto vals = features->row_values(row);
      for (std::size_t p = 0; p < cols.size(); ++p) {
        if (vals[p] == 0.0f) continue;
        r.indices.push_back(cols[p]);
        r.values.push_back(vals[p] * weight);
      }
    }
    if (identity[static_cast<std::size_t>(row)]) {
      r.indices.push_back(r.n_features++);
      r.values.push_back(1.0f);
    }
    if (normalize) {
      double total = 0;
      for (std::size_t p = first; p < r.values.size(); ++p) total += std::fabs(r.values[p]);
      if (total > 0)
        for (std::size_t p = first; p < r.values.size(); ++p) r.values[p] = static_cast<float>(r.values[p] / total);
    }
    r.indptr[static_cast<std::size_t>(row) + 1] = static_cast<std::int64_t>(r.indices.size());
  }
  return r;
}

// out[r] = Σ_k w_k (table[k], bias[k]) over row r's features (bias null: the
// last column is `last`); rows are dim = f + 1 floats apart. Not inlined:
// GCC 12 then reports a false -Wfree-nonheap-object in fit_model.
__attribute__((noinline)) std::vector<float> materialise(const FeatureRows& rows, const std::vector<float>& table,
                                                         const float* bias, float last, std::size_t f) {
  const std::size_t n_rows = rows.indptr.size() - 1, dim = f + 1;
  std::vector<float> out(n_rows * dim, 0.0f);
  for (std::size_t r = 0; r < n_rows; ++r) {
    float* o = out.data() + r * dim;
    for (std::int64_t p = rows.indptr[r]; p < rows.indptr[r + 1]; ++p) {
      const float w = rows.values[static_cast<std::size_t>(p)];
      const std::int32_t k = rows.indices[static_cast<std::size_t>(p)];
      const float* e = table.data() + static_cast<std::size_t>(k) * f;
      for (std::size_t c = 0; c < f; ++c) o[c] += w * e[c];
      if (bias != nullptr) o[f] += w * bias[k];
    }
    if (bias == nullptr) o[f] = last;
  }
  return out;
}

constexpr float kMaxWarpLoss = 10.0f;  // LightFM's clip of the WARP weight
constexpr int kBprNegativeTries = 8;   // redraws while the BPR negative is a positive
// Distributed: rounds an epoch ends with the sum of the shared rows' changes (as bpr.cc).
constexpr std::int64_t kSyncRounds = 8;

// Everything a training step reads and writes. Rows are `f` floats apart.
struct Net {
  float* emb;      // n_features × f
  float* emb_g;    // Adagrad sums of squared gradients, same shape (start at 1)
  float* bias;     // n_features
  float* bias_g;   // n_features
  float* user;     // n_users × f, or with user features n_user_features × f
  float* user_g;   // the same shape (Adagrad sums)
  // User → user features (CSR over the rows of `user`, weights in
  // user_rows_values); null: user u's vector is the row u of `user`.
  const std::int64_t* user_rows_indptr;
  const std::int32_t* user_rows_indices;
  const float* user_rows_values;
  const std::int64_t* rows_indptr;  // item → features (CSR), weights in rows_values
  const std::int32_t* rows_indices;
  const float* rows_values;
  const std::int64_t* pos_indptr;  // user → sorted positives
  const std::int32_t* pos_indices;
  const std::int32_t* candidates;  // the items negatives are drawn from; null = all items
  std::int32_t n_candidates;
  std::int32_t f;
  float lr;
  float item_alpha;
  float user_alpha;
  std::int32_t max_sampled;
  bool adagrad;
  bool warp;
};

// p -= step · (scale·dir + alpha·p), step = lr / √g (Adagrad, g then += (scale·dir)²) or lr.
void adagrad_row_plain(float* __restrict p, float* __restrict g, const float* __restrict dir, float scale, float lr,
                       float alpha, std::int32_t f) {
  for (std::int32_t c = 0; c < f; ++c) {
    const float d = scale * dir[c];
    const float step = lr / std::sqrt(g[c]);
    p[c] -= step * (d + alpha * p[c]);
    g[c] += d * d;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx,fma"))) void adagrad_row_avx(float* __restrict p, float* __restrict g,
                                                        const float* __restrict dir, float scale, float lr,
                                                        float alpha, std::int32_t f) {
  const __m256 vs = _mm256_set1_ps(scale), vlr = _mm256_set1_ps(lr), va = _mm256_set1_ps(alpha);
  std::int32_t c = 0;
  for (; c + 8 <= f; c += 8) {
    const __m256 d = _mm256_mul_ps(vs, _mm256_loadu_ps(dir + c));
    const __m256 pv = _mm256_loadu_ps(p + c);
    const __m256 gv = _mm256_loadu_ps(g + c);
    const __m256 step = _mm256_div_ps(vlr, _mm256_sqrt_ps(gv));
    _mm256_storeu_ps(p + c, _mm256_fnmadd_ps(step, _mm256_fmadd_ps(va, pv, d), pv));
    _mm256_storeu_ps(g + c, _mm256_fmadd_ps(d, d, gv));
  }
  for (; c < f; ++c) {
    const float d = scale * dir[c];
    const float step = lr / std::sqrt(g[c]);
    p[c] -= step * (d + alpha * p[c]);
    g[c] += d * d;
  }
}
#endif

using AdagradRow = void (*)(float*, float*, const float*, float, float, float, std::int32_t);

template <bool kAvx>
inline __attribute__((always_inline)) void step_row(const Net& n, float* __restrict p, float* __restrict g,
                                                    const float* __restrict dir, float scale, float alpha) {
  if (n.adagrad) {
#if defined(__x86_64__) && defined(__GNUC__)
    if constexpr (kAvx) {
      adagrad_row_avx(p, g, dir, scale, n.lr, alpha, n.f);
      return;
    }
#endif
    adagrad_row_plain(p, g, dir, scale, n.lr, alpha, n.f);
  } else {
    const float lr = n.lr;
    for (std::int32_t c = 0; c < n.f; ++c) p[c] -= lr * (scale * dir[c] + alpha * p[c]);
  }
}

inline __attribute__((always_inline)) void step_scalar(const Net& n, float& p, float& g, float d, float alpha) {
  const float step = n.adagrad ? n.lr / std::sqrt(g) : n.lr;
  p -= step * (d + alpha * p);
  if (n.adagrad) g += d * d;
}

// out[0, f) = Σ w_k E[k], out[f] = Σ w_k b[k] over the item's features;
// returns the score u · out + out[f]. Written so that GCC vectorises it.
inline __attribute__((always_inline)) float represent(const Net& n, std::int32_t item, const float* __restrict u,
                                                      float* __restrict out) {
  const std::int32_t f = n.f;
  for (std::int32_t c = 0; c < f; ++c) out[c] = 0.0f;
  float b = 0.0f;
  for (std::int64_t p = n.rows_indptr[item], end = n.rows_indptr[item + 1]; p < end; ++p) {
    const std::int32_t k = n.rows_indices[p];
    const float w = n.rows_values[p];
    const float* __restrict e = n.emb + static_cast<std::size_t>(k) * static_cast<std::size_t>(f);
    for (std::int32_t c = 0; c < f; ++c) out[c] += w * e[c];
    b += w * n.bias[k];
  }
  out[f] = b;
  float acc[16] = {};
  std::int32_t c = 0;
  for (; c + 16 <= f; c += 16)
    for (int l = 0; l < 16; ++l) acc[l] += u[c + l] * out[c + l];
  float s = b;
  for (; c < f; ++c) s += u[c] * out[c];
  for (int l = 0; l < 16; ++l) s += acc[l];
  return s;
}

inline __attribute__((always_inline)) std::int32_t draw_negative(const Net& n, Rng& rng) {
  const auto c = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n.n_candidates)));
  return n.candidates != nullptr ? n.candidates[c] : c;
}

inline __attribute__((always_inline)) void prefetch_csr(const Net& n, std::int32_t item) {
  __builtin_prefetch(n.rows_indptr + item);
  __builtin_prefetch(n.rows_indices + n.rows_indptr[item]);
}

// The embedding rows (and biases) of the item's features, into the cache.
inline __attribute__((always_inline)) void prefetch_rows(const Net& n, std::int32_t item) {
  const auto fs = static_cast<std::size_t>(n.f);
  for (std::int64_t p = n.rows_indptr[item], end = n.rows_indptr[item + 1]; p < end; ++p) {
    const float* e = n.emb + static_cast<std::size_t>(n.rows_indices[p]) * fs;
    for (std::size_t off = 0; off < fs; off += 16) __builtin_prefetch(e + off);
    __builtin_prefetch(e + fs - 1);
    __builtin_prefetch(n.bias + n.rows_indices[p]);
  }
}

// One (user, positive) sample: draws the negative(s) and takes the step.
// scratch holds 4 × (f + 1) floats.
template <bool kAvx>
inline __attribute__((always_inline)) void train_sample(const Net& n, std::int32_t u, std::int32_t i, Rng& rng,
                                                        float* scratch) {
  const std::int32_t f = n.f;
  const auto fs = static_cast<std::size_t>(f);
  float* __restrict uvec = scratch;
  float* __restrict pos = scratch + (fs + 1);
  float* __restrict neg = scratch + 2 * (fs + 1);
  float* __restrict diff = scratch + 3 * (fs + 1);
  // The user's vector: its own row, or Σ w_k U[k] over its features.
  float* urow = nullptr;
  if (n.user_rows_indptr == nullptr) {
    urow = n.user + static_cast<std::size_t>(u) * fs;
    for (std::int32_t c = 0; c < f; ++c) uvec[c] = urow[c];
  } else {
    for (std::int32_t c = 0; c < f; ++c) uvec[c] = 0.0f;
    for (std::int64_t p = n.user_rows_indptr[u], end = n.user_rows_indptr[u + 1]; p < end; ++p) {
      const float w = n.user_rows_values[p];
      const float* __restrict e = n.user + static_cast<std::size_t>(n.user_rows_indices[p]) * fs;
      for (std::int32_t c = 0; c < f; ++c) uvec[c] += w * e[c];
    }
  }
  const std::int32_t* liked_begin = n.pos_indices + n.pos_indptr[u];
  const std::int32_t* liked_end = n.pos_indices + n.pos_indptr[u + 1];
  const float pos_score = represent(n, i, uvec, pos);

  float loss = 0.0f;
  std::int32_t j = -1;
  if (n.warp) {
    // Candidates are drawn two ahead: the next one's feature rows and the one
    // after's CSR entries are prefetched while this one is scored (the random
    // items' identity rows are what misses the cache).
    auto next = draw_negative(n, rng);
    auto after = draw_negative(n, rng);
    prefetch_rows(n, next);
    for (std::int32_t sampled = 1; sampled <= n.max_sampled; ++sampled) {
      const std::int32_t candidate = next;
      next = after;
      after = draw_negative(n, rng);
      prefetch_rows(n, next);
      prefetch_csr(n, after);
      const float neg_score = represent(n, candidate, uvec, neg);
      if (neg_score > pos_score - 1.0f) {
        if (contains(liked_begin, liked_end, candidate)) continue;
        j = candidate;
        loss = std::min(kMaxWarpLoss, std::log(std::max(1.0f, std::floor(static_cast<float>(n.n_candidates - 1) /
                                                                          static_cast<float>(sampled)))));
        break;
      }
    }
  } else {
    for (int t = 0; t < kBprNegativeTries; ++t) {
      const std::int32_t candidate = draw_negative(n, rng);
      if (!contains(liked_begin, liked_end, candidate)) {
        j = candidate;
        break;
      }
    }
    if (j >= 0) {
      const float neg_score = represent(n, j, uvec, neg);
      loss = 1.0f / (1.0f + std::exp(pos_score - neg_score));  // σ(neg − pos)
    }
  }
  if (j < 0 || !(loss != 0.0f)) return;

  // d loss/d E_k = ∓loss · w_k · u (positive −, negative +); d loss/d u = loss · (neg − pos).
  for (std::int32_t c = 0; c < f; ++c) diff[c] = neg[c] - pos[c];
  for (int side = 0; side < 2; ++side) {
    const std::int32_t item = side == 0 ? i : j;
    const float sign = side == 0 ? -loss : loss;
    for (std::int64_t p = n.rows_indptr[item], end = n.rows_indptr[item + 1]; p < end; ++p) {
      const std::int32_t k = n.rows_indices[p];
      const float w = n.rows_values[p];
      const std::size_t off = static_cast<std::size_t>(k) * fs;
      step_row<kAvx>(n, n.emb + off, n.emb_g + off, uvec, sign * w, n.item_alpha);
      step_scalar(n, n.bias[k], n.bias_g[k], sign * w, n.item_alpha);
    }
  }
  if (urow != nullptr) {
    step_row<kAvx>(n, urow, n.user_g + static_cast<std::size_t>(u) * fs, diff, loss, n.user_alpha);
    return;
  }
  for (std::int64_t p = n.user_rows_indptr[u], end = n.user_rows_indptr[u + 1]; p < end; ++p) {
    const std::size_t off = static_cast<std::size_t>(n.user_rows_indices[p]) * fs;
    step_row<kAvx>(n, n.user + off, n.user_g + off, diff, loss * n.user_rows_values[p], n.user_alpha);
  }
}

// The user's row(s) of `user`, into the cache (for writing).
inline __attribute__((always_inline)) void prefetch_user(const Net& n, std::int32_t u) {
  const auto fs = static_cast<std::size_t>(n.f);
  if (n.user_rows_indptr == nullptr) {
    const float* urow = n.user + static_cast<std::size_t>(u) * fs;
    for (std::size_t off = 0; off < fs; off += 16) __builtin_prefetch(urow + off, 1);
    return;
  }
  for (std::int64_t p = n.user_rows_indptr[u], end = n.user_rows_indptr[u + 1]; p < end; ++p) {
    const float* e = n.user + static_cast<std::size_t>(n.user_rows_indices[p]) * fs;
    for (std::size_t off = 0; off < fs; off += 16) __builtin_prefetch(e + off, 1);
  }
}

// A thread's samples: (user, item) pairs, in order.
template <bool kAvx>
inline __attribute__((always_inline)) void train_chunk_impl(const Net& n, const std::int32_t* users,
                                                            const std::int32_t* items, const std::int64_t* order,
                                                            std::int64_t count, std::uint64_t seed, float* scratch) {
  Rng rng(seed);
  for (std::int64_t s = 0; s < count; ++s) {
    if (s + 1 < count) {  // the next sample's user row(s) and positive's rows
      const std::int64_t k = order[s + 1];
      prefetch_user(n, users[k]);
      prefetch_rows(n, items[k]);
    }
    if (s + 2 < count) prefetch_csr(n, items[order[s + 2]]);
    const std::int64_t k = order[s];
    train_sample<kAvx>(n, users[k], items[k], rng, scratch);
  }
}

void train_chunk_plain(const Net& n, const std::int32_t* users, const std::int32_t* items, const std::int64_t* order,
                       std::int64_t count, std::uint64_t seed, float* scratch) {
  train_chunk_impl<false>(n, users, items, order, count, seed, scratch);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx,fma"))) void train_chunk_avx_fma(const Net& n, const std::int32_t* users,
                                                            const std::int32_t* items, const std::int64_t* order,
                                                            std::int64_t count, std::uint64_t seed, float* scratch) {
  train_chunk_impl<true>(n, users, items, order, count, seed, scratch);
}
#endif

using TrainChunk = void (*)(const Net&, const std::int32_t*, const std::int32_t*, const std::int64_t*, std::int64_t,
                            std::uint64_t, float*);

TrainChunk pick_train_chunk() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx") && __builtin_cpu_supports("fma")) return &train_chunk_avx_fma;
#endif
  return &train_chunk_plain;
}

const TrainChunk train_chunk = pick_train_chunk();

}  // namespace

ModelInfo hybrid_info() {
  return ModelInfo{
      "hybrid",
      "LightFM-style hybrid factorisation: item (and, with --users, user) vectors are sums of feature embeddings "
      "(needs --items); WARP or BPR",
      {int_param("factors", 64, 1, 4096, "embedding dimensions (the item bias is one more stored column)"),
       int_param("epochs", 60, 1, 100000, "passes over the training positives"),
       string_param("loss", "warp", "warp (sample negatives until one violates the margin) or bpr (one negative)"),
       string_param("learning_schedule", "adagrad", "adagrad (per-parameter steps, LightFM's default) or sgd"),
       float_param("learning_rate", 0.05, 0.0, 1e6, "step size (Adagrad's base rate or the SGD step)", true),
       float_param("item_alpha", 0.0, 0.0, 1e6, "L2 on the feature embeddings and biases a step touches"),
       float_param("user_alpha", 0.0, 0.0, 1e6, "L2 on the user embeddings a step touches"),
       int_param("max_sampled", 50, 1, 100000, "warp: most negatives drawn per positive"),
       string_param("negatives", "all",
                    "all (negatives drawn from every item, LightFM) or warm (only items with training positives)"),
       bool_param("item_identity", true, "an identity feature for every item with training positives"),
       bool_param("user_identity", true,
                  "an identity feature for every user (false: users are their --users features alone)"),
       float_param("item_feature_weight", 1.0, 0.0, 1e6,
                   "the item features' values are multiplied by this against the identity's 1 (0 drops them)"),
       float_param("user_feature_weight", 1.0, 0.0, 1e6,
                   "the user features' values are multiplied by this against the identity's 1 (0 drops them)"),
       bool_param("normalize", true, "scale each item's and user's feature row (identity included) to sum 1"),
       int_param("seed", 42, 0, 9007199254740991.0, "seed of the initial embeddings and the sampling")},
      &make_hybrid,
      "learning_rate=0.01:0.2:log, max_sampled=10:100, item_alpha=0.0000001:0.001:log, user_alpha=0.0000001:0.001:log, "
      "item_feature_weight=0.1:10:log"};
}

Hybrid::Hybrid(const ModelSpec& spec)
    : FactorModel(spec),
      factors_param_(static_cast<std::int32_t>(spec.get_int("factors"))),
      epochs_(static_cast<std::int32_t>(spec.get_int("epochs"))),
      warp_(spec.get_string("loss") == "warp"),
      adagrad_(spec.get_string("learning_schedule") == "adagrad"),
      learning_rate_(static_cast<float>(spec.get_float("learning_rate"))),
      item_alpha_(static_cast<float>(spec.get_float("item_alpha"))),
      user_alpha_(static_cast<float>(spec.get_float("user_alpha"))),
      max_sampled_(static_cast<std::int32_t>(spec.get_int("max_sampled"))),
      warm_negatives_(spec.get_string("negatives") == "warm"),
      item_identity_(spec.get_bool("item_identity")),
      user_identity_(spec.get_bool("user_identity")),
      item_feature_weight_(static_cast<float>(spec.get_float("item_feature_weight"))),
      user_feature_weight_(static_cast<float>(spec.get_float("user_feature_weight"))),
      normalize_(spec.get_bool("normalize")),
      seed_(static_cast<std::uint64_t>(spec.get_int("seed"))) {
  const std::string& loss = spec.get_string("loss");
  if (loss != "warp" && loss != "bpr") throw UsageError("loss: must be warp or bpr, got '" + loss + "'");
  const std::string& negatives = spec.get_string("negatives");
  if (negatives != "warm" && negatives != "all")
    throw UsageError("negatives: must be warm or all, got '" + negatives + "'");
  const std::string& schedule = spec.get_string("learning_schedule");
  if (schedule != "adagrad" && schedule != "sgd")
    throw UsageError("learning_schedule: must be adagrad or sgd, got '" + schedule + "'");
  if (factors_param_ < 1) throw UsageError("factors: must be >= 1, got " + std::to_string(factors_param_));
  if (epochs_ < 1) throw UsageError("epochs: must be >= 1, got " + std::to_string(epochs_));
  if (max_sampled_ < 1) throw UsageError("max_sampled: must be >= 1, got " + std::to_string(max_sampled_));
  if (!(learning_rate_ > 0) || !std::isfinite(learning_rate_))
    throw UsageError("learning_rate: must be a finite number > 0");
  if (!(item_alpha_ >= 0) || !std::isfinite(item_alpha_)) throw UsageError("item_alpha: must be a finite number >= 0");
  if (!(user_alpha_ >= 0) || !std::isfinite(user_alpha_)) throw UsageError("user_alpha: must be a finite number >= 0");
  if (!(item_feature_weight_ >= 0) || !std::isfinite(item_feature_weight_))
    throw UsageError("item_feature_weight: must be a finite number >= 0");
  if (!(user_feature_weight_ >= 0) || !std::isfinite(user_feature_weight_))
    throw UsageError("user_feature_weight: must be a finite number >= 0");
}

void Hybrid::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  if (context.item_features == nullptr) throw UsageError("hybrid needs item features (--items ITEMS.csv)");
  const FeatureMatrix& features = *context.item_features;
  if (features.n_rows != train.n_items)
    throw UsageError("hybrid: the item features have " + std::to_string(features.n_rows) + " rows for " +
                     std::to_string(train.n_items) + " items");
  const FeatureMatrix* user_features = context.user_features;
  if (user_features != nullptr && user_features->n_rows != train.n_users)
    throw UsageError("hybrid: the user features have " + std::to_string(user_features->n_rows) + " rows for " +
                     std::to_string(train.n_users) + " users");
  if (!user_identity_ && (user_features == nullptr || user_features->n_features == 0))
    throw UsageError("hybrid: user_identity=false needs user features (--users USERS.csv)");
  try {
    features.validate();
    if (user_features != nullptr) user_features->validate();
  } catch (const std::invalid_argument& error) {
    throw UsageError(std::string("hybrid: bad item or user features: ") + error.what());
  }
  const std::int64_t nnz = train.nnz();
  if (nnz >= (std::int64_t{1} << 32)) throw UsageError("hybrid: more than 2^32 positives are not supported");

  const std::int32_t f = factors_param_;
  const auto fs = static_cast<std::size_t>(f);
  const std::int32_t n_items = train.n_items;
  const std::int32_t n_users = train.n_users;

  // The item rows: the given features, then the item's identity feature (items with positives only).
  std::vector<std::int64_t> positives_of(static_cast<std::size_t>(n_items), 0);
  for (std::int32_t item : train.indices) ++positives_of[item];
  std::vector<std::uint8_t> item_identity(static_cast<std::size_t>(n_items), 0);
  for (std::int32_t i = 0; i < n_items; ++i) item_identity[i] = item_identity_ && positives_of[i] > 0 ? 1 : 0;
  FeatureRows item_rows = build_rows(&features, n_items, item_feature_weight_, item_identity, normalize_);
  // The user rows (with user features only; without, a user is its own row).
  FeatureRows user_rows;
  if (user_features != nullptr)
    user_rows = build_rows(user_features, n_users, user_feature_weight_,
                           std::vector<std::uint8_t>(static_cast<std::size_t>(n_users), user_identity_ ? 1 : 0),
                           normalize_);
  const std::size_t user_table_rows =
      user_features != nullptr ? static_cast<std::size_t>(user_rows.n_features) : static_cast<std::size_t>(n_users);

  // LightFM's initialisation: embeddings uniform in ±0.5 / f, biases 0, Adagrad sums 1.
  std::vector<float> emb(static_cast<std::size_t>(item_rows.n_features) * fs), emb_g(emb.size(), 1.0f);
  std::vector<float> bias(static_cast<std::size_t>(item_rows.n_features), 0.0f), bias_g(bias.size(), 1.0f);
  std::vector<float> user(user_table_rows * fs), user_g(user.size(), 1.0f);
  {
    // The user identity rows draw first (they follow the given user features
    // in the table): with user_feature_weight=0 the fit is the one without them.
    Rng rng(seed_);
    const float scale = 1.0f / static_cast<float>(f);
    for (float& x : emb) x = (rng.unit() - 0.5f) * scale;
    const std::size_t given = user_features != nullptr ? static_cast<std::size_t>(user_features->n_features) * fs : 0;
    for (std::size_t k = given; k < user.size(); ++k) user[k] = (rng.unit() - 0.5f) * scale;
    for (std::size_t k = 0; k < given; ++k) user[k] = (rng.unit() - 0.5f) * scale;
  }

  // The negatives' pool: the items with positives (negatives=warm) or all.
  std::vector<std::int32_t> candidates;
  if (warm_negatives_)
    for (std::int32_t i = 0; i < n_items; ++i)
      if (positives_of[i] > 0) candidates.push_back(i);

  if (nnz > 0 && n_items > 0) {
    ThreadPool& pool = context.pool != nullptr ? *context.pool : default_thread_pool();
    const std::int64_t parts = pool.size();
    // Distributed (docs/SCALE.md): data-parallel epochs, as bpr. Each rank trains on the positives of its own
    // block of users (blocks balanced on positives), so a user's row is only stepped by its rank; the shared
    // rows (feature embeddings, biases, their Adagrad sums, and the user feature rows when there are user
    // features) are summed as changes from a common start kSyncRounds times an epoch; the user rows are
    // gathered at the end. One process is the case of one block and one round.
    Collective* ranks = is_distributed(context.collective) ? context.collective : nullptr;
    const std::vector<std::int64_t> user_blocks =
        ranks != nullptr ? balanced_blocks(train.indptr, ranks->size()) : std::vector<std::int64_t>{0, n_users};
    const std::size_t mine = ranks != nullptr ? static_cast<std::size_t>(ranks->rank()) : 0;
    const auto u0 = static_cast<std::int32_t>(user_blocks[mine]);
    const auto u1 = static_cast<std::int32_t>(user_blocks[mine + 1]);
    const std::int64_t k0 = train.indptr[u0];
    const std::int64_t my_nnz = train.indptr[u1] - k0;
    const std::int64_t rounds = ranks != nullptr ? kSyncRounds : 1;
    std::vector<std::vector<float>*> shared{&emb, &emb_g, &bias, &bias_g};
    if (user_features != nullptr) shared.insert(shared.end(), {&user, &user_g});
    std::vector<std::vector<float>> at_start(shared.size());
    if (ranks != nullptr) {
      ranks->reset_communication_seconds();
      set_fit_stat("ranks", ranks->size());
    }
    std::vector<std::int32_t> owner(static_cast<std::size_t>(nnz));
    for (std::int32_t u = 0; u < n_users; ++u)
      std::fill(owner.begin() + train.indptr[u], owner.begin() + train.indptr[u + 1], u);
    // Per epoch: a shuffle of the positives, and of the users into `parts`
    // groups of about nnz / parts positives; each thread runs its group's
    // positives in shuffled order, so no two threads write one user's vector
    // (shared user features, like item features, are written Hogwild).
    std::vector<std::int64_t> shuffled(static_cast<std::size_t>(my_nnz)), order(static_cast<std::size_t>(my_nnz));
    std::vector<std::int32_t> user_order(static_cast<std::size_t>(u1 - u0));
    std::vector<std::int32_t> group(static_cast<std::size_t>(n_users));
    std::vector<std::int64_t> starts(static_cast<std::size_t>(parts) + 1);
    std::vector<float> scratch(static_cast<std::size_t>(parts) * 4 * (fs + 1));
    Net net{};
    net.emb = emb.data();
    net.emb_g = emb_g.data();
    net.bias = bias.data();
    net.bias_g = bias_g.data();
    net.user = user.data();
    net.user_g = user_g.data();
    if (user_features != nullptr) {
      net.user_rows_indptr = user_rows.indptr.data();
      net.user_rows_indices = user_rows.indices.data();
      net.user_rows_values = user_rows.values.data();
    }
    net.rows_indptr = item_rows.indptr.data();
    net.rows_indices = item_rows.indices.data();
    net.rows_values = item_rows.values.data();
    net.pos_indptr = train.indptr.data();
    net.pos_indices = train.indices.data();
    net.candidates = warm_negatives_ ? candidates.data() : nullptr;
    net.n_candidates = warm_negatives_ ? static_cast<std::int32_t>(candidates.size()) : n_items;
    net.f = f;
    net.lr = learning_rate_;
    net.item_alpha = item_alpha_;
    net.user_alpha = user_alpha_;
    net.max_sampled = max_sampled_;
    net.adagrad = adagrad_;
    net.warp = warp_;
    for (std::int32_t epoch = 0; epoch < epochs_; ++epoch) {
      Rng rng(splitmix64_mix(seed_ ^ splitmix64_mix(static_cast<std::uint64_t>(epoch) + 0x51ED)));
      const auto my_users = static_cast<std::int64_t>(user_order.size());
      for (std::int64_t k = 0; k < my_nnz; ++k) shuffled[k] = k0 + k;
      for (std::int64_t k = my_nnz - 1; k > 0; --k) std::swap(shuffled[k], shuffled[rng.below(k + 1)]);
      for (std::int32_t u = u0; u < u1; ++u) user_order[u - u0] = u;
      for (std::int64_t u = my_users - 1; u > 0; --u) std::swap(user_order[u], user_order[rng.below(u + 1)]);
      std::int64_t seen = 0;
      for (std::int32_t u : user_order) {
        group[u] = static_cast<std::int32_t>(std::min<std::int64_t>(parts - 1, seen * parts / std::max<std::int64_t>(1, my_nnz)));
        seen += train.count(u);
      }
      std::fill(starts.begin(), starts.end(), 0);
      for (std::int64_t k : shuffled) ++starts[group[owner[k]] + 1];
      for (std::int64_t p = 0; p < parts; ++p) starts[p + 1] += starts[p];
      {
        std::vector<std::int64_t> next(starts.begin(), starts.end() - 1);
        for (std::int64_t k : shuffled) order[next[group[owner[k]]]++] = k;
      }
      for (std::int64_t round = 0; round < rounds; ++round) {
        if (ranks != nullptr)
          for (std::size_t s = 0; s < shared.size(); ++s) at_start[s] = *shared[s];
        pool.parallel_for(0, parts, 1, [&](std::int64_t part, std::int64_t, int) {
          const std::int64_t length = starts[part + 1] - starts[part];
          const std::int64_t begin = starts[part] + length * round / rounds;
          const std::int64_t end = starts[part] + length * (round + 1) / rounds;
          const std::uint64_t stream = static_cast<std::uint64_t>(epoch) * 1000003u + static_cast<std::uint64_t>(part) + 1 +
                                       (static_cast<std::uint64_t>(mine) * 64 + static_cast<std::uint64_t>(round)) *
                                           0x9E3779B97F4A7C15ull;
          train_chunk(net, owner.data(), train.indices.data(), order.data() + begin, end - begin,
                      splitmix64_mix(seed_ ^ splitmix64_mix(stream)),
                      scratch.data() + static_cast<std::size_t>(part) * 4 * (fs + 1));
        });
        if (ranks != nullptr)
          for (std::size_t s = 0; s < shared.size(); ++s) sum_changes(*ranks, *shared[s], at_start[s]);
      }
      if (!all_finite(emb) || !all_finite(bias) || !all_finite(user))
        throw UsageError("hybrid: training diverged (non-finite embeddings) at epoch " + std::to_string(epoch + 1) +
                         " of " + std::to_string(epochs_) + "; lower learning_rate");
      context.report("epoch", epoch + 1, epochs_);
    }
    if (ranks != nullptr) {
      if (user_features == nullptr) ranks->allgather_rows(user.data(), user_blocks, f);
      set_fit_stat("communication_seconds", ranks->communication_seconds());
    }
  }

  // Materialise: item i = Σ_k w_k (E[k], b[k]); user u = (U[u], 1) or (Σ_k w_k U[k], 1).
  std::vector<float> items = materialise(item_rows, emb, bias.data(), 0.0f, fs);
  std::vector<float> users;
  if (user_features != nullptr) {
    users = materialise(user_rows, user, nullptr, 1.0f, fs);
  } else {
    users.resize(static_cast<std::size_t>(n_users) * (fs + 1));
    for (std::size_t u = 0; u < static_cast<std::size_t>(n_users); ++u) {
      std::copy_n(user.data() + u * fs, fs, users.data() + u * (fs + 1));
      users[u * (fs + 1) + fs] = 1.0f;
    }
  }
  components_ = f;
  feature_embeddings_ = std::move(emb);
  feature_biases_ = std::move(bias);
  rows_indptr_ = std::move(item_rows.indptr);
  rows_indices_ = std::move(item_rows.indices);
  rows_values_ = std::move(item_rows.values);
  features_ = features;
  if (user_features != nullptr) {
    user_feature_embeddings_.swap(user);
    user_rows_indptr_ = std::move(user_rows.indptr);
    user_rows_indices_ = std::move(user_rows.indices);
    user_rows_values_ = std::move(user_rows.values);
    user_features_ = *user_features;
  } else {
    user_feature_embeddings_.clear();
    user_rows_indptr_.clear();
    user_rows_indices_.clear();
    user_rows_values_.clear();
    user_features_ = FeatureMatrix{};
  }
  negative_items_ = std::move(candidates);
  set_factors(f + 1, std::move(users), std::move(items));
}

void Hybrid::fold_in(std::span<const std::int32_t> items, std::span<const float> weights, std::span<float> out) const {
  check_history(items, weights);
  const std::int32_t dim = factors();
  const auto ds = static_cast<std::size_t>(dim);
  if (out.size() != ds)
    throw UsageError("out: " + std::to_string(out.size()) + " floats for " + std::to_string(dim) + " factors");
  std::vector<std::int32_t> liked;
  for (std::size_t j = 0; j < items.size(); ++j)
    if (weights.empty() || weights[j] > 0) liked.push_back(items[j]);
  std::sort(liked.begin(), liked.end());
  liked.erase(std::unique(liked.begin(), liked.end()), liked.end());
  const std::size_t f = ds - 1;
  std::fill(out.begin(), out.end(), 0.0f);
  out[f] = 1.0f;
  if (liked.empty() || static_cast<std::int32_t>(liked.size()) >= n_items()) return;
  std::vector<float> g(f, 1.0f);
  const float* v = item_factors().data();
  const auto score = [&](std::int32_t item) {
    const float* row = v + static_cast<std::size_t>(item) * ds;
    double s = 0;
    for (std::size_t c = 0; c < ds; ++c) s += double(out[c]) * row[c];
    return static_cast<float>(s);
  };
  const std::int64_t steps = static_cast<std::int64_t>(epochs_) * static_cast<std::int64_t>(liked.size());
  Rng rng(splitmix64_mix(seed_ + 0x5EED));
  const auto is_liked = [&](std::int32_t c) { return std::binary_search(liked.begin(), liked.end(), c); };
  const bool pool = !negative_items_.empty();
  const std::int32_t n_candidates = pool ? static_cast<std::int32_t>(negative_items_.size()) : n_items();
  const auto draw = [&] {
    const auto c = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n_candidates)));
    return pool ? negative_items_[c] : c;
  };
  if (n_candidates == 0) return;
  for (std::int64_t s = 0; s < steps; ++s) {
    const std::int32_t i = liked[rng.below(liked.size())];
    const float pos = score(i);
    std::int32_t j = -1;
    float loss = 0;
    if (warp_) {
      for (std::int32_t sampled = 1; sampled <= max_sampled_; ++sampled) {
        const std::int32_t c = draw();
        if (score(c) > pos - 1.0f) {
          if (is_liked(c)) continue;
          j = c;
          loss = std::min(kMaxWarpLoss, std::log(std::max(1.0f, std::floor(static_cast<float>(n_candidates - 1) /
                                                                            static_cast<float>(sampled)))));
          break;
        }
      }
    } else {
      for (int t = 0; t < kBprNegativeTries && j < 0; ++t) {
        const std::int32_t c = draw();
        if (!is_liked(c)) j = c;
      }
      if (j >= 0) loss = 1.0f / (1.0f + std::exp(pos - score(j)));
    }
    if (j < 0 || loss == 0.0f) continue;
    const float* vi = v + static_cast<std::size_t>(i) * ds;
    const float* vj = v + static_cast<std::size_t>(j) * ds;
    for (std::size_t c = 0; c < f; ++c) {
      const float d = loss * (vj[c] - vi[c]);
      const float step = adagrad_ ? learning_rate_ / std::sqrt(g[c]) : learning_rate_;
      out[c] -= step * (d + user_alpha_ * out[c]);
      if (adagrad_) g[c] += d * d;
    }
  }
}

bool Hybrid::history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                           std::span<float> out) const {
  check_history(items, weights);
  if (out.size() != static_cast<std::size_t>(factors()))
    throw UsageError("query: " + std::to_string(out.size()) + " floats for " + std::to_string(factors()) + " factors");
  fold_in(items, weights, out);
  return true;
}

void Hybrid::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  std::vector<float> x(static_cast<std::size_t>(factors()));
  fold_in(items, weights, x);
  score_vector(x, out);
}

void Hybrid::save_model(ModelWriter& out) const {
  FactorModel::save_model(out);
  const std::string p = name() + ".";
  out.put_scalar<std::int64_t>(p + "components", components_);
  out.put(p + "feature_embeddings", feature_embeddings_);
  out.put(p + "feature_biases", feature_biases_);
  out.put(p + "rows_indptr", rows_indptr_);
  out.put(p + "rows_indices", rows_indices_);
  out.put(p + "rows_values", rows_values_);
  out.put(p + "negative_items", negative_items_);
  features_.save(out, p + "item_features");
  if (user_rows_indptr_.empty()) return;  // no user features: users are their own rows
  out.put(p + "user_feature_embeddings", user_feature_embeddings_);
  out.put(p + "user_rows_indptr", user_rows_indptr_);
  out.put(p + "user_rows_indices", user_rows_indices_);
  out.put(p + "user_rows_values", user_rows_values_);
  user_features_.save(out, p + "user_features");
}

namespace {

// Reads "<p>rows_indptr/indices/values" (n_rows rows over n_features ids) and
// checks them, failing through ModelReader::fail.
FeatureRows load_rows(const ModelReader& in, const std::string& p, std::int32_t n_rows, std::uint64_t n_features) {
  FeatureRows r;
  r.n_features = static_cast<std::int32_t>(n_features);
  r.indptr = in.get<std::int64_t>(p + "rows_indptr", static_cast<std::uint64_t>(n_rows) + 1);
  r.indices = in.get<std::int32_t>(p + "rows_indices");
  r.values = in.get<float>(p + "rows_values", r.indices.size());
  if (r.indptr.front() != 0 || r.indptr.back() != static_cast<std::int64_t>(r.indices.size()))
    in.fail(p + "rows_indptr", "does not span rows_indices");
  for (std::size_t row = 0; row + 1 < r.indptr.size(); ++row)
    if (r.indptr[row + 1] < r.indptr[row]) in.fail(p + "rows_indptr", "decreases at row " + std::to_string(row));
  for (std::int32_t k : r.indices)
    if (k < 0 || static_cast<std::uint64_t>(k) >= n_features) in.fail(p + "rows_indices", "holds an id out of range");
  for (float x : r.values)
    if (!std::isfinite(x)) in.fail(p + "rows_values", "holds a non-finite value");
  return r;
}

void check_finite(const ModelReader& in, const std::string& section, const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) in.fail(section, "holds a non-finite value");
}

}  // namespace

void Hybrid::load_model(const ModelReader& in) {
  FactorModel::load_model(in);
  const std::string p = name() + ".";
  const auto components = in.get_scalar<std::int64_t>(p + "components");
  if (components + 1 != factors())
    in.fail(p + "components", "expected " + std::to_string(factors() - 1) + ", found " + std::to_string(components));
  const auto fc = static_cast<std::uint64_t>(components);
  std::vector<float> biases = in.get<float>(p + "feature_biases");
  const auto n_features = static_cast<std::uint64_t>(biases.size());
  std::vector<float> embeddings = in.get<float>(p + "feature_embeddings", n_features * fc);
  FeatureRows rows = load_rows(in, p, n_items(), n_features);
  check_finite(in, p + "feature_embeddings", embeddings);
  check_finite(in, p + "feature_biases", biases);
  std::vector<std::int32_t> negative_items = in.get<std::int32_t>(p + "negative_items");
  for (std::int32_t i : negative_items)
    if (i < 0 || i >= n_items()) in.fail(p + "negative_items", "holds an item out of range");
  FeatureMatrix features = FeatureMatrix::load(in, p + "item_features");
  // User features: absent from models fitted without them (and from older files).
  std::vector<float> user_embeddings;
  FeatureRows user_rows;
  FeatureMatrix user_features;
  if (in.has(p + "user_rows_indptr")) {
    user_embeddings = in.get<float>(p + "user_feature_embeddings");
    if (user_embeddings.size() % fc != 0)
      in.fail(p + "user_feature_embeddings", "size is not a multiple of " + std::to_string(components));
    user_rows = load_rows(in, p + "user_", n_users(), user_embeddings.size() / fc);
    check_finite(in, p + "user_feature_embeddings", user_embeddings);
    user_features = FeatureMatrix::load(in, p + "user_features");
    if (user_features.n_rows != n_users())
      in.fail(p + "user_features", "has " + std::to_string(user_features.n_rows) + " rows for " +
                                       std::to_string(n_users()) + " users");
  }
  components_ = static_cast<std::int32_t>(components);
  feature_embeddings_ = std::move(embeddings);
  feature_biases_ = std::move(biases);
  rows_indptr_ = std::move(rows.indptr);
  rows_indices_ = std::move(rows.indices);
  rows_values_ = std::move(rows.values);
  features_ = std::move(features);
  negative_items_ = std::move(negative_items);
  user_feature_embeddings_ = std::move(user_embeddings);
  user_rows_indptr_ = std::move(user_rows.indptr);
  user_rows_indices_ = std::move(user_rows.indices);
  user_rows_values_ = std::move(user_rows.values);
  user_features_ = std::move(user_features);
}

}  // namespace segue

SEGUE_REGISTER_MODEL(hybrid, ::segue::hybrid_info())
