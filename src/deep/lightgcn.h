// lightgcn (He et al., SIGIR 2020): user and item embeddings smoothed by
// K layers of normalised propagation over the user-item graph, trained with
// BPR; see lightgcn.cc for the method and its parameters.
#pragma once

#include <memory>
#include <vector>

#include "deep/torch_model.h"

namespace segue {

class LightGcn final : public TorchModel {
 public:
  explicit LightGcn(const ModelSpec& spec);
  ~LightGcn() override;

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // Inner-product form: the final embeddings; a history's query is its fold-in.
  bool user_query(std::int32_t user, std::span<float> out) const override;
  bool history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                     std::span<float> out) const override;

 protected:
  torch::Tensor output_item_vectors() const override;
  void build(std::int32_t n_users, std::int32_t n_items) override;
  torch::nn::Module& module() override;
  void prepare(const FeedbackMatrix& train, const FitContext& context) override;
  double train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) override;
  void finish(const FeedbackMatrix& train, const FitContext& context) override;
  void load_extra(const ModelReader& in) override;

 private:
  struct Net;
  // Â in CSR over the n_users + n_items nodes: row r of Â x is
  // Σ_k values[k] · x[columns[k]] over k in [offsets[r], offsets[r + 1]).
  struct Adjacency {
    torch::Tensor columns, offsets, values;
  };
  // The normalised adjacency of `rows` (users x items) on the device, and the item degrees.
  void set_graph(const SparseRows& rows);
  // Recomputes the final embeddings (and the item layers fold-in reads) from
  // the current parameters, without gradients.
  void refresh();
  // A history's final embedding [1, d] on the CPU (undefined when it has no positive item).
  torch::Tensor fold_in(std::span<const std::int32_t> items, std::span<const float> weights) const;

  std::int32_t layers_;
  double reg_weight_;
  SparseRows positives_;             // the graph's edges while fitting
  Adjacency adjacency_;
  std::vector<float> item_degree_;   // training users per item
  torch::Tensor user_final_, item_final_;  // [n_users, d], [n_items, d]
  std::vector<torch::Tensor> item_layers_;  // item rows of layers 0 .. K-1
  std::unique_ptr<Net> net_;
};

ModelInfo lightgcn_info();

}  // namespace segue
