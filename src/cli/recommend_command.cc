// segue recommend / segue similar: top-n lists from a saved model, with item
// names from a store (--data) and reasons (--explain) when asked; context
// re-ranking by --mood, --hour and --skip-model (docs/CONTEXT.md).
#include <chrono>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/world.h"
#include "data/error.h"
#include "data/store.h"
#include "context/moods.h"
#include "context/skip_rerank.h"
#include "models/batch_recommend.h"
#include "models/content/title.h"
#include "data/csv_reader.h"
#include "models/recommender.h"
#include "serve/serving_model.h"
#include "util/thread_pool.h"

namespace segue::cli {
namespace {

// Item labels come from the served model's catalogue (names from --data).
class ItemNames {
 public:
  explicit ItemNames(const ServingModel& served) : served_(served) {}
  const Dataset* data() const { return served_.store(); }
  std::string label(std::int32_t item) const { return served_.catalog().label(item); }

 private:
  const ServingModel& served_;
};

std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string id;
  while (std::getline(in, id, ','))
    if (!id.empty()) out.push_back(id);
  return out;
}

// Users without training history get the most popular training items
// (penalised by P(skip) too under --skip-model; `shift` receives the shift).
std::vector<ScoredItem> popularity_fallback(const ServingModel& served, std::int32_t n,
                                            const ItemSkipPenalty* skips = nullptr, float* shift = nullptr) {
  RecommendRequest request;
  request.n = n;
  request.skip_penalty = skips;
  RecommendResult result = served.recommend(request);
  if (shift != nullptr) *shift = result.skip_shift;
  return std::move(result.items);
}

// --skip-model: what a printed list adds. `shift` is what the list's row lost
// per unit of P(skip) (penalty × the row's score sd); `header` is the request's
// context for --json.
struct SkipView {
  const ItemSkipPenalty& skips;
  float shift = 0.0f;
  nlohmann::json header;
};

// printf pads bytes, not characters: "Beyoncé" would end one column short.
std::string pad_to_columns(const std::string& text, std::size_t columns) {
  std::size_t characters = 0;
  for (const unsigned char c : text) characters += (c & 0xC0) != 0x80;  // UTF-8 lead bytes
  return characters >= columns ? text : text + std::string(columns - characters, ' ');
}

// With `skip` (--skip-model): --explain adds P(skip) to each line and --json
// wraps the list as {context..., "recommendations": [...]} with each pick's
// skip_probability (null: no skip-model features) and model_score.
void print_list(const std::vector<ScoredItem>& items, const ItemNames& names, const Recommender& model,
                const std::optional<std::int32_t>& explain_user, bool json, const SkipView* skip = nullptr,
                bool explain_skip = false) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t r = 0; r < items.size(); ++r) {
    const std::int32_t item = items[r].item;
    nlohmann::json row = {{"rank", r + 1},
                          {"item_id", model.item_ids().name(item)},
                          {"name", names.label(item)},
                          {"score", items[r].score}};
    std::string skip_text;
    if (skip != nullptr) {
      const float p = skip->skips.probability[static_cast<std::size_t>(item)];
      const bool known = !std::isnan(p);
      row["skip_probability"] = known ? nlohmann::json(p) : nlohmann::json(nullptr);
      row["model_score"] = known ? items[r].score + skip->shift * p : items[r].score;
      char text[64];
      std::snprintf(text, sizeof text, known ? "   P(skip) %.3f" : "   P(skip) -  (no skip-model features)",
                    static_cast<double>(p));
      if (explain_skip) skip_text = text;
    }
    if (!json)
      std::printf("%3zu. %s %10.4f%s\n", r + 1, pad_to_columns(names.label(item), 50).c_str(), items[r].score,
                  skip_text.c_str());
    if (explain_user) {
      const Explanation why = model.explain(*explain_user, item);
      nlohmann::json because = nlohmann::json::array();
      // The terminal shows the three largest reasons; --json has them all.
      constexpr std::size_t kShown = 3;
      for (std::size_t c = 0; c < why.contributions.size(); ++c) {
        const Contribution& part = why.contributions[c];
        because.push_back(
            {{"item_id", model.item_ids().name(part.item)}, {"name", names.label(part.item)}, {"share", part.share}});
        if (!json && c < kShown)
          std::printf("       because you played %s (%.0f%%)\n", names.label(part.item).c_str(), 100.0 * part.share);
      }
      if (!json && why.contributions.size() > kShown)
        std::printf("       ... and %zu more you played\n", why.contributions.size() - kShown);
      if (!why.note.empty() && !json) std::printf("       (%s)\n", why.note.c_str());
      row["because"] = because;
      if (!why.note.empty()) row["explain_note"] = why.note;
    }
    out.push_back(row);
  }
  if (!json) return;
  if (skip != nullptr) {
    nlohmann::json wrapped = skip->header;
    wrapped["recommendations"] = out;
    std::printf("%s\n", wrapped.dump(2).c_str());
    return;
  }
  std::printf("%s\n", out.dump(2).c_str());
}

