// Bootstrap intervals, paired tests (bootstrap, Wilcoxon signed-rank), Holm
// adjustment and activity/popularity breakdowns over per-user metric vectors.
#include "eval/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "data/error.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

void check_options(const BootstrapOptions& options) {
  if (options.resamples < 1)
    throw std::invalid_argument("bootstrap: resamples must be >= 1, got " + std::to_string(options.resamples));
  if (!(options.level > 0.0 && options.level < 1.0))
    throw std::invalid_argument("bootstrap: level must be in (0, 1), got " + std::to_string(options.level));
}

void check_finite(std::span<const double> values, const char* what) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw std::invalid_argument(std::string(what) + ": value " + std::to_string(i) + " is not finite");
}

double mean_of(std::span<const double> values) {
  if (values.empty()) return 0.0;
  double sum = 0.0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

// The mean of one resample drawn with replacement from values.
double resample_mean(std::span<const double> values, std::mt19937_64& rng) {
  const std::uint64_t n = values.size();
  double sum = 0.0;
  for (std::uint64_t i = 0; i < n; ++i) sum += values[bounded_draw(rng, n)];
  return sum / static_cast<double>(n);
}

// Resample b's own seed (splitmix64 of seed and b), so resamples can run on
// any thread and the result never depends on the thread count.
std::uint64_t resample_seed(std::uint64_t seed, std::int64_t b) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The means of B resamples of values, in parallel on the process pool.
std::vector<double> resample_means(std::span<const double> values, const BootstrapOptions& options) {
  std::vector<double> means(static_cast<std::size_t>(options.resamples));
  default_thread_pool().parallel_for(0, options.resamples, 8, [&](std::int64_t begin, std::int64_t end, int) {
    for (std::int64_t b = begin; b < end; ++b) {
      std::mt19937_64 rng(resample_seed(options.seed, b));
      means[static_cast<std::size_t>(b)] = resample_mean(values, rng);
    }
  });
  return means;
}

// Quantile q of sorted values with linear interpolation between order statistics.
double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

MeanCI ci_unchecked(std::span<const double> values, const BootstrapOptions& options) {
  MeanCI out;
  if (values.empty()) return out;
  out.mean = mean_of(values);
  std::vector<double> means = resample_means(values, options);
  std::sort(means.begin(), means.end());
  const double tail = (1.0 - options.level) / 2.0;
  out.lo = quantile_sorted(means, tail);
  out.hi = quantile_sorted(means, 1.0 - tail);
  return out;
}

// Two-sided exact p-value of the signed-rank statistic given the doubled ranks
// (integers: average ranks are multiples of 1/2): count, over all sign
// patterns, the sums of doubled ranks marked positive.
double wilcoxon_exact_p(const std::vector<std::int64_t>& doubled_ranks, std::int64_t observed_doubled) {
  const std::int64_t total = std::accumulate(doubled_ranks.begin(), doubled_ranks.end(), std::int64_t{0});
  std::vector<double> count(static_cast<std::size_t>(total) + 1, 0.0);
  count[0] = 1.0;
  std::int64_t reach = 0;
  for (std::int64_t r : doubled_ranks) {
    for (std::int64_t s = reach; s >= 0; --s) count[static_cast<std::size_t>(s + r)] += count[static_cast<std::size_t>(s)];
    reach += r;
  }
  double below = 0.0, above = 0.0, all = 0.0;
  for (std::int64_t s = 0; s <= total; ++s) {
    const double c = count[static_cast<std::size_t>(s)];
    all += c;
    if (s <= observed_doubled) below += c;
    if (s >= observed_doubled) above += c;
  }
  return std::min(1.0, 2.0 * std::min(below, above) / all);
}

constexpr std::int64_t kExactWilcoxonMax = 50;

void wilcoxon(std::span<const double> diffs, PairedTest& out) {
  std::vector<double> nonzero;
  for (double d : diffs)
    if (d != 0.0) nonzero.push_back(d);
  const auto n = static_cast<std::int64_t>(nonzero.size());
  out.nonzero = n;
  if (n == 0) return;
  std::sort(nonzero.begin(), nonzero.end(), [](double x, double y) { return std::abs(x) < std::abs(y); });
  std::vector<std::int64_t> doubled(static_cast<std::size_t>(n));
  std::int64_t plus_doubled = 0;
  double tie_term = 0.0;
  for (std::int64_t i = 0; i < n;) {
    std::int64_t j = i;
    while (j + 1 < n && std::abs(nonzero[j + 1]) == std::abs(nonzero[i])) ++j;
    const std::int64_t rank2 = (i + 1) + (j + 1);  // twice the average of ranks i+1 .. j+1
    const auto t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    for (std::int64_t m = i; m <= j; ++m) {
      doubled[static_cast<std::size_t>(m)] = rank2;
      if (nonzero[m] > 0) plus_doubled += rank2;
    }
    i = j + 1;
  }
  const auto nd = static_cast<double>(n);
  out.w_plus = static_cast<double>(plus_doubled) / 2.0;
  out.w_minus = nd * (nd + 1.0) / 2.0 - out.w_plus;
  const double mu = nd * (nd + 1.0) / 4.0;
  const double var = nd * (nd + 1.0) * (2.0 * nd + 1.0) / 24.0 - tie_term / 48.0;
  out.z = var > 0.0 ? (out.w_plus - mu) / std::sqrt(var) : 0.0;
  if (n <= kExactWilcoxonMax) {
    out.wilcoxon_exact = true;
    out.wilcoxon_p = wilcoxon_exact_p(doubled, plus_doubled);
  } else {
    out.wilcoxon_p = var > 0.0 ? std::erfc(std::abs(out.z) / std::sqrt(2.0)) : 1.0;
  }
}

}  // namespace

