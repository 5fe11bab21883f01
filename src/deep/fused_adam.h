// FusedAdam: Adam (Kingma & Ba 2015, with L2 weight decay added to the
// gradient as torch::optim::Adam does) in one pass over each parameter, and
// lazy ("sparse") updates for embedding tables.
//
// Why: libtorch 1.13's CPU Adam makes about eight full passes per parameter
// per step (moments, bias corrections, sqrt, division) plus one to zero the
// gradient; for models whose parameters are mostly embedding tables of which a
// batch touches a few rows (NeuMF, SASRec, GRU4Rec) that is most of a step.
// Here each element is read and written once, and the rows of a lazy table
// whose gradient is all zero are skipped altogether: their moments do not
// decay and the row does not move, as in TensorFlow's LazyAdam and PyTorch's
// SparseAdam. Dense parameters follow torch::optim::Adam exactly (tested).
//
// Sparse gradients (torch::nn::functional::embedding with sparse(true)) of a
// lazy table update exactly the rows they hold, without any pass over the
// table: what makes per-event steps (GRU4Rec's session-parallel batches)
// affordable over a catalogue of 144k items. Sparse gradients of other
// parameters are densified.
//
// step() releases the gradients it used (they become undefined), so the next
// backward pass writes fresh ones instead of accumulating into zeroed
// buffers. Tensors that are not contiguous float on the CPU (CUDA) take the
// same update in tensor operations, without the lazy row skip.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace segue {

struct FusedAdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

class FusedAdam final : public torch::optim::Optimizer {
 public:
  // `lazy` holds the embedding tables (rows = items or users) among `params`;
  // a lazy tensor that is not among `params` is an error.
  FusedAdam(std::vector<torch::Tensor> params, const std::vector<torch::Tensor>& lazy, FusedAdamOptions options);

  torch::Tensor step(LossClosure closure = nullptr) override;

  std::int64_t steps() const { return steps_; }

 private:
  struct Slot {
    torch::Tensor param, m, v;
    bool lazy = false;
  };
  void update_cpu(Slot& slot, const torch::Tensor& grad, double step_size, double bias2) const;
  // A lazy table's sparse (COO, coalesced) gradient: only its rows are touched.
  void update_sparse_rows(Slot& slot, const torch::Tensor& grad, double step_size, double bias2) const;
  void update_tensors(Slot& slot, const torch::Tensor& grad, double step_size, double bias2) const;

  std::vector<Slot> slots_;
  FusedAdamOptions options_;
  std::int64_t steps_ = 0;
};

}  // namespace segue