// The lists of `users` computed in equal blocks across the ranks, on every rank.
template <class ListsOf>
BatchLists gather_lists(const std::vector<std::int32_t>& users, const ListsOf& lists_of, Collective& ranks) {
  const auto total = static_cast<std::int64_t>(users.size());
  const std::int64_t first = total * ranks.rank() / ranks.size(), last = total * (ranks.rank() + 1) / ranks.size();
  const BatchLists mine =
      lists_of(std::span<const std::int32_t>(users.data() + first, static_cast<std::size_t>(last - first)));
  std::vector<std::int32_t> ids;
  std::vector<float> scores;
  for (std::size_t r = 0; r < mine.counts.size(); ++r)
    for (const ScoredItem& s : mine.row(r)) {
      ids.push_back(s.item);
      scores.push_back(s.score);
    }
  BatchLists all;
  all.n = mine.n;  // n clamped to the catalogue: the same on every rank
  all.counts = ranks.allgather(mine.counts);
  const std::vector<std::int32_t> all_ids = ranks.allgather(ids);
  const std::vector<float> all_scores = ranks.allgather(scores);
  all.items.resize(users.size() * static_cast<std::size_t>(all.n));
  std::size_t at = 0;
  for (std::size_t r = 0; r < all.counts.size(); ++r)
    for (std::int32_t j = 0; j < all.counts[r]; ++j, ++at)
      all.items[r * static_cast<std::size_t>(all.n) + static_cast<std::size_t>(j)] = ScoredItem{all_ids[at], all_scores[at]};
  return all;
}

// --all --out RECS.csv: every training user's list, in the recs format that
// `segue eval --recs` reads (user_id,item_id,rank) plus the score.
// With `skips` (--skip-model), every list is the penalised one.
void write_all_users(const ServingModel& served, std::int32_t n, bool exclude_seen, const std::string& path,
                     const ItemSkipPenalty* skips = nullptr) {
  const Recommender& model = served.model();
  std::vector<std::int32_t> users, cold;
  for (std::int32_t u = 0; u < model.n_users(); ++u) (model.history().count(u) > 0 ? users : cold).push_back(u);
  const auto start = std::chrono::steady_clock::now();
  const auto lists_of = [&](std::span<const std::int32_t> some) {
    return skips != nullptr ? recommend_batch_with_skip_penalty(model, some, n, exclude_seen, *skips)
                            : recommend_batch(model, some, n, exclude_seen);
  };
  // Under mpirun: each rank ranks an equal block of the users; the lists are gathered and rank 0 writes them.
  const BatchLists lists = world() != nullptr ? gather_lists(users, lists_of, *world()) : lists_of(users);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!is_root()) return;
  const std::vector<ScoredItem> popular = popularity_fallback(served, n, skips);
  std::ofstream out(path);
  if (!out) throw UsageError("--out: cannot write '" + path + "'");
  out << "user_id,item_id,rank,score\n";
  const auto write = [&](std::int32_t user, std::span<const ScoredItem> list) {
    for (std::size_t r = 0; r < list.size(); ++r)
      out << model.user_ids().name(user) << ',' << model.item_ids().name(list[r].item) << ',' << r + 1 << ','
          << list[r].score << '\n';
  };
  for (std::size_t r = 0; r < users.size(); ++r) write(users[r], lists.row(r));
  for (const std::int32_t u : cold) write(u, popular);
  out.close();
  if (!out) throw UsageError("--out: cannot write '" + path + "'");
  std::fprintf(stderr, "top %d for %zu users in %.3f s (%s)%s -> %s\n", lists.n, users.size(), seconds,
               model.params().to_short_string().c_str(),
               cold.empty() ? "" : (", " + std::to_string(cold.size()) + " users without history got the most popular items").c_str(),
               path.c_str());
}

