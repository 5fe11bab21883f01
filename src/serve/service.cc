#include "serve/service.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <unordered_map>

#include "data/error.h"
#include "data/signal.h"
#include "data/store.h"
#include "data/text_source.h"
#include "serve/ann_index.h"

namespace segue {
namespace {

using nlohmann::json;

// A library UsageError says "field: what is wrong": the field is the text before the first colon.
ApiError bad_request(const std::exception& error) {
  const std::string message = error.what();
  const auto colon = message.find(':');
  std::string field = colon == std::string::npos ? "" : message.substr(0, colon);
  if (field.find(' ') != std::string::npos) field.clear();
  return ApiError(400, field, message);
}

const std::string* find_param(const QueryParams& query, const std::string& key) {
  const auto it = query.find(key);
  return it == query.end() ? nullptr : &it->second;
}

std::int64_t int_param(const QueryParams& query, const std::string& key, std::int64_t fallback, std::int64_t lo,
                       std::int64_t hi) {
  const std::string* text = find_param(query, key);
  if (text == nullptr) return fallback;
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text->size())
    throw ApiError(400, key, key + ": expected an integer, got '" + printable_utf8(*text, 64) + "'");
  if (value < lo || value > hi)
    throw ApiError(400, key, key + ": must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + *text);
  return value;
}

bool flag_param(const QueryParams& query, const std::string& key) {
  const std::string* text = find_param(query, key);
  if (text == nullptr) return false;
  if (*text == "1" || *text == "true" || text->empty()) return true;
  if (*text == "0" || *text == "false") return false;
  throw ApiError(400, key, key + ": expected 1/0 or true/false, got '" + printable_utf8(*text, 64) + "'");
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::uint32_t file_crc32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(1 << 20);
  uLong crc = crc32(0L, Z_NULL, 0);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buffer.data()), static_cast<uInt>(in.gcount()));
  }
  return static_cast<std::uint32_t>(crc);
}

// An id field of a JSON body: a string, or an integer written as one.
std::string id_field(const json& value, const std::string& field, std::size_t max_length) {
  std::string id;
  if (value.is_string()) id = value.get<std::string>();
  else if (value.is_number_integer()) id = std::to_string(value.get<std::int64_t>());
  else throw ApiError(400, field, field + ": expected a string id");
  if (id.empty()) throw ApiError(400, field, field + ": must not be empty");
  if (id.size() > max_length)
    throw ApiError(400, field, field + ": longer than " + std::to_string(max_length) + " bytes");
  return id;
}

// Text echoed in an answer or a refusal must be UTF-8, or the answer's JSON cannot be written.
void require_utf8(const std::string& text, const std::string& field) {
  if (const std::size_t bad = find_invalid_utf8(text); bad != std::string::npos)
    throw ApiError(400, field, field + ": not valid UTF-8 (byte " + std::to_string(bad) + ")");
}

std::string check_id_text(const std::string& id, const std::string& field, std::size_t max_length) {
  if (id.empty()) throw ApiError(400, field, field + ": must not be empty");
  if (id.size() > max_length)
    throw ApiError(400, field, field + ": longer than " + std::to_string(max_length) + " bytes");
  require_utf8(id, field);  // ids are UTF-8 everywhere in segue (importers check it); %FF is not an id
  return id;
}

// A mood is echoed in the answer (the query fuzzer's `mood=true1nj%FE%FF`).
std::string check_mood(const std::string& mood, std::size_t max_length) {
  if (mood.size() > max_length) throw ApiError(400, "mood", "mood: longer than " + std::to_string(max_length) + " bytes");
  require_utf8(mood, "mood");
  return mood;
}

json item_json(const ServingModel& served, const ScoredItem& pick) {
  const ItemCatalog& catalog = served.catalog();
  json row = {{"item", std::string(catalog.id(pick.item))}, {"name", catalog.label(pick.item)}, {"score", pick.score}};
  // Last.fm items are artists: an artist equal to the label says nothing more.
  if (!catalog.artist(pick.item).empty() && catalog.artist(pick.item) != catalog.label(pick.item))
    row["artist"] = std::string(catalog.artist(pick.item));
  return row;
}

