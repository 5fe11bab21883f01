#include "models/linear/ease.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "data/error.h"
#include "models/factorization/factor_model.h"
#include "io/model_file.h"
#include "models/runtime.h"
#include "util/thread_pool.h"

// LAPACK's Fortran entry points, exported by OpenBLAS (no lapack.h is installed).
extern "C" {
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info);
void spotri_(const char* uplo, const int* n, float* a, const int* lda, int* info);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dpotri_(const char* uplo, const int* n, double* a, const int* lda, int* info);
}

namespace segue {
namespace {

std::unique_ptr<Recommender> make_ease(const ModelSpec& spec) { return std::make_unique<Ease>(spec); }

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr std::int64_t kTile = 64;  // square tiles of the blocked transposes

int parse_weighting(const std::string& text) {
  if (text == "binary") return 0;
  if (text == "log") return 1;
  if (text == "raw") return 2;
  throw UsageError("weighting: expected binary, log or raw, got '" + text + "'");
}

// LAPACK's calls run with their own OpenBLAS thread count, then the
// runtime's is restored (models/runtime.h: serialised across fits).
using BlasThreads = BlasFitThreads;

// Copies the upper triangle of a row-major n × n matrix onto its lower one.
template <class T>
void mirror_upper(T* a, std::int64_t n, ThreadPool* pool) {
  const std::int64_t tiles = (n + kTile - 1) / kTile;
  parallel_for(0, tiles, 1, [&](std::int64_t begin, std::int64_t end, int) {
    for (std::int64_t ti = begin; ti < end; ++ti)  // tile row ti of the lower triangle
      for (std::int64_t tj = 0; tj <= ti; ++tj)
        for (std::int64_t i = ti * kTile; i < std::min(n, (ti + 1) * kTile); ++i)
          for (std::int64_t j = tj * kTile; j < std::min(i, (tj + 1) * kTile); ++j) a[i * n + j] = a[j * n + i];
  }, pool);
}

std::string gib_text(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", bytes / kGiB);
  return text;
}

int pool_threads(ThreadPool* pool) { return pool != nullptr ? pool->size() : default_thread_pool().size(); }

// The weights from the inverse's rows: B[i][j] = scale[i][j] / denominator[j], zero diagonal.
void divide_columns(std::vector<float>& b, std::int64_t n, const std::vector<double>& denominator, ThreadPool* pool) {
  parallel_for(0, n, 16, [&](std::int64_t begin, std::int64_t end, int) {
    for (std::int64_t i = begin; i < end; ++i) {
      float* row = b.data() + i * n;
      for (std::int64_t j = 0; j < n; ++j) row[j] = static_cast<float>(row[j] / denominator[j]);
      row[i] = 0.0f;
    }
  }, pool);
}

void dense_weights(std::vector<float>& gram, std::int32_t n, int threads, ThreadPool* pool) {
  if (n == 0) return;
  const char uplo = 'L';  // column-major lower = row-major upper; gram holds both
  int info = 0;
  {
    BlasThreads scope(threads);
    spotrf_(&uplo, &n, gram.data(), &n, &info);
    if (info > 0)
      throw UsageError("lambda: the Gram matrix XᵀX + λI is not positive definite in float32 (Cholesky failed at "
                       "item " + std::to_string(info - 1) + "); raise lambda");
    if (info < 0) throw std::logic_error("spotrf: bad argument " + std::to_string(-info));
    spotri_(&uplo, &n, gram.data(), &n, &info);
    if (info > 0)
      throw UsageError("lambda: the inverse of XᵀX + λI is singular in float32 (item " + std::to_string(info - 1) +
                       "); raise lambda");
    if (info < 0) throw std::logic_error("spotri: bad argument " + std::to_string(-info));
  }
  const std::int64_t size = n;
  mirror_upper(gram.data(), size, pool);
  // B = −P / diag(P): denominators −P[j][j].
  std::vector<double> denominator(static_cast<std::size_t>(n));
  for (std::int64_t j = 0; j < size; ++j) {
    const double d = gram[static_cast<std::size_t>(j * size + j)];
    if (!(d > 0) || !std::isfinite(d))
      throw UsageError("lambda: the inverse of XᵀX + λI has a non-positive diagonal in float32; raise lambda");
    denominator[static_cast<std::size_t>(j)] = -d;
  }
  divide_columns(gram, size, denominator, pool);
}

}  // namespace

ModelInfo ease_info() {
  return ModelInfo{
      "ease",
      "EASE (Steck 2019): closed-form linear item-item model, B = −P/diag(P) with P = (XᵀX + λI)⁻¹",
      {float_param("lambda", 70.0, 0.0, 1e9, "L2 penalty added to the Gram matrix's diagonal", true),
       string_param("weighting", "binary", "X from the feedback value v: binary (1), log (log1p v) or raw (v)"),
       string_param("solver", "auto",
                    "dense (Cholesky of the items² Gram, float32), woodbury (inverts users² instead, float64) or auto"),
       float_param("max_memory_gb", 8.0, 0.0, 1e6, "most GiB of dense matrices the fit may hold (B is items² floats)",
                   true),
       int_param("prune", 0, 0, 1e9,
                 "0: dense B; K > 0: keep the K largest-magnitude weights per row of B (sparse, items × K)")},
      &make_ease,
      "lambda=10:3000:log,weighting=binary|log"};
}

Ease::Ease(const ModelSpec& spec)
    : Recommender(spec),
      lambda_(spec.get_float("lambda")),
      weighting_(parse_weighting(spec.get_string("weighting"))),
      solver_(spec.get_string("solver")),
      max_memory_gb_(spec.get_float("max_memory_gb")),
      prune_(static_cast<std::int32_t>(std::min<std::int64_t>(spec.get_int("prune"), INT32_MAX))) {
  if (solver_ != "auto" && solver_ != "dense" && solver_ != "woodbury")
    throw UsageError("solver: expected auto, dense or woodbury, got '" + solver_ + "'");
  if (!(lambda_ > 0) || !std::isfinite(lambda_))
    throw UsageError("lambda: must be a finite number > 0, got " + std::to_string(lambda_));
  ensure_runtime();
}

float Ease::transform(float value) const {
  switch (weighting_) {
    case 0: return value > 0 ? 1.0f : 0.0f;
    case 1: return std::copysign(std::log1p(std::fabs(value)), value);
    default: return value;
  }
}

void ease_weights_from_gram(std::vector<float>& gram, std::int32_t n, int threads) {
  if (n < 0 || gram.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(n))
    throw std::invalid_argument("gram: expected n × n floats");
  dense_weights(gram, n, threads, nullptr);
}

Recommender::MemoryNeed Ease::fit_memory(const FeedbackMatrix& train, int /*threads*/) const {
  const auto n = static_cast<std::uint64_t>(train.n_items);
  return {4 * n * n, "a dense " + std::to_string(n) + "² float item-item matrix",
          "filter rare items first (segue import --kcore-items K)"};
}

void Ease::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  file_.reset();
  b_ = {};
  pruned_ = {};
  owned_indptr_.clear();
  owned_indices_.clear();
  owned_values_.clear();
  fit_dense(train, context);
  b_ = owned_b_;
  if (prune_ > 0) prune_rows(context.pool);
}