// --mood / --hour for a known user: the library's context re-ranking; the
// notes it returns say what it did.
std::vector<ScoredItem> recommend_in_context(const ServingModel& served, std::int32_t user, std::int32_t n,
                                             bool exclude_seen, const std::string& mood, float mood_boost,
                                             std::optional<int> hour, float hour_weight) {
  RecommendRequest request;
  request.user = user;
  request.n = n;
  request.exclude_seen = exclude_seen;
  request.mood = mood;
  request.mood_boost = mood_boost;
  request.hour = hour;
  request.hour_weight = hour_weight;
  RecommendResult result = served.recommend(request);
  for (const std::string& note : result.notes) std::printf("%s\n", note.c_str());
  return std::move(result.items);
}

// --title TEXT / --titles FILE: the title model's lists for playlists given by
// their title alone (FILE: user_id,name columns, e.g. test_playlists.csv),
// written as a recs file for `segue eval --recs`.
const TitleModel& title_model(const Recommender& model) {
  const auto* title = dynamic_cast<const TitleModel*>(&model);
  if (title == nullptr) throw UsageError("--title/--titles: needs a model trained with --model title (this is '" + model.name() + "')");
  return *title;
}

std::vector<ScoredItem> recommend_title(const TitleModel& model, std::string_view title, std::int32_t n) {
  std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
  model.score_title(title, scores.data());
  std::vector<ScoredItem> out;
  top_k(scores, {}, std::min(n, model.n_items()), out);
  return out;
}

void write_titles(const TitleModel& model, const std::string& titles_csv, std::int32_t n, const std::string& path) {
  CsvReader csv(titles_csv);
  const int id_col = csv.require_column("user_id", "the playlist id column");
  const int name_col = csv.require_column("name", "the playlist title column");
  std::ofstream out(path);
  if (!out) throw UsageError("--out: cannot write '" + path + "'");
  out << "user_id,item_id,rank,score\n";
  std::int64_t rows = 0;
  while (csv.next()) {
    ++rows;
    const std::string id(csv.field(id_col));
    const auto list = recommend_title(model, csv.field(name_col), n);
    for (std::size_t r = 0; r < list.size(); ++r)
      out << id << ',' << model.item_ids().name(list[r].item) << ',' << r + 1 << ',' << list[r].score << '\n';
  }
  out.close();
  if (!out) throw UsageError("--out: cannot write '" + path + "'");
  std::fprintf(stderr, "top %d for %lld titles from %s -> %s\n", n, static_cast<long long>(rows), titles_csv.c_str(),
               path.c_str());
}

}  // namespace

