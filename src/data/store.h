// The binary dataset store: a directory holding meta.json and one checksummed,
// memory-mappable .bin file per array. Format and error cases: docs/STORE.md.
#pragma once

#include <string>

#include "data/dataset.h"

namespace segue {

// Bumped whenever the layout changes; a build reads stores up to its own version.
constexpr int kStoreVersion = 1;

// Writes `dataset` to `dir` atomically: into a sibling temp directory that is
// fsynced and renamed into place. An existing segue store at `dir` (or an empty
// directory) is replaced; anything else there is refused with an InputError.
// Throws std::invalid_argument if the dataset itself is inconsistent.
void save_dataset(const Dataset& dataset, const std::string& dir);

// Maps every array back, checking magic, version, dtype, counts and checksums,
// then validates the dataset. Every failure is an InputError naming the file
// and the array.
Dataset load_dataset(const std::string& dir);

// True when `dir` holds a readable meta.json of format "segue-dataset".
bool is_dataset_dir(const std::string& dir);

}  // namespace segue
