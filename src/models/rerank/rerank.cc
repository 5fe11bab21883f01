#include "models/rerank/rerank.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <map>
#include <random>
#include <cstdio>

#include "data/dataset.h"
#include "data/error.h"
#include "io/model_file.h"
#include "models/rerank/nested_model.h"
#include "models/scratch.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

constexpr std::int32_t kAutoEaseItems = 20000;  // ease's n² matrix: 1.6 GB and ~10 s at 20k items
// Re-ranked candidates score kCandidateFloor + margin (margins clamped to
// ±kMarginLimit), every other item below -kCandidateFloor + 0.5. Small enough
// that a float still resolves 1e-5 there (at 1000 margins closer than 6e-5 tied).
constexpr float kCandidateFloor = 100.0f;
constexpr float kMarginLimit = 50.0f;
constexpr float kTieBreak = 1e-4f;  // the generators' mean z breaks ties between equal margins (trees are piecewise constant)

std::unique_ptr<Recommender> make_rerank(const ModelSpec& spec) { return std::make_unique<RerankModel>(spec); }

std::vector<ParamDecl> rerank_params() {
  return {string_param("generators", "auto",
                       "'+'-separated generator specs (';' between their parameters); auto = ease (<= 20k items) + "
                       "ials + itemknn + rp3beta + userknn, + title when the listeners have titles (--user-names), "
                       "+ featureknn when --items has an artist, album, genre or tag shared by two items"),
          int_param("candidates", 100, 1, 100000, "each generator's top-N, history excluded"),
          string_param("carve", "random",
                       "what the ranker learns to find: random (a fraction of each listener's items) | last (each "
                       "listener's last item in event order: next-track) | seeds (a fraction of the listeners keep their first "
                       "1/5/10/25/100 items, the rest are labels: playlist continuation)"),
          float_param("fraction", 0.2, 0.0, 0.9, "share of each listener's items carved as the ranker's labels", true),
          bool_param("raw_scores", true,
                     "give the ranker each generator's raw score besides its z-score and rank (raw scales shift "
                     "between the carve and the full data)"),
          bool_param("monotone", true,
                     "constrain the ranker to rise with every generator's score and z and fall with its rank"),
          int_param("last", 3, 0, 1000, "recent items for the co-occurrence feature (0 = none)"),
          string_param("objective", "ndcg", "the ranker's loss: ndcg | pairwise | map (xgboost rank:*)"),
          int_param("rounds", 400, 1, 100000, "most boosting rounds (early stopping on a fifth of the carve's listeners)"),
          int_param("early_stop", 40, 0, 100000, "rounds without a better validation ndcg@10 before stopping (0 = off)"),
          float_param("eta", 0.05, 0.0, 1.0, "learning rate", true),
          int_param("depth", 6, 1, 16, "tree depth"),
          float_param("min_child_weight", 0.01, 0.0, 1e6, "smallest hessian sum in a leaf (LambdaMART hessians are small)"),
          float_param("subsample", 0.8, 0.0, 1.0, "rows sampled per tree", true),
          float_param("colsample", 0.8, 0.0, 1.0, "features sampled per tree", true),
          int_param("carves", 1, 1, 20,
                    "carves of the training data the ranker learns from (each fits the generators); with carve=last "
                    "the later ones cut each listener at an earlier point (next item = label)"),
          int_param("seed", 42, 0, 2147483647, "the carve's and the ranker's seed")};
}

// Some training listener has a title (the "name" attribute: playlists).
bool has_titles(const Dataset* dataset) {
  if (dataset == nullptr) return false;
  for (std::int32_t u = 0; u < dataset->n_users(); ++u)
    if (!dataset->user_attributes.string_value("name", u).empty()) return true;
  return false;
}

// The listener's time-of-day block, -1 when unknown.
std::int32_t hour_of(const RerankSide& side, std::int32_t user) {
  return side.user_hour.empty() ? -1 : side.user_hour[static_cast<std::size_t>(user)];
}

bool is_rerank_name(const std::string& spec) {
  const std::string name = spec.substr(0, spec.find(':'));
  return name == "rerank";
}

// Feature-name prefix of each generator: its name, numbered when two share one.
std::vector<std::string> generator_labels(const std::vector<std::unique_ptr<Recommender>>& generators) {
  std::map<std::string, int> seen, total;
  for (const auto& g : generators) ++total[g->name()];
  std::vector<std::string> labels;
  for (const auto& g : generators) {
    const int k = seen[g->name()]++;
    labels.push_back(total[g->name()] > 1 ? g->name() + std::to_string(k + 1) : g->name());
  }
  return labels;
}