std::uint64_t bounded_draw(std::mt19937_64& rng, std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("bounded_draw: n must be >= 1");
  // Lemire's multiply-shift: the high word of x·n is uniform in [0, n) once the
  // low words below 2^64 mod n are redrawn; the division runs only on the rare
  // draws that might need it, which keeps the bootstrap loop cheap.
  __extension__ using Wide = unsigned __int128;
  Wide product = static_cast<Wide>(rng()) * n;
  auto low = static_cast<std::uint64_t>(product);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      product = static_cast<Wide>(rng()) * n;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

MeanCI bootstrap_mean_ci(std::span<const double> values, const BootstrapOptions& options) {
  check_options(options);
  check_finite(values, "bootstrap");
  return ci_unchecked(values, options);
}

PairedTest paired_test(std::span<const double> a, std::span<const double> b, const BootstrapOptions& options) {
  check_options(options);
  if (a.size() != b.size())
    throw std::invalid_argument("paired test: " + std::to_string(a.size()) + " values against " +
                                std::to_string(b.size()) + " (the vectors must be aligned by user)");
  check_finite(a, "paired test (first model)");
  check_finite(b, "paired test (second model)");
  PairedTest out;
  out.n = static_cast<std::int64_t>(a.size());
  if (a.empty()) return out;
  std::vector<double> diffs(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) diffs[i] = b[i] - a[i];
  out.mean_diff = mean_of(diffs);

  std::vector<double> centred(diffs.size());
  for (std::size_t i = 0; i < diffs.size(); ++i) centred[i] = diffs[i] - out.mean_diff;
  std::int64_t extreme = 0;
  const double observed = std::abs(out.mean_diff);
  for (double m : resample_means(centred, options))
    if (std::abs(m) >= observed) ++extreme;
  out.bootstrap_p = static_cast<double>(1 + extreme) / static_cast<double>(options.resamples + 1);
  if (out.bootstrap_p > 1.0) out.bootstrap_p = 1.0;

  wilcoxon(diffs, out);
  return out;
}

std::vector<double> holm_adjust(std::span<const double> p_values) {
  const std::size_t m = p_values.size();
  for (std::size_t i = 0; i < m; ++i)
    if (!(p_values[i] >= 0.0 && p_values[i] <= 1.0))
      throw std::invalid_argument("holm: p-value " + std::to_string(i) + " is not in [0, 1]");
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return p_values[x] < p_values[y]; });
  std::vector<double> adjusted(m);
  double running = 0.0;
  for (std::size_t j = 0; j < m; ++j) {
    const double scaled = std::min(1.0, static_cast<double>(m - j) * p_values[order[j]]);
    running = std::max(running, scaled);
    adjusted[order[j]] = running;
  }
  return adjusted;
}

