// segue tune --auto: the whole stack chosen on validation within a time budget.
// Stage one measures every candidate generator family (ease when the catalogue
// is small enough, ials, itemknn, rp3beta, userknn; content and featureknn with
// item features) at its defaults and then searches the best families' own spaces;
// stage two builds `rerank` over the best configuration of each of the top
// families and measures it on the same validation carve (its ranker learns on a
// carve of the carve's training part, so validation stays unseen); stage three
// averages the tuned ials over per-listener weight scales and seeds (ensemble).
// The winner, single model, stack or ensemble, is one spec string.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "eval/tuner.h"

namespace segue {

struct AutoTuneOptions {
  TuneOptions tune;              // metric, validation fraction, seed, pool, features (base_spec/space unused)
  double budget_seconds = 600;   // wall clock for the whole search
  int generators = 4;            // families the stack is built from
};

struct AutoTuneResult {
  std::string metric;
  Trial best;                 // the winner (spec = the whole stack when rerank won)
  std::vector<Trial> trials;  // in the order they ran
  double seconds = 0;
  std::int64_t validation_users = 0;
};

AutoTuneResult auto_tune(const Dataset& data, const AutoTuneOptions& options,
                         const std::function<void(const Trial&, const std::string& stage)>& on_trial = {});

}  // namespace segue
