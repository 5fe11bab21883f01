// segue export DIR --format recbole --out DIR2: hand a store to another tool.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "data/export_recbole.h"
#include "data/store.h"

namespace segue::cli {

void add_export_command(CLI::App& app) {
  struct Args {
    std::string dir, out, format = "recbole", name = "segue";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("export", "Write a store in another tool's format (RecBole atomic files)");
  cmd->add_option("dir", args->dir, "Store directory written by `segue import`")->required();
  cmd->add_option("--format", args->format, "Output format: recbole")->capture_default_str();
  cmd->add_option("--out", args->out, "Output directory")->required();
  cmd->add_option("--name", args->name, "recbole: data set name (NAME.inter, NAME.item, NAME.user)")
      ->capture_default_str();
  cmd->callback([args] {
    if (args->format != "recbole")
      throw UsageError("--format: unknown export format '" + args->format + "' (known: recbole)");
    const Dataset dataset = load_dataset(args->dir);
    export_recbole(dataset, args->out, args->name);
    std::printf("exported %s -> %s/%s.inter (%lld interactions)\n", args->dir.c_str(), args->out.c_str(),
                args->name.c_str(), static_cast<long long>(dataset.interactions.size()));
  });
}

}  // namespace segue::cli
