// Reads the CSV conversion of the MPD (playlists.csv + playlist_tracks.csv[.gz])
// into an MpdWriter, giving the same users, items and events as the JSON slices.
#pragma once

#include <string>

#include "data/error.h"
#include "data/mpd_writer.h"

namespace segue {

// `dir` holds playlists.csv (pid_global or pid, name, description, num_followers,
// ...) and playlist_tracks.csv or .csv.gz (pid_global or pid, pos, track_uri,
// artist_name, track_name, ...). Each playlist's entries come out in pos order
// even if the rows are not; a track row whose pid is not in playlists.csv is an error.
void read_mpd_csv(const std::string& dir, MpdWriter& writer, IssueLog& issues);

}  // namespace segue
