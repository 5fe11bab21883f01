// The --format registry of `segue import`.
#include "data/importer.h"

#include <string>

namespace segue {

const std::vector<std::string>& import_formats() {
  static const std::vector<std::string> formats = {"csv", "lastfm", "mpd", "spotify-skips", "tracks", "recbole", "events"};
  return formats;
}

Dataset import_dataset(std::string_view format, const std::string& input, const ImportOptions& options,
                       IssueLog& issues) {
  if (format == "csv") return import_csv(input, options, issues);
  if (format == "lastfm") return import_lastfm(input, options, issues);
  if (format == "mpd") return import_mpd(input, options, issues);
  if (format == "spotify-skips") return import_spotify_skips(input, options, issues);
  if (format == "tracks") return import_tracks(input, options, issues);
  if (format == "recbole") return import_recbole(input, options, issues);
  if (format == "events") return import_events(input, options, issues);
  std::string known;
  for (const auto& name : import_formats()) known += (known.empty() ? "" : ", ") + name;
  throw UsageError("--format: unknown format '" + std::string(format) + "' (known: " + known + ")");
}

}  // namespace segue
