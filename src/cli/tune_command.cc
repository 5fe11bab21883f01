// segue tune --model NAME --train FILE --metric ndcg@10 --trials N: search a
// model's hyper-parameters on a validation split carved from the training data.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/training_input.h"
#include "eval/auto_tune.h"
#include "eval/tuner.h"
#include "models/registry.h"
#include "util/thread_pool.h"

namespace segue::cli {
namespace {

void write_file(const std::string& path, const std::string& text, const char* option) {
  std::ofstream file(path);
  file << text;
  file.close();
  if (!file) throw UsageError(std::string(option) + ": cannot write '" + path + "'");
}

// "90", "90s", "10m", "1h" -> seconds.
double parse_budget(const std::string& text) {
  double unit = 1.0;
  std::string number = text;
  if (!number.empty() && (number.back() == 's' || number.back() == 'm' || number.back() == 'h')) {
    unit = number.back() == 'h' ? 3600.0 : number.back() == 'm' ? 60.0 : 1.0;
    number.pop_back();
  }
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(value) || value <= 0 || value > 1e7)
    throw UsageError("--budget: '" + text + "' is not a duration such as 600, 90s, 10m or 1h");
  return value * unit;
}

}  // namespace

void add_tune_command(CLI::App& app) {
  struct Args {
    TrainingInput input;
    TuneOptions tune;
    std::string out, json_path, items_csv, users_csv, on_error = "fail";
    std::vector<std::string> user_names;
    int threads = 0, text_dim = 0;
    bool automatic = false;
    std::string budget = "30m";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "tune", "Search a model's hyper-parameters on a validation split carved from the training data");
  cmd->add_option("--model", args->tune.base_spec, "Model name or spec; searched keys override it (or --auto)");
  cmd->add_flag("--auto", args->automatic,
                "Choose the whole stack: generator families, their parameters and a re-ranker over them (rerank), "
                "on validation within --budget");
  cmd->add_option("--budget", args->budget, "--auto: wall-clock budget (600, 90s, 10m, 1h)")->capture_default_str();
  cmd->add_option("--train", args->input.train_csv, "Training CSV (the test set never goes here)");
  cmd->add_option("--data", args->input.data_dir, "Or: a store directory used whole as training data");
  cmd->add_option("--metric", args->tune.metric, "Metric to maximise on validation")->capture_default_str();
  cmd->add_option("--trials", args->tune.trials, "Configurations to try")->capture_default_str();
  cmd->add_option("--search", args->tune.search, "random | halving (successive halving over iterations/epochs)")
      ->capture_default_str();
  cmd->add_option("--eta", args->tune.halving_eta, "halving: keep the best 1/eta per rung")->capture_default_str();
  cmd->add_option("--space", args->tune.space,
                  "Search space, e.g. 'factors=32:256:log,reg=0.001:1:log,similarity=cosine|jaccard' "
                  "(default: the model's own, see docs/MODELS.md)");
  cmd->add_option("--validation", args->tune.validation_fraction,
                  "Share of each user's training events held out for validation")
      ->capture_default_str();
  cmd->add_option("--carve", args->tune.carve,
                  "How validation is carved: random (--validation of each listener's events) or leave-last (each "
                  "listener's last event: next-track choices; --auto's stacks then learn next tracks, carve=last)")
      ->capture_default_str();
  cmd->add_option("--seed", args->tune.seed, "Seed of the carve, the sampling and the models")->capture_default_str();
  cmd->add_option("--out", args->out, "Write the best spec to this file");
  cmd->add_option("--json", args->json_path, "Write every trial as JSON to this path");
  cmd->add_option("--items", args->items_csv, "Item features for content-aware models (see docs/FEATURES.md)");
  cmd->add_option("--text-dim", args->text_dim,
                  "With --items: also fastText embeddings of the items' text, this many dimensions (0 = off)");
  cmd->add_option("--users", args->users_csv, "User features CSV (docs/FEATURES.md)");
  cmd->add_option("--user-names", args->user_names,
                  "CSV user_id,name: playlist titles for title and rerank (e.g. playlists.csv); repeatable");
  cmd->add_option("--signal", args->input.signal, "Event type -> signal for CSV event names (as in import)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->add_option("--on-error", args->on_error, "fail or skip bad lines of the training CSV");
  cmd->callback([args] {
    set_default_threads(args->threads);
    if (args->automatic && !args->tune.base_spec.empty()) throw UsageError("--auto and --model: give one of them");
    if (!args->automatic && args->tune.base_spec.empty()) throw UsageError("--model is required (or --auto)");
    const double budget = args->automatic ? parse_budget(args->budget) : 0.0;
    if (!args->automatic) parse_spec(args->tune.base_spec);  // a bad spec fails before any data is read
    if (args->tune.carve != "random" && args->tune.carve != "leave-last")
      throw UsageError("--carve: '" + args->tune.carve + "' is not random or leave-last");
    IssueLog issues(parse_on_error(args->on_error));
    Dataset data = load_training(args->input, issues);
    print_issues(issues);
    for (const std::string& file : args->user_names) print_user_names(load_user_names(file, data), file);
    ItemFeatureInput features;
    if (!args->items_csv.empty()) {
      features = load_item_features(args->items_csv, data, item_feature_options(args->text_dim));
      std::printf("%s\n", features.report.summary().c_str());
      args->tune.item_features = &features.features;
    }
    FeatureMatrix user_features;
    if (!args->users_csv.empty()) {
      user_features = load_user_features(args->users_csv, data);
      args->tune.user_features = &user_features;
    }
    if (args->automatic) {
      AutoTuneOptions options;
      options.tune = args->tune;
      options.budget_seconds = budget;
      std::printf("%-4s %-9s %10s %8s %8s  %s\n", "#", "stage", args->tune.metric.c_str(), "fit s", "eval s", "spec");
      // Every trial goes to --json; the terminal gets the defaults, the stacks and
      // the search trials that beat their family's best so far.
      int index = 0, quiet = 0;
      std::map<std::string, double> family_best;
      const AutoTuneResult result = auto_tune(data, options, [&](const Trial& t, const std::string& stage) {
        ++index;
        const std::string family = t.spec.substr(0, t.spec.find(':'));
        const auto seen = family_best.find(family);
        const bool improved = !std::isnan(t.value) && (seen == family_best.end() || t.value > seen->second);
        if (improved) family_best[family] = t.value;
        if (stage == "search" && !improved) {
          ++quiet;
          return;
        }
        std::printf("%-4d %-9s %10.4f %8.2f %8.2f  %s\n", index, stage.c_str(), t.value, t.fit_seconds, t.eval_seconds,
                    t.spec.c_str());
        std::fflush(stdout);
      });
      std::printf("(%d search trials that did not beat their family's best are in --json only)\n", quiet);
      std::printf("best (%s on validation, %.0f s of %.0f): %s = %.4f\n", result.metric.c_str(), result.seconds, budget,
                  result.best.spec.c_str(), result.best.value);
      if (!args->out.empty()) write_file(args->out, result.best.spec + "\n", "--out");
      if (!args->json_path.empty()) {
        nlohmann::json out;
        out["metric"] = result.metric;
        out["budget_seconds"] = budget;
        out["seconds"] = result.seconds;
        out["best"] = {{"spec", result.best.spec}, {"value", result.best.value}};
        out["trials"] = nlohmann::json::array();
        for (const Trial& t : result.trials)
          out["trials"].push_back({{"spec", t.spec},
                                   {"value", std::isnan(t.value) ? nlohmann::json() : nlohmann::json(t.value)},
                                   {"fit_seconds", t.fit_seconds},
                                   {"eval_seconds", t.eval_seconds}});
        write_file(args->json_path, out.dump(2) + "\n", "--json");
      }
      return;
    }
    std::printf("%-4s %-5s %10s %8s %8s  %s\n", "#", "rung", args->tune.metric.c_str(), "fit s", "eval s", "spec");
    int index = 0;
    const TuneResult result = tune(data, args->tune, [&index](const Trial& t) {
      std::printf("%-4d %-5d %10.4f %8.2f %8.2f  %s\n", ++index, t.rung, t.value, t.fit_seconds, t.eval_seconds,
                  t.spec.c_str());
      std::fflush(stdout);
    });
    std::printf("best (%s on validation: %lld pairs of %lld users; %s search): %s = %.4f\n", result.metric.c_str(),
                static_cast<long long>(result.validation_pairs), static_cast<long long>(result.validation_users),
                result.search.c_str(), result.best.spec.c_str(), result.best.value);
    if (!args->out.empty()) write_file(args->out, result.best.spec + "\n", "--out");
    if (!args->json_path.empty()) {
      nlohmann::json out;
      out["metric"] = result.metric;
      out["search"] = result.search;
      if (!result.budget_key.empty()) out["budget_key"] = result.budget_key;
      out["validation"] = {{"carve", args->tune.carve},
                           {"fraction", args->tune.validation_fraction},
                           {"seed", args->tune.seed},
                           {"train_pairs", result.train_pairs},
                           {"validation_pairs", result.validation_pairs},
                           {"users", result.validation_users}};
      out["best"] = {{"spec", result.best.spec}, {"value", result.best.value}};
      out["trials"] = nlohmann::json::array();
      for (const Trial& t : result.trials)
        out["trials"].push_back({{"spec", t.spec},
                                 {"value", std::isnan(t.value) ? nlohmann::json() : nlohmann::json(t.value)},
                                 {"rung", t.rung},
                                 {"fit_seconds", t.fit_seconds},
                                 {"eval_seconds", t.eval_seconds}});
      write_file(args->json_path, out.dump(2) + "\n", "--json");
    }
  });
}

}  // namespace segue::cli
