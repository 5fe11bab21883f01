#include "deep/torch_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "data/error.h"
#include "deep/fused_adam.h"
#include "io/model_file.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace segue {

std::vector<ParamDecl> deep_common_params(const DeepDefaults& d) {
  return {
      int_param("epochs", d.epochs, 1, 100000, "most epochs (early stopping may end sooner)"),
      int_param("patience", d.patience, 0, 100000,
                "stop after this many epochs without a better validation ndcg@10 (0 = run every epoch)"),
      float_param("validation", d.validation, 0, 0.9,
                  "share of each user's training items held out for early stopping (0 = none)"),
      int_param("max_validation_users", 2000, 1, 100000000, "validation users (a seeded sample)"),
      int_param("batch_size", d.batch_size, 1, 1 << 24, "training examples per batch"),
      float_param("learning_rate", d.learning_rate, 0, 1e10, "Adam step size", true),
      float_param("weight_decay", 0.0, 0, 10, "Adam L2 weight decay"),
      string_param("adam", "lazy",
                   "lazy (one fused pass per parameter; embedding tables updated only in the rows a batch touched), "
                   "dense (fused, every row every step) or torch (libtorch's Adam)"),
      int_param("embedding", d.embedding, 1, 4096, "embedding size"),
      int_param("seed", 42, 0, 9007199254740991.0, "initial weights, sampling and the validation carve"),
      string_param("device", "auto", "auto (CUDA when libtorch finds a GPU), cpu or cuda"),
      string_param("checkpoint", "", "write the best parameters so far to this model file after each better epoch"),
      bool_param("resume", false, "start from the checkpoint file's parameters and epoch count when it exists"),
  };
}

namespace {

torch::Device choose_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  const bool cuda = torch::cuda::is_available();
  if (name == "cuda") {
    if (!cuda) throw UsageError("device=cuda: libtorch finds no CUDA GPU here (use device=auto or cpu)");
    return torch::kCUDA;
  }
  if (name == "auto") return cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  throw UsageError("device: expected auto, cpu or cuda, got '" + name + "'");
}

std::string tensor_section(const std::string& name) { return "deep.tensor." + name; }
std::string shape_section(const std::string& name) { return "deep.shape." + name; }

// Parameters then buffers, by their module path ("encoder.0.weight").
std::vector<std::pair<std::string, torch::Tensor>> named_state(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : module.named_parameters(true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(true)) out.emplace_back(item.key(), item.value());
  return out;
}

}  // namespace

TorchModel::TorchModel(const ModelSpec& spec)
    : Recommender(spec),
      max_epochs_(static_cast<std::int32_t>(spec.get_int("epochs"))),
      patience_(static_cast<std::int32_t>(spec.get_int("patience"))),
      batch_size_(static_cast<std::int32_t>(spec.get_int("batch_size"))),
      embedding_(static_cast<std::int32_t>(spec.get_int("embedding"))),
      max_validation_users_(static_cast<std::int32_t>(spec.get_int("max_validation_users"))),
      validation_share_(spec.get_float("validation")),
      learning_rate_(spec.get_float("learning_rate")),
      weight_decay_(spec.get_float("weight_decay")),
      seed_(static_cast<std::uint64_t>(spec.get_int("seed"))),
      checkpoint_(spec.get_string("checkpoint")),
      adam_(spec.get_string("adam")),
      resume_(spec.get_bool("resume")),
      device_(choose_device(spec.get_string("device"))) {
  if (resume_ && checkpoint_.empty()) throw UsageError("resume=true needs checkpoint=PATH");
  if (adam_ != "lazy" && adam_ != "dense" && adam_ != "torch")
    throw UsageError("adam: expected lazy, dense or torch, got '" + adam_ + "'");
}

std::unique_ptr<torch::optim::Optimizer> TorchModel::make_optimizer() {
  if (adam_ == "torch")
    return std::make_unique<torch::optim::Adam>(
        module().parameters(), torch::optim::AdamOptions(learning_rate_).weight_decay(weight_decay_));
  FusedAdamOptions options;
  options.learning_rate = learning_rate_;
  options.weight_decay = weight_decay_;
  return std::make_unique<FusedAdam>(module().parameters(),
                                     adam_ == "lazy" ? lazy_tables() : std::vector<torch::Tensor>{}, options);
}

void TorchModel::score_validation(std::span<const std::int32_t> users, float* out) const { score_users(users, out); }

