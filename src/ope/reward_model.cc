#include "ope/reward_model.h"

#include "data/csv_reader.h"
#include "data/error.h"

namespace segue::ope {

RewardPredictions fit_click_rate_model(const LoggedFeedback& log, std::int32_t n_items, double prior_strength) {
  std::vector<std::uint32_t> rows(log.rounds());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::uint32_t>(i);
  return fit_click_rate_model(log, n_items, prior_strength, rows);
}

RewardPredictions fit_click_rate_model(const LoggedFeedback& log, std::int32_t n_items, double prior_strength,
                                       std::span<const std::uint32_t> rows) {
  RewardPredictions model;
  model.n_items = n_items;
  model.n_slots = log.n_slots;
  const std::size_t cells = static_cast<std::size_t>(n_items) * static_cast<std::size_t>(log.n_slots);
  std::vector<double> clicks(cells, 0.0), shows(cells, 0.0);
  double total = 0.0;
  for (const std::uint32_t i : rows) {
    const std::size_t cell = static_cast<std::size_t>(log.item[i]) * static_cast<std::size_t>(log.n_slots) +
                             static_cast<std::size_t>(log.slot[i]);
    clicks[cell] += log.reward[i];
    shows[cell] += 1.0;
    total += log.reward[i];
  }
  const double mean = rows.empty() ? 0.0 : total / static_cast<double>(rows.size());
  model.q.resize(cells);
  for (std::size_t c = 0; c < cells; ++c) {
    const double denominator = shows[c] + prior_strength;
    model.q[c] = denominator > 0.0 ? (clicks[c] + prior_strength * mean) / denominator : mean;
  }
  return model;
}

RewardPredictions read_reward_predictions(const std::string& path, const LoggedFeedback& log, std::int32_t n_items) {
  CsvReader csv(path);
  const int round_col = csv.require_column("round", "--reward-model");
  const int item_col = csv.require_column("item_id", "--reward-model");
  const int position_col = csv.require_column("position", "--reward-model");
  const int q_col = csv.require_column("q_hat", "--reward-model");
  RewardPredictions model;
  model.n_items = n_items;
  model.n_slots = log.n_slots;
  model.per_round = true;
  const std::size_t table = static_cast<std::size_t>(n_items) * static_cast<std::size_t>(log.n_slots);
  model.q.assign(log.rounds() * table, 0.0);
  std::vector<char> seen(model.q.size(), 0);
  while (csv.next()) {
    csv.expect_width();
    const std::int64_t round = csv.integer(round_col);
    if (round < 0 || static_cast<std::size_t>(round) >= log.rounds()) {
      throw csv.error(round_col, "a round of the log (0.." + std::to_string(log.rounds() - 1) + ")");
    }
    const std::int64_t item = csv.integer(item_col);
    if (item < 0 || item >= n_items) throw csv.error(item_col, "an item id in 0.." + std::to_string(n_items - 1));
    const std::int64_t slot = csv.integer(position_col) - log.position_base;
    if (slot < 0 || slot >= log.n_slots) throw csv.error(position_col, "a position of the log");
    const double q = csv.number(q_col);
    const std::size_t cell = static_cast<std::size_t>(round) * table +
                             static_cast<std::size_t>(item) * static_cast<std::size_t>(log.n_slots) +
                             static_cast<std::size_t>(slot);
    if (seen[cell]) throw csv.error(round_col, "each (round, item_id, position) once; this triple is repeated");
    seen[cell] = 1;
    model.q[cell] = q;
  }
  for (std::size_t cell = 0; cell < seen.size(); ++cell) {
    if (seen[cell]) continue;
    const std::size_t round = cell / table;
    const std::size_t item = (cell % table) / static_cast<std::size_t>(log.n_slots);
    const std::size_t slot = cell % static_cast<std::size_t>(log.n_slots);
    throw InputError(path, 0, "q_hat",
                     "no prediction for round " + std::to_string(round) + ", item " + std::to_string(item) +
                         ", position " + std::to_string(slot + static_cast<std::size_t>(log.position_base)) +
                         " (every round × item × position is needed)");
  }
  return model;
}

}  // namespace segue::ope