void append_rows(RankingRows& to, const RankingRows& from) {
  to.x.insert(to.x.end(), from.x.begin(), from.x.end());
  to.labels.insert(to.labels.end(), from.labels.begin(), from.labels.end());
  to.group_sizes.insert(to.group_sizes.end(), from.group_sizes.begin(), from.group_sizes.end());
}

std::unique_ptr<Recommender> make_cooc() { return make_recommender("itemknn"); }

}  // namespace

// Each listener's positive items in event order, first play first (empty rows
// without events).
std::vector<std::vector<std::int32_t>> items_in_order(const FeedbackMatrix& all, const FitContext& context) {
  std::vector<std::vector<std::int32_t>> order(static_cast<std::size_t>(all.n_users));
  if (context.dataset == nullptr || context.dataset->interactions.n_users != all.n_users) return order;
  const Interactions& log = context.dataset->interactions;
  const std::vector<std::uint8_t> in_train = training_event_mask(log, context.events);
  std::vector<std::uint8_t> seen;
  for (std::int32_t u = 0; u < all.n_users; ++u) {
    const auto positives = all.items_of(u);
    seen.assign(positives.size(), 0);
    for (std::int64_t e = log.begin(u); e < log.end(u); ++e) {
      if (!in_train[static_cast<std::size_t>(e)]) continue;
      const auto it = std::lower_bound(positives.begin(), positives.end(), log.items[e]);
      if (it == positives.end() || *it != log.items[e] || seen[static_cast<std::size_t>(it - positives.begin())]) continue;
      seen[static_cast<std::size_t>(it - positives.begin())] = 1;
      order[static_cast<std::size_t>(u)].push_back(log.items[e]);
    }
  }
  return order;
}

// Each listener's last positive item in event order (-1: none known).
std::vector<std::int32_t> last_items(const FeedbackMatrix& all, const FitContext& context) {
  std::vector<std::int32_t> last(static_cast<std::size_t>(all.n_users), -1);
  if (context.dataset == nullptr || context.dataset->interactions.n_users != all.n_users) return last;
  const Interactions& log = context.dataset->interactions;
  const std::vector<std::uint8_t> in_train = training_event_mask(log, context.events);
  for (std::int32_t u = 0; u < all.n_users; ++u) {
    const auto positives = all.items_of(u);
    for (std::int64_t e = log.end(u) - 1; e >= log.begin(u); --e)
      if (in_train[static_cast<std::size_t>(e)] && std::binary_search(positives.begin(), positives.end(), log.items[e])) {
        last[static_cast<std::size_t>(u)] = log.items[e];
        break;
      }
  }
  return last;
}

