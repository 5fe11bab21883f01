#include "deep/sequences.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/error.h"
#include "features/feature_matrix.h"
#include "io/model_file.h"

namespace segue {

const char* to_string(SequenceOrder order) {
  switch (order) {
    case SequenceOrder::kPosition: return "position";
    case SequenceOrder::kTimestamp: return "timestamp";
    case SequenceOrder::kEventOrder: return "event order";
    case SequenceOrder::kItemId: return "item id";
  }
  return "?";
}

namespace {

// A copy of `values` on `device` (torch::from_blob(...).to(kCPU) would keep
// pointing at the vector, which autograd may read after it is gone).
torch::Tensor long_tensor(const std::vector<std::int64_t>& values, torch::Device device, std::vector<std::int64_t> shape = {}) {
  if (shape.empty()) shape = {static_cast<std::int64_t>(values.size())};
  return torch::from_blob(const_cast<std::int64_t*>(values.data()), shape, torch::kLong).clone().to(device);
}

bool is_positive(const FeedbackMatrix& train, std::int32_t user, std::int32_t item) {
  const auto items = train.items_of(user);
  return std::binary_search(items.begin(), items.end(), item);
}

SequenceData item_id_order(const FeedbackMatrix& train) {
  SequenceData out;
  out.order = SequenceOrder::kItemId;
  for (std::int32_t u = 0; u < train.n_users; ++u) {
    out.sequences.append(train.items_of(u));
    out.skipped.append({});
  }
  return out;
}

}  // namespace

SequenceData build_sequences(const FeedbackMatrix& train, const FitContext& context) {
  const Dataset* data = context.dataset;
  if (data == nullptr || data->interactions.n_users != train.n_users || data->interactions.n_items != train.n_items)
    return item_id_order(train);
  const Interactions& x = data->interactions;
  std::vector<char> in_train;
  if (context.events != nullptr) {
    in_train.assign(static_cast<std::size_t>(x.size()), 0);
    for (std::int64_t e : *context.events)
      if (e >= 0 && e < x.size()) in_train[static_cast<std::size_t>(e)] = 1;
  }
  const bool by_position = !x.positions.empty();
  const bool by_time = !x.timestamps.empty();
  SequenceData out;
  out.order = by_position ? SequenceOrder::kPosition : by_time ? SequenceOrder::kTimestamp : SequenceOrder::kEventOrder;
  std::vector<std::int64_t> events, skips;
  std::vector<std::int32_t> row;
  const auto in_order = [&](std::int64_t a, std::int64_t b) {
    if (by_position && x.positions[a] != x.positions[b]) return x.positions[a] < x.positions[b];
    if (by_time && x.timestamps[a] != x.timestamps[b]) return x.timestamps[a] < x.timestamps[b];
    return false;
  };
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    events.clear();
    skips.clear();
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      if (!in_train.empty() && !in_train[static_cast<std::size_t>(e)]) continue;
      const std::int16_t code = x.event(e);
      const float signal = code >= 0 && static_cast<std::size_t>(code) < data->event_signal.size()
                               ? data->event_signal[static_cast<std::size_t>(code)] * x.weight(e)
                               : 0.0f;
      if (signal < 0) {
        ++out.skips;
        skips.push_back(e);
        continue;
      }
      if (signal > 0 && is_positive(train, u, x.items[e])) events.push_back(e);
    }
    std::stable_sort(events.begin(), events.end(), in_order);
    row.clear();
    for (std::int64_t e : events) row.push_back(x.items[e]);
    out.sequences.append(row);
    std::stable_sort(skips.begin(), skips.end(), in_order);
    row.clear();
    for (std::int64_t e : skips) row.push_back(x.items[e]);
    out.skipped.append(row);
  }
  return out;
}

Sequences truncate(const Sequences& sequences, std::int32_t max_len) {
  Sequences out;
  for (std::int32_t r = 0; r < sequences.n_rows(); ++r) {
    auto row = sequences.of(r);
    if (row.size() > static_cast<std::size_t>(max_len)) row = row.last(static_cast<std::size_t>(max_len));
    out.append(row);
  }
  return out;
}

std::vector<std::pair<std::int32_t, std::int64_t>> training_windows(const Sequences& sequences, std::int32_t max_len,
                                                                    bool all) {
  std::vector<std::pair<std::int32_t, std::int64_t>> windows;
  for (std::int32_t r = 0; r < sequences.n_rows(); ++r) {
    for (std::int64_t end = sequences.length(r); end >= 2; end -= max_len) {
      windows.emplace_back(r, end);
      if (!all) break;
    }
  }
  return windows;
}

