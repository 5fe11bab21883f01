#include "eval/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "data/error.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

// The metrics to compute and what they need, parsed once per evaluation.
struct Plan {
  std::vector<Metric> metrics;
  std::int32_t max_k = 0;
  unsigned needs = kNeedsNothing;
  std::vector<std::int32_t> exposure_ks;  // distinct cut-offs of the catalogue-wide metrics
  ItemContext items;
  const std::vector<std::uint8_t>* candidates = nullptr;  // EvalOptions::candidates
};

// Per-thread buffers, allocated once per thread and reused for every user.
struct Scratch {
  std::vector<float> scores;
  std::vector<ScoredItem> top;
  std::vector<ScoredItem> block_top;        // block × list_k selections
  std::vector<std::int32_t> block_counts;   // list length per row of the block
  std::vector<std::span<const std::int32_t>> block_exclude;  // training items per row
  std::vector<std::int32_t> ranked;
  std::vector<std::int32_t> relevant;
  std::vector<float> weights;
  std::vector<std::int32_t> baseline;
  std::vector<std::vector<std::int64_t>> exposure;  // per exposure_ks entry: lists showing each item
};

// Test items of `user` that are relevant (positive in test and, when
// excluding training items, not already in train), with their test weights.
// With a candidate mask, only candidates are relevant.
void relevant_items(const FeedbackMatrix& train, const FeedbackMatrix& test, std::int32_t user, bool exclude_train,
                    std::vector<std::int32_t>& out, std::vector<float>* weights = nullptr,
                    const std::vector<std::uint8_t>* candidates = nullptr) {
  out.clear();
  if (weights != nullptr) weights->clear();
  const auto held = test.items_of(user);
  const auto values = test.values_of(user);
  const auto seen = exclude_train ? train.items_of(user) : std::span<const std::int32_t>();
  std::size_t s = 0;
  for (std::size_t h = 0; h < held.size(); ++h) {
    while (s < seen.size() && seen[s] < held[h]) ++s;
    if (s < seen.size() && seen[s] == held[h]) continue;
    if (candidates != nullptr && (*candidates)[static_cast<std::size_t>(held[h])] == 0) continue;
    out.push_back(held[h]);
    if (weights != nullptr) weights->push_back(values[h]);
  }
}

Plan make_plan(const EvalOptions& options, const FeedbackMatrix& train) {
  Plan plan;
  for (const std::string& name : options.metrics) plan.metrics.push_back(parse_metric(name));
  if (plan.metrics.empty()) throw UsageError("metrics: no metric to compute");
  for (const Metric& metric : plan.metrics) {
    plan.max_k = std::max(plan.max_k, metric.k);
    plan.needs |= metric.family->needs;
    if ((metric.family->needs & kNeedsFeatures) != 0 && options.item_features == nullptr)
      throw UsageError("metric '" + metric.name + "': needs item feature vectors (e.g. audio features), none given");
    if (metric.per_user()) continue;
    // Catalogue-wide metrics are computed from exposure counts below.
    if (metric.family->name != "coverage" && metric.family->name != "gini")
      throw UsageError("metric '" + metric.name + "': catalogue-wide metric not supported by the evaluator");
    if (std::find(plan.exposure_ks.begin(), plan.exposure_ks.end(), metric.k) == plan.exposure_ks.end())
      plan.exposure_ks.push_back(metric.k);
  }
  plan.candidates = options.candidates;
  if ((plan.needs & (kNeedsPopularity | kNeedsBaseline | kNeedsFeatures)) != 0)
    plan.items = make_item_context(train, (plan.needs & kNeedsFeatures) != 0 ? options.item_features : nullptr);
  return plan;
}