RerankCarve carve_for_ranker(const FeedbackMatrix& all, double fraction, std::uint64_t seed, const FitContext& context,
                             const std::string& mode) {
  RerankCarve out;
  const bool last_item = mode == "last", seeds = mode == "seeds", cut = mode == "cut";
  const std::vector<std::int32_t> last = last_item ? last_items(all, context) : std::vector<std::int32_t>();
  const std::vector<std::vector<std::int32_t>> ordered =
      seeds || cut ? items_in_order(all, context) : std::vector<std::vector<std::int32_t>>();
  static constexpr std::int64_t kSeedCounts[] = {1, 5, 10, 25, 100};  // the RecSys Challenge 2018 seed sizes
  std::int64_t dealt = 0;
  out.train.n_users = all.n_users;
  out.train.n_items = all.n_items;
  out.targets.n_rows = all.n_users;
  out.targets.n_cols = all.n_items;
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> indices;
  std::vector<float> values;
  std::vector<std::uint8_t> held;
  for (std::int32_t u = 0; u < all.n_users; ++u) {
    const auto items = all.items_of(u);
    const auto vals = all.values_of(u);
    const auto c = static_cast<std::int64_t>(items.size());
    std::int64_t h = c >= 2 ? std::max<std::int64_t>(1, std::llround(fraction * static_cast<double>(c))) : 0;
    h = std::min(h, c - 1);
    held.assign(static_cast<std::size_t>(c), 0);
    std::mt19937_64 rng(seed ^ (0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(u) + 1)));
    if (last_item && c >= 2 && last[static_cast<std::size_t>(u)] >= 0) {
      h = 0;  // only the last item
      held[static_cast<std::size_t>(std::lower_bound(items.begin(), items.end(), last[static_cast<std::size_t>(u)]) -
                                    items.begin())] = 1;
    }
    if (cut && c >= 3 && static_cast<std::int64_t>(ordered[static_cast<std::size_t>(u)].size()) == c) {
      // The listener as it stood earlier: the first j items in event order stay
      // (j drawn from the second half), item j + 1 is the one label, the later
      // ones are left out of this carve altogether (kKept / kLabel / kDropped).
      h = 0;
      const auto& in_order = ordered[static_cast<std::size_t>(u)];
      const std::int64_t j = std::uniform_int_distribution<std::int64_t>((c + 1) / 2, c - 1)(rng);
      held.assign(static_cast<std::size_t>(c), 2);
      for (std::int64_t p = 0; p <= j; ++p)
        held[static_cast<std::size_t>(std::lower_bound(items.begin(), items.end(), in_order[static_cast<std::size_t>(p)]) -
                                      items.begin())] = p < j ? 0 : 1;
    }
    if (seeds) {
      // A `fraction` of the listeners become continuation tasks: their first k
      // items in event order (k dealt round robin from the seed sizes below
      // their length) stay, the rest are labels; the others stay whole.
      h = 0;
      const auto& in_order = ordered[static_cast<std::size_t>(u)];
      const bool chosen = std::uniform_real_distribution<double>(0.0, 1.0)(rng) < fraction;
      if (chosen && static_cast<std::int64_t>(in_order.size()) == c && c >= 2) {
        std::int64_t k = -1;
        for (int tries = 0; tries < 5 && k < 0; ++tries, ++dealt)
          if (kSeedCounts[dealt % 5] < c) k = kSeedCounts[dealt % 5];
        if (k > 0) {
          held.assign(static_cast<std::size_t>(c), 1);
          for (std::int64_t j = 0; j < k; ++j)
            held[static_cast<std::size_t>(std::lower_bound(items.begin(), items.end(), in_order[static_cast<std::size_t>(j)]) -
                                          items.begin())] = 0;
        }
      }
    }
    std::vector<std::int64_t> order(static_cast<std::size_t>(c));
    for (std::int64_t k = 0; k < c; ++k) order[k] = k;
    for (std::int64_t k = 0; k < h; ++k) {
      std::uniform_int_distribution<std::int64_t> pick(k, c - 1);
      std::swap(order[k], order[pick(rng)]);
      held[static_cast<std::size_t>(order[k])] = 1;
    }
    for (std::int64_t k = 0; k < c; ++k) {
      if (held[static_cast<std::size_t>(k)] == 1) {
        out.targets.indices.push_back(items[k]);
        out.targets.values.push_back(vals[k]);
      } else if (held[static_cast<std::size_t>(k)] == 0) {
        indices.push_back(items[k]);
        values.push_back(vals[k]);
      }
    }
    indptr.push_back(static_cast<std::int64_t>(indices.size()));
    out.targets.indptr.push_back(static_cast<std::int64_t>(out.targets.indices.size()));
  }
  out.train.indptr = std::move(indptr);
  out.train.indices = std::move(indices);
  out.train.values = std::move(values);
  out.train.negatives = all.negatives;

  if (context.dataset != nullptr && context.dataset->interactions.n_users == all.n_users) {
    const Interactions& log = context.dataset->interactions;
    // An event stays when its item stayed in the listener's row (labels and
    // dropped items take their events with them).
    auto keep = [&](std::int32_t u, std::int64_t e) {
      const auto kept = out.train.items_of(u);
      return std::binary_search(kept.begin(), kept.end(), log.items[e]);
    };
    if (context.events == nullptr) {
      for (std::int32_t u = 0; u < log.n_users; ++u)
        for (std::int64_t e = log.begin(u); e < log.end(u); ++e)
          if (keep(u, e)) out.events.push_back(e);
    } else {
      for (std::int64_t e : *context.events) {
        const auto it = std::upper_bound(log.indptr.begin(), log.indptr.end(), e);
        const auto u = static_cast<std::int32_t>(it - log.indptr.begin() - 1);
        if (keep(u, e)) out.events.push_back(e);
      }
    }
  }
  return out;
}

// True when some artist, album, genre or tag feature is shared by two items:
// what featureknn links (a catalogue whose every item is its own artist, as
// Last.fm's, has nothing to link by artist but may by tag).
bool has_linkable_features(const FeatureMatrix* features) {
  if (features == nullptr) return false;
  std::vector<std::int32_t> items_of(static_cast<std::size_t>(features->n_features), 0);
  for (const std::int32_t f : features->indices) ++items_of[static_cast<std::size_t>(f)];
  for (std::int32_t f = 0; f < features->n_features; ++f) {
    const std::string& group = features->groups[static_cast<std::size_t>(features->group_of[static_cast<std::size_t>(f)])];
    if (items_of[static_cast<std::size_t>(f)] >= 2 &&
        (group == "artist" || group == "album" || group == "genre" || group == "tag"))
      return true;
  }
  return false;
}

