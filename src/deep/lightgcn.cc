// lightgcn: Light Graph Convolution Network (He, Deng, Wang, Li, Zhang, Wang:
// "LightGCN: Simplifying and Powering Graph Convolution Network for
// Recommendation", SIGIR 2020).
//
// Every user and item has a layer-0 embedding E0 (xavier-uniform). Layer k is
// E(k) = Â E(k-1), with Â = D^-1/2 A D^-1/2 the symmetric-normalised
// adjacency of the user-item bipartite graph of the training positives (no
// self loops, no weights, no non-linearity, no transformation); the final
// embedding is the mean of E(0) .. E(K). Score(u, i) = <e_u, e_i>.
// Training: BPR over every training positive once per epoch (shuffled), one
// uniformly sampled negative each (never a training positive of that user),
// loss = mean softplus(s_uj - s_ui) + reg_weight * (|e0_u|² + |e0_i|² +
// |e0_j|²) / (2 · batch), the L2 term on the batch's layer-0 rows as in the
// authors' code; Adam. Each batch runs one sparse propagation forward and one
// backward (Â is symmetric, so the backward multiplies by Â again); Â is
// kept in CSR and applied as a weighted embedding_bag (threaded on the CPU,
// the same code on CUDA, no sparse-tensor conversion per call).
//
// Parameters (defaults follow RecBole's LightGCN): layers=2 (K),
// reg_weight=1e-5, embedding=64, batch_size=2048, learning_rate=3e-3 (RecBole: 1e-3),
// patience=10 (early stopping on the validation carve's ndcg@10).
//
// After training the graph is rebuilt from all the training positives (the
// validation carve's items included: the graph is data, not parameters) and
// the final embeddings are computed once. Fold-in of a new user u with
// history H: one propagation step through u's own edges, the items' rows
// fixed — e_u(k) = Σ_{i∈H} e_i(k-1) / sqrt(|H| · (d_i + 1)) for k = 1..K,
// where d_i is the item's training degree (+1 for u's edge) — and the
// unknown e_u(0) taken as 0, so e_u = Σ_k e_u(k) / (K + 1). This is exactly
// LightGCN's propagation for u except that u's own layer-0 vector is missing
// and the items do not see u in turn (one user among thousands).
#include "deep/lightgcn.h"

#include <algorithm>
#include <cmath>

#include "data/error.h"
#include "util/rng.h"