void TorchModel::begin_fit(const FeedbackMatrix&, const FitContext&) {}
void TorchModel::finish(const FeedbackMatrix&, const FitContext&) {}
void TorchModel::save_extra(ModelWriter&) const {}
void TorchModel::load_extra(const ModelReader&) {}

Holdout TorchModel::make_holdout(const FeedbackMatrix& train, std::uint64_t seed) const {
  Holdout h;
  h.train.n_users = train.n_users;
  h.train.n_items = train.n_items;
  h.train.indptr.assign(1, 0);
  h.train.negatives = train.negatives;
  // A seeded sample of the users with at least 3 positives.
  std::vector<std::int32_t> eligible;
  for (std::int32_t u = 0; u < train.n_users; ++u)
    if (train.count(u) >= 3) eligible.push_back(u);
  Rng rng(seed ^ 0x5eed0fa11d47ull);
  for (std::size_t i = eligible.size(); i > 1; --i) std::swap(eligible[i - 1], eligible[rng.below(i)]);
  if (eligible.size() > static_cast<std::size_t>(max_validation_users_)) eligible.resize(max_validation_users_);
  std::sort(eligible.begin(), eligible.end());
  std::vector<char> chosen(static_cast<std::size_t>(train.n_users), 0);
  for (std::int32_t u : eligible) chosen[u] = 1;
  std::vector<std::int32_t> order;
  for (std::int32_t u = 0; u < train.n_users; ++u) {
    const auto items = train.items_of(u);
    const auto values = train.values_of(u);
    std::vector<char> hide(items.size(), 0);
    if (chosen[u]) {
      const auto n_hide = std::max<std::size_t>(1, static_cast<std::size_t>(validation_share_ * items.size() + 0.5));
      order.resize(items.size());
      std::iota(order.begin(), order.end(), 0);
      for (std::size_t i = 0; i < n_hide; ++i) std::swap(order[i], order[i + rng.below(order.size() - i)]);
      std::vector<std::int32_t> targets;
      for (std::size_t i = 0; i < n_hide; ++i) {
        hide[order[i]] = 1;
        targets.push_back(items[order[i]]);
      }
      std::sort(targets.begin(), targets.end());
      h.users.push_back(u);
      h.targets.push_back(std::move(targets));
    }
    for (std::size_t i = 0; i < items.size(); ++i)
      if (!hide[i]) {
        h.train.indices.push_back(items[i]);
        h.train.values.push_back(values[i]);
      }
    h.train.indptr.push_back(static_cast<std::int64_t>(h.train.indices.size()));
  }
  return h;
}

double TorchModel::validation_ndcg(const Holdout& h) const {
  constexpr std::int32_t kK = 10;
  constexpr std::size_t kBatch = 256;
  const std::int32_t n_items = h.train.n_items;
  std::vector<float> scores;
  std::vector<std::int32_t> index(static_cast<std::size_t>(n_items));
  double total = 0;
  for (std::size_t start = 0; start < h.users.size(); start += kBatch) {
    const std::size_t count = std::min(kBatch, h.users.size() - start);
    const std::span<const std::int32_t> users(h.users.data() + start, count);
    scores.assign(count * static_cast<std::size_t>(n_items), 0.0f);
    score_validation(users, scores.data());
    for (std::size_t r = 0; r < count; ++r) {
      float* row = scores.data() + r * n_items;
      for (std::int32_t item : h.train.items_of(users[r])) row[item] = -INFINITY;
      std::iota(index.begin(), index.end(), 0);
      const std::int32_t k = std::min(kK, n_items);
      std::partial_sort(index.begin(), index.begin() + k, index.end(), [row](std::int32_t a, std::int32_t b) {
        return row[a] > row[b] || (row[a] == row[b] && a < b);
      });
      const auto& targets = h.targets[start + r];
      double dcg = 0, ideal = 0;
      for (std::int32_t i = 0; i < k; ++i) {
        if (std::binary_search(targets.begin(), targets.end(), index[i])) dcg += 1.0 / std::log2(i + 2.0);
        if (i < static_cast<std::int32_t>(targets.size())) ideal += 1.0 / std::log2(i + 2.0);
      }
      total += ideal > 0 ? dcg / ideal : 0;
    }
  }
  return h.users.empty() ? 0.0 : total / static_cast<double>(h.users.size());
}

