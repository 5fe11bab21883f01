// The home screen's page layer: shelf configuration, candidate generators on a
// served model, page arrangement (no track twice, propensities as products),
// features rebuilt from the log, the impression log and its export, and the
// service's home endpoint learning from outcomes.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ab/experiment.h"
#include "data/error.h"
#include "data/store.h"
#include "home/card_features.h"
#include "home/impression_store.h"
#include "home/page.h"
#include "home/shelves.h"
#include "serve/event_store.h"
#include "serve/service.h"
#include "serve_fixture.h"
#include "test_util.h"

namespace segue {
namespace {

using nlohmann::json;
using testing::TempDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

TEST(HomeShelfConfig, DefaultsAndErrorsNameTheField) {
  const home::ShelfConfig config = home::default_shelf_config();
  EXPECT_EQ(config.shelves.size(), 9u);
  EXPECT_EQ(config.max_shelves, 8);
  const auto error_of = [](const std::string& text) {
    try {
      home::parse_shelf_config(text, "shelves.json");
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("{").find("shelves.json"), std::string::npos);
  EXPECT_NE(error_of(R"({"max_shelves": 1e400})").find("not valid JSON"), std::string::npos);  // out_of_range, not a crash
  EXPECT_NE(error_of(R"({"shelves": []})").find("shelves"), std::string::npos);
  EXPECT_NE(error_of(R"({"shelves": [{"name": "a", "generator": "nope"}]})").find("shelves[0].generator"), std::string::npos);
  EXPECT_NE(error_of(R"({"shelves": [{"name": "a", "generator": "popular"}, {"name": "a", "generator": "popular"}]})")
                .find("shelves[1].name"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"shelves": [{"name": "a", "generator": "popular", "cards": 0}]})").find("shelves[0].cards"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"shelves": [{"name": "a", "generator": "popular", "cards": 10, "candidates": 5}]})")
                .find("shelves[0].candidates"),
            std::string::npos);
  const home::ShelfConfig two = home::parse_shelf_config(
      R"({"max_shelves": 2, "shelves": [{"name": "p", "generator": "popular", "title": "Hot", "cards": 3},
                                        {"name": "m", "generator": "made_for_you"}]})",
      "x");
  ASSERT_EQ(two.shelves.size(), 2u);
  EXPECT_EQ(two.max_shelves, 2);
  EXPECT_EQ(two.shelves[0].cards, 3);
  EXPECT_EQ(two.shelves[0].candidates, 30);
  EXPECT_EQ(two.shelves[1].generator, home::Generator::kMadeForYou);
}

struct Served {
  TempDir dir;
  std::shared_ptr<const ServingModel> served;
  explicit Served(const std::string& spec = "itemknn", bool friends = false) {
    Dataset world = testing::served_world();
    if (friends) {
      // u0's friends: u1 and u2 (other clusters: their tracks are new to u0).
      world.friends.indptr.assign(static_cast<std::size_t>(world.n_users()) + 1, 0);
      std::vector<std::vector<std::int32_t>> adjacency(static_cast<std::size_t>(world.n_users()));
      const auto link = [&](const char* a, const char* b) {
        const std::int32_t x = world.users.find(a), y = world.users.find(b);
        adjacency[static_cast<std::size_t>(x)].push_back(y);
        adjacency[static_cast<std::size_t>(y)].push_back(x);
      };
      link("u0", "u1");
      link("u0", "u2");
      world.friends.neighbors.clear();
      for (std::size_t u = 0; u < adjacency.size(); ++u) {
        std::sort(adjacency[u].begin(), adjacency[u].end());
        world.friends.neighbors.insert(world.friends.neighbors.end(), adjacency[u].begin(), adjacency[u].end());
        world.friends.indptr[u + 1] = static_cast<std::int64_t>(world.friends.neighbors.size());
      }
    }
    const std::string model = testing::fit_and_save(world, spec, dir.file("model"));
    served = std::make_shared<const ServingModel>(Recommender::load(model), std::make_shared<const Dataset>(world));
  }
  home::Listener listener(const std::string& id) const {
    home::Listener l;
    l.id = id;
    l.user = served->model().user_ids().find(id);
    l.recent = home::recent_items(*served, l.user, {}, 20);
    l.hour = 21;
    return l;
  }
};

