// segue: the command line. main only builds the subcommands and turns any
// error into a one-line message and a non-zero exit code.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "cli/commands.h"
#include "data/error.h"
#ifdef SEGUE_WITH_TORCH
#include "deep/torch_model.h"
#endif

#ifdef SEGUE_WITH_TORCH
namespace {

// libtorch's OpenMP threads spin between parallel regions by default; beside
// OpenBLAS's own threads on a small machine that halved NeuMF's epoch speed
// (1.9 s vs 0.8 s on 2 cores) and made a busy machine 30x slower. GNU OpenMP
// reads OMP_WAIT_POLICY when it loads, before main, so when the user has not
// chosen a policy the CLI sets PASSIVE and starts itself again (once).
void prefer_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: carry on as is
}

}  // namespace
#endif

int main(int argc, char** argv) {
#ifdef SEGUE_WITH_TORCH
  prefer_passive_openmp(argv);
  segue::register_deep_models();
#endif
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    // One line, like every other error; --help lists the options.
    std::fprintf(stderr, "segue: error: %s (see --help)\n", error.what());
    return error.get_exit_code() != 0 ? error.get_exit_code() : 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "segue: error: out of memory\n");
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "segue: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
