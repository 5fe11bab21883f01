// Evaluation: the models fitted and measured as `segue eval --train --test`
// does (full ranking, training items excluded), the same JSON object (means,
// bootstrap CIs, paired tests) and HTML report, plus the per-user vectors.
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "eval/eval_report.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "eval/report_html.h"
#include "eval/test_set.h"
#include "models/recommender.h"

namespace segue::python {
namespace {

void write_text(const std::string& path, const std::string& text, const char* argument) {
  std::ofstream file(path);
  if (!(file << text)) throw UsageError(std::string(argument) + ": cannot write '" + path + "'");
}

py::tuple evaluate_models(const std::vector<std::shared_ptr<Recommender>>& models, const Dataset& train_data,
                          const Dataset& test_data, std::vector<std::string> metrics, int bootstrap, std::uint64_t seed,
                          bool fit, const std::string& report_path, const std::string& json_path,
                          const std::string& label, std::optional<int> threads) {
  if (models.empty()) throw UsageError("models: give at least one model");
  if (bootstrap < 0) throw UsageError("bootstrap: must be >= 0 (0 = no confidence intervals)");
  // As `segue eval`: the report's recall@k curve runs to 50.
  if (!report_path.empty() && std::find(metrics.begin(), metrics.end(), "recall@50") == metrics.end())
    metrics.push_back("recall@50");
  std::string joined;
  for (const auto& metric : metrics) joined += (joined.empty() ? "" : ",") + metric;
  parse_metrics(joined);  // a bad name fails before any fit
  const CallPool pool(threads);
  std::vector<EvalResult> results;
  nlohmann::json out;
  std::vector<std::int32_t> dims;
  {
    py::gil_scoped_release release;
    const FeedbackMatrix train = build_feedback(train_data);
    const TestSet test = map_test_set(test_data, train_data);
    EvalOptions options;
    options.metrics = metrics;
    options.keep_lists = !report_path.empty();
    options.pool = pool.get();
    for (const auto& model : models) {
      if (fit) {
        FitContext context;
        context.dataset = &train_data;
        context.seed = seed;
        context.pool = pool.get();
        model->fit(train, context);
        model->set_id_maps(train_data.users, train_data.items);
      }
      results.push_back(evaluate(*model, train, test.feedback, options));
    }
    EvalJsonOptions json_options;
    json_options.bootstrap = bootstrap;
    json_options.seed = seed;
    json_options.report_extras = !report_path.empty();
    out = eval_json(results, train, test.feedback, json_options);
    out["test_events_unknown_user"] = test.unknown_user_events;
    out["test_events_unknown_item"] = test.unknown_item_events;
    out["test_users_only_unknown_items"] = test.users_only_unknown_items;
    out["dataset"] = label;
    if (!json_path.empty()) write_text(json_path, out.dump(2) + "\n", "json");
    if (!report_path.empty()) {
      out["title"] = "segue eval";
      write_text(report_path, render_report_html(out), "report");
    }
  }
  // Per-user vectors: evaluated users (training ids) and one array per per-user metric.
  py::list per_user;
  for (EvalResult& r : results) {
    py::dict vectors;
    for (MetricResult& metric : r.metrics)
      if (metric.per_user) vectors[py::str(metric.name)] = owning_array(std::move(metric.values));
    per_user.append(py::make_tuple(owning_array(std::move(r.users)), vectors));
  }
  return py::make_tuple(out.dump(), per_user);
}

}  // namespace

void bind_eval(py::module_& m) {
  m.def("evaluate", &evaluate_models, py::arg("models"), py::arg("train"), py::arg("test"), py::arg("metrics"),
        py::arg("bootstrap"), py::arg("seed"), py::arg("fit"), py::arg("report"), py::arg("json"), py::arg("label"),
        py::arg("threads"));
}

}  // namespace segue::python
