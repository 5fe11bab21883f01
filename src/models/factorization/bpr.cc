#include "models/factorization/bpr.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "data/error.h"
#include "models/collective.h"
#include "util/alias_table.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_bpr(const ModelSpec& spec) { return std::make_unique<Bpr>(spec); }

bool contains(std::span<const std::int32_t> sorted, std::int32_t item) {
  return std::binary_search(sorted.begin(), sorted.end(), item);
}

// One SGD step on the triple (x, vi, vj) of dimension f (+ the bias entry at
// index f when bias: x[f] = 1 is not updated). update_items = false holds the
// item vectors fixed (fold-in). Written so that GCC vectorises it (the dot
// product in 16 independent lanes); compiled for AVX + FMA and baseline.
inline __attribute__((always_inline)) void sgd_step_impl(float* __restrict x, float* __restrict vi,
                                                         float* __restrict vj, std::int32_t f, bool bias, float lr,
                                                         float reg, bool update_items) {
  float acc[16] = {};
  std::int32_t k = 0;
  for (; k + 16 <= f; k += 16)
    for (int l = 0; l < 16; ++l) acc[l] += x[k + l] * (vi[k + l] - vj[k + l]);
  float diff = 0;
  for (; k < f; ++k) diff += x[k] * (vi[k] - vj[k]);
  for (int l = 0; l < 16; ++l) diff += acc[l];
  if (bias) diff += vi[f] - vj[f];
  // d/dθ ln σ(diff) = σ(−diff) · d diff/dθ
  const float z = 1.0f / (1.0f + std::exp(diff));
  if (update_items) {
    for (std::int32_t c = 0; c < f; ++c) {
      const float xu = x[c], a = vi[c], b = vj[c];
      x[c] += lr * (z * (a - b) - reg * xu);
      vi[c] += lr * (z * xu - reg * a);
      vj[c] += lr * (-z * xu - reg * b);
    }
    if (bias) {
      vi[f] += lr * (z - reg * vi[f]);
      vj[f] += lr * (-z - reg * vj[f]);
    }
  } else {
    for (std::int32_t c = 0; c < f; ++c) x[c] += lr * (z * (vi[c] - vj[c]) - reg * x[c]);
  }
}

void sgd_step_plain(float* x, float* vi, float* vj, std::int32_t f, bool bias, float lr, float reg, bool update_items) {
  sgd_step_impl(x, vi, vj, f, bias, lr, reg, update_items);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx,fma"))) void sgd_step_avx_fma(float* x, float* vi, float* vj, std::int32_t f, bool bias,
                                                        float lr, float reg, bool update_items) {
  sgd_step_impl(x, vi, vj, f, bias, lr, reg, update_items);
}
#endif

using SgdStep = void (*)(float*, float*, float*, std::int32_t, bool, float, float, bool);

SgdStep pick_sgd_step() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx") && __builtin_cpu_supports("fma")) return &sgd_step_avx_fma;
#endif
  return &sgd_step_plain;
}

const SgdStep sgd_step = pick_sgd_step();

bool all_finite(const std::vector<float>& v) {
  float probe = 0.0f;
  for (float value : v) probe += value * 0.0f;
  return probe == 0.0f;
}

constexpr int kNegativeTries = 8;  // redraws when the negative is one of the user's positives

}  // namespace

