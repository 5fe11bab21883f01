// TorchModel: the shared training machinery of segue's libtorch models
// (target segue_torch): device choice (CUDA when libtorch finds a GPU, else
// CPU), seeding, a validation carve from the training
// data with early stopping, a progress line per epoch, NaN-loss detection,
// checkpoints (resumable), and saving the torch module's tensors in the
// model file. A model supplies its module, one training epoch and scoring.
// docs/DEEP.md describes the common parameters and the loop.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// The parameters every deep model declares (epochs, patience, validation,
// batch_size, learning_rate, weight_decay, embedding, seed, device,
// checkpoint, resume, max_validation_users), with per-model defaults.
struct DeepDefaults {
  std::int64_t epochs = 100;
  std::int64_t batch_size = 2048;
  double learning_rate = 1e-3;
  std::int64_t embedding = 64;
  std::int64_t patience = 5;
  double validation = 0.1;
};
std::vector<ParamDecl> deep_common_params(const DeepDefaults& defaults);

// Held-out validation data: for each validation user, the training items the
// epoch loop hides (random share per user, or the last item of a sequence).
struct Holdout {
  FeedbackMatrix train;               // what the model trains on
  std::vector<std::int32_t> users;    // validation users, ascending
  std::vector<std::vector<std::int32_t>> targets;  // per validation user
};

// Thrown for a NaN or infinite loss: names the epoch and batch.
class TrainingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TorchModel : public Recommender {
 public:
  explicit TorchModel(const ModelSpec& spec);

  torch::Device device() const { return device_; }
  std::int32_t epochs_run() const { return epochs_run_; }

  // Inner-product form (recommender.h): the output item vectors a model
  // declares (output_item_vectors / output_item_bias), copied to contiguous
  // CPU floats once after fit and load, the bias as the last column.
  std::optional<ItemVectors> inner_product_items() const override;

 protected:
  // --- what a model supplies ---
  // Builds the module (fresh parameters) for these dimensions; also called by load.
  virtual void build(std::int32_t n_users, std::int32_t n_items) = 0;
  virtual torch::nn::Module& module() = 0;
  const torch::nn::Module& module() const { return const_cast<TorchModel*>(this)->module(); }
  // Called first in fit, before make_holdout, with the whole training data and
  // the context (sequence models build their event sequences here). Default: nothing.
  virtual void begin_fit(const FeedbackMatrix& train, const FitContext& context);
  // Called once before the first epoch with the training part of the holdout.
  virtual void prepare(const FeedbackMatrix& train, const FitContext& context) = 0;
  // One pass over the training data; returns the mean loss. Call
  // check_loss(loss, epoch, batch) on each batch's loss.
  virtual double train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) = 0;
  // Scores for validation users (n_items floats per row). The default is
  // score_users; sequence models score from the truncated sequences.
  virtual void score_validation(std::span<const std::int32_t> users, float* out) const;
  // The holdout; the default hides a random `validation` share of each user's
  // positives (users with at least 3; at most max_validation_users users).
  virtual Holdout make_holdout(const FeedbackMatrix& train, std::uint64_t seed) const;
  // Called after training (best parameters restored): e.g. switch from the
  // truncated validation sequences to the full ones, or cache item vectors.
  virtual void finish(const FeedbackMatrix& train, const FitContext& context);
  // Called on load before build(): a model whose module's shape depends on
  // more than its dimensions (sasrec's shared group table) reads it here.
  virtual void load_shape(const ModelReader&) {}
  // Extra model-file sections beyond the module's tensors.
  virtual void save_extra(ModelWriter& out) const;
  virtual void load_extra(const ModelReader& in);
  // The optimiser: Adam with learning_rate and weight_decay, by param `adam`:
  // lazy (FusedAdam, lazy_tables() updated only in the rows a batch touched),
  // dense (FusedAdam, every row every step) or torch (torch::optim::Adam).
  virtual std::unique_ptr<torch::optim::Optimizer> make_optimizer();
  // The module's embedding tables that adam=lazy updates row by row. Default: none.
  virtual std::vector<torch::Tensor> lazy_tables() { return {}; }
  // Models whose scores are q · V[i] + b[i]: V [n_items, d] and b [n_items]
  // (undefined = no bias), read after finish() and load_extra(). Default: none.
  virtual torch::Tensor output_item_vectors() const { return {}; }
  virtual torch::Tensor output_item_bias() const { return {}; }
  // Writes query q ([d]) into `out` (inner_product_items()->dim floats: q,
  // then 1 when there is a bias column); UsageError when the sizes differ.
  void copy_query(const torch::Tensor& query, std::span<float> out) const;

  // Throws TrainingError (after restoring the best parameters so far and
  // writing them to the checkpoint, if any) when `loss` is not finite.
  void check_loss(const torch::Tensor& loss, std::int32_t epoch, std::int64_t batch);

  // Common parameters, read once in the constructor.
  std::int32_t max_epochs_, patience_, batch_size_, embedding_, max_validation_users_;
  double validation_share_, learning_rate_, weight_decay_;
  std::uint64_t seed_;
  std::string checkpoint_;
  std::string adam_;
  bool resume_;
  torch::Device device_{torch::kCPU};

 private:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) final;
  void save_model(ModelWriter& out) const final;
  void load_model(const ModelReader& in) final;

  double validation_ndcg(const Holdout& holdout) const;
  std::vector<torch::Tensor> snapshot() const;
  void restore(const std::vector<torch::Tensor>& state);
  void write_checkpoint(std::int32_t epoch) const;

  void cache_inner_product_items();

  std::vector<float> inner_product_items_;  // n_items × inner_product_dim_, empty = none
  std::int32_t inner_product_dim_ = 0;
  bool inner_product_bias_ = false;
  std::int32_t epochs_run_ = 0;
  std::int32_t best_epoch_ = 0;
  std::int32_t model_users_ = 0, model_items_ = 0;
  std::vector<torch::Tensor> best_state_;
};

// Registers this target's deep models, once, after giving libtorch the
// runtime's thread count and allocator policy (models/runtime.h). Called by
// the module's entry point when the CLI opens it, and at start-up by programs
// that link segue_torch (the torch tests, bench/deep).
void register_deep_models();
// What register_deep_models registers (models/deep_module.cc lists the same
// names and summaries for help texts without libtorch).
std::vector<ModelInfo> deep_model_infos();

}  // namespace segue