std::vector<std::string> resolve_generators(const std::string& text, std::int32_t n_items, bool titled,
                                            bool linkable_features) {
  std::vector<std::string> specs;
  if (text == "auto") {
    if (n_items <= kAutoEaseItems) specs.emplace_back("ease");
    for (const char* name : {"ials", "itemknn", "rp3beta", "userknn"}) specs.emplace_back(name);
    if (titled) specs.emplace_back("title");
    // With --items: the features' co-listening (a playlist's next track is often by an artist it holds).
    if (linkable_features) specs.emplace_back("featureknn");
    return specs;
  }
  for (std::string& piece : split_model_list(text, "rerank", "generators")) {
    if (is_rerank_name(piece)) throw UsageError("model 'rerank': parameter 'generators': a generator cannot be rerank");
    try {
      parse_spec(piece);
    } catch (const UsageError& error) {
      throw UsageError("model 'rerank': parameter 'generators': " + std::string(error.what()));
    }
    specs.push_back(std::move(piece));
  }
  return specs;
}

ModelInfo rerank_info() {
  return ModelInfo{"rerank", "two-stage: several models' candidates re-ranked by LambdaMART (xgboost)",
                   rerank_params(), &make_rerank, "candidates=50|100|200,eta=0.02:0.2:log,depth=4|6|8"};
}

RerankModel::RerankModel(const ModelSpec& spec) : Recommender(spec) {
  const std::string& carve = spec.get_string("carve");
  if (carve != "random" && carve != "last" && carve != "seeds")
    throw UsageError("model 'rerank': parameter 'carve': '" + carve + "' is not random, last or seeds");
  const std::string& objective = spec.get_string("objective");
  if (objective != "ndcg" && objective != "pairwise" && objective != "map")
    throw UsageError("model 'rerank': parameter 'objective': '" + objective + "' is not ndcg, pairwise or map");
  resolve_generators(spec.get_string("generators"), 0, false, false);  // checks the specs now
}

void RerankModel::build_features() {
  features_ = std::make_unique<RerankFeatures>(generator_labels(generators_),
                                               static_cast<std::int32_t>(params().get_int("candidates")), &side_,
                                               content_.empty() ? nullptr : &content_, cooc_.get(), &history(),
                                               n_items(), params().get_bool("raw_scores"));
}

