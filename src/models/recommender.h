// Recommender: the one contract every model keeps, so the evaluator, the CLI
// and the server never know which model they run (see docs/MODELS.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "data/id_map.h"
#include "models/feedback.h"
#include "models/spec.h"
#include "models/top_k.h"

namespace segue {

class ThreadPool;
class Collective;
struct FeatureMatrix;
class ModelWriter;
class ModelReader;

struct FitProgress {
  std::string_view stage;  // "epoch", "items", ...
  std::int64_t done = 0;
  std::int64_t total = 0;
  std::string_view detail;  // e.g. "loss 0.4123  val ndcg@10 0.2011" after an epoch
};

// What fit() may use besides the feedback. All optional.
struct FitContext {
  ThreadPool* pool = nullptr;  // null = the process pool sized by --threads
  std::uint64_t seed = 42;     // for models whose spec has no seed of its own
  // Side data (timestamps, attributes, friends) whose ids are the feedback's
  // ids, and the training events within it (null = all events). Models that
  // read per-event data must read only these events, or they see the test set.
  const Dataset* dataset = nullptr;
  const std::vector<std::int64_t>* events = nullptr;
  // Item features (features/feature_matrix.h), rows in the feedback's item id
  // space (n_rows == the feedback's n_items); null when none were given.
  // Content-aware models require them (UsageError naming --items otherwise)
  // and save the rows they need with the model.
  const FeatureMatrix* item_features = nullptr;
  // User features (features/user_features.h, `--users USERS.csv`), rows in the
  // feedback's user id space; null when none were given. Models that can use
  // them (hybrid) do; the others ignore them.
  const FeatureMatrix* user_features = nullptr;
  std::function<void(const FitProgress&)> progress;  // called from the fitting thread
  // The ranks of a distributed fit (`mpirun -np P segue train|eval`; docs/SCALE.md), or null. Every rank
  // calls fit with the same data and context; a model that can split its work (ials) does, and every rank
  // ends with the whole model; the others fit it whole on every rank.
  Collective* collective = nullptr;
  // Checkpoints of an iterative fit (`segue train --checkpoint PATH --checkpoint-every N [--resume]`), for
  // the models that take them (ials; the deep models have their own `checkpoint` parameter): every N
  // iterations the model state is written to `checkpoint_path` (atomically, rank 0 of a distributed fit);
  // with `resume`, an existing checkpoint of the same spec and data shape is the starting point.
  std::string checkpoint_path;
  std::int32_t checkpoint_every = 0;
  bool resume = false;

  void report(std::string_view stage, std::int64_t done, std::int64_t total) const {
    if (progress) progress(FitProgress{stage, done, total, {}});
  }
};

// One of the user's items that pushed `item` up, with its share of the score.
struct Contribution {
  std::int32_t item = 0;
  float share = 0.0f;  // in [0, 1]; the shares of an explanation sum to <= 1
};

// A model's item vectors, row-major n_items × dim: a view into the model, valid
// while it lives (see Recommender::inner_product_items).
struct ItemVectors {
  const float* data = nullptr;
  std::int32_t n_items = 0;
  std::int32_t dim = 0;
};

struct Explanation {
  std::int32_t user = 0;
  std::int32_t item = 0;
  float score = 0.0f;
  std::vector<Contribution> contributions;  // largest share first; may be empty
  std::string note;  // why it is empty (e.g. "pop does not use the user's history")
};

class Recommender {
 public:
  explicit Recommender(ModelSpec spec) : spec_(std::move(spec)) {}
  virtual ~Recommender() = default;
  Recommender(const Recommender&) = delete;
  Recommender& operator=(const Recommender&) = delete;

  const std::string& name() const { return spec_.name(); }
  const ModelSpec& params() const { return spec_; }  // params().to_string() is the canonical spec

  // Learns from `train` (ids are dense user/item ids). Keeps the training
  // positives as the users' histories (exclusion, explanations), then calls
  // fit_model(). Fitting again starts over.
  void fit(const FeedbackMatrix& train, const FitContext& context = {});
  bool fitted() const { return fitted_; }
  std::int32_t n_users() const { return history_.n_rows; }
  std::int32_t n_items() const { return history_.n_cols; }
  double fit_seconds() const { return fit_seconds_; }
  // Figures of the last fit beyond its time, e.g. {"epochs", 23} for models
  // that stop early: reported by `segue eval` (table and JSON). Not saved.
  const std::vector<std::pair<std::string, double>>& fit_stats() const { return fit_stats_; }
  // The training positives by user: what recommend() excludes.
  const SparseRows& history() const { return history_; }

