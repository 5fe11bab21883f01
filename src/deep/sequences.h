// Item sequences for segue's sequence models (sasrec, gru4rec), and the
// machinery they share (SequenceModel): building each user's training
// sequence from the events, the leave-last validation carve, padded batches,
// the next-item losses, and scoring from an ordered history. docs/DEEP.md.
//
// A user's sequence holds the training events whose (user, item) pair is a
// training positive, oldest first: ordered by position when the data has
// positions (playlists: position first, then timestamp), else by timestamp,
// else in event (import) order; ties keep event order. Events with a negative
// signal (skips) are left out of the input sequence (counted in the fit stat
// `sequence_skips`) and kept apart, in order, as the user's skipped items:
// with skip_negatives=1 the sampled losses add the skipped items of a batch's
// users to its candidates, so a skipped track is pushed below what was played. A repeated (user, item) event
// appears as often as it was played. Without FitContext::dataset (a plain
// FeedbackMatrix) the sequence is the user's positives in item-id order, and
// the fit stat `sequence_item_id_order` is 1. Models keep the most recent
// max_len items (truncate()).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "deep/torch_model.h"
#include "util/rng.h"

namespace segue {

// Sequences in CSR by user, oldest item first.
struct Sequences {
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> items;

  std::int32_t n_rows() const { return static_cast<std::int32_t>(indptr.size()) - 1; }
  std::int64_t length(std::int32_t row) const { return indptr[row + 1] - indptr[row]; }
  std::span<const std::int32_t> of(std::int32_t row) const {
    return {items.data() + indptr[row], static_cast<std::size_t>(length(row))};
  }
  void append(std::span<const std::int32_t> row) {
    items.insert(items.end(), row.begin(), row.end());
    indptr.push_back(static_cast<std::int64_t>(items.size()));
  }
};

enum class SequenceOrder { kPosition, kTimestamp, kEventOrder, kItemId };
const char* to_string(SequenceOrder order);

struct SequenceData {
  Sequences sequences;  // one row per user of the feedback
  SequenceOrder order = SequenceOrder::kItemId;
  std::int64_t skips = 0;  // negative-signal training events left out
  Sequences skipped;       // one row per user: the items of those events, oldest first
};

// The users' training sequences (see the file comment). The dataset's ids must
// be the feedback's (FitContext); when they are not, or there is no dataset,
// the item-id order fallback is used.
SequenceData build_sequences(const FeedbackMatrix& train, const FitContext& context);

// The last (most recent) max_len items of each row.
Sequences truncate(const Sequences& sequences, std::int32_t max_len);

// Training windows (row, end): the window is the row's items
// [max(0, end - max_len - 1), end), max_len + 1 items at most, whose inputs are
// all but its last item and whose targets all but its first. With `all`, ends
// step back from the row's length by max_len while a window has 2 items, so
// every item after a row's first is a target exactly once; else only the
// most recent window of each row with at least 2 items.
std::vector<std::pair<std::int32_t, std::int64_t>> training_windows(const Sequences& sequences, std::int32_t max_len,
                                                                    bool all);

// Each row restricted to the items that are positives of `train` (the
// sequences a holdout's training part leaves: hidden last items drop out).
Sequences restrict_to(const Sequences& sequences, const FeedbackMatrix& train);

// Leave-last validation: a seeded sample of at most max_users users (share of
// the eligible users: those with at least 3 items whose last item occurs once
// in the sequence) has its last item hidden: removed from the training
// positives and made the validation target.
Holdout leave_last_holdout(const Sequences& sequences, const FeedbackMatrix& train, double share,
                           std::int32_t max_users, std::uint64_t seed);

// share=GROUP inside a network (sasrec, gru4rec): a [n_groups + 1, d] table
// (row 0 zero: padding and items without a group) whose row each item adds to
// its own vector, at the input and at the output. Undefined `table` = no sharing.
struct SharedGroups {
  torch::Tensor table;  // registered as the module's "group" parameter
  torch::Tensor rows;   // [n_items + 1] long: item row -> group row

  // Registers the table on `module` when n_groups > 0 (N(0, 0.02), row 0 zero);
  // item_group[i] is item i's group, 1-based, 0 = none.
  void init(torch::nn::Module& module, std::int64_t n_items, std::int64_t d,
            const std::vector<std::int32_t>& item_group, std::int32_t n_groups);
  bool on() const { return table.defined(); }
  // The whole item table with every row's group added ([n_items + 1, d]).
  torch::Tensor add_to(const torch::Tensor& items) const;
  // The group vectors of item rows `ids` (any shape) -> ids.shape + [d].
  torch::Tensor of(const torch::Tensor& ids, bool sparse) const;
  // Rows `index` of add_to(items), each table gathered with a sparse gradient
  // (the sampled losses: the optimiser then touches only those rows).
  torch::Tensor gather(const torch::Tensor& items, const torch::Tensor& index) const;
};

// The parameters both sequence models declare, besides deep_common_params.
struct SequenceDefaults {
  DeepDefaults deep;
  std::int64_t max_len = 50;
  std::string loss = "sampled";
  std::int64_t negatives = 512;
  double dropout = 0.2;
  bool all_windows = true;
  bool logq = true;
  bool skip_negatives = true;
};
std::vector<ParamDecl> sequence_params(const SequenceDefaults& defaults);

// A next-item model over padded item sequences. Subclasses supply the network
// (encode: [B, L] item ids + 1, 0 = padding -> [B, L, d] hidden states) and the
// output item vectors; this class does the rest. Training: windows of at most
// max_len + 1 consecutive items (all_windows=1: every window, cut back from the
// most recent item, so that every item after a user's first is a target once;
// all_windows=0: only each user's last window), next-item prediction at every
// position, batches of batch_size windows, shuffled each epoch. Losses (param loss):
//   ce       softmax cross-entropy over the whole catalogue ([positions x items] logits: memory!)
//   sampled  softmax cross-entropy over the batch's target items plus `negatives` uniform samples;
//            logq=1 subtracts from each candidate's logit the log of its expected
//            count among the candidates (Jean et al. 2015; Yi et al. 2019), so
//            popular items are not penalised for being in-batch negatives more often
//   bce      the SASRec paper's: sigmoid on the target and one uniform negative per position
//   bpr-max  GRU4Rec's (Hidasi & Karatzoglou 2018) over the same candidates as sampled, + bpreg
// Scoring: the hidden state at the last item dotted with every item vector.
// An empty sequence (a user without positives, an empty or all-non-positive
// history) is scored by item popularity (training users per item): no
// all-zero rows.
class SequenceModel : public TorchModel {
 public:
  SequenceModel(const ModelSpec& spec, bool left_padded);

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;