void RerankModel::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  const ModelSpec& spec = params();
  generator_specs_ = resolve_generators(spec.get_string("generators"), train.n_items, has_titles(context.dataset),
                                        has_linkable_features(context.item_features));
  const auto seed = static_cast<std::uint64_t>(spec.get_int("seed"));
  const auto per_generator = static_cast<std::int32_t>(spec.get_int("candidates"));
  const int last_n = static_cast<int>(spec.get_int("last"));
  content_ = context.item_features != nullptr ? *context.item_features : FeatureMatrix{};
  ThreadPool& pool = context.pool != nullptr ? *context.pool : default_thread_pool();

  const SparseRows friends = RerankSide::friends_of(context.user_features, context.dataset, train.n_users);
  // Stage one on each carve: generators that never saw the labels. More
  // carves (other seeds) give the ranker more labelled listeners.
  RankingRows fit_rows, valid_rows;
  std::vector<std::string> ranker_features;
  std::int64_t targets = 0, found = 0;
  const int carves = static_cast<int>(spec.get_int("carves"));
  for (int k = 0; k < carves; ++k) {
    // Next-track: the first carve holds out each listener's last item, the
    // others cut them at earlier points, for more (and other) labels.
    const std::string mode = spec.get_string("carve") == "last" && k > 0 ? "cut" : spec.get_string("carve");
    const RerankCarve carved =
        carve_for_ranker(train, spec.get_float("fraction"), seed + 7919u * static_cast<std::uint64_t>(k), context, mode);
    FitContext carve_context = context;
    carve_context.events = context.dataset != nullptr ? &carved.events : nullptr;
    carve_context.checkpoint_path.clear();
    std::vector<std::unique_ptr<Recommender>> carve_generators;
    for (const std::string& g : generator_specs_) {
      carve_generators.push_back(make_nested_model("rerank", "generators", g, ""));
      carve_generators.back()->fit(carved.train, carve_context);
    }
    std::unique_ptr<Recommender> carve_cooc = make_cooc();
    carve_cooc->fit(carved.train, carve_context);
    RerankSide carve_side = RerankSide::build(carved.train, context.dataset, carve_context.events, last_n);
    carve_side.friends = friends;
    const SparseRows carve_positives = carved.train.positives();
    const RerankFeatures carve_features(generator_labels(carve_generators), per_generator, &carve_side,
                                        content_.empty() ? nullptr : &content_, carve_cooc.get(), &carve_positives,
                                        train.n_items, spec.get_bool("raw_scores"));
    fit_rows.n_features = valid_rows.n_features = carve_features.n_features();
    ranker_features = carve_features.names();

    // The ranker's rows: every listener with carved items, candidates labelled
    // by whether they were carved.
    std::vector<std::int32_t> users;
    for (std::int32_t u = 0; u < train.n_users; ++u)
      if (carved.targets.count(u) > 0 && carved.train.count(u) > 0) users.push_back(u);
    std::vector<CandidateRows> per_user(users.size());
    const std::size_t n = static_cast<std::size_t>(train.n_items);
    const std::size_t G = carve_generators.size();
    const std::int64_t block = std::clamp<std::int64_t>(
        static_cast<std::int64_t>((std::size_t{16} << 20) / std::max<std::size_t>(1, G * n)), 1, 64);
    pool.parallel_for(0, static_cast<std::int64_t>(users.size()), block, [&](std::int64_t begin, std::int64_t end, int) {
      const auto count = static_cast<std::size_t>(end - begin);
      std::vector<float> rows(G * count * n);
      const std::span<const std::int32_t> chunk(users.data() + begin, count);
      for (std::size_t g = 0; g < G; ++g) carve_generators[g]->score_users(chunk, rows.data() + g * count * n);
      std::vector<const float*> pointers(G);
      for (std::size_t r = 0; r < count; ++r) {
        const std::int32_t u = chunk[r];
        for (std::size_t g = 0; g < G; ++g) pointers[g] = rows.data() + (g * count + r) * n;
        carve_features.build(pointers, carved.train.items_of(u), carved.train.values_of(u),
                             carve_side.last.row_indices(u), carve_side.user_pop[static_cast<std::size_t>(u)],
                             carve_side.friends.row_indices(u), hour_of(carve_side, u), per_user[static_cast<std::size_t>(begin) + r]);
      }
    });

    for (std::size_t j = 0; j < users.size(); ++j) {
      const CandidateRows& rows = per_user[j];
      const auto t = carved.targets.row_indices(users[j]);
      targets += static_cast<std::int64_t>(t.size());
      std::vector<float> labels(rows.items.size());
      int positives = 0;
      for (std::size_t c = 0; c < rows.items.size(); ++c) {
        labels[c] = std::binary_search(t.begin(), t.end(), rows.items[c]) ? 1.0f : 0.0f;
        positives += labels[c] > 0.0f;
      }
      found += positives;
      if (positives == 0) continue;  // no pair to order: no gradient
      // A fifth of the listeners (the same in every carve) decide when boosting stops.
      const std::uint64_t h = (static_cast<std::uint64_t>(users[j]) + 1) * 0x9E3779B97F4A7C15ull ^ seed;
      RankingRows& to = (h >> 33) % 5 == 0 ? valid_rows : fit_rows;
      to.x.insert(to.x.end(), rows.x.begin(), rows.x.end());
      to.labels.insert(to.labels.end(), labels.begin(), labels.end());
      to.group_sizes.push_back(static_cast<unsigned>(rows.items.size()));
    }
  }
  candidate_recall_ = targets > 0 ? static_cast<double>(found) / static_cast<double>(targets) : 0.0;

  RankerParams ranker;
  ranker.objective = "rank:" + spec.get_string("objective");
  ranker.rounds = static_cast<int>(spec.get_int("rounds"));
  ranker.early_stop = static_cast<int>(spec.get_int("early_stop"));
  ranker.eta = spec.get_float("eta");
  ranker.max_depth = static_cast<int>(spec.get_int("depth"));
  ranker.min_child_weight = spec.get_float("min_child_weight");
  ranker.subsample = spec.get_float("subsample");
  ranker.colsample = spec.get_float("colsample");
  ranker.threads = pool.size();
  ranker.seed = seed;
  if (spec.get_bool("monotone")) {
    // A generator's opinion only ever helps: higher score or z, better; lower rank, better.
    for (const std::string& name : ranker_features) {
      const bool score = name.ends_with(".score") || name.ends_with(".z");
      ranker.monotone.push_back(score ? 1 : name.ends_with(".rank") ? -1 : 0);
    }
  }
  ranker_ = XgbRanker();
  // Too little data for a single labelled listener: the candidates are ordered
  // by the generators' mean standardised score (see score_rows), and the fit says so.
  if (fit_rows.rows() > 0) {
    try {
      ranker_ = XgbRanker::train(fit_rows, valid_rows, ranker);
      // Early stopping chose the number of rounds; the final ranker learns
      // from every labelled listener with that many.
      if (valid_rows.rows() > 0) {
        const double valid_ndcg = ranker_.best_valid_ndcg();
        ranker.rounds = ranker_.rounds();
        ranker.early_stop = 0;
        append_rows(fit_rows, valid_rows);
        ranker_ = XgbRanker::train(fit_rows, RankingRows{}, ranker);
        ranker_.set_best_valid_ndcg(valid_ndcg);
      }
    } catch (const std::runtime_error& error) {
      throw UsageError(std::string("rerank: training the ranker failed: ") + error.what());
    }
  }
  set_fit_stat("candidate_recall", candidate_recall_);
  set_fit_stat("ranker_rounds", ranker_.empty() ? 0 : ranker_.rounds());
  set_fit_stat("ranker_rows", static_cast<double>(fit_rows.rows()));
  if (!std::isnan(ranker_.best_valid_ndcg())) set_fit_stat("ranker_valid_ndcg", ranker_.best_valid_ndcg());

  // Stage one again on everything, for serving.
  generators_.clear();
  for (const std::string& g : generator_specs_) {
    generators_.push_back(make_nested_model("rerank", "generators", g, ""));
    generators_.back()->fit(train, context);
  }
  cooc_ = make_cooc();
  cooc_->fit(train, context);
  side_ = RerankSide::build(train, context.dataset, context.events, last_n);
  side_.friends = friends;
  build_features();
  if (!ranker_.empty() && ranker_.n_features() != features_->n_features())
    throw std::logic_error("rerank: the ranker's features differ from the serving features");
}