Sequences restrict_to(const Sequences& sequences, const FeedbackMatrix& train) {
  Sequences out;
  std::vector<std::int32_t> row;
  for (std::int32_t r = 0; r < sequences.n_rows(); ++r) {
    row.clear();
    for (std::int32_t item : sequences.of(r))
      if (r < train.n_users && is_positive(train, r, item)) row.push_back(item);
    out.append(row);
  }
  return out;
}

Holdout leave_last_holdout(const Sequences& sequences, const FeedbackMatrix& train, double share,
                           std::int32_t max_users, std::uint64_t seed) {
  std::vector<std::int32_t> eligible;
  for (std::int32_t u = 0; u < sequences.n_rows() && u < train.n_users; ++u) {
    const auto row = sequences.of(u);
    if (row.size() < 3) continue;
    if (std::count(row.begin(), row.end(), row.back()) == 1) eligible.push_back(u);
  }
  Rng rng(seed ^ 0x5eed1a57ull);
  for (std::size_t i = eligible.size(); i > 1; --i) std::swap(eligible[i - 1], eligible[rng.below(i)]);
  auto wanted = static_cast<std::size_t>(std::llround(share * static_cast<double>(eligible.size())));
  wanted = std::min({eligible.size(), std::max<std::size_t>(wanted, 1), static_cast<std::size_t>(max_users)});
  eligible.resize(wanted);
  std::sort(eligible.begin(), eligible.end());

  Holdout h;
  h.train.n_users = train.n_users;
  h.train.n_items = train.n_items;
  h.train.negatives = train.negatives;
  h.train.indptr.assign(1, 0);
  std::size_t next = 0;
  for (std::int32_t u = 0; u < train.n_users; ++u) {
    std::int32_t hidden = -1;
    if (next < eligible.size() && eligible[next] == u) {
      hidden = sequences.of(u).back();
      h.users.push_back(u);
      h.targets.push_back({hidden});
      ++next;
    }
    const auto items = train.items_of(u);
    const auto values = train.values_of(u);
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i] != hidden) {
        h.train.indices.push_back(items[i]);
        h.train.values.push_back(values[i]);
      }
    h.train.indptr.push_back(static_cast<std::int64_t>(h.train.indices.size()));
  }
  return h;
}

std::vector<ParamDecl> sequence_params(const SequenceDefaults& d) {
  std::vector<ParamDecl> params = deep_common_params(d.deep);
  for (ParamDecl& p : params) {
    if (p.name == "validation")
      p.doc = "share of the users (at most max_validation_users) whose last training item is held out for early "
              "stopping (0 = none)";
    if (p.name == "batch_size") p.doc = "sequences per batch";
  }
  params.push_back(int_param("max_len", d.max_len, 1, 100000,
                             "most recent items kept per sequence (training, scoring and fold-in)"));
  params.push_back(string_param("loss", d.loss,
                                "ce (full catalogue softmax), sampled (softmax over in-batch targets + negatives), "
                                "bce (one negative per position) or bpr-max"));
  params.push_back(int_param("negatives", d.negatives, 0, 1 << 24,
                             "uniform negatives per batch added to the in-batch targets (sampled, bpr-max)"));
  params.push_back(float_param("dropout", d.dropout, 0, 0.95, "dropout rate"));
  params.push_back(float_param("bpreg", 1.0, 0, 1000, "bpr-max score regularisation"));
  params.push_back(bool_param("all_windows", d.all_windows,
                              "train on every max_len + 1 window of long sequences (0: only the most recent one)"));
  params.push_back(bool_param("skip_negatives", d.skip_negatives,
                              "sampled/bpr-max: the skipped items of a batch's users join its candidates as negatives"));
  params.push_back(bool_param("logq", d.logq,
                              "sampled: subtract from each logit the log of the candidate's expected count among the candidates"));
  params.push_back(string_param("share", "auto",
                                "an --items feature group (artist, album, ...) whose embedding each item adds to its "
                                "own, in and out: a rare track learns from its artist's plays; none = items alone; "
                                "auto = artist when the item features have it, else none"));
  return params;
}

