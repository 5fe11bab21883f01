// multvae / multdae: variational and denoising autoencoders with a
// multinomial likelihood over the catalogue (Liang, Krishnan, Hoffman, Jebara:
// "Variational Autoencoders for Collaborative Filtering", WWW 2018).
//
// A user's row x (binary, or the training weights) is L2-normalised, dropped
// out, encoded by item embeddings summed with embedding_bag (so the input is
// never a dense users x items matrix), passed through tanh layers to a latent
// code (mean and log-variance for the VAE), and decoded to logits over every
// item. Loss: -sum_i x_i log softmax(logits)_i, plus beta * KL(q(z|x) || N(0, I))
// for the VAE, with beta annealed linearly from 0 to anneal_cap over
// anneal_epochs epochs (however many updates an epoch has: the rule scales with
// the data), or over anneal_steps updates when that is set (the paper's form). Scores are the logits of the mean code; a new user is
// scored from the history alone (the model is an encoder: no per-user state).
#include "deep/multvae.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/error.h"
#include "util/rng.h"

namespace segue {

namespace {

struct AutoencoderImpl : torch::nn::Module {
  AutoencoderImpl(std::int64_t n_items, std::int64_t hidden, std::int64_t latent, bool variational)
      : variational(variational) {
    encoder_in = register_parameter("encoder_in", torch::empty({n_items, hidden}));
    encoder_bias = register_parameter("encoder_bias", torch::zeros({hidden}));
    encoder_out = register_module("encoder_out", torch::nn::Linear(hidden, variational ? 2 * latent : latent));
    decoder_hidden = register_module("decoder_hidden", torch::nn::Linear(latent, hidden));
    decoder_out = register_module("decoder_out", torch::nn::Linear(hidden, n_items));
    torch::nn::init::xavier_normal_(encoder_in);
    this->latent = latent;
  }

  // Returns logits [B, n_items]; *kl gets the batch-mean KL term (VAE, training only).
  torch::Tensor forward(const torch::Tensor& indices, const torch::Tensor& offsets, const torch::Tensor& weights,
                        torch::Tensor* kl) {
    return decoder_out->forward(last_hidden(indices, offsets, weights, kl));
  }

  // The decoder's last hidden layer [B, hidden]: the logits are its inner
  // products with decoder_out's weight rows, plus their bias.
  torch::Tensor last_hidden(const torch::Tensor& indices, const torch::Tensor& offsets, const torch::Tensor& weights,
                            torch::Tensor* kl) {
    namespace F = torch::nn::functional;
    auto h = F::embedding_bag(indices, encoder_in,
                              F::EmbeddingBagFuncOptions().offsets(offsets).mode(torch::kSum).per_sample_weights(
                                  weights));
    h = torch::tanh(h + encoder_bias);
    auto code = encoder_out->forward(h);
    torch::Tensor z;
    if (variational) {
      auto mu = code.narrow(1, 0, latent);
      auto logvar = code.narrow(1, latent, latent);
      if (is_training()) {
        z = mu + torch::randn_like(mu) * torch::exp(0.5 * logvar);
        if (kl != nullptr) *kl = (-0.5 * torch::sum(1 + logvar - mu.pow(2) - logvar.exp(), 1)).mean();
      } else {
        z = mu;
      }
    } else {
      z = code;
    }
    return torch::tanh(decoder_hidden->forward(z));
  }

