#include "eval/evaluator.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "data/error.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

// Per-thread buffers, allocated once per thread and reused for every block.
struct Scratch {
  std::vector<float> scores;
  std::vector<ScoredItem> top;
  std::vector<std::int32_t> ranked;
  std::vector<std::int32_t> relevant;
  std::vector<std::int32_t> best_rank;  // per item: best rank seen in any list (coverage)
};

// Test items of `user` that are relevant: positive in test and, when
// excluding training items, not already in train.
void relevant_items(const FeedbackMatrix& train, const FeedbackMatrix& test, std::int32_t user, bool exclude_train,
                    std::vector<std::int32_t>& out) {
  out.clear();
  const auto held = test.items_of(user);
  if (!exclude_train) {
    out.assign(held.begin(), held.end());
    return;
  }
  const auto seen = train.items_of(user);
  std::set_difference(held.begin(), held.end(), seen.begin(), seen.end(), std::back_inserter(out));
}

void check_shapes(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test) {
  if (!model.fitted()) throw UsageError("model: '" + model.name() + "' is not fitted");
  if (test.n_users != train.n_users || test.n_items != train.n_items)
    throw UsageError("test: " + std::to_string(test.n_users) + " users x " + std::to_string(test.n_items) +
                     " items, but train has " + std::to_string(train.n_users) + " x " + std::to_string(train.n_items) +
                     " (map test ids into train's id maps first)");
  if (model.n_users() != train.n_users || model.n_items() != train.n_items)
    throw UsageError("model: fitted on " + std::to_string(model.n_users()) + " users x " +
                     std::to_string(model.n_items()) + " items, but train has " + std::to_string(train.n_users) +
                     " x " + std::to_string(train.n_items));
}

}  // namespace

const MetricResult* EvalResult::find(std::string_view name) const {
  for (const MetricResult& metric : metrics)
    if (metric.name == name) return &metric;
  return nullptr;
}

