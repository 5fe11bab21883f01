// neumf: Neural Matrix Factorisation (He, Liao, Zhang, Nie, Hu, Chua: "Neural
// Collaborative Filtering", WWW 2017).
//
// Two towers with their own user and item embeddings (normal, std 0.01, as
// RecBole): GMF, the element-wise product p_u ⊙ q_i; MLP, the concatenation
// [p'_u, q'_i] through ReLU layers (dropout before each). One linear unit on
// [GMF, MLP output] gives the logit. Training: each epoch, every training
// positive and `negatives` uniformly sampled items that are not training
// positives of the user (resampled every epoch), shuffled, binary
// cross-entropy on the logits, Adam. No pre-training of the towers.
//
// Parameters: embedding=64 (both towers), mlp=64-32-16 (hidden sizes, '-'
// between them: the spec syntax keeps ',' for parameters), dropout=0.1,
// negatives=4, batch_size=2048, learning_rate=1e-3 (RecBole's defaults but
// the MLP sizes, which follow the brief/paper's tower), patience=10.
//
// Scoring all items for a block of users: the first MLP layer splits into a
// user part and an item part (W [p'; q'] = W_u p' + W_i q'), so the item part
// is computed once per call and the rest runs on [users x items, h1] blocks
// of bounded size; the GMF part is one matrix product.
//
// Fold-in: a new user gets fresh GMF and MLP vectors, started at the mean of
// the training users' vectors and fitted for fold_in_steps Adam steps
// (fold_in_lr) on the history against `negatives` sampled non-history items
// per history item (resampled every step, from a fixed seed: deterministic),
// every other parameter frozen. fold_in_steps=0 scores the mean user.
#include "deep/neumf.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "data/error.h"
#include "util/rng.h"

namespace segue {

namespace {

struct NeuMfModuleImpl : torch::nn::Module {
  NeuMfModuleImpl(std::int64_t n_users, std::int64_t n_items, std::int64_t dim, const std::vector<std::int64_t>& sizes,
            double dropout)
      : dim(dim), dropout(dropout) {
    user_gmf = register_parameter("user_gmf", torch::empty({n_users, dim}));
    item_gmf = register_parameter("item_gmf", torch::empty({n_items, dim}));
    user_mlp = register_parameter("user_mlp", torch::empty({n_users, dim}));
    item_mlp = register_parameter("item_mlp", torch::empty({n_items, dim}));
    for (auto* t : {&user_gmf, &item_gmf, &user_mlp, &item_mlp}) torch::nn::init::normal_(*t, 0.0, 0.01);
    std::int64_t in = 2 * dim;
    for (std::size_t l = 0; l < sizes.size(); ++l) {
      layers.push_back(register_module("mlp" + std::to_string(l), torch::nn::Linear(in, sizes[l])));
      in = sizes[l];
    }
    output = register_module("output", torch::nn::Linear(dim + in, 1));
  }

  // The MLP after its first layer's pre-activation h ([*, h1]).
  torch::Tensor mlp_rest(torch::Tensor h) {
    h = torch::relu(h);
    for (std::size_t l = 1; l < layers.size(); ++l)
      h = torch::relu(layers[l]->forward(torch::dropout(h, dropout, is_training())));
    return h;
  }

  // Rows of an embedding table; while training with a sparse gradient, so
  // that the optimiser touches only the batch's rows (fused_adam.h).
  torch::Tensor rows(const torch::Tensor& table, const torch::Tensor& index) const {
    namespace F = torch::nn::functional;
    if (is_training()) return F::embedding(index, table, F::EmbeddingFuncOptions().sparse(true));
    return table.index_select(0, index);
  }

  // Logits [B] for user vectors [B, d] (GMF, MLP) and item rows [B].
  torch::Tensor forward(const torch::Tensor& u_gmf, const torch::Tensor& u_mlp, const torch::Tensor& items) {
    const auto gmf = u_gmf * rows(item_gmf, items);
    auto h = torch::cat({u_mlp, rows(item_mlp, items)}, 1);
    h = mlp_rest(layers[0]->forward(torch::dropout(h, dropout, is_training())));
    return output->forward(torch::cat({gmf, h}, 1)).squeeze(1);
  }

  std::int64_t dim;
  double dropout;
  torch::Tensor user_gmf, item_gmf, user_mlp, item_mlp;
  std::vector<torch::nn::Linear> layers;
  torch::nn::Linear output{nullptr};
};
TORCH_MODULE(NeuMfModule);

std::vector<std::int64_t> parse_layers(const std::string& text) {
  std::vector<std::int64_t> sizes;
  if (text.empty() || text.back() == '-')
    throw UsageError("mlp: expected layer sizes joined by '-' (e.g. 64-32-16), got '" + text + "'");
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, '-')) {
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != part.size() || value < 1 || value > 65536)
      throw UsageError("mlp: expected layer sizes in [1, 65536] joined by '-' (e.g. 64-32-16), got '" + text + "'");
    sizes.push_back(value);
  }
  return sizes;
}

