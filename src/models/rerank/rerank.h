// rerank: two-stage ranking. Several generator models (ease, ials, itemknn,
// rp3beta, ...) each propose their top-N; a LambdaMART ranker (xgboost,
// objective rank:ndcg) orders the union by features of each (listener,
// candidate) pair (rerank_features.h). The ranker is trained without leakage:
// fit() carves a random `fraction` of each listener's training items, fits the
// generators on the rest, and learns to find the carved items among the
// candidates; then the generators are refitted on all the training data for
// serving. One model file holds the generators, the side figures and the ranker,
// so eval, recommend, the service and the home screen use it unchanged.
//
//   segue eval --train T --test S --model rerank
//   segue eval ... --model "rerank:generators=ease+ials:factors=128;reg=0.05+itemknn,candidates=200"
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "features/feature_matrix.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "models/rerank/rerank_features.h"
#include "models/rerank/xgb_ranker.h"

namespace segue {

// Parameters (docs/MODELS.md):
//   generators   string, default auto: '+'-separated generator specs, each
//                with ';' between its parameters; auto = ease (when the
//                catalogue has at most 20,000 items) + ials + itemknn + rp3beta + userknn
//   candidates   int, default 100: each generator's top-N (history excluded)
//   carve        random | last | seeds, default random: the ranker's labels are a random share of each
//                listener's items, each listener's last item in event order (next-track), or the rest of a
//                fraction of the listeners' items after their first 1/5/10/25/100 (playlist continuation)
//   fraction     float, default 0.2: the share of each listener's items carved as the ranker's labels
//   last         int, default 3: recent items for the co-occurrence feature (0 = none)
//   rounds, eta, depth, early_stop, min_child_weight, subsample, colsample: the ranker's boosting
//   objective    ndcg | pairwise | map (xgboost rank:*)
//   seed         int, default 42: the carve and the ranker's sampling
class RerankModel final : public Recommender {
 public:
  explicit RerankModel(const ModelSpec& spec);

  const std::vector<std::unique_ptr<Recommender>>& generators() const { return generators_; }
  const std::vector<std::string>& feature_names() const { return features_->names(); }
  // Recall of the candidates on the fit's carve (the ceiling of the second stage).
  double candidate_recall() const { return candidate_recall_; }
  // The second stage (empty when the fit had no labelled listener).
  const XgbRanker& ranker() const { return ranker_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // The generator that ranked the item highest explains which history items
  // led to it; the note names the ranker's strongest features (SHAP values).
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // The candidates and their feature rows for a known listener (what the
  // ranker sees); for tests and `segue candidates`.
  void candidate_rows(std::int32_t user, CandidateRows& out) const;

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  struct Stage;  // generators + side figures + feature builder over one training matrix
  void build_features();
  // Fills n_items() scores from the listener's candidates: re-ranked ones on top.
  void score_rows(std::span<const float* const> rows, std::span<const std::int32_t> history,
                  std::span<const float> values, std::span<const std::int32_t> last, float user_pop,
                  std::span<const std::int32_t> friends, std::int32_t hour_block, float* out) const;

  std::vector<std::string> generator_specs_;  // resolved (auto expanded) at fit
  std::vector<std::unique_ptr<Recommender>> generators_;
  std::unique_ptr<Recommender> cooc_;
  RerankSide side_;
  FeatureMatrix content_;
  std::unique_ptr<RerankFeatures> features_;
  XgbRanker ranker_;
  double candidate_recall_ = 0.0;
};

// The ranker's carve: `fraction` of each listener's positives (at least one,
// never all; none of a listener with one) become labels, the rest trains the
// generators; with a dataset in `context`, its training events minus those of
// the labelled pairs (sequence models and the side figures read events).
struct RerankCarve {
  FeedbackMatrix train;
  SparseRows targets;
  std::vector<std::int64_t> events;
};
// Modes: "random" (above); "last": each listener's last positive item in
// event order is the one label (next-track); "seeds": a `fraction` of the
// listeners keep their first 1, 5, 10, 25 or 100 items in event order (dealt
// round robin) and the rest of theirs are labels (playlist continuation);
// "cut": each listener as it stood earlier — their first j items in event
// order (j from the second half) stay, item j + 1 is the label and the later
// ones are left out (the extra carves of carve=last). The last three need the
// events in the context; without them they carve at random.
RerankCarve carve_for_ranker(const FeedbackMatrix& all, double fraction, std::uint64_t seed, const FitContext& context,
                             const std::string& mode = "random");

// The generators of `generators=` for a catalogue of n_items ('+' before a
// model name separates two specs; ';' becomes ','); `titled`: the listeners
// have titles, so auto adds the title model; `linkable_features`: the item
// features have an artist, album, genre or tag that two items share, so auto
// adds featureknn. UsageError naming the key.
std::vector<std::string> resolve_generators(const std::string& text, std::int32_t n_items, bool titled = false,
                                            bool linkable_features = false);
// What auto's featureknn needs (see resolve_generators).
bool has_linkable_features(const FeatureMatrix* features);

ModelInfo rerank_info();

}  // namespace segue
