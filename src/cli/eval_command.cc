// segue eval --train TRAIN.csv --test TEST.csv --model SPEC...: fit each model
// and measure it on full ranking (training items excluded), or on sampled
// ranking when asked (--protocol sampled:N); --skips scores skip predictions.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "eval/eval_report.h"
#include "cli/training_input.h"
#include "cli/world.h"
#include "eval/distributed_eval.h"
#include "data/store.h"
#include "eval/recs_file.h"
#include "eval/report_html.h"
#include "data/signal.h"
#include "eval/evaluator.h"
#include "eval/item_features_file.h"
#include "eval/test_set.h"
#include "features/item_features.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "util/thread_pool.h"

namespace segue::cli {
namespace {

struct EvalArgs {
  TrainingInput input;
  std::string test, json_path, report_path, recs, on_error = "fail";
  std::string protocol = "full", items_csv, users_csv, skips_csv, candidates_csv;
  int text_dim = 0;
  int bootstrap = 1000;
  std::vector<std::string> models, user_names;
  std::vector<std::string> metrics{"ndcg@10", "recall@10", "recall@20", "precision@10", "map@10",
                                   "mrr@10",  "hit@10",    "coverage@10"};
  int threads = 0;
  std::uint64_t seed = 42;
  bool distributed = false;
};

// A model's label in the table: its spec without default parameters (the
// JSON keeps the full spec); a recs file's label as it is.
std::string table_label(const std::string& model) {
  try {
    return parse_spec(model).to_short_string();
  } catch (const UsageError&) {
    return model;
  }
}

void print_table(const std::vector<EvalResult>& results, const std::vector<std::string>& metrics,
                 const std::string& protocol) {
  std::size_t label_width = 28;
  for (const auto& r : results) label_width = std::max(label_width, table_label(r.model).size());
  const int lw = static_cast<int>(label_width);
  std::printf("%-*s", lw, ("model [" + protocol + "]").c_str());
  for (const auto& m : metrics) std::printf(" %*s", static_cast<int>(std::max<std::size_t>(12, m.size())), m.c_str());
  std::printf(" %8s %8s\n", "fit s", "eval s");
  for (const auto& r : results) {
    std::printf("%-*s", lw, table_label(r.model).c_str());
    for (const auto& m : metrics) {
      const MetricResult* found = r.find(m);
      const int width = static_cast<int>(std::max<std::size_t>(12, m.size()));
      if (found) {
        std::printf(" %*.4f", width, found->mean);
      } else {
        std::printf(" %*s", width, "-");
      }
    }
    std::printf(" %8.2f %8.2f\n", r.fit_seconds, r.eval_seconds);
  }
  for (const auto& r : results) {
    if (r.fit_stats.empty()) continue;
    std::printf("%s:", table_label(r.model).c_str());
    for (const auto& [name, value] : r.fit_stats) std::printf(" %s %g", name.c_str(), value);
    std::printf("\n");
  }
}

// "full" -> 0; "sampled:N" -> N (>= 1); anything else is a UsageError.
std::int32_t parse_protocol(const std::string& text) {
  if (text == "full") return 0;
  const std::string prefix = "sampled:";
  int n = 0;
  if (text.rfind(prefix, 0) == 0) {
    const char* begin = text.data() + prefix.size();
    const char* end = text.data() + text.size();
    const auto parsed = std::from_chars(begin, end, n);
    if (parsed.ec == std::errc() && parsed.ptr == end && begin != end && n >= 1) return n;
  }
  throw UsageError("--protocol: expected 'full' or 'sampled:N' with N >= 1 negatives per user, got '" + text + "'");
}

// ild@k vectors from the feature pipeline, for an items file the plain ild
// reader cannot read (text and categorical columns): the numeric z-scores
// (audio, numeric), then tags and genres, most frequent first, as many as fit
// in max_floats. A row that is not described, or lacks one of the numeric
// features, is NaN (no part in diversity), as in the plain reader.
ItemFeatures ild_features_from(const FeatureMatrix& m, std::int32_t& numeric_dims, std::int32_t& term_dims,
                               std::int64_t max_floats = std::int64_t{1} << 25) {
  std::vector<std::int32_t> numeric, terms;
  std::vector<std::int64_t> df(static_cast<std::size_t>(m.n_features), 0);
  for (const std::int32_t f : m.indices) ++df[static_cast<std::size_t>(f)];
  for (std::int32_t f = 0; f < m.n_features; ++f) {
    const std::string& g = m.groups[static_cast<std::size_t>(m.group_of[static_cast<std::size_t>(f)])];
    if (g == "audio" || g == "numeric") numeric.push_back(f);
    else if (g == "tag" || g == "genre") terms.push_back(f);
  }
  std::stable_sort(terms.begin(), terms.end(), [&](std::int32_t a, std::int32_t b) { return df[a] > df[b]; });
  const std::int64_t room = std::max<std::int64_t>(0, max_floats / std::max(m.n_rows, 1) - static_cast<std::int64_t>(numeric.size()));
  if (static_cast<std::int64_t>(terms.size()) > room) terms.resize(static_cast<std::size_t>(room));
  std::vector<std::int32_t> column(static_cast<std::size_t>(m.n_features), -1);
  std::int32_t dim = 0;
  for (const std::int32_t f : numeric) column[static_cast<std::size_t>(f)] = dim++;
  for (const std::int32_t f : terms) column[static_cast<std::size_t>(f)] = dim++;
  numeric_dims = static_cast<std::int32_t>(numeric.size());
  term_dims = static_cast<std::int32_t>(terms.size());
  ItemFeatures out;
  out.dim = dim;
  out.values.assign(static_cast<std::size_t>(dim) * static_cast<std::size_t>(m.n_rows),
                    std::numeric_limits<float>::quiet_NaN());
  for (std::int32_t i = 0; i < m.n_rows; ++i) {
    if (!m.described[static_cast<std::size_t>(i)] || dim == 0) continue;
    float* row = out.values.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(dim);
    std::fill(row, row + dim, 0.0f);
    std::int32_t numeric_seen = 0;
    const auto idx = m.row_indices(i);
    const auto val = m.row_values(i);
    for (std::size_t j = 0; j < idx.size(); ++j) {
      const std::int32_t c = column[static_cast<std::size_t>(idx[j])];
      if (c < 0) continue;
      row[c] = val[j];
      if (c < numeric_dims) ++numeric_seen;
    }
    if (numeric_seen < numeric_dims) std::fill(row, row + dim, std::numeric_limits<float>::quiet_NaN());
  }
  return out;
}

void write_text(const std::string& path, const std::string& text, const char* option) {
  std::ofstream file(path);
  if (!(file << text)) throw UsageError(std::string(option) + ": cannot write '" + path + "'");
}

// --skips PRED.csv: skip-prediction metrics on their own.
void run_skips(const EvalArgs& args) {
  if (!args.models.empty() || !args.recs.empty() || !args.test.empty() || !args.items_csv.empty() ||
      !args.report_path.empty() || !args.candidates_csv.empty())
    throw UsageError("--skips: evaluates skip predictions on its own (drop --model, --recs, --test, --items, --report)");
  const SkipPredictions predictions = read_skip_predictions(args.skips_csv);
  const nlohmann::json metrics = skip_metrics_json(predictions);
  std::printf("skip predictions: %lld events in %lld sessions (%s)\n\n",
              static_cast<long long>(predictions.prediction.size()), static_cast<long long>(predictions.sessions),
              args.skips_csv.c_str());
  for (const char* key : {"accuracy", "auc", "log_loss", "mean_average_accuracy", "first_prediction_accuracy"}) {
    if (metrics[key].is_null()) std::printf("%-26s %10s  (one class only: undefined)\n", key, "-");
    else std::printf("%-26s %10.4f\n", key, metrics[key].get<double>());
  }
  if (args.json_path.empty()) return;
  nlohmann::json out = {{"protocol", "skip-prediction"}, {"dataset", args.skips_csv}, {"skips", metrics}};
  write_text(args.json_path, out.dump(2) + "\n", "--json");
}

void run_eval(const EvalArgs& args) {
  set_default_threads(args.threads);
  if (!args.skips_csv.empty()) return run_skips(args);
  if (args.test.empty()) throw UsageError("--test TEST.csv is required (or --skips PRED.csv)");
  if (args.models.empty() == args.recs.empty()) throw UsageError("give --model SPEC (repeatable) or --recs RECS.csv");
  const std::int32_t sampled = parse_protocol(args.protocol);
  if (sampled > 0 && !args.recs.empty())
    throw UsageError("--protocol " + args.protocol +
                     ": needs --model; a recs file has no scores to rank the sampled candidates by");
  if (world() != nullptr && (sampled > 0 || !args.candidates_csv.empty()))
    throw UsageError("--protocol sampled and --candidates are not supported across MPI ranks yet: run without mpirun");
  if (!args.candidates_csv.empty() && sampled > 0)
    throw UsageError("--candidates: only with --protocol full (the candidate set is the ranking's item pool)");
  if (args.bootstrap < 0) throw UsageError("--bootstrap: must be >= 0 (0 = no confidence intervals)");
  std::vector<std::unique_ptr<Recommender>> models;
  for (const auto& spec : args.models) models.push_back(make_recommender(spec));  // fail fast on bad specs
  std::vector<std::string> metrics = args.metrics;
  bool ild_added = false;
  if (!args.items_csv.empty() &&
      std::none_of(metrics.begin(), metrics.end(), [](const std::string& m) { return m.rfind("ild@", 0) == 0; })) {
    metrics.push_back("ild@10");  // --items is given for diversity
    ild_added = true;
  }
  if (!args.report_path.empty() && std::find(metrics.begin(), metrics.end(), "recall@50") == metrics.end())
    metrics.push_back("recall@50");  // the report's recall@k curve runs to 50
  parse_metrics([&] {
    std::string joined;
    for (const auto& m : metrics) joined += (joined.empty() ? "" : ",") + m;
    return joined;
  }());

  const SplitInfo split = read_split_info(args.test);  // before the data: a broken split.json fails fast
  IssueLog issues(parse_on_error(args.on_error));
  const SignalTable signal = args.input.signal.empty() ? SignalTable::defaults() : SignalTable::parse(args.input.signal);
  const Dataset test_data = load_interactions_csv(args.test, signal, issues);
  // --recs without --train: the ids of the test file, and no training items to exclude.
  const bool has_train = !args.input.train_csv.empty() || !args.input.data_dir.empty();
  if (!has_train && args.recs.empty()) throw UsageError("give --train FILE or --data DIR");
  Dataset train_data = has_train ? load_training(args.input, issues) : Dataset{};
  const Dataset& id_space = has_train ? train_data : test_data;
  print_issues(issues);
  if (!args.user_names.empty() && !has_train) throw UsageError("--user-names needs --train or --data");
  for (const std::string& file : args.user_names) print_user_names(load_user_names(file, train_data), file);
  // --items with --model: the feature pipeline, over the training items extended
  // by the catalogue (items without interactions become scorable).
  const std::int32_t training_items = train_data.n_items();
  ItemFeatureInput pipeline;
  // The pipeline also extends the item space by the catalogue, so a recs file
  // may name cold items too.
  const bool use_pipeline = !args.items_csv.empty() && has_train;
  if (use_pipeline) {
    pipeline = load_item_features(args.items_csv, train_data, item_feature_options(args.text_dim));
    std::printf("%s\n", pipeline.report.summary().c_str());
  }
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
  if (sampled > 0)
    std::printf("\nprotocol: %s: each user's relevant test items ranked against %d items drawn at random (seed %llu) "
                "from those in neither their train nor test; NOT comparable with full ranking\n",
                args.protocol.c_str(), sampled, static_cast<unsigned long long>(args.seed));
  else if (train.n_items != training_items)
    std::printf("\nprotocol: full ranking over all %d items (%d training items + %d catalogue items without "
                "interactions from --items), each user's training items excluded\n",
                train.n_items, training_items, train.n_items - training_items);
  else
    std::printf("\nprotocol: full ranking over all %d training items, each user's training items excluded\n",
                train.n_items);
  CandidateSet candidates;
  if (!args.candidates_csv.empty()) {
    candidates = read_candidates(args.candidates_csv, id_space.items);
    std::printf("candidates: ranking restricted to %lld items from %s (every other item excluded from every list; "
                "test items outside the set are not relevant); %lld ids read, %lld unknown to train%s",
                static_cast<long long>(candidates.items), args.candidates_csv.c_str(),
                static_cast<long long>(candidates.ids), static_cast<long long>(candidates.unknown_ids),
                args.items_csv.empty() ? "" : " and --items");
    for (std::size_t i = 0; i < candidates.first_unknown.size(); ++i)
      std::printf("%s'%s'", i == 0 ? " (first: " : ", ", candidates.first_unknown[i].c_str());
    if (!candidates.first_unknown.empty()) std::printf(")");
    if (candidates.duplicates > 0) std::printf(", %lld repeated", static_cast<long long>(candidates.duplicates));
    std::printf("\n");
  }
  if (split.found) std::printf("%s\n", describe_split(split).c_str());
  TestPlaylists playlists;
  bool by_seed = false;
  if (split.method == "playlist-continuation") {
    const std::string path = (std::filesystem::path(args.test).parent_path() / "test_playlists.csv").string();
    if (std::filesystem::is_regular_file(path)) {
      playlists = read_test_playlists(path, id_space.users);
      by_seed = true;
    } else {
      std::printf("  no %s: no seed-bucket breakdown\n", path.c_str());
    }
  }
  EvalOptions options;
  options.metrics = metrics;
  options.keep_lists = !args.report_path.empty();
  if (!args.candidates_csv.empty()) options.candidates = &candidates.mask;
  ItemFeaturesFile item_features;
  ItemFeatures pipeline_ild;
  std::int32_t ild_numeric = 0, ild_terms = 0;
  const bool ild_from_pipeline =
      use_pipeline && (pipeline.report.has_categorical || !pipeline.report.ignored_columns.empty());
  if (ild_from_pipeline) {
    pipeline_ild = ild_features_from(pipeline.features, ild_numeric, ild_terms);
    if (pipeline_ild.dim == 0 && ild_added) {
      std::printf("ild: no numeric, tag or genre feature in %s: ild@10 not computed\n", args.items_csv.c_str());
      metrics.erase(std::find(metrics.begin(), metrics.end(), "ild@10"));
      options.metrics = metrics;
    } else {
      std::printf("ild: item vectors from the feature pipeline: %d numeric features and %d tag/genre features\n",
                  ild_numeric, ild_terms);
      options.item_features = &pipeline_ild;
    }
  } else if (!args.items_csv.empty()) {
    item_features = read_item_features_csv(args.items_csv, id_space.items);
    const ItemFeaturesFile& f = item_features;
    std::printf("items: %lld rows; %lld of %d training items have features (%d numeric columns, %d tags); %lld rows "
                "with a missing value; %lld ids unknown to train (%lld rows) ignored\n",
                static_cast<long long>(f.rows), static_cast<long long>(f.items_with_row - f.incomplete_rows),
                train.n_items, f.numeric_columns, f.tag_columns, static_cast<long long>(f.incomplete_rows),
                static_cast<long long>(f.unknown_items), static_cast<long long>(f.unknown_item_rows));
    options.item_features = &item_features.features;
  }
  std::printf("\n");
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
  FeatureMatrix user_features;
  if (!args.users_csv.empty() && !models.empty()) {
    if (!has_train) throw UsageError("--users needs --train or --data");
    user_features = load_user_features(args.users_csv, train_data);
  }
  for (auto& model : models) {
    FitContext context;
    context.dataset = &train_data;
    context.seed = args.seed;
    if (use_pipeline) context.item_features = &pipeline.features;
    if (!args.users_csv.empty()) context.user_features = &user_features;
    ProgressBar bar("fit " + model->name());
    context.progress = fit_progress(bar);
    context.collective = world();
    model->fit(train, context);
    bar.finish();
    if (sampled > 0) results.push_back(evaluate_sampled(*model, train, test.feedback, {sampled, args.seed}, options));
    else if (world() != nullptr) results.push_back(evaluate_distributed(*model, train, test.feedback, options, *world()));
    else results.push_back(evaluate(*model, train, test.feedback, options));
  }
  print_table(results, metrics,
              args.candidates_csv.empty() ? args.protocol
                                          : args.protocol + ", " + std::to_string(candidates.items) + " candidates");
  const EvalResult& first = results.front();
  std::printf("\nusers evaluated: %lld of %lld test users (%lld without training data, %lld whose test items were all "
              "training items)\n",
              static_cast<long long>(first.evaluated_users), static_cast<long long>(first.test_users),
              static_cast<long long>(first.cold_users), static_cast<long long>(first.repeat_only_users));
  if (!args.candidates_csv.empty())
    std::printf("%lld test users had no relevant test item among the candidates: not evaluated\n",
                static_cast<long long>(first.non_candidate_only_users));
  if (sampled > 0 && first.sampled_short_users > 0)
    std::printf("%lld users had fewer than %d eligible negatives and were ranked against all they had\n",
                static_cast<long long>(first.sampled_short_users), sampled);
  if (by_seed) {
    std::printf("\nby number of seed tracks (playlist continuation):\n");
    for (const EvalResult& r : results) {
      const nlohmann::json buckets = seed_bucket_json(r, playlists);
      for (const nlohmann::json& b : buckets) {
        std::printf("%-28s seeds %4d: %5lld playlists, %5lld evaluated", r.model.c_str(), b["num_seed"].get<int>(),
                    b["playlists"].get<long long>(), b["users_evaluated"].get<long long>());
        for (const MetricResult& metric : r.metrics) {  // in --metrics order
          if (!b["metrics"].contains(metric.name)) continue;
          const nlohmann::json& v = b["metrics"][metric.name];
          if (v.is_null()) std::printf("  %s -", metric.name.c_str());
          else std::printf("  %s %.4f", metric.name.c_str(), v.get<double>());
        }
        std::printf("\n");
      }
    }
  }
  if (args.json_path.empty() && args.report_path.empty()) return;
  EvalJsonOptions json_options;
  json_options.bootstrap = args.bootstrap;
  json_options.seed = args.seed;
  json_options.report_extras = !args.report_path.empty();
  json_options.protocol = args.protocol;
  nlohmann::json out = eval_json(results, train, test.feedback, json_options);
  if (sampled > 0) out["protocol_seed"] = args.seed;
  if (split.found) out["split"] = split.summary;
  if (by_seed)
    for (std::size_t m = 0; m < results.size(); ++m) out["results"][m]["seed_buckets"] = seed_bucket_json(results[m], playlists);
  if (!args.candidates_csv.empty()) {
    out["candidates"] = {{"file", args.candidates_csv},
                         {"items", candidates.items},
                         {"ids_read", candidates.ids},
                         {"unknown_ids", candidates.unknown_ids},
                         {"duplicates", candidates.duplicates},
                         {"rule", "ranking restricted to the candidates; other items excluded from every list; test "
                                  "items outside the set not relevant; coverage over the candidates"}};
    out["protocol"] = args.protocol + "+candidates";
    for (std::size_t m = 0; m < results.size(); ++m)
      out["results"][m]["non_candidate_only_users"] = results[m].non_candidate_only_users;
  }
  if (use_pipeline) {
    const ItemFeatureReport& r = pipeline.report;
    nlohmann::json groups = nlohmann::json::array();
    for (const FeatureGroupReport& g : r.groups)
      groups.push_back({{"group", g.group}, {"features", g.features}, {"items", g.items}});
    out["feature_pipeline"] = {{"file", args.items_csv},
                               {"rows", r.rows},
                               {"training_items", r.items_before},
                               {"described_training_items", r.described_training_items},
                               {"added_catalogue_items", r.added_items},
                               {"items", r.items_after},
                               {"features", pipeline.features.n_features},
                               {"missing_values", r.missing_values},
                               {"items_without_features", r.items_without_features},
                               {"dropped_terms", r.dropped_terms},
                               {"groups", groups}};
  }
  if (ild_from_pipeline)
    out["item_features"] = {{"file", args.items_csv},
                            {"source", "feature pipeline"},
                            {"numeric_columns", ild_numeric},
                            {"tag_columns", ild_terms}};
  else if (!args.items_csv.empty())
    out["item_features"] = {{"file", args.items_csv},
                            {"rows", item_features.rows},
                            {"numeric_columns", item_features.numeric_columns},
                            {"tag_columns", item_features.tag_columns},
                            {"items_with_features", item_features.items_with_row - item_features.incomplete_rows},
                            {"incomplete_rows", item_features.incomplete_rows},
                            {"unknown_items", item_features.unknown_items},
                            {"unknown_item_rows", item_features.unknown_item_rows}};
  out["test_events_unknown_user"] = test.unknown_user_events;
  out["test_events_unknown_item"] = test.unknown_item_events;
  out["test_users_only_unknown_items"] = test.users_only_unknown_items;
  out["dataset"] = args.test;
  if (!is_root()) return;  // every rank holds the same results; rank 0 writes them
  if (!args.json_path.empty()) write_text(args.json_path, out.dump(2) + "\n", "--json");
  if (!args.report_path.empty()) {
    out["title"] = "segue eval";
    write_text(args.report_path, render_report_html(out), "--report");
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Train model specs and evaluate them (full ranking by default)");
  cmd->add_option("--train", args->input.train_csv, "Training CSV (user_id,item_id[,weight,timestamp,event])");
  cmd->add_option("--data", args->input.data_dir, "Or: a store directory used whole as training data");
  cmd->add_option("--test", args->test, "Test CSV (same columns; ids mapped into the training ids)");
  cmd->add_option("--model", args->models, "Model spec, repeatable (see `segue models`)");
  cmd->add_option("--recs", args->recs, "Or: evaluate a recommendation file (header user_id,item_id,rank)");
  cmd->add_option("--report", args->report_path, "Also write a self-contained HTML report to this path");
  cmd->add_option("--bootstrap", args->bootstrap, "Bootstrap resamples for CIs and paired tests (0 = none)")
      ->capture_default_str();
  cmd->add_option("--metrics", args->metrics, "Metrics, e.g. ndcg@10 recall@20 (comma or space separated)")
      ->delimiter(',');
  cmd->add_option("--json", args->json_path, "Also write the results as JSON to this path");
  cmd->add_option("--protocol", args->protocol,
                  "full (default) or sampled:N (rank the test items against N random negatives; --model only)")
      ->capture_default_str();
  cmd->add_option("--items", args->items_csv,
                  "Item features CSV (item_id + artist, name, album, genre, year, tags, text, numeric columns): "
                  "with --model, the feature pipeline (docs/FEATURES.md; its catalogue items join the ranking); "
                  "also item vectors for ild@k");
  cmd->add_option("--text-dim", args->text_dim,
                  "With --items and --model: also fastText embeddings of the items' text, this many dimensions");
  cmd->add_option("--users", args->users_csv, "User features CSV for models that use them (docs/FEATURES.md)");
  cmd->add_option("--user-names", args->user_names,
                  "CSV user_id,name: playlist titles for title and rerank (e.g. playlists.csv and the split's "
                  "test_playlists.csv); repeatable");
  cmd->add_option("--candidates", args->candidates_csv,
                  "Restrict ranking to these items (one item id per line), e.g. the cold items of a split");
  cmd->add_option("--skips", args->skips_csv,
                  "Score skip predictions instead (header session_id,position,skip,prediction)");
  cmd->add_option("--signal", args->input.signal, "Event type -> signal for CSV event names (as in import)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->add_option("--seed", args->seed, "Seed for models that draw random numbers and for sampled negatives")->capture_default_str();
  cmd->add_option("--on-error", args->on_error, "fail or skip bad lines of the CSV files");
  cmd->add_flag("--distributed", args->distributed,
                "Assert an mpirun launch: models fit across the ranks where they can (ials), users are ranked "
                "in blocks, rank 0 writes the table and files (docs/SCALE.md); mpirun alone does the same");
  cmd->callback([args] {
    if (args->distributed) require_distributed("eval");
    run_eval(*args);
  });
}

}  // namespace segue::cli
