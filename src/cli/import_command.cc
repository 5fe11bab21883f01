// segue import: a raw data set in one of the known formats -> a binary store,
// with optional duplicate merging, minimum weight and k-core filtering.
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/dataset_summary.h"
#include "cli/progress_bar.h"
#include "data/filters.h"
#include "data/importer.h"
#include "data/store.h"

namespace segue::cli {
namespace {

struct ImportArgs {
  std::string format;
  std::string input;
  std::string out;
  std::string on_error = "fail";
  std::string signal;
  std::string duplicates = "keep";
  std::string delimiter;
  int kcore_users = 0;
  int kcore_items = 0;
  float min_weight = 0;
  int threads = 0;
  CsvColumns columns;
};

void run_import(const ImportArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  ImportOptions options;
  options.signal = args.signal.empty() ? SignalTable::defaults() : SignalTable::parse(args.signal);
  options.columns = args.columns;
  // Columns named weight, timestamp, event, session or position are read
  // without their flags (as `segue split` writes them): re-importing a split's
  // train.csv used to drop its play counts silently.
  options.columns.detect_optional = true;
  options.threads = args.threads;
  if (args.delimiter == "tab" || args.delimiter == "\\t") {
    options.delimiter = '\t';
  } else if (args.delimiter.size() == 1) {
    options.delimiter = args.delimiter[0];
  } else if (!args.delimiter.empty()) {
    throw UsageError("--delimiter: expected one character or 'tab', got '" + args.delimiter + "'");
  }
  FilterOptions filters;
  filters.kcore_users = args.kcore_users;
  filters.kcore_items = args.kcore_items;
  filters.duplicates = parse_duplicates(args.duplicates);
  filters.min_weight = args.min_weight;
  if (args.kcore_users < 0 || args.kcore_items < 0) throw UsageError("--kcore-users/--kcore-items: must be >= 0");
  if (!(args.min_weight >= 0)) throw UsageError("--min-weight: must be a number >= 0");

  IssueLog issues(parse_on_error(args.on_error));
  ProgressBar bar("import");
  options.progress = [&bar](double fraction) { bar.update(fraction); };
  Dataset dataset = import_dataset(args.format, args.input, options, issues);
  bar.finish();
  FilterReport report;
  dataset = apply_filters(dataset, filters, &report);
  save_dataset(dataset, args.out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("imported %s (%s) -> %s in %.2f s\n", args.input.c_str(), args.format.c_str(), args.out.c_str(), seconds);
  print_summary_line(dataset);
  if (!report.steps.empty()) std::printf("%s", report.summary().c_str());
  for (const auto& note : issues.notes()) std::printf("note: %s\n", note.c_str());
  if (issues.skipped() > 0) std::fprintf(stderr, "warning: %s\n", issues.summary().c_str());
}

}  // namespace

void add_import_command(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand("import", "Import a data set into a binary store directory");
  cmd->add_option("--format", args->format, "Input format: csv, lastfm, mpd, spotify-skips, tracks, recbole, events")
      ->required();
  cmd->add_option("--input", args->input, "Input file or directory")->required();
  cmd->add_option("--out", args->out, "Output store directory (replaced atomically if it is a segue store)")
      ->required();
  cmd->add_option("--on-error", args->on_error, "fail (default): stop at the first bad line; skip: skip bad lines and report them");
  cmd->add_option("--signal", args->signal,
                  "Event type -> implicit signal, overriding/extending play=1,repeat=2,playlist_add=2,like=4,skip=-1");
  cmd->add_option("--duplicates", args->duplicates, "Repeated (user, item, event): keep, sum, max, first, last");
  cmd->add_option("--min-weight", args->min_weight, "Drop events whose weight is below this");
  cmd->add_option("--kcore-users", args->kcore_users, "K-core: every user keeps at least this many distinct items");
  cmd->add_option("--kcore-items", args->kcore_items, "K-core: every item keeps at least this many distinct users");
  cmd->add_option("--user-col", args->columns.user, "csv: user id column")->capture_default_str();
  cmd->add_option("--item-col", args->columns.item, "csv: item id column")->capture_default_str();
  cmd->add_option("--time-col", args->columns.time, "csv: timestamp column (unix seconds or ISO-8601)");
  cmd->add_option("--weight-col", args->columns.weight, "csv: weight column (play count, rating); default: a column named weight");
  cmd->add_option("--event-col", args->columns.event, "csv: event type column (play, skip, like, ...)");
  cmd->add_option("--session-col", args->columns.session, "csv: session id column");
  cmd->add_option("--position-col", args->columns.position, "csv: position-in-session/playlist column");
  cmd->add_option("--context-col", args->columns.context,
                  "csv: context column to keep, repeatable; NAME is categorical, NAME:num numeric");
  cmd->add_option("--delimiter", args->delimiter, "csv: field delimiter (default: tab if the header has one, else ',')");
  cmd->add_option("--threads", args->threads,
                  "mpd: slices read in parallel (0 = all cores, 1 = one at a time); the store is the same")
      ->capture_default_str();
  cmd->callback([args] { run_import(*args); });
}

}  // namespace segue::cli
