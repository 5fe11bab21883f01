// The item-feature pipeline (docs/FEATURES.md): two passes over an items CSV —
// the first decides which unknown columns are numeric, the second collects
// terms and numbers per row — then vocabularies are pruned (min_df, max
// vocabulary), numbers standardised and binned, and the CSR matrix assembled.
#include "features/item_features.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "data/csv_reader.h"
#include "data/error.h"
#include "features/feature_cells.h"
#include "features/text_embeddings.h"

namespace segue {
namespace {

constexpr std::array<std::string_view, 15> kAudioColumns{
    "danceability", "energy",   "loudness", "speechiness", "acousticness", "instrumentalness",
    "liveness",     "valence",  "tempo",    "key",         "mode",         "duration_ms",
    "popularity",   "time_signature", "duration"};

enum class Role { kId, kArtist, kAlbum, kGenre, kYear, kTags, kWords, kNumeric, kIgnored };

// Term groups (one-hot, tags, words), in feature-id order.
enum TermGroup : int { kGArtist = 0, kGAlbum, kGGenre, kGYear, kGTag, kGWord, kTermGroups };
constexpr std::array<const char*, kTermGroups> kTermGroupNames{"artist", "album", "genre", "year", "tag", "word"};

Role known_role(std::string_view name, const ItemFeatureOptions& options) {
  for (const std::string& ignored : options.ignore_columns)
    if (name == ignored) return Role::kIgnored;
  if (name == "item_id") return Role::kId;
  if (name == "artist") return Role::kArtist;
  if (name == "album") return Role::kAlbum;
  if (name == "genre") return Role::kGenre;
  if (name == "year") return Role::kYear;
  if (name == "tags") return Role::kTags;
  if (name == "name" || name == "text") return Role::kWords;
  if (is_audio_feature_column(name)) return Role::kNumeric;
  return Role::kIgnored;  // decided by the first pass
}

// Terms seen in one group: vocabulary, document frequency.
struct TermTable {
  IdMap vocab;
  std::vector<std::int64_t> df;
  std::int32_t intern(std::string_view term) {
    const std::int32_t id = vocab.intern(term);
    if (static_cast<std::size_t>(id) >= df.size()) df.push_back(0);
    return id;
  }
};

struct Term {
  std::int32_t group;
  std::int32_t local;
  float value;
};

int parse_year(const CsvReader& csv, int column, std::string_view text) {
  double value = 0;
  long year = -1;
  if (parse_double(text, value)) {
    // Range first: converting a double outside long's range (1e300) is undefined behaviour.
    if (value >= 0 && value < 10000) year = static_cast<long>(std::floor(value));
  } else if (text.size() >= 5 && text[4] == '-' &&
             std::all_of(text.begin(), text.begin() + 4, [](char c) { return c >= '0' && c <= '9'; })) {
    year = std::stol(std::string(text.substr(0, 4)));  // an ISO date: 1994-05-01
  }
  if (year < 0 || year > 9999)
    throw csv.error(column, "expected a year like 1994 or a date like 1994-05-01, got '" + std::string(text) + "'");
  return static_cast<int>(year);
}

}  // namespace

bool is_audio_feature_column(std::string_view name) {
  return std::find(kAudioColumns.begin(), kAudioColumns.end(), name) != kAudioColumns.end();
}

std::vector<std::string> tokenize_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 2) words.push_back(word);
    word.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) word.push_back(static_cast<char>(c));
      else if (c >= 'A' && c <= 'Z') word.push_back(static_cast<char>(c - 'A' + 'a'));
      else flush();  // ASCII space, punctuation, control
      ++i;
      continue;
    }
    // A UTF-8 sequence: kept whole; Unicode punctuation and spaces (Latin-1
    // signs, U+2000-U+206F, U+3000-U+303F) split; Latin-1 capitals lower-cased.
    std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + length > text.size()) length = text.size() - i;
    std::uint32_t cp = 0;
    if (length == 2) cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
    if (length == 3)
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
    const bool separator = (cp >= 0xA0 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
                           (cp >= 0x3000 && cp <= 0x303F);
    if (separator) {
      flush();
    } else if (length == 2 && cp >= 0xC0 && cp <= 0xDE) {
      const std::uint32_t lower = cp + 0x20;
      word.push_back(static_cast<char>(0xC0 | (lower >> 6)));
      word.push_back(static_cast<char>(0x80 | (lower & 0x3F)));
    } else {
      word.append(text.substr(i, length));
    }
    i += length;
  }
  flush();
  return words;
}