void add_recommend_command(CLI::App& app) {
  struct Args {
    std::string model, user, history, data, out, mood, title, titles, skip_model, title_model;
    int title_seeds = 5;
    std::optional<int> hour;
    // --skip-model: the session slot being filled and the penalty's weight.
    float skip_penalty = 1.0f;
    std::optional<int> position, session_length, previous_skip;
    std::optional<std::string> context_type;
    float hour_weight = 1.0f;
    float mood_boost = 1.0f;
    int n = 10;
    int threads = 0;
    bool explain = false, json = false, include_seen = false, all = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("recommend", "Top-n recommendations for a user, or for a new user's history");
  cmd->add_option("--model", args->model, "Model file from `segue train`")->required();
  cmd->add_option("--user", args->user, "User id (as in the training data)");
  cmd->add_option("--history", args->history, "Or: comma-separated item ids of a new user (fold-in, no retraining)");
  cmd->add_flag("--all", args->all, "Or: every training user, written to --out as user_id,item_id,rank,score");
  cmd->add_option("--out", args->out, "CSV file for --all");
  cmd->add_option("--n", args->n, "How many items")->capture_default_str();
  cmd->add_option("--data", args->data, "Store directory with item names (e.g. the one you imported)");
  cmd->add_option("--hour", args->hour,
                  "With --user and --data: favour tracks listened to at this hour (0..23, UTC); with --skip-model: "
                  "the session's hour for P(skip) instead");
  cmd->add_option("--hour-weight", args->hour_weight, "--hour: weight of the log hour affinity, in score sds")
      ->capture_default_str();
  cmd->add_option("--title", args->title, "Or: a new playlist's title (title model)");
  cmd->add_option("--titles", args->titles, "Or: CSV user_id,name of playlists by title alone, written to --out");
  cmd->add_option("--title-model", args->title_model,
                  "With --title and any other model (e.g. sasrec): a title model file whose top --title-seeds tracks "
                  "seed the empty playlist, which --model then continues");
  cmd->add_option("--title-seeds", args->title_seeds, "--title-model: how many seed tracks")->capture_default_str();
  cmd->add_option("--mood", args->mood,
                  "With --user and --data: calm, workout, focus, party, sad, happy, acoustic [:filter|:boost] "
                  "(audio-feature ranges in docs/CONTEXT.md)");
  cmd->add_option("--mood-boost", args->mood_boost, "--mood ...:boost: added per met condition share, in score sds")
      ->capture_default_str();
  cmd->add_option("--skip-model", args->skip_model,
                  "Skip model from `segue skips train`: scores -= penalty x score sd x P(skip | slot, track); "
                  "needs --data with the tracks' features (docs/CONTEXT.md)");
  CLI::Option* penalty_option =
      cmd->add_option("--skip-penalty", args->skip_penalty, "--skip-model: score sds lost at P(skip) = 1 (>= 0)")
          ->capture_default_str();
  cmd->add_option("--position", args->position, "--skip-model: 1-based position of the slot in the session (default 1)");
  cmd->add_option("--session-length", args->session_length, "--skip-model: session length (default max(20, position))");
  cmd->add_option("--context-type", args->context_type,
                  "--skip-model: the session's context_type (e.g. radio, editorial_playlist; the model's levels)");
  cmd->add_option("--previous-skip", args->previous_skip, "--skip-model: 1 if the previous track was skipped, 0 if not");
  cmd->add_flag("--explain", args->explain, "Show the user's items that contributed most (and P(skip) with --skip-model)");
  cmd->add_flag("--include-seen", args->include_seen, "Do not exclude the user's training items");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->callback([args, penalty_option] {
    set_default_threads(args->threads);
    if (static_cast<int>(!args->user.empty()) + static_cast<int>(!args->history.empty()) + static_cast<int>(args->all) +
            static_cast<int>(!args->title.empty()) + static_cast<int>(!args->titles.empty()) != 1)
      throw UsageError("give exactly one of --user ID, --history ID,ID,..., --title TEXT, --titles FILE or --all");
    if ((args->all || !args->titles.empty()) == args->out.empty())
      throw UsageError("--out goes with --all or --titles (and only with them)");
    if (args->n <= 0) throw UsageError("--n: must be at least 1, got " + std::to_string(args->n));
    if (!args->mood.empty() && args->user.empty()) throw UsageError("--mood: goes with --user");
    const bool skip_mode = !args->skip_model.empty();
    if (args->hour && args->user.empty() && !skip_mode) throw UsageError("--hour: goes with --user");
    if (args->hour && !args->mood.empty()) throw UsageError("--hour and --mood: one context at a time");
    // --skip-model: checked and loaded before the recommender, so a bad flag fails fast.
    if (!skip_mode && (args->position || args->session_length || args->context_type || args->previous_skip ||
                       penalty_option->count() > 0))
      throw UsageError("--position, --session-length, --context-type, --previous-skip and --skip-penalty go with "
                       "--skip-model");
    std::optional<SkipModel> skip_model;
    SessionSlot slot;
    SkipContext context;
    if (skip_mode) {
      if (args->data.empty())
        throw UsageError("--skip-model: needs --data STORE (the tracks' features, matched to the model's items by id)");
      if (!args->mood.empty()) throw UsageError("--skip-model and --mood: one at a time");
      if (!args->title.empty() || !args->titles.empty())
        throw UsageError("--skip-model: goes with --user, --history or --all");
      if (!std::isfinite(args->skip_penalty) || args->skip_penalty < 0.0f) {
        char value[32];
        std::snprintf(value, sizeof value, "%g", static_cast<double>(args->skip_penalty));
        throw UsageError(std::string("--skip-penalty: must be a finite number >= 0, got ") + value);
      }
      skip_model = SkipModel::load(args->skip_model);
      slot.position = args->position.value_or(1);
      slot.session_length = args->session_length;
      slot.hour = args->hour;
      slot.previous_skip = args->previous_skip;
      slot.context_type = args->context_type;
      context = skip_context_for(*skip_model, slot);
    }
    // --all reads the store only for --skip-model (item names are not written).
    const std::string store_dir = args->all && !skip_mode ? std::string() : args->data;
    const ServingModel served(Recommender::load(args->model),
                              store_dir.empty() ? nullptr : std::make_shared<const Dataset>(load_dataset(store_dir)));
    const Recommender* model = &served.model();
    const ItemNames names(served);
    std::optional<ItemSkipPenalty> skips;
    nlohmann::json skip_header;
    if (skip_mode) {
      skips = item_skip_penalty(*skip_model, *names.data(), model->item_ids(), context, args->skip_penalty);
      std::string note;
      if (skip_model->track_features().empty())
        note = "the skip model has no track features: every item gets the same P(skip), so the order does not change";
      else if (skips->without_features == model->n_items())
        note = "no item of the model has skip-model features in --data (ids must match): nothing is penalised";
      char line[512];
      std::snprintf(line, sizeof line,
                    "skip penalty %g score sd x P(skip) at %s; %d of %d items have no skip-model features (no penalty)",
                    static_cast<double>(args->skip_penalty), describe(slot).c_str(), skips->without_features,
                    model->n_items());
      // --all prints to stderr (stdout may be piped); the lists print it on stdout unless --json.
      if (args->all) {
        std::fprintf(stderr, "%s\n", line);
        if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
      } else if (!args->json) {
        std::printf("%s\n", line);
        if (!note.empty()) std::printf("note: %s\n", note.c_str());
      }
      const auto optional_json = [](const auto& value) { return value ? nlohmann::json(*value) : nlohmann::json(nullptr); };
      skip_header = {{"skip_model", args->skip_model},
                     {"skip_penalty", args->skip_penalty},
                     {"context",
                      {{"position", slot.position},
                       {"session_length", static_cast<int>(context.session_length)},
                       {"context_type", optional_json(slot.context_type)},
                       {"hour", optional_json(slot.hour)},
                       {"previous_skip", optional_json(slot.previous_skip)}}},
                     {"items", model->n_items()},
                     {"items_without_skip_features", skips->without_features}};
      if (!note.empty()) skip_header["note"] = note;
    }
    const ItemSkipPenalty* penalty = skips ? &*skips : nullptr;
    const auto skip_view = [&](float shift) {
      SkipView view{*skips, shift, skip_header};
      view.header["shift_per_unit_probability"] = shift;
      return view;
    };
    if (args->all) {
      write_all_users(served, args->n, !args->include_seen, args->out, penalty);
      return;
    }
    if (!args->titles.empty()) {
      write_titles(title_model(*model), args->titles, args->n, args->out);
      return;
    }
    if (!args->title.empty() && !args->title_model.empty()) {
      // An empty playlist seeded by its title: the title model's top tracks,
      // mapped by id into --model's items, are the history --model continues.
      if (args->title_seeds < 1 || args->title_seeds > 1000)
        throw UsageError("--title-seeds: expected 1..1000, got " + std::to_string(args->title_seeds));
      const auto titles = Recommender::load(args->title_model);
      std::int32_t unknown = 0;
      const std::vector<std::int32_t> seeds =
          title_seed_history(title_model(*titles), *model, args->title, args->title_seeds, &unknown);
      if (!args->json)
        std::printf("top %d for a new playlist titled \"%s\", continued from %zu title seeds%s:\n", args->n,
                    args->title.c_str(), seeds.size(),
                    unknown > 0 ? (" (" + std::to_string(unknown) + " seeds unknown to --model)").c_str() : "");
      const auto list = seeds.empty() ? std::vector<ScoredItem>{}
                                      : model->recommend_from_history(seeds, {}, args->n, false);
      print_list(list, names, *model, std::nullopt, args->json);
      return;
    }
    if (!args->title_model.empty()) throw UsageError("--title-model goes with --title");
    if (!args->title.empty()) {
      if (!args->json) std::printf("top %d for a new playlist titled \"%s\":\n", args->n, args->title.c_str());
      print_list(recommend_title(title_model(*model), args->title, args->n), names, *model, std::nullopt, args->json);
      return;
    }
    if (!args->user.empty()) {
      const std::int32_t user = model->user_ids().find(args->user);
      if (user == IdMap::kMissing)
        throw UsageError("--user: unknown user id '" + args->user + "' (not in the training data; use --history for a new user)");
      if (model->history().count(user) == 0) {
        if (!args->json) std::printf("user %s has no training history: most popular items instead\n", args->user.c_str());
        float shift = 0.0f;
        const auto items = popularity_fallback(served, args->n, penalty, &shift);
        if (penalty != nullptr) {
          const SkipView view = skip_view(shift);
          print_list(items, names, *model, std::nullopt, args->json, &view, args->explain);
        } else {
          print_list(items, names, *model, std::nullopt, args->json);
        }
        return;
      }
      if (penalty != nullptr) {
        if (!args->json)
          std::printf("top %d for user %s (%s), skip-penalised:\n", args->n, args->user.c_str(),
                      model->params().to_short_string().c_str());
        float shift = 0.0f;
        const auto items = recommend_with_skip_penalty(*model, user, args->n, !args->include_seen, *penalty, &shift);
        const SkipView view = skip_view(shift);
        print_list(items, names, *model, args->explain ? std::optional<std::int32_t>(user) : std::nullopt, args->json,
                   &view, args->explain);
        return;
      }
      if (args->hour) {
        if (names.data() == nullptr) throw UsageError("--hour: needs --data STORE (timestamped listening events)");
        const auto items = recommend_in_context(served, user, args->n, !args->include_seen, "", 1.0f, args->hour,
                                                args->hour_weight);
        print_list(items, names, *model, args->explain ? std::optional<std::int32_t>(user) : std::nullopt, args->json);
        return;
      }
      if (!args->mood.empty()) {
        if (names.data() == nullptr) throw UsageError("--mood: needs --data STORE (the items' audio features)");
        const auto items = recommend_in_context(served, user, args->n, !args->include_seen, args->mood,
                                                args->mood_boost, std::nullopt, 1.0f);
        print_list(items, names, *model, args->explain ? std::optional<std::int32_t>(user) : std::nullopt, args->json);
        return;
      }
      if (!args->json) std::printf("top %d for user %s (%s):\n", args->n, args->user.c_str(), model->params().to_short_string().c_str());
      const auto items = model->recommend(user, args->n, !args->include_seen);
      print_list(items, names, *model, args->explain ? std::optional<std::int32_t>(user) : std::nullopt, args->json);
      return;
    }
    // Ids or names ("Artist - Title", a title, an artist): an unknown or
    // ambiguous one is an error naming it.
    std::vector<std::int32_t> history;
    for (const auto& ref : split_ids(args->history)) {
      const ResolvedRef found = served.catalog().resolve(ref, "--history");
      if (found.how == "artist" && !args->json)
        std::printf("'%s': the artist's %zu most popular items\n", ref.c_str(), found.items.size());
      history.insert(history.end(), found.items.begin(), found.items.end());
    }
    if (history.empty()) throw UsageError("--history: no item ids or names given");
    if (!args->json) std::printf("top %d for a new user with %zu seed items:\n", args->n, history.size());
    if (penalty != nullptr) {
      float shift = 0.0f;
      const auto items = recommend_history_with_skip_penalty(*model, history, args->n, *penalty, &shift);
      const SkipView view = skip_view(shift);
      print_list(items, names, *model, std::nullopt, args->json, &view, args->explain);
      return;
    }
    print_list(model->recommend_from_history(history, {}, args->n), names, *model, std::nullopt, args->json);
  });
}

void add_similar_command(CLI::App& app) {
  struct Args {
    std::string model, item, data;
    int n = 10;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("similar", "Items most similar to an item");
  cmd->add_option("--model", args->model, "Model file from `segue train`")->required();
  cmd->add_option("--item", args->item, "Item id")->required();
  cmd->add_option("--n", args->n, "How many items")->capture_default_str();
  cmd->add_option("--data", args->data, "Store directory with item names");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] {
    if (args->n <= 0) throw UsageError("--n: must be at least 1, got " + std::to_string(args->n));
    const ServingModel served(Recommender::load(args->model),
                              args->data.empty() ? nullptr : std::make_shared<const Dataset>(load_dataset(args->data)));
    const Recommender* model = &served.model();
    const ItemNames names(served);
    const std::int32_t item = served.catalog().resolve(args->item, "--item", 1).items.front();
    if (!args->json) std::printf("items similar to %s (%s):\n", names.label(item).c_str(), model->params().to_short_string().c_str());
    print_list(model->similar_items(item, args->n), names, *model, std::nullopt, args->json);
  });
}

}  // namespace segue::cli