void SharedGroups::init(torch::nn::Module& module, std::int64_t n_items, std::int64_t d,
                        const std::vector<std::int32_t>& item_group, std::int32_t n_groups) {
  table = torch::Tensor();
  rows = torch::Tensor();
  if (n_groups <= 0) return;
  table = module.register_parameter("group", torch::empty({n_groups + 1, d}));
  std::vector<std::int64_t> of(static_cast<std::size_t>(n_items) + 1, 0);
  for (std::size_t i = 0; i < item_group.size() && i < static_cast<std::size_t>(n_items); ++i) of[i + 1] = item_group[i];
  rows = torch::tensor(of, torch::kLong);
  torch::NoGradGuard no_grad;
  table.normal_(0.0, 0.02);
  table[0].zero_();
}

torch::Tensor SharedGroups::add_to(const torch::Tensor& items) const {
  if (!on()) return items;
  return items + table.index_select(0, rows.to(items.device()));
}

torch::Tensor SharedGroups::gather(const torch::Tensor& items, const torch::Tensor& index) const {
  namespace F = torch::nn::functional;
  auto rows = F::embedding(index, items, F::EmbeddingFuncOptions().sparse(true));
  return on() ? rows + of(index, /*sparse=*/true) : rows;
}

torch::Tensor SharedGroups::of(const torch::Tensor& ids, bool sparse) const {
  namespace F = torch::nn::functional;
  const auto groups = rows.to(ids.device()).index_select(0, ids.reshape({-1})).view_as(ids);
  return F::embedding(groups, table, F::EmbeddingFuncOptions().padding_idx(0).sparse(sparse));
}

SequenceModel::SequenceModel(const ModelSpec& spec, bool left_padded)
    : TorchModel(spec),
      max_len_(static_cast<std::int32_t>(spec.get_int("max_len"))),
      loss_(spec.get_string("loss")),
      negatives_(static_cast<std::int32_t>(spec.get_int("negatives"))),
      dropout_(spec.get_float("dropout")),
      bpreg_(spec.get_float("bpreg")),
      all_windows_(spec.get_bool("all_windows")),
      logq_(spec.get_bool("logq")),
      skip_negatives_(spec.get_bool("skip_negatives")),
      left_padded_(left_padded) {
  share_ = spec.get_string("share");
  if (loss_ != "ce" && loss_ != "sampled" && loss_ != "bce" && loss_ != "bpr-max")
    throw UsageError("loss: expected ce, sampled, bce or bpr-max, got '" + loss_ + "'");
}