TEST(HomeShelves, GeneratorsOfferNewItemsWithReasons) {
  Served s("itemknn", true);
  const home::HomeIndex index(*s.served);
  const home::Listener u0 = s.listener("u0");
  ASSERT_FALSE(u0.recent.empty());
  const auto shelves = home::generate_shelves(home::default_shelf_config(), *s.served, index, u0);
  std::set<std::string> names;
  const auto trained = s.served->model().history().row_indices(u0.user);
  const ItemCatalog& catalog = s.served->catalog();
  for (const auto& shelf : shelves) {
    names.insert(shelf.name);
    ASSERT_EQ(shelf.items.size(), shelf.reasons.size()) << shelf.name;
    for (const ScoredItem& item : shelf.items)
      EXPECT_FALSE(std::binary_search(trained.begin(), trained.end(), item.item)) << shelf.name << " offers a played track";
    if (shelf.name == "because_you_played") {
      EXPECT_EQ(shelf.title, "Because you played " + catalog.label(u0.recent[0]));
      EXPECT_EQ(shelf.reasons[0], shelf.title);
    }
    if (shelf.name == "more_of_artist") {
      // The artist of most of u0's recent tracks, and only that artist's tracks.
      const std::string artist = shelf.title.substr(std::string("More of ").size());
      for (const ScoredItem& item : shelf.items) EXPECT_EQ(catalog.artist(item.item), artist);
    }
    if (shelf.name == "friends") {
      // Every offer is a track u1 or u2 played.
      for (const ScoredItem& item : shelf.items) {
        const auto a = s.served->model().history().row_indices(s.served->model().user_ids().find("u1"));
        const auto b = s.served->model().history().row_indices(s.served->model().user_ids().find("u2"));
        EXPECT_TRUE(std::binary_search(a.begin(), a.end(), item.item) || std::binary_search(b.begin(), b.end(), item.item));
      }
      EXPECT_NE(shelf.reasons[0].find("Your friend u"), std::string::npos);
    }
  }
  for (const char* expected : {"because_you_played", "more_of_artist", "keep_the_vibe", "made_for_you", "friends", "popular"})
    EXPECT_EQ(names.count(expected), 1u) << expected;
  // A listener nobody knows has nothing to go on but what is popular (and new).
  home::Listener stranger;
  stranger.id = "nobody";
  stranger.hour = 9;
  for (const auto& shelf : home::generate_shelves(home::default_shelf_config(), *s.served, index, stranger))
    EXPECT_TRUE(shelf.name == "popular" || shelf.name == "new_releases") << shelf.name;
}

TEST(HomePage, NoTrackTwiceAndPropensitiesAreProducts) {
  Served s;
  const home::HomeIndex index(*s.served);
  const home::Listener u0 = s.listener("u0");
  home::ShelfConfig config = home::default_shelf_config();
  config.max_shelves = 4;
  const auto offered = home::generate_shelves(config, *s.served, index, u0);
  ASSERT_GE(offered.size(), 4u);
  const auto uniform = home::make_policy("uniform");
  Rng rng(7);
  const home::Page page = home::arrange_page(offered, config, {"u0", 21}, {uniform.get(), uniform.get()},
                                             s.served->popularity(), s.served->model().item_ids(), rng);
  ASSERT_LE(page.shelves.size(), 4u);
  ASSERT_FALSE(page.shelves.empty());
  EXPECT_EQ(page.id.size(), 16u);
  std::set<std::int32_t> seen;
  std::int32_t position = 0;
  for (const home::PageShelf& shelf : page.shelves) {
    // Uniform over the offered shelves: the row at slot j had 1 / (offered - j).
    EXPECT_NEAR(shelf.propensity, 1.0 / static_cast<double>(offered.size() - static_cast<std::size_t>(shelf.shelf_position)), 1e-12);
    for (const home::Card& card : shelf.cards) {
      EXPECT_TRUE(seen.insert(card.item).second) << "item " << card.item << " twice on the page";
      EXPECT_EQ(card.position, position++);
      EXPECT_GT(card.propensity, 0.0);
      EXPECT_LE(card.propensity, shelf.propensity + 1e-15);
    }
  }
  // The first row's first card: 1/offered shelves × 1/its candidates (nothing on the page yet).
  const home::PageShelf& top = page.shelves[0];
  std::size_t candidates = 0;
  for (const auto& o : offered)
    if (o.name == top.name) candidates = o.items.size();
  EXPECT_NEAR(top.cards[0].propensity, top.propensity / static_cast<double>(candidates), 1e-12);
}

