// multvae / multdae (Liang et al. 2018): autoencoders over the user's item row
// with a multinomial likelihood; see multvae.cc and docs/DEEP.md.
#pragma once

#include <memory>

#include "deep/torch_model.h"
#include "util/rng.h"

namespace segue {

// The VAE's KL weight beta at `update` (0-based, counted from the first
// epoch): rising linearly from 0 to `cap` over anneal_steps updates when
// anneal_steps > 0 (the paper's form), else over anneal_epochs epochs of
// updates_per_epoch updates each, so that it reaches the cap after the same
// number of epochs whatever the data size; anneal_epochs = 0: cap throughout.
double multvae_kl_weight(double cap, std::int64_t anneal_epochs, std::int64_t anneal_steps,
                         std::int64_t updates_per_epoch, std::int64_t update);
// The annealing defaults (chosen on Last.fm and mpd-subset validation carves, docs/MODELS.md "Defaults").
inline constexpr double kMultVaeDefaultAnnealCap = 1.0;
inline constexpr std::int64_t kMultVaeDefaultAnnealEpochs = 25;

class MultVae final : public TorchModel {
 public:
  MultVae(const ModelSpec& spec, bool variational);
  ~MultVae() override;

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // Inner-product form: the logits are the decoder's last hidden layer dotted
  // with the output layer's item rows, plus their bias.
  bool user_query(std::int32_t user, std::span<float> out) const override;
  bool history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                     std::span<float> out) const override;

 protected:
  torch::Tensor output_item_vectors() const override;
  torch::Tensor output_item_bias() const override;
  void build(std::int32_t n_users, std::int32_t n_items) override;
  torch::nn::Module& module() override;
  void prepare(const FeedbackMatrix& train, const FitContext& context) override;
  double train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) override;
  void finish(const FeedbackMatrix& train, const FitContext& context) override;
  void load_extra(const ModelReader& in) override;

 private:
  struct Net;
  struct Batch {
    torch::Tensor indices, offsets, weights;
  };
  Batch make_batch(std::span<const std::int32_t> users, double dropout, Rng* rng) const;
  // One history's encoder input on the device (score_history's fold-in).
  Batch history_batch(std::span<const std::int32_t> items, std::span<const float> weights) const;
  void append_row(std::span<const std::int32_t> items, std::span<const float> values, double dropout, Rng* rng,
                  std::vector<std::int64_t>& indices, std::vector<float>& weights) const;

  bool variational_;
  std::int32_t hidden_;
  double dropout_;
  bool binary_input_;
  double anneal_cap_;
  std::int64_t anneal_epochs_;
  std::int64_t anneal_steps_;
  std::int64_t updates_per_epoch_ = 1;  // ceil(training users / batch_size), set by prepare
  SparseRows input_;  // the rows the encoder reads: the training part while fitting, then history()
  std::unique_ptr<Net> net_;
};

ModelInfo multvae_info();
ModelInfo multdae_info();

}  // namespace segue