std::vector<ActivityBucket> activity_breakdown(std::span<const double> values,
                                               std::span<const std::int64_t> train_sizes, std::int32_t buckets,
                                               const BootstrapOptions& options) {
  check_options(options);
  if (values.size() != train_sizes.size())
    throw std::invalid_argument("activity breakdown: " + std::to_string(values.size()) + " values but " +
                                std::to_string(train_sizes.size()) + " training sizes");
  if (buckets < 1) throw std::invalid_argument("activity breakdown: buckets must be >= 1, got " + std::to_string(buckets));
  check_finite(values, "activity breakdown");
  for (std::size_t i = 0; i < train_sizes.size(); ++i)
    if (train_sizes[i] < 0) throw std::invalid_argument("activity breakdown: training size " + std::to_string(i) + " is negative");

  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return train_sizes[x] < train_sizes[y]; });

  // Nominal boundaries, each snapped to the nearer edge of the run of equal
  // sizes it falls in (forward on a draw), so equal sizes stay together.
  const auto size_at = [&](std::size_t p) { return train_sizes[order[p]]; };
  std::vector<std::size_t> cuts{0};
  for (std::int32_t b = 1; b < buckets; ++b) {
    std::size_t cut = static_cast<std::size_t>(b) * n / static_cast<std::size_t>(buckets);
    if (cut > 0 && cut < n && size_at(cut - 1) == size_at(cut)) {
      std::size_t first = cut, last = cut;  // the run is [first, last)
      while (first > 0 && size_at(first - 1) == size_at(cut)) --first;
      while (last < n && size_at(last) == size_at(cut)) ++last;
      cut = cut - first < last - cut ? first : last;
    }
    cuts.push_back(std::max(cut, cuts.back()));
  }
  cuts.push_back(n);

  std::vector<ActivityBucket> out;
  std::vector<double> bucket_values;
  for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
    const std::size_t begin = cuts[c], end = cuts[c + 1];
    if (end <= begin) continue;  // collapsed by snapping
    bucket_values.clear();
    for (std::size_t p = begin; p < end; ++p) bucket_values.push_back(values[order[p]]);
    ActivityBucket bucket;
    bucket.users = static_cast<std::int64_t>(end - begin);
    bucket.min_train = size_at(begin);
    bucket.max_train = size_at(end - 1);
    bucket.ci = ci_unchecked(bucket_values, options);
    out.push_back(bucket);
  }
  return out;
}

std::vector<std::int64_t> train_sizes(const FeedbackMatrix& train, std::span<const std::int32_t> users) {
  std::vector<std::int64_t> out(users.size());
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (users[i] < 0 || users[i] >= train.n_users)
      throw UsageError("train sizes: user " + std::to_string(users[i]) + " is outside train's " +
                       std::to_string(train.n_users) + " users");
    out[i] = train.count(users[i]);
  }
  return out;
}

SparseRows relevant_rows(const FeedbackMatrix& train, const FeedbackMatrix& test, std::span<const std::int32_t> users,
                         bool exclude_train) {
  if (test.n_users != train.n_users || test.n_items != train.n_items)
    throw UsageError("relevant rows: test is " + std::to_string(test.n_users) + " x " + std::to_string(test.n_items) +
                     " but train is " + std::to_string(train.n_users) + " x " + std::to_string(train.n_items));
  SparseRows out = SparseRows::empty(static_cast<std::int32_t>(users.size()), train.n_items);
  out.indptr.assign(1, 0);
  for (std::int32_t u : users) {
    if (u < 0 || u >= test.n_users)
      throw UsageError("relevant rows: user " + std::to_string(u) + " is outside the " +
                       std::to_string(test.n_users) + " users");
    const auto held = test.items_of(u);
    const auto weights = test.values_of(u);
    const auto seen = train.items_of(u);
    for (std::size_t i = 0; i < held.size(); ++i) {
      if (exclude_train && std::binary_search(seen.begin(), seen.end(), held[i])) continue;
      out.indices.push_back(held[i]);
      out.values.push_back(weights[i]);
    }
    out.indptr.push_back(static_cast<std::int64_t>(out.indices.size()));
  }
  return out;
}

