// Importers: one function per input format, all producing a Dataset through
// DatasetBuilder. Nothing downstream of import knows which format it was.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "data/error.h"
#include "data/signal.h"

namespace segue {

// Column mapping of the generic CSV/TSV importer (--user-col ...). Empty = absent.
struct CsvColumns {
  std::string user = "user_id";
  std::string item = "item_id";
  std::string time;     // unix seconds or ISO-8601 date/time
  std::string weight;   // play count / rating: finite, >= 0
  std::string event;    // event type name, must be in the signal table
  std::string session;
  std::string position;
  std::vector<std::string> context;  // per-event context columns: "device" (category) or "hour:num"
  // Fill the empty optional names above from columns named weight, timestamp,
  // event, session, position when the header has them (as `segue split` writes).
  bool detect_optional = false;
};

struct ImportOptions {
  SignalTable signal = SignalTable::defaults();
  CsvColumns columns;
  char delimiter = 0;  // 0 = auto (tab if the header has one)
  // Called now and then with the share of input consumed (0..1), for progress bars.
  std::function<void(double)> progress;
  // Threads for inputs read in parallel (a directory of MPD JSON slices); <= 0 = all cores.
  // The dataset does not depend on it.
  int threads = 0;
};

// Each throws InputError (file, line, field) on bad input unless `issues` is in
// skip mode, where bad lines are counted there and left out.
Dataset import_csv(const std::string& path, const ImportOptions& options, IssueLog& issues);
// Directory with user_artists.dat [artists.dat user_friends.dat tags.dat user_taggedartists.dat].
Dataset import_lastfm(const std::string& dir, const ImportOptions& options, IssueLog& issues);
// mpd.slice.*.json file(s) (a file, or a directory of slices; .json or .json.gz), or
// the CSV conversion (a directory with playlists.csv and playlist_tracks.csv[.gz]).
Dataset import_mpd(const std::string& path, const ImportOptions& options, IssueLog& issues);
// Spotify Sequential Skip Prediction: a log CSV (or a directory of log_*.csv with
// an optional tf_*.csv track-features file beside them).
Dataset import_spotify_skips(const std::string& path, const ImportOptions& options, IssueLog& issues);
// Track catalogue with audio features (the Kaggle SpotifyFeatures.csv layout):
// items only, no interactions.
Dataset import_tracks(const std::string& path, const ImportOptions& options, IssueLog& issues);
// RecBole atomic files: DIR/NAME.inter [NAME.item NAME.user], or the .inter path.
Dataset import_recbole(const std::string& path, const ImportOptions& options, IssueLog& issues);

// The service's received events (segue serve --events DB.sqlite), in commit order.
Dataset import_events(const std::string& path, const ImportOptions& options, IssueLog& issues);

// Dispatches on --format {csv,lastfm,mpd,spotify-skips,tracks,recbole,events}.
Dataset import_dataset(std::string_view format, const std::string& input, const ImportOptions& options,
                       IssueLog& issues);
const std::vector<std::string>& import_formats();

}  // namespace segue