void SequenceModel::begin_fit(const FeedbackMatrix& train, const FitContext& context) {
  SequenceData data = build_sequences(train, context);
  full_ = std::move(data.sequences);
  skipped_ = std::move(data.skipped);
  if (data.order == SequenceOrder::kItemId) set_fit_stat("sequence_item_id_order", 1);
  if (data.skips > 0) set_fit_stat("sequence_skips", static_cast<double>(data.skips));

  item_group_.clear();
  n_groups_ = 0;
  const FeatureMatrix* features = context.item_features;
  std::string share = share_;
  if (share == "auto") {
    // The artist when the item features name one (chosen on validation: docs/BENCHMARKS.md), else items alone.
    const bool artists = features != nullptr &&
                         std::find(features->groups.begin(), features->groups.end(), "artist") != features->groups.end();
    share = artists ? "artist" : "none";
  }
  if (share == "none") return;
  if (features == nullptr)
    throw UsageError(name() + ": share=" + share + " needs item features (--items ITEMS.csv with a '" + share +
                     "' column)");
  const auto at = std::find(features->groups.begin(), features->groups.end(), share);
  if (at == features->groups.end()) {
    std::string known;
    for (const auto& g : features->groups) known += (known.empty() ? "" : ", ") + g;
    throw UsageError(name() + ": share=" + share + ": the item features have no '" + share + "' group (they have: " +
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
  const auto grouped = std::count_if(item_group_.begin(), item_group_.end(), [](std::int32_t g) { return g > 0; });
  if (share_ == "auto" && static_cast<double>(n_groups_) > 0.9 * static_cast<double>(grouped)) {
    // Auto and nearly every item its own artist (Last.fm's artists as items): nothing to share.
    item_group_.clear();
    n_groups_ = 0;
    return;
  }
  set_fit_stat("share_groups", n_groups_);
}

void SequenceModel::load_shape(const ModelReader& in) {
  item_group_.clear();
  n_groups_ = 0;
  const std::string groups = name() + ".share.groups", items = name() + ".share.item_group";
  if (!in.has(groups)) return;
  n_groups_ = in.get_scalar<std::int32_t>(groups);
  if (n_groups_ < 1 || n_groups_ > (1 << 30)) in.fail(groups, "not a group count");
  item_group_ = in.get<std::int32_t>(items, static_cast<std::uint64_t>(n_items()));
  for (const std::int32_t g : item_group_)
    if (g < 0 || g > n_groups_) in.fail(items, "a group id is out of range");
}

torch::Tensor SequenceModel::gather_item_vectors(const torch::Tensor& index) const {
  namespace F = torch::nn::functional;
  return F::embedding(index, item_vectors(), F::EmbeddingFuncOptions().sparse(true));
}

std::vector<torch::Tensor> SequenceModel::lazy_tables() {
  std::vector<torch::Tensor> tables{item_vectors()};
  if (const torch::Tensor bias = item_bias(); bias.defined()) tables.push_back(bias);
  return tables;
}

Holdout SequenceModel::make_holdout(const FeedbackMatrix& train, std::uint64_t seed) const {
  return leave_last_holdout(full_, train, validation_share_, max_validation_users_, seed);
}

void SequenceModel::prepare(const FeedbackMatrix& train, const FitContext&) {
  input_ = restrict_to(full_, train);
  compute_popularity();
  column_of_.assign(static_cast<std::size_t>(train.n_items), -1);
  // Every item after a row's first is a target once (all windows) or, with
  // the last window only, about as often; the share is what matters.
  target_share_.assign(static_cast<std::size_t>(train.n_items), 0.0f);
  double targets = 0;
  for (const auto& [row, end] : training_windows(input_, max_len_, all_windows_)) {
    auto items = input_.of(row).first(static_cast<std::size_t>(end));
    const std::size_t begin = items.size() > static_cast<std::size_t>(max_len_) + 1 ? items.size() - max_len_ - 1 : 0;
    for (std::size_t j = begin + 1; j < items.size(); ++j, ++targets) target_share_[static_cast<std::size_t>(items[j])] += 1;
  }
  if (targets > 0)
    for (float& share : target_share_) share = static_cast<float>(share / targets);
}


void SequenceModel::finish(const FeedbackMatrix&, const FitContext&) {
  input_ = truncate(full_, max_len_);
  full_ = Sequences{};
  skipped_ = Sequences{};
  compute_popularity();
}

void SequenceModel::compute_popularity() {
  popularity_.assign(static_cast<std::size_t>(n_items()), 0.0f);
  for (std::int32_t item : history().indices) popularity_[static_cast<std::size_t>(item)] += 1.0f;
}

void SequenceModel::save_extra(ModelWriter& out) const {
  out.put(name() + ".sequence.indptr", input_.indptr);
  out.put(name() + ".sequence.items", input_.items);
  if (n_groups_ > 0) {
    out.put_scalar<std::int32_t>(name() + ".share.groups", n_groups_);
    out.put(name() + ".share.item_group", item_group_);
  }
}

void SequenceModel::load_extra(const ModelReader& in) {
  const std::string indptr_name = name() + ".sequence.indptr", items_name = name() + ".sequence.items";
  Sequences s;
  s.indptr = in.get<std::int64_t>(indptr_name, static_cast<std::uint64_t>(n_users()) + 1);
  s.items = in.get<std::int32_t>(items_name);
  if (s.indptr.front() != 0 || s.indptr.back() != static_cast<std::int64_t>(s.items.size()))
    in.fail(indptr_name, "offsets do not match the items");
  for (std::size_t i = 1; i < s.indptr.size(); ++i)
    if (s.indptr[i] < s.indptr[i - 1] || s.indptr[i] - s.indptr[i - 1] > max_len_)
      in.fail(indptr_name, "offsets decrease or a sequence is longer than max_len");
  for (std::int32_t item : s.items)
    if (item < 0 || item >= n_items()) in.fail(items_name, "item id out of range");
  input_ = std::move(s);
  compute_popularity();
}

torch::Tensor SequenceModel::pad(const std::vector<std::span<const std::int32_t>>& rows,
                                 std::vector<std::int64_t>* last) const {
  std::size_t width = 1;
  for (const auto& row : rows) width = std::max(width, std::min(row.size(), static_cast<std::size_t>(max_len_)));
  std::vector<std::int64_t> ids(rows.size() * width, 0);
  if (last != nullptr) last->assign(rows.size(), 0);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    auto row = rows[r];
    if (row.size() > static_cast<std::size_t>(max_len_)) row = row.last(static_cast<std::size_t>(max_len_));
    const std::size_t offset = left_padded_ ? width - row.size() : 0;
    for (std::size_t j = 0; j < row.size(); ++j) ids[r * width + offset + j] = row[j] + 1;
    if (last != nullptr) (*last)[r] = left_padded_ ? static_cast<std::int64_t>(width) - 1
                                                   : std::max<std::int64_t>(0, static_cast<std::int64_t>(row.size()) - 1);
  }
  return torch::from_blob(ids.data(), {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(width)},
                          torch::kLong)
      .clone();
}

void SequenceModel::skipped_items(std::span<const std::int32_t> rows, std::vector<std::int32_t>* out) const {
  if (!skip_negatives_) return;
  for (std::int32_t r : rows) {
    if (r >= skipped_.n_rows()) continue;
    auto items = skipped_.of(r);
    const std::size_t most = 2 * static_cast<std::size_t>(max_len_);
    if (items.size() > most) items = items.last(most);
    out->insert(out->end(), items.begin(), items.end());
  }
}

torch::Tensor SequenceModel::loss(const torch::Tensor& hidden, const std::vector<std::int64_t>& targets, Rng& rng,
                                  std::span<const std::int32_t> extra_negatives) {
  namespace F = torch::nn::functional;
  const torch::Tensor bias = item_bias();
  const auto n_positions = static_cast<std::int64_t>(targets.size());
  // The whole table for ce and bce; the sampled losses gather their rows.
  const torch::Tensor vectors = loss_ == "ce" || loss_ == "bce" ? item_vectors() : torch::Tensor();
  if (loss_ == "ce") {
    auto logits = torch::matmul(hidden, vectors.narrow(0, 1, n_items()).t());
    if (bias.defined()) logits = logits + bias.narrow(0, 1, n_items());
    auto target = long_tensor(targets, device_);
    return F::cross_entropy(logits, target);
  }
  if (loss_ == "bce") {
    std::vector<std::int64_t> pairs(2 * targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
      pairs[2 * i] = targets[i] + 1;
      std::int64_t negative = rng.below(static_cast<std::uint64_t>(n_items()));
      if (negative == targets[i]) negative = (negative + 1) % n_items();
      pairs[2 * i + 1] = negative + 1;
    }
    auto index = long_tensor(pairs, device_, {n_positions, 2});
    auto candidate = vectors.index_select(0, index.reshape({-1})).reshape({n_positions, 2, -1});
    auto logits = (candidate * hidden.unsqueeze(1)).sum(-1);
    if (bias.defined()) logits = logits + bias.index_select(0, index.reshape({-1})).reshape({n_positions, 2});
    auto labels = torch::zeros({n_positions, 2}, logits.options());
    labels.select(1, 0).fill_(1.0f);
    return F::binary_cross_entropy_with_logits(logits, labels,
                                               F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum)) /
           static_cast<double>(n_positions);
  }
  // sampled / bpr-max: the candidates are the batch's targets plus uniform negatives.
  std::vector<std::int64_t> candidates;
  std::vector<std::int64_t> target_column(targets.size());
  auto add = [&](std::int64_t item) {
    auto& column = column_of_[static_cast<std::size_t>(item)];
    if (column < 0) {
      column = static_cast<std::int32_t>(candidates.size());
      candidates.push_back(item);
    }
    return column;
  };
  for (std::size_t i = 0; i < targets.size(); ++i) target_column[i] = add(targets[i]);
  for (std::int32_t item : extra_negatives) add(item);
  for (std::int32_t i = 0; i < negatives_; ++i) add(rng.below(static_cast<std::uint64_t>(n_items())));
  for (std::int64_t item : candidates) column_of_[static_cast<std::size_t>(item)] = -1;
  for (auto& item : candidates) ++item;  // padding row 0
  auto index = long_tensor(candidates, device_);
  // A sparse gradient: the optimiser then touches only the candidates' rows.
  auto logits = torch::matmul(hidden, gather_item_vectors(index).t());
  if (bias.defined()) logits = logits + bias.index_select(0, index);
  if (logq_ && loss_ == "sampled") {
    // Expected count of item j among the candidates: n_positions targets drawn
    // ~ target share, plus `negatives` uniform draws.
    std::vector<float> log_count(candidates.size());
    const double uniform = static_cast<double>(negatives_) / static_cast<double>(n_items());
    for (std::size_t c = 0; c < candidates.size(); ++c)
      log_count[c] = static_cast<float>(std::log(
          static_cast<double>(n_positions) * target_share_[static_cast<std::size_t>(candidates[c] - 1)] + uniform + 1e-12));
    logits = logits - torch::from_blob(log_count.data(), {static_cast<std::int64_t>(log_count.size())}, torch::kFloat)
                          .clone()
                          .to(device_);
  }
  auto target = long_tensor(target_column, device_);
  if (loss_ == "sampled") return F::cross_entropy(logits, target);
  // bpr-max: softmax weights over the negatives (the target's column masked),
  // -log sum_j s_j sigmoid(r_i - r_j) + bpreg * sum_j s_j r_j^2.
  auto is_target = torch::zeros_like(logits, torch::kBool).scatter_(1, target.unsqueeze(1), true);
  auto weights = torch::softmax(logits.masked_fill(is_target, -1e9), 1);
  auto positive = logits.gather(1, target.unsqueeze(1));
  auto ranked = (weights * torch::sigmoid(positive - logits)).sum(1);
  auto reg = (weights * logits.pow(2)).sum(1);
  return (-torch::log(ranked + 1e-10) + bpreg_ * reg).mean();
}