json list_json(const ServingModel& served, const RecommendResult& result) {
  json items = json::array();
  for (std::size_t r = 0; r < result.items.size(); ++r) {
    json row = item_json(served, result.items[r]);
    if (r < result.explanations.size()) {
      const Explanation& why = result.explanations[r];
      json because = json::array();
      for (const Contribution& part : why.contributions)
        because.push_back({{"item", std::string(served.catalog().id(part.item))},
                           {"name", served.catalog().label(part.item)},
                           {"share", part.share}});
      row["because"] = because;
      if (!why.contributions.empty()) {
        char reason[512];
        std::snprintf(reason, sizeof reason, "because you played %s (%.0f%%)",
                      served.catalog().label(why.contributions.front().item).c_str(),
                      100.0 * why.contributions.front().share);
        row["reason"] = reason;
      } else if (!why.note.empty()) {
        row["reason"] = why.note;
      }
    }
    items.push_back(std::move(row));
  }
  return items;
}

}  // namespace

json parse_json_body(const std::string& body) {
  if (body.empty()) throw ApiError(400, "body", "body: empty; expected a JSON object");
  try {
    return json::parse(body);
  } catch (const json::parse_error& error) {
    throw ApiError(400, "body", "body: malformed JSON at byte " + std::to_string(error.byte) + ": " +
                                    printable_utf8(error.what(), 200));
  } catch (const json::exception& error) {  // e.g. out_of_range 406: a number too large for a double (1E400)
    throw ApiError(400, "body", "body: " + printable_utf8(error.what(), 200));
  }
}

const std::vector<std::string>& service_endpoints() {
  static const std::vector<std::string> names = {"recommendations", "history_recommendations", "similar", "items",
                                                 "users",           "events",                  "history", "reload",
                                                 "healthz",         "metrics",                 "page",    "home"};
  return names;
}

Service::Service(ServiceOptions options)
    : options_(std::move(options)),
      live_(options_.max_events_per_user, options_.max_live_users, options_.max_live_names),
      metrics_(service_endpoints()) {
  const auto start = std::chrono::steady_clock::now();
  if (options_.ann != "hnsw" && options_.ann != "exact")
    throw UsageError("--ann: expected hnsw or exact, got '" + options_.ann + "'");
  if (!options_.data_dir.empty()) store_ = std::make_shared<const Dataset>(load_dataset(options_.data_dir));
  // The vocabulary: the store's event names and signals, then the defaults it lacks.
  if (store_) {
    event_names_ = store_->event_names;
    event_signals_ = store_->event_signal;
  }
  const SignalTable defaults = SignalTable::defaults();
  for (const auto& [name, signal] : defaults.entries())
    if (std::find(event_names_.begin(), event_names_.end(), name) == event_names_.end())
      event_names_.push_back(name), event_signals_.push_back(signal);
  model_path_ = options_.model_path;
  model_ = load_model(model_path_);
  if (options_.candidates < 1 || options_.candidates > 100000)
    throw UsageError("--candidates: expected 1..100000, got " + std::to_string(options_.candidates));
  for (const std::string& path : options_.candidate_models) candidate_models_.push_back(load_model(path));
  publish_model_info(*model_, model_path_);
  if (!options_.events_path.empty()) {
    events_ = std::make_unique<EventStore>(options_.events_path, options_.durability);
    replay_events();
  }
  HomeOptions home = options_.home;
  if (home.impressions_path.empty()) home.impressions_path = options_.events_path;  // beside the events
  home_ = std::make_unique<HomeService>(home);
  startup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.set_info("segue_startup_seconds", "", startup_seconds_);
}

Service::~Service() = default;

std::shared_ptr<const ServingModel> Service::load_model(const std::string& path) const {
  ServingOptions serving;
  serving.build_ann = options_.ann == "hnsw";
  serving.ann_path = options_.save_index ? path + ".hnsw" : "";
  serving.ann_ef_search = options_.ann_ef_search;
  return std::make_shared<const ServingModel>(Recommender::load(path), store_, serving);
}