// Picks the evaluated users and accounts for every test user.
void select_users(const FeedbackMatrix& train, const FeedbackMatrix& test, const EvalOptions& options,
                  const Plan& plan, EvalResult& result) {
  std::vector<std::int32_t> relevant;
  for (std::int32_t u = 0; u < train.n_users; ++u) {
    if (test.count(u) == 0) continue;
    ++result.test_users;
    if (options.require_train_items && train.count(u) == 0) {
      ++result.cold_users;
      continue;
    }
    relevant_items(train, test, u, options.exclude_train, relevant);
    if (relevant.empty()) {
      ++result.repeat_only_users;
      continue;
    }
    if (options.candidates != nullptr) {
      relevant_items(train, test, u, options.exclude_train, relevant, nullptr, options.candidates);
      if (relevant.empty()) {
        ++result.non_candidate_only_users;
        continue;
      }
    }
    result.users.push_back(u);
    result.relevant_items += static_cast<std::int64_t>(relevant.size());
  }
  const auto n_eval = static_cast<std::int64_t>(result.users.size());
  result.evaluated_users = n_eval;
  for (const Metric& metric : plan.metrics) {
    MetricResult column;
    column.name = metric.name;
    column.per_user = metric.per_user();
    column.lower_is_better = metric.family->lower_is_better;
    if (column.per_user) column.values.assign(static_cast<std::size_t>(n_eval), 0.0);
    result.metrics.push_back(std::move(column));
  }
}

void prepare_scratch(const Plan& plan, std::int32_t n_items, Scratch& s) {
  if (s.exposure.size() == plan.exposure_ks.size()) return;
  s.exposure.assign(plan.exposure_ks.size(), std::vector<std::int64_t>(static_cast<std::size_t>(n_items), 0));
}

// The one metric path: every per-user value of user `index` from its list.
void score_list(const Plan& plan, const FeedbackMatrix& train, const FeedbackMatrix& test, const EvalOptions& options,
                std::int64_t index, std::span<const std::int32_t> ranked, Scratch& s, EvalResult& result) {
  const std::int32_t u = result.users[static_cast<std::size_t>(index)];
  relevant_items(train, test, u, options.exclude_train, s.relevant, &s.weights, options.candidates);
  UserRanking ranking{ranked, s.relevant};
  if ((plan.needs & kNeedsWeights) != 0) ranking.weights = s.weights;
  if ((plan.needs & (kNeedsPopularity | kNeedsBaseline | kNeedsFeatures)) != 0) ranking.items = &plan.items;
  if ((plan.needs & kNeedsBaseline) != 0) {
    const auto exclude = options.exclude_train ? train.items_of(u) : std::span<const std::int32_t>();
    popularity_baseline(plan.items, exclude, plan.max_k, s.baseline);
    ranking.baseline = s.baseline;
  }
  for (std::size_t m = 0; m < plan.metrics.size(); ++m) {
    if (!plan.metrics[m].per_user()) continue;
    // The baseline holds max-k items; a metric at a smaller cut-off compares
    // with the first k of it, so it is rebuilt for that k.
    if ((plan.metrics[m].family->needs & kNeedsBaseline) != 0 && plan.metrics[m].k != plan.max_k) {
      UserRanking at_k = ranking;
      const auto exclude = options.exclude_train ? train.items_of(u) : std::span<const std::int32_t>();
      thread_local std::vector<std::int32_t> smaller;
      popularity_baseline(plan.items, exclude, plan.metrics[m].k, smaller);
      at_k.baseline = smaller;
      result.metrics[m].values[static_cast<std::size_t>(index)] = plan.metrics[m].value(at_k);
      continue;
    }
    result.metrics[m].values[static_cast<std::size_t>(index)] = plan.metrics[m].value(ranking);
  }
  for (std::size_t e = 0; e < plan.exposure_ks.size(); ++e) {
    const std::size_t depth = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(plan.exposure_ks[e]));
    for (std::size_t i = 0; i < depth; ++i)
      if (ranked[i] >= 0 && ranked[i] < train.n_items) ++s.exposure[e][static_cast<std::size_t>(ranked[i])];
  }
}

// Means (summed in user order on one thread: identical for any thread count),
// list-length counts and the catalogue-wide metrics.
// Room for every evaluated user's kept list (EvalOptions::keep_lists).
void reserve_lists(std::int64_t n_eval, std::int32_t list_k, EvalResult& result) {
  result.list_k = list_k;
  result.lists.assign(static_cast<std::size_t>(n_eval * list_k), ScoredItem{});
  result.list_counts.assign(static_cast<std::size_t>(n_eval), 0);
}

