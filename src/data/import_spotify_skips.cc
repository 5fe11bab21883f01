// Importer for the Spotify Sequential Skip Prediction Challenge: listening-session
// logs (log_*.csv) with optional track features (tf_*.csv) joined by track id.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "data/csv_reader.h"
#include "data/dataset_builder.h"
#include "data/importer.h"
#include "data/timestamp.h"

namespace segue {
namespace {

namespace fs = std::filesystem;

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "True" || text == "1") {
    out = true;
    return true;
  }
  if (text == "false" || text == "False" || text == "0") {
    out = false;
    return true;
  }
  return false;
}

bool read_bool(const CsvReader& reader, int column) {
  bool out = false;
  if (!parse_bool(reader.text(column), out))
    throw reader.error(column, "expected a boolean (true/false/True/False/1/0), got '" +
                                   std::string(reader.text(column)) + "'");
  return out;
}

// Optional log columns kept as per-event context, under their published names.
enum class ContextKind {
  kFlag,      // boolean -> numeric 1/0
  kCount,     // non-negative integer -> numeric
  kCategory,  // free text -> categorical (empty = missing)
  kPremium,   // boolean -> categorical "true"/"false"
};
struct ContextSpec {
  const char* name;
  ContextKind kind;
};
constexpr ContextSpec kOptionalContext[] = {
    {"skip_1", ContextKind::kFlag},
    {"skip_3", ContextKind::kFlag},
    {"not_skipped", ContextKind::kFlag},
    {"context_switch", ContextKind::kFlag},
    {"no_pause_before_play", ContextKind::kFlag},
    {"short_pause_before_play", ContextKind::kFlag},
    {"long_pause_before_play", ContextKind::kFlag},
    {"hist_user_behavior_is_shuffle", ContextKind::kFlag},
    {"hist_user_behavior_n_seekfwd", ContextKind::kCount},
    {"hist_user_behavior_n_seekback", ContextKind::kCount},
    {"premium", ContextKind::kPremium},
    {"context_type", ContextKind::kCategory},
    {"hist_user_behavior_reason_start", ContextKind::kCategory},
    {"hist_user_behavior_reason_end", ContextKind::kCategory},
};
constexpr std::size_t kMaxOptional = sizeof(kOptionalContext) / sizeof(kOptionalContext[0]);

struct OptionalColumn {
  int column;   // in the CSV
  int context;  // in the builder
  ContextKind kind;
};

struct LogLayout {
  int session, position, length, track, skip2, hour, date;
  int hour_context, length_context;
  std::vector<OptionalColumn> extras;
};

LogLayout log_layout(const CsvReader& reader, DatasetBuilder& builder) {
  const char* option = "Spotify skip log column";
  LogLayout layout{};
  layout.session = reader.require_column("session_id", option);
  layout.position = reader.require_column("session_position", option);
  layout.length = reader.require_column("session_length", option);
  layout.track = reader.require_column("track_id_clean", option);
  layout.skip2 = reader.require_column("skip_2", option);
  layout.hour = reader.require_column("hour_of_day", option);
  layout.date = reader.require_column("date", option);
  layout.hour_context = builder.context_column("hour_of_day", false);
  layout.length_context = builder.context_column("session_length", false);
  for (const ContextSpec& spec : kOptionalContext) {
    const int column = reader.column(spec.name);
    if (column < 0) continue;
    const bool categorical = spec.kind == ContextKind::kCategory || spec.kind == ContextKind::kPremium;
    layout.extras.push_back({column, builder.context_column(spec.name, categorical), spec.kind});
  }
  return layout;
}

// Where we are in the session being read. Rows of a session must be contiguous and
// in increasing position order, as the challenge ships them: we check rather than
// sort, so a shuffled or concatenated-twice log is an error instead of a silent
// merge. Gaps are allowed (under --on-error skip a dropped row leaves one).
struct SessionState {
  std::string name;
  std::int32_t user = -1;
  std::int32_t session = kNoSession;
  std::int64_t last_position = 0;
  std::int64_t length = 0;
  std::int32_t sessions_seen = 0;
  std::int16_t skip_code = -1;
};

// One validated row, before anything is written to the builder.
struct LogRow {
  std::string_view session;
  std::string_view track;
  std::int64_t position = 0;
  std::int64_t length = 0;
  std::int64_t hour = 0;
  std::int64_t time = 0;
  bool skip = false;
  float numbers[kMaxOptional];
  std::string_view categories[kMaxOptional];
};

