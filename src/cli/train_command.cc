// segue train: fit one model spec on training data and save it to a model file.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "cli/training_input.h"
#include "cli/world.h"
#include "data/error.h"
#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "util/thread_pool.h"

namespace segue::cli {

void add_train_command(CLI::App& app) {
  struct Args {
    TrainingInput input;
    std::string model, out, on_error = "fail", items_csv, users_csv;
    std::vector<std::string> user_names;
    int threads = 0, text_dim = 0;
    std::uint64_t seed = 42;
    bool distributed = false, resume = false;
    std::string checkpoint;
    int checkpoint_every = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("train", "Fit a model on training data and save it");
  cmd->add_option("--train", args->input.train_csv, "Training CSV (user_id,item_id[,weight,timestamp,event])");
  cmd->add_option("--data", args->input.data_dir, "Or: a store directory from `segue import` (all its events)");
  cmd->add_option("--model", args->model, "Model spec, e.g. pop or pop:decay_days=30 (see `segue models`)")
      ->required();
  cmd->add_option("--out", args->out, "Model file to write (atomically)")->required();
  cmd->add_option("--signal", args->input.signal, "Event type -> signal for CSV event names (as in import)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->add_option("--seed", args->seed, "Seed for models that draw random numbers")->capture_default_str();
  cmd->add_option("--on-error", args->on_error, "fail or skip bad lines of the training CSV");
  cmd->add_option("--user-names", args->user_names,
                  "CSV user_id,name: playlist titles for the title model and rerank (e.g. a split's "
                  "test_playlists.csv or an export of the store's playlists); repeatable");
  cmd->add_option("--items", args->items_csv,
                  "Item features CSV (item_id + artist, name, album, genre, year, tags, text, numeric columns); "
                  "its items without interactions join the catalogue (docs/FEATURES.md)");
  cmd->add_option("--text-dim", args->text_dim,
                  "With --items: also fastText embeddings of the items' text, this many dimensions (0 = off)");
  cmd->add_option("--users", args->users_csv,
                  "User features CSV (user_id + columns such as friends, country; docs/FEATURES.md)");
  cmd->add_flag("--distributed", args->distributed,
                "Train across the ranks of mpirun -np P (ials splits its solves; docs/SCALE.md); rank 0 writes --out");
  cmd->add_option("--checkpoint", args->checkpoint,
                  "Checkpoint file of an iterative fit (ials), written every --checkpoint-every iterations");
  cmd->add_option("--checkpoint-every", args->checkpoint_every, "Iterations between checkpoints (0 = none)");
  cmd->add_flag("--resume", args->resume, "Start from --checkpoint when it exists (same spec and data)");
  cmd->callback([args] {
    if (args->distributed) require_distributed("train");
    if (args->checkpoint_every < 0) throw UsageError("--checkpoint-every: must be >= 0");
    if ((args->checkpoint_every > 0 || args->resume) && args->checkpoint.empty())
      throw UsageError("--checkpoint-every and --resume need --checkpoint FILE");
    set_default_threads(args->threads);
    auto model = make_recommender(args->model);  // bad specs fail before any data is read
    if (!args->checkpoint.empty() && model->name() != "ials")
      throw UsageError("--checkpoint: " + model->name() +
                       " takes no checkpoints here (ials does; the deep models have their own checkpoint=PATH "
                       "parameter, docs/DEEP.md)");
    IssueLog issues(parse_on_error(args->on_error));
    Dataset data = load_training(args->input, issues);
    print_issues(issues);
    for (const std::string& file : args->user_names) print_user_names(load_user_names(file, data), file);
    ItemFeatureInput item_features;
    if (!args->items_csv.empty()) {
      item_features = load_item_features(args->items_csv, data, item_feature_options(args->text_dim));  // extends data's items by the catalogue
      std::printf("%s\n", item_features.report.summary().c_str());
    }
    const FeedbackMatrix train = build_feedback(data);
    FitContext context;
    if (!args->items_csv.empty()) context.item_features = &item_features.features;
    FeatureMatrix user_features;
    if (!args->users_csv.empty()) {
      user_features = load_user_features(args->users_csv, data);
      context.user_features = &user_features;
    }
    context.dataset = &data;
    context.seed = args->seed;
    context.collective = world();
    context.checkpoint_path = args->checkpoint;
    context.checkpoint_every = args->checkpoint_every;
    context.resume = args->resume;
    ProgressBar bar("fit " + model->name());
    context.progress = fit_progress(bar);
    model->fit(train, context);
    bar.finish();
    model->set_id_maps(data.users, data.items);
    if (is_root()) model->save(args->out);  // every rank holds the same model
    std::printf("trained %s on %d users, %d items, %lld pairs in %.2f s -> %s\n",
                model->params().to_string().c_str(), train.n_users, train.n_items,
                static_cast<long long>(train.nnz()), model->fit_seconds(), args->out.c_str());
    if (!model->fit_stats().empty()) {
      std::printf("fit stats:");
      for (const auto& [name, value] : model->fit_stats()) std::printf(" %s %g", name.c_str(), value);
      std::printf("\n");
    }
  });
}

}  // namespace segue::cli