void RerankModel::score_rows(std::span<const float* const> rows, std::span<const std::int32_t> history,
                             std::span<const float> values, std::span<const std::int32_t> last, float user_pop,
                             std::span<const std::int32_t> friends, std::int32_t hour_block, float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  CandidateRows candidates;
  features_->build(rows, history, values, last, user_pop, friends, hour_block, candidates);
  // Below the candidates (long lists: 500 for playlist continuation): the
  // generators' mean standardised score, squeezed into (-100.5, -99.5).
  // Branch-free passes (vectorised) over blocks of items that stay in L1: the
  // generators' z summed in a block, then squashed into `out` (written once;
  // it may hold anything before).
  const std::size_t G = rows.size();
  constexpr std::uint32_t kFloorBits = std::bit_cast<std::uint32_t>(-1e3f);
  constexpr std::size_t kBlock = 1024;
  alignas(64) float sum[kBlock];
  const float share = 1.0f / static_cast<float>(G);
  for (std::size_t begin = 0; begin < n; begin += kBlock) {
    const std::size_t len = std::min(kBlock, n - begin);
    for (std::size_t g = 0; g < G; ++g) {
      const float* row = rows[g] + begin;
      const float mean = candidates.row_mean[g], inv_sd = candidates.row_inv_sd[g];
      // z, or -1000 for a NaN or inf score, by a bit mask on the exponent: no branch.
      auto z_of = [&](std::size_t i) {
        const float v = row[i];
        const std::uint32_t z = std::bit_cast<std::uint32_t>((v - mean) * inv_sd);
        const std::uint32_t finite =
            0u - static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(v) & 0x7f800000u) != 0x7f800000u);
        return std::bit_cast<float>((z & finite) | (kFloorBits & ~finite));
      };
      if (g == 0) {
        for (std::size_t i = 0; i < len; ++i) sum[i] = z_of(i);
      } else {
        for (std::size_t i = 0; i < len; ++i) sum[i] += z_of(i);
      }
    }
    // x / (1 + |x|): monotone into (-1, 1), and far cheaper than atan over a 100k-item row.
    for (std::size_t i = 0; i < len; ++i) {
      const float x = sum[i] * share;
      out[begin + i] = -kCandidateFloor + 0.5f * x / (1.0f + std::abs(x));
    }
  }
  Scratch<float> margins(candidates.items.size());
  if (!ranker_.empty()) {
    ranker_.predict(candidates.x.data(), candidates.items.size(), margins.data());
  } else {
    const std::size_t F = static_cast<std::size_t>(features_->n_features());
    for (std::size_t c = 0; c < candidates.items.size(); ++c) {
      double sum = 0.0;
      for (std::size_t g = 0; g < G; ++g) {
        const float z = candidates.x[c * F + 3 * g + 1];
        sum += std::isnan(z) ? 0.0 : z;
      }
      margins[c] = static_cast<float>(sum / static_cast<double>(G));
    }
  }
  for (std::size_t c = 0; c < candidates.items.size(); ++c) {
    float& score = out[static_cast<std::size_t>(candidates.items[c])];
    const float mean_z = score + kCandidateFloor;  // in (-0.5, 0.5), from the fill above
    score = kCandidateFloor + std::clamp(margins[c], -kMarginLimit, kMarginLimit) + kTieBreak * mean_z;
  }
}

