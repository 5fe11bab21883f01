// Last.fm HetRec 2011 (hetrec2011-lastfm-2k): user-artist play counts, artist
// names, friendships and tag assignments. Each file may also be gzipped (.dat.gz).
#include <filesystem>

#include "data/csv_reader.h"
#include "data/dataset_builder.h"
#include "data/import_progress.h"
#include "data/importer.h"

namespace segue {
namespace {

namespace fs = std::filesystem;

// "user_artists.dat" or "user_artists.dat.gz" inside dir, or "" if neither.
std::string find_file(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {name, name + ".gz"}) {
    const fs::path path = fs::path(dir) / candidate;
    if (fs::is_regular_file(path)) return path.string();
  }
  return {};
}

// The .dat files are plain TSV: quotes are ordinary characters in names.
CsvOptions tsv(bool header = true) {
  CsvOptions options;
  options.delimiter = '\t';
  options.quotes = false;
  options.header = header;
  return options;
}

template <class Body>
void for_each_row(CsvReader& reader, IssueLog& issues, Body body) {
  while (true) {
    try {
      if (!reader.next()) return;
      reader.expect_width();
      body();
    } catch (const InputError& error) {
      issues.report(error);
    }
  }
}

void read_plays(const std::string& path, DatasetBuilder& builder, const ImportOptions& options, IssueLog& issues) {
  CsvReader reader(path, tsv());
  const int user = reader.require_column("userID", "Last.fm user_artists.dat");
  const int artist = reader.require_column("artistID", "Last.fm user_artists.dat");
  const int weight = reader.require_column("weight", "Last.fm user_artists.dat");
  ImportProgress progress(options.progress, reader.bytes());
  for_each_row(reader, issues, [&] {
    DatasetBuilder::Event event;
    const std::string_view user_id = reader.id(user);
    const std::string_view artist_id = reader.id(artist);
    event.weight = reader.weight(weight);
    event.user = builder.user(user_id);
    event.item = builder.item(artist_id);
    builder.add(event);
    progress.update(reader.offset());
  });
}

void read_artists(const std::string& path, DatasetBuilder& builder, IssueLog& issues) {
  CsvReader reader(path, tsv());
  const int id = reader.require_column("id", "Last.fm artists.dat");
  const int name = reader.require_column("name", "Last.fm artists.dat");
  const int url = reader.column("url");
  for_each_row(reader, issues, [&] {
    const std::int32_t item = builder.item(reader.id(id));
    builder.set_item_string("name", item, reader.text(name));
    builder.set_item_string("artist", item, reader.text(name));
    if (url >= 0) builder.set_item_string("url", item, reader.text(url));
  });
}

// Users found only here (no plays) are kept, as users without events: a listener whose friends listen is the
// cold start a social model can serve (docs/DATA.md). The import says how many there were.
void read_friends(const std::string& path, DatasetBuilder& builder, IssueLog& issues) {
  const std::int32_t listeners = builder.users().size();
  // The original file has a "userID friendID" header; some copies lost it.
  CsvReader probe(path, tsv(false));
  const bool has_header = probe.next() && probe.size() >= 1 && probe.field(0) == "userID";
  CsvReader reader(path, tsv(has_header));
  const int user = has_header ? reader.require_column("userID", "Last.fm user_friends.dat") : 0;
  const int other = has_header ? reader.require_column("friendID", "Last.fm user_friends.dat") : 1;
  for_each_row(reader, issues, [&] {
    if (!has_header && reader.size() != 2)
      throw reader.error(-1, "expected 2 fields (userID, friendID), found " + std::to_string(reader.size()));
    const std::string_view a = reader.id(user);
    const std::string_view b = reader.id(other);
    builder.add_friend(builder.user(a), builder.user(b));
  });
  if (const std::int32_t only_friends = builder.users().size() - listeners; only_friends > 0)
    issues.note(std::to_string(only_friends) + " users appear only in " + path +
                " (no plays): kept as users without events, with their friendships");
}

void read_tags(const std::string& tags_path, const std::string& assignments_path, DatasetBuilder& builder,
               IssueLog& issues) {
  IdMap tag_ids;
  std::vector<std::string> tag_names;
  {
    CsvReader reader(tags_path, tsv());
    const int id = reader.require_column("tagID", "Last.fm tags.dat");
    const int value = reader.require_column("tagValue", "Last.fm tags.dat");
    for_each_row(reader, issues, [&] {
      const std::int32_t tag = tag_ids.intern(reader.id(id));
      if (tag == static_cast<std::int32_t>(tag_names.size())) tag_names.emplace_back(reader.text(value));
    });
  }
  CsvReader reader(assignments_path, tsv());
  const int artist = reader.require_column("artistID", "Last.fm user_taggedartists.dat");
  const int tag = reader.require_column("tagID", "Last.fm user_taggedartists.dat");
  std::size_t unknown_artist = 0;
  for_each_row(reader, issues, [&] {
    const std::string_view artist_id = reader.id(artist);
    const std::int32_t tag_index = tag_ids.find(reader.id(tag));
    if (tag_index < 0) throw reader.error(tag, "tag id '" + std::string(reader.text(tag)) + "' is not in tags.dat");
    // Tags of artists that appear nowhere else would create items with no name
    // and no listens; they are counted and left out.
    if (!builder.items().contains(artist_id)) {
      ++unknown_artist;
      return;
    }
    builder.add_item_tag(builder.item(artist_id), tag_names[tag_index], 1.0f);
  });
  if (unknown_artist > 0)
    issues.note("left out " + std::to_string(unknown_artist) + " tag assignments of artists found in neither " +
                "user_artists.dat nor artists.dat (" + assignments_path + ")");
}

}  // namespace

Dataset import_lastfm(const std::string& dir, const ImportOptions& options, IssueLog& issues) {
  if (!fs::is_directory(dir))
    throw InputError(dir, 0, "", "expected the hetrec2011-lastfm-2k directory (with user_artists.dat)");
  const std::string plays = find_file(dir, "user_artists.dat");
  if (plays.empty()) throw InputError(dir, 0, "", "no user_artists.dat (or .dat.gz) in this directory");
  DatasetBuilder builder(options.signal);
  read_plays(plays, builder, options, issues);
  if (const std::string artists = find_file(dir, "artists.dat"); !artists.empty())
    read_artists(artists, builder, issues);
  if (const std::string friends = find_file(dir, "user_friends.dat"); !friends.empty())
    read_friends(friends, builder, issues);
  const std::string tags = find_file(dir, "tags.dat");
  const std::string assignments = find_file(dir, "user_taggedartists.dat");
  if (!tags.empty() && !assignments.empty()) {
    read_tags(tags, assignments, builder, issues);  // after plays and artists: they say which artists exist
  }
  return builder.finish("lastfm:" + dir);
}

}  // namespace segue
