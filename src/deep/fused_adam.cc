#include "deep/fused_adam.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <stdexcept>

namespace segue {

FusedAdam::FusedAdam(std::vector<torch::Tensor> params, const std::vector<torch::Tensor>& lazy,
                     FusedAdamOptions options)
    : torch::optim::Optimizer(params, std::make_unique<torch::optim::AdamOptions>(options.learning_rate)),
      options_(options) {
  for (const torch::Tensor& p : params) {
    Slot slot;
    slot.param = p;
    torch::NoGradGuard no_grad;
    slot.m = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
    slot.v = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
    for (const torch::Tensor& t : lazy) slot.lazy = slot.lazy || t.is_same(p);
    slots_.push_back(std::move(slot));
  }
  for (const torch::Tensor& t : lazy) {
    bool found = false;
    for (const torch::Tensor& p : params) found = found || t.is_same(p);
    if (!found) throw std::invalid_argument("FusedAdam: a lazy table is not among the parameters");
  }
}

torch::Tensor FusedAdam::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable(true);
    loss = closure();
  }
  ++steps_;
  const double bias1 = 1.0 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double bias2 = 1.0 - std::pow(options_.beta2, static_cast<double>(steps_));
  const double step_size = options_.learning_rate / bias1;
  for (Slot& slot : slots_) {
    torch::Tensor& grad_slot = slot.param.mutable_grad();
    if (!grad_slot.defined()) continue;
    const bool raw = slot.param.device().is_cpu() && slot.param.scalar_type() == torch::kFloat &&
                     slot.param.is_contiguous() && grad_slot.scalar_type() == torch::kFloat;
    if (raw && slot.lazy && grad_slot.is_sparse() && grad_slot.sparse_dim() == 1) {
      update_sparse_rows(slot, grad_slot.coalesce(), step_size, bias2);
      grad_slot = torch::Tensor();
      continue;
    }
    const torch::Tensor grad = grad_slot.is_sparse() ? grad_slot.to_dense() : grad_slot;
    if (raw) update_cpu(slot, grad.contiguous(), step_size, bias2);
    else update_tensors(slot, grad, step_size, bias2);
    grad_slot = torch::Tensor();
  }
  return loss;
}

// p -= step_size * m / (sqrt(v / bias2) + eps), as torch::optim::Adam writes it.
void FusedAdam::update_cpu(Slot& slot, const torch::Tensor& grad, double step_size, double bias2) const {
  float* p = slot.param.data_ptr<float>();
  float* m = slot.m.data_ptr<float>();
  float* v = slot.v.data_ptr<float>();
  const float* g = grad.data_ptr<float>();
  const std::int64_t n = slot.param.numel();
  const std::int64_t rows = slot.lazy && slot.param.dim() >= 1 ? slot.param.size(0) : 1;
  const std::int64_t width = rows > 0 ? n / rows : 0;
  const auto b1 = static_cast<float>(options_.beta1), b2 = static_cast<float>(options_.beta2);
  const auto eps = static_cast<float>(options_.eps), decay = static_cast<float>(options_.weight_decay);
  const auto lr = static_cast<float>(step_size);
  const auto inv_sqrt_bias2 = static_cast<float>(1.0 / std::sqrt(bias2));
  auto update = [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const float gi = g[i] + decay * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      p[i] -= lr * m[i] / (std::sqrt(v[i]) * inv_sqrt_bias2 + eps);
    }
  };
  if (rows == 1) {
    at::parallel_for(0, n, 1 << 15, update);
    return;
  }
  const std::int64_t grain = std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(width, 1));
  at::parallel_for(0, rows, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const float* gr = g + r * width;
      bool touched = false;
      for (std::int64_t j = 0; j < width && !touched; ++j) touched = gr[j] != 0.0f;
      if (touched) update(r * width, (r + 1) * width);
    }
  });
}

void FusedAdam::update_sparse_rows(Slot& slot, const torch::Tensor& grad, double step_size, double bias2) const {
  const torch::Tensor rows = grad.indices().select(0, 0).contiguous();
  const torch::Tensor values = grad.values().contiguous();
  const std::int64_t n_rows = rows.numel();
  if (n_rows == 0) return;
  const std::int64_t width = values.numel() / n_rows;
  const std::int64_t* row = rows.data_ptr<std::int64_t>();
  const float* g = values.data_ptr<float>();
  float* p = slot.param.data_ptr<float>();
  float* m = slot.m.data_ptr<float>();
  float* v = slot.v.data_ptr<float>();
  const auto b1 = static_cast<float>(options_.beta1), b2 = static_cast<float>(options_.beta2);
  const auto eps = static_cast<float>(options_.eps), decay = static_cast<float>(options_.weight_decay);
  const auto lr = static_cast<float>(step_size);
  const auto inv_sqrt_bias2 = static_cast<float>(1.0 / std::sqrt(bias2));
  const std::int64_t grain = std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(width, 1));
  at::parallel_for(0, n_rows, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int64_t base = row[k] * width;
      const float* gk = g + k * width;
      for (std::int64_t j = 0; j < width; ++j) {
        const std::int64_t i = base + j;
        const float gi = gk[j] + decay * p[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] -= lr * m[i] / (std::sqrt(v[i]) * inv_sqrt_bias2 + eps);
      }
    }
  });
}

void FusedAdam::update_tensors(Slot& slot, const torch::Tensor& grad, double step_size, double bias2) const {
  torch::Tensor g = grad;
  if (options_.weight_decay != 0) g = g.add(slot.param, options_.weight_decay);
  slot.m.mul_(options_.beta1).add_(g, 1 - options_.beta1);
  slot.v.mul_(options_.beta2).addcmul_(g, g, 1 - options_.beta2);
  const torch::Tensor denom = (slot.v.sqrt() / std::sqrt(bias2)).add_(options_.eps);
  slot.param.addcdiv_(slot.m, denom, -step_size);
}

}  // namespace segue
