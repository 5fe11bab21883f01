#include "models/recommender.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <new>
#include <stdexcept>

#include "data/error.h"
#include "io/model_file.h"
#include "models/memory_budget.h"
#include "models/partial_fit.h"
#include "models/registry.h"
#include "models/scratch.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

std::string range_text(std::int32_t size) { return "[0, " + std::to_string(size) + ")"; }

void save_ids(ModelWriter& out, const std::string& prefix, const IdMap& ids) {
  out.put_string(prefix + ".arena", ids.arena());
  out.put(prefix + ".offsets", ids.offsets());
}

IdMap load_ids(const ModelReader& in, const std::string& prefix, std::int32_t expected) {
  IdMap ids;
  try {
    ids = IdMap::from_raw(in.get_string(prefix + ".arena"), in.get<std::uint64_t>(prefix + ".offsets"));
  } catch (const std::invalid_argument& error) {
    in.fail(prefix, error.what());
  }
  if (!ids.empty() && ids.size() != expected)
    in.fail(prefix, std::to_string(ids.size()) + " ids for " + std::to_string(expected) + " rows");
  return ids;
}

// Checks the string ids of `fresh` appended rows against `map` (the model's ids).
void check_new_ids(const IdMap& map, std::int32_t rows, std::int32_t fresh, std::span<const std::string> new_ids,
                   const std::string& what) {
  if (new_ids.empty() && (map.empty() || fresh == 0)) return;
  if (map.empty() && rows > 0)
    throw UsageError(what + ": the model has no string ids, so new ones cannot be given");
  if (static_cast<std::int32_t>(new_ids.size()) != fresh)
    throw UsageError(what + ": " + std::to_string(new_ids.size()) + " new string ids for " + std::to_string(fresh) +
                     " new rows");
  IdMap seen;
  for (const std::string& id : new_ids) {
    if (map.contains(id)) throw UsageError(what + ": '" + id + "' is already id " + std::to_string(map.find(id)));
    if (seen.contains(id)) throw UsageError(what + ": '" + id + "' is given twice");
    seen.intern(id);
  }
}

// Positive, finite values (a history's entries).
void check_positive_rows(const SparseRows& rows, const std::string& what) {
  try {
    rows.validate(what);
  } catch (const std::invalid_argument& error) {
    throw UsageError(what + ": " + error.what());
  }
  for (float v : rows.values)
    if (!(v > 0) || !std::isfinite(v)) throw UsageError(what + ": every value must be a finite number > 0");
}

}  // namespace

