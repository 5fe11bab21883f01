// segue recommend / segue similar: top-n lists from a saved model, with item
// names from a store (--data) and reasons (--explain) when asked.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "data/error.h"
#include "data/store.h"
#include "context/moods.h"
#include "models/batch_recommend.h"
#include "models/content/title.h"
#include "data/csv_reader.h"
#include "models/recommender.h"
#include "util/thread_pool.h"

namespace segue::cli {
namespace {

// Item labels: "Artist – Title" or the name from a store, else the id.
class ItemNames {
 public:
  ItemNames(const Recommender& model, const std::string& data_dir) : model_(model) {
    if (!data_dir.empty()) data_ = load_dataset(data_dir);
  }
  const Dataset* data() const { return data_ ? &*data_ : nullptr; }
  std::string label(std::int32_t item) const {
    const std::string_view id = model_.item_ids().name(item);
    if (!data_) return std::string(id);
    const std::int32_t row = data_->items.find(id);
    if (row < 0) return std::string(id);
    const std::string_view name = data_->item_attributes.string_value("name", row);
    const std::string_view artist = data_->item_attributes.string_value("artist", row);
    if (name.empty()) return std::string(id);
    if (artist.empty() || artist == name) return std::string(name);
    return std::string(artist) + " - " + std::string(name);
  }

 private:
  const Recommender& model_;
  std::optional<Dataset> data_;
};

std::int32_t find_item(const Recommender& model, const std::string& id, const char* option) {
  const std::int32_t item = model.item_ids().find(id);
  if (item == IdMap::kMissing) throw UsageError(std::string(option) + ": unknown item id '" + id + "' (not in the training data)");
  return item;
}

std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string id;
  while (std::getline(in, id, ','))
    if (!id.empty()) out.push_back(id);
  return out;
}

// Users without training history get the most popular training items.
std::vector<ScoredItem> popularity_fallback(const Recommender& model, std::int32_t n) {
  std::vector<float> counts(static_cast<std::size_t>(model.n_items()), 0.0f);
  for (std::int32_t item : model.history().indices) counts[item] += 1.0f;
  std::vector<ScoredItem> out(static_cast<std::size_t>(std::min(n, model.n_items())));
  out.resize(static_cast<std::size_t>(top_k(counts, {}, n, out.data())));
  return out;
}

// printf pads bytes, not characters: "Beyoncé" would end one column short.
std::string pad_to_columns(const std::string& text, std::size_t columns) {
  std::size_t characters = 0;
  for (const unsigned char c : text) characters += (c & 0xC0) != 0x80;  // UTF-8 lead bytes
  return characters >= columns ? text : text + std::string(columns - characters, ' ');
}

void print_list(const std::vector<ScoredItem>& items, const ItemNames& names, const Recommender& model,
                const std::optional<std::int32_t>& explain_user, bool json) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t r = 0; r < items.size(); ++r) {
    const std::int32_t item = items[r].item;
    nlohmann::json row = {{"rank", r + 1},
                          {"item_id", model.item_ids().name(item)},
                          {"name", names.label(item)},
                          {"score", items[r].score}};
    if (!json) std::printf("%3zu. %s %10.4f\n", r + 1, pad_to_columns(names.label(item), 50).c_str(), items[r].score);
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
  if (json) std::printf("%s\n", out.dump(2).c_str());
}

