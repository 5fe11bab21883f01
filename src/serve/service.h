// Service: the online half of segue, independent of HTTP. It owns the served
// model (swapped atomically on reload; a request keeps the model it started
// with until it ends), the store (names, artists, audio features), the
// durable event log and each listener's live events, and answers the API's
// requests as JSON (docs/API.md). The HTTP layer (http_server.h) only routes,
// authenticates and maps errors to status codes.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "serve/event_store.h"
#include "serve/home_service.h"
#include "serve/live_events.h"
#include "serve/metrics.h"
#include "serve/serving_model.h"

namespace segue {

// A request the API refuses: the HTTP status, and the field at fault ("" when none).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string field, const std::string& message)
      : std::runtime_error(message), status_(status), field_(std::move(field)) {}
  int status() const { return status_; }
  const std::string& field() const { return field_; }

 private:
  int status_;
  std::string field_;
};

struct ServiceOptions {
  std::string model_path;
  std::string data_dir;     // "" = no store: ids only, no moods/hours
  std::string events_path;  // "" = events kept in memory only (not durable; a warning at start)
  Durability durability = Durability::kFull;
  std::string ann = "hnsw";  // hnsw | exact
  std::int32_t ann_ef_search = 64;
  bool save_index = true;    // write/read MODEL.hnsw next to the model file
  std::int32_t max_n = 1000;
  std::int32_t max_events_per_batch = 1000;
  std::int32_t max_history = 5000;  // items in a POST /v1/recommendations history
  std::size_t max_id_length = 256;
  std::size_t max_events_per_user = 1000;  // live state per listener (the database keeps all)
  std::size_t max_live_users = 1'000'000;
  std::size_t max_live_names = 2'000'000;  // distinct item/event names held live (bounds memory; docs/API.md)
  float skip_weight = 0.5f;
  // Two-stage serving: each of these models proposes its top `candidates` for
  // the listener (by the same string ids), and the served model ranks only the
  // union (an allow-list). Empty = the served model ranks every item.
  std::vector<std::string> candidate_models;
  std::int32_t candidates = 200;
  // The home screen (GET /v1/users/{id}/home): shelves, policies; pages are
  // logged into the event database when there is one.
  HomeOptions home;
};

// A request body as JSON: ApiError 400 (field "body") when empty or malformed, naming the byte.
nlohmann::json parse_json_body(const std::string& body);

// Query parameters as the HTTP layer found them (decoded).
using QueryParams = std::multimap<std::string, std::string>;

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();

  // GET /v1/users/{id}/recommendations
  nlohmann::json user_recommendations(const std::string& user, const QueryParams& query) const;
  // POST /v1/recommendations
  nlohmann::json history_recommendations(const nlohmann::json& body) const;
  // GET /v1/items/{id}/similar
  nlohmann::json similar_items(const std::string& item, const QueryParams& query) const;
  // GET /v1/items?q=TEXT&limit=N: search-as-you-type over item names
  nlohmann::json search_items(const QueryParams& query) const;
  // GET /v1/users?limit=N: some known listeners (for the web page's picker)
  nlohmann::json list_users(const QueryParams& query) const;
  // POST /v1/events: validated as a whole (nothing stored when one event is bad), stored durably, then live.
  nlohmann::json post_events(const nlohmann::json& body);
  // GET /v1/users/{id}/home?hour=H: the listener's home page (shelves of cards with reasons and impression ids)
  nlohmann::json home_page(const std::string& user, const QueryParams& query);
  HomeService& home() { return *home_; }
  // GET /v1/users/{id}/history
  nlohmann::json user_history(const std::string& user, const QueryParams& query) const;
  // POST /v1/admin/reload: {"model": PATH} or {} for the same path.
  nlohmann::json reload(const nlohmann::json& body);
  nlohmann::json health() const;

  Metrics& metrics() { return metrics_; }
  std::shared_ptr<const ServingModel> current() const {
    std::lock_guard<std::mutex> lock(model_mutex_);
    return model_;
  }
  const ServiceOptions& options() const { return options_; }
  double startup_seconds() const { return startup_seconds_; }

 private:
  std::shared_ptr<const ServingModel> load_model(const std::string& path) const;
  // The candidate models' union for one listener, in `served`'s item ids (sorted).
  std::vector<std::int32_t> candidates_for(const ServingModel& served, const std::string& user,
                                           const std::vector<std::string>& history) const;
  void publish_model_info(const ServingModel& model, const std::string& path);
  float signal_of(const std::string& event) const;  // 0 for a name the vocabulary lacks
  // Replays the event database into the live state (start-up).
  void replay_events();

  ServiceOptions options_;
  std::shared_ptr<const Dataset> store_;
  // The served model: a request copies the pointer under this mutex (a few
  // ns; held for nothing else) and keeps the model alive until it ends.
  // (libstdc++ 12's std::atomic<std::shared_ptr> locks in a way ThreadSanitizer
  // cannot follow, so a plain mutex keeps the TSan build meaningful.)
  mutable std::mutex model_mutex_;
  std::shared_ptr<const ServingModel> model_;
  std::mutex reload_mutex_;
  std::string model_path_;
  std::unique_ptr<EventStore> events_;
  std::vector<std::shared_ptr<const ServingModel>> candidate_models_;
  LiveEvents live_;
  std::unique_ptr<HomeService> home_;
  mutable Metrics metrics_;
  std::vector<std::string> event_names_;  // the accepted vocabulary
  std::vector<float> event_signals_;
  std::atomic<std::int64_t> memory_sequence_{0};  // sequence numbers without a database
  double startup_seconds_ = 0.0;
};

// The routes, in the order Metrics numbers them.
const std::vector<std::string>& service_endpoints();

}  // namespace segue
