// Item side information — what the music is — as one sparse matrix that every
// content-aware model reads: rows are items (the training id space, extended by
// catalogue items that have no interactions yet), columns are named features
// grouped by where they come from. Built by the feature pipeline
// (features/item_features.h) and saved inside the model files that use it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace segue {

class ModelWriter;
class ModelReader;

struct FeatureMatrix {
  std::int32_t n_rows = 0;      // items
  std::int32_t n_features = 0;  // columns
  // CSR by item: row r's feature ids (ascending, unique) and values. One-hot
  // features have value 1 (or a TF-IDF weight); standardised numeric features
  // carry the z-score; every row may be empty.
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> indices;
  std::vector<float> values;
  // Per feature: a readable name ("artist=Queen", "tag=rock", "word=love",
  // "energy", "energy_bin=high", "year=1990s", "text:17") and its group index.
  std::vector<std::string> names;
  std::vector<std::int16_t> group_of;
  // Group names, e.g. "artist", "album", "genre", "year", "tag", "word", "audio",
  // "audio_bin", "text" (fastText embeddings). Models may weight or select by group.
  std::vector<std::string> groups;
  // Per item: 1 when the source described the item (a row in the items file),
  // 0 otherwise — an item without features is not the same as one whose
  // features are all zero.
  std::vector<std::uint8_t> described;

  std::int64_t nnz() const { return static_cast<std::int64_t>(indices.size()); }
  std::int64_t count(std::int32_t row) const { return indptr[row + 1] - indptr[row]; }
  std::span<const std::int32_t> row_indices(std::int32_t row) const {
    return {indices.data() + indptr[row], static_cast<std::size_t>(count(row))};
  }
  std::span<const float> row_values(std::int32_t row) const {
    return {values.data() + indptr[row], static_cast<std::size_t>(count(row))};
  }
  bool empty() const { return n_features == 0; }

  // Throws std::invalid_argument naming the broken invariant (sizes, sorted
  // unique indices in range, finite values, group ids in range).
  void validate() const;
  // Sections "<prefix>.indptr", ".indices", ".values", ".names", ".group_of",
  // ".groups", ".described", ".shape" in a model file; load checks the shape
  // and validate()s, failing through ModelReader::fail (InputError naming the
  // file and section).
  void save(ModelWriter& out, const std::string& prefix) const;
  static FeatureMatrix load(const ModelReader& in, const std::string& prefix);
};

}  // namespace segue
