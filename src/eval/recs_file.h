// Recommendation lists made by any system, read from a CSV `user_id,item_id,rank`
// into training ids so `segue eval --recs` measures them with the same ruler.
#pragma once

#include <cstdint>
#include <string>

#include "data/error.h"
#include "data/id_map.h"
#include "eval/evaluator.h"
#include "models/feedback.h"

namespace segue {

// Everything that was not taken as-is, counted (never dropped silently).
struct RecsReport {
  std::int64_t rows = 0;               // data rows read (bad lines skipped under --on-error skip are in the IssueLog)
  std::int64_t users = 0;              // distinct users known to train that have a list
  std::int64_t unknown_users = 0;      // distinct users train does not know: their rows cannot be evaluated
  std::int64_t unknown_user_rows = 0;
  std::int64_t unknown_items = 0;      // distinct items train does not know: kept in place as misses
  std::int64_t unknown_item_rows = 0;
  std::int64_t repeated_ranks = 0;     // rows whose rank repeats the previous rank of the user (kept in file order)
  std::int64_t skipped_ranks = 0;      // ranks missing below a user's largest rank (the list closes up)
  std::int64_t duplicate_items = 0;    // later (worse-ranked) repeats of an item in one list: dropped
};

struct RecsFile {
  RankedLists lists;  // over users.size() users; slots of unknown items hold kUnknownItem
  RecsReport report;
};

// Reads the file (header names the columns user_id, item_id and rank, in any
// order; other columns are ignored). Each user's rows are ordered by rank
// (ties in file order). A bad line (missing field, empty id, a rank that is not
// an integer >= 1) is an InputError naming file, line and column, reported to
// `issues` (thrown under fail, skipped and counted under skip).
RecsFile read_recs_csv(const std::string& path, const IdMap& users, const IdMap& items, IssueLog& issues);

// Test users (>= 1 positive test item) that have no list: evaluate_lists()
// scores them with an empty list (zeros); the CLI reports the count.
std::int64_t test_users_without_list(const RankedLists& lists, const FeedbackMatrix& test);

}  // namespace segue