void Ease::fit_dense(const FeedbackMatrix& train, const FitContext& context) {
  const std::int64_t n = train.n_items;
  const std::int64_t m = train.n_users;
  ThreadPool* pool = context.pool;
  const int threads = pool_threads(pool);

  // X with the chosen weighting, by user and by item.
  SparseRows by_user = train.positives();
  for (float& v : by_user.values) v = transform(v);
  SparseRows by_item = by_user.transpose();
  const double nnz = static_cast<double>(by_user.nnz());

  // Memory and cost of each solver.
  const double limit = max_memory_gb_ * kGiB;
  const double dense_bytes = 4.0 * double(n) * double(n);
  const double woodbury_bytes = dense_bytes + 8.0 * double(m) * double(m) + 8.0 * threads * double(n + m);
  const double dense_cost = double(n) * double(n) * double(n);
  const double woodbury_cost = 2.0 * double(m) * double(m) * double(m) + 4.0 * nnz * (double(n) + double(m));
  if (dense_bytes > limit) {
    const auto fit_items = static_cast<std::int64_t>(std::sqrt(limit / 4.0));
    throw UsageError("max_memory_gb: ease needs " + std::to_string(n) + "² floats (" +
                     gib_text(dense_bytes) + " GiB) for its item-item matrix, over max_memory_gb=" +
                     format_param_value(max_memory_gb_) + ", which fits at most " + std::to_string(fit_items) +
                     " items; filter rare items first (segue import --kcore-items K) or raise max_memory_gb");
  }
  std::string solver = solver_;
  if (solver == "auto") solver = (woodbury_cost < dense_cost && woodbury_bytes <= limit) ? "woodbury" : "dense";
  if (solver == "woodbury" && woodbury_bytes > limit)
    throw UsageError("max_memory_gb: the woodbury solver needs " + gib_text(woodbury_bytes) +
                     " GiB, over max_memory_gb=" + format_param_value(max_memory_gb_) +
                     "; use solver=dense or raise max_memory_gb");
  solver_used_ = solver;
  owned_b_.clear();
  owned_b_.shrink_to_fit();
  owned_b_.assign(static_cast<std::size_t>(n * n), 0.0f);
  if (n == 0) return;

  if (solver == "dense") {
    // Gram matrix G = XᵀX + λI, row i = Σ_{u ∋ i} x_ui X[u, :]; one row per
    // task, so the sums' order (and the result) does not depend on threads.
    parallel_for(0, n, 64, [&](std::int64_t begin, std::int64_t end, int) {
      for (std::int64_t i = begin; i < end; ++i) {
        float* row = owned_b_.data() + i * n;
        const auto users = by_item.row_indices(static_cast<std::int32_t>(i));
        const auto values = by_item.row_values(static_cast<std::int32_t>(i));
        for (std::size_t k = 0; k < users.size(); ++k) {
          const float x = values[k];
          const auto items = by_user.row_indices(users[k]);
          const auto item_values = by_user.row_values(users[k]);
          for (std::size_t t = 0; t < items.size(); ++t) row[items[t]] += x * item_values[t];
        }
        row[i] += static_cast<float>(lambda_);
      }
    }, pool);
    context.report("items", n / 4, n);
    dense_weights(owned_b_, static_cast<std::int32_t>(n), threads, pool);
    context.report("items", n, n);
    return;
  }

  // Woodbury: with K = (λI + XXᵀ)⁻¹ (users × users, float64),
  //   P = (I − Q) / λ with Q = XᵀKX,  so  B[i][j] = Q[i][j] / (1 − Q[j][j]).
  std::vector<double> kmat(static_cast<std::size_t>(m * m), 0.0);
  parallel_for(0, m, 16, [&](std::int64_t begin, std::int64_t end, int) {
    for (std::int64_t u = begin; u < end; ++u) {
      double* row = kmat.data() + u * m;
      const auto items = by_user.row_indices(static_cast<std::int32_t>(u));
      const auto values = by_user.row_values(static_cast<std::int32_t>(u));
      for (std::size_t k = 0; k < items.size(); ++k) {
        const double x = values[k];
        const auto users = by_item.row_indices(items[k]);
        const auto user_values = by_item.row_values(items[k]);
        for (std::size_t t = 0; t < users.size(); ++t) row[users[t]] += x * user_values[t];
      }
      row[u] += lambda_;
    }
  }, pool);
  if (m > 0) {
    const char uplo = 'L';
    const int size = static_cast<int>(m);
    int info = 0;
    // One thread: a multi-threaded potrf rounds differently for each thread
    // count, and this users² step is cheap next to the per-item loop below.
    BlasThreads scope(1);
    dpotrf_(&uplo, &size, kmat.data(), &size, &info);
    if (info == 0) dpotri_(&uplo, &size, kmat.data(), &size, &info);
    if (info > 0)
      throw UsageError("lambda: λI + XXᵀ is numerically singular (user " + std::to_string(info - 1) +
                       "); raise lambda or use solver=dense");
    if (info < 0) throw std::logic_error("dpotrf/dpotri: bad argument " + std::to_string(-info));
  }
  mirror_upper(kmat.data(), m, pool);
  context.report("items", n / 4, n);

  std::vector<double> one_minus_diag(static_cast<std::size_t>(n), 1.0);
  std::vector<std::vector<double>> t_scratch(static_cast<std::size_t>(threads));
  std::vector<std::vector<double>> row_scratch(static_cast<std::size_t>(threads));
  parallel_for(0, n, 16, [&](std::int64_t begin, std::int64_t end, int thread) {
    std::vector<double>& t = t_scratch[static_cast<std::size_t>(thread)];
    std::vector<double>& q = row_scratch[static_cast<std::size_t>(thread)];
    t.resize(static_cast<std::size_t>(m));
    q.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = begin; i < end; ++i) {
      // t = Σ_{u ∋ i} x_ui K[u, :]  (row i of XᵀK)
      std::fill(t.begin(), t.end(), 0.0);
      const auto users = by_item.row_indices(static_cast<std::int32_t>(i));
      const auto values = by_item.row_values(static_cast<std::int32_t>(i));
      for (std::size_t k = 0; k < users.size(); ++k) {
        const double x = values[k];
        const double* krow = kmat.data() + static_cast<std::int64_t>(users[k]) * m;
        for (std::int64_t v = 0; v < m; ++v) t[static_cast<std::size_t>(v)] += x * krow[v];
      }
      // q = t · X  (row i of XᵀKX)
      std::fill(q.begin(), q.end(), 0.0);
      for (std::int64_t v = 0; v < m; ++v) {
        const double tv = t[static_cast<std::size_t>(v)];
        if (tv == 0.0) continue;
        const auto items = by_user.row_indices(static_cast<std::int32_t>(v));
        const auto item_values = by_user.row_values(static_cast<std::int32_t>(v));
        for (std::size_t k = 0; k < items.size(); ++k) q[static_cast<std::size_t>(items[k])] += tv * item_values[k];
      }
      float* out = owned_b_.data() + i * n;
      for (std::int64_t j = 0; j < n; ++j) out[j] = static_cast<float>(q[static_cast<std::size_t>(j)]);
      one_minus_diag[static_cast<std::size_t>(i)] = 1.0 - q[static_cast<std::size_t>(i)];
    }
  }, pool);
  for (double d : one_minus_diag)
    if (!(d > 0) || !std::isfinite(d))
      throw UsageError("lambda: the inverse of XᵀX + λI has a non-positive diagonal in float64; raise lambda");
  divide_columns(owned_b_, n, one_minus_diag, pool);
  context.report("items", n, n);
}