void Recommender::fit(const FeedbackMatrix& train, const FitContext& context) {
  const auto start = std::chrono::steady_clock::now();
  fitted_ = false;
  fit_stats_.clear();
  history_ = train.positives();
  if (!user_ids_.empty() && user_ids_.size() != train.n_users) user_ids_.clear();
  if (!item_ids_.empty() && item_ids_.size() != train.n_items) item_ids_.clear();
  const int threads = (context.pool != nullptr ? *context.pool : default_thread_pool()).size();
  const MemoryNeed need = fit_memory(train, threads);
  const MemoryBudget budget = memory_budget();
  if (need.bytes > 0) check_memory(budget, params().to_short_string(), need.bytes, need.detail, need.hint);
  try {
    fit_model(train, context);
  } catch (const std::bad_alloc&) {
    // The estimate is a lower bound: what it leaves out (allocator arenas, library buffers) can still not fit.
    throw UsageError(params().to_short_string() + ": out of memory while fitting" +
                     (need.bytes > 0 ? " (it needs at least " + bytes_text(need.bytes) + ": " + need.detail + ")" : "") +
                     "; " + bytes_text(budget.bytes) + " were left when the fit began" +
                     (budget.limited_by.empty() ? "" : " (" + budget.limited_by + ")") +
                     (need.hint.empty() ? "" : "; " + need.hint));
  }
  fitted_ = true;
  fit_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Recommender::check_fitted() const {
  if (!fitted_) throw UsageError("model '" + name() + "' is not fitted yet");
}

void Recommender::check_user(std::int32_t user) const {
  check_fitted();
  if (user < 0 || user >= n_users())
    throw UsageError("user: id " + std::to_string(user) + " is not in the model's users " + range_text(n_users()));
}

void Recommender::check_item(std::int32_t item, std::string_view argument) const {
  check_fitted();
  if (item < 0 || item >= n_items())
    throw UsageError(std::string(argument) + ": id " + std::to_string(item) + " is not in the model's items " +
                     range_text(n_items()));
}

void Recommender::check_count(std::int32_t n) {
  if (n <= 0) throw UsageError("n: the number of items to return must be > 0, got " + std::to_string(n));
}

std::vector<ScoredItem> Recommender::recommend(std::int32_t user, std::int32_t n, bool exclude_seen) const {
  check_user(user);
  check_count(n);
  // A pooled row (the server calls this a lot), the call's own: a nested model's
  // recommend() inside score_users() gets another one.
  Scratch<float> scores(static_cast<std::size_t>(n_items()));
  score_users(std::span<const std::int32_t>(&user, 1), scores.data());
  std::vector<ScoredItem> out;
  top_k(*scores, exclude_seen ? history_.row_indices(user) : std::span<const std::int32_t>(), std::min(n, n_items()),
        out);
  return out;
}

void Recommender::check_history(std::span<const std::int32_t> items, std::span<const float> weights) const {
  check_fitted();
  if (!weights.empty() && weights.size() != items.size())
    throw UsageError("weights: " + std::to_string(weights.size()) + " weights for " + std::to_string(items.size()) +
                     " items");
  for (std::int32_t item : items) check_item(item, "items");
  for (float w : weights)
    if (!std::isfinite(w)) throw UsageError("weights: every weight must be a finite number");
}

std::vector<ScoredItem> Recommender::recommend_from_history(std::span<const std::int32_t> items,
                                                            std::span<const float> weights, std::int32_t n,
                                                            bool exclude_history) const {
  check_history(items, weights);
  check_count(n);
  std::vector<float> ones;
  if (weights.empty()) {
    ones.assign(items.size(), 1.0f);
    weights = ones;
  }
  Scratch<float> scores(static_cast<std::size_t>(n_items()));
  score_history(items, weights, scores.data());
  std::vector<std::int32_t> exclude;
  if (exclude_history) {
    exclude.assign(items.begin(), items.end());
    std::sort(exclude.begin(), exclude.end());
  }
  std::vector<ScoredItem> out;
  top_k(*scores, exclude, std::min(n, n_items()), out);
  return out;
}

std::vector<ScoredItem> Recommender::similar_items(std::int32_t item, std::int32_t n) const {
  check_item(item);
  check_count(n);
  const float weight = 1.0f;
  Scratch<float> scores(static_cast<std::size_t>(n_items()));
  score_history(std::span<const std::int32_t>(&item, 1), std::span<const float>(&weight, 1), scores.data());
  std::vector<ScoredItem> out;
  top_k(*scores, std::span<const std::int32_t>(&item, 1), std::min(n, n_items()), out);
  return out;
}

Explanation Recommender::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Scratch<float> scores(static_cast<std::size_t>(n_items()));
  score_users(std::span<const std::int32_t>(&user, 1), scores.data());
  Explanation out;
  out.user = user;
  out.item = item;
  out.score = scores[item];
  out.note = "model '" + name() + "' cannot attribute its scores to the user's history";
  return out;
}

bool Recommender::user_query(std::int32_t user, std::span<float>) const {
  check_user(user);
  return false;
}

bool Recommender::history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                                std::span<float>) const {
  check_history(items, weights);
  return false;
}

void Recommender::history_row(std::int32_t user, std::vector<std::int32_t>& items, std::vector<float>& weights) const {
  check_user(user);
  const auto ids = history_.row_indices(user);
  const auto values = history_.row_values(user);
  items.assign(ids.begin(), ids.end());
  weights.assign(values.begin(), values.end());
}

