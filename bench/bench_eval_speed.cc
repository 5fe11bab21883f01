// Times full-ranking evaluation (evaluate(): block SGEMM scoring + top-k with
// training items excluded) of a random 64-factor model on random sparse data.
//   bench_eval_speed [users=100000] [items=100000] [factors=64] [block=256] [threads=2]
//                    [train=20] [test=5] [split=1] [check=2000] [seed=42]
// split=1 also times the scoring kernel alone (one thread, then the pool),
// OpenBLAS's SGEMM on the same shape, and top-k alone; check=N compares
// evaluate()'s fused lists for N users with scoring whole rows + top_k().
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <cblas.h>

#include "bench_util.h"
#include "eval/evaluator.h"
#include "models/factorization/factor_model.h"
#include "models/factorization/score_kernel.h"
#include "util/thread_pool.h"

namespace {

using namespace segue;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// CPU seconds of all the process's threads: on a shared machine, wall time
// over-states our cost; cpu / threads is what an idle machine would take.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// Random Gaussian factors (σ = 0.1), seeded: stands in for a trained model.
class RandomFactors final : public FactorModel {
 public:
  RandomFactors(std::int32_t factors, std::uint64_t seed)
      : FactorModel(ModelSpec("random_factors", {})), factors_wanted_(factors), seed_(seed) {}

  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override {
    std::vector<float> x(static_cast<std::size_t>(factors()));
    fold_in_least_squares(items, weights, 0.1f, x);
    score_vector(x, out);
  }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext&) override {
    std::mt19937_64 rng(seed_);
    std::normal_distribution<float> normal(0.0f, 0.1f);
    const auto f = static_cast<std::size_t>(factors_wanted_);
    std::vector<float> users(static_cast<std::size_t>(train.n_users) * f);
    std::vector<float> items(static_cast<std::size_t>(train.n_items) * f);
    for (float& x : users) x = normal(rng);
    for (float& x : items) x = normal(rng);
    set_factors(factors_wanted_, std::move(users), std::move(items));
  }
  void save_model(ModelWriter&) const override {}
  void load_model(const ModelReader&) override {}

 private:
  std::int32_t factors_wanted_;
  std::uint64_t seed_;
};

