// FusedAdam against libtorch's Adam, and its lazy row updates.
#include <gtest/gtest.h>

#include "deep/fused_adam.h"

namespace segue {
namespace {

// Least squares on a fixed random problem; returns the loss.
torch::Tensor regression_loss(const torch::Tensor& weight, const torch::Tensor& bias) {
  torch::manual_seed(7);
  const auto x = torch::randn({32, 5});
  const auto y = torch::randn({32, 3});
  return (torch::matmul(x, weight.t()) + bias - y).pow(2).mean();
}

TEST(FusedAdam, DenseMatchesTorchAdamWithWeightDecay) {
  torch::manual_seed(1);
  auto w1 = torch::randn({3, 5}).requires_grad_(), b1 = torch::randn({3}).requires_grad_();
  auto w2 = w1.detach().clone().requires_grad_(), b2 = b1.detach().clone().requires_grad_();
  torch::optim::Adam reference({w1, b1}, torch::optim::AdamOptions(0.01).weight_decay(0.05));
  FusedAdamOptions options;
  options.learning_rate = 0.01;
  options.weight_decay = 0.05;
  FusedAdam fused({w2, b2}, {}, options);
  // float32 rounding differs in order, so allow 1e-5 (a wrong formula is off by ~learning_rate).
  for (int step = 0; step < 30; ++step) {
    reference.zero_grad();
    regression_loss(w1, b1).backward();
    reference.step();
    fused.zero_grad();
    regression_loss(w2, b2).backward();
    fused.step();
  }
  EXPECT_TRUE(torch::allclose(w1, w2, 1e-4, 1e-5)) << (w1 - w2).abs().max().item<float>();
  EXPECT_TRUE(torch::allclose(b1, b2, 1e-4, 1e-5)) << b1 << b2;
  EXPECT_FALSE(torch::equal(w1, torch::zeros_like(w1)));
  EXPECT_EQ(fused.steps(), 30);
}

TEST(FusedAdam, LazyTableMovesOnlyTouchedRows) {
  torch::manual_seed(2);
  auto table = torch::randn({10, 4}).requires_grad_();
  const auto before = table.detach().clone();
  FusedAdam adam({table}, {table}, FusedAdamOptions{});
  const auto rows = torch::tensor({1, 3, 3}, torch::kLong);
  for (int step = 0; step < 5; ++step) {
    adam.zero_grad();
    table.index_select(0, rows).pow(2).sum().backward();
    adam.step();
  }
  for (std::int64_t r = 0; r < 10; ++r) {
    const bool touched = r == 1 || r == 3;
    EXPECT_EQ(torch::equal(table[r], before[r]), !touched) << "row " << r;
  }
}

TEST(FusedAdam, SparseGradientsOfALazyTableMatchDenseOnes) {
  torch::manual_seed(4);
  auto sparse = torch::randn({12, 3}).requires_grad_();
  auto dense = sparse.detach().clone().requires_grad_();
  FusedAdamOptions options;
  options.weight_decay = 0.01;
  FusedAdam sparse_adam({sparse}, {sparse}, options);
  FusedAdam dense_adam({dense}, {dense}, options);
  namespace F = torch::nn::functional;
  for (int step = 0; step < 6; ++step) {
    const auto rows = torch::tensor({step % 12, 5, 5, 11}, torch::kLong);
    F::embedding(rows, sparse, F::EmbeddingFuncOptions().sparse(true)).pow(2).sum().backward();
    ASSERT_TRUE(sparse.grad().is_sparse());
    sparse_adam.step();
    dense.index_select(0, rows).pow(2).sum().backward();
    dense_adam.step();
  }
  EXPECT_TRUE(torch::allclose(sparse, dense, 1e-6, 1e-7));
  EXPECT_TRUE(torch::equal(sparse[7], dense[7]));
}

TEST(FusedAdam, LazyEqualsDenseWhenEveryRowIsTouched) {
  torch::manual_seed(3);
  auto lazy = torch::randn({6, 3}).requires_grad_();
  auto dense = lazy.detach().clone().requires_grad_();
  FusedAdam lazy_adam({lazy}, {lazy}, FusedAdamOptions{});
  FusedAdam dense_adam({dense}, {}, FusedAdamOptions{});
  for (int step = 0; step < 10; ++step) {
    (lazy * lazy).sum().backward();
    lazy_adam.step();
    (dense * dense).sum().backward();
    dense_adam.step();
  }
  EXPECT_TRUE(torch::equal(lazy, dense));
}

TEST(FusedAdam, StepReleasesTheGradients) {
  auto p = torch::ones({4}).requires_grad_();
  FusedAdam adam({p}, {}, FusedAdamOptions{});
  p.sum().backward();
  ASSERT_TRUE(p.grad().defined());
  adam.step();
  EXPECT_FALSE(p.grad().defined());
  // A step without gradients leaves the parameter alone.
  const auto before = p.detach().clone();
  adam.step();
  EXPECT_TRUE(torch::equal(p, before));
}

TEST(FusedAdam, LazyTableOutsideTheParametersIsAnError) {
  auto p = torch::ones({4}).requires_grad_(), other = torch::ones({4}).requires_grad_();
  EXPECT_THROW(FusedAdam({p}, {other}, FusedAdamOptions{}), std::invalid_argument);
}

}  // namespace
}  // namespace segue
