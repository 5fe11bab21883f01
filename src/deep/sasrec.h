// sasrec (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM
// 2018): causal self-attention over the user's most recent items; see
// sasrec.cc and docs/DEEP.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

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
  void begin_fit(const FeedbackMatrix& train, const FitContext& context) override;
  std::vector<torch::Tensor> lazy_tables() override;
  void load_shape(const ModelReader& in) override;
  void save_extra(ModelWriter& out) const override;
  void load_extra(const ModelReader& in) override;

 private:
  struct Net;
  std::int32_t blocks_, heads_;
  // share=GROUP: each item's group (1-based; 0 = none) in that --items feature
  // group, whose embedding the item adds to its own (input and output).
  std::string share_;
  std::vector<std::int32_t> item_group_;
  std::int32_t n_groups_ = 0;
  std::unique_ptr<Net> net_;
};

ModelInfo sasrec_info();

}  // namespace segue
