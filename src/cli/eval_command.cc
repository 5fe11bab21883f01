// segue eval --train TRAIN.csv --test TEST.csv --model SPEC...: fit each model
// and measure it on full ranking (training items excluded).
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "cli/eval_report.h"
#include "cli/training_input.h"
#include "data/store.h"
#include "eval/recs_file.h"
#include "eval/report_html.h"
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
  std::string test, json_path, report_path, recs, on_error = "fail";
  int bootstrap = 1000;
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
      if (found) {
        std::printf(" %12.4f", found->mean);
      } else {
        std::printf(" %12s", "-");
      }
    }
    std::printf(" %8.2f %8.2f\n", r.fit_seconds, r.eval_seconds);
  }
}

void run_eval(const EvalArgs& args) {
  set_default_threads(args.threads);
  if (args.models.empty() == args.recs.empty()) throw UsageError("give --model SPEC (repeatable) or --recs RECS.csv");
  if (args.bootstrap < 0) throw UsageError("--bootstrap: must be >= 0 (0 = no confidence intervals)");
  std::vector<std::unique_ptr<Recommender>> models;
  for (const auto& spec : args.models) models.push_back(make_recommender(spec));  // fail fast on bad specs
  std::vector<std::string> metrics = args.metrics;
  if (!args.report_path.empty() && std::find(metrics.begin(), metrics.end(), "recall@50") == metrics.end())
    metrics.push_back("recall@50");  // the report's recall@k curve runs to 50
  parse_metrics([&] {
    std::string joined;
    for (const auto& m : metrics) joined += (joined.empty() ? "" : ",") + m;
    return joined;
  }());

  IssueLog issues(parse_on_error(args.on_error));
  const SignalTable signal = args.input.signal.empty() ? SignalTable::defaults() : SignalTable::parse(args.input.signal);
  const Dataset test_data = load_interactions_csv(args.test, signal, issues);
  // --recs without --train: the ids of the test file, and no training items to exclude.
  const bool has_train = !args.input.train_csv.empty() || !args.input.data_dir.empty();
  if (!has_train && args.recs.empty()) throw UsageError("give --train FILE or --data DIR");
  const Dataset train_data = has_train ? load_training(args.input, issues) : Dataset{};
  const Dataset& id_space = has_train ? train_data : test_data;
  print_issues(issues);
  const FeedbackMatrix train = has_train ? build_feedback(train_data)
                                         : build_feedback(id_space.n_users(), id_space.n_items(), {});
  const TestSet test = map_test_set(test_data, id_space);
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
  options.metrics = metrics;
  options.keep_lists = !args.report_path.empty();
  std::vector<EvalResult> results;
  if (!args.recs.empty()) {
    const RecsFile recs = read_recs_csv(args.recs, id_space.users, id_space.items, issues);
    print_issues(issues);
    const RecsReport& r = recs.report;
    std::printf("recs: %lld rows, %lld users; %lld unknown users (%lld rows), %lld unknown items (%lld rows, kept as "
                "misses), %lld repeated ranks, %lld skipped ranks, %lld duplicate items dropped; %lld test users "
                "without a list\n\n",
                static_cast<long long>(r.rows), static_cast<long long>(r.users), static_cast<long long>(r.unknown_users),
                static_cast<long long>(r.unknown_user_rows), static_cast<long long>(r.unknown_items),
                static_cast<long long>(r.unknown_item_rows), static_cast<long long>(r.repeated_ranks),
                static_cast<long long>(r.skipped_ranks), static_cast<long long>(r.duplicate_items),
                static_cast<long long>(test_users_without_list(recs.lists, test.feedback)));
    options.require_train_items = has_train;
    results.push_back(evaluate_lists(recs.lists, train, test.feedback, options, args.recs));
  }
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
  print_table(results, metrics);
  const EvalResult& first = results.front();
  std::printf("\nusers evaluated: %lld of %lld test users (%lld without training data, %lld whose test items were all "
              "training items)\n",
              static_cast<long long>(first.evaluated_users), static_cast<long long>(first.test_users),
              static_cast<long long>(first.cold_users), static_cast<long long>(first.repeat_only_users));
  if (args.json_path.empty() && args.report_path.empty()) return;
  EvalJsonOptions json_options;
  json_options.bootstrap = args.bootstrap;
  json_options.seed = args.seed;
  json_options.report_extras = !args.report_path.empty();
  nlohmann::json out = eval_json(results, train, test.feedback, json_options);
  out["test_events_unknown_user"] = test.unknown_user_events;
  out["test_events_unknown_item"] = test.unknown_item_events;
  out["test_users_only_unknown_items"] = test.users_only_unknown_items;
  out["dataset"] = args.test;
  auto write = [](const std::string& path, const std::string& text, const char* option) {
    std::ofstream file(path);
    if (!(file << text)) throw UsageError(std::string(option) + ": cannot write '" + path + "'");
  };
  if (!args.json_path.empty()) write(args.json_path, out.dump(2) + "\n", "--json");
  if (!args.report_path.empty()) {
    out["title"] = "segue eval";
    write(args.report_path, render_report_html(out), "--report");
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Train model specs and evaluate them on full ranking");
  cmd->add_option("--train", args->input.train_csv, "Training CSV (user_id,item_id[,weight,timestamp,event])");
  cmd->add_option("--data", args->input.data_dir, "Or: a store directory used whole as training data");
  cmd->add_option("--test", args->test, "Test CSV (same columns; ids mapped into the training ids)")->required();
  cmd->add_option("--model", args->models, "Model spec, repeatable (see `segue models`)");
  cmd->add_option("--recs", args->recs, "Or: evaluate a recommendation file (header user_id,item_id,rank)");
  cmd->add_option("--report", args->report_path, "Also write a self-contained HTML report to this path");
  cmd->add_option("--bootstrap", args->bootstrap, "Bootstrap resamples for CIs and paired tests (0 = none)")
      ->capture_default_str();
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