void Service::publish_model_info(const ServingModel& served, const std::string& path) {
  char labels[1024];
  const std::string spec = served.model().params().to_string();
  std::string escaped;
  for (const char c : spec) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  std::snprintf(labels, sizeof labels, "name=\"%s\",spec=\"%s\",checksum=\"%08x\"", served.model().name().c_str(),
                escaped.c_str(), file_crc32(path));
  metrics_.set_info("segue_model_info", labels, 1);
  metrics_.set_info("segue_model_items", "", served.model().n_items());
  metrics_.set_info("segue_model_users", "", served.model().n_users());
  metrics_.set_info("segue_ann_enabled", "", served.ann() != nullptr ? 1 : 0);
  metrics_.set_info("segue_ann_ef_search", "", served.ann() != nullptr ? served.ann()->ef_search() : 0);
  metrics_.set_info("segue_ann_build_seconds", "", served.ann_build_seconds());
}

float Service::signal_of(const std::string& event) const {
  const auto at = std::find(event_names_.begin(), event_names_.end(), event);
  return at == event_names_.end() ? 0.0f : event_signals_[static_cast<std::size_t>(at - event_names_.begin())];
}

void Service::replay_events() {
  std::unordered_map<std::string, std::vector<LiveEvent>> by_user;
  events_->for_each([&](const ReceivedEvent& e) {
    by_user[e.user].push_back({e.item, e.event, e.weight * signal_of(e.event), e.timestamp, e.sequence});
  });
  for (const auto& [user, events] : by_user) live_.add(user, events);
}

std::vector<std::int32_t> Service::candidates_for(const ServingModel& served, const std::string& user,
                                                 const std::vector<std::string>& history) const {
  std::vector<std::int32_t> allow;
  for (const auto& generator : candidate_models_) {
    const Recommender& model = generator->model();
    RecommendRequest request;
    request.n = options_.candidates;
    request.skip_weight = options_.skip_weight;
    const std::int32_t id = model.user_ids().find(user);
    request.user = id == IdMap::kMissing ? -1 : id;
    const LiveProfile live = live_.profile(user, model.item_ids());
    request.history = live.positives;
    request.history_weights = live.weights;
    request.skipped = live.skipped;
    request.exclude = live.touched;
    for (const std::string& ref : history) {
      const std::int32_t item = model.item_ids().find(ref);
      if (item != IdMap::kMissing) request.history.push_back(item), request.history_weights.push_back(1.0f);
    }
    for (const ScoredItem& pick : generator->recommend(request).items) {
      const std::int32_t item = served.model().item_ids().find(model.item_ids().name(pick.item));
      if (item != IdMap::kMissing) allow.push_back(item);
    }
  }
  return sorted_unique(std::move(allow));
}

nlohmann::json Service::user_recommendations(const std::string& user, const QueryParams& query) const {
  check_id_text(user, "user", options_.max_id_length);
  const auto served = current();
  const Recommender& model = served->model();
  RecommendRequest request;
  request.n = static_cast<std::int32_t>(int_param(query, "n", 10, 1, options_.max_n));
  request.explain = flag_param(query, "explain");
  request.approximate = options_.ann == "hnsw" && !(find_param(query, "ann") && !flag_param(query, "ann"));
  request.skip_weight = options_.skip_weight;
  const std::int32_t id = model.user_ids().find(user);
  const bool known = id != IdMap::kMissing;
  request.user = known ? id : -1;
  const LiveProfile live = live_.profile(user, model.item_ids());
  request.history = live.positives;
  request.history_weights = live.weights;
  request.skipped = live.skipped;
  request.exclude = live.touched;
  const auto item_list = [&](const std::string& key, std::vector<std::int32_t>& out) {
    if (const std::string* text = find_param(query, key))
      for (const std::string& ref : split_commas(*text)) {
        const std::int32_t item = model.item_ids().find(ref);
        if (item == IdMap::kMissing) throw ApiError(400, key, key + ": unknown item id '" + printable_utf8(ref, 64) + "'");
        out.push_back(item);
      }
  };
  item_list("exclude", request.exclude);
  item_list("allow", request.allow);
  if (!candidate_models_.empty() && request.allow.empty()) request.allow = candidates_for(*served, user, {});
  if (const std::string* mood = find_param(query, "mood")) request.mood = check_mood(*mood, options_.max_id_length);
  if (find_param(query, "hour")) request.hour = static_cast<int>(int_param(query, "hour", 0, 0, 23));
  if (find_param(query, "seen")) request.exclude_seen = !flag_param(query, "seen");
  RecommendResult result;
  try {
    result = served->recommend(request);
  } catch (const UsageError& error) {
    throw bad_request(error);
  }
  json out = {{"user", user},
               {"known_user", known},
               {"fallback", result.fallback},
               {"strategy", result.strategy},
               {"model", model.params().to_short_string()},
               {"live_events", live.events},
               {"items", list_json(*served, result)}};
  if (!result.notes.empty()) out["notes"] = result.notes;
  return out;
}