void RerankModel::score_users(std::span<const std::int32_t> users, float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  const std::size_t G = generators_.size();
  const std::size_t block = std::clamp<std::size_t>((std::size_t{16} << 20) / std::max<std::size_t>(1, G * n), 1, 64);
  // The generators overwrite every score: no memset of the rows (2 MB for one
  // listener of a 124k-item catalogue with four generators).
  Scratch<Uninit<float>> buffer(G * std::min(block, users.size()) * n);
  float* rows = data_of(buffer);
  std::vector<const float*> pointers(G);
  for (std::size_t first = 0; first < users.size(); first += block) {
    const std::size_t count = std::min(block, users.size() - first);
    const auto chunk = users.subspan(first, count);
    for (std::size_t g = 0; g < G; ++g) generators_[g]->score_users(chunk, rows + g * count * n);
    for (std::size_t r = 0; r < count; ++r) {
      const std::int32_t u = chunk[r];
      for (std::size_t g = 0; g < G; ++g) pointers[g] = rows + (g * count + r) * n;
      score_rows(pointers, history().row_indices(u), history().row_values(u), side_.last.row_indices(u),
                 side_.user_pop[static_cast<std::size_t>(u)], side_.friends.row_indices(u), hour_of(side_, u),
                 out + (first + r) * n);
    }
  }
}

void RerankModel::score_history(std::span<const std::int32_t> items, std::span<const float> weights,
                                float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  const std::size_t G = generators_.size();
  std::vector<float> rows(G * n);
  std::vector<const float*> pointers(G);
  for (std::size_t g = 0; g < G; ++g) {
    generators_[g]->score_history(items, weights, rows.data() + g * n);
    pointers[g] = rows.data() + g * n;
  }
  // Positives only, sorted, for the exclusion and the features; the last items
  // in the order given.
  std::vector<std::pair<std::int32_t, float>> positive;
  for (std::size_t k = 0; k < items.size(); ++k)
    if (weights.empty() || weights[k] > 0.0f) positive.emplace_back(items[k], weights.empty() ? 1.0f : weights[k]);
  std::vector<std::int32_t> recent;
  const int last_n = static_cast<int>(params().get_int("last"));
  for (auto it = positive.rbegin(); it != positive.rend() && static_cast<int>(recent.size()) < last_n; ++it)
    if (std::find(recent.begin(), recent.end(), it->first) == recent.end()) recent.push_back(it->first);
  std::reverse(recent.begin(), recent.end());
  std::sort(positive.begin(), positive.end());
  std::vector<std::int32_t> history;
  std::vector<float> values;
  for (const auto& [item, value] : positive) {
    if (!history.empty() && history.back() == item) {
      values.back() += value;
      continue;
    }
    history.push_back(item);
    values.push_back(value);
  }
  score_rows(pointers, history, values,
             side_.has_order ? std::span<const std::int32_t>(recent) : std::span<const std::int32_t>(),
             features_->history_pop(history), {}, /*hour_block=*/-1, out);  // a bare history has no time
}

void RerankModel::candidate_rows(std::int32_t user, CandidateRows& out) const {
  check_user(user);
  const auto n = static_cast<std::size_t>(n_items());
  Scratch<Uninit<float>> buffer(generators_.size() * n);
  float* rows = data_of(buffer);
  std::vector<const float*> pointers;
  for (std::size_t g = 0; g < generators_.size(); ++g) {
    generators_[g]->score_users(std::span<const std::int32_t>(&user, 1), rows + g * n);
    pointers.push_back(rows + g * n);
  }
  features_->build(pointers, history().row_indices(user), history().row_values(user), side_.last.row_indices(user),
                   side_.user_pop[static_cast<std::size_t>(user)], side_.friends.row_indices(user), hour_of(side_, user),
                   out);
}

