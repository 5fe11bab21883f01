// `segue eval --candidates`: ranking restricted to a candidate set (the
// evaluator's restricted path and the CLI, with --items extending the catalogue).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "eval/evaluator.h"
#include "eval/test_set.h"
#include "models/recommender.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

// Scores item i as 1 - i/100 for every user: the ranking is 0, 1, 2, ...
class FixedRanking final : public Recommender {
 public:
  FixedRanking() : Recommender(ModelSpec("fixed", {})) {}
  void score_users(std::span<const std::int32_t> users, float* out) const override {
    for (std::size_t r = 0; r < users.size(); ++r) score_history({}, {}, out + r * n_items());
  }
  void score_history(std::span<const std::int32_t>, std::span<const float>, float* out) const override {
    for (std::int32_t i = 0; i < n_items(); ++i) out[i] = 1.0f - static_cast<float>(i) / 100.0f;
  }

 protected:
  void fit_model(const FeedbackMatrix&, const FitContext&) override {}
  void save_model(ModelWriter&) const override {}
  void load_model(const ModelReader&) override {}
};

// 3 users, 8 items; candidates {3, 4, 5}.
// u0: train {0}, test {3, 5}: list 3, 4, 5 -> hits at ranks 1 and 3:
//     ndcg@3 = (1 + 1/log2(4)) / (1 + 1/log2(3)); recall@3 = 1; precision@3 = 2/3.
// u1: train {3}, test {4}: list 4, 5 (3 is a training item) -> ndcg@3 = 1.
// u2: train {1}, test {2}: 2 is not a candidate -> not evaluated.
TEST(Candidates, MetricsAreOverTheCandidatesOnly) {
  const std::vector<FeedbackEntry> tr{{0, 0, 1.0f}, {1, 3, 1.0f}, {2, 1, 1.0f}};
  const std::vector<FeedbackEntry> te{{0, 3, 1.0f}, {0, 5, 1.0f}, {1, 4, 1.0f}, {2, 2, 1.0f}};
  const FeedbackMatrix train = build_feedback(3, 8, tr), test = build_feedback(3, 8, te);
  FixedRanking model;
  model.fit(train);
  const std::vector<std::uint8_t> mask{0, 0, 0, 1, 1, 1, 0, 0};
  EvalOptions options;
  options.metrics = {"ndcg@3", "recall@3", "precision@3", "coverage@3"};
  options.candidates = &mask;
  options.keep_lists = true;
  const EvalResult r = evaluate(model, train, test, options);
  ASSERT_EQ(r.evaluated_users, 2);
  EXPECT_EQ(r.non_candidate_only_users, 1);
  EXPECT_EQ(r.candidate_items, 3);
  EXPECT_EQ(r.test_users, r.evaluated_users + r.cold_users + r.repeat_only_users + r.non_candidate_only_users);
  const double u0 = (1 + 1 / std::log2(4.0)) / (1 + 1 / std::log2(3.0));
  EXPECT_NEAR(r.find("ndcg@3")->values[0], u0, 1e-9);
  EXPECT_NEAR(r.find("ndcg@3")->values[1], 1.0, 1e-9);
  EXPECT_NEAR(r.find("recall@3")->mean, 1.0, 1e-9);
  EXPECT_NEAR(r.find("precision@3")->values[0], 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(r.find("coverage@3")->mean, 1.0, 1e-9);  // 3 of the 3 candidates shown
  ASSERT_EQ(r.list_counts[0], 3);
  EXPECT_EQ(r.lists[0].item, 3);
  EXPECT_EQ(r.lists[1].item, 4);
  EXPECT_EQ(r.lists[2].item, 5);
  ASSERT_EQ(r.list_counts[1], 2);  // candidate 3 is u1's training item
  EXPECT_EQ(r.lists[3].item, 4);
  EXPECT_EQ(r.short_list_users, 1);

  // Without the restriction u0's list is 1, 2, 3: one hit at rank 3.
  options.candidates = nullptr;
  const EvalResult full = evaluate(model, train, test, options);
  EXPECT_NEAR(full.find("ndcg@3")->values[0], (1 / std::log2(4.0)) / (1 + 1 / std::log2(3.0)), 1e-9);

  // A mask of the wrong size, and the paths that do not take candidates.
  const std::vector<std::uint8_t> short_mask{1, 1};
  options.candidates = &short_mask;
  EXPECT_THROW(evaluate(model, train, test, options), UsageError);
  options.candidates = &mask;
  EXPECT_THROW(evaluate_sampled(model, train, test, {}, options), UsageError);
}

// A recs file made without the restriction: its non-candidates drop out and the
// ranks close up, giving the numbers of the restricted model path.
TEST(Candidates, RecsListsAreFilteredToTheCandidates) {
  const std::vector<FeedbackEntry> tr{{0, 0, 1.0f}, {1, 3, 1.0f}, {2, 1, 1.0f}};
  const std::vector<FeedbackEntry> te{{0, 3, 1.0f}, {0, 5, 1.0f}, {1, 4, 1.0f}, {2, 2, 1.0f}};
  const FeedbackMatrix train = build_feedback(3, 8, tr), test = build_feedback(3, 8, te);
  FixedRanking model;
  model.fit(train);
  const std::vector<std::uint8_t> mask{0, 0, 0, 1, 1, 1, 0, 0};
  EvalOptions options;
  options.metrics = {"ndcg@3", "recall@3", "precision@3", "coverage@3"};
  options.candidates = &mask;
  const EvalResult by_model = evaluate(model, train, test, options);
  // The lists a recommender excluding training items would write, over all items.
  RankedLists lists;
  lists.n_users = 3;
  const std::vector<std::vector<std::int32_t>> rows{{1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 4, 5, 6, 7}, {0, 2, 3, 4}};
  for (const auto& row : rows) {
    lists.items.insert(lists.items.end(), row.begin(), row.end());
    lists.indptr.push_back(static_cast<std::int64_t>(lists.items.size()));
  }
  const EvalResult by_recs = evaluate_lists(lists, train, test, options, "recs");
  ASSERT_EQ(by_recs.evaluated_users, by_model.evaluated_users);
  EXPECT_EQ(by_recs.candidate_items, 3);
  for (std::size_t m = 0; m < by_model.metrics.size(); ++m) {
    EXPECT_EQ(by_recs.metrics[m].values, by_model.metrics[m].values) << by_model.metrics[m].name;
    EXPECT_DOUBLE_EQ(by_recs.metrics[m].mean, by_model.metrics[m].mean) << by_model.metrics[m].name;
  }
}

TEST(Candidates, FileReadsIdsAndCountsUnknowns) {
  TempDir dir;
  IdMap items;
  for (const char* n : {"a", "b", "c"}) items.intern(n);
  const CandidateSet c = read_candidates(dir.write("c.txt", "item_id\nb\r\n\n  c \nb\nghost\n"), items);
  EXPECT_EQ(c.mask, (std::vector<std::uint8_t>{0, 1, 1}));
  EXPECT_EQ(c.ids, 4);
  EXPECT_EQ(c.items, 2);
  EXPECT_EQ(c.duplicates, 1);
  EXPECT_EQ(c.unknown_ids, 1);
  EXPECT_EQ(c.first_unknown, (std::vector<std::string>{"ghost"}));
  testing::expect_input_error([&] { read_candidates(dir.write("none.txt", "x\ny\n"), items); });
  testing::expect_input_error([&] { read_candidates(dir.file("missing.txt"), items); });
}

struct CommandResult {
  int code = -1;
  std::string out;
};

CommandResult run(const std::string& args) {
  const std::string command = std::string(SEGUE_BINARY) + " " + args + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Cold items x, y exist only in items.csv: --items adds them to the catalogue,
// so the test events on them map and --candidates x,y ranks them. pop scores
// both 0: ties by lower id, x (added first) before y. u0 (test x) hits at rank
// 1, u1 (test y) at rank 2; u2's test item a is not a candidate.
TEST(Candidates, ColdItemsAreScoredThroughTheCli) {
  TempDir dir;
  const std::string train = dir.write("train.csv", "user_id,item_id\nu0,a\nu0,b\nu1,a\nu2,b\nu2,c\n");
  const std::string test = dir.write("test.csv", "user_id,item_id\nu0,x\nu1,y\nu2,a\n");
  const std::string items = dir.write("items.csv", "item_id,artist,energy\na,A,0.1\nb,B,0.2\nc,C,0.3\nx,A,0.4\ny,B,\n");
  const std::string cands = dir.write("cold.txt", "x\ny\nnobody\n");
  const CommandResult r = run("eval --train " + train + " --test " + test + " --items " + items + " --candidates " +
                              cands + " --model pop --metrics ndcg@10,hit@1,coverage@10 --bootstrap 0 --json " +
                              dir.file("e.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("2 catalogue items added"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("restricted to 2 items"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 unknown"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 candidates"), std::string::npos) << r.out;  // the table names the restriction
  const auto j = nlohmann::json::parse(testing::read_file(dir.file("e.json")));
  EXPECT_EQ(j["protocol"], "full+candidates");
  EXPECT_EQ(j["candidates"]["items"], 2);
  EXPECT_EQ(j["candidates"]["unknown_ids"], 1);
  EXPECT_EQ(j["feature_pipeline"]["added_catalogue_items"], 2);
  EXPECT_EQ(j["results"][0]["users_evaluated"], 2) << j.dump();
  EXPECT_EQ(j["results"][0]["non_candidate_only_users"], 1);
  EXPECT_NEAR(j["results"][0]["metrics"]["ndcg@10"].get<double>(), (1 + 1 / std::log2(3.0)) / 2, 1e-9);
  EXPECT_NEAR(j["results"][0]["metrics"]["hit@1"].get<double>(), 0.5, 1e-9);
  EXPECT_NEAR(j["results"][0]["metrics"]["coverage@10"].get<double>(), 1.0, 1e-9);

  // Without --items the cold ids are unknown: nothing to restrict to.
  const CommandResult bare = run("eval --train " + train + " --test " + test + " --candidates " + cands + " --model pop");
  EXPECT_NE(bare.code, 0);
  EXPECT_NE(bare.out.find("no candidate item known"), std::string::npos) << bare.out;
  // Not with --recs or the sampled protocol.
  const CommandResult sampled = run("eval --train " + train + " --test " + test + " --items " + items +
                                    " --candidates " + cands + " --model pop --protocol sampled:5");
  EXPECT_NE(sampled.code, 0);
  EXPECT_NE(sampled.out.find("--candidates"), std::string::npos) << sampled.out;
}

}  // namespace
}  // namespace segue