void Recommender::set_id_maps(IdMap users, IdMap items) {
  check_fitted();
  if (users.size() != n_users())
    throw UsageError("users: " + std::to_string(users.size()) + " ids for a model of " + std::to_string(n_users()) +
                     " users");
  if (items.size() != n_items())
    throw UsageError("items: " + std::to_string(items.size()) + " ids for a model of " + std::to_string(n_items()) +
                     " items");
  user_ids_ = std::move(users);
  item_ids_ = std::move(items);
}

void Recommender::partial_fit_users(std::span<const std::int32_t> users, const FeedbackMatrix& feedback,
                                    std::span<const std::string> new_ids) {
  check_fitted();
  if (!supports_partial_fit())
    throw UsageError("model '" + name() + "' cannot update users without a refit (partial_fit_users)");
  if (feedback.n_users != static_cast<std::int32_t>(users.size()))
    throw UsageError("feedback: " + std::to_string(feedback.n_users) + " rows for " + std::to_string(users.size()) +
                     " users");
  if (feedback.n_items != n_items())
    throw UsageError("feedback: " + std::to_string(feedback.n_items) + " items, the model has " +
                     std::to_string(n_items()));
  try {
    feedback.validate();
  } catch (const std::invalid_argument& error) {
    throw UsageError(std::string("feedback: ") + error.what());
  }
  const std::int32_t fresh = count_new_ids(n_users(), users, "users");
  check_new_ids(user_ids_, n_users(), fresh, new_ids, "users");
  history_ = replace_rows(history_, users, feedback.positives(), "users");
  for (const std::string& id : new_ids) user_ids_.intern(id);
  partial_fit_users_model(users, feedback);
}

void Recommender::partial_fit_users(std::span<const std::int32_t> users, const SparseRows& rows,
                                    std::span<const std::string> new_ids) {
  check_positive_rows(rows, "rows");
  FeedbackMatrix feedback;
  feedback.n_users = rows.n_rows;
  feedback.n_items = rows.n_cols;
  feedback.indptr = rows.indptr;
  feedback.indices = rows.indices;
  feedback.values = rows.values;
  feedback.negatives = SparseRows::empty(rows.n_rows, rows.n_cols);
  partial_fit_users(users, feedback, new_ids);
}

void Recommender::partial_fit_items(std::span<const std::int32_t> items, const SparseRows& columns,
                                    std::span<const std::string> new_ids) {
  check_fitted();
  if (!supports_partial_fit_items())
    throw UsageError("model '" + name() + "' cannot add or update items without a refit (partial_fit_items)");
  check_positive_rows(columns, "columns");
  if (columns.n_cols != n_users())
    throw UsageError("columns: " + std::to_string(columns.n_cols) + " users per row, the model has " +
                     std::to_string(n_users()));
  const std::int32_t fresh = count_new_ids(n_items(), items, "items");
  check_new_ids(item_ids_, n_items(), fresh, new_ids, "items");
  history_ = replace_rows(history_.transpose(), items, columns, "items").transpose();
  for (const std::string& id : new_ids) item_ids_.intern(id);
  partial_fit_items_model(items, columns);
}

void Recommender::partial_fit_users_model(std::span<const std::int32_t>, const FeedbackMatrix&) {}
void Recommender::partial_fit_items_model(std::span<const std::int32_t>, const SparseRows&) {}

void Recommender::set_fit_stat(const std::string& name, double value) {
  for (auto& [key, stored] : fit_stats_)
    if (key == name) {
      stored = value;
      return;
    }
  fit_stats_.emplace_back(name, value);
}

void Recommender::save(const std::string& path) const {
  check_fitted();
  save_unchecked(path);
}

void Recommender::save(ModelWriter& out) const {
  check_fitted();
  write_model_file(out);
}

void Recommender::save_unchecked(const std::string& path) const {
  ModelWriter out(path);
  write_model_file(out);
}

