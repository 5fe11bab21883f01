// The HTTP service end to end, in process: every endpoint's answers, auth,
// bad input, read-your-writes of events, restart, and reload under load.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "serve/http_server.h"
#include "serve/service.h"
#include "serve_fixture.h"

namespace segue {
namespace {

using nlohmann::json;
using testing::TempDir;

const std::string kToken = "0123456789abcdef0123456789abcdef";

struct Running {
  std::unique_ptr<Service> service;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  std::unique_ptr<httplib::Client> client;

  Running(const ServiceOptions& options, HttpOptions http = {}) {
    service = std::make_unique<Service>(options);
    http.port = 0;
    http.threads = 4;
    if (http.token.empty()) http.token = kToken;
    server = std::make_unique<HttpServer>(*service, http);
    server->bind();
    thread = std::thread([this] { server->run(); });
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    for (int tries = 0; tries < 200; ++tries) {
      if (auto r = client->Get("/healthz"); r && r->status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~Running() {
    server->stop();
    thread.join();
  }
  httplib::Result post(const std::string& path, const std::string& body, bool auth = true) {
    httplib::Headers headers;
    if (auth) headers.emplace("Authorization", "Bearer " + kToken);
    return client->Post(path.c_str(), headers, body, "application/json");
  }
};

struct World {
  TempDir dir;
  Dataset world = testing::served_world();
  ServiceOptions options(const std::string& spec = "itemknn") {
    ServiceOptions o;
    if (!std::filesystem::exists(dir.file("store"))) save_dataset(world, dir.file("store"));
    o.model_path = testing::fit_and_save(world, spec, dir.file(spec.substr(0, spec.find(':')) + ".model"));
    o.data_dir = dir.file("store");
    o.events_path = dir.file("events.sqlite");
    o.durability = Durability::kNormal;
    return o;
  }
};

std::vector<std::string> item_ids(const json& answer) {
  std::vector<std::string> out;
  for (const auto& row : answer["items"]) out.push_back(row["item"].get<std::string>());
  return out;
}

TEST(ServiceHttp, RecommendationsForKnownAndUnknownListeners) {
  World w;
  Running r(w.options());
  auto res = r.client->Get("/v1/users/u0/recommendations?n=5&explain=1");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json answer = json::parse(res->body);
  EXPECT_EQ(answer["user"], "u0");
  EXPECT_FALSE(answer["fallback"].get<bool>());
  ASSERT_EQ(answer["items"].size(), 5u);
  double last = 1e30;
  for (const auto& row : answer["items"]) {
    EXPECT_LE(row["score"].get<double>(), last);
    last = row["score"].get<double>();
    EXPECT_TRUE(row.contains("name"));
    EXPECT_NE(row["reason"].get<std::string>().find("because you played"), std::string::npos) << row;
  }
  // Training items are excluded (u0 played t0).
  const auto ids = item_ids(answer);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "t0"), 0);
  res = r.client->Get("/v1/users/stranger/recommendations?n=3");
  ASSERT_EQ(res->status, 200);
  EXPECT_TRUE(json::parse(res->body)["fallback"].get<bool>());
  EXPECT_EQ(json::parse(res->body)["items"].size(), 3u);
}

TEST(ServiceHttp, EventsNeedTheTokenAndChangeTheNextAnswer) {
  World w;
  Running r(w.options());
  const json before = json::parse(r.client->Get("/v1/users/u1/recommendations?n=5")->body);
  const std::string top = item_ids(before)[0];
  const std::string body = json{{"events", {{{"user", "u1"}, {"item", top}, {"event", "play"}}}}}.dump();
  auto res = r.post("/v1/events", body, false);
  EXPECT_EQ(res->status, 401);
  EXPECT_TRUE(json::parse(res->body).contains("error"));
  res = r.client->Post("/v1/events", {{"Authorization", "Bearer wrong-token-of-the-same-length-xx"}}, body,
                       "application/json");
  EXPECT_EQ(res->status, 401);
  res = r.post("/v1/events", body);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["stored"], 1);
  // Read your writes: the played track leaves the list at once.
  const json after = json::parse(r.client->Get("/v1/users/u1/recommendations?n=5")->body);
  const auto now = item_ids(after);
  EXPECT_EQ(std::count(now.begin(), now.end(), top), 0);
  EXPECT_EQ(after["live_events"], 1);
  // A skip of the new top pick changes the list too.
  const std::string skip =
      json{{"events", {{{"user", "u1"}, {"item", now[0]}, {"event", "skip"}, {"timestamp", 1700000000}}}}}.dump();
  ASSERT_EQ(r.post("/v1/events", skip)->status, 200);
  const auto skipped = item_ids(json::parse(r.client->Get("/v1/users/u1/recommendations?n=5")->body));
  EXPECT_EQ(std::count(skipped.begin(), skipped.end(), now[0]), 0);
  // History: received events newest first, then the training items.
  const json history = json::parse(r.client->Get("/v1/users/u1/history")->body);
  ASSERT_GE(history["events"].size(), 2u);
  EXPECT_EQ(history["events"][0]["item"], now[0]);
  EXPECT_EQ(history["events"][0]["event"], "skip");
  EXPECT_EQ(history["events"][1]["item"], top);
  EXPECT_EQ(history["events"][2]["source"], "training");
  // A brand-new listener's plays are folded in: no fallback any more.
  ASSERT_EQ(r.post("/v1/events", json{{"events", {{{"user", "newbie"}, {"item", "t8"}}, {{"user", "newbie"}, {"item", "t9"}}}}}.dump())
                ->status,
            200);
  const json newbie = json::parse(r.client->Get("/v1/users/newbie/recommendations?n=4")->body);
  EXPECT_FALSE(newbie["fallback"].get<bool>());
  EXPECT_EQ(newbie["strategy"], "fold-in");
  // Unknown items are stored and counted.
  res = r.post("/v1/events", json{{"events", {{{"user", "u2"}, {"item", "brand-new-track"}, {"event", "like"}}}}}.dump());
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["unknown_items"], 1);
}

TEST(ServiceHttp, BadInputGetsA4xxNamingTheField) {
  World w;
  ServiceOptions options = w.options();
  HttpOptions http;
  http.max_body_bytes = 4096;
  Running r(options, http);
  const auto field_of = [](const httplib::Result& res) { return json::parse(res->body).value("field", ""); };
  auto res = r.post("/v1/events", "{not json");
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(json::parse(res->body).contains("error"));
  res = r.post("/v1/events", R"({"events": [{"user": "u1", "item": "t1", "event": "dance"}]})");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "events[0].event");
  res = r.post("/v1/events", R"({"events": [{"user": "u1", "item": 3.5}]})");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "events[0].item");
  res = r.post("/v1/events", R"({"events": [{"user": "u1", "item": "t1", "weight": "heavy"}]})");
  EXPECT_EQ(field_of(res), "events[0].weight");
  res = r.post("/v1/events", R"({"events": [{"user": "u1", "item": "t1", "weight": -1}]})");
  EXPECT_EQ(field_of(res), "events[0].weight");
  res = r.post("/v1/events", R"({"events": []})");
  EXPECT_EQ(res->status, 400);
  res = r.post("/v1/events", R"([1, 2])");
  EXPECT_EQ(field_of(res), "events");
  // Nothing of a refused batch is stored.
  res = r.post("/v1/events", R"({"events": [{"user": "u9", "item": "t1"}, {"user": "u9", "item": "t2", "event": "x"}]})");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(r.client->Get("/v1/users/u9/recommendations")->body)["live_events"], 0);
  res = r.post("/v1/events", "{\"events\": [" + std::string(5000, ' ') + "]}");
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(r.client->Get("/v1/users/u0/recommendations?n=0")->status, 400);
  EXPECT_EQ(field_of(r.client->Get("/v1/users/u0/recommendations?n=1000000")), "n");
  EXPECT_EQ(field_of(r.client->Get("/v1/users/u0/recommendations?n=abc")), "n");
  EXPECT_EQ(field_of(r.client->Get("/v1/users/u0/recommendations?hour=25")), "hour");
  EXPECT_EQ(r.client->Get(("/v1/users/" + std::string(300, 'x') + "/recommendations").c_str())->status, 400);
  EXPECT_EQ(r.client->Get("/v1/no/such/thing")->status, 404);
  EXPECT_EQ(r.client->Get("/v1/items/nothing-like-it/similar")->status, 404);
  res = r.post("/v1/recommendations", R"({"history": ["t1", {"item": "t2", "weight": "x"}]})");
  EXPECT_EQ(field_of(res), "history[1].weight");
  res = r.post("/v1/recommendations", R"({"history": ["Song 0"]})");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "history[0]");
  EXPECT_NE(json::parse(res->body)["error"].get<std::string>().find("Artist 8 - Song 0"), std::string::npos);
  // Found by fuzz_service_query / fuzz_service_json: bytes that are not UTF-8, echoed into an error message, made
  // the answer's JSON unwritable (a 500). Now a path id must be UTF-8, and echoed text is shown as \xNN.
  res = r.client->Get("/v1/users/u%FF%C3/recommendations");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "user");
  EXPECT_NE(json::parse(res->body)["error"].get<std::string>().find("UTF-8"), std::string::npos);
  res = r.client->Get("/v1/users/u0/recommendations?n=%E2%82");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "n");
  EXPECT_NE(json::parse(res->body)["error"].get<std::string>().find("\\xE2\\x82"), std::string::npos);
  res = r.post("/v1/events", "{\"events\": [\xff\xfe");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "body");
  res = r.client->Get("/v1/items?q=so%FFng");  // the query is echoed in the answer
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "q");
  // The long fuzz run's find: a mood is echoed too (`mood=true1nj%FE%FF` ended in std::terminate in the harness).
  res = r.client->Get("/v1/users/u0/recommendations?n=1&mood=true1nj%FE%FF%FF%FB2");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "mood");
  // nlohmann's parser throws out_of_range, not parse_error, for a number beyond a double: a 400, not a 500.
  res = r.post("/v1/recommendations", R"({"history": ["t1"], "n": 1E400})");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(field_of(res), "body");
  // Errors are counted; the server still answers.
  EXPECT_EQ(r.client->Get("/healthz")->status, 200);
  EXPECT_NE(r.client->Get("/metrics")->body.find("segue_request_errors_total{endpoint=\"events\"}"), std::string::npos);
}

