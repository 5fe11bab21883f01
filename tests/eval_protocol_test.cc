// The protocols of `segue eval`: sampled ranking (--protocol sampled:N), the
// split read from split.json (leave-one-out, playlist continuation by seed
// bucket), item features for diversity (--items) and skip metrics (--skips).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "data/error.h"
#include "eval/evaluator.h"
#include "eval/skip_metrics.h"
#include "eval/test_set.h"
#include "models/registry.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

struct CommandResult {
  int code = -1;
  std::string out;  // stdout and stderr together
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

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Exactly one error line (stdout's progress lines may come before or after it:
// stderr is not buffered).
bool one_line_error(const std::string& out) {
  std::size_t errors = 0;
  for (std::size_t p = out.find("segue: error"); p != std::string::npos; p = out.find("segue: error", p + 1)) ++errors;
  return errors == 1;
}

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

// 2 users, 8 items. user 0: train {0}, test {5}; user 1: train {7}, test {0, 6}.
struct TwoUsers {
  FeedbackMatrix train, test;
  FixedRanking model;
  TwoUsers() {
    const std::vector<FeedbackEntry> tr{{0, 0, 1.0f}, {1, 7, 1.0f}};
    const std::vector<FeedbackEntry> te{{0, 5, 1.0f}, {1, 0, 1.0f}, {1, 6, 1.0f}};
    train = build_feedback(2, 8, tr);
    test = build_feedback(2, 8, te);
    model.fit(train);
  }
};

double metric(const EvalResult& r, const std::string& name) {
  const MetricResult* m = r.find(name);
  EXPECT_NE(m, nullptr) << name;
  return m == nullptr ? -1.0 : m->mean;
}

TEST(EvalProtocol_Sampled, NegativesAreUniformSeededAndOutsideTrainAndTest) {
  TwoUsers d;
  std::vector<int> counts(8, 0);
  std::set<std::vector<std::int32_t>> distinct;
  for (std::uint64_t seed = 0; seed < 600; ++seed) {
    const auto negatives = sampled_negatives(d.train, d.test, 0, {3, seed});
    ASSERT_EQ(negatives.size(), 3u);
    EXPECT_TRUE(std::is_sorted(negatives.begin(), negatives.end()));
    EXPECT_EQ(std::adjacent_find(negatives.begin(), negatives.end()), negatives.end());
    for (std::int32_t i : negatives) {
      EXPECT_NE(i, 0);  // train
      EXPECT_NE(i, 5);  // test
      ++counts[static_cast<std::size_t>(i)];
    }
    distinct.insert(negatives);
    EXPECT_EQ(negatives, sampled_negatives(d.train, d.test, 0, {3, seed}));  // seeded: reproducible
  }
  // 3 of the 6 eligible items per draw: each is drawn with p = 1/2, 300 ± 4 sigma (sigma = 12.2).
  for (std::int32_t i : {1, 2, 3, 4, 6, 7}) {
    EXPECT_GT(counts[static_cast<std::size_t>(i)], 250) << i;
    EXPECT_LT(counts[static_cast<std::size_t>(i)], 350) << i;
  }
  EXPECT_EQ(distinct.size(), 20u);  // every 3-subset of 6 items occurs
  EXPECT_THROW(sampled_negatives(d.train, d.test, 0, {0, 1}), UsageError);
}

TEST(EvalProtocol_Sampled, RanksRelevantItemsAgainstTheSampleOnly) {
  TwoUsers d;
  EvalOptions options;
  options.metrics = {"mrr@10", "hit@4", "hit@5", "recall@5"};
  // Every eligible item as a negative: user 0 ranks {1,2,3,4,5,6,7} → item 5 at rank 5;
  // user 1 ranks {0,...,6} → items 0 and 6 at ranks 1 and 7.
  const EvalResult all = evaluate_sampled(d.model, d.train, d.test, {10, 7}, options);
  EXPECT_EQ(all.evaluated_users, 2);
  EXPECT_EQ(all.sampled_negatives, 10);
  EXPECT_EQ(all.sampled_short_users, 2);  // 6 and 5 eligible items, fewer than 10
  EXPECT_DOUBLE_EQ(metric(all, "mrr@10"), (0.2 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(metric(all, "hit@4"), 0.5);
  EXPECT_DOUBLE_EQ(metric(all, "hit@5"), 1.0);
  EXPECT_DOUBLE_EQ(metric(all, "recall@5"), (1.0 + 0.5) / 2);
  // With every item sampled the candidates are full ranking's: the same per-user values.
  const EvalResult full = evaluate(d.model, d.train, d.test, options);
  ASSERT_EQ(full.users, all.users);
  for (std::size_t m = 0; m < full.metrics.size(); ++m)
    for (std::size_t u = 0; u < full.users.size(); ++u)
      EXPECT_DOUBLE_EQ(all.metrics[m].values[u], full.metrics[m].values[u]) << full.metrics[m].name << " user " << u;

  // Two negatives: user 0's item 5 ranks 1 + (negatives below id 5).
  for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    const EvalResult two = evaluate_sampled(d.model, d.train, d.test, {2, seed}, options);
    const auto negatives = sampled_negatives(d.train, d.test, 0, {2, seed});
    const double rank = 1.0 + static_cast<double>(std::count_if(negatives.begin(), negatives.end(),
                                                                [](std::int32_t i) { return i < 5; }));
    EXPECT_DOUBLE_EQ(two.find("mrr@10")->values[0], 1.0 / rank) << seed;
    EXPECT_EQ(two.sampled_short_users, 0);
  }
  EXPECT_THROW(evaluate_sampled(d.model, d.train, d.test, {0, 1}, options), UsageError);
}

// 3 users x 6 items with pop: enough for a sampled run through the CLI.
std::string train_csv() {
  return "user_id,item_id\nu0,a\nu0,b\nu1,a\nu1,c\nu2,b\nu2,d\nu2,e\n";
}
std::string test_csv() { return "user_id,item_id\nu0,c\nu1,d\nu2,f\nu2,a\n"; }

TEST(EvalProtocol_Sampled, CliNamesTheProtocolInTableJsonAndReport) {
  TempDir dir;
  const std::string train = dir.write("train.csv", train_csv() + "u3,f\n"), test = dir.write("test.csv", test_csv());
  const CommandResult r = run("eval --train " + train + " --test " + test + " --model pop --protocol sampled:2 --seed 5 " +
                              "--bootstrap 0 --json " + dir.file("e.json") + " --report " + dir.file("e.html"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("model [sampled:2]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NOT comparable with full ranking"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(testing::read_file(dir.file("e.json")));
  EXPECT_EQ(j["protocol"], "sampled:2");
  EXPECT_EQ(j["protocol_seed"], 5);
  EXPECT_EQ(j["results"][0]["sampled_negatives"], 2);
  EXPECT_FALSE(j.contains("split"));  // no split.json beside test.csv
  EXPECT_NE(testing::read_file(dir.file("e.html")).find("Protocol sampled:2"), std::string::npos);

  // The default stays full ranking.
  const CommandResult f = run("eval --train " + train + " --test " + test + " --model pop --json " + dir.file("f.json"));
  ASSERT_EQ(f.code, 0) << f.out;
  EXPECT_NE(f.out.find("model [full]"), std::string::npos) << f.out;
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(dir.file("f.json")))["protocol"], "full");
}

TEST(EvalProtocol_Sampled, RecsAndBadSpecsAreOneLineUsageErrors) {
  TempDir dir;
  const std::string train = dir.write("train.csv", train_csv()), test = dir.write("test.csv", test_csv());
  const std::string recs = dir.write("recs.csv", "user_id,item_id,rank\nu0,c,1\n");
  CommandResult r = run("eval --recs " + recs + " --test " + test + " --protocol sampled:100");
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("a recs file has no scores"), std::string::npos) << r.out;
  for (const char* bad : {"sampled:0", "sampled:", "sampled:x", "sample:10", "sampled:5x"}) {
    r = run("eval --train " + train + " --test " + test + " --model pop --protocol " + bad);
    EXPECT_NE(r.code, 0) << bad;
    EXPECT_EQ(lines(r.out), 1u) << r.out;
    EXPECT_NE(r.out.find("--protocol"), std::string::npos) << r.out;
  }
}

// ---- split.json: leave-one-out and playlist continuation.

TEST(EvalProtocol_Split, LeaveLastSplitIsReadAndReported) {
  TempDir dir;
  std::string log = "user_id,item_id,timestamp\n";
  const char* items[] = {"rock", "pop", "jazz", "folk", "punk", "soul"};
  for (int u = 0; u < 6; ++u)
    for (int i = 0; i <= (u % 3) + 2; ++i)
      log += "u" + std::to_string(u) + "," + items[(u + i) % 6] + "," + std::to_string(1600000000 + u * 100 + i) + "\n";
  CommandResult r = run("import --format csv --input " + dir.write("log.csv", log) + " --out " + dir.file("store") +
                        " --time-col timestamp");
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("split " + dir.file("store") + " --method leave-last --seed 3 --out " + dir.file("split"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("eval --train " + dir.file("split/train.csv") + " --test " + dir.file("split/test.csv") +
          " --model pop --json " + dir.file("e.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("split: leave-last"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("leave-one-out next-item protocol"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(testing::read_file(dir.file("e.json")));
  ASSERT_TRUE(j.contains("split")) << j.dump();
  EXPECT_EQ(j["split"]["method"], "leave-last");
  EXPECT_EQ(j["split"]["options"]["leave_n"], 1);
  EXPECT_FALSE(j["split"]["options"].contains("test_fraction"));  // only the method's own parameters
  EXPECT_EQ(j["protocol"], "full");
  EXPECT_TRUE(j["results"][0]["metrics"].contains("precision@10"));  // the default metric list is kept
  EXPECT_FALSE(j["results"][0].contains("seed_buckets"));
}

// Background users give popularity a: 5, b: 3, c, d, f: 1 (ids a0 b1 c2 f3 d4).
// Test playlists: p1 (1 seed {d}, hidden a): pop ranks a first → mrr 1, hit@1 1
//                 p2 (1 seed {a}, hidden f): b, c, f → mrr 1/3, hit@1 0
//                 p3 (2 seeds {a, b}, hidden c): c first → mrr 1, hit@1 1
//                 p4 (0 seeds, title only): not in train, not evaluated
// Buckets: 1 seed: mrr (1 + 1/3) / 2 = 2/3, hit@1 1/2; 2 seeds: 1, 1; 0 seeds: none.
TEST(EvalProtocol_Split, PlaylistContinuationBreaksMetricsDownBySeedCount) {
  TempDir dir;
  dir.write("pc/train.csv", "user_id,item_id\nbg1,a\nbg1,b\nbg1,c\nbg2,a\nbg2,b\nbg3,a\nbg3,f\np1,d\np2,a\np3,a\np3,b\n");
  dir.write("pc/test.csv", "user_id,item_id\np1,a\np2,f\np3,c\np4,a\n");
  dir.write("pc/test_playlists.csv", "user_id,name,num_seed,num_hidden\np1,x,1,1\np2,y,1,1\np3,z,2,1\np4,w,0,1\n");
  dir.write("pc/split.json",
            R"({"method": "playlist-continuation", "seed": 42, "cold_start": "playlists",
                "options": {"test_fraction": 0.2, "leave_n": 1, "seed_counts": [0, 1, 2], "min_playlist_events": 2},
                "test_playlists": {"count": 4, "by_seed": {"0": 1, "1": 2, "2": 1}}})");
  const CommandResult r = run("eval --train " + dir.file("pc/train.csv") + " --test " + dir.file("pc/test.csv") +
                              " --model pop --metrics mrr@10,hit@1 --bootstrap 0 --json " + dir.file("e.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("seeds    1:     2 playlists,     2 evaluated  mrr@10 0.6667  hit@1 0.5000"), std::string::npos)
      << r.out;
  const auto j = nlohmann::json::parse(testing::read_file(dir.file("e.json")));
  EXPECT_EQ(j["split"]["method"], "playlist-continuation");
  EXPECT_EQ(j["split"]["options"]["seed_counts"], nlohmann::json({0, 1, 2}));
  const auto& buckets = j["results"][0]["seed_buckets"];
  ASSERT_EQ(buckets.size(), 3u) << buckets.dump();
  EXPECT_EQ(buckets[0]["num_seed"], 0);
  EXPECT_EQ(buckets[0]["playlists"], 1);
  EXPECT_EQ(buckets[0]["not_in_train"], 1);
  EXPECT_EQ(buckets[0]["users_evaluated"], 0);
  EXPECT_TRUE(buckets[0]["metrics"]["mrr@10"].is_null());
  EXPECT_EQ(buckets[1]["num_seed"], 1);
  EXPECT_EQ(buckets[1]["users_evaluated"], 2);
  EXPECT_NEAR(buckets[1]["metrics"]["mrr@10"].get<double>(), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(buckets[1]["metrics"]["hit@1"].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(buckets[2]["num_seed"], 2);
  EXPECT_NEAR(buckets[2]["metrics"]["mrr@10"].get<double>(), 1.0, 1e-12);
  // The overall mean is over the three evaluated playlists.
  EXPECT_NEAR(j["results"][0]["metrics"]["mrr@10"].get<double>(), (1 + 1.0 / 3 + 1) / 3, 1e-12);
}

TEST(EvalProtocol_Split, BrokenSplitJsonIsAnInputError) {
  TempDir dir;
  dir.write("s/train.csv", train_csv());
  dir.write("s/test.csv", test_csv());
  dir.write("s/split.json", "{\"seed\": 1}");
  const CommandResult r = run("eval --train " + dir.file("s/train.csv") + " --test " + dir.file("s/test.csv") + " --model pop");
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("split.json"), std::string::npos) << r.out;
}

// ---- --items: diversity from tags through the CLI.

// pop recommends a, b, c, ... in popularity order; with tags a = rock|pop,
// b = rock, c = jazz: ild@3 of the list (c, d, e) etc. is checked on a list
// the test controls with --recs instead: u0's list a, b, c → one-hot rows
// (1,1,0), (1,0,0), (0,0,1): pairs 1 - 1/sqrt2, 1, 1 → (3 - 1/sqrt2) / 3.
TEST(EvalProtocol_Items, TagFeaturesGiveIntraListDiversity) {
  TempDir dir;
  const std::string train = dir.write("train.csv", "user_id,item_id\nu0,z\nu1,a\nu1,b\nu1,c\n");
  const std::string test = dir.write("test.csv", "user_id,item_id\nu0,a\n");
  const std::string recs = dir.write("recs.csv", "user_id,item_id,rank\nu0,a,1\nu0,b,2\nu0,c,3\n");
  const std::string items = dir.write("items.csv", "item_id,tags\na,rock|pop\nb,rock\nc,jazz\nghost,rock\n");
  const CommandResult r = run("eval --recs " + recs + " --train " + train + " --test " + test + " --items " + items +
                              " --metrics ild@3,hit@3 --bootstrap 0 --json " + dir.file("e.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  // "ghost" is not in train: the items file adds it to the catalogue (an item
  // without interactions), so it is known, featured, and rankable.
  EXPECT_NE(r.out.find("1 catalogue items added"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(testing::read_file(dir.file("e.json")));
  EXPECT_NEAR(j["results"][0]["metrics"]["ild@3"].get<double>(), (3.0 - 1.0 / std::sqrt(2.0)) / 3.0, 1e-6);
  EXPECT_EQ(j["item_features"]["unknown_items"], 0);
  EXPECT_EQ(j["item_features"]["tag_columns"], 3);
  EXPECT_EQ(j["item_features"]["items_with_features"], 4);

  // Without --metrics naming ild, --items adds ild@10.
  const CommandResult d = run("eval --recs " + recs + " --train " + train + " --test " + test + " --items " + items);
  ASSERT_EQ(d.code, 0) << d.out;
  EXPECT_NE(d.out.find("ild@10"), std::string::npos) << d.out;
}

TEST(EvalProtocol_Items, MalformedNumberNamesFileLineAndColumn) {
  TempDir dir;
  const std::string train = dir.write("train.csv", train_csv()), test = dir.write("test.csv", test_csv());
  const std::string items = dir.write("items.csv", "item_id,energy\na,0.5\nb,loud\n");
  const CommandResult r = run("eval --train " + train + " --test " + test + " --model pop --items " + items);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(one_line_error(r.out)) << r.out;
  EXPECT_NE(r.out.find("items.csv:3: field 'energy'"), std::string::npos) << r.out;
}

// ---- --skips: hand-computed skip metrics.
//   s1: (1, 0.9) (0, 0.2) (1, 0.8) (0, 0.6)   predicted 1 0 1 1: right, right, right, wrong
//   s2: (0, 0.1) (1, 0.55)                     predicted 0 1: right, right
//   accuracy 5/6; AUC: positives 0.9, 0.8, 0.55 vs negatives 0.2, 0.6, 0.1: 8 of 9 pairs;
//   MAA: s1 scores positions 3, 4: (1·1 + ½·0) / 2 = ½; s2 position 2: 1 → ¾;
//   first-prediction accuracy (s1 position 3, s2 position 2): 1.
const char* kSkips =
    "session_id,position,skip,prediction\n"
    "s1,2,0,0.2\n"
    "s2,2,1,0.55\n"
    "s1,1,1,0.9\n"
    "s1,4,0,0.6\n"
    "s2,1,0,0.1\n"
    "s1,3,1,0.8\n";

TEST(EvalProtocol_Skips, HandComputedMetrics) {
  TempDir dir;
  const std::string pred = dir.write("pred.csv", kSkips);
  const CommandResult r = run("eval --skips " + pred + " --json " + dir.file("s.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("mean_average_accuracy          0.7500"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(testing::read_file(dir.file("s.json")));
  EXPECT_EQ(j["protocol"], "skip-prediction");
  const auto& s = j["skips"];
  EXPECT_EQ(s["events"], 6);
  EXPECT_EQ(s["sessions"], 2);
  EXPECT_NEAR(s["accuracy"].get<double>(), 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(s["auc"].get<double>(), 8.0 / 9.0, 1e-12);
  const double ll = -(std::log(0.9) + std::log(0.8) + std::log(0.8) + std::log(0.4) + std::log(0.9) + std::log(0.55)) / 6;
  EXPECT_NEAR(s["log_loss"].get<double>(), ll, 1e-6);
  EXPECT_NEAR(s["mean_average_accuracy"].get<double>(), 0.75, 1e-12);
  EXPECT_NEAR(s["first_prediction_accuracy"].get<double>(), 1.0, 1e-12);
}

TEST(EvalProtocol_Skips, FirstHalfRowsMayBeLeftOut) {
  // The challenge's format: only the second half of each session is predicted.
  TempDir dir;
  const std::string pred =
      dir.write("pred.csv", "session_id,position,skip,prediction\ns1,3,1,0.8\ns1,4,0,0.6\ns2,2,1,0.55\n");
  const SkipPredictions p = read_skip_predictions(pred);
  EXPECT_EQ(p.sessions, 2);
  EXPECT_NEAR(mean_average_accuracy(p.session_predicted, p.session_actual, p.session_offsets), 0.75, 1e-12);
  EXPECT_NEAR(skip_accuracy(p.prediction, p.label), 2.0 / 3.0, 1e-12);
}

TEST(EvalProtocol_Skips, BadValuesNameFileLineAndColumn) {
  TempDir dir;
  const std::string header = "session_id,position,skip,prediction\n";
  struct Case {
    std::string body;
    std::size_t line;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"s1,1,1,0.5\ns1,2,1,1.5\n", 3, "prediction"},   // outside [0, 1]
      {"s1,1,1,nan\n", 2, "prediction"},               // NaN
      {"s1,1,1,-0.1\n", 2, "prediction"},
      {"s1,1,2,0.5\n", 2, "skip"},                     // label not 0/1
      {"s1,1,yes,0.5\n", 2, "skip"},
      {"s1,0,1,0.5\n", 2, "position"},
      {"s1,1,1,0.5\ns1,1,0,0.5\n", 3, "position"},      // repeated position
      {"s1,1,1,0.5\ns1,4,0,0.5\n", 2, "position"},      // position 3 of 4 (scored) missing
  };
  for (const Case& c : cases) {
    const std::string pred = dir.write("pred.csv", header + c.body);
    const InputError e = testing::expect_input_error([&] { read_skip_predictions(pred); });
    EXPECT_EQ(e.line(), c.line) << c.body;
    EXPECT_EQ(e.field(), c.field) << c.body << e.what();
    EXPECT_EQ(e.file(), pred);
  }
  const std::string missing = dir.write("missing.csv", "session_id,position,skip\ns1,1,1\n");
  const CommandResult r = run("eval --skips " + missing);
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("prediction"), std::string::npos) << r.out;
  const CommandResult both = run("eval --skips " + dir.write("ok.csv", kSkips) + " --model pop");
  EXPECT_NE(both.code, 0);
  EXPECT_EQ(lines(both.out), 1u) << both.out;
}

}  // namespace
}  // namespace segue