// coverage_items: the denominator of coverage (all items, or the candidates).
void finish(const Plan& plan, const std::vector<Scratch>& scratch, std::int32_t n_items, EvalResult& result,
            std::int64_t coverage_items = -1) {
  if (coverage_items < 0) coverage_items = n_items;
  for (MetricResult& column : result.metrics) {
    if (!column.per_user) continue;
    double sum = 0;
    std::int64_t defined = 0;
    for (double v : column.values) {
      if (std::isnan(v)) continue;
      sum += v;
      ++defined;
    }
    column.undefined_users = static_cast<std::int64_t>(column.values.size()) - defined;
    column.mean = defined == 0 ? 0.0 : sum / static_cast<double>(defined);
  }
  std::vector<std::int64_t> exposure(static_cast<std::size_t>(n_items));
  for (std::size_t e = 0; e < plan.exposure_ks.size(); ++e) {
    std::fill(exposure.begin(), exposure.end(), 0);
    for (const Scratch& s : scratch)
      if (s.exposure.size() > e)
        for (std::size_t i = 0; i < exposure.size(); ++i) exposure[i] += s.exposure[e][i];
    for (std::size_t m = 0; m < plan.metrics.size(); ++m) {
      if (plan.metrics[m].per_user() || plan.metrics[m].k != plan.exposure_ks[e]) continue;
      if (plan.metrics[m].family->name == "gini") {
        if (result.candidate_items > 0) {
          std::vector<std::int64_t> restricted;  // the candidates' exposure only
          for (std::size_t i = 0; i < exposure.size(); ++i)
            if ((*plan.candidates)[i] != 0) restricted.push_back(exposure[i]);
          result.metrics[m].mean = gini_index(restricted);
        } else {
          result.metrics[m].mean = gini_index(exposure);
        }
      } else {
        const auto covered = std::count_if(exposure.begin(), exposure.end(), [](std::int64_t c) { return c > 0; });
        result.metrics[m].mean = coverage_items == 0 ? 0.0 : static_cast<double>(covered) / static_cast<double>(coverage_items);
      }
    }
  }
}

void count_list_length(std::size_t length, std::int32_t max_k, std::int64_t& empty, std::int64_t& short_lists) {
  if (length == 0) ++empty;
  else if (length < static_cast<std::size_t>(max_k)) ++short_lists;
}

void check_test_shape(const FeedbackMatrix& train, const FeedbackMatrix& test) {
  if (test.n_users != train.n_users || test.n_items != train.n_items)
    throw UsageError("test: " + std::to_string(test.n_users) + " users x " + std::to_string(test.n_items) +
                     " items, but train has " + std::to_string(train.n_users) + " x " + std::to_string(train.n_items) +
                     " (map test ids into train's id maps first)");
}

