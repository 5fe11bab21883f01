// segue: the command line. main only builds the subcommands and turns any
// error into a one-line message and a non-zero exit code.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <new>

#include "cli/commands.h"
#include "cli/world.h"
#include "data/error.h"
#include "models/runtime.h"

namespace {

// The --threads given to the chosen (sub)subcommand, or 0 (all cores).
int threads_option(const CLI::App& app) {
  for (const CLI::App* command : app.get_subcommands()) {
    const CLI::Option* threads = command->get_option_no_throw("--threads");
    if (threads != nullptr && threads->count() > 0) return std::max(0, threads->as<int>());
    if (const int nested = threads_option(*command); nested > 0) return nested;
  }
  return 0;
}

// The process-wide settings, once, after parsing and before any command runs.
// libtorch is not loaded here: the registry opens the deep-model module when a
// spec or model file names a deep model (models/deep_module.h).
void configure_runtime_for(const CLI::App& app) {
  segue::RuntimeOptions options;
  options.threads = threads_option(app);
  segue::configure_runtime(options);
}

}  // namespace

int main(int argc, char** argv) {
  // A write past the file-size limit (RLIMIT_FSIZE, what tests use for a full disk) must fail with EFBIG and a
  // clear error naming the file, not kill the process with SIGXFSZ halfway through a save.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"segue: music recommendation engine — import listening data, split, train, evaluate, recommend"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "segue 0.1.0");
  segue::cli::add_import_command(app);
  segue::cli::add_stats_command(app);
  segue::cli::add_split_command(app);
  segue::cli::add_export_command(app);
  segue::cli::add_train_command(app);
  segue::cli::add_eval_command(app);
  segue::cli::add_tune_command(app);
  segue::cli::add_recommend_command(app);
  segue::cli::add_similar_command(app);
  segue::cli::add_models_command(app);
  segue::cli::add_skips_command(app);
  segue::cli::add_ope_command(app);
  segue::cli::add_audio_command(app);
  segue::cli::add_synth_command(app);
  app.parse_complete_callback([&app] { configure_runtime_for(app); });
  segue::cli::add_serve_command(app);
  segue::cli::add_logs_command(app);
  segue::cli::add_ab_command(app);
  try {
    segue::cli::start_world(argc, argv);  // under mpirun: one of its ranks (docs/SCALE.md)
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    const int code = app.exit(help);
    segue::cli::end_world();
    return code;
  } catch (const CLI::CallForAllHelp& help) {
    const int code = app.exit(help);
    segue::cli::end_world();
    return code;
  } catch (const CLI::CallForVersion& version) {
    const int code = app.exit(version);
    segue::cli::end_world();
    return code;
  } catch (const CLI::ParseError& error) {
    // One line, like every other error; --help lists the options.
    std::fprintf(stderr, "segue: error: %s (see --help)\n", error.what());
    segue::cli::abort_world(2);  // one rank's error ends every rank of an mpirun job
    return error.get_exit_code() != 0 ? error.get_exit_code() : 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "segue: error: out of memory\n");
    segue::cli::abort_world(1);
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "segue: error: %s\n", error.what());
    segue::cli::abort_world(1);
    return 1;
  }
  segue::cli::end_world();
  return 0;
}