void Ease::accumulate(std::span<const std::int32_t> items, std::span<const float> values, float* out) const {
  const auto n = static_cast<std::int64_t>(n_items());
  std::fill(out, out + n, 0.0f);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const float w = transform(values[k]);
    if (w == 0.0f) continue;
    if (prune_ > 0) {  // sparse history × sparse rows: only the kept weights
      const auto begin = pruned_.indptr[static_cast<std::size_t>(items[k])];
      const auto end = pruned_.indptr[static_cast<std::size_t>(items[k]) + 1];
      for (std::int64_t e = begin; e < end; ++e)
        out[pruned_.indices[static_cast<std::size_t>(e)]] += w * pruned_.values[static_cast<std::size_t>(e)];
      continue;
    }
    cblas_saxpy(static_cast<int>(n), w, b_.data() + static_cast<std::int64_t>(items[k]) * n, 1, out, 1);
  }
}

float Ease::weight(std::int32_t from, std::int32_t to) const {
  if (prune_ == 0) return b_[static_cast<std::size_t>(from) * static_cast<std::size_t>(n_items()) + static_cast<std::size_t>(to)];
  const auto begin = pruned_.indices.begin() + pruned_.indptr[static_cast<std::size_t>(from)];
  const auto end = pruned_.indices.begin() + pruned_.indptr[static_cast<std::size_t>(from) + 1];
  const auto found = std::lower_bound(begin, end, to);
  return found != end && *found == to ? pruned_.values[static_cast<std::size_t>(found - pruned_.indices.begin())] : 0.0f;
}