void check_shapes(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test) {
  if (!model.fitted()) throw UsageError("model: '" + model.name() + "' is not fitted");
  check_test_shape(train, test);
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
  const Plan plan = make_plan(options, train);
  const std::int32_t n_items = train.n_items;
  const std::int32_t list_k = std::min(plan.max_k, n_items);

  EvalResult result;
  result.model = model.params().to_string();
  result.fit_seconds = model.fit_seconds();
  result.fit_stats = model.fit_stats();
  std::vector<std::int32_t> candidate_list;  // ascending
  if (options.candidates != nullptr) {
    if (options.candidates->size() != static_cast<std::size_t>(n_items))
      throw UsageError("candidates: " + std::to_string(options.candidates->size()) + " flags, but train has " +
                       std::to_string(n_items) + " items");
    for (std::int32_t i = 0; i < n_items; ++i)
      if ((*options.candidates)[static_cast<std::size_t>(i)] != 0) candidate_list.push_back(i);
    result.candidate_items = static_cast<std::int64_t>(candidate_list.size());
  }
  select_users(train, test, options, plan, result);
  const std::int64_t n_eval = result.evaluated_users;
  if (options.keep_lists) reserve_lists(n_eval, list_k, result);

  // Blocks of users go to Recommender::top_k_users (factor models fuse scoring
  // and selection there; others score whole rows into a per-thread buffer,
  // which is why the block is capped for a large catalogue).
  const std::int64_t per_block_cap = std::max<std::int64_t>(1, options.max_block_floats / std::max(n_items, 1));
  const std::int64_t block = std::clamp<std::int64_t>(options.block_users, 1, per_block_cap);
  const std::int64_t n_blocks = (n_eval + block - 1) / block;
  ThreadPool& pool = options.pool != nullptr ? *options.pool : default_thread_pool();
  std::vector<Scratch> scratch(static_cast<std::size_t>(pool.size()));
  std::vector<std::int32_t> lengths(static_cast<std::size_t>(n_eval), 0);

  pool.parallel_for(0, n_blocks, 1, [&](std::int64_t first_block, std::int64_t last_block, int thread) {
    Scratch& s = scratch[static_cast<std::size_t>(thread)];
    s.block_top.resize(static_cast<std::size_t>(block * list_k));
    s.block_counts.resize(static_cast<std::size_t>(block));
    prepare_scratch(plan, n_items, s);
    for (std::int64_t b = first_block; b < last_block; ++b) {
      const std::int64_t begin = b * block;
      const std::int64_t end = std::min(begin + block, n_eval);
      const std::span<const std::int32_t> users(result.users.data() + begin, static_cast<std::size_t>(end - begin));
      if (options.candidates != nullptr) {
        // Restricted path: whole score rows, top-k over the candidates not in train.
        s.scores.resize(users.size() * static_cast<std::size_t>(n_items));
        model.score_users(users, s.scores.data());
        for (std::size_t row = 0; row < users.size(); ++row) {
          const float* scores = s.scores.data() + row * static_cast<std::size_t>(n_items);
          const auto seen = options.exclude_train ? train.items_of(users[row]) : std::span<const std::int32_t>();
          TopKSelector select(s.block_top.data() + static_cast<std::int64_t>(row) * list_k, list_k);
          std::size_t k = 0;
          for (const std::int32_t item : candidate_list) {
            while (k < seen.size() && seen[k] < item) ++k;
            if (k < seen.size() && seen[k] == item) continue;
            select.push(item, scores[item]);
          }
          s.block_counts[row] = select.finish();
        }
      } else {
        s.block_exclude.clear();
        if (options.exclude_train)
          for (const std::int32_t u : users) s.block_exclude.push_back(train.items_of(u));
        model.top_k_users(users, s.block_exclude, list_k, s.block_top.data(), s.block_counts.data());
      }
      for (std::int64_t row = 0; row < end - begin; ++row) {
        const std::int32_t count = s.block_counts[static_cast<std::size_t>(row)];
        const ScoredItem* top = s.block_top.data() + row * list_k;
        s.ranked.resize(static_cast<std::size_t>(count));
        for (std::int32_t i = 0; i < count; ++i) s.ranked[i] = top[i].item;
        const std::int64_t index = begin + row;
        lengths[static_cast<std::size_t>(index)] = count;
        score_list(plan, train, test, options, index, s.ranked, s, result);
        if (options.keep_lists) {
          std::copy(top, top + count, result.lists.begin() + index * list_k);
          result.list_counts[static_cast<std::size_t>(index)] = count;
        }
      }
    }
  });

  for (std::int32_t length : lengths)
    count_list_length(static_cast<std::size_t>(length), plan.max_k, result.empty_list_users, result.short_list_users);
  finish(plan, scratch, n_items, result, options.candidates != nullptr ? result.candidate_items : -1);
  result.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

EvalResult evaluate_lists(const RankedLists& lists, const FeedbackMatrix& train, const FeedbackMatrix& test,
                          const EvalOptions& options, std::string label) {
  const auto start = std::chrono::steady_clock::now();
  check_test_shape(train, test);
  if (lists.n_users != train.n_users || lists.indptr.size() != static_cast<std::size_t>(lists.n_users) + 1)
    throw UsageError("recommendation lists: " + std::to_string(lists.n_users) + " users, but train has " +
                     std::to_string(train.n_users) + " (read the lists into train's id maps)");
  const Plan plan = make_plan(options, train);
  const std::int32_t n_items = train.n_items;
  const std::int32_t list_k = std::min(plan.max_k, n_items);

  EvalResult result;
  result.model = std::move(label);
  select_users(train, test, options, plan, result);
  const std::int64_t n_eval = result.evaluated_users;
  if (options.keep_lists) reserve_lists(n_eval, list_k, result);
  ThreadPool& pool = options.pool != nullptr ? *options.pool : default_thread_pool();
  std::vector<Scratch> scratch(static_cast<std::size_t>(pool.size()));
  pool.parallel_for(0, n_eval, 256, [&](std::int64_t first, std::int64_t last, int thread) {
    Scratch& s = scratch[static_cast<std::size_t>(thread)];
    prepare_scratch(plan, n_items, s);
    for (std::int64_t index = first; index < last; ++index) {
      auto full = lists.list_of(result.users[static_cast<std::size_t>(index)]);
      if (options.candidates != nullptr) {
        // A list made without the restriction: its non-candidates drop out and
        // the ranks close up, so the list is ranked over the candidates too.
        s.ranked.clear();
        for (const std::int32_t item : full)
          if (item >= 0 && item < n_items && (*options.candidates)[static_cast<std::size_t>(item)] != 0)
            s.ranked.push_back(item);
        full = s.ranked;
      }
      const auto ranked = full.first(std::min<std::size_t>(full.size(), static_cast<std::size_t>(plan.max_k)));
      score_list(plan, train, test, options, index, ranked, s, result);
      if (options.keep_lists) {
        const auto count = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(list_k));
        for (std::size_t i = 0; i < count; ++i)
          result.lists[static_cast<std::size_t>(index * list_k) + i] = ScoredItem{ranked[i], 0.0f};
        result.list_counts[static_cast<std::size_t>(index)] = static_cast<std::int32_t>(count);
      }
    }
  });
  for (std::int32_t u : result.users)
    count_list_length(lists.list_of(u).size(), plan.max_k, result.empty_list_users, result.short_list_users);
  if (options.candidates != nullptr)
    result.candidate_items = std::count(options.candidates->begin(), options.candidates->end(), std::uint8_t{1});
  finish(plan, scratch, n_items, result, options.candidates != nullptr ? result.candidate_items : -1);
  result.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// ---- Sampled protocol (evaluate_sampled): separate from the full-ranking
// path above; it shares select_users, score_list and finish with it.
namespace {

// Per-user generator: mt19937_64 (fully specified by the standard) seeded with
// a splitmix64 mix of (seed, user), and our own bounded draw, so the sample is
// the same on every platform and for any thread count.
std::uint64_t mix_seed(std::uint64_t seed, std::int32_t user) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(user) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t draw_below(std::mt19937_64& engine, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n: rejection avoids modulo bias
  while (true) {
    const std::uint64_t x = engine();
    if (x >= threshold) return x % n;
  }
}

// Fills `out` (ascending) with the user's sampled negatives; `pool` is scratch.
void draw_negatives(const FeedbackMatrix& train, const FeedbackMatrix& test, std::int32_t user,
                    const SampledProtocol& protocol, std::vector<std::int32_t>& pool,
                    std::vector<std::int32_t>& out) {
  const auto seen = train.items_of(user);
  const auto held = test.items_of(user);
  pool.clear();
  std::size_t s = 0, h = 0;
  for (std::int32_t i = 0; i < train.n_items; ++i) {
    while (s < seen.size() && seen[s] < i) ++s;
    while (h < held.size() && held[h] < i) ++h;
    if ((s < seen.size() && seen[s] == i) || (h < held.size() && held[h] == i)) continue;
    pool.push_back(i);
  }
  const std::size_t k = std::min(pool.size(), static_cast<std::size_t>(protocol.negatives));
  std::mt19937_64 engine(mix_seed(protocol.seed, user));
  for (std::size_t i = 0; i < k && i + 1 < pool.size(); ++i) {  // Fisher–Yates prefix
    const std::size_t j = i + static_cast<std::size_t>(draw_below(engine, pool.size() - i));
    std::swap(pool[i], pool[j]);
  }
  out.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(k));
  std::sort(out.begin(), out.end());
}

}  // namespace

