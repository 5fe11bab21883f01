// Statistics over the evaluator's per-user metric vectors: bootstrap confidence
// intervals, paired tests between models, and breakdowns by user activity and item popularity.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "models/feedback.h"
#include "models/top_k.h"

namespace segue {

// Every random draw here comes from std::mt19937_64 and bounded_draw below (not
// std::uniform_int_distribution, whose output differs between standard
// libraries), so the same seed gives the same numbers on every platform.
// Resample b draws from its own generator seeded with splitmix64(seed, b), so
// resamples run in parallel on the process thread pool and the numbers do not
// depend on the thread count. Cost: B × n draws (10^8 for 100k users).
struct BootstrapOptions {
  std::int32_t resamples = 1000;  // B: bootstrap resamples (>= 1)
  std::uint64_t seed = 42;
  double level = 0.95;            // two-sided confidence level, in (0, 1)
};

// Uniform integer in [0, n), n >= 1 (std::invalid_argument for 0): Lemire's
// multiply-shift with rejection, so every result is equally likely and the
// sequence is the same on every platform for a seed.
std::uint64_t bounded_draw(std::mt19937_64& rng, std::uint64_t n);

struct MeanCI {
  double mean = 0.0;
  double lo = 0.0;
  double hi = 0.0;
};

// Percentile bootstrap: B resamples of the n values with replacement; the
// interval is the (1-level)/2 and (1+level)/2 quantiles of the B resample means
// (order statistics with linear interpolation, as numpy's default). A constant
// vector gives a zero-width interval; one value gives [v, v]; an empty vector
// gives {0, 0, 0}. std::invalid_argument on a NaN/inf value or bad options.
MeanCI bootstrap_mean_ci(std::span<const double> values, const BootstrapOptions& options = {});

// A paired comparison of model B against model A on the same users (a[i] and
// b[i] are the same user's values). Differences are d_i = b_i - a_i.
struct PairedTest {
  std::int64_t n = 0;         // pairs
  double mean_diff = 0.0;     // mean of d
  // Paired bootstrap, two-sided: resample the centred differences d_i - mean(d)
  // (the null hypothesis "mean difference 0" made true) B times and count the
  // resample means at least as far from 0 as the observed one:
  // p = (1 + count) / (B + 1). Never 0; 1 when every d_i is 0.
  double bootstrap_p = 1.0;
  // Wilcoxon signed-rank, two-sided. Zero differences are dropped (Wilcoxon's
  // rule, scipy's zero_method="wilcox"); tied |d| get their average rank.
  // w_plus = Σ ranks of positive d. With nonzero <= 50 the p-value is exact:
  // the permutation distribution of w_plus over all 2^nonzero sign patterns
  // given the (tied) ranks. Larger: normal approximation without continuity
  // correction, mean nonzero(nonzero+1)/4 and variance
  // nonzero(nonzero+1)(2 nonzero+1)/24 - Σ_ties (t³ - t)/48. z is reported in
  // both cases (0 when the variance is 0); p = 1 when nonzero == 0.
  std::int64_t nonzero = 0;
  double w_plus = 0.0;
  double w_minus = 0.0;
  double z = 0.0;
  double wilcoxon_p = 1.0;
  bool wilcoxon_exact = false;
};

// std::invalid_argument when the sizes differ or a value is NaN/inf.
PairedTest paired_test(std::span<const double> a, std::span<const double> b, const BootstrapOptions& options = {});

// Holm–Bonferroni step-down adjustment, for several models each tested
// against the first: sort the m p-values ascending, adjusted p_(j) =
// max_{i<=j} min(1, (m - i + 1) p_(i)); returned in the input order.
// std::invalid_argument for a p-value that is NaN or outside [0, 1].
std::vector<double> holm_adjust(std::span<const double> p_values);

// ---- Breakdown by user activity ---------------------------------------------

struct ActivityBucket {
  std::int64_t users = 0;
  std::int64_t min_train = 0;  // smallest training-set size in the bucket
  std::int64_t max_train = 0;  // largest
  MeanCI ci;                   // mean of the metric over the bucket's users, with its bootstrap CI
};

// Quantile buckets of training-set size. Users are sorted by size; the
// nominal boundaries sit at sorted positions floor(b·n/B), b = 1..B-1. A
// boundary that falls inside a run of equal sizes moves to the nearer end of
// that run (the far end on a draw), so equal sizes never straddle two buckets
// and ranges never overlap; buckets left empty by that are dropped. So data
// where most users share one size (e.g. Last.fm's top-50 lists) gives fewer,
// honest buckets rather than arbitrary cuts inside the tie. n == 0 gives none.
// values[i] and train_sizes[i] describe the same user. std::invalid_argument
// on differing sizes, buckets < 1, negative sizes or a NaN/inf value.
std::vector<ActivityBucket> activity_breakdown(std::span<const double> values,
                                               std::span<const std::int64_t> train_sizes,
                                               std::int32_t buckets = 4, const BootstrapOptions& options = {});

// Training-set size of each listed user (aligned with EvalResult::users).
std::vector<std::int64_t> train_sizes(const FeedbackMatrix& train, std::span<const std::int32_t> users);

// ---- Breakdown by item popularity -------------------------------------------

// The kept top-K lists of an EvalResult (keep_lists): row r is
// items[r·list_k .. r·list_k + counts[r]). A slot may hold kUnknownItem (a
// recs-file item train does not know): a miss that keeps its rank.
struct KeptLists {
  std::span<const ScoredItem> items;
  std::span<const std::int32_t> counts;
  std::int32_t list_k = 0;
};

// Relevant test items of each listed user, by the evaluator's rule (positive in
// test; with exclude_train, not a training item of the user): row r belongs to
// users[r]. UsageError when the matrices' shapes differ or a user is out of range.
SparseRows relevant_rows(const FeedbackMatrix& train, const FeedbackMatrix& test,
                         std::span<const std::int32_t> users, bool exclude_train = true);

// Number of training users of each item (column counts), the popularity used below.
std::vector<std::int64_t> item_popularity(const FeedbackMatrix& train);

// How the head is chosen. Items are ranked by popularity, most popular first,
// ties broken by the lower item id; items with popularity 0 are never head.
//  kItemShare: the head is the ceil(share · n_items) first items — "the top 20%
//              of the catalogue" with the default share 0.2.
//  kInteractionShare: the head is the shortest prefix whose popularity sum
//              reaches share · Σ popularity — "the hits that take 20% of plays".
enum class HeadRule { kItemShare, kInteractionShare };

struct PopularityPart {
  std::int64_t users = 0;     // users with >= 1 relevant item in this part
  std::int64_t relevant = 0;  // Σ relevant items in this part over those users
  std::vector<std::int32_t> rows;  // those users' rows (indices into the lists)
  std::vector<double> recall;      // per row: hits of this part in the top k / relevant of this part
  std::vector<double> hit;         // per row: 1 if any item of this part is hit in the top k
  MeanCI recall_ci;
  MeanCI hit_ci;
};

struct PopularityBreakdown {
  std::int32_t k = 0;
  HeadRule rule = HeadRule::kItemShare;
  double share = 0.2;
  std::int64_t head_items = 0;        // items in the head
  double head_interaction_share = 0;  // their share of Σ popularity
  PopularityPart head;
  PopularityPart tail;
};

// Splits each user's relevant items into head and tail and measures recall@k
// and hit@k on each part from the lists (only the first k of each list count).
// relevant.n_rows must equal the number of lists; popularity has one entry per
// item (relevant.n_cols). UsageError when k < 1 or k > list_k (the lists were
// cut at list_k, so deeper cut-offs cannot be measured), when shapes disagree
// or share is outside (0, 1].
PopularityBreakdown popularity_breakdown(const KeptLists& lists, const SparseRows& relevant,
                                         std::span<const std::int64_t> popularity, std::int32_t k,
                                         HeadRule rule = HeadRule::kItemShare, double share = 0.2,
                                         const BootstrapOptions& options = {});

// Mean recall@k over the lists for each k in ks (each 1 <= k <= list_k;
// UsageError otherwise), for the report's recall@k curve. Users with no
// relevant item count as 0, like the evaluator's metrics (it never keeps them).
std::vector<double> recall_curve(const KeptLists& lists, const SparseRows& relevant,
                                 std::span<const std::int32_t> ks);

}  // namespace segue