void Ease::score_users(std::span<const std::int32_t> users, float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  for (std::size_t r = 0; r < users.size(); ++r)
    accumulate(history().row_indices(users[r]), history().row_values(users[r]), out + r * n);
}

void Ease::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  check_history(items, weights);
  std::vector<float> ones;
  if (weights.empty()) {
    ones.assign(items.size(), 1.0f);
    weights = ones;
  }
  accumulate(items, weights, out);
}

std::vector<ScoredItem> Ease::similar_items(std::int32_t item, std::int32_t n) const {
  check_item(item);
  check_count(n);
  const auto size = static_cast<std::int64_t>(n_items());
  std::vector<float> column(static_cast<std::size_t>(size));
  for (std::int64_t j = 0; j < size; ++j) column[static_cast<std::size_t>(j)] = weight(static_cast<std::int32_t>(j), item);
  std::vector<ScoredItem> out;
  top_k(column, std::span<const std::int32_t>(&item, 1), std::min(n, n_items()), out);
  return out;
}

Explanation Ease::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Explanation out;
  out.user = user;
  out.item = item;
  const auto items = history().row_indices(user);
  const auto values = history().row_values(user);
  double score = 0.0;
  double positive = 0.0;
  std::vector<ScoredItem> parts;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const float c = transform(values[k]) * weight(items[k], item);
    score += c;
    if (c > 0) {
      positive += c;
      parts.push_back({items[k], c});
    }
  }
  out.score = static_cast<float>(score);
  std::sort(parts.begin(), parts.end(), ranks_before);
  constexpr std::size_t kMaxContributions = 10;
  for (std::size_t k = 0; k < std::min(parts.size(), kMaxContributions); ++k)
    out.contributions.push_back({parts[k].item, static_cast<float>(parts[k].score / positive)});
  if (out.contributions.empty())
    out.note = items.empty() ? "the user has no training history" : "no item of the user's history raises this item";
  return out;
}

