// The second stage's view of a (listener, candidate) pair: the candidates are
// the union of every generator's top-N (history excluded), and each gets one
// row of features — every generator's score, standardised score and rank, the
// item's popularity and recency, the listener's activity and taste for the
// mainstream, co-occurrence with the listener's last items, and, with item
// features, the similarity of the candidate to the listener's history per
// feature group (artist, tag, genre, audio, ...). Everything is computed from
// one training matrix, so the features of the ranker's training pairs come
// from generators that never saw the pairs' labels (rerank.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "features/feature_matrix.h"
#include "models/feedback.h"

namespace segue {

class Recommender;
class ModelWriter;
class ModelReader;
struct Dataset;
struct Interactions;

// 1 for each event of `log` that is a training event (all when `events` is null).
std::vector<std::uint8_t> training_event_mask(const Interactions& log, const std::vector<std::int64_t>* events);

// Per-item and per-listener figures derived from the training data.
struct RerankSide {
  std::vector<float> item_pop;     // per item: its listener count's percentile among the items, in (0, 1)
  std::vector<float> item_recent;  // share of the item's events in the last tenth of the time span; empty = no times
  std::vector<float> user_pop;     // mean item_pop of each listener's history (NaN for an empty one)
  float mean_log_len = 0.0f;       // mean log(1 + history length) over the listeners
  SparseRows last;                 // per listener: the last `last_n` items in event order, oldest first
  bool has_order = false;          // `last` came from ordered events (false: rows are empty)
  SparseRows friends;              // per listener: their friends' listener ids (from --users' friends column)
  // Time of day in kHourBlocks blocks of the UTC hour (empty without timestamps):
  // per item, its plays per block relative to uniform, smoothed (item-major,
  // kHourBlocks each); per listener, the block of their last timed event (-1: none).
  static constexpr int kHourBlocks = 6;
  std::vector<float> item_hour;
  std::vector<std::int32_t> user_hour;

  // From the training positives and, when given, the events they were summed
  // from (dataset + event indices, null = all): their order gives `last`, their
  // timestamps `item_recent`.
  static RerankSide build(const FeedbackMatrix& train, const Dataset* dataset, const std::vector<std::int64_t>* events,
                          int last_n);
  // The friends of each listener, from user features whose group is "friend"
  // (features "friend=<user id>", docs/FEATURES.md) and the training data's
  // user ids; empty rows when there are none.
  static SparseRows friends_of(const FeatureMatrix* user_features, const Dataset* dataset, std::int32_t n_users);
  void save(ModelWriter& out, const std::string& prefix) const;
  static RerankSide load(const ModelReader& in, const std::string& prefix, std::int32_t n_users, std::int32_t n_items);
};

// One listener's candidates and their feature rows (row-major).
struct CandidateRows {
  std::vector<std::int32_t> items;
  std::vector<float> x;
  // Per generator: the mean and 1/sd of its row's finite scores (the z features).
  std::vector<float> row_mean, row_inv_sd;
  void clear() {
    items.clear();
    x.clear();
  }
};

class RerankFeatures {
 public:
  // `generator_names` name the generators (feature names); `content` may be
  // null (no content features); `cooc` scores a history by co-occurrence
  // (an itemknn over the same training data); `positives` are the listeners'
  // training items (the friends feature reads the friends' rows).
  RerankFeatures(std::vector<std::string> generator_names, std::int32_t per_generator, const RerankSide* side,
                 const FeatureMatrix* content, const Recommender* cooc, const SparseRows* positives,
                 std::int32_t n_items, bool raw_scores = true);

  std::int32_t n_features() const { return static_cast<std::int32_t>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }
  std::int32_t per_generator() const { return per_generator_; }

  // Candidates and features of one listener. `rows`: one full score row per
  // generator (n_items floats, read-only); `history`/`values`: the listener's
  // positives (excluded from the candidates); `last`: recent items, oldest
  // first (may be empty); `user_pop`: side.user_pop of the listener (or of the
  // history, for fold-in); `friends`: the listener's friends (may be empty).
  // `hour_block`: the listener's time of day (RerankSide::user_hour; -1 = unknown).
  void build(std::span<const float* const> rows, std::span<const std::int32_t> history, std::span<const float> values,
             std::span<const std::int32_t> last, float user_pop, std::span<const std::int32_t> friends,
             std::int32_t hour_block, CandidateRows& out) const;

  // Mean item_pop over a history (NaN when empty).
  float history_pop(std::span<const std::int32_t> history) const;

 private:
  std::vector<std::string> names_;
  std::int32_t n_generators_ = 0;
  std::int32_t per_generator_ = 0;
  const RerankSide* side_ = nullptr;
  const FeatureMatrix* content_ = nullptr;
  const Recommender* cooc_ = nullptr;
  const SparseRows* positives_ = nullptr;
  std::int32_t n_items_ = 0;
  bool raw_scores_ = true;  // false: the `.score` features are missing (z and rank only)
  std::int32_t n_groups_ = 0;
};

}  // namespace segue
