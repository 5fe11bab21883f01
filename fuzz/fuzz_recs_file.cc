// The recs file of `segue eval --recs` (user_id,item_id,rank from any system),
// read into training ids. Every list slot must be a known item or kUnknownItem.
#include "data/id_map.h"
#include "eval/metrics.h"
#include "eval/recs_file.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  segue::fuzz::clear_scratch();
  const std::string path = segue::fuzz::write_file(segue::fuzz::looks_gzipped(input) ? "recs.csv.gz" : "recs.csv", input);
  segue::IdMap users, items;
  for (const char* id : {"u1", "u2", "u3", "1"}) users.intern(id);
  for (const char* id : {"i1", "i2", "i3", "i4", "1"}) items.intern(id);
  segue::IssueLog issues(segue::fuzz::mode_for(input));
  try {
    const segue::RecsFile recs = segue::read_recs_csv(path, users, items, issues);
    const segue::RankedLists& lists = recs.lists;
    if (lists.n_users != users.size() || lists.indptr.size() != static_cast<std::size_t>(users.size()) + 1 ||
        static_cast<std::size_t>(lists.indptr.back()) != lists.items.size()) {
      std::fprintf(stderr, "segue fuzz: %d lists for %d users, malformed indptr\n", lists.n_users, users.size());
      std::abort();
    }
    for (std::int32_t u = 0; u < lists.n_users; ++u)
      for (const std::int32_t item : lists.list_of(u))
        if (item != segue::kUnknownItem && (item < 0 || item >= items.size())) {
          std::fprintf(stderr, "segue fuzz: list slot %d outside the %d items\n", item, items.size());
          std::abort();
        }
  } catch (const segue::InputError& error) {
    segue::fuzz::expect_named(error);
  }
  return 0;
}