std::vector<torch::Tensor> TorchModel::snapshot() const {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  for (auto& [name, tensor] : named_state(module())) out.push_back(tensor.detach().clone());
  return out;
}

void TorchModel::restore(const std::vector<torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  auto current = named_state(module());
  for (std::size_t i = 0; i < current.size() && i < state.size(); ++i) current[i].second.copy_(state[i]);
}

void TorchModel::write_checkpoint(std::int32_t epoch) const {
  if (checkpoint_.empty()) return;
  (void)epoch;
  save_unchecked(checkpoint_);
}

void TorchModel::check_loss(const torch::Tensor& loss, std::int32_t epoch, std::int64_t batch) {
  const double value = loss.item<double>();
  if (std::isfinite(value)) return;
  std::string kept = "no epoch finished, nothing kept";
  if (!best_state_.empty()) {
    restore(best_state_);
    kept = "the parameters of epoch " + std::to_string(best_epoch_) + " are kept";
    if (!checkpoint_.empty()) {
      write_checkpoint(best_epoch_);
      kept += " (checkpoint " + checkpoint_ + ")";
    }
  }
  throw TrainingError(name() + ": the loss became " + (std::isnan(value) ? "NaN" : "infinite") + " in epoch " +
                      std::to_string(epoch + 1) + ", batch " + std::to_string(batch + 1) +
                      " (lower learning_rate?); " + kept);
}

void TorchModel::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  // libtorch's threads and allocator policy are process-wide: set once, when
  // the deep models register (register_deep.cc), from the runtime options.
  torch::manual_seed(seed_);
  if (device_.is_cuda()) torch::cuda::manual_seed_all(seed_);
  inner_product_items_.clear();  // until this fit finishes
  begin_fit(train, context);

  Holdout holdout;
  if (validation_share_ > 0) {
    holdout = make_holdout(train, seed_);
  } else {
    holdout.train = train;
  }
  model_users_ = train.n_users;
  model_items_ = train.n_items;
  build(train.n_users, train.n_items);
  module().to(device_);
  best_state_.clear();
  best_epoch_ = 0;
  epochs_run_ = 0;
  double best = -1;
  if (resume_ && std::filesystem::exists(checkpoint_)) {
    const ModelReader in(checkpoint_);
    if (in.get_string("recommender.spec").rfind(name() + ":", 0) != 0)
      in.fail("recommender.spec", "the checkpoint is of another model, not " + name());
    load_model(in);
    module().to(device_);
    epochs_run_ = in.get_scalar<std::int32_t>("deep.epochs_run");
    best_epoch_ = in.get_scalar<std::int32_t>("deep.best_epoch");
    best = in.get_scalar<double>("deep.best_validation");
    best_state_ = snapshot();
  }
  prepare(holdout.train, context);
  auto optimizer = make_optimizer();
  std::int32_t since_best = 0;
  double seconds = 0;
  for (std::int32_t epoch = epochs_run_; epoch < max_epochs_; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    module().train();
    const double loss = train_epoch(epoch, *optimizer);
    const double epoch_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    seconds += epoch_seconds;
    module().eval();
    epochs_run_ = epoch + 1;
    std::string detail;
    char text[160];
    if (!holdout.users.empty()) {
      torch::NoGradGuard no_grad;
      const double ndcg = validation_ndcg(holdout);
      const bool better = ndcg > best;
      std::snprintf(text, sizeof text, "loss %.4f  val ndcg@10 %.4f%s  %.1f s", loss, ndcg, better ? " *" : "",
                    epoch_seconds);
      if (better) {
        best = ndcg;
        best_epoch_ = epochs_run_;
        best_state_ = snapshot();
        since_best = 0;
        write_checkpoint(best_epoch_);
      } else {
        ++since_best;
      }
    } else {
      std::snprintf(text, sizeof text, "loss %.4f  %.1f s", loss, epoch_seconds);
      best_epoch_ = epochs_run_;
      best_state_.clear();
      write_checkpoint(best_epoch_);
    }
    detail = text;
    if (context.progress) context.progress(FitProgress{"epoch", epochs_run_, max_epochs_, detail});
    if (!holdout.users.empty() && patience_ > 0 && since_best >= patience_) break;
  }
  if (!best_state_.empty()) restore(best_state_);
  best_state_.clear();
  set_fit_stat("epochs", epochs_run_);
  set_fit_stat("best_epoch", best_epoch_);
  if (!holdout.users.empty()) set_fit_stat("validation_ndcg@10", best);
  if (epochs_run_ > 0) set_fit_stat("seconds_per_epoch", seconds / std::max(1, epochs_run_));
  module().eval();
  finish(train, context);
  cache_inner_product_items();
}