ModelInfo bpr_info() {
  return ModelInfo{
      "bpr",
      "Bayesian personalised ranking: factors by Hogwild SGD on sampled (user, positive, negative) triples",
      {int_param("factors", 64, 1, 4096, "latent dimensions (the item bias is one more)"),
       int_param("epochs", 200, 1, 100000, "passes; each draws as many (user, positive) pairs as there are positives"),
       float_param("learning_rate", 0.05, 0.0, 1e6, "SGD step", true),
       float_param("reg", 0.02, 0.0, 1e6, "L2 regularisation of the vectors a step touches"),
       string_param("sampling", "popularity", "negatives: uniform over items, or popularity (count^popularity_exponent)"),
       float_param("popularity_exponent", 0.5, 0.0, 2.0, "exponent of the popularity sampler"),
       float_param("skip_negatives", 0.5, 0.0, 1.0,
                   "chance a user with skips (negative feedback) draws the negative from them; no-op without skips"),
       bool_param("item_bias", true, "learn an item bias"),
       float_param("init_std", 0.1, 0.0, 10.0, "initial factors: std init_std / sqrt(factors)"),
       int_param("seed", 42, 0, 9007199254740991.0, "seed of the initial factors and the sampling")},
      &make_bpr,
      "learning_rate=0.01:0.2:log, reg=0.001:0.1:log, sampling=uniform|popularity, popularity_exponent=0.25:1"};
}

Bpr::Bpr(const ModelSpec& spec)
    : FactorModel(spec),
      factors_param_(static_cast<std::int32_t>(spec.get_int("factors"))),
      epochs_(static_cast<std::int32_t>(spec.get_int("epochs"))),
      learning_rate_(static_cast<float>(spec.get_float("learning_rate"))),
      reg_(static_cast<float>(spec.get_float("reg"))),
      popularity_sampling_(spec.get_string("sampling") == "popularity"),
      popularity_exponent_(static_cast<float>(spec.get_float("popularity_exponent"))),
      skip_negatives_(static_cast<float>(spec.get_float("skip_negatives"))),
      item_bias_(spec.get_bool("item_bias")),
      init_std_(static_cast<float>(spec.get_float("init_std"))),
      seed_(static_cast<std::uint64_t>(spec.get_int("seed"))) {
  const std::string& sampling = spec.get_string("sampling");
  if (sampling != "uniform" && sampling != "popularity")
    throw UsageError("sampling: must be uniform or popularity, got '" + sampling + "'");
  if (factors_param_ < 1) throw UsageError("factors: must be >= 1, got " + std::to_string(factors_param_));
  if (epochs_ < 1) throw UsageError("epochs: must be >= 1, got " + std::to_string(epochs_));
  if (!(learning_rate_ > 0) || !std::isfinite(learning_rate_))
    throw UsageError("learning_rate: must be a finite number > 0");
  if (!(reg_ >= 0) || !std::isfinite(reg_)) throw UsageError("reg: must be a finite number >= 0");
  if (!(popularity_exponent_ >= 0) || !(popularity_exponent_ <= 2))
    throw UsageError("popularity_exponent: must be in [0, 2]");
  if (!(skip_negatives_ >= 0) || !(skip_negatives_ <= 1)) throw UsageError("skip_negatives: must be in [0, 1]");
  if (!(init_std_ >= 0) || !std::isfinite(init_std_)) throw UsageError("init_std: must be a finite number >= 0");
}

// Item-change sums per epoch in a distributed fit (tests/mpi: 8 keeps NDCG@10 within the seed-to-seed spread
// of one process on Last.fm; 1 was below it).
constexpr std::int64_t kSyncRounds = 8;

Recommender::MemoryNeed Bpr::fit_memory(const FeedbackMatrix& train, int /*threads*/) const {
  const auto dim = static_cast<std::uint64_t>(factors_param_ + (item_bias_ ? 1 : 0));
  const auto rows = static_cast<std::uint64_t>(train.n_users) + static_cast<std::uint64_t>(train.n_items);
  const auto items = static_cast<std::uint64_t>(train.n_items);
  // The factor matrices and the scoring kernel's packed copy of the items, and each positive's owner and
  // item for the sampler.
  const std::uint64_t bytes = 4 * dim * (rows + items) + 8 * static_cast<std::uint64_t>(train.nnz());
  return {bytes, "factors " + std::to_string(dim) + " x " + std::to_string(rows + items) + " user, item and packed item rows",
          "lower factors, or filter rare items and users first (segue import --kcore-items K --kcore-users K)"};
}

