#include "eval/eval_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "data/csv_reader.h"
#include "data/error.h"
#include "eval/skip_metrics.h"

#include "eval/report_html.h"
#include "eval/statistics.h"
#include "models/registry.h"

namespace segue {
namespace {

std::vector<double> defined(const std::vector<double>& values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values)
    if (!std::isnan(v)) out.push_back(v);
  return out;
}

int cut_off(const std::string& metric) { return std::stoi(metric.substr(metric.find('@') + 1)); }

void add_report_extras(nlohmann::json& entry, const EvalResult& r, const FeedbackMatrix& train,
                       const FeedbackMatrix& test, const BootstrapOptions& bootstrap) {
  if (r.users.empty()) return;
  const MetricResult& first = r.metrics.front();
  if (first.per_user) {
    const std::vector<std::int64_t> sizes = train_sizes(train, r.users);
    std::vector<double> values = first.values;
    for (double& v : values)
      if (std::isnan(v)) v = 0.0;
    entry["activity_breakdown"] = activity_breakdown_json(first.name, activity_breakdown(values, sizes, 4, bootstrap));
  }
  if (r.list_k <= 0) return;
  const KeptLists lists{r.lists, r.list_counts, r.list_k};
  const SparseRows relevant = relevant_rows(train, test, r.users);
  const std::vector<std::int64_t> popularity = item_popularity(train);
  entry["popularity_breakdown"] = popularity_breakdown_json(
      popularity_breakdown(lists, relevant, popularity, std::min(10, r.list_k), HeadRule::kItemShare, 0.2, bootstrap));
  std::vector<std::int32_t> ks;
  for (std::int32_t k : {1, 5, 10, 20, 30, 40, 50, 100})
    if (k <= r.list_k) ks.push_back(k);
  entry["recall_curve"] = recall_curve_json(ks, recall_curve(lists, relevant, ks));
}

}  // namespace

nlohmann::json eval_json(const std::vector<EvalResult>& results, const FeedbackMatrix& train,
                         const FeedbackMatrix& test, const EvalJsonOptions& options) {
  BootstrapOptions bootstrap;
  bootstrap.resamples = std::max(options.bootstrap, 1);
  bootstrap.seed = options.seed;
  nlohmann::json out = {{"protocol", options.protocol}, {"results", nlohmann::json::array()}};
  std::vector<int> ks;
  for (std::size_t m = 0; m < results.size(); ++m) {
    const EvalResult& r = results[m];
    nlohmann::json metrics = nlohmann::json::object(), ci = nlohmann::json::object(),
                   paired = nlohmann::json::object();
    for (std::size_t i = 0; i < r.metrics.size(); ++i) {
      const MetricResult& metric = r.metrics[i];
      metrics[metric.name] = metric.mean;
      const int k = cut_off(metric.name);
      if (std::find(ks.begin(), ks.end(), k) == ks.end()) ks.push_back(k);
      if (!metric.per_user || options.bootstrap <= 0) continue;
      const std::vector<double> values = defined(metric.values);
      if (!values.empty()) ci[metric.name] = ci_json(bootstrap_mean_ci(values, bootstrap));
      // Paired against the first model: both were evaluated on the same users.
      const EvalResult& base = results.front();
      if (m == 0 || base.users != r.users || base.metrics.size() != r.metrics.size()) continue;
      std::vector<double> a, b;
      for (std::size_t u = 0; u < r.users.size(); ++u) {
        const double x = metric.values[u], y = base.metrics[i].values[u];
        if (std::isnan(x) || std::isnan(y)) continue;
        a.push_back(x);
        b.push_back(y);
      }
      // d = model − baseline, as the report reads it.
      if (!a.empty()) paired[metric.name] = paired_test_json(paired_test(b, a, bootstrap), base.model);
    }
    const auto at = r.model.find(':');
    std::string label = r.model;
    try {
      label = parse_spec(r.model).to_short_string();
    } catch (const UsageError&) {
    }
    nlohmann::json entry = {{"model", r.model.substr(0, at)},
                            {"label", label},
                            {"params", r.model},
                            {"users_evaluated", r.evaluated_users},
                            {"test_users", r.test_users},
                            {"cold_users", r.cold_users},
                            {"repeat_only_users", r.repeat_only_users},
                            {"empty_list_users", r.empty_list_users},
                            {"short_list_users", r.short_list_users},
                            {"metrics", metrics},
                            {"fit_seconds", r.fit_seconds},
                            {"eval_seconds", r.eval_seconds}};
    for (const auto& [name, value] : r.fit_stats) entry[name] = value;  // e.g. "epochs" of early-stopped models
    if (r.sampled_negatives > 0) {
      entry["sampled_negatives"] = r.sampled_negatives;
      entry["sampled_short_users"] = r.sampled_short_users;
    }
    if (!ci.empty()) entry["ci95"] = ci;
    if (!paired.empty()) entry["paired_test"] = paired;
    if (options.report_extras) add_report_extras(entry, r, train, test, bootstrap);
    out["results"].push_back(entry);
  }
  std::sort(ks.begin(), ks.end());
  out["k"] = ks;
  // Holm's correction over the models compared with the first, per metric.
  auto& entries = out["results"];
  if (!entries.empty()) {
    for (const auto& item : entries.front()["metrics"].items()) {
      std::vector<double> p;
      std::vector<std::size_t> at;
      for (std::size_t m = 1; m < entries.size(); ++m) {
        const auto& tests = entries[m].value("paired_test", nlohmann::json::object());
        if (!tests.contains(item.key())) continue;
        p.push_back(tests[item.key()]["p_value"].get<double>());
        at.push_back(m);
      }
      const std::vector<double> adjusted = holm_adjust(p);
      for (std::size_t j = 0; j < at.size(); ++j) entries[at[j]]["paired_test"][item.key()]["p_holm"] = adjusted[j];
    }
  }
  return out;
}