TEST(HomeFeatures, TheLogRebuildsTheFeaturesOfADecision) {
  const home::PageContext context{"u7", 22};
  const home::CardOffer offer{"track-9", "made_for_you", "made_for_you", 5, 130.0f};
  const auto decided = home::card_features(context, offer, 2, 3);
  const auto logged = home::logged_card_features("u7", "track-9", "made_for_you", "made_for_you",
                                                 home::card_context(context, offer), 2, 3);
  ASSERT_EQ(decided.size(), logged.size());
  for (std::size_t k = 0; k < decided.size(); ++k) EXPECT_EQ(decided[k].index, logged[k].index);
  EXPECT_EQ(home::card_context(context, offer), "hour=22,rank=2,pop=7");  // log2(6) = 2.58, log2(131) = 7.03
  EXPECT_THROW(home::logged_card_features("u", "i", "s", "e", "hour=x", 0, 0), UsageError);
  EXPECT_THROW(home::logged_card_features("u", "i", "s", "e", "rank=1", 0, 0), UsageError);
  // Without positions (deciding) the row/column features are absent.
  EXPECT_EQ(home::card_features(context, offer).size() + 2, decided.size());
}

TEST(HomeImpressionLog, ExportJoinsOutcomesInBothLayouts) {
  Served s;
  TempDir dir;
  const std::string db = dir.file("events.sqlite");
  const home::HomeIndex index(*s.served);
  const auto uniform = home::make_policy("uniform");
  Rng rng(3);
  home::ShelfConfig config = home::default_shelf_config();
  config.max_shelves = 2;
  for (auto& shelf : config.shelves) shelf.cards = 2;
  const home::Page page = home::arrange_page(home::generate_shelves(config, *s.served, index, s.listener("u0")), config,
                                             {"u0", 10}, {uniform.get(), uniform.get()}, s.served->popularity(),
                                             s.served->model().item_ids(), rng);
  ASSERT_EQ(page.cards(), 4);
  {
    EventStore events(db, Durability::kNormal);  // the service opens the event store first
    home::ImpressionStore log(db);
    log.log({std::make_shared<const home::Page>(page), 1700000000, "exp", "b", "itemknn"});
    log.flush();
    EXPECT_EQ(log.stats().impressions_written, 4);
    // Card 0 played, card 1 played then skipped, card 3 liked; one event names no logged impression.
    std::vector<ReceivedEvent> received(4);
    const std::string ids[4] = {page.id + ":0", page.id + ":1", page.id + ":1", page.id + ":3"};
    const char* names[4] = {"play", "play", "skip", "like"};
    for (int k = 0; k < 4; ++k) {
      received[static_cast<std::size_t>(k)].user = "u0";
      received[static_cast<std::size_t>(k)].item = "t0";
      received[static_cast<std::size_t>(k)].event = names[k];
      received[static_cast<std::size_t>(k)].context_json = json{{"impression", ids[k]}}.dump();
    }
    ReceivedEvent orphan = received[0];
    orphan.context_json = R"({"impression": "ffff:9"})";
    received.push_back(orphan);
    events.append(received);
  }
  const home::ExportSummary summary =
      home::export_impressions(db, dir.file("log.csv"), home::ExportFormat::kSegue, home::RewardKind::kStream);
  EXPECT_EQ(summary.impressions, 4);
  EXPECT_EQ(summary.rewarded, 2);  // card 0 and card 3 (card 1 was skipped)
  EXPECT_EQ(summary.orphan_events, 1);
  const auto rows = lines_of(read_file(dir.file("log.csv")));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].rfind("impression_id,page_id,timestamp,user_id,experiment,arm,policy,shelf,", 0), 0u);
  EXPECT_EQ(rows[1].substr(rows[1].size() - 8), ",1,0,0,1");  // streamed, skipped, liked, reward
  EXPECT_EQ(rows[2].substr(rows[2].size() - 8), ",0,1,0,0");
  EXPECT_EQ(rows[4].substr(rows[4].size() - 8), ",1,0,1,1");
  EXPECT_NE(rows[1].find(",exp,b,uniform,"), std::string::npos);

  home::export_impressions(db, dir.file("obd.csv"), home::ExportFormat::kObd, home::RewardKind::kLike);
  const auto obd = lines_of(read_file(dir.file("obd.csv")));
  ASSERT_EQ(obd.size(), 5u);
  EXPECT_EQ(obd[0].rfind(",timestamp,item_id,position,click,propensity_score,", 0), 0u);
  EXPECT_EQ(obd[1].rfind("0,2023-11-14 22:13:20+00:00,", 0), 0u) << obd[1];
  // Positions are 1-based as in the Open Bandit Dataset; only card 3 was liked.
  EXPECT_NE(obd[4].find(",4,1,"), std::string::npos) << obd[4];
  EXPECT_NE(obd[1].find(",1,0,"), std::string::npos) << obd[1];
  EXPECT_TRUE(std::filesystem::exists(dir.file("obd.csv.items.csv")));

  EXPECT_THROW(home::export_impressions(dir.file("missing.sqlite"), dir.file("x.csv"), home::ExportFormat::kSegue,
                                        home::RewardKind::kStream),
               InputError);
  EXPECT_THROW(home::parse_reward_kind("clicks"), UsageError);
}

