// segue recommend / segue similar: top-n lists from a saved model, with item
// names from a store (--data) and reasons (--explain) when asked.
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "data/error.h"
#include "data/store.h"
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

void print_list(const std::vector<ScoredItem>& items, const ItemNames& names, const Recommender& model,
                const std::optional<std::int32_t>& explain_user, bool json) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t r = 0; r < items.size(); ++r) {
    const std::int32_t item = items[r].item;
    nlohmann::json row = {{"rank", r + 1},
                          {"item_id", model.item_ids().name(item)},
                          {"name", names.label(item)},
                          {"score", items[r].score}};
    if (!json) std::printf("%3zu. %-50s %10.4f\n", r + 1, names.label(item).c_str(), items[r].score);
    if (explain_user) {
      const Explanation why = model.explain(*explain_user, item);
      nlohmann::json because = nlohmann::json::array();
      for (const auto& c : why.contributions) {
        because.push_back({{"item_id", model.item_ids().name(c.item)}, {"name", names.label(c.item)}, {"share", c.share}});
        if (!json) std::printf("       because you played %s (%.0f%%)\n", names.label(c.item).c_str(), 100.0 * c.share);
      }
      if (why.contributions.empty() && !why.note.empty() && !json) std::printf("       (%s)\n", why.note.c_str());
      row["because"] = because;
      if (!why.note.empty()) row["explain_note"] = why.note;
    }
    out.push_back(row);
  }
  if (json) std::printf("%s\n", out.dump(2).c_str());
}

}  // namespace

void add_recommend_command(CLI::App& app) {
  struct Args {
    std::string model, user, history, data;
    int n = 10;
    int threads = 0;
    bool explain = false, json = false, include_seen = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("recommend", "Top-n recommendations for a user, or for a new user's history");
  cmd->add_option("--model", args->model, "Model file from `segue train`")->required();
  cmd->add_option("--user", args->user, "User id (as in the training data)");
  cmd->add_option("--history", args->history, "Or: comma-separated item ids of a new user (fold-in, no retraining)");
  cmd->add_option("--n", args->n, "How many items")->capture_default_str();
  cmd->add_option("--data", args->data, "Store directory with item names (e.g. the one you imported)");
  cmd->add_flag("--explain", args->explain, "Show the user's items that contributed most");
  cmd->add_flag("--include-seen", args->include_seen, "Do not exclude the user's training items");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->callback([args] {
    set_default_threads(args->threads);
    if (args->user.empty() == args->history.empty()) throw UsageError("give exactly one of --user ID or --history ID,ID,...");
    if (args->n <= 0) throw UsageError("--n: must be at least 1, got " + std::to_string(args->n));
    const auto model = Recommender::load(args->model);
    const ItemNames names(*model, args->data);
    if (!args->user.empty()) {
      const std::int32_t user = model->user_ids().find(args->user);
      if (user == IdMap::kMissing)
        throw UsageError("--user: unknown user id '" + args->user + "' (not in the training data; use --history for a new user)");
      if (model->history().count(user) == 0) {
        if (!args->json) std::printf("user %s has no training history: most popular items instead\n", args->user.c_str());
        print_list(popularity_fallback(*model, args->n), names, *model, std::nullopt, args->json);
        return;
      }
      if (!args->json) std::printf("top %d for user %s (%s):\n", args->n, args->user.c_str(), model->params().to_string().c_str());
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
    if (!args->json) std::printf("items similar to %s (%s):\n", names.label(item).c_str(), model->params().to_string().c_str());
    print_list(model->similar_items(item, args->n), names, *model, std::nullopt, args->json);
  });
}

}  // namespace segue::cli