namespace segue {

namespace {

// One table for users then items (the propagation input as is: no copy per batch).
struct LightGcnModuleImpl : torch::nn::Module {
  LightGcnModuleImpl(std::int64_t n_users, std::int64_t n_items, std::int64_t dim) : n_users(n_users) {
    embedding = register_parameter("embedding", torch::empty({n_users + n_items, dim}));
    torch::NoGradGuard no_grad;
    // Xavier-uniform per table, as two embeddings would be.
    auto users = embedding.narrow(0, 0, n_users);
    auto items = embedding.narrow(0, n_users, n_items);
    if (n_users > 0) torch::nn::init::xavier_uniform_(users);
    torch::nn::init::xavier_uniform_(items);
  }
  std::int64_t n_users;
  torch::Tensor embedding;
};
TORCH_MODULE(LightGcnModule);

// Â x as a weighted sum of rows (embedding_bag: parallel on the CPU, no
// sparse-tensor conversion per call), with the backward Â g (Â is symmetric).
torch::Tensor spmm(const torch::Tensor& x, const torch::Tensor& columns, const torch::Tensor& offsets,
                   const torch::Tensor& values) {
  namespace F = torch::nn::functional;
  return F::embedding_bag(columns, x,
                          F::EmbeddingBagFuncOptions().offsets(offsets).mode(torch::kSum).per_sample_weights(values));
}

struct SymmetricSpmm : torch::autograd::Function<SymmetricSpmm> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& columns, const torch::Tensor& offsets,
                               const torch::Tensor& values) {
    ctx->saved_data["columns"] = columns;
    ctx->saved_data["offsets"] = offsets;
    ctx->saved_data["values"] = values;
    return spmm(x, columns, offsets, values);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    return {spmm(grad[0].contiguous(), ctx->saved_data["columns"].toTensor(), ctx->saved_data["offsets"].toTensor(),
                 ctx->saved_data["values"].toTensor()),
            torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

// The K+1 layers of propagation from E0 = [users; items].
template <typename Graph>
std::vector<torch::Tensor> propagate(const torch::Tensor& embedding, const Graph& graph, std::int32_t layers) {
  std::vector<torch::Tensor> out{embedding};
  for (std::int32_t k = 0; k < layers; ++k)
    out.push_back(SymmetricSpmm::apply(out.back(), graph.columns, graph.offsets, graph.values));
  return out;
}

torch::Tensor long_tensor(std::vector<std::int64_t>& values, torch::Device device) {
  return torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, torch::kLong).to(device);
}

}  // namespace

struct LightGcn::Net {
  LightGcnModule module{nullptr};
};

LightGcn::LightGcn(const ModelSpec& spec)
    : TorchModel(spec),
      layers_(static_cast<std::int32_t>(spec.get_int("layers"))),
      reg_weight_(spec.get_float("reg_weight")),
      net_(std::make_unique<Net>()) {}

LightGcn::~LightGcn() = default;

void LightGcn::build(std::int32_t n_users, std::int32_t n_items) {
  net_->module = LightGcnModule(n_users, n_items, embedding_);
}

torch::nn::Module& LightGcn::module() { return *net_->module; }

void LightGcn::set_graph(const SparseRows& rows) {
  const std::int64_t n_users = rows.n_rows, n_items = rows.n_cols, nnz = rows.nnz();
  item_degree_.assign(static_cast<std::size_t>(n_items), 0.0f);
  for (std::int32_t i : rows.indices) item_degree_[i] += 1.0f;
  // Rows u (users, items ascending) then rows n_users + i (items, users
  // ascending): already the coalesced order.
  const SparseRows by_item = rows.transpose();
  std::vector<std::int64_t> index(static_cast<std::size_t>(4 * nnz));
  std::vector<float> value(static_cast<std::size_t>(2 * nnz));
  std::int64_t* row = index.data();
  std::int64_t* col = index.data() + 2 * nnz;
  std::int64_t k = 0;
  for (std::int32_t u = 0; u < rows.n_rows; ++u) {
    const double du = static_cast<double>(rows.count(u));
    for (std::int32_t i : rows.row_indices(u)) {
      row[k] = u;
      col[k] = n_users + i;
      value[k++] = static_cast<float>(1.0 / std::sqrt(du * item_degree_[i]));
    }
  }
  for (std::int32_t i = 0; i < by_item.n_rows; ++i) {
    const double di = item_degree_[i];
    for (std::int32_t u : by_item.row_indices(i)) {
      row[k] = n_users + i;
      col[k] = u;
      value[k++] = static_cast<float>(1.0 / std::sqrt(di * static_cast<double>(rows.count(u))));
    }
  }
  // Rows are in order, so the row ids become CSR offsets (row starts).
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(n_users + n_items));
  std::int64_t next = 0;
  for (std::int64_t r = 0; r < n_users + n_items; ++r) {
    offsets[r] = next;
    while (next < 2 * nnz && row[next] == r) ++next;
  }
  auto to_device = [this](auto& values, torch::Dtype type) {
    return torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, type).clone().to(device_);
  };
  std::vector<std::int64_t> columns(col, col + 2 * nnz);
  adjacency_.columns = to_device(columns, torch::kLong);
  adjacency_.offsets = to_device(offsets, torch::kLong);
  adjacency_.values = to_device(value, torch::kFloat);
}