nlohmann::json Service::history_recommendations(const nlohmann::json& body) const {
  if (!body.is_object()) throw ApiError(400, "", "the body must be a JSON object");
  const auto served = current();
  const Recommender& model = served->model();
  RecommendRequest request;
  request.skip_weight = options_.skip_weight;
  if (body.contains("n")) {
    const json& n = body["n"];
    if (!n.is_number_integer()) throw ApiError(400, "n", "n: expected an integer");
    const auto value = n.get<std::int64_t>();
    if (value < 1 || value > options_.max_n)
      throw ApiError(400, "n", "n: must be 1.." + std::to_string(options_.max_n) + ", got " + std::to_string(value));
    request.n = static_cast<std::int32_t>(value);
  }
  if (!body.contains("history") || !body["history"].is_array())
    throw ApiError(400, "history", "history: expected an array of item ids, names or {\"item\", \"weight\"} objects");
  const json& history = body["history"];
  if (history.size() > static_cast<std::size_t>(options_.max_history))
    throw ApiError(400, "history", "history: at most " + std::to_string(options_.max_history) + " items");
  json resolved = json::array();
  for (std::size_t k = 0; k < history.size(); ++k) {
    const std::string field = "history[" + std::to_string(k) + "]";
    const json& entry = history[k];
    std::string ref;
    float weight = 1.0f;
    if (entry.is_object()) {
      if (!entry.contains("item")) throw ApiError(400, field + ".item", field + ".item: missing");
      ref = id_field(entry["item"], field + ".item", options_.max_id_length);
      if (entry.contains("weight")) {
        if (!entry["weight"].is_number()) throw ApiError(400, field + ".weight", field + ".weight: expected a number");
        weight = entry["weight"].get<float>();
        if (!std::isfinite(weight) || weight <= 0)
          throw ApiError(400, field + ".weight", field + ".weight: must be a finite number > 0");
      }
    } else {
      ref = id_field(entry, field, options_.max_id_length);
    }
    ResolvedRef found;
    try {
      found = served->catalog().resolve(ref, field);
    } catch (const UsageError& error) {
      throw ApiError(400, field, error.what());
    }
    json items = json::array();
    for (const std::int32_t item : found.items) {
      request.history.push_back(item);
      request.history_weights.push_back(weight);
      items.push_back(std::string(model.item_ids().name(item)));
    }
    resolved.push_back({{"input", ref}, {"as", found.how}, {"items", items}});
  }
  const auto item_array = [&](const char* key, std::vector<std::int32_t>& out) {
    if (!body.contains(key)) return;
    if (!body[key].is_array()) throw ApiError(400, key, std::string(key) + ": expected an array of item ids");
    for (std::size_t k = 0; k < body[key].size(); ++k) {
      const std::string field = std::string(key) + "[" + std::to_string(k) + "]";
      const std::string ref = id_field(body[key][k], field, options_.max_id_length);
      const std::int32_t item = model.item_ids().find(ref);
      if (item == IdMap::kMissing) throw ApiError(400, field, field + ": unknown item id '" + printable_utf8(ref, 64) + "'");
      out.push_back(item);
    }
  };
  item_array("exclude", request.exclude);
  item_array("allow", request.allow);
  item_array("skipped", request.skipped);
  if (!candidate_models_.empty() && request.allow.empty()) {
    std::vector<std::string> ids;
    for (const std::int32_t item : request.history) ids.emplace_back(model.item_ids().name(item));
    request.allow = candidates_for(*served, "", ids);
  }
  if (body.contains("mood")) {
    if (!body["mood"].is_string()) throw ApiError(400, "mood", "mood: expected a string");
    request.mood = check_mood(body["mood"].get<std::string>(), options_.max_id_length);
  }
  if (body.contains("hour")) {
    if (!body["hour"].is_number_integer()) throw ApiError(400, "hour", "hour: expected an integer 0..23");
    request.hour = body["hour"].get<int>();
  }
  if (body.contains("explain")) {
    if (!body["explain"].is_boolean()) throw ApiError(400, "explain", "explain: expected true or false");
    request.explain = body["explain"].get<bool>();
  }
  RecommendResult result;
  try {
    result = served->recommend(request);
  } catch (const UsageError& error) {
    throw bad_request(error);
  }
  json out = {{"fallback", result.fallback},
               {"strategy", result.strategy},
               {"model", model.params().to_short_string()},
               {"history", resolved},
               {"items", list_json(*served, result)}};
  if (!result.notes.empty()) out["notes"] = result.notes;
  return out;
}