std::vector<std::int32_t> sampled_negatives(const FeedbackMatrix& train, const FeedbackMatrix& test,
                                            std::int32_t user, const SampledProtocol& protocol) {
  check_test_shape(train, test);
  if (protocol.negatives < 1) throw UsageError("sampled protocol: needs at least 1 negative per user");
  if (user < 0 || user >= train.n_users) throw UsageError("sampled protocol: user " + std::to_string(user) + " out of range");
  std::vector<std::int32_t> pool, out;
  draw_negatives(train, test, user, protocol, pool, out);
  return out;
}

EvalResult evaluate_sampled(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test,
                            const SampledProtocol& protocol, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (protocol.negatives < 1) throw UsageError("sampled protocol: needs at least 1 negative per user");
  if (options.candidates != nullptr)
    throw UsageError("candidates: only with full ranking, not with the sampled protocol");
  check_shapes(model, train, test);
  const Plan plan = make_plan(options, train);
  const std::int32_t n_items = train.n_items;

  EvalResult result;
  result.model = model.params().to_string();
  result.fit_seconds = model.fit_seconds();
  result.fit_stats = model.fit_stats();
  result.sampled_negatives = protocol.negatives;
  select_users(train, test, options, plan, result);
  const std::int64_t n_eval = result.evaluated_users;
  const std::int32_t list_k = std::min(plan.max_k, n_items);
  if (options.keep_lists) reserve_lists(n_eval, list_k, result);

  // Whole score rows (score_users), a block of users at a time, capped like evaluate().
  const std::int64_t per_block_cap = std::max<std::int64_t>(1, options.max_block_floats / std::max(n_items, 1));
  const std::int64_t block = std::clamp<std::int64_t>(options.block_users, 1, per_block_cap);
  const std::int64_t n_blocks = (n_eval + block - 1) / block;
  ThreadPool& pool = options.pool != nullptr ? *options.pool : default_thread_pool();
  std::vector<Scratch> scratch(static_cast<std::size_t>(pool.size()));
  std::vector<std::int32_t> lengths(static_cast<std::size_t>(n_eval), 0);
  std::vector<char> short_users(static_cast<std::size_t>(n_eval), 0);

  pool.parallel_for(0, n_blocks, 1, [&](std::int64_t first_block, std::int64_t last_block, int thread) {
    Scratch& s = scratch[static_cast<std::size_t>(thread)];
    s.scores.resize(static_cast<std::size_t>(block * n_items));
    prepare_scratch(plan, n_items, s);
    std::vector<std::int32_t> item_pool, negatives, relevant;
    std::vector<ScoredItem> candidates;
    for (std::int64_t b = first_block; b < last_block; ++b) {
      const std::int64_t begin = b * block;
      const std::int64_t end = std::min(begin + block, n_eval);
      const std::span<const std::int32_t> users(result.users.data() + begin, static_cast<std::size_t>(end - begin));
      model.score_users(users, s.scores.data());
      for (std::int64_t row = 0; row < end - begin; ++row) {
        const std::int32_t u = users[static_cast<std::size_t>(row)];
        const float* scores = s.scores.data() + row * n_items;
        relevant_items(train, test, u, options.exclude_train, relevant);
        draw_negatives(train, test, u, protocol, item_pool, negatives);
        const std::int64_t index = begin + row;
        if (static_cast<std::int32_t>(negatives.size()) < protocol.negatives)
          short_users[static_cast<std::size_t>(index)] = 1;
        candidates.clear();
        for (std::int32_t i : relevant) candidates.push_back({i, scores[i]});
        for (std::int32_t i : negatives) candidates.push_back({i, scores[i]});
        const std::size_t depth = std::min(candidates.size(), static_cast<std::size_t>(plan.max_k));
        std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(depth), candidates.end(),
                          ranks_before);
        s.ranked.resize(depth);
        for (std::size_t i = 0; i < depth; ++i) s.ranked[i] = candidates[i].item;
        lengths[static_cast<std::size_t>(index)] = static_cast<std::int32_t>(depth);
        score_list(plan, train, test, options, index, s.ranked, s, result);
        if (options.keep_lists) {
          const std::size_t kept = std::min(depth, static_cast<std::size_t>(list_k));
          std::copy_n(candidates.begin(), kept, result.lists.begin() + index * list_k);
          result.list_counts[static_cast<std::size_t>(index)] = static_cast<std::int32_t>(kept);
        }
      }
    }
  });

  for (std::int32_t length : lengths)
    count_list_length(static_cast<std::size_t>(length), plan.max_k, result.empty_list_users, result.short_list_users);
  result.sampled_short_users = std::count(short_users.begin(), short_users.end(), 1);
  finish(plan, scratch, n_items, result);
  result.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace segue