void LightGcn::refresh() {
  torch::NoGradGuard no_grad;
  const auto& net = *net_->module;
  const auto layers = propagate(net.embedding, adjacency_, layers_);
  const std::int64_t n_users = net.n_users, n_items = net.embedding.size(0) - net.n_users;
  torch::Tensor sum = layers[0];
  for (std::size_t k = 1; k < layers.size(); ++k) sum = sum + layers[k];
  sum = sum / static_cast<double>(layers_ + 1);
  user_final_ = sum.narrow(0, 0, n_users).contiguous();
  item_final_ = sum.narrow(0, n_users, n_items).contiguous();
  item_layers_.clear();
  for (std::int32_t k = 0; k < layers_; ++k)
    item_layers_.push_back(layers[k].narrow(0, n_users, n_items).to(torch::kCPU).contiguous());
}

void LightGcn::prepare(const FeedbackMatrix& train, const FitContext&) {
  positives_ = train.positives();
  set_graph(positives_);
}

void LightGcn::finish(const FeedbackMatrix& train, const FitContext&) {
  positives_ = SparseRows();
  set_graph(train.positives());
  refresh();
}

void LightGcn::load_extra(const ModelReader&) {
  set_graph(history());
  refresh();
}

double LightGcn::train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) {
  const SparseRows& rows = positives_;
  const std::int64_t nnz = rows.nnz();
  const std::int32_t n_users = rows.n_rows, n_items = rows.n_cols;
  // Every positive once, in a seeded order: entry k of the CSR is (user_of[k], indices[k]).
  std::vector<std::int32_t> user_of(static_cast<std::size_t>(nnz));
  for (std::int32_t u = 0; u < n_users; ++u)
    std::fill(user_of.begin() + rows.indptr[u], user_of.begin() + rows.indptr[u + 1], u);
  std::vector<std::int64_t> order(static_cast<std::size_t>(nnz));
  for (std::int64_t k = 0; k < nnz; ++k) order[k] = k;
  Rng rng(seed_ + 1000003ull * static_cast<std::uint64_t>(epoch) + 17);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);

  auto& net = *net_->module;
  double total = 0;
  std::int64_t batches = 0;
  std::vector<std::int64_t> users, positives, negatives;
  for (std::int64_t start = 0; start < nnz; start += batch_size_) {
    const std::int64_t count = std::min<std::int64_t>(batch_size_, nnz - start);
    users.resize(count);
    positives.resize(count);
    negatives.resize(count);
    for (std::int64_t b = 0; b < count; ++b) {
      const std::int64_t k = order[start + b];
      const std::int32_t u = user_of[k];
      users[b] = u;
      positives[b] = n_users + rows.indices[k];
      // A uniform item that is not one of u's training positives (give up
      // after 64 tries: only for users who played nearly everything).
      const auto seen = rows.row_indices(u);
      std::int32_t j = 0;
      for (int attempt = 0; attempt < 64; ++attempt) {
        j = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n_items)));
        if (!std::binary_search(seen.begin(), seen.end(), j)) break;
      }
      negatives[b] = n_users + j;
    }
    // One gather for the batch's users, positives and negatives: rows [3, B, d].
    users.insert(users.end(), positives.begin(), positives.end());
    users.insert(users.end(), negatives.begin(), negatives.end());
    const auto index = long_tensor(users, device_);
    const auto layers = propagate(net.embedding, adjacency_, layers_);
    torch::Tensor mean = layers[0];
    for (std::size_t k = 1; k < layers.size(); ++k) mean = mean + layers[k];
    mean = mean / static_cast<double>(layers_ + 1);
    const auto rows = mean.index_select(0, index).view({3, count, -1});
    const auto pos = (rows[0] * rows[1]).sum(1);
    const auto neg = (rows[0] * rows[2]).sum(1);
    auto loss = torch::nn::functional::softplus(neg - pos).mean();
    if (reg_weight_ > 0)
      loss = loss + reg_weight_ * layers[0].index_select(0, index).pow(2).sum() / (2.0 * static_cast<double>(count));
    check_loss(loss, epoch, batches);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    total += loss.item<double>();
    ++batches;
  }
  refresh();  // the validation scores read the final embeddings
  return batches > 0 ? total / static_cast<double>(batches) : 0.0;
}