Explanation RerankModel::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  CandidateRows candidates;
  candidate_rows(user, candidates);
  const auto it = std::find(candidates.items.begin(), candidates.items.end(), item);
  // The generator that ranked it best says which history items led to it.
  const std::size_t G = generators_.size();
  const auto F = static_cast<std::size_t>(features_->n_features());
  std::size_t best = 0;
  float best_rank = 0.0f;
  const float* x = nullptr;
  if (it != candidates.items.end()) {
    x = candidates.x.data() + static_cast<std::size_t>(it - candidates.items.begin()) * F;
    for (std::size_t g = 0; g < G; ++g) {
      const float rank = x[3 * g + 2];
      if (!std::isnan(rank) && (best_rank == 0.0f || rank < best_rank)) {
        best_rank = rank;
        best = g;
      }
    }
  }
  // History contributions from the best-ranking generator that can attribute
  // its score (a factor model cannot; item-KNN or EASE next to it can).
  std::vector<std::size_t> by_rank(G);
  for (std::size_t g = 0; g < G; ++g) by_rank[g] = g;
  if (x != nullptr)
    std::stable_sort(by_rank.begin(), by_rank.end(), [&](std::size_t a, std::size_t b) {
      const float ra = x[3 * a + 2], rb = x[3 * b + 2];
      return !std::isnan(ra) && (std::isnan(rb) || ra < rb);
    });
  Explanation out = generators_[by_rank[0]]->explain(user, item);
  for (std::size_t k = 1; k < G && out.contributions.empty(); ++k) {
    Explanation next = generators_[by_rank[k]]->explain(user, item);
    if (!next.contributions.empty()) out = std::move(next);
  }
  out.user = user;
  out.item = item;
  std::vector<float> row(static_cast<std::size_t>(n_items()));
  score_users(std::span<const std::int32_t>(&user, 1), row.data());
  out.score = row[static_cast<std::size_t>(item)];
  if (x == nullptr) {
    out.note = "rerank: not among the " + std::to_string(features_->per_generator()) +
               " candidates of any generator; ranked below them by " + generators_[0]->name();
    return out;
  }
  if (ranker_.empty()) {
    out.note = "rerank: proposed by " + generators_[best]->name() + " (rank " +
               std::to_string(static_cast<int>(best_rank)) + "); no ranker (too little data): mean of the generators' z-scores" +
               (out.note.empty() ? "" : "; " + out.note);
    return out;
  }
  // The ranker's strongest features for this pair (SHAP values).
  const std::vector<float> shap = ranker_.contributions(x);
  std::vector<std::size_t> order(F);
  for (std::size_t f = 0; f < F; ++f) order[f] = f;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(shap[a]) != std::abs(shap[b]) ? std::abs(shap[a]) > std::abs(shap[b]) : a < b;
  });
  std::string note = "rerank: proposed by " + generators_[best]->name() + " (rank " +
                     std::to_string(static_cast<int>(best_rank)) + "); strongest features:";
  for (std::size_t k = 0; k < std::min<std::size_t>(3, F); ++k) {
    const std::size_t f = order[k];
    char buffer[96];
    std::snprintf(buffer, sizeof(buffer), " %s=%.3g (%+.3f)", features_->names()[f].c_str(), x[f], shap[f]);
    note += buffer;
  }
  out.note = note + (out.note.empty() ? "" : "; " + out.note);
  return out;
}

void RerankModel::save_model(ModelWriter& out) const {
  out.put_strings("rerank.generator_specs", generator_specs_);
  for (std::size_t g = 0; g < generators_.size(); ++g)
    save_nested_model(out, "rerank.generator." + std::to_string(g), *generators_[g]);
  save_nested_model(out, "rerank.cooc", *cooc_);
  side_.save(out, "rerank.side");
  out.put_scalar<std::int32_t>("rerank.has_content", content_.empty() ? 0 : 1);
  if (!content_.empty()) content_.save(out, "rerank.content");
  out.put_string("rerank.ranker", ranker_.empty() ? std::string() : ranker_.to_bytes());
  out.put_scalar<std::int32_t>("rerank.n_features", features_->n_features());
  out.put_scalar<double>("rerank.candidate_recall", candidate_recall_);
}

void RerankModel::load_model(const ModelReader& in) {
  generator_specs_ = in.get_strings("rerank.generator_specs");
  if (generator_specs_.empty()) in.fail("rerank.generator_specs", "no generators");
  generators_.clear();
  for (std::size_t g = 0; g < generator_specs_.size(); ++g) {
    const std::string section = "rerank.generator." + std::to_string(g);
    generators_.push_back(load_nested_model(in, section));
    if (generators_.back()->n_users() != n_users() || generators_.back()->n_items() != n_items())
      in.fail(section, "the generator's shape differs from the model's");
  }
  cooc_ = load_nested_model(in, "rerank.cooc");
  if (cooc_->n_items() != n_items()) in.fail("rerank.cooc", "the co-occurrence model's shape differs");
  side_ = RerankSide::load(in, "rerank.side", n_users(), n_items());
  content_ = in.get_scalar<std::int32_t>("rerank.has_content") != 0 ? FeatureMatrix::load(in, "rerank.content")
                                                                     : FeatureMatrix{};
  if (!content_.empty() && content_.n_rows != n_items()) in.fail("rerank.content", "one row per item expected");
  candidate_recall_ = in.get_scalar<double>("rerank.candidate_recall");
  build_features();
  const auto n_features = in.get_scalar<std::int32_t>("rerank.n_features");
  if (n_features != features_->n_features()) in.fail("rerank.n_features", "does not match the generators and content");
  ranker_ = XgbRanker();
  if (!in.view_string("rerank.ranker").empty()) try {
    ranker_ = XgbRanker::from_bytes(in.view_string("rerank.ranker"), n_features);
  } catch (const std::exception& error) {
    in.fail("rerank.ranker", error.what());
  }
}

}  // namespace segue

SEGUE_REGISTER_MODEL(rerank, ::segue::rerank_info())
