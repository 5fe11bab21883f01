// neumf (He et al., WWW 2017): neural collaborative filtering, a GMF tower and
// an MLP tower with separate embeddings joined by one output unit, trained on
// sampled negatives with binary cross-entropy; see neumf.cc.
#pragma once

#include <memory>
#include <vector>

#include "deep/torch_model.h"

namespace segue {

class NeuMf final : public TorchModel {
 public:
  explicit NeuMf(const ModelSpec& spec);
  ~NeuMf() override;

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;

 protected:
  void build(std::int32_t n_users, std::int32_t n_items) override;
  torch::nn::Module& module() override;
  std::vector<torch::Tensor> lazy_tables() override;
  void prepare(const FeedbackMatrix& train, const FitContext& context) override;
  double train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) override;
  void finish(const FeedbackMatrix& train, const FitContext& context) override;

 private:
  struct Net;
  // Scores of every item for each row of the user vectors [B, d] (GMF, MLP).
  torch::Tensor score_all(const torch::Tensor& user_gmf, const torch::Tensor& user_mlp) const;

  std::vector<std::int64_t> mlp_;  // hidden layer sizes
  double dropout_;
  std::int32_t negatives_;
  std::int32_t fold_in_steps_;
  double fold_in_lr_;
  SparseRows positives_;  // while fitting
  std::unique_ptr<Net> net_;
};

ModelInfo neumf_info();

}  // namespace segue
