#include "home/simulator_ope.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "data/id_map.h"
#include "ope/estimators.h"

namespace segue::home {
namespace {

// A listener's top-row distributions under the logger and the target (fixed:
// the simulator is stateless and the policies frozen), and the reward model's
// prediction for every card of every shelf.
struct TopRow {
  std::vector<double> shelf_logger, shelf_target;            // P(shelf s at row 0)
  std::vector<std::vector<double>> card_logger, card_target;  // per shelf: arms × columns
  std::vector<std::int32_t> columns;
  std::vector<std::vector<double>> predicted;  // per shelf, per arm
};

std::vector<double> first_column(const std::vector<double>& matrix, std::size_t rows, std::size_t columns) {
  std::vector<double> out(rows, 0.0);
  for (std::size_t r = 0; r < rows && columns > 0; ++r) out[r] = matrix[r * columns];
  return out;
}

TopRow top_row(ListenerSimulator& sim, std::size_t l, const Policy& logger_shelves, const Policy& logger_cards,
               const Policy& target_shelves, const Policy& target_cards, const Policy& reward_model, Rng& rng) {
  const std::vector<ShelfCandidates>& offered = sim.offered(l);
  const Listener& who = sim.listener(l);
  const PageContext context{who.id, who.hour};
  const std::uint32_t bucket = hour_band(who.hour);
  const ServingModel& served = sim.served();
  TopRow t;
  const std::vector<Arm> shelves = shelf_arms(offered, context);
  const auto rows = std::min<std::int32_t>(sim.config().max_shelves, static_cast<std::int32_t>(offered.size()));
  constexpr std::int32_t kDraws = 1000;  // only used by Monte Carlo policies (Thompson sampling)
  t.shelf_logger = first_column(logger_shelves.action_distribution(Decision{shelves, rows, bucket}, rng, kDraws),
                                shelves.size(), static_cast<std::size_t>(rows));
  t.shelf_target = first_column(target_shelves.action_distribution(Decision{shelves, rows, bucket}, rng, kDraws),
                                shelves.size(), static_cast<std::size_t>(rows));
  std::vector<Pick> picks;
  for (const ShelfCandidates& shelf : offered) {
    const std::vector<Arm> arms = top_row_card_arms(shelf, context, served.popularity(), served.model().item_ids());
    const auto n = static_cast<std::int32_t>(arms.size());
    const std::int32_t columns = std::min(sim.config().shelves[static_cast<std::size_t>(shelf.spec)].cards, n);
    t.columns.push_back(columns);
    t.card_logger.push_back(logger_cards.action_distribution(Decision{arms, columns, bucket}, rng, kDraws));
    t.card_target.push_back(target_cards.action_distribution(Decision{arms, columns, bucket}, rng, kDraws));
    reward_model.decide(Decision{arms, n, bucket}, rng, picks);  // greedy: every arm, with its prediction
    std::vector<double> predicted(arms.size(), 0.0);
    for (const Pick& pick : picks) predicted[static_cast<std::size_t>(pick.arm)] = pick.predicted_reward;
    t.predicted.push_back(std::move(predicted));
  }
  return t;
}

// A logged top-row card located in its listener's offer.
struct Located {
  std::size_t listener = 0, shelf = 0, arm = 0;
  std::int32_t card = 0;
  double reward = 0;
  std::size_t page = 0;
};

// 95% percentile interval of `statistic` over page resamples.
template <typename Statistic>
std::pair<double, double> page_bootstrap(const std::vector<std::vector<std::uint32_t>>& pages, std::int32_t resamples,
                                         std::uint64_t seed, Statistic statistic) {
  if (pages.empty() || resamples <= 0) return {0.0, 0.0};
  Rng rng(seed);
  std::vector<double> values;
  std::vector<std::uint32_t> rows;
  for (std::int32_t b = 0; b < resamples; ++b) {
    rows.clear();
    for (std::size_t p = 0; p < pages.size(); ++p) {
      const auto& page = pages[rng.below(pages.size())];
      rows.insert(rows.end(), page.begin(), page.end());
    }
    values.push_back(statistic(rows));
  }
  std::sort(values.begin(), values.end());
  const auto at = [&](double q) { return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))]; };
  return {at(0.025), at(0.975)};
}