  // Inner-product form: the output item vectors (and gru4rec's bias); a
  // user's or a history's query is the hidden state at its last item.
  bool user_query(std::int32_t user, std::span<float> out) const override;
  bool history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                     std::span<float> out) const override;
  // A known user's row is their sequence, oldest first (weights 1): the server
  // appends what they just played to it.
  void history_row(std::int32_t user, std::vector<std::int32_t>& items, std::vector<float>& weights) const override;
  bool sequential_history() const override { return true; }

  std::int32_t max_len() const { return max_len_; }
  // The sequences scoring reads (after fit: the truncated training sequences).
  const Sequences& sequences() const { return input_; }

 protected:
  // [B, L] long (item + 1, 0 = padding) -> [B, L, d]. Left-padded input has
  // its last item at L - 1; right-padded at length - 1.
  virtual torch::Tensor encode(const torch::Tensor& input) const = 0;
  // [n_items + 1, d] output item vectors (row 0: padding) and an optional
  // [n_items + 1] bias (undefined tensor = none).
  virtual torch::Tensor item_vectors() const = 0;
  // The rows `index` [C] of item_vectors() as [C, d] with a sparse gradient
  // (the sampled losses: the optimiser then touches only those rows). A model
  // whose item vectors are sums of tables gathers each table sparsely.
  virtual torch::Tensor gather_item_vectors(const torch::Tensor& index) const;
  virtual torch::Tensor item_bias() const { return {}; }

  void begin_fit(const FeedbackMatrix& train, const FitContext& context) override;
  std::vector<torch::Tensor> lazy_tables() override;
  Holdout make_holdout(const FeedbackMatrix& train, std::uint64_t seed) const override;
  void prepare(const FeedbackMatrix& train, const FitContext& context) override;
  double train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) override;
  void finish(const FeedbackMatrix& train, const FitContext& context) override;
  void save_extra(ModelWriter& out) const override;
  void load_extra(const ModelReader& in) override;
  torch::Tensor output_item_vectors() const override;
  torch::Tensor output_item_bias() const override;

  // The loss of next-item predictions `hidden` [positions, d] for `targets`.
  // `extra_negatives` (skipped items) join the candidates of the sampled losses.
  torch::Tensor loss(const torch::Tensor& hidden, const std::vector<std::int64_t>& targets, Rng& rng,
                     std::span<const std::int32_t> extra_negatives = {});
  // The most recent skipped items (at most 2 max_len per row) of these rows, appended to *out.
  void skipped_items(std::span<const std::int32_t> rows, std::vector<std::int32_t>* out) const;

  // share=GROUP (sequence_params): each item's group (1-based; 0 = none) in that
  // --items feature group, set by begin_fit or read by load_shape before build.
  std::string share_;
  std::vector<std::int32_t> item_group_;
  std::int32_t n_groups_ = 0;
  void load_shape(const ModelReader& in) override;

  std::int32_t max_len_;
  std::string loss_;
  std::int32_t negatives_;
  double dropout_;
  double bpreg_;
  bool all_windows_;
  bool logq_;
  bool skip_negatives_;

 private:
  // Padded [rows, L] input of the given sequences (each truncated to its last
  // max_len items); *last gets each row's last position.
  torch::Tensor pad(const std::vector<std::span<const std::int32_t>>& rows, std::vector<std::int64_t>* last) const;
  void compute_popularity();
  // The items of a history with a positive weight, in order.
  static std::vector<std::int32_t> played(std::span<const std::int32_t> items, std::span<const float> weights);
  // The encoder's hidden state [d] at the last item of a non-empty row.
  torch::Tensor hidden_state(std::span<const std::int32_t> row) const;

  bool left_padded_;
  Sequences full_;     // the whole training sequences (fit only)
  Sequences skipped_;  // each user's skipped items (fit only)
  Sequences input_;  // what scoring reads: the prefixes while training, then the truncated sequences
  std::vector<float> popularity_;
  std::vector<std::int32_t> column_of_;  // scratch for the sampled losses
  std::vector<float> target_share_;     // each item's share of the training targets (logq)
};

}  // namespace segue
