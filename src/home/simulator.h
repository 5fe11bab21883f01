// A listener simulator for comparing home-page policies where no live traffic
// exists (docs/HOME.md, "Simulator"): listeners from a real split see pages
// built by generate_shelves + arrange_page, stream a card with
//   P = examination(row, card) × relevance(listener, item) × satiation(listener, item)
// and their streams become received plays, so the next page reflects them.
// Everything is a function of the seed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "home/bandit.h"
#include "home/page.h"
#include "home/shelf_config.h"
#include "home/shelves.h"
#include "serve/serving_model.h"

namespace segue::home {

// Position bias (a cascade read row by row, left to right): a listener reads
// row r with probability row_decay^r and, on a row they read, looks at card c
// with probability card_decay^c. Row 0, card 0 is always examined.
struct ExaminationModel {
  double row_decay = 0.8;
  double card_decay = 0.85;
  double operator()(std::int32_t row, std::int32_t card) const;
};

struct SimulatorOptions {
  ExaminationModel examination;
  // P(stream | examined): a held-out item of the listener, any other item.
  double relevant = 0.6;
  double base_rate = 0.02;
  // Taste beyond the held-out items (they run out once streamed): another
  // item's P adds taste × the share of the listener's held-out items that are
  // in its group (genre affinity from real data; 0 = the base rate alone).
  double taste = 0.2;
  // Per (listener, item) taste noise: relevance × exp(noise × z), z ~ N(0, 1)
  // fixed by the seed, capped at 1 (the same listener is consistent).
  double noise = 0.3;
  // Satiation per group (a track's artist; for an artist catalogue such as
  // Last.fm, the artist's most used tag): wear s grows by 1 per stream and by
  // shown_wear per card shown, decays by satiation_decay per round, and
  // multiplies the stream probability by exp(-satiation × s).
  double satiation = 0.3;
  double satiation_decay = 0.7;
  double shown_wear = 0.02;
  // false: every page is shown to the listener as they started (no history,
  // no satiation): the i.i.d. contexts off-policy evaluation assumes.
  bool stateful = true;
  std::uint64_t seed = 1;
};

// A test listener: the model's user id and their held-out items (model ids).
struct HeldOut {
  std::int32_t user = -1;
  std::vector<std::int32_t> items;
};

// Test listeners from a split's test.csv (user_id,item_id,...) mapped into
// the model's ids; listeners or items the model does not know are left out.
// At most `limit` listeners (the first by id order of the model), each with
// at least one held-out item.
std::vector<HeldOut> read_held_out(const Recommender& model, const std::string& test_csv, std::size_t limit);

class ListenerSimulator {
 public:
  ListenerSimulator(const ServingModel& served, const ShelfConfig& config, std::vector<HeldOut> listeners,
                    const SimulatorOptions& options);
  ~ListenerSimulator();

  std::size_t size() const;  // listeners
  const ServingModel& served() const { return served_; }
  const ShelfConfig& config() const { return config_; }
  const HomeIndex& index() const { return *index_; }
  const SimulatorOptions& options() const { return options_; }

  // Back to the start: no received plays, no wear, the taste noise of `seed`.
  void reset(std::uint64_t seed);

  const Listener& listener(std::size_t l) const;
  // What the shelves offer the listener now (cached until they stream).
  const std::vector<ShelfCandidates>& offered(std::size_t l);

  // The group satiation counts in (see SimulatorOptions).
  std::int32_t group(std::int32_t item) const { return group_[static_cast<std::size_t>(item)]; }
  bool held_out(std::size_t l, std::int32_t item) const;
  // P(stream | examined) now: relevance with noise × satiation.
  double appeal(std::size_t l, std::int32_t item) const;
  double stream_probability(std::size_t l, std::int32_t item, std::int32_t row, std::int32_t card) const;

  // The listener's response to `page`: one 0/1 per card in reading order
  // (card.position). Stateful: streams join their history, wear grows.
  std::vector<char> respond(std::size_t l, const Page& page, Rng& rng);
  // The end of a round: wear decays.
  void end_round();

 private:
  struct State;
  const ServingModel& served_;
  ShelfConfig config_;
  std::unique_ptr<HomeIndex> index_;
  SimulatorOptions options_;
  std::vector<HeldOut> held_out_;
  std::vector<std::int32_t> group_;  // per model item
  std::vector<std::unordered_map<std::int32_t, double>> affinity_;  // per listener: group -> share of held-out items
  std::vector<State> states_;
};

// The oracle: knows every listener's appeal (held-out data, noise, wear) and
// shows the best it can, ranked by examination: shelves by the appeal of
// their best `cards` candidates, cards by appeal. Deterministic (propensity 1).
class OraclePolicy final : public Policy {
 public:
  std::string spec() const override { return "oracle"; }
  // The appeal of every arm of the coming page, by arm key (shelf_key / card_key).
  void set_scores(std::unordered_map<std::uint64_t, double> scores) { scores_ = std::move(scores); }
  void decide(const Decision& decision, Rng& rng, std::vector<Pick>& out) const override;
  std::vector<double> action_distribution(const Decision& decision, Rng& rng, std::int32_t draws) const override;
  void update(const Outcome&) override {}
  void refit(std::span<const Outcome>, double) override {}

 private:
  std::unordered_map<std::uint64_t, double> scores_;
};

// What one round (a page for every listener) showed and earned.
struct RoundStats {
  double streams = 0;            // realised
  double expected_streams = 0;   // Σ P(stream) over the cards shown
  std::int64_t cards = 0;
  std::int64_t distinct_items = 0;       // shown this round, over all listeners
  std::int64_t cumulative_items = 0;     // shown so far
  double groups_per_page = 0;            // distinct groups on a page, mean over listeners
  double repeat_share = 0;               // cards that were on the listener's previous page
  double gini = 0;                       // of the exposure of the items shown this round (1 card each = 0)
};

// One logged card (the impression log's columns the simulator needs).
struct SimImpression {
  std::size_t listener = 0;
  std::int32_t row = 0, card = 0, item = 0;
  std::string shelf;
  double propensity = 1.0;   // shelf × card, as page.h logs it
  double probability = 0.0;  // the simulator's P(stream) for it (the truth behind `streamed`)
  bool streamed = false;
};

struct RunOptions {
  std::int32_t rounds = 20;
  std::uint64_t seed = 1;
  bool learn = true;                        // update the policies from outcomes (as HomeService::finish)
  std::vector<SimImpression>* log = nullptr;  // when set, every card shown is appended
};

// Runs `shelf_policy` and `card_policy` (or the oracle for both, when they are
// the same OraclePolicy) over every listener for options.rounds rounds,
// starting from reset(options.seed).
std::vector<RoundStats> simulate(ListenerSimulator& sim, Policy& shelf_policy, Policy& card_policy,
                                 const RunOptions& options);

// The arms arrange_page decides over for the shelves of `offered`, and for the
// cards of one shelf on an empty page (the top row).
std::vector<Arm> shelf_arms(const std::vector<ShelfCandidates>& offered, const PageContext& context);
std::vector<Arm> top_row_card_arms(const ShelfCandidates& shelf, const PageContext& context,
                                   std::span<const float> popularity, const IdMap& item_ids);

// Gini coefficient of non-negative counts (0 = equal, → 1 = all on one).
double gini(std::vector<double> counts);

}  // namespace segue::home
