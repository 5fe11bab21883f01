// Train/test files as the evaluator needs them: a CSV written by `segue split`
// (or anything with user_id,item_id[,weight,timestamp,event] columns) read as
// training data, and a test file mapped into the training ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/error.h"
#include "data/signal.h"
#include "models/feedback.h"

namespace segue {

// Imports an interaction CSV whose optional columns are found by name:
// weight, timestamp, event, session, position (as `segue split` writes them).
Dataset load_interactions_csv(const std::string& path, const SignalTable& signal, IssueLog& issues);

// Test feedback in the training data's id space. Test events of users or items
// the training data does not know cannot be scored; they are counted, not hidden.
struct TestSet {
  FeedbackMatrix feedback;             // n_users × n_items of the training data
  std::int64_t events = 0;             // test events read
  std::int64_t unknown_user_events = 0;
  std::int64_t unknown_users = 0;      // distinct test users absent from train (cold users)
  std::int64_t unknown_item_events = 0;
  std::int64_t unknown_items = 0;      // distinct test items absent from train (cold items)
  std::int64_t users_only_unknown_items = 0;  // known users all of whose test items are unknown
};
TestSet map_test_set(const Dataset& test, const Dataset& train);

// `segue eval --candidates FILE`: one item id per line (an optional first line
// `item_id` is a header; blank lines are skipped; spaces around an id and a
// trailing CR are trimmed; no CSV quoting). Ids the item map does not know are
// counted, not fatal. InputError (file:line) when the file cannot be read or
// names no item at all.
struct CandidateSet {
  std::vector<std::uint8_t> mask;   // one flag per item of the map
  std::int64_t ids = 0;             // ids read (lines with an id)
  std::int64_t items = 0;           // distinct known candidates (flags set)
  std::int64_t duplicates = 0;      // repeated known ids
  std::int64_t unknown_ids = 0;     // ids the item map does not know (lines)
  std::vector<std::string> first_unknown;  // up to 5, for the message
};
CandidateSet read_candidates(const std::string& path, const IdMap& items);

// `segue eval --skips PRED.csv`: header session_id,position,skip,prediction.
struct SkipPredictions {
  std::vector<float> prediction;            // in [0, 1]
  std::vector<std::uint8_t> label;          // 0/1
  std::int64_t sessions = 0;
  // Sessions laid out as positions 1..n (n = the largest position), for the
  // challenge's mean average accuracy: rows not in the file (first-half
  // positions, never scored) are filled with 0/0.
  std::vector<std::uint8_t> session_predicted, session_actual;
  std::vector<std::int64_t> session_offsets{0};
};
// InputError (file:line, column) for a missing column, a label other than 0/1,
// a prediction that is not a number in [0, 1] (NaN included), a position < 1
// or repeated within a session, or a session lacking one of its scored
// positions (floor(n/2)+1 .. n).
SkipPredictions read_skip_predictions(const std::string& path);

}  // namespace segue
