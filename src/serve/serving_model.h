// ServingModel: a loaded model plus everything answering a request needs,
// computed once per load — the popularity order of the cold-user fallback,
// hour-of-day affinities and mood matches in the model's item order, the item
// catalogue (labels, name resolution, search) and, for models whose scores are
// inner products (factor models, lightgcn, sasrec, gru4rec, multvae), an ANN
// index. One call, recommend(RecommendRequest), answers the CLI's
// `segue recommend` and the server alike. Read-only after construction, so
// any number of threads may call it at once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "context/moods.h"
#include "context/skip_rerank.h"
#include "data/dataset.h"
#include "models/recommender.h"
#include "serve/item_catalog.h"

namespace segue {

class AnnIndex;
struct ItemVectors;
class TitleModel;

struct RecommendRequest {
  // A known listener (the model's dense user id), or -1 for a listener known
  // only by `history`.
  std::int32_t user = -1;
  // Items the listener played beyond what the model was trained on (a new
  // listener's seeds, or a known one's events received since): folded in.
  std::vector<std::int32_t> history;
  std::vector<float> history_weights;  // empty = all 1; else one per history item, finite
  // Skipped items: tracks like them are pushed down — the most similar
  // loses skip_weight × the row's largest |score| — and they are excluded.
  std::vector<std::int32_t> skipped;
  float skip_weight = 0.5f;
  std::vector<std::int32_t> exclude;  // never recommend these
  std::vector<std::int32_t> allow;    // empty = every item; else only these
  std::int32_t n = 10;
  bool exclude_seen = true;  // the user's training items and `history`
  // Listeners with nothing to go on get the most popular items; false = an empty list.
  bool popularity_fallback = true;
  // Context (docs/CONTEXT.md): at most one of mood and hour is used with a
  // known user; the skip penalty works with every kind of request.
  std::string mood;  // "calm", "workout:boost", ... ("" = none)
  float mood_boost = 1.0f;
  std::optional<int> hour;  // 0..23
  float hour_weight = 1.0f;
  const ItemSkipPenalty* skip_penalty = nullptr;
  // Reasons: the model's own explain() for a known listener with nothing new;
  // with a history, each history item's share of what it alone gives a pick.
  bool explain = false;
  // Use the ANN index when the model has one and the request allows it (no
  // context, no allow-list, and a query vector for this listener); false =
  // exact scoring.
  bool approximate = true;
};

struct RecommendResult {
  std::vector<ScoredItem> items;
  std::vector<Explanation> explanations;  // one per item when asked
  bool fallback = false;                  // popularity: the listener had nothing to go on
  std::string strategy;                   // "model", "ann", "fold-in", "popularity", ...
  std::vector<std::string> notes;         // what the context did ("mood calm (filter): 812 of 17632 items ...")
  float skip_shift = 0.0f;                // with skip_penalty: what the row lost per unit of P(skip)
};

struct ServingOptions {
  bool build_ann = false;     // build an HNSW index over the item vectors, when the model has them
  std::string ann_path;       // load the index from here when it exists (and fits), else build and save here ("" = do not save)
  std::int32_t ann_ef_search = 64;
};

class ServingModel {
 public:
  // `store` (may be null): names, artists, audio features, timestamps; kept by
  // the ServingModel. Hour profiles and mood matches are computed here when the
  // store has what they need.
  ServingModel(std::unique_ptr<Recommender> model, std::shared_ptr<const Dataset> store,
               const ServingOptions& options = {});
  ~ServingModel();

  const Recommender& model() const { return *model_; }
  const Dataset* store() const { return store_.get(); }
  const ItemCatalog& catalog() const { return *catalog_; }
  const AnnIndex* ann() const { return ann_.get(); }
  std::span<const float> popularity() const { return popularity_; }
  double ann_build_seconds() const { return ann_build_seconds_; }
  bool ann_loaded() const { return ann_loaded_; }

  // Answers one request; UsageError naming the field for bad input (an
  // unknown user id, n <= 0, an item out of range, a weight that is not
  // finite, an hour outside 0..23, an unknown mood or one the store cannot
  // support). Thread-safe.
  RecommendResult recommend(const RecommendRequest& request) const;

  // Items most like `item` (the model's own similar_items), `exclude` left out.
  std::vector<ScoredItem> similar(std::int32_t item, std::int32_t n, std::span<const std::int32_t> exclude = {}) const;

  // The most popular items, `exclude` (sorted) left out: O(n + excluded).
  std::vector<ScoredItem> most_popular(std::int32_t n, std::span<const std::int32_t> exclude = {},
                                       std::span<const std::int32_t> allow = {}) const;

 private:
  // Reasons for a list folded in from a history: each history item's share.
  std::vector<Explanation> explain_history(const RecommendRequest& request, std::span<const ScoredItem> picks) const;
  void prepare_index(const ItemVectors& vectors, const ServingOptions& options);
  std::vector<ScoredItem> rank_row(std::vector<float>& scores, std::span<const std::int32_t> exclude,
                                   std::int32_t n) const;

  std::unique_ptr<Recommender> model_;
  std::shared_ptr<const Dataset> store_;
  std::unique_ptr<ItemCatalog> catalog_;
  std::vector<float> popularity_;               // training users per item
  std::vector<std::int32_t> by_popularity_;     // items, most popular first (ties: lower id)
  // Context tables, built on first use (a CLI call that never asks for an
  // hour does not pay for reading every event's time) and kept.
  struct HourTable {
    std::vector<std::array<float, 24>> log_affinity;  // per model item (empty: no timed events)
    std::int64_t timed_events = 0;
  };
  const HourTable& hour_table() const;
  std::shared_ptr<const MoodMatch> mood_match(const Mood& mood) const;
  mutable std::once_flag hour_once_;
  mutable HourTable hour_table_;
  mutable std::mutex mood_mutex_;
  mutable std::vector<std::pair<std::string, std::shared_ptr<const MoodMatch>>> mood_matches_;
  std::unique_ptr<AnnIndex> ann_;
  double ann_build_seconds_ = 0.0;
  bool ann_loaded_ = false;
};

// The history a title seeds for an empty playlist: the title model's top
// `seeds` tracks mapped by id into `model`'s items (the best seed last:
// sequence models weigh the latest track most). `unknown` receives how many
// seeds `model` does not have. UsageError for seeds outside 1..1000.
std::vector<std::int32_t> title_seed_history(const TitleModel& titles, const Recommender& model,
                                             std::string_view title, std::int32_t seeds, std::int32_t* unknown);

// Sorted, unique copy of `items`.
std::vector<std::int32_t> sorted_unique(std::vector<std::int32_t> items);

}  // namespace segue