torch::Tensor long_tensor(std::vector<std::int64_t>& values, torch::Device device) {
  return torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, torch::kLong).to(device);
}

}  // namespace

struct NeuMf::Net {
  NeuMfModule module{nullptr};
};

NeuMf::NeuMf(const ModelSpec& spec)
    : TorchModel(spec),
      mlp_(parse_layers(spec.get_string("mlp"))),
      dropout_(spec.get_float("dropout")),
      negatives_(static_cast<std::int32_t>(spec.get_int("negatives"))),
      fold_in_steps_(static_cast<std::int32_t>(spec.get_int("fold_in_steps"))),
      fold_in_lr_(spec.get_float("fold_in_lr")),
      net_(std::make_unique<Net>()) {}

NeuMf::~NeuMf() = default;

void NeuMf::build(std::int32_t n_users, std::int32_t n_items) {
  net_->module = NeuMfModule(n_users, n_items, embedding_, mlp_, dropout_);
}

torch::nn::Module& NeuMf::module() { return *net_->module; }

void NeuMf::prepare(const FeedbackMatrix& train, const FitContext&) { positives_ = train.positives(); }

void NeuMf::finish(const FeedbackMatrix&, const FitContext&) { positives_ = SparseRows(); }

std::vector<torch::Tensor> NeuMf::lazy_tables() {
  auto& net = *net_->module;
  return {net.user_gmf, net.item_gmf, net.user_mlp, net.item_mlp};
}

double NeuMf::train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) {
  const SparseRows& rows = positives_;
  const std::int32_t n_items = rows.n_cols;
  const std::int64_t per = 1 + negatives_;
  const std::int64_t n = rows.nnz() * per;
  std::vector<std::int64_t> users(static_cast<std::size_t>(n)), items(static_cast<std::size_t>(n));
  std::vector<float> labels(static_cast<std::size_t>(n));
  Rng rng(seed_ + 1000003ull * static_cast<std::uint64_t>(epoch) + 29);
  std::int64_t k = 0;
  for (std::int32_t u = 0; u < rows.n_rows; ++u) {
    const auto seen = rows.row_indices(u);
    for (std::int32_t i : seen) {
      users[k] = u;
      items[k] = i;
      labels[k++] = 1.0f;
      for (std::int32_t s = 0; s < negatives_; ++s) {
        std::int32_t j = 0;
        for (int attempt = 0; attempt < 64; ++attempt) {
          j = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n_items)));
          if (!std::binary_search(seen.begin(), seen.end(), j)) break;
        }
        users[k] = u;
        items[k] = j;
        labels[k++] = 0.0f;
      }
    }
  }
  for (std::int64_t i = n; i > 1; --i) {
    const std::int64_t j = rng.below(static_cast<std::uint64_t>(i));
    std::swap(users[i - 1], users[j]);
    std::swap(items[i - 1], items[j]);
    std::swap(labels[i - 1], labels[j]);
  }
  const auto all_users = long_tensor(users, device_);
  const auto all_items = long_tensor(items, device_);
  const auto all_labels = torch::from_blob(labels.data(), {n}, torch::kFloat).to(device_);
  auto& net = *net_->module;
  double total = 0;
  std::int64_t batches = 0;
  for (std::int64_t start = 0; start < n; start += batch_size_) {
    const std::int64_t count = std::min<std::int64_t>(batch_size_, n - start);
    const auto u = all_users.narrow(0, start, count);
    const auto logits = net.forward(net.rows(net.user_gmf, u), net.rows(net.user_mlp, u),
                                    all_items.narrow(0, start, count));
    const auto loss = torch::binary_cross_entropy_with_logits(logits, all_labels.narrow(0, start, count));
    check_loss(loss, epoch, batches);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    total += loss.item<double>();
    ++batches;
  }
  return batches > 0 ? total / static_cast<double>(batches) : 0.0;
}

torch::Tensor NeuMf::score_all(const torch::Tensor& user_gmf, const torch::Tensor& user_mlp) const {
  auto& net = *net_->module;
  const std::int64_t d = net.dim, n_items = net.item_gmf.size(0), b = user_gmf.size(0);
  const auto& first = net.layers[0];
  const std::int64_t h1 = first->weight.size(0);
  const auto w_out = net.output->weight.squeeze(0);  // [d + h_last]
  // GMF: (p ⊙ w_gmf) · q over all items.
  auto scores = torch::mm(user_gmf * w_out.narrow(0, 0, d), net.item_gmf.t()) + net.output->bias;
  // MLP: first layer split into a user part and a per-item part.
  const auto item_part = torch::addmm(first->bias, net.item_mlp, first->weight.narrow(1, d, d).t());  // [n, h1]
  const auto user_part = torch::mm(user_mlp, first->weight.narrow(1, 0, d).t());                     // [B, h1]
  const auto w_mlp = w_out.narrow(0, d, w_out.size(0) - d).unsqueeze(1);                            // [h_last, 1]
  const std::int64_t block = std::max<std::int64_t>(1, (std::int64_t{1} << 24) / std::max<std::int64_t>(1, n_items * h1));
  for (std::int64_t start = 0; start < b; start += block) {
    const std::int64_t count = std::min(block, b - start);
    auto h = (user_part.narrow(0, start, count).unsqueeze(1) + item_part.unsqueeze(0)).view({count * n_items, h1});
    h = net.mlp_rest(h);
    scores.narrow(0, start, count).add_(torch::mm(h, w_mlp).view({count, n_items}));
  }
  return scores;
}

