// Synthetic data at scale (`segue synth`): a larger data set that keeps the
// measured statistics of a real store — the item popularity curve, the user
// (playlist) length distribution and co-occurrence through item clusters of a
// model fitted on the store. For scale and speed only, never for quality
// claims: every output is labelled synthetic. Method: docs/SCALE.md.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace segue {

struct SynthOptions {
  std::int32_t users = 0;   // --users
  std::int32_t items = 0;   // --items
  std::int64_t rows = 0;    // --rows (exact; distinct (user, item) pairs)
  std::uint64_t seed = 1;   // --seed
  std::int32_t clusters = 64;                      // --clusters: k-means clusters of the fitted item vectors
  std::string model = "ials:factors=32,iterations=8";  // --model: fitted on the source (its seed is --seed)
  double popularity_mix = 0.1;  // --popularity-mix: share of rows drawn by popularity alone
  double test_fraction = 0.0;   // --test-fraction: > 0 writes train.csv + test.csv instead of interactions.csv
};

// UsageError naming the flag (--users, --items, --rows, --clusters,
// --popularity-mix, --test-fraction) for a value out of range.
void validate(const SynthOptions& options);

// What is measured on the source store and what the generator samples from.
struct SynthProfile {
  std::string source;             // the source store's provenance string
  std::int32_t source_users = 0;  // users with at least one positive item
  std::int32_t source_items = 0;
  std::int64_t source_rows = 0;   // distinct positive (user, item) pairs
  // Distinct users per item, descending (the rank-frequency curve), and the
  // cluster of the item at each rank.
  std::vector<double> item_counts;
  std::vector<std::int32_t> item_cluster;
  // Per source user with items (CSR): the clusters of their items.
  std::vector<std::int64_t> user_indptr{0};
  std::vector<std::int32_t> user_clusters;
  // The source's raw event weights (> 0), a sample to draw output weights
  // from; empty = every weight is 1.
  std::vector<float> weights;
  std::int32_t clusters = 0;
  std::string model;  // the fitted spec
  double fit_seconds = 0.0;
};

// Fits `options.model` on the source's positive feedback, clusters its item
// vectors into options.clusters groups (spherical k-means, seeded) and
// measures the curves. UsageError when the model has no item vectors or the
// source has no interactions.
SynthProfile measure_source(const Dataset& source, const SynthOptions& options);

// Statistics of a set of rows over an item universe of `n_items` (items
// without rows count as zero), used to compare the output with the source.
struct PopularityStats {
  double top1_share = 0, top10_share = 0, top50_share = 0;  // share of rows on the top 1/10/50% of items
  double power_law_slope = 0;  // −d log(count)/d log(rank) over ranks [0.1%, 10%] of the universe
  std::int32_t items_with_rows = 0;
};
PopularityStats popularity_stats(std::span<const std::int64_t> item_counts);

// One block of generated users: user ids [first_user, first_user + n) with
// rows indptr[k]..indptr[k+1] into items/weights (item ids in [0, options.items)).
struct SynthBlock {
  std::int32_t first_user = 0;
  std::span<const std::int64_t> indptr;
  std::span<const std::int32_t> items;
  std::span<const float> weights;
};

struct SynthSummary {
  std::int64_t rows = 0;
  std::int32_t users = 0;
  PopularityStats source_popularity, output_popularity;
  double source_top_cluster_share = 0, output_top_cluster_share = 0;  // mean per user, users with >= 5 rows
  double source_mean_length = 0, output_mean_length = 0;
  std::int32_t output_max_length = 0;
};

// Generates options.users users in id order, block by block, calling `sink`
// for each block in order (the blocks are generated in parallel on the default
// pool; the result does not depend on the number of threads). Every user gets
// at least one row, rows sum to options.rows exactly, and a user's items are
// distinct.
SynthSummary generate_synthetic(const SynthProfile& profile, const SynthOptions& options,
                                const std::function<void(const SynthBlock&)>& sink);

// generate_synthetic written to `dir`: interactions.csv (or train.csv and
// test.csv with a test fraction) with header user_id,item_id,weight — users
// "u<id>", items "i<id>" — plus synth.json (parameters, source, measured
// statistics, "synthetic": true) and SYNTHETIC.md (what the data is and is not for).
SynthSummary write_synthetic(const SynthProfile& profile, const SynthOptions& options, const std::string& dir,
                             const std::string& source_path);

}  // namespace segue
