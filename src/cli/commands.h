// One function per subcommand: each registers its options on the CLI11 app
// and the callback that runs it. Commands parse, call the library, print.
#pragma once

#include <CLI/CLI.hpp>

namespace segue::cli {

void add_import_command(CLI::App& app);
void add_stats_command(CLI::App& app);
void add_split_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_recommend_command(CLI::App& app);
void add_similar_command(CLI::App& app);
void add_models_command(CLI::App& app);
void add_tune_command(CLI::App& app);
void add_skips_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_logs_command(CLI::App& app);
void add_ab_command(CLI::App& app);
void add_ope_command(CLI::App& app);
void add_audio_command(CLI::App& app);
void add_synth_command(CLI::App& app);

}  // namespace segue::cli