void LightGcn::score_users(std::span<const std::int32_t> users, float* out) const {
  torch::NoGradGuard no_grad;
  std::vector<std::int64_t> ids(users.begin(), users.end());
  const auto index = long_tensor(ids, device_);
  const auto scores =
      torch::mm(user_final_.index_select(0, index), item_final_.t()).to(torch::kCPU).contiguous();
  std::copy_n(scores.data_ptr<float>(), scores.numel(), out);
}

// A new user's final embedding: the history's propagated item layers with
// the user's normalisation 1/sqrt(|history| (deg(i) + 1)), averaged over
// layers 0..K like every final embedding. Undefined for an empty history.
torch::Tensor LightGcn::fold_in(std::span<const std::int32_t> items, std::span<const float> weights) const {
  // The history as a set of positives (LightGCN's graph is unweighted).
  std::vector<std::int32_t> set;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (weights.empty() || weights[i] > 0) set.push_back(items[i]);
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  if (set.empty()) return {};
  std::vector<std::int64_t> ids(set.begin(), set.end());
  std::vector<float> coefficient(set.size());
  for (std::size_t i = 0; i < set.size(); ++i)
    coefficient[i] = static_cast<float>(
        1.0 / std::sqrt(static_cast<double>(set.size()) * (static_cast<double>(item_degree_[set[i]]) + 1.0)));
  const auto index = torch::from_blob(ids.data(), {static_cast<std::int64_t>(ids.size())}, torch::kLong);
  const auto c = torch::from_blob(coefficient.data(), {1, static_cast<std::int64_t>(ids.size())}, torch::kFloat);
  torch::Tensor user = torch::zeros({1, item_final_.size(1)});
  for (const auto& layer : item_layers_) user = user + torch::mm(c, layer.index_select(0, index));
  return user / static_cast<double>(layers_ + 1);
}

void LightGcn::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  check_history(items, weights);
  torch::NoGradGuard no_grad;
  const torch::Tensor user = fold_in(items, weights);
  if (!user.defined()) {
    std::fill_n(out, item_final_.size(0), 0.0f);
    return;
  }
  const auto scores = torch::mm(user.to(device_), item_final_.t()).to(torch::kCPU).contiguous();
  std::copy_n(scores.data_ptr<float>(), scores.numel(), out);
}

torch::Tensor LightGcn::output_item_vectors() const { return item_final_; }

bool LightGcn::user_query(std::int32_t user, std::span<float> out) const {
  check_user(user);
  copy_query(user_final_[user], out);
  return true;
}

bool LightGcn::history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                             std::span<float> out) const {
  check_history(items, weights);
  torch::NoGradGuard no_grad;
  const torch::Tensor user = fold_in(items, weights);
  if (!user.defined()) return false;
  copy_query(user, out);
  return true;
}

ModelInfo lightgcn_info() {
  DeepDefaults defaults;
  defaults.epochs = 300;
  defaults.batch_size = 2048;
  defaults.learning_rate = 3e-3;  // RecBole uses 1e-3; 3e-3 won on the Last.fm validation carve (docs/DEEP.md)
  defaults.embedding = 64;
  defaults.patience = 10;
  std::vector<ParamDecl> params = deep_common_params(defaults);
  params.push_back(int_param("layers", 2, 1, 16, "propagation layers K (the final embedding averages layers 0..K)"));
  params.push_back(
      float_param("reg_weight", 1e-5, 0, 1e6, "L2 weight on the batch's layer-0 embeddings (sum of squares / 2·batch)"));
  return {"lightgcn",
          "LightGCN: embeddings averaged over normalised graph propagation layers, BPR loss (He et al. 2020)",
          std::move(params),
          [](const ModelSpec& spec) -> std::unique_ptr<Recommender> { return std::make_unique<LightGcn>(spec); },
          "learning_rate=0.0005:0.005:log,layers=1|2|3|4,reg_weight=0.00001:0.01:log,embedding=64|128"};
}

}  // namespace segue