nlohmann::json Service::similar_items(const std::string& item, const QueryParams& query) const {
  check_id_text(item, "item", options_.max_id_length);
  const auto served = current();
  const std::int32_t n = static_cast<std::int32_t>(int_param(query, "n", 10, 1, options_.max_n));
  ResolvedRef found;
  try {
    found = served->catalog().resolve(item, "item", 1);
  } catch (const UsageError& error) {
    throw ApiError(404, "item", error.what());
  }
  const std::int32_t id = found.items.front();
  json items = json::array();
  for (const ScoredItem& pick : served->similar(id, n)) items.push_back(item_json(*served, pick));
  return {{"item", std::string(served->catalog().id(id))},
          {"name", served->catalog().label(id)},
          {"model", served->model().params().to_short_string()},
          {"items", items}};
}

nlohmann::json Service::search_items(const QueryParams& query) const {
  const auto served = current();
  const std::string* q = find_param(query, "q");
  if (q == nullptr) throw ApiError(400, "q", "q: the text to search for is missing");
  if (q->size() > options_.max_id_length) throw ApiError(400, "q", "q: too long");
  require_utf8(*q, "q");  // echoed in the answer
  const auto limit = static_cast<std::int32_t>(int_param(query, "limit", 10, 1, 100));
  json items = json::array();
  for (const CatalogMatch& match : served->catalog().search(*q, limit))
    items.push_back({{"item", std::string(served->catalog().id(match.item))}, {"name", match.label}});
  return {{"query", *q}, {"items", items}};
}

nlohmann::json Service::list_users(const QueryParams& query) const {
  const auto served = current();
  const Recommender& model = served->model();
  const auto limit = static_cast<std::int32_t>(int_param(query, "limit", 20, 1, 1000));
  const auto offset = static_cast<std::int32_t>(int_param(query, "offset", 0, 0, 1 << 30));
  json users = json::array();
  for (std::int32_t u = offset; u < model.n_users() && static_cast<std::int32_t>(users.size()) < limit; ++u)
    users.push_back({{"user", std::string(model.user_ids().name(u))}, {"items", model.history().count(u)}});
  return {{"users", users}, {"total", model.n_users()}};
}

