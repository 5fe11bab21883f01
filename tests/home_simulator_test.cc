// The listener simulator (src/home/simulator.h): the examination model by
// hand, held-out items streamed more than others, satiation, determinism by
// seed, the oracle beating uniform, and the off-policy loop's arithmetic.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "data/id_map.h"
#include "home/simulator.h"
#include "home/simulator_ope.h"
#include "serve_fixture.h"
#include "test_util.h"

namespace segue {
namespace {

using namespace home;

// The served fixture (3 taste clusters, 9 artists of 4 tracks), itemknn.
struct World {
  testing::TempDir dir;
  std::shared_ptr<const ServingModel> served;
  World() {
    const Dataset world = testing::served_world();
    const std::string model = testing::fit_and_save(world, "itemknn", dir.file("model"));
    served = std::make_shared<const ServingModel>(Recommender::load(model), std::make_shared<const Dataset>(world));
  }
  std::int32_t item(int track) const { return served->model().item_ids().find("t" + std::to_string(track)); }
  // Every listener's held-out items: the tracks of their cluster they did not play.
  std::vector<HeldOut> listeners() const {
    const Recommender& model = served->model();
    std::vector<HeldOut> out;
    for (std::int32_t u = 0; u < model.user_ids().size(); ++u) {
      const int cluster = std::stoi(std::string(model.user_ids().name(u)).substr(1)) % 3;
      const auto played = model.history().row_indices(u);
      HeldOut h{u, {}};
      for (int track = 0; track < 36; ++track)
        if ((track / 4) % 3 == cluster && std::find(played.begin(), played.end(), item(track)) == played.end())
          h.items.push_back(item(track));
      std::sort(h.items.begin(), h.items.end());
      if (!h.items.empty()) out.push_back(std::move(h));
    }
    return out;
  }
};

// A one-row page of the given items (card c at place c).
Page row_of(std::initializer_list<std::int32_t> items) {
  Page page;
  PageShelf shelf;
  for (const std::int32_t item : items) {
    Card card;
    card.item = item;
    card.card_position = card.position = static_cast<std::int32_t>(shelf.cards.size());
    shelf.cards.push_back(card);
  }
  page.shelves.push_back(shelf);
  return page;
}

SimulatorOptions quiet() {  // no taste noise, no wear: appeal is exactly relevant / base_rate
  SimulatorOptions o;
  o.noise = 0.0;
  o.satiation = 0.0;
  o.taste = 0.0;
  return o;
}

TEST(HomeSimulator, ExaminationDecaysByRowAndCard) {
  const ExaminationModel e;  // 0.8^row × 0.85^card
  EXPECT_DOUBLE_EQ(e(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(e(1, 0), 0.8);
  EXPECT_DOUBLE_EQ(e(0, 2), 0.85 * 0.85);
  EXPECT_NEAR(e(2, 3), 0.64 * 0.614125, 1e-12);
  const ExaminationModel flat{1.0, 0.5};
  EXPECT_DOUBLE_EQ(flat(7, 1), 0.5);
}

TEST(HomeSimulator, GiniByHand) {
  EXPECT_DOUBLE_EQ(gini({1, 1, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(gini({0, 0, 0, 4}), 0.75);
  EXPECT_NEAR(gini({1, 2, 3}), (-2 * 1 + 0 * 2 + 2 * 3) / (3.0 * 6.0), 1e-12);
}

TEST(HomeSimulator, StreamsHeldOutItemsMoreThanOthers) {
  const World w;
  SimulatorOptions options = quiet();
  options.stateful = false;
  ListenerSimulator sim(*w.served, default_shelf_config(), w.listeners(), options);
  const std::int32_t held = w.listeners()[0].items[0];
  std::int32_t other = -1;
  for (int track = 0; track < 36 && other < 0; ++track)
    if (!sim.held_out(0, w.item(track))) other = w.item(track);
  ASSERT_TRUE(sim.held_out(0, held));
  EXPECT_DOUBLE_EQ(sim.stream_probability(0, held, 0, 0), 0.6);
  EXPECT_DOUBLE_EQ(sim.stream_probability(0, other, 0, 1), 0.02 * 0.85);
  const Page page = row_of({held, other});
  Rng rng(3);
  constexpr int kDraws = 4000;
  int held_streams = 0, other_streams = 0;
  for (int i = 0; i < kDraws; ++i) {
    const std::vector<char> streamed = sim.respond(0, page, rng);
    held_streams += streamed[0];
    other_streams += streamed[1];
  }
  // Within 5 binomial standard deviations of 0.6 and 0.017.
  EXPECT_NEAR(held_streams / double(kDraws), 0.6, 5 * std::sqrt(0.6 * 0.4 / kDraws));
  EXPECT_NEAR(other_streams / double(kDraws), 0.017, 5 * std::sqrt(0.017 * 0.983 / kDraws));
  EXPECT_GT(held_streams, 10 * other_streams);
}

TEST(HomeSimulator, TasteFollowsTheGroupsOfHeldOutItems) {
  const World w;
  SimulatorOptions options = quiet();
  options.taste = 0.2;
  const std::vector<HeldOut> listeners = w.listeners();
  ListenerSimulator sim(*w.served, default_shelf_config(), listeners, options);
  // Another item's P: 0.02 + 0.2 × (share of listener 0's held-out items in its group).
  for (int track = 0; track < 36; ++track) {
    const std::int32_t item = w.item(track);
    if (sim.held_out(0, item)) continue;
    double share = 0;
    for (const std::int32_t h : listeners[0].items) share += sim.group(h) == sim.group(item) ? 1.0 : 0.0;
    share /= static_cast<double>(listeners[0].items.size());
    EXPECT_NEAR(sim.appeal(0, item), 0.02 + 0.2 * share, 1e-12) << "track " << track;
  }
}

TEST(HomeSimulator, SatiationLowersTheRateAndWearsOff) {
  const World w;
  SimulatorOptions options = quiet();
  options.satiation = 0.3;
  options.shown_wear = 0.1;
  options.satiation_decay = 0.5;
  options.relevant = 1.0;  // a held-out item on card 0 is always streamed
  const std::vector<HeldOut> listeners = w.listeners();
  ListenerSimulator sim(*w.served, default_shelf_config(), listeners, options);
  // A held-out track and another track of the same artist (4 tracks an artist).
  const std::int32_t held = listeners[0].items[0];
  std::int32_t sibling = -1;
  for (int track = 0; track < 36; ++track)
    if (w.item(track) != held && sim.group(w.item(track)) == sim.group(held)) sibling = w.item(track);
  ASSERT_GE(sibling, 0);
  const double before = sim.appeal(0, sibling);
  Rng rng(5);
  ASSERT_EQ(sim.respond(0, row_of({held}), rng)[0], 1);
  // Wear 1 (the stream) + 0.1 (shown): exp(-0.3 × 1.1).
  EXPECT_NEAR(sim.appeal(0, sibling), before * std::exp(-0.3 * 1.1), 1e-12);
  EXPECT_LT(sim.appeal(0, sibling), before);
  sim.end_round();
  EXPECT_NEAR(sim.appeal(0, sibling), before * std::exp(-0.3 * 1.1 * 0.5), 1e-12);
  // The stream is a received play: in the history, never offered again.
  const Listener& who = sim.listener(0);
  EXPECT_NE(std::find(who.history.begin(), who.history.end(), held), who.history.end());
  EXPECT_EQ(who.recent.front(), held);
  for (const ShelfCandidates& shelf : sim.offered(0))
    for (const ScoredItem& candidate : shelf.items) EXPECT_NE(candidate.item, held);
  // Another artist is untouched.
  std::int32_t stranger = -1;
  for (int track = 0; track < 36 && stranger < 0; ++track)
    if (sim.group(w.item(track)) != sim.group(held)) stranger = w.item(track);
  EXPECT_DOUBLE_EQ(sim.appeal(0, stranger), sim.held_out(0, stranger) ? 1.0 : 0.02);
}

TEST(HomeSimulator, DeterministicBySeed) {
  const World w;
  ListenerSimulator sim(*w.served, default_shelf_config(), w.listeners(), SimulatorOptions{});
  const auto run = [&](std::uint64_t seed) {
    const auto shelves = make_policy("egreedy:epsilon=0.1"), cards = make_policy("egreedy:epsilon=0.1");
    std::vector<SimImpression> log;
    const std::vector<RoundStats> rounds = simulate(sim, *shelves, *cards, RunOptions{4, seed, true, &log});
    std::vector<double> out;
    for (const RoundStats& r : rounds) out.insert(out.end(), {r.streams, r.expected_streams, double(r.distinct_items)});
    for (const SimImpression& i : log) out.insert(out.end(), {double(i.item), i.propensity, double(i.streamed)});
    return out;
  };
  const std::vector<double> first = run(42);
  EXPECT_EQ(first, run(42));
  bool any_differs = false;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) any_differs = any_differs || run(seed) != first;
  EXPECT_TRUE(any_differs);
}

TEST(HomeSimulator, OracleBeatsUniform) {
  const World w;
  ListenerSimulator sim(*w.served, default_shelf_config(), w.listeners(), SimulatorOptions{});
  OraclePolicy oracle;
  const auto uniform_shelves = make_policy("uniform"), uniform_cards = make_policy("uniform");
  const std::vector<RoundStats> best = simulate(sim, oracle, oracle, RunOptions{5, 9, true, nullptr});
  const std::vector<RoundStats> blind = simulate(sim, *uniform_shelves, *uniform_cards, RunOptions{5, 9, true, nullptr});
  double oracle_expected = 0, uniform_expected = 0, oracle_streams = 0, uniform_streams = 0;
  for (std::size_t r = 0; r < best.size(); ++r) {
    oracle_expected += best[r].expected_streams, oracle_streams += best[r].streams;
    uniform_expected += blind[r].expected_streams, uniform_streams += blind[r].streams;
  }
  // On the first page, from the same state, by a clear margin; over the run as well.
  EXPECT_GT(best[0].expected_streams, 1.3 * blind[0].expected_streams);
  EXPECT_GT(oracle_expected, uniform_expected);
  EXPECT_GT(oracle_streams, uniform_streams);
}

TEST(HomeSimulator, OffPolicyOfTheLoggerIsItsOwnMean) {
  // Target = logger: every weight is 1, so IPW and SNIPW are the logged mean
  // of the top row, and the logged propensity of a top-row card is the shelf's
  // 1/shelves times the card's 1/(candidates - place).
  const World w;
  SimulatorOptions options;
  options.stateful = false;
  ListenerSimulator sim(*w.served, default_shelf_config(), w.listeners(), options);
  const auto shelves = make_policy("uniform"), cards = make_policy("uniform");
  OffPolicyOptions ope;
  ope.log_rounds = 3;
  ope.truth_rounds = 3;
  ope.bootstrap = 20;
  const OffPolicyComparison result = compare_off_policy(sim, *shelves, *cards, *shelves, *cards, ope);
  std::vector<SimImpression> log;
  simulate(sim, *shelves, *cards, RunOptions{3, ope.seed, false, &log});
  double streams = 0, cards_on_top = 0;
  for (const SimImpression& i : log) {
    if (i.row != 0) continue;
    streams += i.streamed, cards_on_top += 1;
    const auto& offered = sim.offered(i.listener);
    std::size_t candidates = 0;
    for (const ShelfCandidates& s : offered)
      if (s.name == i.shelf) candidates = s.items.size();
    EXPECT_NEAR(i.propensity, 1.0 / offered.size() / double(candidates - i.card), 1e-12);
  }
  ASSERT_EQ(result.logged_cards, static_cast<std::int64_t>(cards_on_top));
  ASSERT_EQ(result.estimates.size(), 4u);
  EXPECT_EQ(result.estimates[0].estimator, "ipw");
  EXPECT_NEAR(result.estimates[0].value, streams / cards_on_top, 1e-12);
  EXPECT_NEAR(result.estimates[1].value, streams / cards_on_top, 1e-12);
  EXPECT_NEAR(result.effective_sample_size, cards_on_top, 1e-6);
  EXPECT_LE(result.estimates[0].lo, result.estimates[0].value);
  EXPECT_GE(result.estimates[0].hi, result.estimates[0].value);
}

TEST(HomeSimulator, ReadsHeldOutItemsOfKnownListeners) {
  const World w;
  testing::TempDir dir;
  std::ofstream(dir.file("test.csv")) << "user_id,item_id,weight,timestamp\nu1,t5,1,\nu1,t0,1,\nghost,t1,1,\nu1,nope,1,\nu2,t3,1,\n";
  const std::vector<HeldOut> held = read_held_out(w.served->model(), dir.file("test.csv"), 10);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].user, w.served->model().user_ids().find("u1"));
  EXPECT_EQ(held[0].items, sorted_unique({w.item(0), w.item(5)}));
  EXPECT_EQ(read_held_out(w.served->model(), dir.file("test.csv"), 1).size(), 1u);
}

}  // namespace
}  // namespace segue
