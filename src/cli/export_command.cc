// segue export DIR --format recbole --out DIR2: hand a store to another tool;
// --format items --out ITEMS.csv [--audio TRACKS.csv]: the items CSV that
// `--items` reads (docs/FEATURES.md); --format users --out USERS.csv: the users
// CSV that `--users` reads (user_id, friends, user attributes).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/training_input.h"
#include "data/export_items.h"
#include "data/export_recbole.h"
#include "data/export_users.h"
#include "data/store.h"

namespace segue::cli {

void add_export_command(CLI::App& app) {
  struct Args {
    std::string dir, out, format = "recbole", name = "segue", audio, on_error = "fail";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a store in another tool's format (RecBole atomic files), its items as an items CSV (--items) or its "
      "users as a users CSV (--users: user_id, string and numeric user columns, tags, friends as '|'-separated "
      "user ids from the friends graph)");
  cmd->add_option("dir", args->dir, "Store directory written by `segue import`")->required();
  cmd->add_option("--format", args->format, "Output format: recbole, items or users")->capture_default_str();
  cmd->add_option("--out", args->out, "Output directory (recbole) or file (items, users)")->required();
  cmd->add_option("--name", args->name, "recbole: data set name (NAME.inter, NAME.item, NAME.user)")
      ->capture_default_str();
  cmd->add_option("--audio", args->audio,
                  "items: a track catalogue with audio features (Kaggle SpotifyFeatures layout) joined on the item "
                  "id (spotify:track:ID)");
  cmd->add_option("--on-error", args->on_error, "items: fail or skip bad lines of the --audio catalogue");
  cmd->callback([args] {
    if (args->format == "items") {
      const Dataset dataset = load_dataset(args->dir);
      IssueLog issues(parse_on_error(args->on_error));
      const ExportItemsReport r = export_items_csv(dataset, args->out, args->audio, issues);
      print_issues(issues);
      std::printf("exported %s -> %s: %lld of %lld items (%lld without any attribute left out); columns:",
                  args->dir.c_str(), args->out.c_str(), static_cast<long long>(r.rows),
                  static_cast<long long>(r.items), static_cast<long long>(r.empty_items));
      for (const std::string& c : r.columns) std::printf(" %s", c.c_str());
      std::printf("\n");
      if (!args->audio.empty())
        std::printf("audio: %lld tracks in %s; %lld store items matched\n", static_cast<long long>(r.audio_tracks),
                    args->audio.c_str(), static_cast<long long>(r.audio_matched));
      return;
    }
    if (args->format != "recbole" && args->format != "users")
      throw UsageError("--format: unknown export format '" + args->format + "' (known: recbole, items, users)");
    if (!args->audio.empty()) throw UsageError("--audio: only with --format items");
    if (args->format == "users") {
      const Dataset dataset = load_dataset(args->dir);
      const ExportUsersReport r = export_users_csv(dataset, args->out);
      std::printf("exported %s -> %s: %lld of %lld users (%lld without friends or attributes left out), %lld "
                  "friend links; columns:",
                  args->dir.c_str(), args->out.c_str(), static_cast<long long>(r.rows),
                  static_cast<long long>(r.users), static_cast<long long>(r.empty_users),
                  static_cast<long long>(r.friend_links));
      for (const std::string& c : r.columns) std::printf(" %s", c.c_str());
      std::printf("\n");
      if (r.skipped_friends > 0)
        std::printf("note: %lld friend ids containing '|' left out (the users CSV separates ids by '|')\n",
                    static_cast<long long>(r.skipped_friends));
      return;
    }
    const Dataset dataset = load_dataset(args->dir);
    export_recbole(dataset, args->out, args->name);
    std::printf("exported %s -> %s/%s.inter (%lld interactions)\n", args->dir.c_str(), args->out.c_str(),
                args->name.c_str(), static_cast<long long>(dataset.interactions.size()));
  });
}

}  // namespace segue::cli