double SequenceModel::train_epoch(std::int32_t epoch, torch::optim::Optimizer& optimizer) {
  auto windows = training_windows(input_, max_len_, all_windows_);
  Rng rng(seed_ + 1000003ull * static_cast<std::uint64_t>(epoch));
  for (std::size_t i = windows.size(); i > 1; --i) std::swap(windows[i - 1], windows[rng.below(i)]);
  double total = 0;
  std::int64_t batches = 0;
  std::vector<std::span<const std::int32_t>> rows;
  std::vector<std::int64_t> positions, targets;
  std::vector<std::int32_t> batch_users, skipped;
  for (std::size_t start = 0; start < windows.size(); start += static_cast<std::size_t>(batch_size_)) {
    const std::size_t count = std::min<std::size_t>(batch_size_, windows.size() - start);
    // Each window's max_len + 1 items: inputs all but the last, targets all but the first.
    rows.clear();
    batch_users.clear();
    for (std::size_t r = 0; r < count; ++r) {
      const auto& [user, end] = windows[start + r];
      batch_users.push_back(user);
      auto row = input_.of(user).first(static_cast<std::size_t>(end));
      if (row.size() > static_cast<std::size_t>(max_len_) + 1) row = row.last(static_cast<std::size_t>(max_len_) + 1);
      rows.push_back(row.first(row.size() - 1));
    }
    const torch::Tensor input = pad(rows, nullptr);
    const std::int64_t width = input.size(1);
    positions.clear();
    targets.clear();
    for (std::size_t r = 0; r < count; ++r) {
      const auto inputs = rows[r];
      const std::int32_t* next = inputs.data() + 1;  // the item after each input item
      const std::int64_t offset = left_padded_ ? width - static_cast<std::int64_t>(inputs.size()) : 0;
      for (std::size_t j = 0; j < inputs.size(); ++j) {
        positions.push_back(static_cast<std::int64_t>(r) * width + offset + static_cast<std::int64_t>(j));
        targets.push_back(next[j]);
      }
    }
    auto hidden = encode(input.to(device_));
    auto index = long_tensor(positions, device_);
    hidden = hidden.reshape({-1, hidden.size(2)}).index_select(0, index);
    skipped.clear();
    skipped_items(batch_users, &skipped);
    auto value = loss(hidden, targets, rng, skipped);
    check_loss(value, epoch, batches);
    optimizer.zero_grad();
    value.backward();
    optimizer.step();
    total += value.item<double>();
    ++batches;
  }
  return batches > 0 ? total / static_cast<double>(batches) : 0.0;
}

