// segue eval --train TRAIN.csv --test TEST.csv --model SPEC...: fit each model
// and measure it on full ranking (training items excluded).
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "cli/training_input.h"
#include "data/signal.h"
#include "eval/evaluator.h"
#include "eval/test_set.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "util/thread_pool.h"

namespace segue::cli {
namespace {

struct EvalArgs {
  TrainingInput input;
  std::string test, json_path, on_error = "fail";
  std::vector<std::string> models;
  std::vector<std::string> metrics{"ndcg@10", "recall@10", "recall@20", "precision@10", "map@10",
                                   "mrr@10",  "hit@10",    "coverage@10"};
  int threads = 0;
  std::uint64_t seed = 42;
};

void print_table(const std::vector<EvalResult>& results, const std::vector<std::string>& metrics) {
  std::printf("%-28s", "model");
  for (const auto& m : metrics) std::printf(" %12s", m.c_str());
  std::printf(" %8s %8s\n", "fit s", "eval s");
  for (const auto& r : results) {
    std::printf("%-28s", r.model.c_str());
    for (const auto& m : metrics) {
      const MetricResult* found = r.find(m);
      std::printf(" %12.4f", found ? found->mean : 0.0);
    }
    std::printf(" %8.2f %8.2f\n", r.fit_seconds, r.eval_seconds);
  }
}

nlohmann::json to_json(const std::vector<EvalResult>& results, const TestSet& test) {
  nlohmann::json out = {{"protocol", "full"}, {"results", nlohmann::json::array()}};
  std::vector<int> ks;
  for (const auto& r : results) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& m : r.metrics) {
      metrics[m.name] = m.mean;
      const int k = std::stoi(m.name.substr(m.name.find('@') + 1));
      if (std::find(ks.begin(), ks.end(), k) == ks.end()) ks.push_back(k);
    }
    const auto at = r.model.find(':');
    out["results"].push_back({{"model", r.model.substr(0, at)},
                              {"spec", r.model},
                              {"users_evaluated", r.evaluated_users},
                              {"test_users", r.test_users},
                              {"cold_users_without_training_data", r.cold_users},
                              {"repeat_only_users", r.repeat_only_users},
                              {"metrics", metrics},
                              {"fit_seconds", r.fit_seconds},
                              {"eval_seconds", r.eval_seconds}});
  }
  std::sort(ks.begin(), ks.end());
  out["k"] = ks;
  out["test_events_unknown_user"] = test.unknown_user_events;
  out["test_events_unknown_item"] = test.unknown_item_events;
  out["test_users_unknown"] = test.unknown_users;
  out["test_users_only_unknown_items"] = test.users_only_unknown_items;
  return out;
}

void run_eval(const EvalArgs& args) {
  set_default_threads(args.threads);
  if (args.test.empty()) throw UsageError("--test: required");
  std::vector<std::unique_ptr<Recommender>> models;
  for (const auto& spec : args.models) models.push_back(make_recommender(spec));  // fail fast on bad specs
  parse_metrics([&] {
    std::string joined;
    for (const auto& m : args.metrics) joined += (joined.empty() ? "" : ",") + m;
    return joined;
  }());

  IssueLog issues(parse_on_error(args.on_error));
  const Dataset train_data = load_training(args.input, issues);
  const SignalTable signal = args.input.signal.empty() ? SignalTable::defaults() : SignalTable::parse(args.input.signal);
  const Dataset test_data = load_interactions_csv(args.test, signal, issues);
  print_issues(issues);
  const FeedbackMatrix train = build_feedback(train_data);
  const TestSet test = map_test_set(test_data, train_data);
  std::printf("train: %d users, %d items, %lld pairs; test: %lld events", train.n_users, train.n_items,
              static_cast<long long>(train.nnz()), static_cast<long long>(test.events));
  if (test.unknown_user_events > 0)
    std::printf("; %lld events of %lld users not in train", static_cast<long long>(test.unknown_user_events),
                static_cast<long long>(test.unknown_users));
  if (test.unknown_item_events > 0)
    std::printf("; %lld events of %lld items not in train (not scorable)",
                static_cast<long long>(test.unknown_item_events), static_cast<long long>(test.unknown_items));
  if (test.users_only_unknown_items > 0)
    std::printf("\n%lld test users have only items unknown to train: not evaluated",
                static_cast<long long>(test.users_only_unknown_items));
  std::printf("\nprotocol: full ranking over all %d training items, each user's training items excluded\n\n",
              train.n_items);

  EvalOptions options;
  options.metrics = args.metrics;
  std::vector<EvalResult> results;
  for (auto& model : models) {
    FitContext context;
    context.dataset = &train_data;
    context.seed = args.seed;
    ProgressBar bar("fit " + model->name());
    context.progress = [&bar](const FitProgress& p) {
      if (p.total > 0) bar.update(static_cast<double>(p.done) / static_cast<double>(p.total));
    };
    model->fit(train, context);
    bar.finish();
    results.push_back(evaluate(*model, train, test.feedback, options));
  }
  print_table(results, args.metrics);
  const EvalResult& first = results.front();
  std::printf("\nusers evaluated: %lld of %lld test users (%lld without training data, %lld whose test items were all "
              "training items)\n",
              static_cast<long long>(first.evaluated_users), static_cast<long long>(first.test_users),
              static_cast<long long>(first.cold_users), static_cast<long long>(first.repeat_only_users));
  if (!args.json_path.empty()) {
    std::ofstream out(args.json_path);
    if (!out) throw UsageError("--json: cannot write '" + args.json_path + "'");
    out << to_json(results, test).dump(2) << "\n";
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Train model specs and evaluate them on full ranking");
  cmd->add_option("--train", args->input.train_csv, "Training CSV (user_id,item_id[,weight,timestamp,event])");
  cmd->add_option("--data", args->input.data_dir, "Or: a store directory used whole as training data");
  cmd->add_option("--test", args->test, "Test CSV (same columns; ids mapped into the training ids)")->required();
  cmd->add_option("--model", args->models, "Model spec, repeatable (see `segue models`)")->required();
  cmd->add_option("--metrics", args->metrics, "Metrics, e.g. ndcg@10 recall@20 (comma or space separated)")
      ->delimiter(',');
  cmd->add_option("--json", args->json_path, "Also write the results as JSON to this path");
  cmd->add_option("--signal", args->input.signal, "Event type -> signal for CSV event names (as in import)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->add_option("--seed", args->seed, "Seed for models that draw random numbers")->capture_default_str();
  cmd->add_option("--on-error", args->on_error, "fail or skip bad lines of the CSV files");
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace segue::cli