void Bpr::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  const std::int32_t f = factors_param_;
  const std::int32_t dim = f + (item_bias_ ? 1 : 0);
  const auto ds = static_cast<std::size_t>(dim);
  const std::int64_t nnz = train.nnz();
  if (nnz >= (std::int64_t{1} << 32)) throw UsageError("bpr: more than 2^32 positives are not supported");

  // Initial factors: uniform with the requested std; the user's bias entry is 1, the item bias 0.
  std::vector<float> users(static_cast<std::size_t>(train.n_users) * ds);
  std::vector<float> items(static_cast<std::size_t>(train.n_items) * ds);
  {
    const float half_width = init_std_ / std::sqrt(static_cast<float>(f)) * std::sqrt(3.0f);
    Rng rng(seed_);
    for (std::size_t r = 0; r < static_cast<std::size_t>(train.n_users); ++r)
      for (std::int32_t k = 0; k < dim; ++k)
        users[r * ds + k] = k < f ? half_width * (2.0f * rng.unit() - 1.0f) : 1.0f;
    for (std::size_t r = 0; r < static_cast<std::size_t>(train.n_items); ++r)
      for (std::int32_t k = 0; k < dim; ++k)
        items[r * ds + k] = k < f ? half_width * (2.0f * rng.unit() - 1.0f) : 0.0f;
  }

  if (nnz > 0 && train.n_items > 0) {
    std::vector<std::int32_t> owner(static_cast<std::size_t>(nnz));
    for (std::int32_t u = 0; u < train.n_users; ++u)
      std::fill(owner.begin() + train.indptr[u], owner.begin() + train.indptr[u + 1], u);
    std::vector<double> popularity(static_cast<std::size_t>(train.n_items), 0.0);
    for (std::int32_t item : train.indices) popularity[item] += 1.0;
    for (double& p : popularity) p = p > 0 ? std::pow(p, static_cast<double>(popularity_exponent_)) : 0.0;
    const AliasTable popular(popularity);
    const SparseRows& skips = train.negatives;
    const bool has_skips = skip_negatives_ > 0 && skips.nnz() > 0 && skips.n_rows == train.n_users;

    ThreadPool& pool = context.pool != nullptr ? *context.pool : default_thread_pool();
    const std::int64_t parts = pool.size();
    const float lr = learning_rate_, reg = reg_;
    const bool bias = item_bias_;
    // Distributed (docs/SCALE.md): data-parallel epochs. Each rank draws its samples from its own block of
    // users' positives (blocks balanced on positives), so a user's row is only ever stepped by its rank; the
    // item rows' changes of every rank are summed after each epoch (all the epoch's steps applied to the
    // same start, as Hogwild threads would on one machine), and the user blocks are gathered at the end.
    Collective* ranks = is_distributed(context.collective) ? context.collective : nullptr;
    const std::vector<std::int64_t> user_blocks =
        ranks != nullptr ? balanced_blocks(train.indptr, ranks->size()) : std::vector<std::int64_t>{0, train.n_users};
    const std::size_t mine = ranks != nullptr ? static_cast<std::size_t>(ranks->rank()) : 0;
    const std::int64_t first_positive = train.indptr[user_blocks[mine]];
    const std::int64_t my_positives = train.indptr[user_blocks[mine + 1]] - first_positive;
    std::vector<float> items_at_start;
    if (ranks != nullptr) {
      ranks->reset_communication_seconds();
      set_fit_stat("ranks", ranks->size());
    }
    // Across ranks an epoch runs in kSyncRounds rounds, each ending with the sum of the item changes, so that
    // a rank's item rows are never more than a fraction of an epoch behind the others' steps.
    const std::int64_t rounds = ranks != nullptr ? kSyncRounds : 1;
    for (std::int64_t step = 0; step < static_cast<std::int64_t>(epochs_) * rounds; ++step) {
      const auto epoch = static_cast<std::int32_t>(step / rounds);
      const std::int64_t round = step % rounds;
      if (ranks != nullptr) items_at_start = items;
      // One chunk per thread, each with its own sample stream: with one thread
      // the chunks run in order, so the fit is deterministic under the seed.
      pool.parallel_for(0, parts, 1, [&](std::int64_t part, std::int64_t, int) {
        const std::uint64_t stream = static_cast<std::uint64_t>(epoch) * 1000003u + static_cast<std::uint64_t>(part) + 1 +
                                     (static_cast<std::uint64_t>(mine) * 64 + static_cast<std::uint64_t>(round)) *
                                         0x9E3779B97F4A7C15ull;
        Rng rng(splitmix64_mix(seed_ ^ splitmix64_mix(stream)));
        const std::int64_t share = my_positives / rounds + (round < my_positives % rounds ? 1 : 0);
        const std::int64_t samples = share / parts + (part < share % parts ? 1 : 0);
        // Draws (user, positive, negative); j = -1 when no negative was found.
        const auto draw = [&](std::int32_t& u, std::int32_t& i, std::int32_t& j) {
          const auto k = static_cast<std::uint32_t>(first_positive +
                                                    static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(my_positives))));
          u = owner[k];
          i = train.indices[k];
          j = -1;
          if (has_skips && skips.count(u) > 0 && rng.unit() < skip_negatives_) {
            j = skips.indices[skips.indptr[u] + rng.below(static_cast<std::uint64_t>(skips.count(u)))];
            return;
          }
          const auto liked = train.items_of(u);
          for (int t = 0; t < kNegativeTries; ++t) {
            const std::int32_t c =
                popularity_sampling_ ? popular.draw(rng) : static_cast<std::int32_t>(rng.below(train.n_items));
            if (!contains(liked, c)) {
              j = c;
              return;
            }
          }
        };
        const auto prefetch = [&](const float* row) {
          for (std::size_t off = 0; off < ds; off += 16) __builtin_prefetch(row + off, 1);
          __builtin_prefetch(row + ds - 1, 1);
        };
        // The next triple is drawn (and its rows prefetched) before this one's
        // step runs, hiding the memory latency of three random rows; the draws
        // do not depend on the factors, so the sequence is the same.
        std::int32_t nu = 0, ni = 0, nj = -1;
        if (samples > 0) draw(nu, ni, nj);
        for (std::int64_t s = 0; s < samples; ++s) {
          const std::int32_t u = nu, i = ni, j = nj;
          if (s + 1 < samples) {
            draw(nu, ni, nj);
            if (nj >= 0) {
              prefetch(users.data() + static_cast<std::size_t>(nu) * ds);
              prefetch(items.data() + static_cast<std::size_t>(ni) * ds);
              prefetch(items.data() + static_cast<std::size_t>(nj) * ds);
            }
          }
          if (j < 0) continue;  // the user likes (nearly) everything the sampler offers
          sgd_step(users.data() + static_cast<std::size_t>(u) * ds, items.data() + static_cast<std::size_t>(i) * ds,
                   items.data() + static_cast<std::size_t>(j) * ds, f, bias, lr, reg, true);
        }
      });
      if (ranks != nullptr) sum_changes(*ranks, items, items_at_start);
      if (round + 1 < rounds) continue;
      if (!all_finite(users) || !all_finite(items))
        throw UsageError("bpr: training diverged (non-finite factors) at epoch " + std::to_string(epoch + 1) + " of " +
                         std::to_string(epochs_) + "; lower learning_rate");
      context.report("epoch", epoch + 1, epochs_);
    }
    if (ranks != nullptr) {
      ranks->allgather_rows(users.data(), user_blocks, dim);
      set_fit_stat("communication_seconds", ranks->communication_seconds());
    }
  }
  set_factors(dim, std::move(users), std::move(items));
}

