// segue logs export: the home pages a server logged (impressions with
// propensities, joined with the events that answered them) as CSV, in
// segue's layout or the Open Bandit Dataset's (docs/HOME.md).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "data/error.h"
#include "home/impression_store.h"

namespace segue::cli {

void add_logs_command(CLI::App& app) {
  CLI::App* logs = app.add_subcommand("logs", "The home screen's impression log");
  logs->require_subcommand(1);
  struct Args {
    std::string db, out, format = "segue", reward = "stream";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = logs->add_subcommand("export", "Write the logged impressions and their outcomes as CSV");
  cmd->add_option("--db", args->db, "The event database `segue serve --events` wrote")->required();
  cmd->add_option("--out", args->out, "CSV file to write")->required();
  cmd->add_option("--format", args->format, "segue (every column) or obd (the Open Bandit Dataset layout)")
      ->capture_default_str();
  cmd->add_option("--reward", args->reward,
                  "What counts as success: stream (played, repeated, added or liked, not skipped), like, or play30 "
                  "(a play whose context has ms_played >= 30000)")
      ->capture_default_str();
  cmd->callback([args] {
    if (args->format != "segue" && args->format != "obd")
      throw UsageError("--format: expected segue or obd, got '" + args->format + "'");
    const home::ExportFormat format = args->format == "obd" ? home::ExportFormat::kObd : home::ExportFormat::kSegue;
    const home::ExportSummary summary =
        home::export_impressions(args->db, args->out, format, home::parse_reward_kind(args->reward));
    std::printf("%lld impressions (%lld rewarded, %s) -> %s; %lld outcome events joined, %lld naming no logged impression\n",
                static_cast<long long>(summary.impressions), static_cast<long long>(summary.rewarded),
                args->reward.c_str(), args->out.c_str(), static_cast<long long>(summary.outcome_events),
                static_cast<long long>(summary.orphan_events));
  });
}

}  // namespace segue::cli
