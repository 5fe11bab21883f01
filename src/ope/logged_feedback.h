// Logged bandit feedback for off-policy evaluation: one row per (round, slot)
// shown by a logging policy, read from a CSV in the Open Bandit Dataset layout
// (unnamed row index, timestamp, item_id, position, click, propensity_score,
// then context features, which the estimators here do not use).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace segue::ope {

// Rows in file order; round i of the estimators (and of PRED.csv) is data
// row i; the index column is not read.
struct LoggedFeedback {
  std::string path;
  std::vector<std::int32_t> item;    // item id (a non-negative integer)
  std::vector<std::int32_t> slot;    // position - position_base, in [0, n_slots)
  std::vector<double> reward;        // click (any finite value; 0/1 in OBD)
  std::vector<double> pscore;        // the logging policy's propensity, in (0, 1]
  std::int32_t n_items = 0;          // max item id + 1 (the Open Bandit Pipeline's n_actions)
  std::int32_t n_slots = 0;          // max slot + 1 (its len_list)
  std::int32_t position_base = 1;    // 1 when the smallest position is 1 (OBD), 0 when it is 0 (segue)

  std::size_t rounds() const { return item.size(); }
};

// Items larger than this are refused: the estimators keep dense item × slot tables.
inline constexpr std::int32_t kMaxItemId = 1'000'000;

// Reads and checks the log: every field it uses must parse (integers for
// item_id and position, finite numbers for click, propensity_score in (0, 1]);
// an InputError names the file, line and column. The smallest position must
// be 0 or 1 and fixes the numbering for the whole run (DIST.csv and reward
// predictions use the log's numbering). An empty log is an InputError.
LoggedFeedback read_logged_feedback(const std::string& path);

}  // namespace segue::ope
