#include "cli/training_input.h"

#include <cstdio>

#include "data/signal.h"
#include "data/store.h"
#include "eval/test_set.h"

namespace segue::cli {

Dataset load_training(const TrainingInput& input, IssueLog& issues) {
  if (input.train_csv.empty() == input.data_dir.empty())
    throw UsageError("give exactly one of --train FILE (CSV) or --data DIR (a store from `segue import`)");
  if (!input.data_dir.empty()) return load_dataset(input.data_dir);
  const SignalTable signal = input.signal.empty() ? SignalTable::defaults() : SignalTable::parse(input.signal);
  return load_interactions_csv(input.train_csv, signal, issues);
}

void print_issues(const IssueLog& issues) {
  for (const auto& note : issues.notes()) std::printf("note: %s\n", note.c_str());
  if (issues.skipped() > 0) std::fprintf(stderr, "warning: %s\n", issues.summary().c_str());
}

}  // namespace segue::cli
