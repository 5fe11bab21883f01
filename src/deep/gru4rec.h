// gru4rec (Hidasi et al. ICLR 2016; Hidasi & Karatzoglou CIKM 2018): a GRU
// over the user's most recent items; see gru4rec.cc and docs/DEEP.md.
#pragma once

#include <memory>

#include "deep/sequences.h"

namespace segue {

class Gru4Rec final : public SequenceModel {
 public:
  explicit Gru4Rec(const ModelSpec& spec);
  ~Gru4Rec() override;

 protected:
  void build(std::int32_t n_users, std::int32_t n_items) override;
  torch::nn::Module& module() override;
  torch::Tensor encode(const torch::Tensor& input) const override;
  torch::Tensor item_vectors() const override;
  torch::Tensor item_bias() const override;
  torch::Tensor gather_item_vectors(const torch::Tensor& index) const override;
  std::vector<torch::Tensor> lazy_tables() override;
  double train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) override;

 private:
  // The paper's session-parallel mini-batches (batching=session).
  double train_session_parallel(std::int32_t epoch, torch::optim::Optimizer& optimizer);

  struct Net;
  std::int32_t layers_;
  bool session_parallel_;
  std::unique_ptr<Net> net_;
};

ModelInfo gru4rec_info();

}  // namespace segue
