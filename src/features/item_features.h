// The item-feature pipeline: an items CSV (`--items ITEMS.csv`) -> FeatureMatrix
// over the training item ids, extended by the catalogue items the file names
// that have no interactions yet (that is how cold items become scorable).
// Feature groups, defaults and missing-value rules: docs/FEATURES.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/id_map.h"
#include "features/feature_matrix.h"

namespace segue {

struct ItemFeatureOptions {
  // Which groups to build (all on by default).
  bool artist = true;    // "artist=Queen" one-hot
  bool album = true;     // "album=..." one-hot
  bool genre = true;     // "genre=rock" one-hot ('|'-separated values allowed)
  bool year = true;      // "year=1990s" decade bucket
  bool tags = true;      // "tag=rock", weight = count / the item's largest tag count
  bool words = true;     // "word=love" TF-IDF over name, text and other text columns
  bool numeric = true;   // standardised numeric columns ("energy", z-score)
  // Quantile bins per numeric column ("energy_bin=0" .. bins-1); 0 = none.
  std::int32_t bins = 4;
  // Words and tags must occur in at least min_df described items to become a
  // feature (1 = keep all); categorical values (artist, album, genre) need
  // min_category_df.
  std::int32_t min_df = 2;
  std::int32_t min_category_df = 1;
  // At most this many features per group (the most frequent kept; ties by
  // name); 0 = no limit.
  std::int32_t max_vocabulary = 50000;
  // Items in the file but not in the id map are added to it (catalogue items
  // without interactions). false: their rows are ignored (counted).
  bool extend_catalogue = true;
  // Dense text embeddings trained with fastText (libfasttext) on the file's own
  // text (name, text, tags and other text columns): group "text", columns
  // "text:0" .. "text:<text_dim-1>", an item's row = the mean of its words'
  // vectors (features/text_embeddings.h). 0 = off (`--text-dim N` on the CLI).
  std::int32_t text_dim = 0;
  std::int32_t text_epochs = 10;    // fastText passes over the corpus
  std::uint64_t text_seed = 42;     // with one thread the embeddings are deterministic
  // Columns never read (ids and links say nothing about the music).
  std::vector<std::string> ignore_columns{"url", "uri", "key_name"};
};

struct FeatureGroupReport {
  std::string group;
  std::int32_t features = 0;  // columns of the group
  std::int64_t items = 0;     // items with at least one feature of the group
};

struct ItemFeatureReport {
  std::string path;
  std::int64_t rows = 0;              // data rows read
  std::int32_t items_before = 0;      // id map size on entry (the training items)
  std::int32_t items_after = 0;       // id map size on return (= FeatureMatrix::n_rows)
  std::int64_t added_items = 0;       // catalogue items added to the id map
  std::int64_t ignored_rows = 0;      // rows of unknown items when !extend_catalogue
  std::int64_t described_training_items = 0;  // training items with a row
  std::int64_t items_without_features = 0;    // described items whose row gave no feature
  std::int64_t missing_values = 0;    // empty or NaN numeric cells (feature absent for that item)
  std::int64_t dropped_terms = 0;     // words/tags/values below min_df or beyond max_vocabulary
  std::vector<std::string> numeric_columns, text_columns, ignored_columns;
  bool has_categorical = false;       // artist/album/genre/year/name/text or other text columns
  std::vector<FeatureGroupReport> groups;

  std::string summary() const;  // several lines, for the CLI
};

// Reads `path` (header `item_id` plus any of artist, name, album, genre, year,
// tags, text, and numeric columns) into a FeatureMatrix whose rows are the ids
// of `items` after the catalogue extension. InputError naming file, line and
// column for: a missing item_id column, an empty or duplicate item id, a
// malformed number in a known numeric column (audio features, year), ±inf in
// any numeric column, a row of the wrong width. Empty and NaN numeric cells
// are missing values (feature absent, counted). UsageError for bad options.
FeatureMatrix build_item_features(const std::string& path, IdMap& items, const ItemFeatureOptions& options = {},
                                  ItemFeatureReport* report = nullptr);

// Words of `text` for TF-IDF: splits on ASCII spaces, punctuation and control
// bytes and on Unicode punctuation/spaces (Latin-1 signs U+00A0-U+00BF, ×, ÷,
// U+2000-U+206F, U+3000-U+303F); other UTF-8 sequences stay inside words
// untouched (so any script survives). ASCII and Latin-1 capitals (À-Þ) are
// lower-cased. Words of one byte are dropped.
std::vector<std::string> tokenize_words(std::string_view text);

// The numeric column names read as audio features (group "audio").
bool is_audio_feature_column(std::string_view name);

}  // namespace segue