  bool variational;
  std::int64_t latent = 0;
  torch::Tensor encoder_in, encoder_bias;
  torch::nn::Linear encoder_out{nullptr}, decoder_hidden{nullptr}, decoder_out{nullptr};
};
TORCH_MODULE(Autoencoder);

}  // namespace

struct MultVae::Net {
  Autoencoder module{nullptr};
};

namespace {

std::vector<ParamDecl> autoencoder_params(bool variational) {
  DeepDefaults defaults;
  defaults.epochs = 200;
  defaults.batch_size = 500;
  defaults.embedding = 200;  // the latent code
  defaults.patience = variational ? 20 : 10;  // the KL weight still rises for anneal_epochs: wait longer
  std::vector<ParamDecl> params = deep_common_params(defaults);
  params.push_back(int_param("hidden", 600, 1, 100000, "hidden layer size (encoder and decoder)"));
  params.push_back(float_param("dropout", 0.5, 0, 0.99, "input dropout"));
  params.push_back(string_param("input", "binary", "binary (1 per training item) or weight (the training weights)"));
  if (variational) {
    params.push_back(float_param("anneal_cap", kMultVaeDefaultAnnealCap, 0, 10, "largest KL weight beta"));
    params.push_back(int_param("anneal_epochs", kMultVaeDefaultAnnealEpochs, 0, 100000,
                               "epochs over which beta rises linearly from 0 to anneal_cap, whatever the number of "
                               "updates per epoch (0 = anneal_cap from the first update)"));
    params.push_back(int_param("anneal_steps", 0, 0, 1e12,
                               "if > 0: updates over which beta rises instead of anneal_epochs (the paper's form: "
                               "200000 on ML-20M)"));
  }
  return params;
}

}  // namespace

MultVae::MultVae(const ModelSpec& spec, bool variational)
    : TorchModel(spec),
      variational_(variational),
      hidden_(static_cast<std::int32_t>(spec.get_int("hidden"))),
      dropout_(spec.get_float("dropout")),
      binary_input_(spec.get_string("input") == "binary"),
      anneal_cap_(variational ? spec.get_float("anneal_cap") : 0.0),
      anneal_epochs_(variational ? spec.get_int("anneal_epochs") : 0),
      anneal_steps_(variational ? spec.get_int("anneal_steps") : 0),
      net_(std::make_unique<Net>()) {
  const std::string& input = spec.get_string("input");
  if (input != "binary" && input != "weight") throw UsageError("input: expected binary or weight, got '" + input + "'");
}

MultVae::~MultVae() = default;

void MultVae::build(std::int32_t, std::int32_t n_items) {
  net_->module = Autoencoder(n_items, hidden_, embedding_, variational_);
}

torch::nn::Module& MultVae::module() { return *net_->module; }

double multvae_kl_weight(double cap, std::int64_t anneal_epochs, std::int64_t anneal_steps,
                         std::int64_t updates_per_epoch, std::int64_t update) {
  const double span = anneal_steps > 0 ? static_cast<double>(anneal_steps)
                                       : static_cast<double>(anneal_epochs) *
                                             static_cast<double>(std::max<std::int64_t>(1, updates_per_epoch));
  if (span <= 0) return cap;
  return std::min(cap, cap * static_cast<double>(update) / span);
}

void MultVae::prepare(const FeedbackMatrix& train, const FitContext&) {
  input_ = train.positives();
  std::int64_t users = 0;
  for (std::int32_t u = 0; u < input_.n_rows; ++u)
    if (input_.count(u) > 0) ++users;
  updates_per_epoch_ = (users + batch_size_ - 1) / batch_size_;
}

void MultVae::finish(const FeedbackMatrix&, const FitContext&) {
  input_ = history();
  if (variational_)
    set_fit_stat("anneal_updates", anneal_steps_ > 0 ? anneal_steps_ : anneal_epochs_ * updates_per_epoch_);
}
void MultVae::load_extra(const ModelReader&) { input_ = history(); }

MultVae::Batch MultVae::make_batch(std::span<const std::int32_t> users, double dropout, Rng* rng) const {
  Batch b;
  std::vector<std::int64_t> indices, offsets;
  std::vector<float> weights;
  offsets.reserve(users.size());
  for (std::int32_t u : users) {
    offsets.push_back(static_cast<std::int64_t>(indices.size()));
    const auto items = input_.row_indices(u);
    const auto values = input_.row_values(u);
    append_row(items, values, dropout, rng, indices, weights);
  }
  b.indices = torch::from_blob(indices.data(), {static_cast<std::int64_t>(indices.size())}, torch::kLong).clone();
  b.offsets = torch::from_blob(offsets.data(), {static_cast<std::int64_t>(offsets.size())}, torch::kLong).clone();
  b.weights = torch::from_blob(weights.data(), {static_cast<std::int64_t>(weights.size())}, torch::kFloat).clone();
  return b;
}

void MultVae::append_row(std::span<const std::int32_t> items, std::span<const float> values, double dropout, Rng* rng,
                         std::vector<std::int64_t>& indices, std::vector<float>& weights) const {
  // L2 normalisation of the (binary or weighted) row, then inverted dropout.
  double norm = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const double v = binary_input_ ? 1.0 : values[i];
    norm += v * v;
  }
  const double scale = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
  const float keep_scale = static_cast<float>(scale / (1.0 - dropout));
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (rng != nullptr && dropout > 0 && rng->unit() < dropout) continue;
    indices.push_back(items[i]);
    weights.push_back((binary_input_ ? 1.0f : values[i]) * (rng != nullptr ? keep_scale : static_cast<float>(scale)));
  }
}

