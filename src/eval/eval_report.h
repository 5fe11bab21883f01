// The result object of `segue eval` (--json, and --report's input): means,
// bootstrap CIs, paired tests against the first model and, for the report,
// breakdowns by user activity and item popularity and a recall@k curve.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/id_map.h"
#include "eval/evaluator.h"
#include "eval/test_set.h"

namespace segue {

struct EvalJsonOptions {
  std::int32_t bootstrap = 1000;  // resamples for CIs and paired tests; 0 = none
  std::uint64_t seed = 42;
  bool report_extras = false;     // breakdowns and the recall curve (needs kept lists)
  std::string protocol = "full";  // "full" | "sampled:N": the JSON's "protocol"
};

nlohmann::json eval_json(const std::vector<EvalResult>& results, const FeedbackMatrix& train,
                         const FeedbackMatrix& test, const EvalJsonOptions& options);

// split.json in the test file's directory (written by `segue split`), if any.
struct SplitInfo {
  bool found = false;
  std::string path;       // the split.json read
  std::string method;     // "leave-last", "playlist-continuation", ...
  nlohmann::json summary;  // {"method", "seed", "options", "cold_start", "file"}: the JSON's "split"
};
// InputError naming split.json when it exists but is not a JSON object with a
// string "method".
SplitInfo read_split_info(const std::string& test_csv);
// One line for the terminal: the method, its parameters and what it means for
// the metrics.
std::string describe_split(const SplitInfo& split);

// test_playlists.csv of a playlist-continuation split, by training user id.
struct TestPlaylists {
  std::vector<std::int32_t> seeds_of_user;  // per training user: num_seed, -1 = not a test playlist
  std::vector<std::int32_t> seed_counts;    // distinct num_seed values, ascending
  std::vector<std::int64_t> playlists;      // per seed_counts entry: rows in the file
  std::vector<std::int64_t> unknown;        // per seed_counts entry: playlists train does not know (0 seeds)
};
// Header user_id,num_seed (others ignored). InputError names file, line, column.
TestPlaylists read_test_playlists(const std::string& path, const IdMap& users);
// [{"num_seed": 5, "playlists": 120, "not_in_train": 0, "users_evaluated": 118,
//   "metrics": {"ndcg@10": ...}}, ...]: per-user metrics averaged within each
// seed bucket (catalogue-wide metrics are left out).
nlohmann::json seed_bucket_json(const EvalResult& result, const TestPlaylists& playlists);

// {"events", "sessions", "accuracy", "auc" (null when one class only),
//  "log_loss", "mean_average_accuracy", "first_prediction_accuracy"}
nlohmann::json skip_metrics_json(const SkipPredictions& predictions);

}  // namespace segue
