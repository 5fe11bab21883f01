#include "models/factorization/ials.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>

#include "data/error.h"
#include "models/collective.h"
#include "models/memory_budget.h"
#include "io/model_file.h"
#include "util/fault.h"
#include "util/thread_pool.h"
#include "util/cholesky.h"

// The CG row solver is compiled twice on x86-64 (AVX + FMA and baseline) and
// picked once at run time, so a default build still runs 256-bit FMAs: the
// vector helpers below are written so that GCC vectorises them (independent
// lanes, no reassociation needed) and are forced inline into each variant.
#define SEGUE_IALS_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__) && defined(__GNUC__)
#define SEGUE_IALS_AVX_FMA 1
#endif

namespace segue {
namespace {

std::unique_ptr<Recommender> make_ials(const ModelSpec& spec) { return std::make_unique<ImplicitAls>(spec); }

SEGUE_IALS_INLINE float dot(const float* __restrict a, const float* __restrict b, std::int32_t n) {
  float acc[16] = {};
  std::int32_t k = 0;
  for (; k + 16 <= n; k += 16)
    for (int l = 0; l < 16; ++l) acc[l] += a[k + l] * b[k + l];
  float tail = 0;
  for (; k < n; ++k) tail += a[k] * b[k];
  for (int l = 0; l < 8; ++l) acc[l] += acc[l + 8];
  return tail + (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
}

// y += alpha · x
SEGUE_IALS_INLINE void axpy(float alpha, const float* __restrict x, float* __restrict y, std::int32_t n) {
  for (std::int32_t k = 0; k < n; ++k) y[k] += alpha * x[k];
}

constexpr float kResidualTolerance = 1e-20f;  // as implicit: stop when |r|² is this small

// Rows are solved in blocks of kBlock, CG steps in lockstep, so that the dense
// products with YᵀY for the whole block are one SGEMM (X_block · G, P_block · G)
// instead of one matrix-vector product per row and step — the dominant cost
// when rows have few items (the item side of a long-tail catalogue).
constexpr std::int64_t kBlock = 64;

// Scratch floats per thread for factors f: R, P, A·P (kBlock × f each), and
// per row |r|² and λ.
std::size_t scratch_floats(std::int32_t f) {
  return (3 * static_cast<std::size_t>(kBlock) * static_cast<std::size_t>(f) + 2 * kBlock + 15) / 16 * 16;
}

// The CG steps of rows [begin, end), end − begin <= kBlock.
SEGUE_IALS_INLINE void solve_rows_impl(const SparseRows& rows, const float* y, const float* gram, std::int32_t f,
                                       float reg, float reg_exponent, std::int32_t cg_steps, float* x, float* scratch,
                                       std::int64_t begin, std::int64_t end) {
  const auto fs = static_cast<std::size_t>(f);
  const int m = static_cast<int>(end - begin);
  float* __restrict rr = scratch;
  float* __restrict pp = rr + kBlock * fs;
  float* __restrict aps = pp + kBlock * fs;
  float* __restrict rs = aps + kBlock * fs;  // |r|² per row; < 0 = done
  float* __restrict lambdas = rs + kBlock;
  float* xb = x + static_cast<std::size_t>(begin) * fs;
  const std::int32_t* cols = rows.indices.data();
  const float* conf = rows.values.data();
  const auto poison = [&](float* v) {
    for (std::int32_t k = 0; k < f; ++k) v[k] = std::numeric_limits<float>::quiet_NaN();
  };

  // A·X_block's dense part, then r = b − A x = Σ_j (c_j − (c_j − 1) y_j·x) y_j − (G + λI) x.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, f, f, 1.0f, xb, f, gram, f, 0.0f, aps, f);
  int active = 0;
  for (int b = 0; b < m; ++b) {
    const std::int64_t row = begin + b;
    const std::int64_t first = rows.indptr[row], last = rows.indptr[row + 1];
    const float lambda =
        reg_exponent == 0.0f ? reg
                             : reg * std::pow(static_cast<float>(std::max<std::int64_t>(1, last - first)), reg_exponent);
    lambdas[b] = lambda;
    float* __restrict xr = xb + b * fs;
    float* __restrict r = rr + b * fs;
    const float* ax = aps + b * fs;
    for (std::int32_t k = 0; k < f; ++k) r[k] = -(ax[k] + lambda * xr[k]);
    for (std::int64_t e = first; e < last; ++e) {
      const float* yj = y + static_cast<std::size_t>(cols[e]) * fs;
      const float c = conf[e];
      axpy(c - (c - 1.0f) * dot(yj, xr, f), yj, r, f);
    }
    std::memcpy(pp + b * fs, r, fs * sizeof(float));
    rs[b] = dot(r, r, f);
    if (!std::isfinite(rs[b])) {  // overflow in the confidences or factors: make the divergence visible
      poison(xr);
      rs[b] = -1.0f;
    } else if (rs[b] < kResidualTolerance) {
      rs[b] = -1.0f;
    } else {
      ++active;
    }
  }

  for (std::int32_t step = 0; step < cg_steps && active > 0; ++step) {
    // A p without forming A: (G + λI) p + Σ_j (c_j − 1)(y_j·p) y_j; the G·P part for the block at once.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, f, f, 1.0f, pp, f, gram, f, 0.0f, aps, f);
    for (int b = 0; b < m; ++b) {
      if (rs[b] < 0) continue;
      const std::int64_t row = begin + b;
      float* __restrict xr = xb + b * fs;
      float* __restrict r = rr + b * fs;
      float* __restrict p = pp + b * fs;
      float* __restrict ap = aps + b * fs;
      axpy(lambdas[b], p, ap, f);
      for (std::int64_t e = rows.indptr[row]; e < rows.indptr[row + 1]; ++e) {
        const float* yj = y + static_cast<std::size_t>(cols[e]) * fs;
        axpy((conf[e] - 1.0f) * dot(yj, p, f), yj, ap, f);
      }
      const float pap = dot(p, ap, f);
      if (!(pap > 0.0f) || !std::isfinite(pap)) {  // converged to rounding, or overflow
        if (!std::isfinite(pap)) poison(xr);
        rs[b] = -1.0f;
        --active;
        continue;
      }
      const float step_size = rs[b] / pap;
      axpy(step_size, p, xr, f);
      axpy(-step_size, ap, r, f);
      const float rs_new = dot(r, r, f);
      if (rs_new < kResidualTolerance) {
        rs[b] = -1.0f;
        --active;
        continue;
      }
      const float beta = rs_new / rs[b];
      for (std::int32_t k = 0; k < f; ++k) p[k] = r[k] + beta * p[k];
      rs[b] = rs_new;
    }
  }
}

void solve_rows_plain(const SparseRows& rows, const float* y, const float* gram, std::int32_t f, float reg,
                      float reg_exponent, std::int32_t cg_steps, float* x, float* scratch, std::int64_t begin,
                      std::int64_t end) {
  solve_rows_impl(rows, y, gram, f, reg, reg_exponent, cg_steps, x, scratch, begin, end);
}

#ifdef SEGUE_IALS_AVX_FMA
__attribute__((target("avx,fma"))) void solve_rows_avx_fma(const SparseRows& rows, const float* y, const float* gram,
                                                          std::int32_t f, float reg, float reg_exponent,
                                                          std::int32_t cg_steps, float* x, float* scratch,
                                                          std::int64_t begin, std::int64_t end) {
  solve_rows_impl(rows, y, gram, f, reg, reg_exponent, cg_steps, x, scratch, begin, end);
}
#endif

using SolveRows = void (*)(const SparseRows&, const float*, const float*, std::int32_t, float, float, std::int32_t,
                           float*, float*, std::int64_t, std::int64_t);

SolveRows pick_solve_rows() {
#ifdef SEGUE_IALS_AVX_FMA
  if (__builtin_cpu_supports("avx") && __builtin_cpu_supports("fma")) return &solve_rows_avx_fma;
#endif
  return &solve_rows_plain;
}

bool all_finite(const std::vector<float>& v) {
  // Sum of x·0 is NaN iff some x is NaN or infinite; vectorises, unlike a branch per element.
  float probe = 0.0f;
  for (float value : v) probe += value * 0.0f;
  return probe == 0.0f;
}

// Counter-based uniform in [-1, 1): the same factors for any thread count.
float uniform_pm1(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + index + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<double>(z >> 11) * 0x1.0p-52 - 1.0);
}

// Uniform with standard deviation `std` (= half-width / √3), one stream per matrix.
void init_factors(std::vector<float>& v, std::uint64_t seed, float std) {
  const float half_width = std * std::sqrt(3.0f);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = half_width * uniform_pm1(seed, k);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void ials_gram(const float* y, std::int64_t n, std::int32_t f, std::vector<float>& gram) {
  const auto fs = static_cast<std::size_t>(f);
  gram.assign(fs * fs, 0.0f);
  if (n > 0)
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, f, static_cast<int>(n), 1.0f, y, f, 0.0f, gram.data(), f);
  for (std::size_t r = 0; r < fs; ++r)
    for (std::size_t c = 0; c < r; ++c) gram[r * fs + c] = gram[c * fs + r];
}

void ials_half_step(const SparseRows& rows, const float* y, const float* gram, std::int32_t f, float reg,
                    float reg_exponent, std::int32_t cg_steps, float* x, ThreadPool* pool) {
  ials_half_step_rows(rows, 0, rows.n_rows, y, gram, f, reg, reg_exponent, cg_steps, x, pool);
}

void ials_half_step_rows(const SparseRows& rows, std::int64_t first, std::int64_t last, const float* y,
                         const float* gram, std::int32_t f, float reg, float reg_exponent, std::int32_t cg_steps,
                         float* x, ThreadPool* pool) {
  ThreadPool& threads = pool != nullptr ? *pool : default_thread_pool();
  // One scratch slice per thread, cache-line aligned.
  const std::size_t stride = scratch_floats(f);
  std::vector<float> scratch(stride * static_cast<std::size_t>(threads.size()));
  static const SolveRows solve_rows = pick_solve_rows();
  threads.parallel_for(first, last, kBlock, [&](std::int64_t begin, std::int64_t end, int thread) {
    solve_rows(rows, y, gram, f, reg, reg_exponent, cg_steps, x, scratch.data() + stride * static_cast<std::size_t>(thread),
               begin, end);
  });
}

ModelInfo ials_info() {
  return ModelInfo{
      "ials",
      "implicit ALS (Hu-Koren-Volinsky confidence 1 + alpha*f(weight), conjugate-gradient solver)",
      {int_param("factors", 64, 1, 4096, "latent dimensions"),
       int_param("iterations", 15, 1, 10000, "ALS sweeps (users, then items)"),
       float_param("alpha", -1.0, -1.0, 1e6,
                   "confidence c = 1 + alpha*f(weight) of an observed pair; -1 (default): alpha = confidence_mean / "
                   "the mean f(weight) of the training positives, so the confidences scale with the data"),
       float_param("confidence_mean", kIalsDefaultConfidenceMean, 0.0, 1e6,
                   "with alpha=-1: the mean of alpha*f(weight) over the training positives (22 = alpha 4 on "
                   "Last.fm play counts)"),
       string_param("confidence", "log", "f: log (log1p, for play counts) or linear (the weight itself)"),
       string_param("user_scale", "none",
                    "each listener's weights before f: none, median (/ their median), share (100 x / their total) or "
                    "rank (percentile among their weights)"),
       float_param("reg", 0.4, 0.0, 1e6, "L2 regularisation lambda"),
       float_param("reg_exponent", 1.0, 0.0, 2.0,
                   "lambda_u = reg * max(1, items of u)^reg_exponent (1 = frequency-scaled, iALS revisited)"),
       int_param("cg_steps", 3, 1, 1000, "conjugate-gradient steps per row and half-step, warm-started"),
       float_param("init_std", 0.1, 0.0, 10.0, "initial factors: std init_std / sqrt(factors)"),
       int_param("seed", 42, 0, 9007199254740991.0, "seed of the initial factors")},
      &make_ials,
      "alpha=0.5:32:log, reg=0.01:4:log, reg_exponent=0|0.5|1"};
}

ImplicitAls::ImplicitAls(const ModelSpec& spec)
    : FactorModel(spec),
      factors_param_(static_cast<std::int32_t>(spec.get_int("factors"))),
      iterations_(static_cast<std::int32_t>(spec.get_int("iterations"))),
      alpha_(static_cast<float>(spec.get_float("alpha"))),
      confidence_mean_(static_cast<float>(spec.get_float("confidence_mean"))),
      log_confidence_(spec.get_string("confidence") == "log"),
      user_scale_(parse_user_scale(spec.get_string("user_scale"), "user_scale")),
      reg_(static_cast<float>(spec.get_float("reg"))),
      reg_exponent_(static_cast<float>(spec.get_float("reg_exponent"))),
      cg_steps_(static_cast<std::int32_t>(spec.get_int("cg_steps"))),
      init_std_(static_cast<float>(spec.get_float("init_std"))),
      seed_(static_cast<std::uint64_t>(spec.get_int("seed"))) {
  // The registry's ranges already reject these for parsed specs; a hand-made
  // ModelSpec gets the same messages here.
  const std::string& confidence = spec.get_string("confidence");
  if (confidence != "log" && confidence != "linear")
    throw UsageError("confidence: must be log or linear, got '" + confidence + "'");
  if (factors_param_ < 1) throw UsageError("factors: must be >= 1, got " + std::to_string(factors_param_));
  if (iterations_ < 1) throw UsageError("iterations: must be >= 1, got " + std::to_string(iterations_));
  if (cg_steps_ < 1) throw UsageError("cg_steps: must be >= 1, got " + std::to_string(cg_steps_));
  if (!(alpha_ >= 0 || alpha_ == -1.0f) || !std::isfinite(alpha_))
    throw UsageError("alpha: must be -1 (derived from confidence_mean) or a finite number >= 0");
  if (!(confidence_mean_ >= 0) || !std::isfinite(confidence_mean_))
    throw UsageError("confidence_mean: must be a finite number >= 0");
  if (!(reg_ >= 0) || !std::isfinite(reg_)) throw UsageError("reg: must be a finite number >= 0");
  if (!(reg_exponent_ >= 0) || !(reg_exponent_ <= 2)) throw UsageError("reg_exponent: must be in [0, 2]");
  if (!(init_std_ >= 0) || !std::isfinite(init_std_)) throw UsageError("init_std: must be a finite number >= 0");
  effective_alpha_ = alpha_ >= 0 ? alpha_ : confidence_mean_;  // until fit or load says otherwise
}

float ImplicitAls::confidence(float weight) const {
  return 1.0f + effective_alpha_ * (log_confidence_ ? std::log1p(weight) : weight);
}

float ials_derived_alpha(float confidence_mean, bool log_confidence, std::span<const float> weights) {
  double sum = 0;
  std::int64_t n = 0;
  for (float w : weights) {
    if (!(w > 0)) continue;
    sum += log_confidence ? std::log1p(static_cast<double>(w)) : static_cast<double>(w);
    ++n;
  }
  if (n == 0 || !(sum > 0)) return confidence_mean;  // nothing to scale by: f's mean taken as 1
  return static_cast<float>(confidence_mean / (sum / static_cast<double>(n)));
}

Recommender::MemoryNeed ImplicitAls::fit_memory(const FeedbackMatrix& train, int threads) const {
  const auto f = static_cast<std::uint64_t>(factors_param_);
  const auto rows = static_cast<std::uint64_t>(train.n_users) + static_cast<std::uint64_t>(train.n_items);
  const auto nnz = static_cast<std::uint64_t>(train.nnz());
  const auto items = static_cast<std::uint64_t>(train.n_items);
  // Both factor matrices and the scoring kernel's packed copy of the items, the fit's Gram and the model's,
  // each thread's CG scratch, the confidences by user and by item, and OpenBLAS's working buffer per BLAS
  // thread (measured: 128 MiB each, taken at the first ssyrk; when it cannot be mapped, OpenBLAS retries
  // for ever instead of failing, so it must be counted here).
  const std::uint64_t blas = kOpenBlasBufferBytes * static_cast<std::uint64_t>(std::max(1, openblas_get_num_threads()));
  const std::uint64_t bytes =
      4 * (f * (rows + items) + 2 * f * f + scratch_floats(factors_param_) * static_cast<std::uint64_t>(threads)) +
      2 * nnz * 8 + blas;
  return {bytes,
          "factors " + std::to_string(f) + " x " + std::to_string(rows + items) + " user, item and packed item rows, two " +
              std::to_string(f) + "² Grams, solver scratch for " + std::to_string(threads) + " threads, " +
              bytes_text(blas) + " of BLAS buffers",
          "lower factors, or filter rare items and users first (segue import --kcore-items K --kcore-users K)"};
}

void ImplicitAls::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  const std::int32_t f = factors_param_;
  const auto fs = static_cast<std::size_t>(f);
  SparseRows by_user = train.positives();
  for (std::int32_t u = 0; user_scale_ != UserScale::none && u < by_user.n_rows; ++u)
    scale_user_row(user_scale_, std::span<float>(by_user.values.data() + by_user.indptr[u],
                                                 static_cast<std::size_t>(by_user.indptr[u + 1] - by_user.indptr[u])));
  effective_alpha_ = alpha_ >= 0 ? alpha_ : ials_derived_alpha(confidence_mean_, log_confidence_, by_user.values);
  set_fit_stat("alpha", effective_alpha_);
  for (float& value : by_user.values) value = confidence(value);
  const SparseRows by_item = by_user.transpose();