void Bpr::fold_in(std::span<const std::int32_t> items, std::span<const float> weights, std::span<float> out) const {
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
  const bool bias = dim > factors_param_;
  std::fill(out.begin(), out.end(), 0.0f);
  if (bias) out[ds - 1] = 1.0f;
  if (liked.empty() || static_cast<std::int32_t>(liked.size()) >= n_items()) return;
  // As many draws per positive as the training gave an average user's positive.
  const std::int64_t steps = static_cast<std::int64_t>(epochs_) * static_cast<std::int64_t>(liked.size());
  std::vector<float> vi(ds), vj(ds);
  Rng rng(splitmix64_mix(seed_ + 0x5EED));
  const float* v = item_factors().data();
  for (std::int64_t s = 0; s < steps; ++s) {
    const std::int32_t i = liked[rng.below(liked.size())];
    std::int32_t j = -1;
    for (int t = 0; t < kNegativeTries && j < 0; ++t) {
      const auto c = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n_items())));
      if (!contains(liked, c)) j = c;
    }
    if (j < 0) continue;
    // Copies: sgd_step never writes them with update_items = false, but its
    // signature takes writable rows.
    std::copy_n(v + static_cast<std::size_t>(i) * ds, ds, vi.data());
    std::copy_n(v + static_cast<std::size_t>(j) * ds, ds, vj.data());
    sgd_step(out.data(), vi.data(), vj.data(), factors_param_, bias, learning_rate_, reg_, false);
  }
}