void NeuMf::score_users(std::span<const std::int32_t> users, float* out) const {
  torch::NoGradGuard no_grad;
  std::vector<std::int64_t> ids(users.begin(), users.end());
  const auto index = long_tensor(ids, device_);
  const auto& net = *net_->module;
  const auto scores = score_all(net.user_gmf.index_select(0, index), net.user_mlp.index_select(0, index))
                          .to(torch::kCPU)
                          .contiguous();
  std::copy_n(scores.data_ptr<float>(), scores.numel(), out);
}

void NeuMf::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  check_history(items, weights);
  std::vector<std::int32_t> set;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (weights.empty() || weights[i] > 0) set.push_back(items[i]);
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  auto& net = *net_->module;
  torch::Tensor u_gmf, u_mlp;
  {
    torch::NoGradGuard no_grad;
    u_gmf = net.user_gmf.mean(0, true).clone();
    u_mlp = net.user_mlp.mean(0, true).clone();
  }
  const std::int32_t n_items = static_cast<std::int32_t>(net.item_gmf.size(0));
  if (!set.empty() && fold_in_steps_ > 0 && static_cast<std::int32_t>(set.size()) < n_items) {
    u_gmf.set_requires_grad(true);
    u_mlp.set_requires_grad(true);
    torch::optim::Adam adam({u_gmf, u_mlp}, torch::optim::AdamOptions(fold_in_lr_));
    const std::int64_t per = 1 + negatives_;
    const std::int64_t n = static_cast<std::int64_t>(set.size()) * per;
    std::vector<std::int64_t> batch(static_cast<std::size_t>(n));
    std::vector<float> labels(static_cast<std::size_t>(n), 0.0f);
    for (std::size_t p = 0; p < set.size(); ++p) labels[p * per] = 1.0f;
    const auto target = torch::from_blob(labels.data(), {n}, torch::kFloat).to(device_);
    Rng rng(seed_ ^ 0xf01d1ull);
    for (std::int32_t step = 0; step < fold_in_steps_; ++step) {
      for (std::size_t p = 0; p < set.size(); ++p) {
        batch[p * per] = set[p];
        for (std::int64_t s = 1; s < per; ++s) {
          std::int32_t j = 0;
          do j = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n_items)));
          while (std::binary_search(set.begin(), set.end(), j));
          batch[p * per + s] = j;
        }
      }
      const auto index = long_tensor(batch, device_);
      const auto logits = net.forward(u_gmf.expand({n, -1}), u_mlp.expand({n, -1}), index);
      const auto loss = torch::binary_cross_entropy_with_logits(logits, target);
      // Gradients for the user vectors only: the model's own .grad stay untouched.
      const auto grads = torch::autograd::grad({loss}, {u_gmf, u_mlp});
      u_gmf.mutable_grad() = grads[0];
      u_mlp.mutable_grad() = grads[1];
      adam.step();
    }
  }
  torch::NoGradGuard no_grad;
  const auto scores = score_all(u_gmf.detach(), u_mlp.detach()).to(torch::kCPU).contiguous();
  std::copy_n(scores.data_ptr<float>(), scores.numel(), out);
}

ModelInfo neumf_info() {
  DeepDefaults defaults;
  defaults.epochs = 100;
  defaults.batch_size = 2048;
  defaults.learning_rate = 1e-3;
  defaults.embedding = 64;
  defaults.patience = 10;
  std::vector<ParamDecl> params = deep_common_params(defaults);
  params.push_back(string_param("mlp", "64-32-16", "MLP tower hidden sizes joined by '-' (input: both MLP embeddings)"));
  params.push_back(float_param("dropout", 0.1, 0, 0.99, "dropout before each MLP layer"));
  params.push_back(int_param("negatives", 4, 1, 1000, "sampled negatives per positive, resampled every epoch"));
  params.push_back(int_param("fold_in_steps", 50, 0, 100000, "Adam steps fitting a new user's vectors (0 = mean user)"));
  params.push_back(float_param("fold_in_lr", 0.01, 0, 100, "Adam step size of the fold-in", true));
  return {"neumf", "NeuMF: GMF and MLP towers on sampled negatives, binary cross-entropy (He et al. 2017)",
          std::move(params),
          [](const ModelSpec& spec) -> std::unique_ptr<Recommender> { return std::make_unique<NeuMf>(spec); },
          "learning_rate=0.0003:0.003:log,dropout=0:0.5,negatives=1|4|8,embedding=32|64|128"};
}

}  // namespace segue
