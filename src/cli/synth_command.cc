// segue synth --like STORE --users N --items M --rows R --seed S --out DIR:
// a synthetic data set with the measured statistics of a real store, for
// scale and speed only (docs/SCALE.md, "Synthetic data").
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "data/error.h"
#include "data/store.h"
#include "data/synth.h"

namespace segue::cli {

void add_synth_command(CLI::App& app) {
  struct Args {
    std::string like, out;
    SynthOptions options;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "synth", "Generate a large SYNTHETIC data set with a real store's measured statistics (scale tests only)");
  cmd->add_option("--like", args->like, "Store directory whose statistics the output keeps")->required();
  cmd->add_option("--users", args->options.users, "Synthetic users (playlists)")->required();
  cmd->add_option("--items", args->options.items, "Synthetic items (tracks)")->required();
  cmd->add_option("--rows", args->options.rows, "Rows: distinct (user, item) pairs, exactly")->required();
  cmd->add_option("--seed", args->options.seed, "Random seed (same seed, same build: same output)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Output directory (synthetic*.csv, synth.json, SYNTHETIC.md)")->required();
  cmd->add_option("--clusters", args->options.clusters, "Item clusters of the fitted model's item vectors")
      ->capture_default_str();
  cmd->add_option("--model", args->options.model, "Model fitted on the source for its item vectors")
      ->capture_default_str();
  cmd->add_option("--popularity-mix", args->options.popularity_mix,
                  "Share of rows drawn from item popularity alone, not the user's taste")
      ->capture_default_str();
  cmd->add_option("--test-fraction", args->options.test_fraction,
                  "> 0: write synthetic_train.csv and synthetic_test.csv (each row to test with this probability)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (0 = all cores; the output does not depend on it)");
  cmd->callback([args] {
    validate(args->options);
    const auto start = std::chrono::steady_clock::now();
    const Dataset source = load_dataset(args->like);
    const SynthProfile profile = measure_source(source, args->options);
    const double measured = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "measured %s: %d users, %d items, %lld rows; %s fitted in %.1f s, %d clusters (%.1f s)\n",
                 args->like.c_str(), profile.source_users, profile.source_items,
                 static_cast<long long>(profile.source_rows), profile.model.c_str(), profile.fit_seconds,
                 profile.clusters, measured);
    const SynthSummary s = write_synthetic(profile, args->options, args->out, args->like);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("SYNTHETIC data -> %s: %d users, %d items, %lld rows (seed %llu) in %.1f s\n", args->out.c_str(),
                s.users, args->options.items, static_cast<long long>(s.rows),
                static_cast<unsigned long long>(args->options.seed), total);
    std::printf("popularity share of the top 1%%/10%%/50%% items: source %.3f/%.3f/%.3f, output %.3f/%.3f/%.3f\n",
                s.source_popularity.top1_share, s.source_popularity.top10_share, s.source_popularity.top50_share,
                s.output_popularity.top1_share, s.output_popularity.top10_share, s.output_popularity.top50_share);
    std::printf("power-law slope: source %.3f, output %.3f; mean length: source %.1f, output %.1f; "
                "top-cluster share: source %.3f, output %.3f\n",
                s.source_popularity.power_law_slope, s.output_popularity.power_law_slope, s.source_mean_length,
                s.output_mean_length, s.source_top_cluster_share, s.output_top_cluster_share);
  });
}

}  // namespace segue::cli