void parse_row(const CsvReader& reader, const LogLayout& layout, LogRow& row) {
  reader.expect_width();
  row.session = reader.id(layout.session);
  row.track = reader.id(layout.track);
  row.length = reader.integer(layout.length);
  if (row.length < 1) throw reader.error(layout.length, "expected a session length >= 1, got " + std::to_string(row.length));
  row.position = reader.integer(layout.position);
  if (row.position < 1 || row.position > row.length)
    throw reader.error(layout.position, "expected a position within 1.." + std::to_string(row.length) +
                                            " (session_length), got " + std::to_string(row.position));
  row.hour = reader.integer(layout.hour);
  if (row.hour < 0 || row.hour > 23)
    throw reader.error(layout.hour, "expected an hour within 0..23, got " + std::to_string(row.hour));
  const std::string_view date = reader.text(layout.date);
  std::int64_t day = 0;
  if (date.size() != 10 || !parse_timestamp(date, day))
    throw reader.error(layout.date, "expected a date YYYY-MM-DD, got '" + std::string(date) + "'");
  row.time = day + row.hour * 3600;
  row.skip = read_bool(reader, layout.skip2);
  for (std::size_t i = 0; i < layout.extras.size(); ++i) {
    const OptionalColumn& extra = layout.extras[i];
    switch (extra.kind) {
      case ContextKind::kFlag:
        row.numbers[i] = read_bool(reader, extra.column) ? 1.0f : 0.0f;
        break;
      case ContextKind::kCount: {
        const std::int64_t count = reader.integer(extra.column);
        if (count < 0) throw reader.error(extra.column, "expected a count >= 0, got " + std::to_string(count));
        row.numbers[i] = static_cast<float>(count);
        break;
      }
      case ContextKind::kPremium:
        row.categories[i] = read_bool(reader, extra.column) ? "true" : "false";
        break;
      case ContextKind::kCategory:
        row.categories[i] = reader.text(extra.column);
        break;
    }
  }
}

// Checks the row against the session being read, or starts a new session (its
// user id is the session id) when the id changes.
void enter_session(const CsvReader& reader, const LogLayout& layout, const LogRow& row, DatasetBuilder& builder,
                   SessionState& state) {
  if (state.user >= 0 && row.session == state.name) {
    if (row.length != state.length)
      throw reader.error(layout.length, "session '" + state.name + "' changes its length from " +
                                            std::to_string(state.length) + " to " + std::to_string(row.length));
    if (row.position <= state.last_position)
      throw reader.error(layout.position, "rows of session '" + state.name + "' are out of order: position " +
                                              std::to_string(row.position) + " after " +
                                              std::to_string(state.last_position));
    return;
  }
  const std::int32_t user = builder.user(row.session);
  if (user != state.sessions_seen)
    throw reader.error(layout.session, "session '" + std::string(row.session) +
                                           "' appeared earlier: a session's rows must be contiguous");
  ++state.sessions_seen;
  state.name.assign(row.session);
  state.user = user;
  state.session = builder.session(row.session);
  state.length = row.length;
  state.last_position = 0;
}

void add_row(const LogLayout& layout, const LogRow& row, DatasetBuilder& builder, SessionState& state) {
  DatasetBuilder::Event event;
  event.user = state.user;
  event.session = state.session;
  event.item = builder.item(row.track);
  event.time = row.time;
  event.position = static_cast<std::int32_t>(row.position);
  if (row.skip) {
    if (state.skip_code < 0) state.skip_code = builder.event_code("skip");
    if (state.skip_code < 0) throw UsageError("the signal table has no 'skip' event, which Spotify skip logs need");
    event.event = state.skip_code;
  }
  builder.add(event);
  state.last_position = row.position;
  builder.set_context(layout.hour_context, static_cast<float>(row.hour));
  builder.set_context(layout.length_context, static_cast<float>(row.length));
  for (std::size_t i = 0; i < layout.extras.size(); ++i) {
    const OptionalColumn& extra = layout.extras[i];
    if (extra.kind == ContextKind::kFlag || extra.kind == ContextKind::kCount) {
      builder.set_context(extra.context, row.numbers[i]);
    } else {
      builder.set_context(extra.context, row.categories[i]);
    }
  }
}

// `progress` gets the share of all input done; this file spans [from, to).
void read_log(const std::string& path, const ImportOptions& options, DatasetBuilder& builder, IssueLog& issues,
              SessionState& state, double from, double to) {
  CsvReader reader(path, CsvOptions{options.delimiter, true, true});
  const LogLayout layout = log_layout(reader, builder);
  LogRow row;
  std::size_t rows = 0;
  while (reader.next()) {
    if (options.progress && (++rows & 0xFFFF) == 0)
      options.progress(from + (to - from) * static_cast<double>(reader.offset()) / static_cast<double>(reader.bytes()));
    try {
      parse_row(reader, layout, row);
      enter_session(reader, layout, row, builder, state);
      add_row(layout, row, builder, state);
    } catch (const InputError& error) {
      issues.report(error);
    }
  }
}

// Track-feature columns of the published schema that must be numbers; any
// acoustic_vector_N is numeric too. Columns not named here are kept as strings.
constexpr const char* kNumericFeatures[] = {
    "duration",     "release_year", "us_popularity_estimate", "acousticness", "beat_strength",
    "bounciness",   "danceability", "dyn_range_mean",         "energy",       "flatness",
    "instrumentalness", "key",      "liveness",               "loudness",     "mechanism",
    "organism",     "speechiness",  "tempo",                  "time_signature", "valence",
};