// `per_user` items per user drawn from Zipf(0.8) popularity over a shuffled
// item order (popular items are not simply the low ids); repeats merge.
FeedbackMatrix random_feedback(std::int32_t users, std::int32_t items, std::int32_t per_user,
                               const std::vector<double>& cdf, const std::vector<std::int32_t>& order,
                               std::mt19937_64& rng) {
  std::uniform_real_distribution<double> uniform(0.0, cdf.back());
  std::vector<FeedbackEntry> entries;
  entries.reserve(static_cast<std::size_t>(users) * per_user);
  for (std::int32_t u = 0; u < users; ++u)
    for (std::int32_t k = 0; k < per_user; ++k) {
      const auto rank = std::lower_bound(cdf.begin(), cdf.end(), uniform(rng)) - cdf.begin();
      entries.push_back({u, order[static_cast<std::size_t>(rank)], 1.0f});
    }
  return build_feedback(users, items, entries);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, long> arg{{"users", 100000}, {"items", 100000}, {"factors", 64}, {"block", 256},
                                  {"threads", 2},    {"train", 20},     {"test", 5},     {"split", 1},
                                  {"check", 2000},      {"seed", 42}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq == std::string::npos || arg.count(a.substr(0, eq)) == 0) {
      std::fprintf(stderr, "unknown argument '%s' (key=value; keys: users items factors block threads train test split check seed)\n",
                   argv[i]);
      return 2;
    }
    arg[a.substr(0, eq)] = std::strtol(a.c_str() + eq + 1, nullptr, 10);
  }
  const auto n_users = static_cast<std::int32_t>(arg["users"]);
  const auto n_items = static_cast<std::int32_t>(arg["items"]);
  const auto factors = static_cast<std::int32_t>(arg["factors"]);
  const auto block = static_cast<std::int32_t>(arg["block"]);
  const int threads = static_cast<int>(arg["threads"]);

  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when piped to a file
  std::printf("command: %s", argv[0]);
  for (const auto& [key, value] : arg) std::printf(" %s=%ld", key.c_str(), value);
  std::printf("\nmachine: %u cores (nproc), %s\n", std::thread::hardware_concurrency(), bench::cpu_model().c_str());
  use_single_threaded_blas();

  auto start = Clock::now();
  std::mt19937_64 rng(static_cast<std::uint64_t>(arg["seed"]));
  std::vector<double> cdf(static_cast<std::size_t>(n_items));
  double total = 0;
  for (std::int32_t i = 0; i < n_items; ++i) cdf[i] = total += std::pow(i + 1.0, -0.8);
  std::vector<std::int32_t> order(static_cast<std::size_t>(n_items));
  for (std::int32_t i = 0; i < n_items; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  const FeedbackMatrix train = random_feedback(n_users, n_items, static_cast<std::int32_t>(arg["train"]), cdf, order, rng);
  const FeedbackMatrix test = random_feedback(n_users, n_items, static_cast<std::int32_t>(arg["test"]), cdf, order, rng);
  RandomFactors model(factors, static_cast<std::uint64_t>(arg["seed"]));
  model.fit(train);
  std::printf("data: %d users x %d items, %lld train / %lld test pairs (Zipf 0.8), %d factors; setup %.1f s\n", n_users,
              n_items, static_cast<long long>(train.nnz()), static_cast<long long>(test.nnz()), factors,
              seconds_since(start));

  ThreadPool pool(threads);
  const double flops_per_user = 2.0 * n_items * factors;
  if (arg["split"] != 0) {
    // SGEMM alone, one thread, the block shape the evaluator uses.
    std::vector<float> scores(static_cast<std::size_t>(block) * n_items);
    std::vector<std::int32_t> users(static_cast<std::size_t>(block));
    const int reps = std::max(1, static_cast<int>(2e9 / (flops_per_user * block)));
    start = Clock::now();
    for (int r = 0; r < reps; ++r) {
      for (std::int32_t i = 0; i < block; ++i) users[i] = (r * block + i) % n_users;
      model.score_users(users, scores.data());
    }
    double t = seconds_since(start);
    std::printf("scoring kernel (%s) alone, 1 thread, %d x %d x %d: %.1f GFLOP/s\n", score_kernel_name(), block,
                n_items, factors, flops_per_user * block * reps / t / 1e9);
    start = Clock::now();
    for (int r = 0; r < reps; ++r)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, block, n_items, factors, 1.0f,
                  model.user_factors().data() + static_cast<std::size_t>((r * block) % std::max(1, n_users - block)) * factors,
                  factors, model.item_factors().data(), factors, 0.0f, scores.data(), n_items);
    t = seconds_since(start);
    std::printf("OpenBLAS cblas_sgemm, same shape, 1 thread: %.1f GFLOP/s\n", flops_per_user * block * reps / t / 1e9);
    for (std::int32_t i = 0; i < block; ++i) users[i] = i % n_users;
    model.score_users(users, scores.data());

    // Top-k alone on that buffer (k = 20, the user's training items excluded).
    std::vector<ScoredItem> top(20);
    const int topk_rows = std::max(1, static_cast<int>(2e8 / n_items));
    start = Clock::now();
    for (int r = 0; r < topk_rows; ++r) {
      const std::int32_t u = users[static_cast<std::size_t>(r % block)];
      top_k(std::span<const float>(scores.data() + static_cast<std::size_t>(r % block) * n_items, n_items),
            train.items_of(u), 20, top.data());
    }
    t = seconds_since(start);
    std::printf("top-k alone, 1 thread: %.2f ms per user (%.2f G scores/s) -> %.1f s for all users on %d threads\n",
                1e3 * t / topk_rows, static_cast<double>(topk_rows) * n_items / t / 1e9,
                t / topk_rows * n_users / threads, threads);

    // Scoring every user on the pool, no top-k: the SGEMM share of evaluate().
    const std::int64_t n_blocks = (n_users + block - 1) / block;
    std::vector<std::vector<float>> buffers(static_cast<std::size_t>(pool.size()));
    std::vector<std::vector<std::int32_t>> ids(static_cast<std::size_t>(pool.size()));
    start = Clock::now();
    double cpu = cpu_seconds();
    pool.parallel_for(0, n_blocks, 1, [&](std::int64_t first, std::int64_t last, int thread) {
      auto& buffer = buffers[static_cast<std::size_t>(thread)];
      auto& id = ids[static_cast<std::size_t>(thread)];
      buffer.resize(static_cast<std::size_t>(block) * n_items);
      for (std::int64_t b = first; b < last; ++b) {
        id.clear();
        for (std::int64_t u = b * block; u < std::min<std::int64_t>((b + 1) * block, n_users); ++u)
          id.push_back(static_cast<std::int32_t>(u));
        model.score_users(id, buffer.data());
      }
    });
    t = seconds_since(start);
    cpu = cpu_seconds() - cpu;
    std::printf("scoring all users alone, %d threads: %.2f s wall (%.1f GFLOP/s), %.2f s cpu (%.1f GFLOP/s per core)\n",
                threads, t, flops_per_user * n_users / t / 1e9, cpu, flops_per_user * n_users / cpu / 1e9);
  }

  EvalOptions options;
  options.metrics = {"ndcg@10", "recall@20"};
  options.block_users = block;
  options.pool = &pool;
  options.keep_lists = arg["check"] > 0;
  const double cpu = cpu_seconds();
  const EvalResult result = evaluate(model, train, test, options);
  const double eval_cpu = cpu_seconds() - cpu;
  std::printf("evaluate(): %lld users evaluated, ndcg@10 %.5f, recall@20 %.5f\n",
              static_cast<long long>(result.evaluated_users), result.metrics[0].mean, result.metrics[1].mean);
  std::printf("TOTAL evaluate() %.2f s wall (%.1f GFLOP/s effective), %.2f s cpu (cpu / %d threads = %.2f s), block %d\n",
              result.eval_seconds, flops_per_user * static_cast<double>(result.evaluated_users) / result.eval_seconds / 1e9,
              eval_cpu, threads, eval_cpu / threads, block);
  if (arg["check"] > 0) {
    // Whole rows scored, then top_k(): the reference the fused kernel must match.
    const std::int64_t n = std::min<std::int64_t>(arg["check"], result.evaluated_users);
    std::vector<float> row(static_cast<std::size_t>(n_items));
    std::vector<ScoredItem> top;
    std::int64_t differ = 0;
    for (std::int64_t r = 0; r < n; ++r) {
      const std::int32_t u = result.users[static_cast<std::size_t>(r)];
      model.score_users(std::span<const std::int32_t>(&u, 1), row.data());
      top_k(row, train.items_of(u), result.list_k, top);
      const auto* kept = result.lists.data() + r * result.list_k;
      const bool same = static_cast<std::int32_t>(top.size()) == result.list_counts[static_cast<std::size_t>(r)] &&
                        std::equal(top.begin(), top.end(), kept);
      differ += same ? 0 : 1;
    }
    std::printf("check: %lld of %lld lists differ from whole-row scoring + top_k()\n", static_cast<long long>(differ),
                static_cast<long long>(n));
    if (differ != 0) return 1;
  }
  return 0;
}