void SequenceModel::score_users(std::span<const std::int32_t> users, float* out) const {
  torch::NoGradGuard no_grad;
  const std::int64_t n = n_items();
  std::vector<std::span<const std::int32_t>> rows;
  std::vector<std::int32_t> with_items;  // rows of `users` with a non-empty sequence
  for (std::size_t r = 0; r < users.size(); ++r) {
    const auto row = users[r] < input_.n_rows() ? input_.of(users[r]) : std::span<const std::int32_t>();
    if (row.empty()) {
      std::copy(popularity_.begin(), popularity_.end(), out + r * n);
    } else {
      rows.push_back(row);
      with_items.push_back(static_cast<std::int32_t>(r));
    }
  }
  if (rows.empty()) return;
  std::vector<std::int64_t> last;
  const torch::Tensor input = pad(rows, &last).to(device_);
  auto hidden = encode(input);
  auto rows_index = torch::arange(static_cast<std::int64_t>(rows.size()), torch::kLong).to(device_);
  auto last_index = long_tensor(last, device_);
  hidden = hidden.index({rows_index, last_index});  // [rows, d]
  auto scores = torch::matmul(hidden, item_vectors().narrow(0, 1, n).t());
  if (const torch::Tensor bias = item_bias(); bias.defined()) scores = scores + bias.narrow(0, 1, n);
  scores = scores.to(torch::kCPU).contiguous();
  const float* src = scores.data_ptr<float>();
  for (std::size_t i = 0; i < with_items.size(); ++i)
    std::copy_n(src + i * n, n, out + static_cast<std::size_t>(with_items[i]) * n);
}

