// Importer for track catalogues (items only, no interactions): the Kaggle
// "Ultimate Spotify Tracks DB" layout, or a generic items CSV keyed by item_id.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "data/csv_reader.h"
#include "data/dataset_builder.h"
#include "data/importer.h"

namespace segue {
namespace {

// Audio features of the Kaggle layout, kept as numeric item columns.
constexpr const char* kKaggleNumbers[] = {
    "popularity", "acousticness", "danceability", "duration_ms", "energy",  "instrumentalness",
    "liveness",   "loudness",     "speechiness",  "tempo",       "valence", "time_signature",
};
constexpr std::size_t kKaggleNumberCount = sizeof(kKaggleNumbers) / sizeof(kKaggleNumbers[0]);

// Pitch class of a key name (sharps as in the Kaggle file; flats accepted too), or -1.
int pitch_class(std::string_view name) {
  static constexpr const char* kSharps[] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  static constexpr const char* kFlats[] = {"C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"};
  for (int i = 0; i < 12; ++i)
    if (name == kSharps[i] || name == kFlats[i]) return i;
  return -1;
}

bool contains_token(std::string_view list, std::string_view token) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find('|', start);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(start, end - start) == token) return true;
    start = end + 1;
  }
  return false;
}

// The Kaggle file lists a track once per genre. The first row of a track gives its
// name, artist and features (later rows differ only in popularity and spelling);
// every row adds its genre as a tag and to the '|'-joined `genre` column.
void import_kaggle(CsvReader& reader, DatasetBuilder& builder, IssueLog& issues) {
  const char* option = "Kaggle SpotifyFeatures column";
  const int id = reader.require_column("track_id", option);
  const int genre = reader.require_column("genre", option);
  const int artist = reader.require_column("artist_name", option);
  const int name = reader.require_column("track_name", option);
  const int key = reader.require_column("key", option);
  const int mode = reader.require_column("mode", option);
  int numbers[kKaggleNumberCount];
  for (std::size_t i = 0; i < kKaggleNumberCount; ++i) numbers[i] = reader.require_column(kKaggleNumbers[i], option);

  std::vector<std::string> genres;  // per item, '|'-joined
  std::size_t merged_rows = 0;
  std::string uri = "spotify:track:";
  const std::size_t prefix = uri.size();
  float values[kKaggleNumberCount];
  while (reader.next()) {
    try {
      reader.expect_width();
      const std::string_view track = reader.id(id);
      for (std::size_t i = 0; i < kKaggleNumberCount; ++i) {
        const double value = reader.number(numbers[i]);  // rejects NaN, inf and junk
        values[i] = static_cast<float>(value);
        if (!std::isfinite(values[i]))
          throw reader.error(numbers[i], "number out of float range: '" + std::string(reader.text(numbers[i])) + "'");
      }
      const std::string_view key_name = reader.text(key);
      const int pitch = pitch_class(key_name);
      if (pitch < 0)
        throw reader.error(key, "expected a key name C, C#, D, D#, E, F, F#, G, G#, A, A#, B; got '" +
                                    std::string(key_name) + "'");
      const std::string_view mode_name = reader.text(mode);
      if (mode_name != "Major" && mode_name != "Minor")
        throw reader.error(mode, "expected 'Major' or 'Minor', got '" + std::string(mode_name) + "'");
      const std::string_view genre_name = reader.text(genre);

      uri.resize(prefix);
      uri.append(track);
      const std::int32_t item = builder.item(uri);
      if (static_cast<std::size_t>(item) >= genres.size()) {
        genres.resize(static_cast<std::size_t>(item) + 1);
        builder.set_item_string("name", item, reader.text(name));
        builder.set_item_string("artist", item, reader.text(artist));
        builder.set_item_string("key_name", item, key_name);
        builder.set_item_number("key", item, static_cast<float>(pitch));
        builder.set_item_number("mode", item, mode_name == "Major" ? 1.0f : 0.0f);
        for (std::size_t i = 0; i < kKaggleNumberCount; ++i) builder.set_item_number(kKaggleNumbers[i], item, values[i]);
      } else {
        ++merged_rows;
      }
      std::string& list = genres[item];
      if (!genre_name.empty() && !contains_token(list, genre_name)) {
        if (!list.empty()) list.push_back('|');
        list.append(genre_name);
        builder.add_item_tag(item, genre_name);
      }
    } catch (const InputError& error) {
      issues.report(error);
    }
  }
  for (std::size_t item = 0; item < genres.size(); ++item)
    if (!genres[item].empty()) builder.set_item_string("genre", static_cast<std::int32_t>(item), genres[item]);
  if (merged_rows > 0)
    issues.note(std::to_string(merged_rows) + " rows repeat a track under another genre: each added its genre to the " +
                "track's first row (their popularity and spelling of names were not used)");
}

