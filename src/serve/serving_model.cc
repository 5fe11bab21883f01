#include "serve/serving_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <future>
#include <limits>
#include <unordered_map>

#include "context/moods.h"
#include "data/error.h"
#include "models/content/title.h"
#include "serve/ann_index.h"

namespace segue {
namespace {

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// Mean 0, sd 1 over the finite scores, so that a boost or a penalty means the
// same for every model and listener (a constant row is only centred).
void standardise(std::span<float> scores) {
  double sum = 0, squares = 0;
  std::size_t count = 0;
  for (const float x : scores)
    if (std::isfinite(x)) sum += x, squares += static_cast<double>(x) * x, ++count;
  if (count == 0) return;
  const double mean = sum / static_cast<double>(count);
  const double sd = std::sqrt(std::max(squares / static_cast<double>(count) - mean * mean, 0.0));
  const double scale = sd > 0 ? 1.0 / sd : 1.0;
  for (float& x : scores)
    if (std::isfinite(x)) x = static_cast<float>((x - mean) * scale);
}

void check_items(const Recommender& model, std::span<const std::int32_t> items, const char* field) {
  for (const std::int32_t item : items)
    if (item < 0 || item >= model.n_items())
      throw UsageError(std::string(field) + ": item " + std::to_string(item) + " is not in the model's items [0, " +
                       std::to_string(model.n_items()) + ")");
}

// The mood match of `mood` in the model's item order (items the store lacks match nothing).
MoodMatch mood_match_for_model(const Mood& mood, const Dataset& store, const ItemCatalog& catalog) {
  const MoodMatch by_row = match_mood(mood, store.item_attributes, store.n_items());
  MoodMatch out;
  out.fraction.assign(static_cast<std::size_t>(catalog.n_items()), 0.0f);
  out.passes.assign(static_cast<std::size_t>(catalog.n_items()), 0);
  for (std::int32_t i = 0; i < catalog.n_items(); ++i) {
    const std::int32_t row = catalog.store_row(i);
    if (row < 0) continue;
    out.fraction[static_cast<std::size_t>(i)] = by_row.fraction[static_cast<std::size_t>(row)];
    out.passes[static_cast<std::size_t>(i)] = by_row.passes[static_cast<std::size_t>(row)];
  }
  return out;
}

}  // namespace

std::vector<std::int32_t> sorted_unique(std::vector<std::int32_t> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

ServingModel::ServingModel(std::unique_ptr<Recommender> model, std::shared_ptr<const Dataset> store,
                           const ServingOptions& options)
    : model_(std::move(model)), store_(std::move(store)) {
  if (!model_ || !model_->fitted()) throw UsageError("model: a fitted model is needed to serve");
  // The index (built, or loaded from its file) and the catalogue are
  // independent: the index goes on another thread while the catalogue is made.
  std::future<void> index;
  if (options.build_ann)
    if (const auto vectors = item_vectors(*model_))
      index = std::async(std::launch::async, [this, vectors, options] { prepare_index(*vectors, options); });
  const auto n = static_cast<std::size_t>(model_->n_items());
  popularity_.assign(n, 0.0f);
  for (const std::int32_t item : model_->history().indices) popularity_[static_cast<std::size_t>(item)] += 1.0f;
  by_popularity_.resize(n);
  for (std::size_t i = 0; i < n; ++i) by_popularity_[i] = static_cast<std::int32_t>(i);
  std::stable_sort(by_popularity_.begin(), by_popularity_.end(), [&](std::int32_t a, std::int32_t b) {
    return popularity_[static_cast<std::size_t>(a)] > popularity_[static_cast<std::size_t>(b)];
  });
  catalog_ = std::make_unique<ItemCatalog>(model_->item_ids(), store_.get(), popularity_);
  if (index.valid()) index.get();  // rethrows what the index failed with
}

void ServingModel::prepare_index(const ItemVectors& vectors, const ServingOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  namespace fs = std::filesystem;
  if (!options.ann_path.empty() && fs::exists(options.ann_path)) {
    try {
      ann_ = AnnIndex::load(options.ann_path, vectors);
      ann_loaded_ = true;
    } catch (const InputError& error) {
      std::fprintf(stderr, "segue: %s; rebuilding the index\n", error.what());
    }
  }
  if (!ann_) {
    AnnOptions ann_options;
    ann_options.ef_search = options.ann_ef_search;
    ann_ = AnnIndex::build(vectors, ann_options);
    if (!options.ann_path.empty()) try {
        ann_->save(options.ann_path);
      } catch (const std::exception& error) {  // a read-only model directory: serve anyway
        std::fprintf(stderr, "segue: warning: the index was not saved: %s\n", error.what());
      }
  }
  ann_->set_ef_search(options.ann_ef_search);
  ann_build_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ServingModel::~ServingModel() = default;

const ServingModel::HourTable& ServingModel::hour_table() const {
  std::call_once(hour_once_, [this] {
    if (!store_ || store_->interactions.timestamps.empty()) return;
    const HourProfiles profiles = hour_profiles(*store_);
    for (const std::int64_t e : profiles.item_events) hour_table_.timed_events += e;
    if (hour_table_.timed_events == 0) return;
    std::array<float, 24> neutral;
    neutral.fill(0.0f);  // log(affinity 1): items the store lacks stay where they are
    hour_table_.log_affinity.assign(static_cast<std::size_t>(model_->n_items()), neutral);
    for (std::size_t i = 0; i < hour_table_.log_affinity.size(); ++i) {
      const std::int32_t row = catalog_->store_row(static_cast<std::int32_t>(i));
      if (row < 0) continue;
      for (int h = 0; h < 24; ++h)
        hour_table_.log_affinity[i][static_cast<std::size_t>(h)] =
            std::log(hour_affinity(profiles.items[static_cast<std::size_t>(row)], h));
    }
  });
  return hour_table_;
}

std::shared_ptr<const MoodMatch> ServingModel::mood_match(const Mood& mood) const {
  std::lock_guard<std::mutex> lock(mood_mutex_);
  for (const auto& [name, match] : mood_matches_)
    if (name == mood.name) return match;
  auto match = std::make_shared<const MoodMatch>(mood_match_for_model(mood, *store_, *catalog_));
  mood_matches_.emplace_back(mood.name, match);
  return match;
}

std::vector<ScoredItem> ServingModel::most_popular(std::int32_t n, std::span<const std::int32_t> exclude,
                                                   std::span<const std::int32_t> allow) const {
  std::vector<ScoredItem> out;
  for (const std::int32_t item : by_popularity_) {
    if (static_cast<std::int32_t>(out.size()) >= n) break;
    if (std::binary_search(exclude.begin(), exclude.end(), item)) continue;
    if (!allow.empty() && !std::binary_search(allow.begin(), allow.end(), item)) continue;
    out.push_back({item, popularity_[static_cast<std::size_t>(item)]});
  }
  return out;
}

std::vector<ScoredItem> ServingModel::rank_row(std::vector<float>& scores, std::span<const std::int32_t> exclude,
                                               std::int32_t n) const {
  std::vector<ScoredItem> out;
  top_k(scores, exclude, std::min(n, model_->n_items()), out);
  // Filters (mood, allow-list) leave -inf: those are not recommendations.
  while (!out.empty() && !(out.back().score > kMinusInfinity)) out.pop_back();
  return out;
}

std::vector<ScoredItem> ServingModel::similar(std::int32_t item, std::int32_t n,
                                              std::span<const std::int32_t> exclude) const {
  check_items(*model_, std::span<const std::int32_t>(&item, 1), "item");
  if (n <= 0) throw UsageError("n: must be at least 1, got " + std::to_string(n));
  std::vector<ScoredItem> out = model_->similar_items(item, std::min<std::int64_t>(
                                                                static_cast<std::int64_t>(n) + exclude.size(),
                                                                model_->n_items()));
  std::erase_if(out, [&](const ScoredItem& s) { return std::binary_search(exclude.begin(), exclude.end(), s.item); });
  if (static_cast<std::int32_t>(out.size()) > n) out.resize(static_cast<std::size_t>(n));
  return out;
}

RecommendResult ServingModel::recommend(const RecommendRequest& request) const {
  const Recommender& model = *model_;
  if (request.n <= 0) throw UsageError("n: must be at least 1, got " + std::to_string(request.n));
  if (request.user < -1 || request.user >= model.n_users())
    throw UsageError("user: id " + std::to_string(request.user) + " is not in the model's users");
  check_items(model, request.history, "history");
  check_items(model, request.skipped, "skipped");
  check_items(model, request.exclude, "exclude");
  check_items(model, request.allow, "allow");
  if (!request.history_weights.empty() && request.history_weights.size() != request.history.size())
    throw UsageError("weights: " + std::to_string(request.history_weights.size()) + " weights for " +
                     std::to_string(request.history.size()) + " history items");
  for (const float w : request.history_weights)
    if (!std::isfinite(w)) throw UsageError("weight: every weight must be a finite number");
  if (!std::isfinite(request.skip_weight) || request.skip_weight < 0)
    throw UsageError("skip_weight: must be a finite number >= 0");
  if (request.hour && (*request.hour < 0 || *request.hour > 23))
    throw UsageError("hour: must be 0..23, got " + std::to_string(*request.hour));
  if (request.hour && !request.mood.empty()) throw UsageError("hour and mood: one context at a time");
  MoodRequest mood;
  if (!request.mood.empty()) {
    mood = parse_mood_request(request.mood);
    if (!store_) throw UsageError("mood: needs a store with the items' audio features");
  }
  if (request.hour && hour_table().log_affinity.empty())
    throw UsageError("hour: the store has no timestamped events to learn listening hours from");

  RecommendResult result;
  const std::int32_t n = std::min(request.n, model.n_items());
  const bool known = request.user >= 0;
  const auto trained = known ? model.history().row_indices(request.user) : std::span<const std::int32_t>();
  std::vector<std::int32_t> exclude(request.exclude.begin(), request.exclude.end());
  if (request.exclude_seen) {
    exclude.insert(exclude.end(), trained.begin(), trained.end());
    exclude.insert(exclude.end(), request.history.begin(), request.history.end());
  }
  exclude.insert(exclude.end(), request.skipped.begin(), request.skipped.end());
  exclude = sorted_unique(std::move(exclude));
  const std::vector<std::int32_t> allow = sorted_unique(request.allow);

  const bool has_history = !trained.empty() || !request.history.empty();
  if (!has_history) {
    result.fallback = true;
    result.strategy = "popularity";
    if (!request.popularity_fallback) {
      result.strategy = "none";
      return result;
    }
    if (request.skip_penalty == nullptr) {
      result.items = most_popular(n, exclude, allow);
      return result;
    }
    std::vector<float> scores = popularity_;
    result.skip_shift = penalise_row(scores, *request.skip_penalty);
    if (!allow.empty())
      for (std::size_t i = 0; i < scores.size(); ++i)
        if (!std::binary_search(allow.begin(), allow.end(), static_cast<std::int32_t>(i))) scores[i] = kMinusInfinity;
    result.items = rank_row(scores, exclude, n);
    return result;
  }

  const bool context = !request.mood.empty() || request.hour || request.skip_penalty != nullptr ||
                       !request.skipped.empty() || !allow.empty();
  // Fold-in input: the user's training row as the model reads a history
  // (Recommender::history_row) plus the new items in the order given. Models
  // that read a history as a sequence get the new items appended (a replay
  // is a new step); the others get a repeated item added to its first place,
  // found by hash, not by a search of the row per new item: a listener may
  // carry 1,000 received events.
  const auto folded_history = [&](std::vector<std::int32_t>& items, std::vector<float>& weights) {
    items.clear();
    weights.clear();
    if (known) model.history_row(request.user, items, weights);
    const auto weight_of = [&](std::size_t k) {
      return request.history_weights.empty() ? 1.0f : request.history_weights[k];
    };
    if (model.sequential_history()) {
      for (std::size_t k = 0; k < request.history.size(); ++k)
        items.push_back(request.history[k]), weights.push_back(weight_of(k));
      return;
    }
    std::unordered_map<std::int32_t, std::size_t> position;
    position.reserve(items.size() + request.history.size());
    for (std::size_t k = 0; k < items.size(); ++k) position.emplace(items[k], k);
    for (std::size_t k = 0; k < request.history.size(); ++k) {
      const auto [at, added] = position.emplace(request.history[k], items.size());
      if (added) items.push_back(request.history[k]), weights.push_back(weight_of(k));
      else weights[at->second] += weight_of(k);
    }
  };

  // The index answers for any listener with a query vector: a known one's own,
  // or one folded in from their history by the model's own fold-in. A model
  // may have none for this listener (a sequence model's user without a
  // sequence scores by popularity): the model answers then.
  std::vector<float> query;
  if (!context && request.approximate && ann_) {
    if (known && request.history.empty()) {
      query = user_vector(model, request.user);
      result.strategy = "ann";
    } else {
      std::vector<std::int32_t> items;
      std::vector<float> weights;
      folded_history(items, weights);
      query = fold_in_vector(model, items, weights);
      result.strategy = "fold-in+ann";
    }
  }
  if (!query.empty()) {
    result.items = ann_->search(query, n, exclude);
  } else if (known && request.history.empty() && !context) {
    result.strategy = "model";
    const std::span<const std::int32_t> one_exclude(exclude);
    std::vector<ScoredItem> top(static_cast<std::size_t>(n));
    std::int32_t count = 0;
    model.top_k_users(std::span<const std::int32_t>(&request.user, 1),
                      std::span<const std::span<const std::int32_t>>(&one_exclude, 1), n, top.data(), &count);
    top.resize(static_cast<std::size_t>(count));
    result.items = std::move(top);
  } else {
    std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
    if (request.history.empty()) {
      result.strategy = "model";
      model.score_users(std::span<const std::int32_t>(&request.user, 1), scores.data());
    } else {
      result.strategy = "fold-in";
      std::vector<std::int32_t> items;
      std::vector<float> weights;
      folded_history(items, weights);
      model.score_history(items, weights, scores.data());
    }
    if (!request.skipped.empty()) {
      // Skips push down what is like them: each item loses skip_weight × the
      // row's largest |score| × its similarity to the skipped tracks relative
      // to the most similar item's (the scores of a listener who only has the
      // skipped tracks). The row keeps the model's scale.
      const std::vector<std::int32_t> skipped = sorted_unique(request.skipped);
      std::vector<float> like_skipped(scores.size());
      const std::vector<float> ones(skipped.size(), 1.0f);
      model.score_history(skipped, ones, like_skipped.data());
      float top = 0.0f, like_max = 0.0f;
      for (const float x : scores)
        if (std::isfinite(x)) top = std::max(top, std::abs(x));
      for (std::size_t i = 0; i < like_skipped.size(); ++i)
        if (std::isfinite(like_skipped[i]) && !std::binary_search(skipped.begin(), skipped.end(),
                                                                  static_cast<std::int32_t>(i)))
          like_max = std::max(like_max, like_skipped[i]);
      if (top > 0.0f && like_max > 0.0f) {
        const float scale = request.skip_weight * top / like_max;
        for (std::size_t i = 0; i < scores.size(); ++i)
          if (std::isfinite(like_skipped[i]) && like_skipped[i] > 0.0f) scores[i] -= scale * like_skipped[i];
      }
      result.notes.push_back("skips: " + std::to_string(request.skipped.size()) + " skipped tracks push down similar ones");
    }
    if (mood.mood != nullptr) {
      standardise(scores);
      const MoodMatch& match = *mood_match(*mood.mood);
      char line[256];
      if (mood.mode == MoodMode::kFilter) {
        const std::int64_t passing = apply_mood_filter(scores, match);
        std::snprintf(line, sizeof line, "mood %s (filter): %lld of %d items meet every condition",
                      mood.mood->name.c_str(), static_cast<long long>(passing), model.n_items());
      } else {
        apply_mood_boost(scores, match, request.mood_boost);
        std::snprintf(line, sizeof line, "mood %s (boost %.2f on standardised scores)", mood.mood->name.c_str(),
                      static_cast<double>(request.mood_boost));
      }
      result.notes.push_back(line);
    }
    if (request.hour) {
      standardise(scores);
      const auto h = static_cast<std::size_t>(*request.hour);
      const HourTable& table = hour_table();
      for (std::size_t i = 0; i < scores.size(); ++i) scores[i] += request.hour_weight * table.log_affinity[i][h];
      char line[256];
      std::snprintf(line, sizeof line, "hour %d: scores + %.2f x log(listening affinity at that hour) from %lld timed events",
                    *request.hour, static_cast<double>(request.hour_weight), static_cast<long long>(table.timed_events));
      result.notes.push_back(line);
    }
    if (request.skip_penalty != nullptr) result.skip_shift = penalise_row(scores, *request.skip_penalty);
    if (!allow.empty())
      for (std::size_t i = 0; i < scores.size(); ++i)
        if (!std::binary_search(allow.begin(), allow.end(), static_cast<std::int32_t>(i))) scores[i] = kMinusInfinity;
    result.items = rank_row(scores, exclude, n);
  }
  if (request.explain && known && request.history.empty()) {
    for (const ScoredItem& pick : result.items) result.explanations.push_back(model.explain(request.user, pick.item));
  } else if (request.explain && !request.history.empty()) {
    result.explanations = explain_history(request, result.items);
  }
  return result;
}

std::vector<Explanation> ServingModel::explain_history(const RecommendRequest& request,
                                                      std::span<const ScoredItem> picks) const {
  // What each history item alone would give each pick (the model's own fold-in
  // of that one item): its share of the positive parts is its contribution.
  // The most recent kMaxExplained history items are asked, one score row each.
  constexpr std::size_t kMaxExplained = 64;
  const Recommender& model = *model_;
  const std::size_t first = request.history.size() > kMaxExplained ? request.history.size() - kMaxExplained : 0;
  std::vector<std::int32_t> sources;
  std::vector<std::vector<float>> at_picks;  // [source][pick]
  std::vector<float> row(static_cast<std::size_t>(model.n_items()));
  for (std::size_t k = first; k < request.history.size(); ++k) {
    const std::int32_t item = request.history[k];
    if (std::find(sources.begin(), sources.end(), item) != sources.end()) continue;
    const float weight = request.history_weights.empty() ? 1.0f : request.history_weights[k];
    model.score_history(std::span<const std::int32_t>(&item, 1), std::span<const float>(&weight, 1), row.data());
    std::vector<float> values;
    for (const ScoredItem& pick : picks) values.push_back(row[static_cast<std::size_t>(pick.item)]);
    sources.push_back(item);
    at_picks.push_back(std::move(values));
  }
  std::vector<Explanation> out;
  for (std::size_t p = 0; p < picks.size(); ++p) {
    Explanation why;
    why.user = request.user;
    why.item = picks[p].item;
    why.score = picks[p].score;
    double total = 0;
    for (const auto& values : at_picks) total += std::max(0.0f, values[p]);
    if (total > 0)
      for (std::size_t s = 0; s < sources.size(); ++s)
        if (at_picks[s][p] > 0) why.contributions.push_back({sources[s], static_cast<float>(at_picks[s][p] / total)});
    std::sort(why.contributions.begin(), why.contributions.end(),
              [](const Contribution& a, const Contribution& b) { return a.share > b.share; });
    if (why.contributions.empty()) why.note = "no single history item scores it on its own";
    out.push_back(std::move(why));
  }
  return out;
}

std::vector<std::int32_t> title_seed_history(const TitleModel& titles, const Recommender& model,
                                             std::string_view title, std::int32_t seeds, std::int32_t* unknown) {
  if (seeds < 1 || seeds > 1000) throw UsageError("title_seeds: expected 1..1000, got " + std::to_string(seeds));
  std::vector<float> scores(static_cast<std::size_t>(titles.n_items()));
  titles.score_title(title, scores.data());
  std::vector<ScoredItem> top;
  top_k(scores, {}, std::min(seeds, titles.n_items()), top);
  std::vector<std::int32_t> history;
  std::int32_t missing = 0;
  for (const ScoredItem& s : top) {
    const std::int32_t item = model.item_ids().find(titles.item_ids().name(s.item));
    if (item == IdMap::kMissing) ++missing;
    else history.push_back(item);
  }
  std::reverse(history.begin(), history.end());  // the best seed last: sequence models weigh the latest track most
  if (unknown != nullptr) *unknown = missing;
  return history;
}

}  // namespace segue