  // Batch scoring, the path the evaluator and the server use: fills the
  // caller-owned, row-major users.size() × n_items() buffer `out` (higher =
  // better). Ids are not checked here (callers check once per request).
  // Must be safe to call from several threads at once.
  virtual void score_users(std::span<const std::int32_t> users, float* out) const = 0;

  // Batch top-k, the path of full-ranking evaluation and of serving many users:
  // for each row r, the min(k, eligible) best items of users[r] (best first,
  // ties by lower id, exactly top_k() over score_users()' row), skipping
  // exclude[r] (sorted ascending; `exclude` empty = no exclusion). Writes
  // out[r * k ..] and counts[r]. The default scores whole rows into a
  // per-thread buffer and selects; models that can select while scoring
  // (factor models: a fused GEMM + top-k kernel) override it. Thread-safe.
  virtual void top_k_users(std::span<const std::int32_t> users, std::span<const std::span<const std::int32_t>> exclude,
                           std::int32_t k, ScoredItem* out, std::int32_t* counts) const;
  // Fold-in: scores for a user not seen in training, from a history of items
  // with weights (the same scale as FeedbackMatrix values). Fills n_items() floats.
  virtual void score_history(std::span<const std::int32_t> items, std::span<const float> weights,
                             float* out) const = 0;

  // Top-n for a known user, best first, ties by lower item id. n > n_items()
  // is clamped; the list is shorter when exclusion leaves fewer items.
  // UsageError names the argument for an unknown user or n <= 0. A user with
  // no history gets whatever the model scores for an empty history (all equal
  // for most models): falling back to popularity is the caller's policy (check
  // history().count(user) == 0).
  std::vector<ScoredItem> recommend(std::int32_t user, std::int32_t n, bool exclude_seen = true) const;
  // Top-n for an unseen user given a history (weights empty = all 1), which is
  // excluded from the list when exclude_history.
  std::vector<ScoredItem> recommend_from_history(std::span<const std::int32_t> items, std::span<const float> weights,
                                                 std::int32_t n, bool exclude_history = true) const;
  // Items most like `item`, itself excluded. The default folds in the
  // one-item history {item}; models with item vectors override it.
  virtual std::vector<ScoredItem> similar_items(std::int32_t item, std::int32_t n) const;
  // Which of the user's history items made `item` score high. The default
  // returns no contributions and a note saying the model cannot tell.
  virtual Explanation explain(std::int32_t user, std::int32_t item) const;

  // ---- Inner-product form, for the serving index (serve/ann_index.h). A model
  // whose row of scores, for a user or for a history, is exactly q · V[i] over
  // the items exposes V and the query q, so the top of the row can be found
  // without scoring every item. An item bias is one more column of V with the
  // query's entry 1. Models: ials, bpr, hybrid, lightgcn, sasrec, gru4rec,
  // multvae/multdae; not neumf (its MLP tower is not an inner product).
  virtual std::optional<ItemVectors> inner_product_items() const { return std::nullopt; }
  // User u's query (inner_product_items()->dim floats) into `out`; false when
  // the model has none or u's row is not an inner product (a sequence model
  // scores a user without a sequence by popularity). UsageError for a bad u.
  virtual bool user_query(std::int32_t user, std::span<float> out) const;
  // The query score_history(items, weights) scores with; false as above (an
  // empty history). UsageError as score_history for a bad history.
  virtual bool history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                             std::span<float> out) const;
  // A known user's training row as score_history() input, so that the row
  // plus new events folds in the user with what they just did: history()'s row
  // (ids ascending, summed values) by default; sequence models give the user's
  // sequence, oldest first, and say so with sequential_history() — new events
  // are then appended in order, not merged into earlier entries.
  virtual void history_row(std::int32_t user, std::vector<std::int32_t>& items, std::vector<float>& weights) const;
  virtual bool sequential_history() const { return false; }

  // String ids of the training data, saved in the model file so that a loaded
  // model maps "--user 2" and prints item names. Sizes must match n_users()
  // and n_items() (UsageError). Empty until set.
  void set_id_maps(IdMap users, IdMap items);
  const IdMap& user_ids() const { return user_ids_; }
  const IdMap& item_ids() const { return item_ids_; }