SplitInfo read_split_info(const std::string& test_csv) {
  namespace fs = std::filesystem;
  SplitInfo info;
  const fs::path path = fs::path(test_csv).parent_path() / "split.json";
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return info;
  info.path = path.string();
  std::ifstream in(path);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("method") || !j["method"].is_string())
    throw InputError(info.path, 0, "method", "expected a split.json object with a string \"method\" (as `segue split` writes)");
  info.found = true;
  info.method = j["method"].get<std::string>();
  info.summary = {{"method", info.method}, {"file", info.path}};
  for (const char* key : {"seed", "cold_start", "test_users_have_train", "test_playlists", "cut_time"})
    if (j.contains(key)) info.summary[key] = j[key];
  // The method's own parameters only (split.json lists every option).
  if (j.contains("options") && j["options"].is_object()) {
    const nlohmann::json& o = j["options"];
    std::vector<const char*> keys;
    if (info.method == "random") keys = {"test_fraction"};
    else if (info.method == "leave-last") keys = {"leave_n"};
    else if (info.method == "temporal") keys = {"test_fraction", "cut_time"};
    else if (info.method == "cold-items" || info.method == "cold-users") keys = {"cold_fraction"};
    else if (info.method == "playlist-continuation") keys = {"test_fraction", "seed_counts", "min_playlist_events"};
    nlohmann::json params = nlohmann::json::object();
    for (const char* key : keys)
      if (o.contains(key)) params[key] = o[key];
    info.summary["options"] = params;
  }
  return info;
}