void Recommender::write_model_file(ModelWriter& out) const {
  out.put_string("recommender.spec", spec_.to_string());
  out.put("recommender.shape", std::vector<std::int64_t>{n_users(), n_items()});
  out.put_scalar("recommender.fit_seconds", fit_seconds_);
  out.put("recommender.history.indptr", history_.indptr);
  out.put("recommender.history.indices", history_.indices);
  out.put("recommender.history.values", history_.values);
  save_ids(out, "recommender.user_ids", user_ids_);
  save_ids(out, "recommender.item_ids", item_ids_);
  save_model(out);
  out.commit();
}

std::unique_ptr<Recommender> Recommender::load(const std::string& path) { return load(ModelReader(path)); }

std::unique_ptr<Recommender> Recommender::load(const ModelReader& in) {
  const std::string spec = in.get_string("recommender.spec");
  std::unique_ptr<Recommender> model;
  try {
    model = make_recommender(spec);
  } catch (const UsageError& error) {
    in.fail("recommender.spec", "cannot make the model '" + spec + "': " + error.what());
  }
  const std::vector<std::int64_t> shape = in.get<std::int64_t>("recommender.shape", 2);
  if (shape[0] < 0 || shape[1] < 0 || shape[0] > INT32_MAX || shape[1] > INT32_MAX)
    in.fail("recommender.shape", "bad dimensions");
  SparseRows& history = model->history_;
  history.n_rows = static_cast<std::int32_t>(shape[0]);
  history.n_cols = static_cast<std::int32_t>(shape[1]);
  history.indptr = in.get<std::int64_t>("recommender.history.indptr");
  history.indices = in.get<std::int32_t>("recommender.history.indices");
  history.values = in.get<float>("recommender.history.values");
  try {
    history.validate("history");
  } catch (const std::invalid_argument& error) {
    in.fail("recommender.history", error.what());
  }
  // A history holds positives (fit keeps only values > 0); a NaN or infinity would reach the scores.
  for (std::size_t k = 0; k < history.values.size(); ++k)
    if (!(history.values[k] > 0) || !std::isfinite(history.values[k]))
      in.fail("recommender.history.values", "entry " + std::to_string(k) + " is " +
                                                std::to_string(history.values[k]) + ": expected a finite value > 0");
  model->fit_seconds_ = in.get_scalar<double>("recommender.fit_seconds");
  model->user_ids_ = load_ids(in, "recommender.user_ids", history.n_rows);
  model->item_ids_ = load_ids(in, "recommender.item_ids", history.n_cols);
  model->load_model(in);
  model->fitted_ = true;
  return model;
}

void Recommender::top_k_users(std::span<const std::int32_t> users,
                              std::span<const std::span<const std::int32_t>> exclude, std::int32_t k,
                              ScoredItem* out, std::int32_t* counts) const {
  if (users.empty()) return;
  k = std::max<std::int32_t>(k, 0);
  // Whole rows in chunks of at most kScratchKeepBytes (at least one row): the
  // buffer stays poolable, so a large block neither allocates per call nor
  // leaves a block-sized buffer (once 134 MB) with the thread.
  const auto n = static_cast<std::size_t>(n_items());
  const std::size_t chunk = std::clamp<std::size_t>(kScratchKeepBytes / sizeof(float) / std::max<std::size_t>(n, 1), 1,
                                                    users.size());
  Scratch<float> scores(chunk * n);
  for (std::size_t first = 0; first < users.size(); first += chunk) {
    const std::size_t rows = std::min(chunk, users.size() - first);
    score_users(users.subspan(first, rows), scores.data());
    for (std::size_t r = first; r < first + rows; ++r) {
      const std::span<const std::int32_t> skip = exclude.empty() ? std::span<const std::int32_t>() : exclude[r];
      counts[r] = top_k(std::span<const float>(scores.data() + (r - first) * n, n), skip, k,
                        out + r * static_cast<std::size_t>(k));
    }
  }
}

}  // namespace segue