std::vector<std::int64_t> item_popularity(const FeedbackMatrix& train) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(train.n_items), 0);
  for (std::int32_t item : train.indices) ++out[static_cast<std::size_t>(item)];
  return out;
}

namespace {

void check_lists(const KeptLists& lists, const SparseRows& relevant, const char* what) {
  if (lists.list_k < 0 || lists.counts.size() != static_cast<std::size_t>(relevant.n_rows) ||
      lists.items.size() < lists.counts.size() * static_cast<std::size_t>(lists.list_k))
    throw UsageError(std::string(what) + ": " + std::to_string(lists.counts.size()) + " lists of up to " +
                     std::to_string(lists.list_k) + " items (" + std::to_string(lists.items.size()) +
                     " stored) do not match " + std::to_string(relevant.n_rows) + " rows of relevant items");
  for (std::size_t r = 0; r < lists.counts.size(); ++r)
    if (lists.counts[r] < 0 || lists.counts[r] > lists.list_k)
      throw UsageError(std::string(what) + ": list " + std::to_string(r) + " holds " + std::to_string(lists.counts[r]) +
                       " items, outside [0, " + std::to_string(lists.list_k) + "]");
}

void check_k(std::int32_t k, std::int32_t list_k, const char* what) {
  if (k < 1 || k > list_k)
    throw UsageError(std::string(what) + ": k = " + std::to_string(k) + " must be in [1, " + std::to_string(list_k) +
                     "] (the kept lists are " + std::to_string(list_k) + " long)");
}

std::vector<char> head_items(std::span<const std::int64_t> popularity, HeadRule rule, double share,
                             std::int64_t& head_count, double& head_interaction_share) {
  const std::size_t n = popularity.size();
  std::vector<std::int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int32_t x, std::int32_t y) {
    return popularity[x] != popularity[y] ? popularity[x] > popularity[y] : x < y;
  });
  double total = 0.0;
  for (std::int64_t p : popularity) total += static_cast<double>(p);
  std::vector<char> is_head(n, 0);
  head_count = 0;
  double taken = 0.0;
  // The 1e-9 keeps 0.2 × 10 items at 2, not 3, despite 0.2's binary rounding.
  const auto item_quota = static_cast<std::size_t>(std::ceil(share * static_cast<double>(n) - 1e-9));
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t pop = popularity[order[i]];
    if (pop <= 0) break;
    if (rule == HeadRule::kItemShare ? i >= item_quota : taken >= share * total * (1.0 - 1e-12)) break;
    is_head[order[i]] = 1;
    ++head_count;
    taken += static_cast<double>(pop);
  }
  head_interaction_share = total > 0.0 ? taken / total : 0.0;
  return is_head;
}

void finish_part(PopularityPart& part, const BootstrapOptions& options) {
  part.users = static_cast<std::int64_t>(part.rows.size());
  part.recall_ci = ci_unchecked(part.recall, options);
  part.hit_ci = ci_unchecked(part.hit, options);
}

}  // namespace