nlohmann::json Service::post_events(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("events") || !body["events"].is_array())
    throw ApiError(400, "events", "events: expected {\"events\": [{\"user\", \"item\", \"event\"}, ...]}");
  const json& list = body["events"];
  if (list.empty()) throw ApiError(400, "events", "events: the list is empty");
  if (list.size() > static_cast<std::size_t>(options_.max_events_per_batch))
    throw ApiError(400, "events", "events: at most " + std::to_string(options_.max_events_per_batch) + " per request");
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::vector<ReceivedEvent> batch;
  std::vector<float> signals;
  std::vector<std::pair<std::size_t, std::string>> impressions;  // (event index, impression id)
  batch.reserve(list.size());
  for (std::size_t k = 0; k < list.size(); ++k) {
    const std::string at = "events[" + std::to_string(k) + "]";
    const json& e = list[k];
    if (!e.is_object()) throw ApiError(400, at, at + ": expected an object");
    ReceivedEvent event;
    if (!e.contains("user")) throw ApiError(400, at + ".user", at + ".user: missing");
    if (!e.contains("item")) throw ApiError(400, at + ".item", at + ".item: missing");
    event.user = id_field(e["user"], at + ".user", options_.max_id_length);
    event.item = id_field(e["item"], at + ".item", options_.max_id_length);
    if (e.contains("event")) {
      if (!e["event"].is_string()) throw ApiError(400, at + ".event", at + ".event: expected a string");
      event.event = e["event"].get<std::string>();
    }
    const auto name = std::find(event_names_.begin(), event_names_.end(), event.event);
    if (name == event_names_.end()) {
      std::string known;
      for (const std::string& n : event_names_) known += (known.empty() ? "" : ", ") + n;
      throw ApiError(400, at + ".event", at + ".event: unknown event '" + printable_utf8(event.event, 64) + "' (known: " + known + ")");
    }
    if (e.contains("weight")) {
      if (!e["weight"].is_number()) throw ApiError(400, at + ".weight", at + ".weight: expected a number");
      event.weight = e["weight"].get<float>();
      if (!std::isfinite(event.weight) || event.weight < 0)
        throw ApiError(400, at + ".weight", at + ".weight: must be a finite number >= 0");
    }
    event.timestamp = now;
    if (e.contains("timestamp")) {
      if (!e["timestamp"].is_number_integer() || e["timestamp"].get<std::int64_t>() < 0)
        throw ApiError(400, at + ".timestamp", at + ".timestamp: expected unix seconds (an integer >= 0)");
      event.timestamp = e["timestamp"].get<std::int64_t>();
    }
    if (e.contains("session")) event.session = id_field(e["session"], at + ".session", options_.max_id_length);
    json context;
    if (e.contains("context")) {
      if (!e["context"].is_object()) throw ApiError(400, at + ".context", at + ".context: expected an object");
      context = e["context"];
    }
    // The home page card it answers ("PAGE:POSITION"): kept in the context, joined with the impression log.
    if (e.contains("impression")) {
      if (!e["impression"].is_string() || e["impression"].get<std::string>().empty() ||
          e["impression"].get<std::string>().size() > 64)
        throw ApiError(400, at + ".impression", at + ".impression: expected an impression id (\"PAGE:POSITION\")");
      context["impression"] = e["impression"];
      impressions.emplace_back(k, e["impression"].get<std::string>());
    }
    if (!context.is_null()) {
      event.context_json = context.dump();
      if (event.context_json.size() > 4096) throw ApiError(400, at + ".context", at + ".context: larger than 4 KiB");
    }
    signals.push_back(event.weight * event_signals_[static_cast<std::size_t>(name - event_names_.begin())]);
    batch.push_back(std::move(event));
  }
  std::int64_t first = 0;
  if (events_) {
    try {
      first = events_->append(batch);
    } catch (const InputError& error) {
      throw ApiError(503, "", std::string("events were not stored: ") + error.what());
    }
  } else {
    first = memory_sequence_.fetch_add(static_cast<std::int64_t>(batch.size())) + 1;
  }
  // Durable: now the listeners' next requests see them.
  const auto served = current();
  std::unordered_map<std::string, std::vector<LiveEvent>> by_user;
  std::int64_t unknown = 0, new_users = 0;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    const ReceivedEvent& e = batch[k];
    if (served->model().item_ids().find(e.item) == IdMap::kMissing) ++unknown;
    by_user[e.user].push_back({e.item, e.event, signals[k], e.timestamp, first + static_cast<std::int64_t>(k)});
  }
  for (const auto& [user, events] : by_user) {
    if (served->model().user_ids().find(user) == IdMap::kMissing) ++new_users;
    live_.add(user, events);
  }
  for (const auto& [k, impression] : impressions) home_->outcome(batch[k].user, impression, batch[k].event);
  metrics_.add_events_stored(static_cast<std::int64_t>(batch.size()));
  metrics_.add_unknown_items(unknown);
  return {{"stored", batch.size()}, {"first_sequence", first}, {"unknown_items", unknown}, {"new_users", new_users},
          {"durable", events_ != nullptr}};
}

