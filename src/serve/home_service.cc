#include "serve/home_service.h"

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "data/error.h"
#include "data/id_map.h"

namespace segue {

using nlohmann::json;

HomeService::HomeService(HomeOptions options)
    : options_(std::move(options)),
      config_(options_.shelves_path.empty() ? home::default_shelf_config() : home::load_shelf_config(options_.shelves_path)),
      next_seed_(options_.seed != 0 ? options_.seed
                                    : static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {
  if (!options_.experiment_path.empty()) experiment_ = ab::load_experiment(options_.experiment_path);
  if (experiment_) {
    for (const ab::Arm& arm : experiment_->arms)
      arms_.push_back({arm.name, home::make_policy(options_.shelf_policy),
                       home::make_policy(arm.spec.empty() ? options_.card_policy : arm.spec)});
  } else {
    arms_.push_back({"", home::make_policy(options_.shelf_policy), home::make_policy(options_.card_policy)});
  }
  if (!options_.impressions_path.empty()) {
    log_ = std::make_unique<home::ImpressionStore>(options_.impressions_path);
    if (options_.refit_from_log) refit_from_log();
  }
}

void HomeService::refit_from_log() {
  const std::vector<home::LoggedCard> logged = home::read_logged_cards(options_.impressions_path, home::RewardKind::kStream);
  if (logged.empty()) return;
  std::vector<std::vector<home::Outcome>> cards(arms_.size()), shelves(arms_.size());
  // A shelf's outcome: rewarded when any of its cards was (cards of one page-shelf are logged together).
  std::string shelf_page, shelf_name;
  for (std::size_t k = 0; k < logged.size(); ++k) {
    const home::LoggedCard& card = logged[k];
    std::size_t arm = 0;
    if (experiment_) {
      const int found = experiment_->find(card.arm);
      if (found < 0) continue;  // an arm of an earlier experiment
      arm = static_cast<std::size_t>(found);
    }
    int hour = -1;
    if (card.context.rfind("hour=", 0) == 0) hour = std::atoi(card.context.c_str() + 5);
    const std::uint32_t bucket = home::hour_band(hour);
    home::Outcome outcome;
    try {
      outcome.features = home::logged_card_features(card.user_id, card.item_id, card.shelf, card.explanation,
                                                    card.context, card.shelf_position, card.card_position);
    } catch (const UsageError& error) {
      throw InputError(options_.impressions_path, 0, "impressions.context", error.what());
    }
    outcome.key = home::card_key(card.item_id, card.explanation);
    outcome.context_bucket = bucket;
    outcome.reward = card.rewarded ? 1.0 : 0.0;
    outcome.propensity = card.shelf_propensity > 0 ? card.propensity / card.shelf_propensity : card.propensity;
    cards[arm].push_back(std::move(outcome));
    if (card.page_id != shelf_page || card.shelf != shelf_name) {
      shelf_page = card.page_id;
      shelf_name = card.shelf;
      home::Outcome shelf;
      shelf.features = home::shelf_features(home::PageContext{card.user_id, hour}, card.shelf, card.explanation);
      shelf.key = home::shelf_key(card.shelf);
      shelf.context_bucket = bucket;
      shelf.propensity = card.shelf_propensity;
      shelves[arm].push_back(std::move(shelf));
    }
    if (card.rewarded) shelves[arm].back().reward = 1.0;
  }
  for (std::size_t arm = 0; arm < arms_.size(); ++arm) {
    if (!cards[arm].empty()) arms_[arm].cards->refit(cards[arm], options_.refit_max_weight);
    if (!shelves[arm].empty()) arms_[arm].shelves->refit(shelves[arm], options_.refit_max_weight);
    refit_cards_.fetch_add(static_cast<std::int64_t>(cards[arm].size()));
  }
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
  const home::Page& page = *pending.page;
  const std::uint32_t bucket = home::hour_band(page.context.hour);
  ArmPolicies& arm = arms_[pending.arm];
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
      arm.cards->update(outcome);
    }
    home::Outcome outcome;
    outcome.features = home::shelf_features(page.context, shelf.name, shelf.explanation);
    outcome.key = home::shelf_key(shelf.name);
    outcome.context_bucket = bucket;
    outcome.reward = any ? 1.0 : 0.0;
    outcome.propensity = shelf.propensity;
    arm.shelves->update(outcome);
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
  const std::size_t arm = experiment_ ? static_cast<std::size_t>(experiment_->find(ab::assign(*experiment_, listener.id).name)) : 0;
  const std::vector<home::ShelfCandidates> offered = home::generate_shelves(config_, *served, *index, listener);
  home::PageContext context{listener.id, listener.hour};
  Rng rng(next_seed_.fetch_add(0x9E3779B97F4A7C15ull));
  home::Page page;
  {
    std::shared_lock<std::shared_mutex> lock(policy_mutex_);
    page = home::arrange_page(offered, config_, context, {arms_[arm].shelves.get(), arms_[arm].cards.get()}, served->popularity(),
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
  if (experiment_) out["experiment"] = {{"name", experiment_->name}, {"arm", arms_[arm].name}};

  const auto shown = std::make_shared<const home::Page>(std::move(page));
  if (log_) log_->log(home::LoggedPage{shown, now, experiment_ ? experiment_->name : "", arms_[arm].name, model_version});
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    const auto current = [&](const std::pair<std::string, std::string>& entry) {
      const auto it = pending_.find(entry.first);
      return it != pending_.end() && it->second.page->id == entry.second;
    };
    // At the cap the oldest listeners' pages leave unlearned (their outcomes stay in the log for a refit).
    while (pending_.size() >= options_.max_pending_listeners && !pending_order_.empty()) {
      if (current(pending_order_.front())) pending_.erase(pending_order_.front().first);
      pending_order_.pop_front();
    }
    pending_[listener.id] = Pending{arm, shown, {}, {}};
    pending_order_.emplace_back(listener.id, shown->id);
    if (pending_order_.size() > 2 * pending_.size() + 64)  // stale entries of listeners who came back
      std::erase_if(pending_order_, [&](const auto& entry) { return !current(entry); });
  }
  return out;
}

void HomeService::outcome(const std::string& user, const std::string& impression, const std::string& event) {
  const std::size_t colon = impression.rfind(':');
  std::lock_guard<std::mutex> lock(pending_mutex_);
  const auto it = pending_.find(user);
  if (colon == std::string::npos || it == pending_.end() || impression.compare(0, colon, it->second.page->id) != 0) {
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
  s.refit_cards = refit_cards_.load();
  if (log_) s.log = log_->stats();
  return s;
}

void HomeService::flush_log() {
  if (log_) log_->flush();
}

}  // namespace segue
