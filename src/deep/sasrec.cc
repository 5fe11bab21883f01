// sasrec: self-attentive sequential recommendation (Wang-Cheng Kang, Julian
// McAuley: "Self-Attentive Sequential Recommendation", ICDM 2018).
//
// The network is the paper's: item embeddings (shared with the output layer)
// plus learned positional embeddings, dropout, then `blocks` blocks of
//   q = LayerNorm(x); x = q + Dropout(CausalSelfAttention(q, x, x));
//   y = LayerNorm(x); x = y + Dropout(W2 Dropout(ReLU(W1 y)))
// with padding zeroed after each block, and a final LayerNorm. Defaults follow
// the paper (2 blocks, 1 head, max_len 50, hidden = embedding = 64 as in
// RecBole; RecBole uses 2 heads, heads=2 here is the same cost). Sequences are
// left-padded so the most recent item sits at the last position, whose
// positional embedding is always the last one (positions count back from the
// most recent item); padded keys are masked out. Weights start as N(0, 0.02)
// (RecBole's initialiser), LayerNorms as identity.
//
// Training (SequenceModel): next-item prediction at every position of each
// user's last max_len + 1 items. The default loss is `sampled` (softmax over
// the batch's target items plus 512 uniform negatives): the paper's `bce` (one
// negative per position) learns far less per epoch, and `ce` over the whole
// catalogue is exact but costs [positions x items] logits per batch (use it
// with a smaller batch_size or on a GPU).
#include "deep/sasrec.h"

#include <algorithm>
#include <cmath>

#include "data/error.h"

namespace segue {

namespace {

struct BlockImpl : torch::nn::Module {
  BlockImpl(std::int64_t d, std::int64_t heads, double dropout) : heads(heads), dropout(dropout) {
    attention_norm = register_module("attention_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-8)));
    query = register_module("query", torch::nn::Linear(d, d));
    key = register_module("key", torch::nn::Linear(d, d));
    value = register_module("value", torch::nn::Linear(d, d));
    attention_out = register_module("attention_out", torch::nn::Linear(d, d));
    ffn_norm = register_module("ffn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-8)));
    ffn_in = register_module("ffn_in", torch::nn::Linear(d, d));
    ffn_out = register_module("ffn_out", torch::nn::Linear(d, d));
  }

  // x [B, L, d]; mask [B, 1, L, L] additive (0 or -inf); keep [B, L, 1].
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask, const torch::Tensor& keep) {
    namespace F = torch::nn::functional;
    const auto b = x.size(0), l = x.size(1), d = x.size(2), dh = d / heads;
    auto split = [&](const torch::Tensor& t) { return t.view({b, l, heads, dh}).transpose(1, 2); };
    auto q = attention_norm->forward(x);
    auto scores = torch::matmul(split(query->forward(q)), split(key->forward(x)).transpose(-2, -1)) /
                  std::sqrt(static_cast<double>(dh));
    auto weights = F::dropout(torch::softmax(scores + mask, -1), F::DropoutFuncOptions().p(dropout).training(is_training()));
    auto attended = torch::matmul(weights, split(value->forward(x))).transpose(1, 2).reshape({b, l, d});
    x = q + F::dropout(attention_out->forward(attended), F::DropoutFuncOptions().p(dropout).training(is_training()));
    auto y = ffn_norm->forward(x);
    auto h = F::dropout(torch::relu(ffn_in->forward(y)), F::DropoutFuncOptions().p(dropout).training(is_training()));
    x = y + F::dropout(ffn_out->forward(h), F::DropoutFuncOptions().p(dropout).training(is_training()));
    return x * keep;
  }

  std::int64_t heads;
  double dropout;
  torch::nn::LayerNorm attention_norm{nullptr}, ffn_norm{nullptr};
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, attention_out{nullptr}, ffn_in{nullptr},
      ffn_out{nullptr};
};
TORCH_MODULE(Block);

struct SasRecNetImpl : torch::nn::Module {
  SasRecNetImpl(std::int64_t n_items, std::int64_t d, std::int64_t max_len, std::int64_t n_blocks, std::int64_t heads,
                double dropout, const std::vector<std::int32_t>& item_group, std::int32_t n_groups)
      : max_len(max_len), dropout(dropout) {
    item = register_parameter("item", torch::empty({n_items + 1, d}));
    position = register_parameter("position", torch::empty({max_len, d}));
    for (std::int64_t i = 0; i < n_blocks; ++i)
      blocks.push_back(register_module("block" + std::to_string(i), Block(d, heads, dropout)));
    final_norm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-8)));
    torch::NoGradGuard no_grad;
    for (auto& p : named_parameters(true)) {
      const std::string& name = p.key();
      if (name.find("norm") != std::string::npos) continue;  // LayerNorm: identity
      if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) p.value().zero_();
      else p.value().normal_(0.0, 0.02);
    }
    item[0].zero_();
    groups.init(*this, n_items, d, item_group, n_groups);  // after the loop: its own N(0, 0.02), row 0 zero
  }

  // Every item's vector, input and output: its own plus its group's.
  torch::Tensor item_table() const { return groups.add_to(item); }

  torch::Tensor forward(const torch::Tensor& input) {
    namespace F = torch::nn::functional;
    const auto b = input.size(0), l = input.size(1);
    const auto valid = input.ne(0);  // [B, L]
    auto keep = valid.unsqueeze(-1).to(torch::kFloat);
    auto x = F::embedding(input, item, F::EmbeddingFuncOptions().padding_idx(0)) +
             position.narrow(0, max_len - l, l).unsqueeze(0);
    if (groups.on()) x = x + groups.of(input, /*sparse=*/false);
    x = F::dropout(x, F::DropoutFuncOptions().p(dropout).training(is_training())) * keep;
    // Position i attends to the valid keys j <= i, and always to itself (no empty rows).
    auto causal = torch::ones({l, l}, torch::TensorOptions().dtype(torch::kBool).device(input.device())).tril();
    auto allowed = (causal.unsqueeze(0) & valid.unsqueeze(1)) |
                   torch::eye(l, torch::TensorOptions().dtype(torch::kBool).device(input.device())).unsqueeze(0);
    auto mask = torch::zeros({b, 1, l, l}, x.options())
                    .masked_fill(allowed.unsqueeze(1).logical_not(), -std::numeric_limits<float>::infinity());
    for (auto& block : blocks) x = block->forward(x, mask, keep);
    return final_norm->forward(x);
  }

  std::int64_t max_len;
  double dropout;
  torch::Tensor item, position;
  SharedGroups groups;  // share=GROUP
  std::vector<Block> blocks;
  torch::nn::LayerNorm final_norm{nullptr};
};
TORCH_MODULE(SasRecNet);

}  // namespace

