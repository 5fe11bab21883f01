#include "eval/test_set.h"

#include <vector>

#include "data/importer.h"

namespace segue {

Dataset load_interactions_csv(const std::string& path, const SignalTable& signal, IssueLog& issues) {
  ImportOptions options;
  options.signal = signal;
  options.columns.detect_optional = true;  // one pass over the file, not a header probe first
  return import_csv(path, options, issues);
}

TestSet map_test_set(const Dataset& test, const Dataset& train) {
  TestSet out;
  const Interactions& x = test.interactions;
  out.events = x.size();
  std::vector<std::int32_t> user_map(static_cast<std::size_t>(test.n_users()));
  std::vector<std::int32_t> item_map(static_cast<std::size_t>(test.n_items()));
  for (std::int32_t u = 0; u < test.n_users(); ++u) user_map[u] = train.users.find(test.users.name(u));
  for (std::int32_t i = 0; i < test.n_items(); ++i) item_map[i] = train.items.find(test.items.name(i));
  std::vector<char> item_seen_unknown(item_map.size(), 0);
  std::vector<FeedbackEntry> entries;
  entries.reserve(static_cast<std::size_t>(x.size()));
  for (std::int32_t u = 0; u < test.n_users(); ++u) {
    if (x.count(u) == 0) continue;
    if (user_map[u] == IdMap::kMissing) {
      ++out.unknown_users;
      out.unknown_user_events += x.count(u);
      continue;
    }
    const std::size_t entries_before = entries.size();
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      const std::int32_t item = item_map[x.items[e]];
      if (item == IdMap::kMissing) {
        ++out.unknown_item_events;
        if (!item_seen_unknown[x.items[e]]) {
          item_seen_unknown[x.items[e]] = 1;
          ++out.unknown_items;
        }
        continue;
      }
      entries.push_back({user_map[u], item, x.weight(e) * test.event_signal[x.event(e)]});
    }
    if (entries.size() == entries_before) ++out.users_only_unknown_items;
  }
  out.feedback = build_feedback(train.n_users(), train.n_items(), entries);
  return out;
}

}  // namespace segue
