// Streams one mpd.slice.*.json[.gz] file through nlohmann's SAX parser into an
// MpdWriter one playlist at a time, so a ~30 MB slice never becomes a DOM.
#pragma once

#include <string>

#include "data/error.h"
#include "data/mpd_sink.h"
#include "data/mpd_writer.h"

namespace segue {

// Reads the original MPD slice layout, full (pos, artist_uri, album_*, modified_at,
// ...) or filtered (those missing); unknown fields are ignored. Errors name the
// file, the physical line and a path like playlists[12].tracks[3].track_uri; under
// skip mode a bad playlist or track is reported and left out, and a syntax error
// is reported and ends the file (the playlists before it are kept).
void read_mpd_slice(const std::string& path, MpdWriter& writer, IssueLog& issues);
// The same into any sink (a SliceRecording for the parallel import).
void read_mpd_slice(const std::string& path, MpdSink& sink);

}  // namespace segue
