// segue models: the registered models with their parameters and defaults.
#include <cstdio>

#include "cli/commands.h"
#include "models/registry.h"

namespace segue::cli {

void add_models_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("models", "List the models and their parameters (for --model SPEC)");
  cmd->callback([] { std::printf("%s", describe_models().c_str()); });
}

}  // namespace segue::cli