EvalResult evaluate(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test,
                    const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_shapes(model, train, test);
  std::vector<Metric> metrics;
  for (const std::string& name : options.metrics) metrics.push_back(parse_metric(name));
  if (metrics.empty()) throw UsageError("metrics: no metric to compute");
  std::int32_t max_k = 0;
  bool want_coverage = false;
  for (const Metric& metric : metrics) {
    max_k = std::max(max_k, metric.k);
    if (metric.per_user()) continue;
    // Catalogue-wide metrics each need their own pass here; coverage is the only one so far.
    if (metric.family->name != "coverage")
      throw UsageError("metric '" + metric.name + "': catalogue-wide metric not supported by the evaluator");
    want_coverage = true;
  }
  const std::int32_t n_items = train.n_items;
  const std::int32_t list_k = std::min(max_k, n_items);

  EvalResult result;
  result.model = model.params().to_string();
  result.fit_seconds = model.fit_seconds();
  std::vector<std::int32_t> relevant;
  for (std::int32_t u = 0; u < train.n_users; ++u) {
    if (test.count(u) == 0) continue;
    ++result.test_users;
    if (train.count(u) == 0) {
      ++result.cold_users;
      continue;
    }
    relevant_items(train, test, u, options.exclude_train, relevant);
    if (relevant.empty()) {
      ++result.repeat_only_users;
      continue;
    }
    result.users.push_back(u);
    result.relevant_items += static_cast<std::int64_t>(relevant.size());
  }
  const auto n_eval = static_cast<std::int64_t>(result.users.size());
  result.evaluated_users = n_eval;
  for (const Metric& metric : metrics) {
    MetricResult column;
    column.name = metric.name;
    column.per_user = metric.per_user();
    if (column.per_user) column.values.assign(static_cast<std::size_t>(n_eval), 0.0);
    result.metrics.push_back(std::move(column));
  }
  if (options.keep_lists) {
    result.list_k = list_k;
    result.lists.assign(static_cast<std::size_t>(n_eval * list_k), ScoredItem{});
    result.list_counts.assign(static_cast<std::size_t>(n_eval), 0);
  }

  // Blocks of users share one score buffer per thread; the block is capped so
  // a large catalogue does not make the buffer huge.
  const std::int64_t per_block_cap = std::max<std::int64_t>(1, options.max_block_floats / std::max(n_items, 1));
  const std::int64_t block = std::clamp<std::int64_t>(options.block_users, 1, per_block_cap);
  const std::int64_t n_blocks = (n_eval + block - 1) / block;
  ThreadPool& pool = options.pool != nullptr ? *options.pool : default_thread_pool();
  std::vector<Scratch> scratch(static_cast<std::size_t>(pool.size()));

  pool.parallel_for(0, n_blocks, 1, [&](std::int64_t first_block, std::int64_t last_block, int thread) {
    Scratch& s = scratch[static_cast<std::size_t>(thread)];
    s.scores.resize(static_cast<std::size_t>(block * n_items));
    s.top.resize(static_cast<std::size_t>(list_k));
    if (want_coverage && s.best_rank.empty())
      s.best_rank.assign(static_cast<std::size_t>(n_items), std::numeric_limits<std::int32_t>::max());
    for (std::int64_t b = first_block; b < last_block; ++b) {
      const std::int64_t begin = b * block;
      const std::int64_t end = std::min(begin + block, n_eval);
      const std::span<const std::int32_t> users(result.users.data() + begin, static_cast<std::size_t>(end - begin));
      model.score_users(users, s.scores.data());
      for (std::int64_t row = 0; row < end - begin; ++row) {
        const std::int32_t u = users[static_cast<std::size_t>(row)];
        const std::span<const float> scores(s.scores.data() + row * n_items, static_cast<std::size_t>(n_items));
        const std::span<const std::int32_t> exclude =
            options.exclude_train ? train.items_of(u) : std::span<const std::int32_t>();
        const std::int32_t count = top_k(scores, exclude, list_k, s.top.data());
        s.ranked.resize(static_cast<std::size_t>(count));
        for (std::int32_t i = 0; i < count; ++i) s.ranked[i] = s.top[i].item;
        relevant_items(train, test, u, options.exclude_train, s.relevant);
        const UserRanking ranking{s.ranked, s.relevant};
        const std::int64_t index = begin + row;
        for (std::size_t m = 0; m < metrics.size(); ++m)
          if (metrics[m].per_user()) result.metrics[m].values[static_cast<std::size_t>(index)] = metrics[m].value(ranking);
        if (want_coverage)
          for (std::int32_t i = 0; i < count; ++i) s.best_rank[s.ranked[i]] = std::min(s.best_rank[s.ranked[i]], i);
        if (options.keep_lists) {
          std::copy(s.top.begin(), s.top.begin() + count, result.lists.begin() + index * list_k);
          result.list_counts[static_cast<std::size_t>(index)] = count;
        }
      }
    }
  });

  // Means summed in user order on one thread: identical for any thread count.
  for (MetricResult& column : result.metrics) {
    if (!column.per_user || column.values.empty()) continue;
    double sum = 0;
    for (double v : column.values) sum += v;
    column.mean = sum / static_cast<double>(column.values.size());
  }
  if (want_coverage) {
    std::vector<std::int32_t> best(static_cast<std::size_t>(n_items), std::numeric_limits<std::int32_t>::max());
    for (const Scratch& s : scratch)
      for (std::size_t i = 0; i < s.best_rank.size(); ++i) best[i] = std::min(best[i], s.best_rank[i]);
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      if (metrics[m].per_user()) continue;
      const std::int32_t k = metrics[m].k;
      const auto covered = std::count_if(best.begin(), best.end(), [k](std::int32_t rank) { return rank < k; });
      result.metrics[m].mean = n_items == 0 ? 0.0 : static_cast<double>(covered) / n_items;
    }
  }
  result.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace segue
