// Spotify Million Playlist Dataset importer: picks the layout (one slice file, a
// directory of slices, or the CSV conversion) and feeds it to the shared MpdWriter.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset_builder.h"
#include "data/importer.h"
#include "data/mpd_csv.h"
#include "data/mpd_json.h"
#include "data/mpd_recording.h"
#include "data/mpd_writer.h"

namespace segue {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExpected =
    "expected an mpd.slice.*.json[.gz] file, a directory of them, or a directory with playlists.csv and "
    "playlist_tracks.csv[.gz]";

struct Slice {
  std::uint64_t start;
  std::string path;
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// "mpd.slice.1000-1999.json[.gz]" -> 1000; throws for a slice name without a start-end range.
std::uint64_t slice_start(const std::string& path, std::string_view name) {
  std::string_view range = name.substr(10);  // after "mpd.slice."
  range = range.substr(0, range.find('.'));
  const std::size_t dash = range.find('-');
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  const bool ok = dash != std::string_view::npos &&
                  std::from_chars(range.data(), range.data() + dash, start).ptr == range.data() + dash &&
                  std::from_chars(range.data() + dash + 1, range.data() + range.size(), end).ptr ==
                      range.data() + range.size() &&
                  dash > 0 && dash + 1 < range.size() && start <= end;
  if (!ok) throw InputError(path, 0, "", "expected a slice file name like mpd.slice.0-999.json");
  return start;
}

// Every mpd.slice.*.json[.gz] in `dir`, ordered by the slice's start number.
std::vector<Slice> list_slices(const std::string& dir) {
  std::vector<Slice> slices;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("mpd.slice.", 0) != 0 || !(ends_with(name, ".json") || ends_with(name, ".json.gz"))) continue;
    if (!it->is_regular_file()) continue;
    slices.push_back({slice_start(it->path().string(), name), it->path().string()});
  }
  if (error) throw InputError(dir, 0, "", "cannot list the directory: " + error.message());
  std::sort(slices.begin(), slices.end(), [](const Slice& a, const Slice& b) {
    return a.start != b.start ? a.start < b.start : a.path < b.path;
  });
  for (std::size_t i = 1; i < slices.size(); ++i)
    if (slices[i].start == slices[i - 1].start)
      throw InputError(slices[i].path, 0, "",
                       "a second file for the slice starting at " + std::to_string(slices[i].start) + " (also " +
                           slices[i - 1].path + ")");
  return slices;
}

void read_directory(const std::string& dir, const ImportOptions& options, MpdWriter& writer, IssueLog& issues) {
  if (fs::is_regular_file(fs::path(dir) / "playlists.csv")) {
    read_mpd_csv(dir, writer, issues);
    if (options.progress) options.progress(1.0);
    return;
  }
  const std::vector<Slice> slices = list_slices(dir);
  if (slices.empty()) throw InputError(dir, 0, "", std::string("no MPD input in this directory: ") + kExpected);
  auto done = [&](std::size_t k) {
    if (options.progress) options.progress(static_cast<double>(k) / static_cast<double>(slices.size()));
  };
  if (options.threads != 1 && slices.size() > 1) {
    std::vector<std::string> paths;
    for (const Slice& slice : slices) paths.push_back(slice.path);
    read_mpd_slices_parallel(paths, options.threads, writer, issues, done);
    return;
  }
  for (std::size_t i = 0; i < slices.size(); ++i) {
    read_mpd_slice(slices[i].path, writer, issues);
    done(i + 1);
  }
}

}  // namespace

Dataset import_mpd(const std::string& path, const ImportOptions& options, IssueLog& issues) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) throw InputError(path, 0, "", std::string("no such file or directory: ") + kExpected);

  DatasetBuilder builder(options.signal);
  MpdWriter writer(builder);
  if (fs::is_directory(status)) {
    read_directory(path, options, writer, issues);
  } else {
    if (ends_with(path, ".csv") || ends_with(path, ".csv.gz"))
      throw InputError(path, 0, "", "a CSV file: for the CSV conversion pass its directory (" + std::string(kExpected) + ")");
    read_mpd_slice(path, writer, issues);
    if (options.progress) options.progress(1.0);
  }
  Dataset dataset = builder.finish("mpd:" + path);
  if (dataset.n_users() == 0)
    throw InputError(path, 0, "",
                     issues.skipped() > 0 ? "no playlists left: every one was bad (" + issues.summary() + ")"
                                          : "no playlists found");
  return dataset;
}

}  // namespace segue