std::string describe_split(const SplitInfo& split) {
  if (!split.found) return "";
  std::string line = "split: " + split.method;
  if (split.summary.contains("seed")) line += ", seed " + split.summary["seed"].dump();
  if (split.summary.contains("options"))
    for (const auto& item : split.summary["options"].items()) line += ", " + item.key() + " " + item.value().dump();
  line += " (" + split.path + ")";
  if (split.method == "leave-last") {
    const nlohmann::json options = split.summary.value("options", nlohmann::json::object());
    const int leave_n = options.value("leave_n", 1);
    line += leave_n == 1 ? "\n  leave-one-out next-item protocol: one held-out item per user, so hit@k, mrr@k and "
                           "ndcg@k are the meaningful metrics (precision@k is at most 1/k)"
                         : "\n  leave-last-" + std::to_string(leave_n) + ": the last items of each user are held out";
  } else if (split.method == "playlist-continuation") {
    line += "\n  playlist-continuation protocol: metrics are also broken down by number of seed tracks (see --json)";
  }
  return line;
}

TestPlaylists read_test_playlists(const std::string& path, const IdMap& users) {
  CsvReader csv(path);
  const int user_col = csv.require_column("user_id", "test_playlists.csv's playlist column");
  const int seed_col = csv.require_column("num_seed", "test_playlists.csv's seed count column");
  TestPlaylists out;
  out.seeds_of_user.assign(static_cast<std::size_t>(users.size()), -1);
  std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> counts;  // seed -> (playlists, unknown)
  while (csv.next()) {
    csv.expect_width();
    const std::string_view name = csv.id(user_col);
    const std::int64_t seeds = csv.integer(seed_col);
    if (seeds < 0 || seeds > 1000000000) throw csv.error(seed_col, "expected a seed count >= 0, got " + std::to_string(seeds));
    auto& c = counts[static_cast<std::int32_t>(seeds)];
    ++c.first;
    const std::int32_t user = users.find(name);
    if (user == IdMap::kMissing) {
      ++c.second;
      continue;
    }
    out.seeds_of_user[static_cast<std::size_t>(user)] = static_cast<std::int32_t>(seeds);
  }
  for (const auto& [seeds, c] : counts) {
    out.seed_counts.push_back(seeds);
    out.playlists.push_back(c.first);
    out.unknown.push_back(c.second);
  }
  return out;
}

nlohmann::json seed_bucket_json(const EvalResult& result, const TestPlaylists& playlists) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t b = 0; b < playlists.seed_counts.size(); ++b) {
    const std::int32_t seeds = playlists.seed_counts[b];
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < result.users.size(); ++r) {
      const auto u = static_cast<std::size_t>(result.users[r]);
      if (u < playlists.seeds_of_user.size() && playlists.seeds_of_user[u] == seeds) rows.push_back(r);
    }
    nlohmann::json metrics = nlohmann::json::object();
    for (const MetricResult& metric : result.metrics) {
      if (!metric.per_user) continue;
      double sum = 0;
      std::int64_t n = 0;
      for (std::size_t r : rows)
        if (!std::isnan(metric.values[r])) {
          sum += metric.values[r];
          ++n;
        }
      metrics[metric.name] = n == 0 ? nlohmann::json(nullptr) : nlohmann::json(sum / static_cast<double>(n));
    }
    out.push_back({{"num_seed", seeds},
                   {"playlists", playlists.playlists[b]},
                   {"not_in_train", playlists.unknown[b]},
                   {"users_evaluated", rows.size()},
                   {"metrics", metrics}});
  }
  return out;
}

nlohmann::json skip_metrics_json(const SkipPredictions& predictions) {
  const double area = auc(predictions.prediction, predictions.label);
  return {{"events", predictions.prediction.size()},
          {"sessions", predictions.sessions},
          {"accuracy", skip_accuracy(predictions.prediction, predictions.label)},
          {"auc", std::isnan(area) ? nlohmann::json(nullptr) : nlohmann::json(area)},
          {"log_loss", log_loss(predictions.prediction, predictions.label)},
          {"mean_average_accuracy", mean_average_accuracy(predictions.session_predicted, predictions.session_actual,
                                                          predictions.session_offsets)},
          {"first_prediction_accuracy", first_prediction_accuracy(predictions.session_predicted,
                                                                  predictions.session_actual,
                                                                  predictions.session_offsets)}};
}

}  // namespace segue
