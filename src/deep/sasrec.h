// sasrec (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM
// 2018): causal self-attention over the user's most recent items; see
// sasrec.cc and docs/DEEP.md.
#pragma once

#include <memory>

#include "deep/sequences.h"

namespace segue {

class SasRec final : public SequenceModel {
 public:
  explicit SasRec(const ModelSpec& spec);
  ~SasRec() override;

 protected:
  void build(std::int32_t n_users, std::int32_t n_items) override;
  torch::nn::Module& module() override;
  torch::Tensor encode(const torch::Tensor& input) const override;
  torch::Tensor item_vectors() const override;
  torch::Tensor gather_item_vectors(const torch::Tensor& index) const override;
  std::vector<torch::Tensor> lazy_tables() override;

 private:
  struct Net;
  std::int32_t blocks_, heads_;
  std::unique_ptr<Net> net_;
};

ModelInfo sasrec_info();

}  // namespace segue
