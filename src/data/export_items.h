// Writes a store's item attributes as the items CSV that `--items` reads
// (features/item_features.h, docs/FEATURES.md): `segue export DIR --format items`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/error.h"

namespace segue {

struct ExportItemsReport {
  std::int64_t items = 0;          // items in the store
  std::int64_t rows = 0;           // rows written (items with at least one value)
  std::int64_t empty_items = 0;    // items without any attribute: no row (described = 0 downstream)
  std::int64_t audio_tracks = 0;   // tracks read from the --audio catalogue
  std::int64_t audio_matched = 0;  // store items found in it
  std::vector<std::string> columns;  // header written
};

// Header: item_id, the store's string columns, its numeric columns, then the
// string and numeric columns of the audio catalogue the store lacks (when
// `audio_csv` is not empty: a track catalogue as `segue import --format tracks`
// reads, joined on the item id, e.g. spotify:track:ID), then `tags` ('|'-joined,
// "tag:count" when the count is not 1; a '|' inside a tag becomes '/').
// Missing numbers are empty cells. Items with no value at all get no row.
// Written to PATH.tmp and renamed into place; std::runtime_error when the file
// cannot be written; InputError from reading the audio catalogue.
ExportItemsReport export_items_csv(const Dataset& dataset, const std::string& path, const std::string& audio_csv,
                                   IssueLog& issues);

}  // namespace segue