TEST(ServiceHttp, HistoryByNamesSimilarSearchAndMetrics) {
  World w;
  Running r(w.options());
  auto res = r.post("/v1/recommendations", R"({"history": ["Artist 1 - Song 5", "t6", "Artist 4"], "n": 4, "explain": true})", false);
  ASSERT_EQ(res->status, 200) << res->body;
  const json answer = json::parse(res->body);
  EXPECT_EQ(answer["items"].size(), 4u);
  // Reasons name history items, largest share first.
  for (const auto& row : answer["items"]) {
    ASSERT_FALSE(row["because"].empty()) << row;
    const std::string first = row["because"][0]["item"];
    const std::set<std::string> history = {"t5", "t6", "t16", "t17", "t18", "t19"};  // Artist 4: t16..t19
    EXPECT_TRUE(history.count(first)) << row;
    EXPECT_NE(row["reason"].get<std::string>().find("because you played"), std::string::npos);
  }
  EXPECT_EQ(answer["history"][2]["as"], "artist");
  const auto ids = item_ids(answer);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "t5"), 0);  // the history is excluded
  res = r.client->Get("/v1/items/t5/similar?n=3");
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["items"].size(), 3u);
  res = r.client->Get("/v1/items?q=song%2012&limit=3");
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["items"][0]["item"], "t12");
  EXPECT_EQ(json::parse(r.client->Get("/v1/users?limit=2")->body)["users"].size(), 2u);
  const std::string metrics = r.client->Get("/metrics")->body;
  EXPECT_NE(metrics.find("segue_requests_total{endpoint=\"similar\",code=\"2xx\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("segue_model_info{name=\"itemknn\""), std::string::npos);
  EXPECT_NE(metrics.find("segue_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_EQ(r.client->Get("/")->status, 200);
}

TEST(ServiceHttp, CandidateModelsLimitWhatTheServedModelRanks) {
  World w;
  ServiceOptions generator = w.options("ials:factors=8,iterations=5");
  generator.events_path.clear();
  generator.ann = "exact";
  ServiceOptions two_stage = w.options("itemknn");
  two_stage.candidate_models = {generator.model_path};
  two_stage.candidates = 5;
  two_stage.ann = "exact";
  Service candidates(generator);
  Running r(two_stage);
  for (const char* user : {"u0", "u4", "u11"}) {
    const json proposed = candidates.user_recommendations(user, {{"n", "5"}});
    std::set<std::string> allowed;
    for (const auto& row : proposed["items"]) allowed.insert(row["item"].get<std::string>());
    const json answer = json::parse(r.client->Get(("/v1/users/" + std::string(user) + "/recommendations?n=10").c_str())->body);
    EXPECT_LE(answer["items"].size(), 5u);
    EXPECT_FALSE(answer["items"].empty());
    for (const auto& row : answer["items"]) EXPECT_TRUE(allowed.count(row["item"].get<std::string>())) << user << row;
  }
}

TEST(ServiceHttp, ReceivedEventsSurviveARestart) {
  World w;
  const ServiceOptions options = w.options();
  {
    Running r(options);
    ASSERT_EQ(r.post("/v1/events", R"({"events": [{"user": "u3", "item": "t20", "event": "like"}, {"user": "zed", "item": "t1"}]})")
                  ->status,
              200);
  }
  Running again(options);
  const json history = json::parse(again.client->Get("/v1/users/u3/history")->body);
  EXPECT_EQ(history["events"][0]["item"], "t20");
  EXPECT_EQ(history["events"][0]["event"], "like");
  const auto ids = item_ids(json::parse(again.client->Get("/v1/users/u3/recommendations?n=20")->body));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "t20"), 0);
  EXPECT_FALSE(json::parse(again.client->Get("/v1/users/zed/recommendations")->body)["fallback"].get<bool>());
}