void Ease::prune_rows(ThreadPool* pool) {
  const std::int64_t n = n_items();
  const std::int64_t keep = std::min<std::int64_t>(prune_, std::max<std::int64_t>(n - 1, 0));
  owned_indptr_.assign(static_cast<std::size_t>(n + 1), 0);
  for (std::int64_t j = 0; j < n; ++j) owned_indptr_[static_cast<std::size_t>(j + 1)] = (j + 1) * keep;
  owned_indices_.assign(static_cast<std::size_t>(n * keep), 0);
  owned_values_.assign(static_cast<std::size_t>(n * keep), 0.0f);
  std::vector<std::vector<std::int32_t>> candidates(static_cast<std::size_t>(pool_threads(pool)));
  parallel_for(0, n, 16, [&](std::int64_t begin, std::int64_t end, int thread) {
    std::vector<std::int32_t>& order = candidates[static_cast<std::size_t>(thread)];
    for (std::int64_t j = begin; j < end; ++j) {
      const float* row = owned_b_.data() + j * n;
      // Every item but j itself: the diagonal is 0 by definition, never a weight.
      order.clear();
      for (std::int64_t i = 0; i < n; ++i)
        if (i != j) order.push_back(static_cast<std::int32_t>(i));
      const auto larger = [row](std::int32_t a, std::int32_t b) {
        const float x = std::fabs(row[a]);
        const float y = std::fabs(row[b]);
        return x != y ? x > y : a < b;
      };
      std::nth_element(order.begin(), order.begin() + keep, order.end(), larger);
      std::sort(order.begin(), order.begin() + keep);
      for (std::int64_t t = 0; t < keep; ++t) {
        const auto at = static_cast<std::size_t>(j * keep + t);
        owned_indices_[at] = order[static_cast<std::size_t>(t)];
        owned_values_[at] = row[order[static_cast<std::size_t>(t)]];
      }
    }
  }, pool);
  owned_b_.clear();
  owned_b_.shrink_to_fit();
  b_ = {};
  pruned_ = SparseWeights{owned_indptr_, owned_indices_, owned_values_};
}

