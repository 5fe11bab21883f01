// segue stats DIR [--json]: describe an imported data set.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "data/stats.h"
#include "data/store.h"

namespace segue::cli {

void add_stats_command(CLI::App& app) {
  struct Args {
    std::string dir;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("stats", "Describe an imported data set (users, items, density, events, ...)");
  cmd->add_option("dir", args->dir, "Store directory written by `segue import`")->required();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    const DatasetStats stats = compute_stats(load_dataset(args->dir));
    if (args->json) {
      std::printf("%s\n", to_json(stats).dump(2).c_str());
    } else {
      std::printf("%s", to_text(stats).c_str());
    }
  });
}

}  // namespace segue::cli
