// The training data of `segue train` and `segue eval`: a CSV file (--train) or
// an imported store (--data), with the signal table for CSV event names.
#pragma once

#include <string>

#include "data/dataset.h"
#include "data/error.h"

namespace segue::cli {

struct TrainingInput {
  std::string train_csv;
  std::string data_dir;
  std::string signal;  // --signal for CSV event names
};

// Exactly one of --train / --data must be given (UsageError otherwise).
Dataset load_training(const TrainingInput& input, IssueLog& issues);

// Prints what --on-error skip left out (stderr) and the importer's notes.
void print_issues(const IssueLog& issues);

}  // namespace segue::cli
