// The item-features CSV (`--items ITEMS.csv`: item_id plus artist, album,
// genre, year, tags, text and numeric columns) against a small training
// catalogue. Accepted files must give a well-formed FeatureMatrix.
#include "data/id_map.h"
#include "features/item_features.h"
#include "fuzz/fuzz_feature_check.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  segue::fuzz::clear_scratch();
  const std::string path = segue::fuzz::write_file("items.csv", input);
  segue::IdMap items;
  for (const char* id : {"1", "2", "3", "t1", "t2"}) items.intern(id);
  segue::ItemFeatureOptions options;
  options.extend_catalogue = size % 2 == 0;
  options.min_df = 1;
  try {
    segue::ItemFeatureReport report;
    const segue::FeatureMatrix m = segue::build_item_features(path, items, options, &report);
    segue::fuzz::expect_valid(m, items.size());
  } catch (const segue::InputError& error) {
    segue::fuzz::expect_named(error);
  }
  return 0;
}