nlohmann::json Service::home_page(const std::string& user, const QueryParams& query) {
  check_id_text(user, "user", options_.max_id_length);
  const auto served = current();
  const Recommender& model = served->model();
  home::Listener listener;
  listener.id = user;
  const std::int32_t id = model.user_ids().find(user);
  listener.user = id == IdMap::kMissing ? -1 : id;
  const LiveProfile live = live_.profile(user, model.item_ids());
  listener.history = live.positives;
  listener.history_weights = live.weights;
  listener.skipped = live.skipped;
  listener.touched = live.touched;
  std::vector<std::int32_t> received;
  for (const LiveEvent& e : live_.recent(user, 20)) {
    const std::int32_t item = model.item_ids().find(e.item);
    if (item != IdMap::kMissing && e.signal > 0) received.push_back(item);
  }
  listener.recent = home::recent_items(*served, listener.user, received, 20);
  if (find_param(query, "hour")) {
    listener.hour = static_cast<int>(int_param(query, "hour", 0, 0, 23));
  } else {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    listener.hour = tm.tm_hour;
  }
  try {
    return home_->page(served, listener, model.params().to_short_string());
  } catch (const UsageError& error) {
    throw bad_request(error);
  }
}

nlohmann::json Service::user_history(const std::string& user, const QueryParams& query) const {
  check_id_text(user, "user", options_.max_id_length);
  const auto served = current();
  const Recommender& model = served->model();
  const auto limit = static_cast<std::size_t>(int_param(query, "limit", 100, 1, 100000));
  json events = json::array();
  // The database has every received event; the live state only the newest per listener.
  std::vector<LiveEvent> received;
  if (events_) {
    for (const ReceivedEvent& e : events_->user_events(user, static_cast<std::int64_t>(limit)))
      received.push_back({e.item, e.event, e.weight * signal_of(e.event), e.timestamp, e.sequence});
  } else {
    received = live_.recent(user, limit);
  }
  for (const LiveEvent& e : received) {
    const std::int32_t item = model.item_ids().find(e.item);
    json row = {{"item", e.item},   {"event", e.event},       {"signal", e.signal},
                {"timestamp", e.timestamp}, {"sequence", e.sequence}, {"source", "received"}};
    if (item != IdMap::kMissing) row["name"] = served->catalog().label(item);
    events.push_back(std::move(row));
  }
  const std::int32_t id = model.user_ids().find(user);
  std::int64_t trained = 0;
  if (id != IdMap::kMissing) {
    const auto items = model.history().row_indices(id);
    const auto values = model.history().row_values(id);
    trained = static_cast<std::int64_t>(items.size());
    for (std::size_t k = 0; k < items.size() && events.size() < limit; ++k)
      events.push_back({{"item", std::string(model.item_ids().name(items[k]))},
                        {"name", served->catalog().label(items[k])},
                        {"event", "training"},
                        {"signal", values[k]},
                        {"source", "training"}});
  }
  return {{"user", user}, {"known_user", id != IdMap::kMissing}, {"training_items", trained}, {"events", events}};
}

nlohmann::json Service::reload(const nlohmann::json& body) {
  if (!body.is_object()) throw ApiError(400, "", "the body must be a JSON object ({} reloads the same file)");
  std::lock_guard<std::mutex> lock(reload_mutex_);
  std::string path = model_path_;
  if (body.contains("model")) {
    if (!body["model"].is_string()) throw ApiError(400, "model", "model: expected a file path");
    path = body["model"].get<std::string>();
  }
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const ServingModel> next;
  try {
    next = load_model(path);
  } catch (const std::exception& error) {
    metrics_.add_reload(false);
    throw ApiError(400, "model", std::string("model: not reloaded, the old model keeps serving: ") + error.what());
  }
  // Requests in flight keep the old model alive until they end.
  {
    std::lock_guard<std::mutex> swap(model_mutex_);
    model_ = next;
  }
  model_path_ = path;
  publish_model_info(*next, path);
  metrics_.add_reload(true);
  return {{"model", next->model().params().to_short_string()},
          {"path", path},
          {"items", next->model().n_items()},
          {"users", next->model().n_users()},
          {"ann", next->ann() != nullptr},
          {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
}

nlohmann::json Service::health() const {
  const auto served = current();
  return {{"status", "ok"},
          {"model", served->model().params().to_short_string()},
          {"items", served->model().n_items()},
          {"users", served->model().n_users()},
          {"live_users", live_.users()},
          {"live_names", live_.names()},
          // Stored durably but not reflected live: listeners past max_live_users, events naming a new item
          // past max_live_names (the bounds on the live state's memory).
          {"live_dropped", {{"users", live_.dropped_users()}, {"events", live_.dropped_events()}}},
          {"durable_events", events_ != nullptr}};
}

}  // namespace segue