double MultVae::train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) {
  std::vector<std::int32_t> users;
  for (std::int32_t u = 0; u < input_.n_rows; ++u)
    if (input_.count(u) > 0) users.push_back(u);
  Rng rng(seed_ + 1000003ull * static_cast<std::uint64_t>(epoch));
  for (std::size_t i = users.size(); i > 1; --i) std::swap(users[i - 1], users[rng.below(i)]);
  double total = 0;
  std::int64_t batches = 0;
  for (std::size_t start = 0; start < users.size(); start += static_cast<std::size_t>(batch_size_)) {
    const std::size_t count = std::min<std::size_t>(batch_size_, users.size() - start);
    const std::span<const std::int32_t> batch_users(users.data() + start, count);
    Batch b = make_batch(batch_users, dropout_, &rng);
    // Targets: every training item of the batch's users, flattened into the logits.
    std::vector<std::int64_t> target_index;
    std::vector<float> target_weight;
    for (std::size_t r = 0; r < count; ++r) {
      const auto items = input_.row_indices(batch_users[r]);
      const auto values = input_.row_values(batch_users[r]);
      for (std::size_t i = 0; i < items.size(); ++i) {
        target_index.push_back(static_cast<std::int64_t>(r) * input_.n_cols + items[i]);
        target_weight.push_back(binary_input_ ? 1.0f : values[i]);
      }
    }
    auto index = torch::from_blob(target_index.data(), {static_cast<std::int64_t>(target_index.size())}, torch::kLong)
                     .to(device_);
    auto weight =
        torch::from_blob(target_weight.data(), {static_cast<std::int64_t>(target_weight.size())}, torch::kFloat)
            .to(device_);
    torch::Tensor kl;
    auto logits = net_->module->forward(b.indices.to(device_), b.offsets.to(device_), b.weights.to(device_),
                                        variational_ ? &kl : nullptr);
    auto log_probs = torch::log_softmax(logits, 1).reshape({-1});
    auto loss = -(log_probs.index_select(0, index) * weight).sum() / static_cast<double>(count);
    if (variational_) {
      // Updates so far, counted from the first epoch (a resumed fit goes on where it was).
      const std::int64_t update = static_cast<std::int64_t>(epoch) * updates_per_epoch_ + batches;
      loss = loss + multvae_kl_weight(anneal_cap_, anneal_epochs_, anneal_steps_, updates_per_epoch_, update) * kl;
    }
    check_loss(loss, epoch, batches);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    total += loss.item<double>();
    ++batches;
  }
  return batches > 0 ? total / static_cast<double>(batches) : 0.0;
}