TEST(ServiceHttp, ReloadUnderLoadDropsNoRequest) {
  World w;
  ServiceOptions options = w.options();
  const std::string second = testing::fit_and_save(w.world, "ials:factors=8,iterations=3", w.dir.file("ials.model"));
  Running r(options);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c)
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", r.server->port());
      while (!done) {
        auto res = client.Get(("/v1/users/u" + std::to_string(c) + "/recommendations?n=5").c_str());
        if (!res || res->status != 200) ++failures;
        ++answered;
      }
    });
  for (int k = 0; k < 4; ++k) {
    const std::string path = k % 2 == 0 ? second : options.model_path;
    auto res = r.post("/v1/admin/reload", json{{"model", path}}.dump());
    ASSERT_EQ(res->status, 200) << res->body;
  }
  EXPECT_EQ(r.post("/v1/admin/reload", "{}", false)->status, 401);
  auto bad = r.post("/v1/admin/reload", json{{"model", w.dir.file("missing.model")}}.dump());
  EXPECT_EQ(bad->status, 400);
  done = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(answered.load(), 0);
  EXPECT_NE(r.client->Get("/metrics")->body.find("segue_reloads_total 4"), std::string::npos);
  EXPECT_EQ(json::parse(r.client->Get("/healthz")->body)["model"].get<std::string>().rfind("itemknn", 0), 0u);
}