TEST(HomeService, PagesLearnFromTheOutcomesOfThePreviousPage) {
  TempDir dir;
  const Dataset world = testing::served_world();
  save_dataset(world, dir.file("store"));
  ServiceOptions options;
  options.model_path = testing::fit_and_save(world, "itemknn", dir.file("itemknn.model"));
  options.data_dir = dir.file("store");
  options.events_path = dir.file("events.sqlite");
  options.durability = Durability::kNormal;
  options.home.card_policy = "egreedy:epsilon=0.1";
  options.home.seed = 11;
  Service service(options);
  const json page = service.home_page("u0", {{"hour", "20"}});
  ASSERT_GE(page["shelves"].size(), 4u) << page.dump();
  EXPECT_EQ(page["hour"], 20);
  std::set<std::string> items;
  std::string first_impression, first_item;
  for (const auto& shelf : page["shelves"])
    for (const auto& card : shelf["cards"]) {
      EXPECT_TRUE(items.insert(card["item"].get<std::string>()).second) << "twice: " << card["item"];
      EXPECT_FALSE(card["reason"].get<std::string>().empty());
      if (first_impression.empty()) first_impression = card["impression"], first_item = card["item"];
    }
  EXPECT_EQ(first_impression, page["page"].get<std::string>() + ":0");
  // A play of the first card, carrying its impression id.
  const json stored = service.post_events(
      {{"events", {{{"user", "u0"}, {"item", first_item}, {"event", "play"}, {"impression", first_impression}}}}});
  EXPECT_EQ(stored["stored"], 1);
  EXPECT_EQ(service.home().stats().outcomes, 1);
  EXPECT_EQ(service.home().stats().updates, 0);
  // The next page finishes the first: every card and shelf updates the policies.
  const json next = service.home_page("u0", {});
  std::int64_t cards = 0;
  for (const auto& shelf : page["shelves"]) cards += static_cast<std::int64_t>(shelf["cards"].size());
  EXPECT_EQ(service.home().stats().updates, cards + static_cast<std::int64_t>(page["shelves"].size()));
  // The played track is not offered again.
  for (const auto& shelf : next["shelves"])
    for (const auto& card : shelf["cards"]) EXPECT_NE(card["item"], first_item);
  // A malformed impression id refuses the batch, naming the field.
  try {
    service.post_events({{"events", {{{"user", "u0"}, {"item", first_item}, {"impression", 5}}}}});
    FAIL() << "accepted a numeric impression";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.field(), "events[0].impression");
  }
  service.home().flush_log();
  EXPECT_EQ(service.home().stats().log.pages_written, 2);
  const home::ExportSummary summary = home::export_impressions(options.events_path, dir.file("log.csv"),
                                                               home::ExportFormat::kSegue, home::RewardKind::kStream);
  EXPECT_EQ(summary.rewarded, 1);
  EXPECT_EQ(summary.outcome_events, 1);
  // A restart re-fits the policies from the logged pages and their outcomes.
  std::int64_t logged = 0;
  for (const json* p : {&page, &next})
    for (const auto& shelf : (*p)["shelves"]) logged += static_cast<std::int64_t>(shelf["cards"].size());
  const auto logged_cards = home::read_logged_cards(options.events_path, home::RewardKind::kStream);
  ASSERT_EQ(static_cast<std::int64_t>(logged_cards.size()), logged);
  EXPECT_EQ(std::count_if(logged_cards.begin(), logged_cards.end(), [](const home::LoggedCard& c) { return c.rewarded; }), 1);
  for (const home::LoggedCard& card : logged_cards) {
    EXPECT_GT(card.shelf_propensity, 0.0);
    EXPECT_LE(card.propensity, card.shelf_propensity + 1e-15);
  }
  Service restarted(options);
  EXPECT_EQ(restarted.home().stats().refit_cards, logged);
}

}  // namespace
}  // namespace segue

