#include "serve/home_service.h"

#include <chrono>
#include <ctime>

#include "data/error.h"
#include "data/id_map.h"

namespace segue {

using nlohmann::json;

HomeService::HomeService(HomeOptions options)
    : options_(std::move(options)),
      config_(options_.shelves_path.empty() ? home::default_shelf_config() : home::load_shelf_config(options_.shelves_path)),
      shelf_policy_(home::make_policy(options_.shelf_policy)),
      card_policy_(home::make_policy(options_.card_policy)),
      next_seed_(options_.seed != 0 ? options_.seed
                                    : static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {
  if (!options_.impressions_path.empty()) log_ = std::make_unique<home::ImpressionStore>(options_.impressions_path);
}

HomeService::~HomeService() = default;

std::shared_ptr<const home::HomeIndex> HomeService::index_for(const std::shared_ptr<const ServingModel>& served) {
  std::lock_guard<std::mutex> lock(index_mutex_);
  if (index_model_ != served) {  // first page, or a reloaded model
    index_ = std::make_shared<const home::HomeIndex>(*served);
    index_model_ = served;
  }
  return index_;
}

void HomeService::finish(Pending& pending) {
  const home::Page& page = pending.page;
  const std::uint32_t bucket = home::hour_band(page.context.hour);
  std::unique_lock<std::shared_mutex> lock(policy_mutex_);
  for (const home::PageShelf& shelf : page.shelves) {
    bool any = false;
    for (const home::Card& card : shelf.cards) {
      const bool reward = pending.rewarded.count(card.position) != 0 && pending.skipped.count(card.position) == 0;
      any = any || reward;
      home::Outcome outcome;
      outcome.features = home::shown_card_features(page, shelf, card);
      outcome.key = home::card_key(card.item_id, shelf.explanation);
      outcome.context_bucket = bucket;
      outcome.reward = reward ? 1.0 : 0.0;
      outcome.propensity = card.propensity / shelf.propensity;
      card_policy_->update(outcome);
    }
    home::Outcome outcome;
    outcome.features = home::shelf_features(page.context, shelf.name, shelf.explanation);
    outcome.key = home::shelf_key(shelf.name);
    outcome.context_bucket = bucket;
    outcome.reward = any ? 1.0 : 0.0;
    outcome.propensity = shelf.propensity;
    shelf_policy_->update(outcome);
    updates_.fetch_add(static_cast<std::int64_t>(shelf.cards.size()) + 1);
  }
}

json HomeService::page(const std::shared_ptr<const ServingModel>& served, const home::Listener& listener,
                       const std::string& model_version) {
  // The previous page's outcomes first: this page is decided with them.
  std::optional<Pending> previous;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    if (const auto it = pending_.find(listener.id); it != pending_.end()) {
      previous = std::move(it->second);
      pending_.erase(it);
    }
  }
  if (previous) finish(*previous);

  const auto index = index_for(served);
  const std::vector<home::ShelfCandidates> offered = home::generate_shelves(config_, *served, *index, listener);
  home::PageContext context{listener.id, listener.hour};
  Rng rng(next_seed_.fetch_add(0x9E3779B97F4A7C15ull));
  home::Page page;
  {
    std::shared_lock<std::shared_mutex> lock(policy_mutex_);
    page = home::arrange_page(offered, config_, context, {shelf_policy_.get(), card_policy_.get()}, served->popularity(),
                              served->model().item_ids(), rng);
  }
  pages_.fetch_add(1);
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));

  const ItemCatalog& catalog = served->catalog();
  json shelves = json::array();
  for (const home::PageShelf& shelf : page.shelves) {
    json cards = json::array();
    for (const home::Card& card : shelf.cards) {
      json row = {{"item", card.item_id},
                  {"name", catalog.label(card.item)},
                  {"reason", card.reason},
                  {"impression", page.id + ":" + std::to_string(card.position)},
                  {"propensity", card.propensity}};
      if (!catalog.artist(card.item).empty() && catalog.artist(card.item) != catalog.label(card.item))
        row["artist"] = std::string(catalog.artist(card.item));
      cards.push_back(std::move(row));
    }
    shelves.push_back({{"name", shelf.name},
                       {"title", shelf.title},
                       {"explanation", shelf.explanation},
                       {"row", shelf.shelf_position},
                       {"cards", std::move(cards)}});
  }
  json out = {{"user", listener.id},
              {"known_user", listener.user >= 0},
              {"page", page.id},
              {"policy", {{"shelves", page.shelf_policy}, {"cards", page.card_policy}}},
              {"hour", listener.hour},
              {"shelves", std::move(shelves)}};

  if (log_) log_->log(home::LoggedPage{page, now, "", "", model_version});
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    if (pending_.size() >= options_.max_pending_listeners) {
      // The oldest listener's page leaves unlearned (its outcomes stay in the log for a refit).
      while (!pending_order_.empty() && pending_.erase(pending_order_.front()) == 0) pending_order_.pop_front();
      if (!pending_order_.empty()) pending_order_.pop_front();
    }
    pending_[listener.id] = Pending{std::move(page), {}, {}};
    pending_order_.push_back(listener.id);
    if (pending_order_.size() > 4 * options_.max_pending_listeners) {  // stale entries of listeners who came back
      std::deque<std::string> live;
      for (const std::string& user : pending_order_)
        if (pending_.count(user) != 0) live.push_back(user);
      pending_order_.swap(live);
    }
  }
  return out;
}

void HomeService::outcome(const std::string& user, const std::string& impression, const std::string& event) {
  const std::size_t colon = impression.rfind(':');
  std::lock_guard<std::mutex> lock(pending_mutex_);
  const auto it = pending_.find(user);
  if (colon == std::string::npos || it == pending_.end() || impression.compare(0, colon, it->second.page.id) != 0) {
    unknown_.fetch_add(1);  // an older page's, or another listener's: the log still has it
    return;
  }
  std::int32_t position = -1;
  try {
    position = std::stoi(impression.substr(colon + 1));
  } catch (const std::exception&) {
    unknown_.fetch_add(1);
    return;
  }
  outcomes_.fetch_add(1);
  if (event == "skip") it->second.skipped.insert(position);
  else if (event == "play" || event == "repeat" || event == "playlist_add" || event == "like")
    it->second.rewarded.insert(position);
}

HomeStats HomeService::stats() const {
  HomeStats s;
  s.pages = pages_.load();
  s.outcomes = outcomes_.load();
  s.updates = updates_.load();
  s.unknown_impressions = unknown_.load();
  if (log_) s.log = log_->stats();
  return s;
}

void HomeService::flush_log() {
  if (log_) log_->flush();
}

}  // namespace segue