void MultVae::score_users(std::span<const std::int32_t> users, float* out) const {
  torch::NoGradGuard no_grad;
  const Batch b = make_batch(users, 0.0, nullptr);
  auto logits = net_->module->forward(b.indices.to(device_), b.offsets.to(device_), b.weights.to(device_), nullptr)
                    .to(torch::kCPU)
                    .contiguous();
  std::copy_n(logits.data_ptr<float>(), logits.numel(), out);
}

MultVae::Batch MultVae::history_batch(std::span<const std::int32_t> items, std::span<const float> weights) const {
  // Unique items (the encoder sums them): duplicates keep their largest weight.
  std::vector<std::pair<std::int32_t, float>> rows;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const float w = weights.empty() ? 1.0f : weights[i];
    if (w > 0) rows.emplace_back(items[i], w);
  }
  std::sort(rows.begin(), rows.end());
  std::vector<std::int32_t> unique_items;
  std::vector<float> unique_weights;
  for (const auto& [item, w] : rows) {
    if (!unique_items.empty() && unique_items.back() == item) {
      unique_weights.back() = std::max(unique_weights.back(), w);
    } else {
      unique_items.push_back(item);
      unique_weights.push_back(w);
    }
  }
  std::vector<std::int64_t> indices;
  std::vector<float> row_weights;
  append_row(unique_items, unique_weights, 0.0, nullptr, indices, row_weights);
  Batch b;
  b.indices = torch::from_blob(indices.data(), {static_cast<std::int64_t>(indices.size())}, torch::kLong)
                  .clone()
                  .to(device_);
  b.offsets = torch::zeros({1}, torch::kLong).to(device_);
  b.weights = torch::from_blob(row_weights.data(), {static_cast<std::int64_t>(row_weights.size())}, torch::kFloat)
                  .clone()
                  .to(device_);
  return b;
}

void MultVae::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  check_history(items, weights);
  torch::NoGradGuard no_grad;
  const Batch b = history_batch(items, weights);
  auto logits = net_->module->forward(b.indices, b.offsets, b.weights, nullptr).to(torch::kCPU).contiguous();
  std::copy_n(logits.data_ptr<float>(), logits.numel(), out);
}

torch::Tensor MultVae::output_item_vectors() const { return net_->module->decoder_out->weight; }
torch::Tensor MultVae::output_item_bias() const { return net_->module->decoder_out->bias; }

bool MultVae::user_query(std::int32_t user, std::span<float> out) const {
  check_user(user);
  torch::NoGradGuard no_grad;
  const Batch b = make_batch(std::span<const std::int32_t>(&user, 1), 0.0, nullptr);
  copy_query(net_->module->last_hidden(b.indices.to(device_), b.offsets.to(device_), b.weights.to(device_), nullptr),
             out);
  return true;
}

bool MultVae::history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                            std::span<float> out) const {
  check_history(items, weights);
  torch::NoGradGuard no_grad;
  const Batch b = history_batch(items, weights);
  copy_query(net_->module->last_hidden(b.indices, b.offsets, b.weights, nullptr), out);
  return true;
}

ModelInfo multvae_info() {
  return {"multvae",
          "Mult-VAE: variational autoencoder with a multinomial likelihood, KL annealing (Liang et al. 2018)",
          autoencoder_params(true),
          [](const ModelSpec& spec) -> std::unique_ptr<Recommender> { return std::make_unique<MultVae>(spec, true); },
          "learning_rate=0.0003:0.003:log,dropout=0.2:0.7,anneal_cap=0.2:4:log,anneal_epochs=20|50|100,embedding=64|128|200"};
}

ModelInfo multdae_info() {
  return {"multdae", "Mult-DAE: denoising autoencoder with a multinomial likelihood (Liang et al. 2018)",
          autoencoder_params(false),
          [](const ModelSpec& spec) -> std::unique_ptr<Recommender> { return std::make_unique<MultVae>(spec, false); },
          "learning_rate=0.0003:0.003:log,dropout=0.2:0.7,embedding=64|128|200"};
}

}  // namespace segue
