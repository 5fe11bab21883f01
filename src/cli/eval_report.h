// The result object of `segue eval` (--json, and --report's input): means,
// bootstrap CIs, paired tests against the first model and, for the report,
// breakdowns by user activity and item popularity and a recall@k curve.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/evaluator.h"
#include "eval/test_set.h"

namespace segue::cli {

struct EvalJsonOptions {
  std::int32_t bootstrap = 1000;  // resamples for CIs and paired tests; 0 = none
  std::uint64_t seed = 42;
  bool report_extras = false;     // breakdowns and the recall curve (needs kept lists)
};

nlohmann::json eval_json(const std::vector<EvalResult>& results, const FeedbackMatrix& train,
                         const FeedbackMatrix& test, const EvalJsonOptions& options);

}  // namespace segue::cli