// How a column of the generic layout is read.
enum class Role { kId, kString, kNumber, kTags, kUnknown };

Role known_role(std::string_view name) {
  if (name == "item_id") return Role::kId;
  if (name == "artist" || name == "name" || name == "album" || name == "genre" || name == "text") return Role::kString;
  if (name == "year") return Role::kNumber;
  if (name == "tags") return Role::kTags;
  return Role::kUnknown;
}

// Other columns are numeric when every non-empty value is a finite number: a first
// pass over the file decides, so one stray word keeps the whole column as text.
std::vector<Role> generic_roles(const std::string& path, char delimiter) {
  CsvReader reader(path, CsvOptions{delimiter, true, true});
  const std::size_t width = reader.header().size();
  std::vector<Role> roles(width);
  std::vector<std::uint8_t> numeric(width, 1);
  for (std::size_t c = 0; c < width; ++c) roles[c] = known_role(reader.header()[c]);
  double ignored = 0;
  while (reader.next()) {
    if (reader.size() != width) continue;  // reported in the second pass
    for (std::size_t c = 0; c < width; ++c) {
      if (roles[c] != Role::kUnknown || numeric[c] == 0) continue;
      const std::string_view text = reader.field(c);
      if (!text.empty() && !parse_double(text, ignored)) numeric[c] = 0;
    }
  }
  for (std::size_t c = 0; c < width; ++c)
    if (roles[c] == Role::kUnknown) roles[c] = numeric[c] != 0 ? Role::kNumber : Role::kString;
  return roles;
}

void add_tags(DatasetBuilder& builder, std::int32_t item, std::string_view list) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find('|', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view token = list.substr(start, end - start);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!token.empty()) builder.add_item_tag(item, token);
    start = end + 1;
  }
}

void import_generic(CsvReader& reader, char delimiter, DatasetBuilder& builder, IssueLog& issues) {
  const std::vector<Role> roles = generic_roles(reader.path(), delimiter);
  const int id = reader.require_column("item_id", "items CSV column");
  const std::size_t width = roles.size();
  std::vector<float> values(width);
  std::vector<std::size_t> first_line;  // per item: the line that defined it
  while (reader.next()) {
    try {
      reader.expect_width();
      const std::string_view item_id = reader.id(id);
      for (std::size_t c = 0; c < width; ++c) {
        values[c] = std::numeric_limits<float>::quiet_NaN();
        if (roles[c] != Role::kNumber || reader.field(c).empty()) continue;
        values[c] = static_cast<float>(reader.number(static_cast<int>(c)));
        if (!std::isfinite(values[c]))
          throw reader.error(static_cast<int>(c), "number out of float range: '" + std::string(reader.field(c)) + "'");
      }
      const std::int32_t item = builder.item(item_id);
      if (static_cast<std::size_t>(item) < first_line.size())
        throw reader.error(id, "item '" + std::string(item_id) + "' is listed twice (first at line " +
                                   std::to_string(first_line[item]) + ")");
      first_line.resize(static_cast<std::size_t>(item) + 1, 0);
      first_line[item] = reader.line();
      for (std::size_t c = 0; c < width; ++c) {
        const std::string& column = reader.header()[c];
        const std::string_view text = reader.field(c);
        switch (roles[c]) {
          case Role::kString:
            if (!text.empty()) builder.set_item_string(column, item, text);
            break;
          case Role::kNumber:
            if (!std::isnan(values[c])) builder.set_item_number(column, item, values[c]);
            break;
          case Role::kTags:
            add_tags(builder, item, text);
            break;
          case Role::kId:
          case Role::kUnknown:
            break;
        }
      }
    } catch (const InputError& error) {
      issues.report(error);
    }
  }
}

}  // namespace

Dataset import_tracks(const std::string& path, const ImportOptions& options, IssueLog& issues) {
  CsvReader reader(path, CsvOptions{options.delimiter, true, true});
  DatasetBuilder builder(options.signal);
  if (reader.column("track_id") >= 0 && reader.column("artist_name") >= 0 && reader.column("track_name") >= 0) {
    import_kaggle(reader, builder, issues);
  } else if (reader.column("item_id") >= 0) {
    import_generic(reader, options.delimiter, builder, issues);
  } else {
    throw InputError(path, 1, "",
                     "unknown track catalogue layout: expected the Kaggle SpotifyFeatures header (track_id, "
                     "artist_name, track_name, ...) or an items CSV with an item_id column");
  }
  if (options.progress) options.progress(1.0);
  return builder.finish("tracks:" + path);
}

}  // namespace segue