void Bpr::fold_in_user(std::span<const std::int32_t> items, std::span<const float> weights,
                       std::span<float> out) const {
  fold_in(items, weights, out);
}

// The mirror of fold_in: SGD on the new item's vector alone (user and other
// item vectors fixed), from zero, over (listener, item, sampled negative)
// triples, as many per listener as training drew per positive.
void Bpr::fold_in_items(const SparseRows& columns, std::span<float> out) const {
  const std::int32_t dim = factors();
  const auto ds = static_cast<std::size_t>(dim);
  const bool bias = dim > factors_param_;
  const auto known = static_cast<std::int32_t>(item_factors().size() / ds);  // items with a vector already
  const float* v = item_factors().data();
  const float* u = user_factors().data();
  std::vector<float> x(ds), vj(ds);
  for (std::int32_t r = 0; r < columns.n_rows; ++r) {
    float* vi = out.data() + static_cast<std::size_t>(r) * ds;
    std::fill(vi, vi + ds, 0.0f);
    const auto listeners = columns.row_indices(r);
    if (listeners.empty() || known == 0) continue;
    Rng rng(splitmix64_mix(seed_ + 0x17E3 + static_cast<std::uint64_t>(r)));
    const std::int64_t steps = static_cast<std::int64_t>(epochs_) * static_cast<std::int64_t>(listeners.size());
    for (std::int64_t s = 0; s < steps; ++s) {
      const std::int32_t user = listeners[rng.below(listeners.size())];
      std::int32_t j = -1;
      for (int t = 0; t < kNegativeTries && j < 0; ++t) {
        const auto c = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(known)));
        if (!contains(history().row_indices(user), c)) j = c;
      }
      if (j < 0) continue;
      // Copies: only vi's update is kept.
      std::copy_n(u + static_cast<std::size_t>(user) * ds, ds, x.data());
      std::copy_n(v + static_cast<std::size_t>(j) * ds, ds, vj.data());
      sgd_step(x.data(), vi, vj.data(), factors_param_, bias, learning_rate_, reg_, true);
    }
  }
}

void Bpr::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  std::vector<float> x(static_cast<std::size_t>(factors()));
  fold_in(items, weights, x);
  score_vector(x, out);
}

}  // namespace segue

SEGUE_REGISTER_MODEL(bpr, ::segue::bpr_info())
