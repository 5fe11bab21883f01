// Tests of reading external recommendation lists and of evaluate_lists():
// every defect counted, and the same numbers as evaluate() for the same lists.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "data/error.h"
#include "eval/recs_file.h"
#include "models/registry.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

IdMap names(const char* prefix, std::int32_t n) {
  IdMap map;
  for (std::int32_t i = 0; i < n; ++i) map.intern(prefix + std::to_string(i));
  return map;
}

// Line numbers are physical: the header is line 1.
const char* kDefects =
    "user_id,item_id,rank\n"
    "u0,i1,1\n"
    "u0,i2,3\n"   // rank 2 is missing: 1 skipped rank, the list closes up
    "u0,i1,4\n"   // i1 again: a duplicate, dropped
    "u1,i9,1\n"   // unknown item: kept in place as a miss
    "u1,i0,1\n"   // rank 1 again: a repeated rank, kept after the first in file order
    "ux,i0,1\n"   // unknown user
    "u2,i0,0\n";  // line 8: rank 0 is not a rank

TEST(RecsFile_Read, CountsEveryDefectAndKeepsUnknownItemsAsMisses) {
  TempDir dir;
  const std::string path = dir.write("recs.csv", kDefects);
  IssueLog issues(OnError::kSkip);
  const RecsFile recs = read_recs_csv(path, names("u", 3), names("i", 3), issues);
  EXPECT_EQ(issues.skipped(), 1u);
  const RecsReport& r = recs.report;
  EXPECT_EQ(r.rows, 6);
  EXPECT_EQ(r.users, 2);
  EXPECT_EQ(r.unknown_users, 1);
  EXPECT_EQ(r.unknown_user_rows, 1);
  EXPECT_EQ(r.unknown_items, 1);
  EXPECT_EQ(r.unknown_item_rows, 1);
  EXPECT_EQ(r.repeated_ranks, 1);
  EXPECT_EQ(r.skipped_ranks, 1);
  EXPECT_EQ(r.duplicate_items, 1);
  ASSERT_EQ(recs.lists.n_users, 3);
  EXPECT_EQ(std::vector<std::int32_t>(recs.lists.list_of(0).begin(), recs.lists.list_of(0).end()),
            (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(std::vector<std::int32_t>(recs.lists.list_of(1).begin(), recs.lists.list_of(1).end()),
            (std::vector<std::int32_t>{kUnknownItem, 0}));
  EXPECT_TRUE(recs.lists.list_of(2).empty());

  // u1's hit sits behind the unknown item: MRR 1/2, not 1. u2 (test {0}) has
  // no list: evaluated with an empty one and counted.
  const FeedbackMatrix train =
      build_feedback(3, 3, std::vector<FeedbackEntry>{{0, 0, 1}, {1, 1, 1}, {2, 2, 1}});
  const FeedbackMatrix test = build_feedback(3, 3, std::vector<FeedbackEntry>{{0, 2, 1}, {1, 0, 1}, {2, 0, 1}});
  EXPECT_EQ(test_users_without_list(recs.lists, test), 1);
  EvalOptions options;
  options.metrics = {"mrr@5", "coverage@5"};
  const EvalResult result = evaluate_lists(recs.lists, train, test, options);
  EXPECT_EQ(result.find("mrr@5")->values, (std::vector<double>{0.5, 0.5, 0.0}));
  EXPECT_EQ(result.empty_list_users, 1);
  EXPECT_EQ(result.short_list_users, 2);
  EXPECT_DOUBLE_EQ(result.find("coverage@5")->mean, 1.0);  // items 0, 1, 2 all shown; the unknown one is not counted
}

TEST(RecsFile_Read, BadLinesNameFileLineAndColumnUnderFail) {
  TempDir dir;
  const std::string path = dir.write("recs.csv", kDefects);
  IssueLog issues(OnError::kFail);
  try {
    read_recs_csv(path, names("u", 3), names("i", 3), issues);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 8u);
    EXPECT_EQ(e.field(), "rank");
  }
  const std::string no_rank = dir.write("norank.csv", "user_id,item_id\nu0,i0\n");
  EXPECT_THROW(read_recs_csv(no_rank, names("u", 1), names("i", 1), issues), InputError);  // header names no rank
  const std::string text_rank = dir.write("text.csv", "user_id,item_id,rank\nu0,i0,first\n");
  try {
    read_recs_csv(text_rank, names("u", 1), names("i", 1), issues);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.field(), "rank");
  }
  EXPECT_THROW(read_recs_csv(dir.file("missing.csv"), names("u", 1), names("i", 1), issues), InputError);
}

// A model's lists written as a recs file and read back give the same per-user
// numbers as evaluating the model directly: one metric path for both ways in.
TEST(RecsFile_Evaluate, ModelListsReadBackGiveIdenticalNumbers) {
  std::mt19937 rng(5);
  std::vector<FeedbackEntry> train_entries;
  std::vector<FeedbackEntry> test_entries;
  for (std::int32_t u = 0; u < 120; ++u)
    for (int j = 0; j < 9; ++j)
      (j < 6 ? train_entries : test_entries)
          .push_back({u, static_cast<std::int32_t>(rng() % 40), static_cast<float>(1 + rng() % 3)});
  const FeedbackMatrix train = build_feedback(120, 40, train_entries);
  const FeedbackMatrix test = build_feedback(120, 40, test_entries);
  const IdMap users = names("user", 120);
  const IdMap items = names("item", 40);
  EvalOptions options;
  options.metrics = {"ndcg@10", "gndcg@10", "recall@5",  "recall_min@5", "precision@10", "f1@10",
                     "map@10",  "mrr@10",   "hit@3",     "rprecision@20", "clicks@20",   "coverage@10",
                     "gini@10", "novelty@10", "arp@10",  "unexpectedness@5"};
  options.keep_lists = true;
  for (const char* spec : {"pop", "random:seed=9"}) {
    auto model = make_recommender(spec);
    model->fit(train);
    const EvalResult direct = evaluate(*model, train, test, options);
    std::string csv = "user_id,item_id,rank\n";
    for (std::size_t row = 0; row < direct.users.size(); ++row)
      for (std::int32_t i = 0; i < direct.list_counts[row]; ++i)
        csv += std::string(users.name(direct.users[row])) + "," +
               std::string(items.name(direct.lists[row * direct.list_k + i].item)) + "," + std::to_string(i + 1) +
               "\n";
    TempDir dir;
    IssueLog issues;
    const RecsFile recs = read_recs_csv(dir.write("recs.csv", csv), users, items, issues);
    EXPECT_EQ(recs.report.duplicate_items + recs.report.skipped_ranks + recs.report.unknown_items, 0);
    const EvalResult read_back = evaluate_lists(recs.lists, train, test, options, spec);
    ASSERT_EQ(read_back.users, direct.users);
    ASSERT_GT(direct.evaluated_users, 100);
    for (std::size_t m = 0; m < direct.metrics.size(); ++m) {
      EXPECT_EQ(read_back.metrics[m].values, direct.metrics[m].values) << spec << " " << direct.metrics[m].name;
      EXPECT_EQ(read_back.metrics[m].mean, direct.metrics[m].mean) << spec << " " << direct.metrics[m].name;
    }
  }
}

}  // namespace
}  // namespace segue
