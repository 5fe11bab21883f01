// gru4rec: session-based recommendation with recurrent networks (Balázs
// Hidasi, Alexandros Karatzoglou, Linas Baltrunas, Domonkos Tikk, ICLR 2016)
// with the BPR-max loss and shared ("constrained") item embeddings of Hidasi &
// Karatzoglou, "Recurrent Neural Networks with Top-k Gains for Session-based
// Recommendations", CIKM 2018.
//
// Network: item embedding (size `embedding`) -> dropout -> GRU (`layers`
// layers, hidden size = embedding) -> dropout; the score of item j after a
// prefix is h . E_j + b_j with the same embedding E as the input (the 2018
// paper's constrained embedding) and an item bias b.
//
// Batches: padded sequence batches, not the paper's session-parallel
// mini-batches: each user's last max_len + 1 items form one row, right-padded
// (the GRU starts from a zero state at each sequence's first item, so padding
// never reaches a real position), next-item targets at every position. The
// default loss is bpr-max over the batch's target items plus `negatives`
// uniform samples (the paper's in-batch + additional samples), bpreg 1;
// loss=sampled is softmax cross-entropy over the same candidates.
#include "deep/gru4rec.h"

namespace segue {

namespace {

struct Gru4RecNetImpl : torch::nn::Module {
  Gru4RecNetImpl(std::int64_t n_items, std::int64_t d, std::int64_t layers, double dropout) : dropout(dropout) {
    item = register_parameter("item", torch::empty({n_items + 1, d}));
    bias = register_parameter("bias", torch::zeros({n_items + 1}));
    gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(d, d).num_layers(layers).batch_first(true)));
    torch::NoGradGuard no_grad;
    item.normal_(0.0, 0.02);
    item[0].zero_();
  }

  torch::Tensor forward(const torch::Tensor& input) {
    namespace F = torch::nn::functional;
    auto x = F::embedding(input, item, F::EmbeddingFuncOptions().padding_idx(0));
    x = F::dropout(x, F::DropoutFuncOptions().p(dropout).training(is_training()));
    auto out = std::get<0>(gru->forward(x));
    return F::dropout(out, F::DropoutFuncOptions().p(dropout).training(is_training()));
  }

  double dropout;
  torch::Tensor item, bias;
  torch::nn::GRU gru{nullptr};
};
TORCH_MODULE(Gru4RecNet);

}  // namespace

struct Gru4Rec::Net {
  Gru4RecNet module{nullptr};
};

Gru4Rec::Gru4Rec(const ModelSpec& spec)
    : SequenceModel(spec, /*left_padded=*/false),
      layers_(static_cast<std::int32_t>(spec.get_int("layers"))),
      net_(std::make_unique<Net>()) {}

Gru4Rec::~Gru4Rec() = default;

void Gru4Rec::build(std::int32_t, std::int32_t n_items) {
  net_->module = Gru4RecNet(n_items, embedding_, layers_, dropout_);
}

torch::nn::Module& Gru4Rec::module() { return *net_->module; }

torch::Tensor Gru4Rec::encode(const torch::Tensor& input) const { return net_->module->forward(input); }

torch::Tensor Gru4Rec::item_vectors() const { return net_->module->item; }

torch::Tensor Gru4Rec::item_bias() const { return net_->module->bias; }

ModelInfo gru4rec_info() {
  SequenceDefaults defaults;
  defaults.deep.epochs = 200;
  defaults.deep.batch_size = 128;
  defaults.deep.patience = 5;
  defaults.deep.embedding = 64;
  defaults.deep.validation = 0.5;
  defaults.loss = "bpr-max";
  std::vector<ParamDecl> params = sequence_params(defaults);
  params.push_back(int_param("layers", 1, 1, 16, "GRU layers"));
  return {"gru4rec", "GRU4Rec: a GRU over the recent item sequence, BPR-max loss (Hidasi et al. 2016, 2018)",
          std::move(params),
          [](const ModelSpec& spec) -> std::unique_ptr<Recommender> { return std::make_unique<Gru4Rec>(spec); },
          "learning_rate=0.0003:0.01:log,dropout=0:0.5,embedding=32|64|128,bpreg=0:2"};
}

}  // namespace segue
