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
#include "features/feature_matrix.h"
#include "io/model_file.h"

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
    if (n_groups > 0) {
      group = register_parameter("group", torch::empty({n_groups + 1, d}));
      // Row i + 1 (item i) -> its group's row; row 0 (padding) and group-less items -> 0, a zero row.
      std::vector<std::int64_t> of(static_cast<std::size_t>(n_items) + 1, 0);
      for (std::size_t i = 0; i < item_group.size(); ++i) of[i + 1] = item_group[i];
      item_group_rows = torch::tensor(of, torch::kLong);
    }
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
    if (group.defined()) group[0].zero_();
  }

  // Every item's vector, input and output: its own plus its group's.
  torch::Tensor item_table() const {
    if (!group.defined()) return item;
    return item + group.index_select(0, item_group_rows.to(item.device()));
  }
  // Rows `index` of item_table(), each table gathered with a sparse gradient.
  torch::Tensor gather(const torch::Tensor& index) const {
    namespace F = torch::nn::functional;
    auto rows = F::embedding(index, item, F::EmbeddingFuncOptions().sparse(true));
    if (!group.defined()) return rows;
    const auto groups = item_group_rows.to(index.device()).index_select(0, index);
    return rows + F::embedding(groups, group, F::EmbeddingFuncOptions().sparse(true));
  }

  torch::Tensor forward(const torch::Tensor& input) {
    namespace F = torch::nn::functional;
    const auto b = input.size(0), l = input.size(1);
    const auto valid = input.ne(0);  // [B, L]
    auto keep = valid.unsqueeze(-1).to(torch::kFloat);
    auto x = F::embedding(input, item, F::EmbeddingFuncOptions().padding_idx(0)) +
             position.narrow(0, max_len - l, l).unsqueeze(0);
    if (group.defined()) {
      const auto groups = item_group_rows.to(input.device()).index_select(0, input.reshape({-1})).view_as(input);
      x = x + F::embedding(groups, group, F::EmbeddingFuncOptions().padding_idx(0));
    }
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
  torch::Tensor group;            // [n_groups + 1, d], defined with share=GROUP
  torch::Tensor item_group_rows;  // [n_items + 1] long: each item row's group row
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
      share_(spec.get_string("share")),
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

torch::Tensor SasRec::gather_item_vectors(const torch::Tensor& index) const { return net_->module->gather(index); }

std::vector<torch::Tensor> SasRec::lazy_tables() {
  std::vector<torch::Tensor> tables{net_->module->item};
  if (net_->module->group.defined()) tables.push_back(net_->module->group);
  return tables;
}

void SasRec::begin_fit(const FeedbackMatrix& train, const FitContext& context) {
  SequenceModel::begin_fit(train, context);
  item_group_.clear();
  n_groups_ = 0;
  if (share_ == "none") return;
  const FeatureMatrix* features = context.item_features;
  if (features == nullptr)
    throw UsageError("sasrec: share=" + share_ + " needs item features (--items ITEMS.csv with a '" + share_ +
                     "' column)");
  const auto at = std::find(features->groups.begin(), features->groups.end(), share_);
  if (at == features->groups.end()) {
    std::string known;
    for (const auto& g : features->groups) known += (known.empty() ? "" : ", ") + g;
    throw UsageError("sasrec: share=" + share_ + ": the item features have no '" + share_ + "' group (they have: " +
                     (known.empty() ? "none" : known) + ")");
  }
  const auto group = static_cast<std::int16_t>(at - features->groups.begin());
  // An item's first feature of the group (an artist column gives one) -> a dense 1-based id.
  std::vector<std::int32_t> id_of(static_cast<std::size_t>(features->n_features), 0);
  item_group_.assign(static_cast<std::size_t>(train.n_items), 0);
  for (std::int32_t i = 0; i < train.n_items && i < features->n_rows; ++i)
    for (const std::int32_t f : features->row_indices(i))
      if (features->group_of[static_cast<std::size_t>(f)] == group) {
        std::int32_t& id = id_of[static_cast<std::size_t>(f)];
        if (id == 0) id = ++n_groups_;
        item_group_[static_cast<std::size_t>(i)] = id;
        break;
      }
  set_fit_stat("share_groups", n_groups_);
}

void SasRec::save_extra(ModelWriter& out) const {
  SequenceModel::save_extra(out);
  if (n_groups_ == 0) return;
  out.put_scalar<std::int32_t>("sasrec.share.groups", n_groups_);
  out.put("sasrec.share.item_group", item_group_);
}

void SasRec::load_shape(const ModelReader& in) {
  item_group_.clear();
  n_groups_ = 0;
  if (!in.has("sasrec.share.groups")) return;
  n_groups_ = in.get_scalar<std::int32_t>("sasrec.share.groups");
  if (n_groups_ < 1 || n_groups_ > (1 << 30)) in.fail("sasrec.share.groups", "not a group count");
  item_group_ = in.get<std::int32_t>("sasrec.share.item_group", static_cast<std::uint64_t>(n_items()));
  for (const std::int32_t g : item_group_)
    if (g < 0 || g > n_groups_) in.fail("sasrec.share.item_group", "a group id is out of range");
}

void SasRec::load_extra(const ModelReader& in) { SequenceModel::load_extra(in); }

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
  params.push_back(string_param("share", "none",
                                "an --items feature group (artist, album, ...) whose embedding each item adds to its "
                                "own, in and out: a rare track learns from its artist's plays; none = items alone"));
  return {"sasrec", "SASRec: causal self-attention over the recent item sequence (Kang & McAuley 2018)",
          std::move(params),
          [](const ModelSpec& spec) -> std::unique_ptr<Recommender> { return std::make_unique<SasRec>(spec); },
          "learning_rate=0.0003:0.003:log,dropout=0.1:0.6,embedding=32|64|128,max_len=20|50|100"};
}

}  // namespace segue