  std::vector<float> users(static_cast<std::size_t>(train.n_users) * fs);
  std::vector<float> items(static_cast<std::size_t>(train.n_items) * fs);
  const float std = init_std_ / std::sqrt(static_cast<float>(f));
  init_factors(users, seed_ * 2, std);
  init_factors(items, seed_ * 2 + 1, std);

  // Distributed (docs/SCALE.md): each rank solves its own block of rows (balanced on entries) against the
  // whole other side, then the blocks are gathered, so every rank holds both factor matrices. A row's solve
  // reads only the Gram and the other side, so the result equals one process's to the last bit as long as
  // the Gram does (it is computed from the same gathered factors on every rank).
  Collective* ranks = is_distributed(context.collective) ? context.collective : nullptr;
  const std::vector<std::int64_t> user_blocks =
      ranks != nullptr ? balanced_blocks(by_user.indptr, ranks->size()) : std::vector<std::int64_t>{0, train.n_users};
  const std::vector<std::int64_t> item_blocks =
      ranks != nullptr ? balanced_blocks(by_item.indptr, ranks->size()) : std::vector<std::int64_t>{0, train.n_items};
  const std::size_t mine = ranks != nullptr ? static_cast<std::size_t>(ranks->rank()) : 0;
  if (ranks != nullptr) ranks->reset_communication_seconds();
  double solve_seconds = 0;
  std::int32_t first_iteration = 0;
  if (context.resume && !context.checkpoint_path.empty() && std::filesystem::exists(context.checkpoint_path)) {
    first_iteration = read_checkpoint(context.checkpoint_path, train, users, items);
    set_fit_stat("resumed_from_iteration", first_iteration);
  }
  std::vector<float> gram;
  for (std::int32_t it = first_iteration; it < iterations_; ++it) {
    const auto start = std::chrono::steady_clock::now();
    ials_gram(items.data(), train.n_items, f, gram);
    ials_half_step_rows(by_user, user_blocks[mine], user_blocks[mine + 1], items.data(), gram.data(), f, reg_,
                        reg_exponent_, cg_steps_, users.data(), context.pool);
    if (ranks != nullptr) {
      solve_seconds += seconds_since(start);
      ranks->allgather_rows(users.data(), user_blocks, f);
    }
    const auto start_items = std::chrono::steady_clock::now();
    ials_gram(users.data(), train.n_users, f, gram);
    ials_half_step_rows(by_item, item_blocks[mine], item_blocks[mine + 1], users.data(), gram.data(), f, reg_,
                        reg_exponent_, cg_steps_, items.data(), context.pool);
    if (ranks != nullptr) {
      solve_seconds += seconds_since(start_items);
      ranks->allgather_rows(items.data(), item_blocks, f);
    }
    if (!all_finite(users) || !all_finite(items))
      throw UsageError("ials: training diverged (non-finite factors) at iteration " + std::to_string(it + 1) + " of " +
                       std::to_string(iterations_) + "; lower alpha or raise reg");
    // A checkpoint holds complete iterations: resuming from it gives the uninterrupted fit exactly.
    if (context.checkpoint_every > 0 && !context.checkpoint_path.empty() && (it + 1) % context.checkpoint_every == 0 &&
        mine == 0)
      write_checkpoint(context.checkpoint_path, it + 1, train, users, items);
    maybe_inject_fault("ials_iteration", static_cast<int>(mine), it + 1);
    context.report("iteration", it + 1, iterations_);
  }
  if (ranks != nullptr) {
    set_fit_stat("ranks", ranks->size());
    set_fit_stat("solve_seconds", solve_seconds);
    set_fit_stat("communication_seconds", ranks->communication_seconds());
  }
  ials_gram(items.data(), train.n_items, f, gram_);
  set_factors(f, std::move(users), std::move(items));
}

// The checkpoint: the spec, the data's shape and alpha (a resume must fit the same problem) and both factor
// matrices after `iteration` complete iterations; a model file (atomic write, crc-checked read).
void ImplicitAls::write_checkpoint(const std::string& path, std::int32_t iteration, const FeedbackMatrix& train,
                                   const std::vector<float>& users, const std::vector<float>& items) const {
  ModelWriter out(path);
  out.put_string("ials_checkpoint.spec", params().to_string());
  out.put_scalar<std::int64_t>("ials_checkpoint.iteration", iteration);
  out.put_scalar<std::int64_t>("ials_checkpoint.n_users", train.n_users);
  out.put_scalar<std::int64_t>("ials_checkpoint.n_items", train.n_items);
  out.put_scalar<std::int64_t>("ials_checkpoint.nnz", train.nnz());
  out.put_scalar<float>("ials_checkpoint.alpha", effective_alpha_);
  out.put("ials_checkpoint.users", users);
  out.put("ials_checkpoint.items", items);
  out.commit();
}

std::int32_t ImplicitAls::read_checkpoint(const std::string& path, const FeedbackMatrix& train,
                                          std::vector<float>& users, std::vector<float>& items) const {
  const ModelReader in(path);
  auto mismatch = [&](const std::string& what) {
    return UsageError(path + ": checkpoint of another fit (" + what +
                      "); remove it or drop --resume to start afresh");
  };
  if (!in.has("ials_checkpoint.spec")) throw UsageError(path + ": not an ials checkpoint");
  if (in.view_string("ials_checkpoint.spec") != params().to_string())
    throw mismatch("spec " + std::string(in.view_string("ials_checkpoint.spec")));
  if (in.get_scalar<std::int64_t>("ials_checkpoint.n_users") != train.n_users ||
      in.get_scalar<std::int64_t>("ials_checkpoint.n_items") != train.n_items ||
      in.get_scalar<std::int64_t>("ials_checkpoint.nnz") != train.nnz())
    throw mismatch("other training data");
  if (in.get_scalar<float>("ials_checkpoint.alpha") != effective_alpha_) throw mismatch("other alpha");
  const auto iteration = in.get_scalar<std::int64_t>("ials_checkpoint.iteration");
  if (iteration < 0 || iteration > iterations_) throw mismatch("iteration " + std::to_string(iteration));
  users = in.get<float>("ials_checkpoint.users", users.size());
  items = in.get<float>("ials_checkpoint.items", items.size());
  return static_cast<std::int32_t>(iteration);
}

void ImplicitAls::save_model(ModelWriter& out) const {
  FactorModel::save_model(out);
  out.put_scalar<double>(name() + ".alpha", effective_alpha_);  // the alpha the fit used (fold-in needs it)
}

void ImplicitAls::load_model(const ModelReader& in) {
  FactorModel::load_model(in);
  // Files written before alpha could be derived hold none: their spec's alpha (always >= 0 then) is the one.
  if (in.has(name() + ".alpha")) {
    const double alpha = in.get_scalar<double>(name() + ".alpha");
    if (!(alpha >= 0) || !std::isfinite(alpha)) in.fail(name() + ".alpha", "must be a finite number >= 0");
    effective_alpha_ = static_cast<float>(alpha);
  } else {
    effective_alpha_ = alpha_ >= 0 ? alpha_ : ials_derived_alpha(confidence_mean_, log_confidence_, {});
  }
  ials_gram(item_factors().data(), n_items(), factors(), gram_);
}

void ImplicitAls::fold_in(std::span<const std::int32_t> items, std::span<const float> weights,
                          std::span<float> out) const {
  check_history(items, weights);
  const auto f = static_cast<std::size_t>(factors());
  if (out.size() != f)
    throw UsageError("out: " + std::to_string(out.size()) + " floats for " + std::to_string(f) + " factors");
  if (user_scale_ == UserScale::none) {
    solve_row(gram_, item_factors().data(), items, weights, out);
    return;
  }
  std::vector<float> scaled = weights.empty() ? std::vector<float>(items.size(), 1.0f)
                                              : std::vector<float>(weights.begin(), weights.end());
  scale_user_row(user_scale_, scaled);
  solve_row(gram_, item_factors().data(), items, scaled, out);
}

// The iALS row solve, for a user (other = items, gram = VᵀV) or an item
// (other = users, gram = UᵀU): the training objective of one row, exactly.
std::int64_t ImplicitAls::fold_in_system(const std::vector<float>& gram, const float* other,
                                         std::span<const std::int32_t> ids, std::span<const float> weights,
                                         std::vector<double>& a, std::vector<double>& b) const {
  const auto f = static_cast<std::size_t>(factors());
  a.assign(gram.begin(), gram.end());
  b.assign(f, 0.0);
  std::int64_t observed = 0;
  for (std::size_t j = 0; j < ids.size(); ++j) {
    const float w = weights.empty() ? 1.0f : weights[j];
    if (!(w > 0)) continue;
    if (!std::isfinite(w)) throw UsageError("weights: weight of item " + std::to_string(ids[j]) + " is not finite");
    ++observed;
    const double c = confidence(w);
    const float* v = other + static_cast<std::size_t>(ids[j]) * f;
    for (std::size_t r = 0; r < f; ++r) {
      b[r] += c * v[r];
      for (std::size_t k = 0; k < f; ++k) a[r * f + k] += (c - 1.0) * v[r] * v[k];
    }
  }
  const double lambda = reg_exponent_ == 0.0f ? reg_ : reg_ * std::pow(std::max<double>(1, observed), reg_exponent_);
  for (std::size_t r = 0; r < f; ++r) a[r * f + r] += lambda;
  return observed;
}

void ImplicitAls::solve_row(const std::vector<float>& gram, const float* other, std::span<const std::int32_t> ids,
                            std::span<const float> weights, std::span<float> out) const {
  const auto f = static_cast<std::size_t>(factors());
  std::vector<double> a, b;
  if (fold_in_system(gram, other, ids, weights, a, b) == 0) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  if (!cholesky_solve(a, b, f)) throw UsageError("reg: fold-in system is singular; use reg > 0");
  for (std::size_t r = 0; r < f; ++r) out[r] = static_cast<float>(b[r]);
}

// Hu, Koren & Volinsky (2008, section 5): the fold-in's x = A⁻¹ Σ_j c_j y_j, so the score y_i·x splits into
// Σ_j c_j (y_iᵀ A⁻¹ y_j), one term per item of the history — one solve A w = y_i gives them all.
Explanation ImplicitAls::explain(std::int32_t user, std::int32_t item) const {
  Explanation out = Recommender::explain(user, item);
  out.note.clear();
  const auto f = static_cast<std::size_t>(factors());
  const auto ids = history().row_indices(user);
  std::vector<float> weights(history().row_values(user).begin(), history().row_values(user).end());
  scale_user_row(user_scale_, weights);
  std::vector<double> a, unused;
  if (fold_in_system(gram_, item_factors().data(), ids, weights, a, unused) == 0) {
    out.note = "the listener has no plays to attribute the score to";
    return out;
  }
  const float* target = item_factors().data() + static_cast<std::size_t>(item) * f;
  std::vector<double> w(target, target + f);
  if (!cholesky_solve(a, w, f)) throw UsageError("reg: fold-in system is singular; use reg > 0");
  std::vector<std::pair<std::int32_t, double>> parts;
  double positive = 0.0;
  for (std::size_t j = 0; j < ids.size(); ++j) {
    if (!(weights[j] > 0)) continue;
    const float* v = item_factors().data() + static_cast<std::size_t>(ids[j]) * f;
    double dot = 0.0;
    for (std::size_t r = 0; r < f; ++r) dot += w[r] * v[r];
    const double part = confidence(weights[j]) * dot;
    if (part > 0.0) {
      parts.emplace_back(ids[j], part);
      positive += part;
    }
  }
  std::sort(parts.begin(), parts.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  if (parts.size() > 10) parts.resize(10);
  for (const auto& [j, part] : parts) out.contributions.push_back({j, static_cast<float>(part / positive)});
  return out;
}

void ImplicitAls::fold_in_user(std::span<const std::int32_t> items, std::span<const float> weights,
                               std::span<float> out) const {
  fold_in(items, weights, out);
}

void ImplicitAls::fold_in_items(const SparseRows& columns, std::span<float> out) const {
  const auto f = static_cast<std::size_t>(factors());
  std::vector<float> user_gram;
  ials_gram(user_factors().data(), n_users(), factors(), user_gram);
  std::vector<float> scaled;
  for (std::int32_t r = 0; r < columns.n_rows; ++r) {
    std::span<const float> values = columns.row_values(r);
    if (user_scale_ != UserScale::none) {  // each listener's weight on their own row's scale
      const auto listeners = columns.row_indices(r);
      scaled.assign(values.begin(), values.end());
      for (std::size_t k = 0; k < listeners.size(); ++k)
        if (listeners[k] >= 0 && listeners[k] < n_users())
          scaled[k] = scale_in_row(user_scale_, history().row_values(listeners[k]), scaled[k]);
      values = scaled;
    }
    solve_row(user_gram, user_factors().data(), columns.row_indices(r), values,
              out.subspan(static_cast<std::size_t>(r) * f, f));
  }
}

void ImplicitAls::partial_fit_items_model(std::span<const std::int32_t> items, const SparseRows& columns) {
  FactorModel::partial_fit_items_model(items, columns);
  ials_gram(item_factors().data(), n_items(), factors(), gram_);  // fold-in's VᵀV with the new items
}

void ImplicitAls::score_history(std::span<const std::int32_t> items, std::span<const float> weights,
                                float* out) const {
  std::vector<float> x(static_cast<std::size_t>(factors()));
  fold_in(items, weights, x);
  score_vector(x, out);
}

}  // namespace segue

SEGUE_REGISTER_MODEL(ials, ::segue::ials_info())