void Ease::save_model(ModelWriter& out) const {
  if (prune_ == 0) {
    out.put("ease.B", b_);
    return;
  }
  out.put("ease.pruned.indptr", pruned_.indptr);
  out.put("ease.pruned.indices", pruned_.indices);
  out.put("ease.pruned.values", pruned_.values);
}

void Ease::load_model(const ModelReader& in) {
  owned_b_.clear();
  owned_indptr_.clear();
  owned_indices_.clear();
  owned_values_.clear();
  b_ = {};
  pruned_ = {};
  solver_used_.clear();
  if (prune_ == 0)
    load_dense(in);
  else
    load_pruned(in);
  file_ = in.owner();
}

// A view of the mapped file: nothing is copied, and pages are read on demand.
// The scan for non-finite weights releases the pages it read (they are the
// page cache's), so after a load only the rows a request uses are resident.
void Ease::load_dense(const ModelReader& in) {
  const auto n = static_cast<std::uint64_t>(n_items());
  const std::span<const float> b = in.view<float>("ease.B", n * n);
  // The diagonal is checked chunk by chunk too: a separate pass touching one
  // weight per row would fault every page back in (the kernel maps pages
  // around each fault).
  constexpr std::size_t kChunk = std::size_t{1} << 21;  // floats: 8 MiB
  std::uint64_t diagonal = 0;                           // next row whose B[j][j] is checked
  for (std::size_t begin = 0; begin < b.size(); begin += kChunk) {
    const auto chunk = b.subspan(begin, std::min(kChunk, b.size() - begin));
    for (float v : chunk)
      if (!std::isfinite(v)) in.fail("ease.B", "holds a non-finite weight");
    for (; diagonal < n && diagonal * (n + 1) < begin + chunk.size(); ++diagonal)
      if (b[diagonal * (n + 1)] != 0.0f) in.fail("ease.B", "has a non-zero diagonal");
    in.release(chunk);
  }
  b_ = b;
}

void Ease::load_pruned(const ModelReader& in) {
  if (in.has("ease.B") && !in.has("ease.pruned.indptr"))
    in.fail("ease.pruned.indptr", "missing: the file holds a dense B but the spec says prune=" + std::to_string(prune_));
  const auto n = static_cast<std::int64_t>(n_items());
  const auto indptr = in.view<std::int64_t>("ease.pruned.indptr", static_cast<std::uint64_t>(n) + 1);
  const auto indices = in.view<std::int32_t>("ease.pruned.indices");
  const auto values = in.view<float>("ease.pruned.values", indices.size());
  if (indptr[0] != 0 || indptr[static_cast<std::size_t>(n)] != static_cast<std::int64_t>(indices.size()))
    in.fail("ease.pruned.indptr", "does not span the indices (first must be 0, last " +
                                      std::to_string(indices.size()) + ")");
  for (std::int64_t j = 0; j < n; ++j) {
    const std::int64_t begin = indptr[static_cast<std::size_t>(j)];
    const std::int64_t end = indptr[static_cast<std::size_t>(j) + 1];
    if (end < begin || end > static_cast<std::int64_t>(indices.size()))
      in.fail("ease.pruned.indptr", "is not ascending at row " + std::to_string(j));
    for (std::int64_t e = begin; e < end; ++e) {
      const std::int32_t i = indices[static_cast<std::size_t>(e)];
      if (i < 0 || i >= n || i == j || (e > begin && i <= indices[static_cast<std::size_t>(e) - 1]))
        in.fail("ease.pruned.indices", "row " + std::to_string(j) +
                                           " holds an item out of range, its own item or items out of order");
      if (!std::isfinite(values[static_cast<std::size_t>(e)]))
        in.fail("ease.pruned.values", "holds a non-finite weight");
    }
  }
  pruned_ = SparseWeights{indptr, indices, values};
}

}  // namespace segue

SEGUE_REGISTER_MODEL(ease, ::segue::ease_info())
