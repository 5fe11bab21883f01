// segue split DIR --method M --seed N --out DIR2: train/test files from a store.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "data/error.h"
#include "data/split.h"
#include "data/store.h"
#include "data/timestamp.h"

namespace segue::cli {

void add_split_command(CLI::App& app) {
  struct Args {
    std::string dir, out;
    SplitOptions options;
    std::string cut_time;
  };
  auto args = std::make_shared<Args>();
  args->options.method = "random";
  CLI::App* cmd = app.add_subcommand("split", "Split a store into train.csv and test.csv (see docs/SPLITS.md)");
  cmd->add_option("dir", args->dir, "Store directory written by `segue import`")->required();
  cmd->add_option("--method", args->options.method,
                  "random, leave-last, temporal, cold-items, cold-users, playlist-continuation")
      ->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Random seed (the split is deterministic under it)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Output directory for train.csv, test.csv, split.json")->required();
  cmd->add_option("--test-fraction", args->options.test_fraction,
                  "random: share of each user's events; temporal: share after the cut; playlist-continuation: "
                  "share of playlists")
      ->capture_default_str();
  cmd->add_option("--leave-n", args->options.leave_n, "leave-last: events per user held out")->capture_default_str();
  cmd->add_option("--cold-fraction", args->options.cold_fraction, "cold-items/cold-users: share held out whole")
      ->capture_default_str();
  cmd->add_option("--cut-time", args->options.cut_time, "temporal: explicit cut (unix seconds or ISO-8601 date); default: the time quantile");
  cmd->add_option("--seed-counts", args->options.seed_counts,
                  "playlist-continuation: seed sizes dealt round-robin (default 0 1 5 10 25 100)");
  cmd->callback([args] {
    if (!args->cut_time.empty() && !parse_timestamp(args->cut_time, args->options.cut_time))
      throw UsageError("--cut-time: expected unix seconds or an ISO-8601 date, got '" + args->cut_time + "'");
    validate(args->options);
    const Dataset dataset = load_dataset(args->dir);
    const Split split = split_dataset(dataset, args->options);
    write_split(dataset, split, args->options, args->out);
    std::printf("split %s (%s, seed %llu) -> %s\n", args->dir.c_str(), args->options.method.c_str(),
                static_cast<unsigned long long>(args->options.seed), args->out.c_str());
    std::printf("train: %zu events, %lld users; test: %zu events, %lld users; cold start: %s\n", split.train.size(),
                static_cast<long long>(split.train_users), split.test.size(),
                static_cast<long long>(split.test_users), to_string(split.cold));
    if (split.dropped_events > 0)
      std::printf("dropped %lld events (%lld test users without training data, %lld events without a timestamp)\n",
                  static_cast<long long>(split.dropped_events), static_cast<long long>(split.dropped_test_users),
                  static_cast<long long>(split.untimed_events));
  });
}

}  // namespace segue::cli
