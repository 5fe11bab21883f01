#include "ope/action_dist.h"

#include <cmath>
#include <cstdio>

#include "data/csv_reader.h"
#include "data/error.h"

namespace segue::ope {

ActionDist uniform_action_dist(std::int32_t n_items, std::int32_t n_slots) {
  ActionDist dist;
  dist.n_items = n_items;
  dist.n_slots = n_slots;
  dist.prob.assign(static_cast<std::size_t>(n_items) * static_cast<std::size_t>(n_slots),
                   1.0 / static_cast<double>(n_items));
  return dist;
}

ActionDist read_action_dist(const std::string& path, const LoggedFeedback& log) {
  CsvReader csv(path);
  const int item_col = csv.require_column("item_id", "--policy-dist");
  const int position_col = csv.require_column("position", "--policy-dist");
  const int prob_col = csv.require_column("prob", "--policy-dist");
  ActionDist dist;
  dist.n_items = log.n_items;
  dist.n_slots = log.n_slots;
  dist.prob.assign(static_cast<std::size_t>(log.n_items) * static_cast<std::size_t>(log.n_slots), 0.0);
  std::vector<char> seen(dist.prob.size(), 0);
  while (csv.next()) {
    csv.expect_width();
    const std::int64_t item = csv.integer(item_col);
    if (item < 0 || item >= log.n_items) {
      throw csv.error(item_col, "an item of the log (ids 0.." + std::to_string(log.n_items - 1) + "), got " +
                                    std::to_string(item));
    }
    const std::int64_t slot = csv.integer(position_col) - log.position_base;
    if (slot < 0 || slot >= log.n_slots) {
      throw csv.error(position_col, "a position of the log (" + std::to_string(log.position_base) + ".." +
                                        std::to_string(log.position_base + log.n_slots - 1) + ")");
    }
    const double prob = csv.number(prob_col);
    if (prob < 0.0 || prob > 1.0) throw csv.error(prob_col, "a probability in [0, 1]");
    const std::size_t cell = static_cast<std::size_t>(item) * static_cast<std::size_t>(log.n_slots) +
                             static_cast<std::size_t>(slot);
    if (seen[cell]) throw csv.error(item_col, "each (item_id, position) once; this pair is repeated");
    seen[cell] = 1;
    dist.prob[cell] = prob;
  }
  for (std::int32_t slot = 0; slot < dist.n_slots; ++slot) {
    double sum = 0.0;
    for (std::int32_t item = 0; item < dist.n_items; ++item) sum += dist.at(item, slot);
    if (std::abs(sum - 1.0) > 1e-6) {
      char text[160];
      std::snprintf(text, sizeof text, "probabilities of position %d sum to %.9g, not 1 (tolerance 1e-6)",
                    slot + log.position_base, sum);
      throw InputError(path, 0, "prob", text);
    }
  }
  return dist;
}

std::string action_dist_csv(const ActionDist& dist, std::int32_t position_base) {
  std::string out = "item_id,position,prob\n";
  char row[96];
  for (std::int32_t item = 0; item < dist.n_items; ++item) {
    for (std::int32_t slot = 0; slot < dist.n_slots; ++slot) {
      std::snprintf(row, sizeof row, "%d,%d,%.17g\n", item, slot + position_base, dist.at(item, slot));
      out += row;
    }
  }
  return out;
}

}  // namespace segue::ope
