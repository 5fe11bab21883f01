#include "home/simulator.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "data/csv_reader.h"
#include "data/error.h"
#include "data/id_map.h"

namespace segue::home {
namespace {

std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0, std::uint64_t d = 0) {
  std::uint64_t h = splitmix64_mix(a + 0x9E3779B97F4A7C15ull);
  h = splitmix64_mix(h ^ (b + 0x632BE59BD9B4E019ull));
  h = splitmix64_mix(h ^ (c + 0x85EBCA77C2B2AE63ull));
  return splitmix64_mix(h ^ d);
}

// N(0, 1) fixed by a key (Box-Muller from two hashed uniforms): the taste
// noise must be the same every time a listener meets an item.
double hashed_normal(std::uint64_t key) {
  const double u1 = (static_cast<double>(splitmix64_mix(key) >> 11) + 0.5) * 0x1.0p-53;
  const double u2 = static_cast<double>(splitmix64_mix(key ^ 0xD1B54A32D192ED03ull) >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

// The satiation group of every model item: the artist when it differs from the
// item's name (a track catalogue); else the artist's most used tag (Last.fm's
// items are artists); else the item alone.
std::vector<std::int32_t> item_groups(const ServingModel& served) {
  const IdMap& items = served.model().item_ids();
  const Dataset* store = served.store();
  std::vector<std::int32_t> groups(static_cast<std::size_t>(items.size()));
  IdMap names;
  for (std::int32_t item = 0; item < items.size(); ++item) {
    std::string key = "item:" + std::string(items.name(item));
    const std::int32_t row = store == nullptr ? IdMap::kMissing : store->items.find(items.name(item));
    if (row != IdMap::kMissing) {
      const Attributes& a = store->item_attributes;
      const std::string_view artist = a.string_value("artist", row);
      const TokenLists& tags = a.tags;
      if (!artist.empty() && artist != a.string_value("name", row)) {
        key = "artist:" + std::string(artist);
      } else if (row < tags.rows() && tags.indptr[row] < tags.indptr[row + 1]) {
        std::int64_t best = tags.indptr[row];
        for (std::int64_t t = best + 1; t < tags.indptr[row + 1]; ++t)
          if (tags.counts[t] > tags.counts[best]) best = t;
        key = "tag:" + std::string(tags.vocab.name(tags.tokens[best]));
      }
    }
    groups[static_cast<std::size_t>(item)] = names.intern(key);
  }
  return groups;
}

}  // namespace

double ExaminationModel::operator()(std::int32_t row, std::int32_t card) const {
  return std::pow(row_decay, row) * std::pow(card_decay, card);
}

std::vector<HeldOut> read_held_out(const Recommender& model, const std::string& test_csv, std::size_t limit) {
  CsvReader reader(test_csv);
  const int user_column = reader.require_column("user_id", "--test");
  const int item_column = reader.require_column("item_id", "--test");
  std::vector<std::vector<std::int32_t>> by_user(static_cast<std::size_t>(model.user_ids().size()));
  while (reader.next()) {
    const std::int32_t user = model.user_ids().find(reader.id(user_column));
    const std::int32_t item = model.item_ids().find(reader.id(item_column));
    if (user != IdMap::kMissing && item != IdMap::kMissing) by_user[static_cast<std::size_t>(user)].push_back(item);
  }
  std::vector<HeldOut> out;
  for (std::size_t user = 0; user < by_user.size() && out.size() < limit; ++user)
    if (!by_user[user].empty())
      out.push_back(HeldOut{static_cast<std::int32_t>(user), sorted_unique(std::move(by_user[user]))});
  return out;
}

struct ListenerSimulator::State {
  Listener listener;
  std::vector<std::int32_t> received;           // newest first
  std::unordered_map<std::int32_t, double> wear;  // group -> wear
  std::vector<ShelfCandidates> offered;
  bool offered_fresh = false;
};

ListenerSimulator::ListenerSimulator(const ServingModel& served, const ShelfConfig& config, std::vector<HeldOut> listeners,
                                     const SimulatorOptions& options)
    : served_(served),
      config_(config),
      index_(std::make_unique<HomeIndex>(served)),
      options_(options),
      held_out_(std::move(listeners)),
      group_(item_groups(served)),
      affinity_(held_out_.size()),
      states_(held_out_.size()) {
  for (std::size_t l = 0; l < held_out_.size(); ++l)
    for (const std::int32_t item : held_out_[l].items)
      affinity_[l][group(item)] += 1.0 / static_cast<double>(held_out_[l].items.size());
  for (const HeldOut& h : held_out_)
    if (h.user < 0 || h.user >= served.model().user_ids().size())
      throw UsageError("simulator: listener " + std::to_string(h.user) + " is not a user of the model");
  reset(options.seed);
}

ListenerSimulator::~ListenerSimulator() = default;

std::size_t ListenerSimulator::size() const { return states_.size(); }

void ListenerSimulator::reset(std::uint64_t seed) {
  options_.seed = seed;
  for (std::size_t l = 0; l < states_.size(); ++l) {
    State& s = states_[l];
    const bool had_history = !s.received.empty();
    s.received.clear();
    s.wear.clear();
    Listener& who = s.listener;
    who = Listener{};
    who.user = held_out_[l].user;
    who.id = std::string(served_.model().user_ids().name(who.user));
    who.recent = recent_items(served_, who.user, {}, 20);
    if (had_history) s.offered_fresh = false;  // else the cached shelves still hold
  }
}

const Listener& ListenerSimulator::listener(std::size_t l) const { return states_[l].listener; }

const std::vector<ShelfCandidates>& ListenerSimulator::offered(std::size_t l) {
  State& s = states_[l];
  if (!s.offered_fresh) {
    s.offered = generate_shelves(config_, served_, *index_, s.listener);
    s.offered_fresh = true;
  }
  return s.offered;
}

bool ListenerSimulator::held_out(std::size_t l, std::int32_t item) const {
  const std::vector<std::int32_t>& items = held_out_[l].items;
  return std::binary_search(items.begin(), items.end(), item);
}

double ListenerSimulator::appeal(std::size_t l, std::int32_t item) const {
  double base = options_.relevant;
  if (!held_out(l, item)) {
    const auto it = affinity_[l].find(group(item));
    base = options_.base_rate + (it == affinity_[l].end() ? 0.0 : options_.taste * it->second);
  }
  const double z = hashed_normal(mix(options_.seed, static_cast<std::uint64_t>(held_out_[l].user),
                                     static_cast<std::uint64_t>(item), 0x7A57E));
  double p = std::min(1.0, base * std::exp(options_.noise * z));
  const auto& wear = states_[l].wear;
  if (const auto it = wear.find(group(item)); it != wear.end()) p *= std::exp(-options_.satiation * it->second);
  return p;
}

double ListenerSimulator::stream_probability(std::size_t l, std::int32_t item, std::int32_t row, std::int32_t card) const {
  return options_.examination(row, card) * appeal(l, item);
}

std::vector<char> ListenerSimulator::respond(std::size_t l, const Page& page, Rng& rng) {
  std::vector<char> streamed(static_cast<std::size_t>(page.cards()), 0);
  // Draw every card first: the page is seen as it was, wear counts from the next page on.
  for (std::size_t row = 0; row < page.shelves.size(); ++row)
    for (const Card& card : page.shelves[row].cards) {
      const double p = stream_probability(l, card.item, static_cast<std::int32_t>(row), card.card_position);
      streamed[static_cast<std::size_t>(card.position)] = static_cast<double>(rng.unit()) < p ? 1 : 0;
    }
  if (!options_.stateful) return streamed;
  State& s = states_[l];
  for (const PageShelf& shelf : page.shelves)
    for (const Card& card : shelf.cards) {
      double& wear = s.wear[group(card.item)];
      wear += options_.shown_wear;
      if (!streamed[static_cast<std::size_t>(card.position)]) continue;
      wear += 1.0;
      // As the server feeds received plays: history to fold in, touched (never shown again), recent first.
      s.listener.history.push_back(card.item);
      s.listener.history_weights.push_back(1.0f);
      s.listener.touched.push_back(card.item);
      s.received.insert(s.received.begin(), card.item);
      s.offered_fresh = false;
    }
  if (!s.offered_fresh) s.listener.recent = recent_items(served_, s.listener.user, s.received, 20);
  return streamed;
}

void ListenerSimulator::end_round() {
  if (!options_.stateful) return;
  for (State& s : states_)
    for (auto& [group, wear] : s.wear) wear *= options_.satiation_decay;
}

void OraclePolicy::decide(const Decision& decision, Rng&, std::vector<Pick>& out) const {
  std::vector<std::pair<double, std::int32_t>> ranked;
  for (std::size_t a = 0; a < decision.arms.size(); ++a) {
    const auto it = scores_.find(decision.arms[a].key);
    ranked.emplace_back(it == scores_.end() ? 0.0 : it->second, static_cast<std::int32_t>(a));
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  out.clear();
  const auto slots = std::min<std::size_t>(static_cast<std::size_t>(std::max(decision.slots, 0)), ranked.size());
  for (std::size_t slot = 0; slot < slots; ++slot)
    out.push_back(Pick{ranked[slot].second, static_cast<std::int32_t>(slot), 1.0, 0, ranked[slot].first});
}

std::vector<double> OraclePolicy::action_distribution(const Decision& decision, Rng& rng, std::int32_t) const {
  std::vector<Pick> picks;
  decide(decision, rng, picks);
  const std::int32_t columns = std::max(decision.slots, 0);
  std::vector<double> distribution(decision.arms.size() * static_cast<std::size_t>(columns), 0.0);
  for (const Pick& pick : picks) distribution[static_cast<std::size_t>(pick.arm) * columns + pick.slot] = 1.0;
  return distribution;
}

std::vector<Arm> shelf_arms(const std::vector<ShelfCandidates>& offered, const PageContext& context) {
  std::vector<Arm> arms(offered.size());
  for (std::size_t s = 0; s < offered.size(); ++s) {
    arms[s].features = shelf_features(context, offered[s].name, offered[s].explanation);
    arms[s].key = shelf_key(offered[s].name);
  }
  return arms;
}

std::vector<Arm> top_row_card_arms(const ShelfCandidates& shelf, const PageContext& context,
                                   std::span<const float> popularity, const IdMap& item_ids) {
  std::vector<Arm> arms(shelf.items.size());
  for (std::size_t c = 0; c < shelf.items.size(); ++c) {
    const std::int32_t item = shelf.items[c].item;
    const CardOffer offer{item_ids.name(item), shelf.name, shelf.explanation, static_cast<std::int32_t>(c),
                          popularity[static_cast<std::size_t>(item)]};
    arms[c].features = card_features(context, offer);
    arms[c].key = card_key(offer.item_id, shelf.explanation);
  }
  return arms;
}

double gini(std::vector<double> counts) {
  if (counts.empty()) return 0.0;
  std::sort(counts.begin(), counts.end());
  double weighted = 0.0, total = 0.0;
  const double n = static_cast<double>(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    weighted += (2.0 * static_cast<double>(i + 1) - n - 1.0) * counts[i];
    total += counts[i];
  }
  return total > 0.0 ? weighted / (n * total) : 0.0;
}

namespace {

// The oracle's view of the coming page: every card's appeal, and every shelf's
// worth (the appeal of its best `cards` candidates).
std::unordered_map<std::uint64_t, double> oracle_scores(const ListenerSimulator& sim, std::size_t l,
                                                        const std::vector<ShelfCandidates>& offered) {
  std::unordered_map<std::uint64_t, double> scores;
  const IdMap& item_ids = sim.served().model().item_ids();
  std::vector<double> appeals;
  for (const ShelfCandidates& shelf : offered) {
    appeals.clear();
    for (const ScoredItem& candidate : shelf.items) {
      const double a = sim.appeal(l, candidate.item);
      scores[card_key(item_ids.name(candidate.item), shelf.explanation)] = a;
      appeals.push_back(a);
    }
    std::sort(appeals.begin(), appeals.end(), std::greater<>());
    const auto cards = static_cast<std::size_t>(sim.config().shelves[static_cast<std::size_t>(shelf.spec)].cards);
    scores[shelf_key(shelf.name)] = std::accumulate(appeals.begin(), appeals.begin() + std::min(cards, appeals.size()), 0.0);
  }
  return scores;
}

// The policies learn from a page's outcomes exactly as HomeService::finish does.
void learn(const Page& page, const std::vector<char>& streamed, Policy& shelf_policy, Policy& card_policy) {
  const std::uint32_t bucket = hour_band(page.context.hour);
  for (const PageShelf& shelf : page.shelves) {
    bool any = false;
    for (const Card& card : shelf.cards) {
      const bool reward = streamed[static_cast<std::size_t>(card.position)] != 0;
      any = any || reward;
      card_policy.update(Outcome{shown_card_features(page, shelf, card), card_key(card.item_id, shelf.explanation),
                                 bucket, reward ? 1.0 : 0.0, card.propensity / shelf.propensity});
    }
    shelf_policy.update(Outcome{shelf_features(page.context, shelf.name, shelf.explanation), shelf_key(shelf.name),
                                bucket, any ? 1.0 : 0.0, shelf.propensity});
  }
}

}  // namespace

std::vector<RoundStats> simulate(ListenerSimulator& sim, Policy& shelf_policy, Policy& card_policy,
                                 const RunOptions& options) {
  sim.reset(options.seed);
  auto* oracle = dynamic_cast<OraclePolicy*>(&card_policy);
  const ServingModel& served = sim.served();
  const std::size_t n_items = static_cast<std::size_t>(served.model().item_ids().size());
  std::vector<RoundStats> rounds;
  std::vector<std::vector<std::int32_t>> previous(sim.size());  // each listener's last page, sorted
  std::vector<char> ever(n_items, 0);
  std::int64_t ever_count = 0;
  for (std::int32_t round = 0; round < options.rounds; ++round) {
    RoundStats stats;
    std::vector<double> exposure(n_items, 0.0);
    double groups = 0.0, repeats = 0.0;
    for (std::size_t l = 0; l < sim.size(); ++l) {
      const std::vector<ShelfCandidates>& offered = sim.offered(l);
      const Listener& who = sim.listener(l);
      if (oracle != nullptr) oracle->set_scores(oracle_scores(sim, l, offered));
      // Decisions and responses draw from streams of their own, keyed by
      // (seed, round, listener): policies compared on one seed meet the same luck.
      Rng policy_rng(mix(options.seed, static_cast<std::uint64_t>(round), l, 1));
      Rng listener_rng(mix(options.seed, static_cast<std::uint64_t>(round), l, 2));
      const Page page = arrange_page(offered, sim.config(), PageContext{who.id, who.hour}, {&shelf_policy, &card_policy},
                                     served.popularity(), served.model().item_ids(), policy_rng);
      std::vector<std::int32_t> shown;
      std::vector<double> probabilities(static_cast<std::size_t>(page.cards()), 0.0);
      std::unordered_set<std::int32_t> page_groups;
      for (std::size_t row = 0; row < page.shelves.size(); ++row)
        for (const Card& card : page.shelves[row].cards) {
          const double p = sim.stream_probability(l, card.item, static_cast<std::int32_t>(row), card.card_position);
          probabilities[static_cast<std::size_t>(card.position)] = p;
          stats.expected_streams += p;
          shown.push_back(card.item);
          page_groups.insert(sim.group(card.item));
          exposure[static_cast<std::size_t>(card.item)] += 1.0;
          if (!ever[static_cast<std::size_t>(card.item)]) ever[static_cast<std::size_t>(card.item)] = 1, ++ever_count;
          if (std::binary_search(previous[l].begin(), previous[l].end(), card.item)) repeats += 1.0;
        }
      const std::vector<char> streamed = sim.respond(l, page, listener_rng);
      if (options.learn) learn(page, streamed, shelf_policy, card_policy);
      if (options.log != nullptr)
        for (std::size_t row = 0; row < page.shelves.size(); ++row)
          for (const Card& card : page.shelves[row].cards)
            options.log->push_back(SimImpression{l, static_cast<std::int32_t>(row), card.card_position, card.item,
                                                 page.shelves[row].name, card.propensity,
                                                 probabilities[static_cast<std::size_t>(card.position)],
                                                 streamed[static_cast<std::size_t>(card.position)] != 0});
      stats.streams += static_cast<double>(std::count(streamed.begin(), streamed.end(), 1));
      stats.cards += static_cast<std::int64_t>(shown.size());
      groups += static_cast<double>(page_groups.size());
      previous[l] = sorted_unique(std::move(shown));
    }
    sim.end_round();
    stats.distinct_items = std::count_if(exposure.begin(), exposure.end(), [](double x) { return x > 0.0; });
    stats.cumulative_items = ever_count;
    stats.groups_per_page = sim.size() > 0 ? groups / static_cast<double>(sim.size()) : 0.0;
    stats.repeat_share = stats.cards > 0 ? repeats / static_cast<double>(stats.cards) : 0.0;
    exposure.erase(std::remove(exposure.begin(), exposure.end(), 0.0), exposure.end());
    stats.gini = gini(std::move(exposure));
    rounds.push_back(stats);
  }
  return rounds;
}

}  // namespace segue::home
