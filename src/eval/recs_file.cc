// Reading externally produced recommendation lists into training ids.
#include "eval/recs_file.h"

#include <algorithm>
#include <vector>

#include "data/csv_reader.h"

namespace segue {
namespace {

struct RecsRow {
  std::int32_t user;
  std::int32_t item;  // >= 0: train id; < 0: -(1 + index) of an unknown item
  std::int64_t rank;
  std::int64_t order;  // file order, to keep ties stable
};

}  // namespace

RecsFile read_recs_csv(const std::string& path, const IdMap& users, const IdMap& items, IssueLog& issues) {
  CsvReader csv(path);
  const int user_col = csv.require_column("user_id", "the recs file's user column");
  const int item_col = csv.require_column("item_id", "the recs file's item column");
  const int rank_col = csv.require_column("rank", "the recs file's rank column");
  RecsFile out;
  RecsReport& report = out.report;
  IdMap unknown_users;
  IdMap unknown_items;
  std::vector<RecsRow> rows;
  while (csv.next()) {
    try {
      csv.expect_width();
      const std::string_view user_name = csv.id(user_col);
      const std::string_view item_name = csv.id(item_col);
      const std::int64_t rank = csv.integer(rank_col);
      if (rank < 1) throw csv.error(rank_col, "a rank >= 1 (1 = best), got " + std::to_string(rank));
      ++report.rows;
      const std::int32_t user = users.find(user_name);
      if (user == IdMap::kMissing) {
        ++report.unknown_user_rows;
        unknown_users.intern(user_name);
        continue;
      }
      std::int32_t item = items.find(item_name);
      if (item == IdMap::kMissing) {
        ++report.unknown_item_rows;
        item = -1 - unknown_items.intern(item_name);
      }
      rows.push_back({user, item, rank, static_cast<std::int64_t>(rows.size())});
    } catch (const InputError& error) {
      issues.report(error);
    }
  }
  report.unknown_users = unknown_users.size();
  report.unknown_items = unknown_items.size();
  std::sort(rows.begin(), rows.end(), [](const RecsRow& a, const RecsRow& b) {
    if (a.user != b.user) return a.user < b.user;
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.order < b.order;
  });

  RankedLists& lists = out.lists;
  lists.n_users = users.size();
  lists.indptr.assign(static_cast<std::size_t>(lists.n_users) + 1, 0);
  lists.items.reserve(rows.size());
  // Duplicate detection stamps each item with the last user that listed it:
  // one array for the whole file, no allocation per user.
  std::vector<std::int32_t> seen_known(static_cast<std::size_t>(items.size()), -1);
  std::vector<std::int32_t> seen_unknown(static_cast<std::size_t>(unknown_items.size()), -1);
  std::size_t r = 0;
  for (std::int32_t u = 0; u < lists.n_users; ++u) {
    if (r < rows.size() && rows[r].user == u) ++report.users;
    std::int64_t previous_rank = 0;
    for (; r < rows.size() && rows[r].user == u; ++r) {
      const RecsRow& row = rows[r];
      if (row.rank == previous_rank) ++report.repeated_ranks;
      else report.skipped_ranks += row.rank - previous_rank - 1;
      previous_rank = row.rank;
      std::int32_t& stamp = row.item >= 0 ? seen_known[static_cast<std::size_t>(row.item)]
                                          : seen_unknown[static_cast<std::size_t>(-1 - row.item)];
      if (stamp == u) {
        ++report.duplicate_items;
        continue;
      }
      stamp = u;
      lists.items.push_back(row.item >= 0 ? row.item : kUnknownItem);
    }
    lists.indptr[static_cast<std::size_t>(u) + 1] = static_cast<std::int64_t>(lists.items.size());
  }
  return out;
}

std::int64_t test_users_without_list(const RankedLists& lists, const FeedbackMatrix& test) {
  std::int64_t missing = 0;
  for (std::int32_t u = 0; u < test.n_users; ++u)
    if (test.count(u) > 0 && (u >= lists.n_users || lists.list_of(u).empty())) ++missing;
  return missing;
}

}  // namespace segue