struct SasRec::Net {
  SasRecNet module{nullptr};
};

SasRec::SasRec(const ModelSpec& spec)
    : SequenceModel(spec, /*left_padded=*/true),
      blocks_(static_cast<std::int32_t>(spec.get_int("blocks"))),
      heads_(static_cast<std::int32_t>(spec.get_int("heads"))),
      net_(std::make_unique<Net>()) {
  if (embedding_ % heads_ != 0)
    throw UsageError("heads: " + std::to_string(heads_) + " does not divide embedding=" + std::to_string(embedding_));
}

SasRec::~SasRec() = default;

void SasRec::build(std::int32_t, std::int32_t n_items) {
  net_->module = SasRecNet(n_items, embedding_, max_len_, blocks_, heads_, dropout_, item_group_, n_groups_);
}

torch::nn::Module& SasRec::module() { return *net_->module; }

torch::Tensor SasRec::encode(const torch::Tensor& input) const { return net_->module->forward(input); }

torch::Tensor SasRec::item_vectors() const { return net_->module->item_table(); }

torch::Tensor SasRec::gather_item_vectors(const torch::Tensor& index) const {
  return net_->module->groups.gather(net_->module->item, index);
}

std::vector<torch::Tensor> SasRec::lazy_tables() {
  std::vector<torch::Tensor> tables{net_->module->item};
  if (net_->module->groups.on()) tables.push_back(net_->module->groups.table);
  return tables;
}

ModelInfo sasrec_info() {
  SequenceDefaults defaults;
  defaults.deep.epochs = 200;
  // Batch 64, step 3e-3 and dropout 0.5 won on the mpd-subset leave-last validation carve (docs/MODELS.md
  // "Defaults"; the paper's 128 / 1e-3 / 0.2 scored lower there).
  defaults.deep.batch_size = 64;
  defaults.deep.learning_rate = 3e-3;
  defaults.deep.patience = 5;
  defaults.deep.embedding = 64;
  defaults.deep.validation = 0.5;
  defaults.dropout = 0.5;
  std::vector<ParamDecl> params = sequence_params(defaults);
  params.push_back(int_param("blocks", 2, 1, 64, "self-attention blocks"));
  params.push_back(int_param("heads", 1, 1, 64, "attention heads (must divide embedding)"));
  return {"sasrec", "SASRec: causal self-attention over the recent item sequence (Kang & McAuley 2018)",
          std::move(params),
          [](const ModelSpec& spec) -> std::unique_ptr<Recommender> { return std::make_unique<SasRec>(spec); },
          "learning_rate=0.0003:0.003:log,dropout=0.1:0.6,embedding=32|64|128,max_len=20|50|100"};
}

}  // namespace segue
