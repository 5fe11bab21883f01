// Train/test files as the evaluator needs them: a CSV written by `segue split`
// (or anything with user_id,item_id[,weight,timestamp,event] columns) read as
// training data, and a test file mapped into the training ids.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace segue
