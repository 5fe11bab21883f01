#include "cli/eval_report.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "eval/report_html.h"
#include "eval/statistics.h"

namespace segue::cli {
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
  nlohmann::json out = {{"protocol", "full"}, {"results", nlohmann::json::array()}};
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
    nlohmann::json entry = {{"model", r.model.substr(0, at)},
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

}  // namespace segue::cli