  // ---- Incremental updates (implicit's partial_fit_users / partial_fit_items):
  // new listeners, new events and new items without a refit. NOT safe while
  // other threads read the model: the caller serialises (or updates a copy and
  // swaps it in). UsageError naming the model when it cannot.
  //
  // Which of the two this model supports (factor models ials/bpr, itemknn,
  // userknn, ease, rp3beta, pop, content, featureknn, and blend/mmr over a
  // model that does: users; ials: items too).
  virtual bool supports_partial_fit() const { return false; }
  virtual bool supports_partial_fit_items() const { return false; }
  // Replaces the whole history of each users[r] by row r of `feedback`
  // (feedback.n_users == users.size(), n_items == n_items(); values on the
  // FeedbackMatrix scale; feedback.negatives, when it has rows, the skips of
  // models that use them — none otherwise) and updates what the model derives
  // from it: factor models recompute the user's vector by their own fold-in,
  // userknn the user's neighbours (other users' neighbour lists keep the fit's);
  // the others score from history() alone. Ids n_users(), n_users() + 1, ...
  // append new users; `new_ids` (one string each, in id order) extends
  // user_ids() and is required when the model has string ids.
  void partial_fit_users(std::span<const std::int32_t> users, const FeedbackMatrix& feedback,
                         std::span<const std::string> new_ids = {});
  // The same from positives only (rows: users.size() × n_items(); no skips).
  void partial_fit_users(std::span<const std::int32_t> users, const SparseRows& rows,
                         std::span<const std::string> new_ids = {});
  // Sets the listeners of each items[r] to row r of `columns` (items.size()
  // rows × n_users() columns: the users who have the item, with values; the
  // users' history entries of those items are replaced) and solves the item's
  // vector from them. Ids n_items(), n_items() + 1, ... append new items
  // (`new_ids` extends item_ids()). The users' vectors are not refitted.
  void partial_fit_items(std::span<const std::int32_t> items, const SparseRows& columns,
                         std::span<const std::string> new_ids = {});

  // ---- Memory: a lower bound of what fit() will allocate (factor matrices,
  // dense item-item matrices, solver scratch for `threads` threads), checked
  // by fit() against the memory left (models/memory_budget.h) before any of
  // it is taken: too large a model is a UsageError naming both sizes. Models
  // whose fit is small next to its input need not say (bytes 0).
  struct MemoryNeed {
    std::uint64_t bytes = 0;
    std::string detail;  // what the bytes are, e.g. "factors 4096 x 19524 rows + a 4096² Gram"
    std::string hint;    // what to change, e.g. "lower factors"
  };
  virtual MemoryNeed fit_memory(const FeedbackMatrix& /*train*/, int /*threads*/) const { return {}; }

  // Model files (io/model_file.h). load() makes the model named in the
  // file through the registry. InputError names the file on any defect.
  void save(const std::string& path) const;
  static std::unique_ptr<Recommender> load(const std::string& path);
  // The same through a writer/reader one already has (an in-memory writer, a
  // reader over a nested model's bytes): save() commits `out`.
  void save(ModelWriter& out) const;
  static std::unique_ptr<Recommender> load(const ModelReader& in);

 protected:
  virtual void fit_model(const FeedbackMatrix& train, const FitContext& context) = 0;
  // Model arrays, in sections named "<model name>.<array>".
  virtual void save_model(ModelWriter& out) const = 0;
  virtual void load_model(const ModelReader& in) = 0;

  // Partial-fit hooks, called after history() holds the new rows (n_users() /
  // n_items() already count appended ones). `feedback` / `columns` are the
  // arguments of the public call, already checked.
  virtual void partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback);
  virtual void partial_fit_items_model(std::span<const std::int32_t> items, const SparseRows& columns);

  // UsageError naming the argument when out of range / not fitted.
  void check_fitted() const;
  void check_user(std::int32_t user) const;
  void check_item(std::int32_t item, std::string_view argument = "item") const;
  // A fold-in history: fitted, weights empty or one per item and finite, every
  // item in range (UsageError naming the argument).
  void check_history(std::span<const std::int32_t> items, std::span<const float> weights) const;
  static void check_count(std::int32_t n);
  void set_fit_stat(const std::string& name, double value);
  // The model file of the current state, fitted or not (training checkpoints):
  // what save() writes, without its "fitted" check.
  void save_unchecked(const std::string& path) const;
  void write_model_file(ModelWriter& out) const;  // every section, then commit

 private:
  ModelSpec spec_;
  SparseRows history_;
  IdMap user_ids_;
  IdMap item_ids_;
  double fit_seconds_ = 0.0;
  std::vector<std::pair<std::string, double>> fit_stats_;
  bool fitted_ = false;
};

}  // namespace segue