PopularityBreakdown popularity_breakdown(const KeptLists& lists, const SparseRows& relevant,
                                         std::span<const std::int64_t> popularity, std::int32_t k, HeadRule rule,
                                         double share, const BootstrapOptions& options) {
  check_options(options);
  check_lists(lists, relevant, "popularity breakdown");
  check_k(k, lists.list_k, "popularity breakdown");
  if (!(share > 0.0 && share <= 1.0))
    throw UsageError("popularity breakdown: head share must be in (0, 1], got " + std::to_string(share));
  if (popularity.size() != static_cast<std::size_t>(relevant.n_cols))
    throw UsageError("popularity breakdown: " + std::to_string(popularity.size()) + " popularity counts for " +
                     std::to_string(relevant.n_cols) + " items");
  for (std::size_t i = 0; i < popularity.size(); ++i)
    if (popularity[i] < 0) throw UsageError("popularity breakdown: item " + std::to_string(i) + " has negative popularity");

  PopularityBreakdown out;
  out.k = k;
  out.rule = rule;
  out.share = share;
  const std::vector<char> is_head = head_items(popularity, rule, share, out.head_items, out.head_interaction_share);

  for (std::int32_t r = 0; r < relevant.n_rows; ++r) {
    const auto rel = relevant.row_indices(r);
    std::int64_t rel_head = 0;
    for (std::int32_t item : rel) {
      if (item < 0 || item >= relevant.n_cols)
        throw UsageError("popularity breakdown: relevant item " + std::to_string(item) + " of row " + std::to_string(r) +
                         " is outside the " + std::to_string(relevant.n_cols) + " items");
      rel_head += is_head[static_cast<std::size_t>(item)];
    }
    const std::int64_t rel_tail = static_cast<std::int64_t>(rel.size()) - rel_head;
    std::int64_t hits_head = 0, hits_tail = 0;
    const ScoredItem* list = lists.items.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(lists.list_k);
    const std::int32_t depth = std::min(k, lists.counts[static_cast<std::size_t>(r)]);
    for (std::int32_t i = 0; i < depth; ++i) {
      const std::int32_t item = list[i].item;
      if (!std::binary_search(rel.begin(), rel.end(), item)) continue;
      if (is_head[static_cast<std::size_t>(item)]) ++hits_head;
      else ++hits_tail;
    }
    if (rel_head > 0) {
      out.head.rows.push_back(r);
      out.head.relevant += rel_head;
      out.head.recall.push_back(static_cast<double>(hits_head) / static_cast<double>(rel_head));
      out.head.hit.push_back(hits_head > 0 ? 1.0 : 0.0);
    }
    if (rel_tail > 0) {
      out.tail.rows.push_back(r);
      out.tail.relevant += rel_tail;
      out.tail.recall.push_back(static_cast<double>(hits_tail) / static_cast<double>(rel_tail));
      out.tail.hit.push_back(hits_tail > 0 ? 1.0 : 0.0);
    }
  }
  finish_part(out.head, options);
  finish_part(out.tail, options);
  return out;
}

std::vector<double> recall_curve(const KeptLists& lists, const SparseRows& relevant, std::span<const std::int32_t> ks) {
  check_lists(lists, relevant, "recall curve");
  for (std::int32_t k : ks) check_k(k, lists.list_k, "recall curve");
  std::vector<double> sums(ks.size(), 0.0);
  std::vector<std::int32_t> hits_before(static_cast<std::size_t>(lists.list_k) + 1);  // reused per row
  for (std::int32_t r = 0; r < relevant.n_rows; ++r) {
    const auto rel = relevant.row_indices(r);
    if (rel.empty()) continue;
    const ScoredItem* list = lists.items.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(lists.list_k);
    const std::int32_t count = lists.counts[static_cast<std::size_t>(r)];
    hits_before[0] = 0;
    for (std::int32_t i = 0; i < lists.list_k; ++i) {
      const bool hit = i < count && std::binary_search(rel.begin(), rel.end(), list[i].item);
      hits_before[static_cast<std::size_t>(i) + 1] = hits_before[static_cast<std::size_t>(i)] + (hit ? 1 : 0);
    }
    for (std::size_t j = 0; j < ks.size(); ++j)
      sums[j] += static_cast<double>(hits_before[static_cast<std::size_t>(ks[j])]) / static_cast<double>(rel.size());
  }
  if (relevant.n_rows > 0)
    for (double& s : sums) s /= static_cast<double>(relevant.n_rows);
  return sums;
}

}  // namespace segue