enum class FeatureKind { kNumber, kMode, kString };

FeatureKind feature_kind(std::string_view name) {
  if (name == "mode") return FeatureKind::kMode;
  if (name.rfind("acoustic_vector_", 0) == 0) return FeatureKind::kNumber;
  for (const char* known : kNumericFeatures)
    if (name == known) return FeatureKind::kNumber;
  return FeatureKind::kString;
}

// Joins one tf_*.csv into the item attributes. A track with features but no
// plays still becomes an item (a catalogue entry for cold-start models).
void read_features(const std::string& path, const ImportOptions& options, DatasetBuilder& builder,
                   IssueLog& issues, std::vector<std::uint8_t>& has_features) {
  CsvReader reader(path, CsvOptions{options.delimiter, true, true});
  const int id_column = reader.require_column("track_id", "Spotify track-features column");
  struct Feature {
    int column;
    FeatureKind kind;
  };
  std::vector<Feature> features;
  for (std::size_t c = 0; c < reader.header().size(); ++c)
    if (static_cast<int>(c) != id_column)
      features.push_back({static_cast<int>(c), feature_kind(reader.header()[c])});
  std::vector<float> values(features.size());
  while (reader.next()) {
    try {
      reader.expect_width();
      const std::string_view track = reader.id(id_column);
      for (std::size_t f = 0; f < features.size(); ++f) {
        const int column = features[f].column;
        const std::string_view text = reader.text(column);
        values[f] = std::numeric_limits<float>::quiet_NaN();
        if (text.empty() || features[f].kind == FeatureKind::kString) continue;
        if (features[f].kind == FeatureKind::kMode) {
          if (text == "major" || text == "1") {
            values[f] = 1.0f;
          } else if (text == "minor" || text == "0") {
            values[f] = 0.0f;
          } else {
            throw reader.error(column, "expected 'major' or 'minor', got '" + std::string(text) + "'");
          }
          continue;
        }
        values[f] = static_cast<float>(reader.number(column));
        if (!std::isfinite(values[f])) throw reader.error(column, "number out of float range: '" + std::string(text) + "'");
      }
      const std::int32_t item = builder.item(track);
      if (has_features.size() <= static_cast<std::size_t>(item)) has_features.resize(static_cast<std::size_t>(item) + 1, 0);
      if (has_features[item] != 0)
        throw reader.error(id_column, "features for track '" + std::string(track) + "' are given twice");
      has_features[item] = 1;
      for (std::size_t f = 0; f < features.size(); ++f) {
        const std::string& name = reader.header()[features[f].column];
        if (features[f].kind == FeatureKind::kString) {
          const std::string_view text = reader.text(features[f].column);
          if (!text.empty()) builder.set_item_string(name, item, text);
        } else if (!std::isnan(values[f])) {
          builder.set_item_number(name, item, values[f]);
        }
      }
    } catch (const InputError& error) {
      issues.report(error);
    }
  }
}

bool has_prefix_and_csv_suffix(const std::string& name, std::string_view prefix) {
  if (name.rfind(prefix, 0) != 0) return false;
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".csv") || ends_with(".csv.gz");
}

// The challenge unpacks into training_set/ and track_features/, so the directory
// is searched recursively; files are read in path order for a stable id order.
void find_inputs(const std::string& path, std::vector<std::string>& logs, std::vector<std::string>& features) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(path, 0, "", "no such file or directory");
  if (!fs::is_directory(status)) {
    logs.push_back(path);
    return;
  }
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    if (has_prefix_and_csv_suffix(name, "log_")) logs.push_back(it->path().string());
    if (has_prefix_and_csv_suffix(name, "tf_")) features.push_back(it->path().string());
  }
  if (ec) throw InputError(path, 0, "", "cannot list the directory: " + ec.message());
  if (logs.empty()) throw InputError(path, 0, "", "no log_*.csv files in this directory");
  std::sort(logs.begin(), logs.end());
  std::sort(features.begin(), features.end());
}

}  // namespace

Dataset import_spotify_skips(const std::string& path, const ImportOptions& options, IssueLog& issues) {
  std::vector<std::string> logs;
  std::vector<std::string> features;
  find_inputs(path, logs, features);
  DatasetBuilder builder(options.signal);
  SessionState state;
  const double n_files = static_cast<double>(logs.size() + features.size());
  std::size_t done = 0;
  for (const std::string& log : logs) {
    read_log(log, options, builder, issues, state, static_cast<double>(done) / n_files,
             static_cast<double>(done + 1) / n_files);
    if (options.progress) options.progress(static_cast<double>(++done) / n_files);
  }
  std::vector<std::uint8_t> has_features;
  for (const std::string& file : features) {
    read_features(file, options, builder, issues, has_features);
    if (options.progress) options.progress(static_cast<double>(++done) / n_files);
  }
  return builder.finish("spotify-skips:" + path);
}

}  // namespace segue