// --all --out RECS.csv: every training user's list, in the recs format that
// `segue eval --recs` reads (user_id,item_id,rank) plus the score.
void write_all_users(const Recommender& model, std::int32_t n, bool exclude_seen, const std::string& path) {
  std::vector<std::int32_t> users, cold;
  for (std::int32_t u = 0; u < model.n_users(); ++u) (model.history().count(u) > 0 ? users : cold).push_back(u);
  const auto start = std::chrono::steady_clock::now();
  const BatchLists lists = recommend_batch(model, users, n, exclude_seen);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<ScoredItem> popular = popularity_fallback(model, n);
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

// --mood: the user's whole score row, standardised (mean 0, sd 1, so the boost
// means the same for every model), then filtered or boosted by the mood's
// audio-feature ranges (context/moods.h) read from the --data store.
std::vector<ScoredItem> recommend_in_mood(const Recommender& model, std::int32_t user, std::int32_t n,
                                          bool exclude_seen, const std::string& mood_text, float boost,
                                          const Dataset& data) {
  const MoodRequest request = parse_mood_request(mood_text);
  const MoodMatch match = match_mood(*request.mood, data.item_attributes, data.n_items());
  std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
  model.score_users(std::span<const std::int32_t>(&user, 1), scores.data());
  double sum = 0, squares = 0;
  for (const float x : scores) sum += x, squares += static_cast<double>(x) * x;
  const double mean = sum / std::max<std::size_t>(scores.size(), 1);
  const double sd = std::sqrt(std::max(squares / std::max<std::size_t>(scores.size(), 1) - mean * mean, 0.0));
  // The mood match in the model's item order (items the store lacks match nothing).
  MoodMatch by_model;
  by_model.fraction.assign(scores.size(), 0.0f);
  by_model.passes.assign(scores.size(), 0);
  for (std::int32_t i = 0; i < model.n_items(); ++i) {
    scores[static_cast<std::size_t>(i)] = static_cast<float>((scores[static_cast<std::size_t>(i)] - mean) / (sd > 0 ? sd : 1.0));
    const std::int32_t row = data.items.find(model.item_ids().name(i));
    if (row < 0) continue;
    by_model.fraction[static_cast<std::size_t>(i)] = match.fraction[static_cast<std::size_t>(row)];
    by_model.passes[static_cast<std::size_t>(i)] = match.passes[static_cast<std::size_t>(row)];
  }
  if (request.mode == MoodMode::kFilter) {
    const std::int64_t passing = apply_mood_filter(scores, by_model);
    std::printf("mood %s (filter): %lld of %d items meet every condition\n", request.mood->name.c_str(),
                static_cast<long long>(passing), model.n_items());
  } else {
    apply_mood_boost(scores, by_model, boost);
    std::printf("mood %s (boost %.2f on standardised scores)\n", request.mood->name.c_str(), boost);
  }
  const auto seen = exclude_seen ? model.history().row_indices(user) : std::span<const std::int32_t>();
  std::vector<ScoredItem> out;
  top_k(scores, seen, std::min(n, model.n_items()), out);
  // A filter can leave fewer than n items: -inf scores are not recommendations.
  while (!out.empty() && !(out.back().score > -std::numeric_limits<float>::infinity())) out.pop_back();
  return out;
}

// --hour H: the user's standardised score row plus hour_weight · log of each
// item's listening affinity at hour H (context/moods.h hour_profiles, from the
// --data store's timestamped events): tracks people play at that hour rise.
std::vector<ScoredItem> recommend_at_hour(const Recommender& model, std::int32_t user, std::int32_t n,
                                          bool exclude_seen, int hour, float weight, const Dataset& data) {
  if (hour < 0 || hour > 23) throw UsageError("--hour: must be 0..23, got " + std::to_string(hour));
  const HourProfiles profiles = hour_profiles(data);
  std::int64_t timed = 0;
  for (const std::int64_t e : profiles.item_events) timed += e;
  if (timed == 0) throw UsageError("--hour: the --data store has no timestamped events to learn listening hours from");
  std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
  model.score_users(std::span<const std::int32_t>(&user, 1), scores.data());
  double sum = 0, squares = 0;
  for (const float x : scores) sum += x, squares += static_cast<double>(x) * x;
  const double count = static_cast<double>(std::max<std::size_t>(scores.size(), 1));
  const double mean = sum / count;
  const double sd = std::sqrt(std::max(squares / count - mean * mean, 0.0));
  for (std::int32_t i = 0; i < model.n_items(); ++i) {
    float& x = scores[static_cast<std::size_t>(i)];
    x = static_cast<float>((x - mean) / (sd > 0 ? sd : 1.0));
    const std::int32_t row = data.items.find(model.item_ids().name(i));
    if (row >= 0) x += weight * std::log(hour_affinity(profiles.items[static_cast<std::size_t>(row)], hour));
  }
  std::printf("hour %d: scores + %.2f x log(listening affinity at that hour) from %lld timed events\n", hour, weight,
              static_cast<long long>(timed));
  const auto seen = exclude_seen ? model.history().row_indices(user) : std::span<const std::int32_t>();
  std::vector<ScoredItem> out;
  top_k(scores, seen, std::min(n, model.n_items()), out);
  return out;
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
    std::string model, user, history, data, out, mood, title, titles;
    std::optional<int> hour;
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
  cmd->add_option("--hour", args->hour, "With --user and --data: favour tracks listened to at this hour (0..23, UTC)");
  cmd->add_option("--hour-weight", args->hour_weight, "--hour: weight of the log hour affinity, in score sds")
      ->capture_default_str();
  cmd->add_option("--title", args->title, "Or: a new playlist's title (title model)");
  cmd->add_option("--titles", args->titles, "Or: CSV user_id,name of playlists by title alone, written to --out");
  cmd->add_option("--mood", args->mood,
                  "With --user and --data: calm, workout, focus, party, sad, happy, acoustic [:filter|:boost] "
                  "(audio-feature ranges in docs/CONTEXT.md)");
  cmd->add_option("--mood-boost", args->mood_boost, "--mood ...:boost: added per met condition share, in score sds")
      ->capture_default_str();
  cmd->add_flag("--explain", args->explain, "Show the user's items that contributed most");
  cmd->add_flag("--include-seen", args->include_seen, "Do not exclude the user's training items");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->callback([args] {
    set_default_threads(args->threads);
    if (static_cast<int>(!args->user.empty()) + static_cast<int>(!args->history.empty()) + static_cast<int>(args->all) +
            static_cast<int>(!args->title.empty()) + static_cast<int>(!args->titles.empty()) != 1)
      throw UsageError("give exactly one of --user ID, --history ID,ID,..., --title TEXT, --titles FILE or --all");
    if ((args->all || !args->titles.empty()) == args->out.empty())
      throw UsageError("--out goes with --all or --titles (and only with them)");
    if (args->n <= 0) throw UsageError("--n: must be at least 1, got " + std::to_string(args->n));
    if (!args->mood.empty() && args->user.empty()) throw UsageError("--mood: goes with --user");
    if (args->hour && args->user.empty()) throw UsageError("--hour: goes with --user");
    if (args->hour && !args->mood.empty()) throw UsageError("--hour and --mood: one context at a time");
    const auto model = Recommender::load(args->model);
    if (args->all) {
      write_all_users(*model, args->n, !args->include_seen, args->out);
      return;
    }
    if (!args->titles.empty()) {
      write_titles(title_model(*model), args->titles, args->n, args->out);
      return;
    }
    const ItemNames names(*model, args->data);
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
        print_list(popularity_fallback(*model, args->n), names, *model, std::nullopt, args->json);
        return;
      }
      if (args->hour) {
        if (names.data() == nullptr) throw UsageError("--hour: needs --data STORE (timestamped listening events)");
        const auto items = recommend_at_hour(*model, user, args->n, !args->include_seen, *args->hour, args->hour_weight,
                                             *names.data());
        print_list(items, names, *model, args->explain ? std::optional<std::int32_t>(user) : std::nullopt, args->json);
        return;
      }
      if (!args->mood.empty()) {
        if (names.data() == nullptr) throw UsageError("--mood: needs --data STORE (the items' audio features)");
        const auto items = recommend_in_mood(*model, user, args->n, !args->include_seen, args->mood, args->mood_boost,
                                             *names.data());
        print_list(items, names, *model, args->explain ? std::optional<std::int32_t>(user) : std::nullopt, args->json);
        return;
      }
      if (!args->json) std::printf("top %d for user %s (%s):\n", args->n, args->user.c_str(), model->params().to_short_string().c_str());
      const auto items = model->recommend(user, args->n, !args->include_seen);
      print_list(items, names, *model, args->explain ? std::optional<std::int32_t>(user) : std::nullopt, args->json);
      return;
    }
    std::vector<std::int32_t> history;
    std::size_t unknown = 0;
    for (const auto& id : split_ids(args->history)) {
      const std::int32_t item = model->item_ids().find(id);
      if (item == IdMap::kMissing) {
        ++unknown;
      } else {
        history.push_back(item);
      }
    }
    if (unknown > 0) std::fprintf(stderr, "warning: ignored %zu unknown item id(s) in --history\n", unknown);
    if (history.empty()) throw UsageError("--history: none of the item ids is in the training data");
    if (!args->json) std::printf("top %d for a new user with %zu seed items:\n", args->n, history.size());
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
    const auto model = Recommender::load(args->model);
    const ItemNames names(*model, args->data);
    const std::int32_t item = find_item(*model, args->item, "--item");
    if (!args->json) std::printf("items similar to %s (%s):\n", names.label(item).c_str(), model->params().to_short_string().c_str());
    print_list(model->similar_items(item, args->n), names, *model, std::nullopt, args->json);
  });
}

}  // namespace segue::cli