// Top-row rows of a log, grouped by page (a page starts at row 0, card 0).
std::vector<std::vector<std::uint32_t>> top_row_pages(const std::vector<SimImpression>& log,
                                                      std::vector<std::uint32_t>& top_rows) {
  std::vector<std::vector<std::uint32_t>> pages;
  for (std::uint32_t i = 0; i < log.size(); ++i) {
    if (log[i].row != 0) continue;
    if (log[i].card == 0) pages.emplace_back();
    pages.back().push_back(static_cast<std::uint32_t>(top_rows.size()));
    top_rows.push_back(i);
  }
  return pages;
}

}  // namespace

OffPolicyComparison compare_off_policy(ListenerSimulator& sim, Policy& logger_shelves, Policy& logger_cards,
                                       Policy& target_shelves, Policy& target_cards, const OffPolicyOptions& options) {
  OffPolicyComparison out;
  const ServingModel& served = sim.served();
  const IdMap& item_ids = served.model().item_ids();

  std::vector<SimImpression> log;
  simulate(sim, logger_shelves, logger_cards, RunOptions{options.log_rounds, options.seed, false, &log});
  std::vector<std::uint32_t> top;
  const std::vector<std::vector<std::uint32_t>> pages = top_row_pages(log, top);

  // The reward model learns from the logged top-row outcomes (features with their place, as the policies do).
  const std::unique_ptr<Policy> reward_model = make_policy("greedy");
  std::vector<Located> rows;
  for (std::size_t p = 0; p < pages.size(); ++p)
    for (const std::uint32_t r : pages[p]) {
      const SimImpression& imp = log[top[r]];
      const std::vector<ShelfCandidates>& offered = sim.offered(imp.listener);
      Located at{imp.listener, 0, 0, imp.card, imp.streamed ? 1.0 : 0.0, p};
      while (offered[at.shelf].name != imp.shelf) ++at.shelf;
      const auto& items = offered[at.shelf].items;
      while (items[at.arm].item != imp.item) ++at.arm;
      const Listener& who = sim.listener(imp.listener);
      const PageContext context{who.id, who.hour};
      const CardOffer offer{item_ids.name(imp.item), offered[at.shelf].name, offered[at.shelf].explanation,
                            static_cast<std::int32_t>(at.arm), served.popularity()[static_cast<std::size_t>(imp.item)]};
      reward_model->update(Outcome{card_features(context, offer, 0, imp.card),
                                   card_key(offer.item_id, offer.explanation), hour_band(who.hour), at.reward, 1.0});
      rows.push_back(at);
    }

  Rng rng(options.seed ^ 0x0FFC0FFEEull);
  std::unordered_map<std::size_t, TopRow> by_listener;
  for (const Located& at : rows)
    if (!by_listener.count(at.listener))
      by_listener.emplace(at.listener, top_row(sim, at.listener, logger_shelves, logger_cards, target_shelves,
                                               target_cards, *reward_model, rng));

  // Per place: the logged rate over the model's mean prediction (its scale at that place).
  std::vector<double> reward_sum, predicted_sum;
  for (const Located& at : rows) {
    const auto c = static_cast<std::size_t>(at.card);
    if (reward_sum.size() <= c) reward_sum.resize(c + 1, 0.0), predicted_sum.resize(c + 1, 0.0);
    reward_sum[c] += at.reward;
    predicted_sum[c] += by_listener.at(at.listener).predicted[at.shelf][at.arm];
  }
  const auto calibration = [&](std::int32_t c) {
    const auto k = static_cast<std::size_t>(c);
    return k < predicted_sum.size() && predicted_sum[k] > 0.0 ? reward_sum[k] / predicted_sum[k] : 0.0;
  };

  ope::RoundTerms terms;
  double sum_w = 0, sum_w2 = 0;
  for (const Located& at : rows) {
    const TopRow& t = by_listener.at(at.listener);
    const auto columns = static_cast<std::size_t>(t.columns[at.shelf]);
    const auto cell = at.arm * columns + static_cast<std::size_t>(at.card);
    const double logged = t.shelf_logger[at.shelf] * t.card_logger[at.shelf][cell];
    const double target = t.shelf_target[at.shelf] * t.card_target[at.shelf][cell];
    const double w = logged > 0.0 ? target / logged : 0.0;
    const double scale = calibration(at.card);
    // DM: the target's expected predicted reward at this place, normalised over what it fills there.
    double dm = 0.0, mass = 0.0;
    for (std::size_t s = 0; s < t.card_target.size(); ++s) {
      const auto cols = static_cast<std::size_t>(t.columns[s]);
      if (static_cast<std::size_t>(at.card) >= cols || t.shelf_target[s] == 0.0) continue;
      for (std::size_t a = 0; a < t.predicted[s].size(); ++a) {
        const double p = t.shelf_target[s] * t.card_target[s][a * cols + static_cast<std::size_t>(at.card)];
        dm += p * t.predicted[s][a] * scale;
        mass += p;
      }
    }
    terms.weight.push_back(w);
    terms.reward.push_back(at.reward);
    terms.dm.push_back(mass > 0.0 ? dm / mass : 0.0);
    terms.q_factual.push_back(t.predicted[at.shelf][at.arm] * scale);
    sum_w += w;
    sum_w2 += w * w;
    out.max_weight = std::max(out.max_weight, w);
  }
  out.logged_pages = static_cast<std::int64_t>(pages.size());
  out.logged_cards = static_cast<std::int64_t>(rows.size());
  out.effective_sample_size = sum_w2 > 0.0 ? sum_w * sum_w / sum_w2 : 0.0;

  std::vector<std::uint32_t> all(rows.size());
  for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  for (const ope::EstimatorSpec& spec : ope::parse_estimators("ipw,snipw,dm,dr")) {
    OffPolicyEstimate e;
    e.estimator = spec.name;
    e.value = ope::estimate(spec, terms, all);
    std::tie(e.lo, e.hi) = page_bootstrap(pages, options.bootstrap, options.seed + 17,
                                          [&](const std::vector<std::uint32_t>& r) { return ope::estimate(spec, terms, r); });
    out.estimates.push_back(e);
  }

  // The truth: the target itself in the simulator, on other luck.
  std::vector<SimImpression> shown;
  simulate(sim, target_shelves, target_cards, RunOptions{options.truth_rounds, options.seed + 1000003, false, &shown});
  std::vector<std::uint32_t> truth_top;
  const std::vector<std::vector<std::uint32_t>> truth_pages = top_row_pages(shown, truth_top);
  const auto rate = [&](const std::vector<std::uint32_t>& r, bool expected) {
    double sum = 0.0;
    for (const std::uint32_t i : r) {
      const SimImpression& imp = shown[truth_top[i]];
      sum += expected ? imp.probability : (imp.streamed ? 1.0 : 0.0);
    }
    return r.empty() ? 0.0 : sum / static_cast<double>(r.size());
  };
  std::vector<std::uint32_t> every(truth_top.size());
  for (std::uint32_t i = 0; i < every.size(); ++i) every[i] = i;
  out.truth = rate(every, false);
  out.truth_expected = rate(every, true);
  out.truth_pages = static_cast<std::int64_t>(truth_pages.size());
  std::tie(out.truth_lo, out.truth_hi) = page_bootstrap(truth_pages, options.bootstrap, options.seed + 29,
                                                        [&](const std::vector<std::uint32_t>& r) { return rate(r, false); });
  return out;
}

}  // namespace segue::home