std::string ItemFeatureReport::summary() const {
  std::string out = "items: " + std::to_string(rows) + " rows from " + path + "; " +
                    std::to_string(described_training_items) + " of " + std::to_string(items_before) +
                    " training items described; " + std::to_string(added_items) +
                    " catalogue items added (no interactions) -> " + std::to_string(items_after) + " items";
  if (ignored_rows > 0) out += "; " + std::to_string(ignored_rows) + " rows of unknown items ignored";
  out += "\n  " + std::to_string(missing_values) + " missing numeric values (feature absent), " +
         std::to_string(items_without_features) + " described items without any feature, " +
         std::to_string(dropped_terms) + " terms below min_df or beyond the vocabulary cap";
  for (const FeatureGroupReport& g : groups) {
    out += "\n  group " + g.group + ": " + std::to_string(g.features) + " features, " + std::to_string(g.items) +
           " items";
    if (g.group != "text") continue;
    if (g.features == 0) out += " (no words to embed in the file: no text embeddings)";
    else out += " (fastText skipgram; " + std::to_string(rows - ignored_rows - g.items) + " described items without text)";
  }
  return out;
}

FeatureMatrix build_item_features(const std::string& path, IdMap& items, const ItemFeatureOptions& options,
                                  ItemFeatureReport* report_out) {
  if (options.bins < 0 || options.bins > 100) throw UsageError("item features: bins must be in [0, 100]");
  if (options.min_df < 1 || options.min_category_df < 1) throw UsageError("item features: min_df must be >= 1");
  if (options.max_vocabulary < 0) throw UsageError("item features: max_vocabulary must be >= 0");
  if (options.text_dim < 0 || options.text_dim > 1024)
    throw UsageError("item features: text_dim must be in [0, 1024] (0 = no text embeddings), got " +
                     std::to_string(options.text_dim));
  const bool embed_text = options.text_dim > 0;
  if (embed_text && (options.text_epochs < 1 || options.text_epochs > 1000))
    throw UsageError("item features: text_epochs must be in [1, 1000], got " + std::to_string(options.text_epochs));
  ItemFeatureReport report;
  report.path = path;
  report.items_before = items.size();

  // Pass 1: roles; unknown columns are numeric when every non-empty cell looks
  // like a number (±inf and NaN included, so that they are reported, not read as words).
  std::vector<Role> roles;
  int item_col = -1;
  std::vector<std::string> header;
  {
    CsvReader csv(path);
    header = csv.header();
    item_col = csv.require_column("item_id", "the items file's id column");
    // Roles go by name, so a repeated name would give an item the same feature twice.
    for (std::size_t c = 1; c < header.size(); ++c)
      for (std::size_t d = 0; d < c; ++d)
        if (header[c] == header[d])
          throw csv.error(static_cast<int>(c), "column name repeats column " + std::to_string(d + 1) +
                                                   " of the header; rename or drop one");
    roles.resize(header.size());
    std::vector<std::uint8_t> unknown(header.size(), 0), numeric(header.size(), 1);
    for (std::size_t c = 0; c < header.size(); ++c) {
      roles[c] = known_role(header[c], options);
      const bool listed = std::find(options.ignore_columns.begin(), options.ignore_columns.end(), header[c]) !=
                          options.ignore_columns.end();
      if (roles[c] == Role::kIgnored && !listed) unknown[c] = 1;
    }
    while (csv.next()) {
      if (csv.size() != header.size()) continue;  // reported in pass 2
      for (std::size_t c = 0; c < header.size(); ++c)
        if (unknown[c] && numeric[c] && !number_like(csv.field(c))) numeric[c] = 0;
    }
    for (std::size_t c = 0; c < header.size(); ++c)
      if (unknown[c]) roles[c] = numeric[c] ? Role::kNumeric : Role::kWords;
  }
  std::vector<int> numeric_cols;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (roles[c] == Role::kNumeric) {
      numeric_cols.push_back(static_cast<int>(c));
      report.numeric_columns.push_back(header[c]);
    } else if (roles[c] == Role::kIgnored) {
      report.ignored_columns.push_back(header[c]);
    } else if (roles[c] != Role::kId && roles[c] != Role::kTags) {
      report.has_categorical = true;
      if (roles[c] == Role::kWords) report.text_columns.push_back(header[c]);
    }
  }

  // Pass 2: terms and numbers per row.
  std::array<TermTable, kTermGroups> tables;
  std::vector<Term> terms;
  std::vector<std::int64_t> row_begin{0};
  std::vector<std::int32_t> row_item;
  std::vector<std::vector<double>> numbers(numeric_cols.size());
  std::vector<std::size_t> line_of(static_cast<std::size_t>(items.size()), 0);
  IdMap added;  // catalogue items, ids items.size() + k
  std::vector<std::vector<std::string>> row_text;  // per row read: the words to embed (text_dim > 0)
  {
    CsvReader csv(path);
    std::unordered_map<std::int32_t, double> bag;  // local term -> count, per group and row
    while (csv.next()) {
      csv.expect_width();
      const std::string_view name = csv.id(item_col);
      std::int32_t item = items.find(name);
      if (item == IdMap::kMissing) {
        const std::int32_t known = added.find(name);
        if (known != IdMap::kMissing) item = report.items_before + known;
      }
      // Numbers are checked on every row, so a malformed file fails either way.
      std::vector<double> row_numbers(numeric_cols.size(), std::numeric_limits<double>::quiet_NaN());
      for (std::size_t j = 0; j < numeric_cols.size(); ++j) {
        double v = 0;
        if (audio_cell(csv, numeric_cols[j], header[static_cast<std::size_t>(numeric_cols[j])], v)) row_numbers[j] = v;
      }
      if (item == IdMap::kMissing) {
        if (!options.extend_catalogue) {
          ++report.ignored_rows;
          continue;
        }
        // Added to `items` only once the whole file has been read (an error leaves it as it was).
        item = report.items_before + added.intern(name);
        if (static_cast<std::size_t>(item) >= line_of.size()) {
          line_of.resize(static_cast<std::size_t>(item) + 1, 0);
          ++report.added_items;
        }
      }
      if (line_of[static_cast<std::size_t>(item)] != 0)
        throw csv.error(item_col, "item '" + std::string(name) + "' already listed on line " +
                                      std::to_string(line_of[static_cast<std::size_t>(item)]));
      line_of[static_cast<std::size_t>(item)] = csv.line();
      if (item < report.items_before) ++report.described_training_items;
      row_item.push_back(item);
      for (std::size_t j = 0; j < numeric_cols.size(); ++j) {
        if (std::isnan(row_numbers[j])) ++report.missing_values;
        numbers[j].push_back(row_numbers[j]);
      }
      // Collects a group's terms of this row (counts summed), then emits them.
      auto emit = [&](int group) {
        std::vector<std::pair<std::int32_t, double>> sorted(bag.begin(), bag.end());
        std::sort(sorted.begin(), sorted.end());
        for (const auto& [local, count] : sorted) {
          ++tables[group].df[static_cast<std::size_t>(local)];
          terms.push_back({group, local, static_cast<float>(count)});
        }
        bag.clear();
      };
      auto add = [&](int group, std::string_view term, double count) {
        if (term.empty()) return;
        bag[tables[group].intern(term)] += count;
      };
      std::string words_text, embed_text_of_row;  // the latter: word columns and tag names, for fastText
      for (std::size_t c = 0; c < header.size(); ++c) {
        const int col = static_cast<int>(c);
        const std::string_view value = trim_cell(csv.text(col));
        switch (roles[c]) {
          case Role::kArtist:
            if (options.artist) add(kGArtist, value, 1), emit(kGArtist);
            break;
          case Role::kAlbum:
            if (options.album) add(kGAlbum, value, 1), emit(kGAlbum);
            break;
          case Role::kGenre:
            if (options.genre) {
              std::string_view rest = value;
              while (!rest.empty()) {
                const std::size_t bar = rest.find('|');
                add(kGGenre, trim_cell(rest.substr(0, bar)), 1);
                rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
              }
              for (auto& [local, count] : bag) count = 1;
              emit(kGGenre);
            }
            break;
          case Role::kYear:
            if (!value.empty()) {
              const int year = parse_year(csv, col, value);  // checked even when the group is off
              if (options.year) add(kGYear, std::to_string(year / 10 * 10) + "s", 1), emit(kGYear);
            }
            break;
          case Role::kTags:
            if (embed_text) {
              std::string_view rest = value;
              while (!rest.empty()) {
                const std::size_t bar = rest.find('|');
                embed_text_of_row.append(token_and_count(trim_cell(rest.substr(0, bar))).first);
                embed_text_of_row.push_back(' ');
                rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
              }
            }
            if (options.tags) {
              std::string_view rest = value;
              while (!rest.empty()) {
                const std::size_t bar = rest.find('|');
                const auto [tag, count] = token_and_count(trim_cell(rest.substr(0, bar)));
                add(kGTag, tag, count);
                rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
              }
              emit(kGTag);
            }
            break;
          case Role::kWords:
            if (embed_text && !value.empty()) {
              embed_text_of_row.append(value);
              embed_text_of_row.push_back(' ');
            }
            if (options.words && !value.empty()) {
              words_text.append(value);
              words_text.push_back(' ');
            }
            break;
          default:
            break;
        }
      }
      for (const std::string& w : tokenize_words(words_text)) add(kGWord, w, 1);
      emit(kGWord);
      if (embed_text) row_text.push_back(tokenize_words(embed_text_of_row));
      row_begin.push_back(static_cast<std::int64_t>(terms.size()));
    }
  }
  const auto n_rows_read = static_cast<std::int64_t>(row_item.size());
  report.rows = n_rows_read + report.ignored_rows;

  // Vocabularies: min_df, then the most frequent max_vocabulary, then by name.
  FeatureMatrix m;
  std::array<std::vector<std::int32_t>, kTermGroups> feature_of;  // local term -> feature id (-1 = dropped)
  std::vector<std::string> names;
  std::vector<std::int16_t> group_of;
  auto add_group = [&](const std::string& group) {
    m.groups.push_back(group);
    return static_cast<std::int16_t>(m.groups.size() - 1);
  };
  for (int g = 0; g < kTermGroups; ++g) {
    TermTable& t = tables[static_cast<std::size_t>(g)];
    const std::int64_t min_df = g == kGWord || g == kGTag ? options.min_df
                                : g == kGYear             ? 1
                                                          : options.min_category_df;
    std::vector<std::int32_t> kept;
    for (std::int32_t local = 0; local < t.vocab.size(); ++local)
      if (t.df[static_cast<std::size_t>(local)] >= min_df) kept.push_back(local);
    auto by_df = [&](std::int32_t a, std::int32_t b) {
      if (t.df[a] != t.df[b]) return t.df[a] > t.df[b];
      return t.vocab.name(a) < t.vocab.name(b);
    };
    if (options.max_vocabulary > 0 && kept.size() > static_cast<std::size_t>(options.max_vocabulary)) {
      std::partial_sort(kept.begin(), kept.begin() + options.max_vocabulary, kept.end(), by_df);
      kept.resize(static_cast<std::size_t>(options.max_vocabulary));
    }
    report.dropped_terms += t.vocab.size() - static_cast<std::int64_t>(kept.size());
    std::sort(kept.begin(), kept.end(), [&](std::int32_t a, std::int32_t b) { return t.vocab.name(a) < t.vocab.name(b); });
    feature_of[static_cast<std::size_t>(g)].assign(static_cast<std::size_t>(t.vocab.size()), -1);
    if (kept.empty()) continue;
    const std::int16_t gid = add_group(kTermGroupNames[static_cast<std::size_t>(g)]);
    for (const std::int32_t local : kept) {
      feature_of[static_cast<std::size_t>(g)][static_cast<std::size_t>(local)] = static_cast<std::int32_t>(names.size());
      names.push_back(std::string(kTermGroupNames[static_cast<std::size_t>(g)]) + "=" + std::string(t.vocab.name(local)));
      group_of.push_back(gid);
    }
  }
  // IDF over the rows read: ln((1 + N) / (1 + df)) + 1 (smooth, never 0).
  std::vector<double> idf(static_cast<std::size_t>(tables[kGWord].vocab.size()));
  for (std::size_t w = 0; w < idf.size(); ++w)
    idf[w] = std::log((1.0 + static_cast<double>(n_rows_read)) / (1.0 + static_cast<double>(tables[kGWord].df[w]))) + 1.0;

  // Numeric columns: z-score over the described items that have the value, and quantile bins.
  struct NumericFeature {
    std::int32_t z = -1;                 // feature id of the z-score
    double mean = 0, scale = 0;
    std::vector<double> cuts;            // bins - 1 ascending cut points
    std::vector<std::int32_t> bin_feature;  // per bin: feature id or -1 (never occurs)
  };
  std::vector<NumericFeature> numeric_features(numeric_cols.size());
  std::int16_t audio_gid = -1, audio_bin_gid = -1, numeric_gid = -1, numeric_bin_gid = -1;
  if (options.numeric) {
    for (std::size_t j = 0; j < numeric_cols.size(); ++j) {
      std::vector<double> present;
      for (const double v : numbers[j])
        if (!std::isnan(v)) present.push_back(v);
      if (present.empty()) continue;
      NumericFeature& f = numeric_features[j];
      const std::string& column = header[static_cast<std::size_t>(numeric_cols[j])];
      const bool audio = is_audio_feature_column(column);
      std::int16_t& gid = audio ? audio_gid : numeric_gid;
      if (gid < 0) gid = add_group(audio ? "audio" : "numeric");
      double sum = 0, sq = 0;
      for (const double v : present) sum += v;
      f.mean = sum / static_cast<double>(present.size());
      for (const double v : present) sq += (v - f.mean) * (v - f.mean);
      const double sd = std::sqrt(sq / static_cast<double>(present.size()));  // population sd
      f.scale = sd > 0 ? 1.0 / sd : 0.0;
      f.z = static_cast<std::int32_t>(names.size());
      names.push_back(column);
      group_of.push_back(gid);
      if (options.bins < 2) continue;
      std::sort(present.begin(), present.end());
      const auto n = present.size();
      for (std::int32_t b = 1; b < options.bins; ++b) f.cuts.push_back(present[n * static_cast<std::size_t>(b) / static_cast<std::size_t>(options.bins)]);
      std::vector<std::uint8_t> occurs(static_cast<std::size_t>(options.bins), 0);
      for (const double v : present)
        occurs[static_cast<std::size_t>(std::upper_bound(f.cuts.begin(), f.cuts.end(), v) - f.cuts.begin())] = 1;
      std::int16_t& bin_gid = audio ? audio_bin_gid : numeric_bin_gid;
      if (bin_gid < 0) bin_gid = add_group(audio ? "audio_bin" : "numeric_bin");
      f.bin_feature.assign(static_cast<std::size_t>(options.bins), -1);
      for (std::int32_t b = 0; b < options.bins; ++b) {
        if (!occurs[static_cast<std::size_t>(b)]) continue;
        f.bin_feature[static_cast<std::size_t>(b)] = static_cast<std::int32_t>(names.size());
        names.push_back(column + "_bin=" + std::to_string(b));
        group_of.push_back(bin_gid);
      }
    }
  }

  // Text embeddings (group "text", after every other group): one dense unit
  // vector per row that has words; no corpus at all -> no group, reported.
  TextEmbeddings text;
  std::int32_t text_base = -1;
  if (embed_text) {
    TextEmbeddingOptions text_options;
    text_options.dim = options.text_dim;
    text_options.epochs = options.text_epochs;
    text_options.seed = options.text_seed;
    text = train_text_embeddings(row_text, text_options, path);
    row_text = {};
    if (text.dim > 0) {
      const std::int16_t gid = add_group("text");
      text_base = static_cast<std::int32_t>(names.size());
      for (std::int32_t j = 0; j < text.dim; ++j) {
        names.push_back("text:" + std::to_string(j));
        group_of.push_back(gid);
      }
    }
  }

  // Assemble the CSR rows in item order.
  const std::int32_t n_items = report.items_before + added.size();
  std::vector<std::int64_t> row_of(static_cast<std::size_t>(n_items), -1);
  for (std::int64_t r = 0; r < n_rows_read; ++r) row_of[static_cast<std::size_t>(row_item[static_cast<std::size_t>(r)])] = r;
  m.n_rows = n_items;
  m.n_features = static_cast<std::int32_t>(names.size());
  m.names = std::move(names);
  m.group_of = std::move(group_of);
  m.described.assign(static_cast<std::size_t>(n_items), 0);
  m.indptr.assign(1, 0);
  std::vector<std::pair<std::int32_t, float>> row;
  std::vector<std::int64_t> group_items(m.groups.size(), 0);
  std::vector<std::uint8_t> group_seen(m.groups.size(), 0);
  for (std::int32_t item = 0; item < n_items; ++item) {
    const std::int64_t r = row_of[static_cast<std::size_t>(item)];
    row.clear();
    if (r >= 0) {
      m.described[static_cast<std::size_t>(item)] = 1;
      double tag_max = 0, word_norm = 0;
      for (std::int64_t t = row_begin[r]; t < row_begin[r + 1]; ++t) {
        const Term& term = terms[static_cast<std::size_t>(t)];
        if (feature_of[term.group][term.local] < 0) continue;
        if (term.group == kGTag) tag_max = std::max(tag_max, static_cast<double>(term.value));
        if (term.group == kGWord) {
          const double w = term.value * idf[term.local];
          word_norm += w * w;
        }
      }
      word_norm = std::sqrt(word_norm);
      for (std::int64_t t = row_begin[r]; t < row_begin[r + 1]; ++t) {
        const Term& term = terms[static_cast<std::size_t>(t)];
        const std::int32_t feature = feature_of[term.group][term.local];
        if (feature < 0) continue;
        double value = 1.0;
        if (term.group == kGTag) value = term.value / tag_max;
        if (term.group == kGWord) value = term.value * idf[term.local] / word_norm;
        row.push_back({feature, static_cast<float>(value)});
      }
      for (std::size_t j = 0; j < numeric_features.size(); ++j) {
        const NumericFeature& f = numeric_features[j];
        const double v = numbers[j][static_cast<std::size_t>(r)];
        if (f.z < 0 || std::isnan(v)) continue;
        row.push_back({f.z, static_cast<float>((v - f.mean) * f.scale)});
        if (f.bin_feature.empty()) continue;
        const auto bin = std::upper_bound(f.cuts.begin(), f.cuts.end(), v) - f.cuts.begin();
        row.push_back({f.bin_feature[static_cast<std::size_t>(bin)], 1.0f});
      }
      if (text_base >= 0 && text.has_vector[static_cast<std::size_t>(r)]) {
        const auto vector = text.row(static_cast<std::size_t>(r));
        for (std::int32_t j = 0; j < text.dim; ++j) row.push_back({text_base + j, vector[static_cast<std::size_t>(j)]});
      }
      if (row.empty()) ++report.items_without_features;
    }
    std::sort(row.begin(), row.end());
    std::fill(group_seen.begin(), group_seen.end(), 0);
    for (const auto& [feature, value] : row) {
      m.indices.push_back(feature);
      m.values.push_back(value);
      const auto g = static_cast<std::size_t>(m.group_of[static_cast<std::size_t>(feature)]);
      if (!group_seen[g]) {
        group_seen[g] = 1;
        ++group_items[g];
      }
    }
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  for (std::size_t g = 0; g < m.groups.size(); ++g) {
    FeatureGroupReport gr;
    gr.group = m.groups[g];
    gr.items = group_items[g];
    gr.features = static_cast<std::int32_t>(std::count(m.group_of.begin(), m.group_of.end(), static_cast<std::int16_t>(g)));
    report.groups.push_back(gr);
  }
  if (embed_text && text.dim == 0) report.groups.push_back({"text", 0, 0});  // no words to embed: no group
  report.items_after = n_items;
  m.validate();
  for (std::int32_t k = 0; k < added.size(); ++k) items.intern(added.name(k));
  if (report_out != nullptr) *report_out = std::move(report);
  return m;
}

}  // namespace segue