void TorchModel::save_model(ModelWriter& out) const {
  out.put("deep.dims", std::vector<std::int32_t>{model_users_, model_items_});
  out.put_scalar("deep.epochs_run", epochs_run_);
  out.put_scalar("deep.best_epoch", best_epoch_);
  double best = 0;
  for (const auto& [key, value] : fit_stats())
    if (key == "validation_ndcg@10") best = value;
  out.put_scalar("deep.best_validation", best);
  for (const auto& [name, tensor] : named_state(module())) {
    const torch::Tensor cpu = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    out.put(tensor_section(name), std::span<const float>(cpu.data_ptr<float>(), static_cast<std::size_t>(cpu.numel())));
    out.put(shape_section(name), std::vector<std::int64_t>(cpu.sizes().begin(), cpu.sizes().end()));
  }
  save_extra(out);
}

void TorchModel::load_model(const ModelReader& in) {
  const std::vector<std::int32_t> dims = in.get<std::int32_t>("deep.dims", 2);
  if (dims[0] < 0 || dims[1] <= 0) in.fail("deep.dims", "bad dimensions");
  model_users_ = dims[0];
  model_items_ = dims[1];
  epochs_run_ = in.get_scalar<std::int32_t>("deep.epochs_run");
  best_epoch_ = in.get_scalar<std::int32_t>("deep.best_epoch");
  load_shape(in);
  build(model_users_, model_items_);
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : named_state(module())) {
    const std::vector<std::int64_t> shape = in.get<std::int64_t>(shape_section(name));
    if (shape != std::vector<std::int64_t>(tensor.sizes().begin(), tensor.sizes().end()))
      in.fail(shape_section(name), "tensor shape differs from the model's");
    std::vector<float> values = in.get<float>(tensor_section(name), static_cast<std::uint64_t>(tensor.numel()));
    for (float v : values)
      if (!std::isfinite(v)) in.fail(tensor_section(name), "a value is not finite");
    tensor.copy_(torch::from_blob(values.data(), tensor.sizes(), torch::kFloat).to(tensor.dtype()));
  }
  module().to(device_);
  module().eval();
  load_extra(in);
  cache_inner_product_items();
}

void TorchModel::cache_inner_product_items() {
  torch::NoGradGuard no_grad;
  inner_product_items_.clear();
  inner_product_dim_ = 0;
  const torch::Tensor vectors = output_item_vectors();
  if (!vectors.defined()) return;
  torch::Tensor table = vectors.detach().to(torch::kCPU, torch::kFloat);
  const torch::Tensor bias = output_item_bias();
  inner_product_bias_ = bias.defined();
  if (inner_product_bias_) table = torch::cat({table, bias.detach().to(torch::kCPU, torch::kFloat).reshape({-1, 1})}, 1);
  table = table.contiguous();
  if (table.dim() != 2 || table.size(0) != n_items())
    throw std::logic_error("model '" + name() + "': output item vectors are not n_items rows");
  inner_product_dim_ = static_cast<std::int32_t>(table.size(1));
  inner_product_items_.assign(table.data_ptr<float>(), table.data_ptr<float>() + table.numel());
}

std::optional<ItemVectors> TorchModel::inner_product_items() const {
  if (inner_product_items_.empty()) return std::nullopt;
  return ItemVectors{inner_product_items_.data(), n_items(), inner_product_dim_};
}

void TorchModel::copy_query(const torch::Tensor& query, std::span<float> out) const {
  const torch::Tensor q = query.detach().to(torch::kCPU, torch::kFloat).contiguous().reshape({-1});
  const auto d = static_cast<std::size_t>(q.numel());
  if (inner_product_dim_ == 0 || out.size() != static_cast<std::size_t>(inner_product_dim_) ||
      d + (inner_product_bias_ ? 1 : 0) != out.size())
    throw UsageError("query: " + std::to_string(out.size()) + " floats for model '" + name() + "' of dimension " +
                     std::to_string(inner_product_dim_));
  std::copy_n(q.data_ptr<float>(), d, out.begin());
  if (inner_product_bias_) out[d] = 1.0f;
}

}  // namespace segue