// The history in the order given; items with a weight <= 0 (skips) are left out.
std::vector<std::int32_t> SequenceModel::played(std::span<const std::int32_t> items, std::span<const float> weights) {
  std::vector<std::int32_t> row;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (weights.empty() || weights[i] > 0) row.push_back(items[i]);
  return row;
}

torch::Tensor SequenceModel::hidden_state(std::span<const std::int32_t> row) const {
  std::vector<std::int64_t> last;
  const torch::Tensor input = pad({row}, &last).to(device_);
  return encode(input).select(0, 0).select(0, last[0]);
}

void SequenceModel::score_history(std::span<const std::int32_t> items, std::span<const float> weights,
                                  float* out) const {
  check_history(items, weights);
  torch::NoGradGuard no_grad;
  const std::vector<std::int32_t> row = played(items, weights);
  if (row.empty()) {
    std::copy(popularity_.begin(), popularity_.end(), out);
    return;
  }
  const torch::Tensor hidden = hidden_state(row);
  const std::int64_t n = n_items();
  const torch::Tensor vectors = item_vectors().narrow(0, 1, n);
  if (device_.is_cpu()) {
    torch::Tensor result = torch::from_blob(out, {n}, torch::kFloat);
    torch::mv_out(result, vectors, hidden);
    if (const torch::Tensor bias = item_bias(); bias.defined()) result.add_(bias.narrow(0, 1, n));
    return;
  }
  auto scores = torch::mv(vectors, hidden);
  if (const torch::Tensor bias = item_bias(); bias.defined()) scores = scores + bias.narrow(0, 1, n);
  scores = scores.to(torch::kCPU).contiguous();
  std::copy_n(scores.data_ptr<float>(), n, out);
}

torch::Tensor SequenceModel::output_item_vectors() const { return item_vectors().narrow(0, 1, n_items()); }

torch::Tensor SequenceModel::output_item_bias() const {
  const torch::Tensor bias = item_bias();
  return bias.defined() ? bias.narrow(0, 1, n_items()) : bias;
}

bool SequenceModel::user_query(std::int32_t user, std::span<float> out) const {
  check_user(user);
  const auto row = user < input_.n_rows() ? input_.of(user) : std::span<const std::int32_t>();
  if (row.empty()) return false;  // scored by popularity
  torch::NoGradGuard no_grad;
  copy_query(hidden_state(row), out);
  return true;
}

bool SequenceModel::history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                                  std::span<float> out) const {
  check_history(items, weights);
  const std::vector<std::int32_t> row = played(items, weights);
  if (row.empty()) return false;
  torch::NoGradGuard no_grad;
  copy_query(hidden_state(row), out);
  return true;
}

void SequenceModel::history_row(std::int32_t user, std::vector<std::int32_t>& items, std::vector<float>& weights) const {
  check_user(user);
  const auto row = user < input_.n_rows() ? input_.of(user) : std::span<const std::int32_t>();
  items.assign(row.begin(), row.end());
  weights.assign(row.size(), 1.0f);
}

}  // namespace segue