namespace segue {
namespace {

TEST(HomeService, AnExperimentServesEachListenerTheirArmsPolicyAndLogsIt) {
  TempDir dir;
  const Dataset world = testing::served_world();
  save_dataset(world, dir.file("store"));
  const std::string experiment = dir.write(
      "experiment.json",
      R"({"name": "cards-v2", "salt": "s1", "arms": [{"name": "control", "share": 0.5, "spec": "uniform"},
                                                    {"name": "greedy", "share": 0.5, "spec": "greedy"}]})");
  ServiceOptions options;
  options.model_path = testing::fit_and_save(world, "itemknn", dir.file("itemknn.model"));
  options.data_dir = dir.file("store");
  options.events_path = dir.file("events.sqlite");
  options.durability = Durability::kNormal;
  options.home.experiment_path = experiment;
  Service service(options);
  const ab::Experiment parsed = ab::load_experiment(experiment);
  std::set<std::string> arms;
  for (int u = 0; u < 12; ++u) {
    const std::string user = "u" + std::to_string(u);
    const json page = service.home_page(user, {{"hour", "8"}});
    const std::string arm = ab::assign(parsed, user).name;
    EXPECT_EQ(page["experiment"]["name"], "cards-v2");
    EXPECT_EQ(page["experiment"]["arm"], arm) << user;
    EXPECT_EQ(page["policy"]["cards"].get<std::string>().rfind(arm == "control" ? "uniform" : "greedy", 0), 0u)
        << page["policy"];
    arms.insert(arm);
  }
  EXPECT_EQ(arms.size(), 2u);  // 12 listeners at 50/50: both arms seen (fails with probability 2^-11)
  service.home().flush_log();
  home::export_impressions(options.events_path, dir.file("log.csv"), home::ExportFormat::kSegue,
                           home::RewardKind::kStream);
  const auto rows = lines_of(read_file(dir.file("log.csv")));
  ASSERT_GT(rows.size(), 1u);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const std::string user = rows[r].substr(rows[r].find(',', rows[r].find(',', rows[r].find(',') + 1) + 1) + 1);
    const std::string id = user.substr(0, user.find(','));
    EXPECT_NE(rows[r].find(",cards-v2," + ab::assign(parsed, id).name + ","), std::string::npos) << rows[r];
  }
  // A bad experiment file is refused at start-up, naming the field.
  options.home.experiment_path = dir.write("bad.json", R"({"name": "x", "salt": "s", "arms": [{"name": "a", "share": 0.7}]})");
  EXPECT_THROW({ Service bad(options); }, InputError);
}

}  // namespace
}  // namespace segue

namespace segue {
namespace {

// At the cap of pending pages the oldest listener's page leaves, never the
// newer page of a listener who came back.
TEST(HomeService, TheCapEvictsTheOldestListenersPage) {
  Served s;
  HomeOptions options;
  options.max_pending_listeners = 2;
  options.seed = 5;
  HomeService home(options);
  const auto page_of = [&](const char* user) { return home.page(s.served, s.listener(user), "v"); };
  page_of("u0");
  page_of("u1");
  const json again = page_of("u0");  // u0 returns: their first page is finished, the new one pending
  page_of("u2");                     // at the cap: u1's page (the oldest still pending) leaves
  const auto first_impression = [](const json& page) {
    return page["shelves"][0]["cards"][0]["impression"].get<std::string>();
  };
  home.outcome("u0", first_impression(again), "play");
  EXPECT_EQ(home.stats().outcomes, 1);
  home.outcome("u1", "0000000000000000:0", "play");
  EXPECT_EQ(home.stats().outcomes, 1);
  EXPECT_EQ(home.stats().unknown_impressions, 1);
}

}  // namespace
}  // namespace segue