// Home pages from several connections at once while their cards are played
// (policy updates under the exclusive lock, decisions under the shared one)
// and the model is reloaded: every page answers, no track twice on a page.
TEST(ServiceHttp, HomePagesUnderConcurrentPlaysAndReloads) {
  World w;
  const ServiceOptions options = w.options();
  Running r(options);
  std::atomic<int> failures{0}, pages{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c)
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", r.server->port());
      httplib::Headers auth{{"Authorization", "Bearer " + kToken}};
      for (int k = 0; k < 8; ++k) {
        const std::string user = "u" + std::to_string(c + 3 * k);
        auto res = client.Get(("/v1/users/" + user + "/home").c_str());
        if (!res || res->status != 200) {
          ++failures;
          continue;
        }
        const json page = json::parse(res->body);
        std::set<std::string> seen;
        for (const auto& shelf : page["shelves"])
          for (const auto& card : shelf["cards"])
            if (!seen.insert(card["item"].get<std::string>()).second) ++failures;
        ++pages;
        if (page["shelves"].empty()) continue;
        const json& card = page["shelves"][0]["cards"][0];
        const json play = {{"events", {{{"user", user}, {"item", card["item"]}, {"event", "play"},
                                        {"impression", card["impression"]}}}}};
        auto posted = client.Post("/v1/events", auth, play.dump(), "application/json");
        if (!posted || posted->status != 200) ++failures;
      }
    });
  for (int k = 0; k < 2; ++k) ASSERT_EQ(r.post("/v1/admin/reload", "{}")->status, 200);
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pages.load(), 24);
  EXPECT_EQ(r.service->home().stats().outcomes, 24);
}

}  // namespace
}  // namespace segue
