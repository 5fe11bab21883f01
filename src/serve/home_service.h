// HomeService: the home screen inside `segue serve` (GET /v1/users/{id}/home).
// Owns the shelf configuration, the shelf and card policies, the impression
// log and each listener's last page. A page's cards learn when the listener
// asks for the next page: the cards of the previous page that were played,
// repeated, added or liked (events carrying their impression id) are
// rewards of 1, the others 0 (a skip is 0), and each updates the card policy
// with the features it was shown with; a shelf with a rewarded card
// rewards the shelf policy. Decisions take a shared lock on the policies,
// updates an exclusive one.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "ab/experiment.h"
#include "home/bandit.h"
#include "home/impression_store.h"
#include "home/page.h"
#include "home/shelf_config.h"
#include "home/shelves.h"
#include "serve/serving_model.h"

namespace segue {

struct HomeOptions {
  std::string shelves_path;  // "" = default_shelf_config()
  std::string shelf_policy = "egreedy:epsilon=0.1";
  std::string card_policy = "egreedy:epsilon=0.1";
  std::string impressions_path;  // the event database ("" = pages are not logged)
  // An A/B experiment over card policies (ab/experiment.h): each arm's spec is
  // its card policy ("" = card_policy); listeners are assigned by hash. "" = none.
  std::string experiment_path;
  std::size_t max_pending_listeners = 100000;
  // At start-up, re-fit the policies from the logged pages and their outcomes
  // (importance weights min(1 / propensity, refit_max_weight)), so learning
  // survives a restart.
  bool refit_from_log = true;
  double refit_max_weight = 100.0;  // listeners whose last page awaits its outcomes
  std::uint64_t seed = 0;  // 0 = from the clock
};

struct HomeStats {
  std::int64_t pages = 0;
  std::int64_t outcomes = 0;          // events that named a pending impression
  std::int64_t updates = 0;           // policy updates from finished pages
  std::int64_t unknown_impressions = 0;
  std::int64_t refit_cards = 0;  // logged cards the policies were re-fitted from at start-up
  home::ImpressionStoreStats log;
};

class HomeService {
 public:
  explicit HomeService(HomeOptions options);
  ~HomeService();

  // The listener's page (docs/API.md): first finishes their previous page
  // (its outcomes update the policies), then generates, arranges and logs.
  nlohmann::json page(const std::shared_ptr<const ServingModel>& served, const home::Listener& listener,
                      const std::string& model_version);
  // An event that names an impression ("PAGE:POSITION") of the listener's last page.
  void outcome(const std::string& user, const std::string& impression, const std::string& event);
  HomeStats stats() const;
  void flush_log();  // tests and shutdown
  const home::ShelfConfig& config() const { return config_; }

 private:
  // One arm's policies (without an experiment: one arm, "").
  struct ArmPolicies {
    std::string name;
    std::unique_ptr<home::Policy> shelves, cards;
  };
  struct Pending {
    std::size_t arm = 0;
    std::shared_ptr<const home::Page> page;
    std::unordered_set<std::int32_t> rewarded, skipped;  // card positions
  };
  std::shared_ptr<const home::HomeIndex> index_for(const std::shared_ptr<const ServingModel>& served);
  void finish(Pending& pending);
  void refit_from_log();

  HomeOptions options_;
  home::ShelfConfig config_;
  std::optional<ab::Experiment> experiment_;
  std::vector<ArmPolicies> arms_;
  mutable std::shared_mutex policy_mutex_;
  std::unique_ptr<home::ImpressionStore> log_;

  std::mutex index_mutex_;
  std::shared_ptr<const ServingModel> index_model_;  // the model index_ was built for (kept alive with it)
  std::shared_ptr<const home::HomeIndex> index_;

  mutable std::mutex pending_mutex_;
  std::unordered_map<std::string, Pending> pending_;
  // (listener, page id), oldest first, for the cap; an entry is stale once
  // its listener has asked for a newer page.
  std::deque<std::pair<std::string, std::string>> pending_order_;
  std::atomic<std::uint64_t> next_seed_;
  std::atomic<std::int64_t> pages_{0}, outcomes_{0}, updates_{0}, unknown_{0}, refit_cards_{0};
};

}  // namespace segue
