// Tests for skip-aware re-ranking (context/skip_rerank.h, `segue recommend
// --skip-model`) on skip logs generated here in the Sequential Skip Prediction
// schema, where P(skip) rises with a track feature (acousticness) and with the
// position in the session: late in a session the penalty must demote the
// acoustic tracks more than at position 1; penalty 0 must change nothing.
// Fixtures, not real logs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <map>
#include <random>

#include "context/skip_model.h"
#include "context/skip_rerank.h"
#include "data/importer.h"
#include "models/feedback.h"
#include "models/registry.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

const char* kLogHeader =
    "session_id,session_position,session_length,track_id_clean,skip_1,skip_2,skip_3,not_skipped,context_switch,"
    "no_pause_before_play,short_pause_before_play,long_pause_before_play,hist_user_behavior_n_seekfwd,"
    "hist_user_behavior_n_seekback,hist_user_behavior_is_shuffle,hour_of_day,date,premium,context_type,"
    "hist_user_behavior_reason_start,hist_user_behavior_reason_end\n";
const char* kFeatureHeader = "track_id,acousticness,energy,tempo\n";

// logit P(skip) = -4 + 2.5·acousticness + 3·position_fraction + 0.8·[radio]:
// at position 1 the probabilities are small and close (0.02-0.13), at the end
// of the session they spread (0.35-0.75), so the penalty separates more there.
struct Fixture {
  std::string log, features;
  std::vector<double> acousticness;  // by track index
};

Fixture make_fixture(int sessions, int tracks, std::uint32_t seed, int missing_every = 0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Fixture f{kLogHeader, kFeatureHeader, {}};
  for (int t = 0; t < tracks; ++t) {
    f.acousticness.push_back(unit(rng));
    if (missing_every > 0 && t % missing_every == 0) continue;
    char row[128];
    std::snprintf(row, sizeof row, "t%d,%.4f,%.3f,%.1f\n", t, f.acousticness.back(), unit(rng), 70 + 100 * unit(rng));
    f.features += row;
  }
  const char* types[] = {"editorial_playlist", "user_collection", "radio", "catalog"};
  for (int s = 0; s < sessions; ++s) {
    const std::string id = "s" + std::to_string(s);
    const int length = 10 + static_cast<int>(rng() % 11);
    const char* type = types[rng() % 4];
    const bool radio = std::string(type) == "radio";
    const int hour = static_cast<int>(rng() % 24);
    bool previous_skip = false;
    for (int p = 1; p <= length; ++p) {
      const int track = static_cast<int>(rng() % static_cast<unsigned>(tracks));
      const double fraction = (p - 1.0) / (length - 1.0);
      const double logit = -4.0 + 2.5 * f.acousticness[track] + 3.0 * fraction + (radio ? 0.8 : 0.0);
      const bool skip = unit(rng) < 1.0 / (1.0 + std::exp(-logit));
      char row[512];
      std::snprintf(row, sizeof row, "%s,%d,%d,t%d,%s,%s,%s,%s,0,%d,0,0,0,0,false,%d,2018-07-%02d,true,%s,%s,%s\n",
                    id.c_str(), p, length, track, skip ? "true" : "false", skip ? "true" : "false",
                    skip ? "true" : "false", skip ? "false" : "true", p > 1 ? 1 : 0, hour, 1 + s % 28, type,
                    p == 1 ? "appload" : (previous_skip ? "fwdbtn" : "trackdone"), skip ? "fwdbtn" : "trackdone");
      f.log += row;
      previous_skip = skip;
    }
  }
  return f;
}

std::string write_fixture(const TempDir& dir, const Fixture& f) {
  dir.write("skips/training_set/log_0_20180715_000000000000.csv", f.log);
  dir.write("skips/track_features/tf_000000000000.csv", f.features);
  return dir.file("skips");
}

Dataset import_fixture(const TempDir& dir, const Fixture& f) {
  IssueLog issues;
  return import_spotify_skips(write_fixture(dir, f), ImportOptions{}, issues);
}

// A recommender trained on the fixture's sessions (users = sessions), with the
// store's ids.
std::unique_ptr<Recommender> train_model(const Dataset& data, const std::string& spec) {
  auto model = make_recommender(spec);
  model->fit(build_feedback(data));
  model->set_id_maps(data.users, data.items);
  return model;
}

// A recommender trained on listening that ignores acousticness (200 users,
// 8..15 tracks each, uniformly), with the store's item ids: its lists are not
// already shaped by the fixture's skips, as a model trained on the log is.
std::unique_ptr<Recommender> train_independent_model(const Dataset& data, const std::string& spec) {
  std::mt19937 rng(99);
  std::vector<FeedbackEntry> entries;
  IdMap users;
  for (std::int32_t u = 0; u < 200; ++u) {
    users.intern("listener" + std::to_string(u));
    const int count = 8 + static_cast<int>(rng() % 8);
    for (int k = 0; k < count; ++k)
      entries.push_back({u, static_cast<std::int32_t>(rng() % static_cast<unsigned>(data.n_items())), 1.0f});
  }
  auto model = make_recommender(spec);
  model->fit(build_feedback(users.size(), data.n_items(), entries));
  model->set_id_maps(users, data.items);
  return model;
}

double mean_acousticness(const Dataset& data, const std::vector<ScoredItem>& list) {
  const NumericColumn* a = data.item_attributes.find_number("acousticness");
  double sum = 0.0;
  for (const ScoredItem& s : list) sum += a->values[static_cast<std::size_t>(s.item)];
  return list.empty() ? 0.0 : sum / static_cast<double>(list.size());
}

SessionSlot slot_at(int position, int length) {
  SessionSlot slot;
  slot.position = position;
  slot.session_length = length;
  return slot;
}

TEST(SkipRerank, DemotesHighSkipTracksMoreLateInTheSessionThanAtPositionOne) {
  TempDir dir;
  const Dataset data = import_fixture(dir, make_fixture(800, 60, 5));
  const SkipModel skips = SkipModel::train(data, SkipModelOptions{});
  const auto model = train_independent_model(data, "itemknn");
  const float penalty = 2.0f;
  const ItemSkipPenalty first =
      item_skip_penalty(skips, data, model->item_ids(), skip_context_for(skips, slot_at(1, 20)), penalty);
  const ItemSkipPenalty late =
      item_skip_penalty(skips, data, model->item_ids(), skip_context_for(skips, slot_at(20, 20)), penalty);
  EXPECT_EQ(first.without_features, 0);

  // The probabilities follow the rule: the acoustic-vs-not gap widens late.
  const NumericColumn* a = data.item_attributes.find_number("acousticness");
  double gap_first = 0, gap_late = 0;
  int high = 0, low = 0;
  for (std::int32_t i = 0; i < model->n_items(); ++i) {
    const double x = a->values[static_cast<std::size_t>(data.items.find(model->item_ids().name(i)))];
    const double sign = x > 0.7 ? 1.0 : x < 0.3 ? -1.0 : 0.0;
    high += sign > 0, low += sign < 0;
    EXPECT_LT(first.probability[static_cast<std::size_t>(i)], late.probability[static_cast<std::size_t>(i)]);
    gap_first += sign * first.probability[static_cast<std::size_t>(i)];
    gap_late += sign * late.probability[static_cast<std::size_t>(i)];
  }
  ASSERT_GT(high, 5);
  ASSERT_GT(low, 5);
  EXPECT_GT(gap_late, 2.0 * gap_first);

  // Top-10 lists of 200 sessions: acousticness falls a little at position 1 and much more at the end.
  double plain = 0, at_first = 0, at_late = 0;
  int demoted_first = 0, demoted_late = 0;  // acoustic (> 0.7) picks the penalty pushed out
  const int users = 200;
  for (std::int32_t u = 0; u < users; ++u) {
    const auto base = model->recommend(u, 10);
    const auto one = recommend_with_skip_penalty(*model, u, 10, true, first);
    const auto end = recommend_with_skip_penalty(*model, u, 10, true, late);
    plain += mean_acousticness(data, base);
    at_first += mean_acousticness(data, one);
    at_late += mean_acousticness(data, end);
    const auto acoustic = [&](const std::vector<ScoredItem>& list) {
      return std::count_if(list.begin(), list.end(),
                           [&](const ScoredItem& s) { return a->values[static_cast<std::size_t>(s.item)] > 0.7f; });
    };
    demoted_first += static_cast<int>(acoustic(base) - acoustic(one));
    demoted_late += static_cast<int>(acoustic(base) - acoustic(end));
  }
  plain /= users, at_first /= users, at_late /= users;
  std::printf("[fixture] mean acousticness of top-10: plain %.3f, position 1 %.3f, position 20 %.3f; "
              "acoustic picks demoted: %d at position 1, %d at position 20\n",
              plain, at_first, at_late, demoted_first, demoted_late);
  EXPECT_LE(at_first, plain + 1e-9);
  EXPECT_LT(at_late, at_first - 0.05);
  EXPECT_GT(demoted_late, 2 * std::max(demoted_first, 1));
}

TEST(SkipRerank, PenaltyZeroLeavesEveryListAsPlainRecommend) {
  TempDir dir;
  const Dataset data = import_fixture(dir, make_fixture(300, 50, 9));
  const SkipModel skips = SkipModel::train(data, SkipModelOptions{});
  SessionSlot slot = slot_at(15, 20);
  slot.context_type = "radio";
  slot.previous_skip = 1;
  slot.hour = 22;
  const SkipContext context = skip_context_for(skips, slot);
  for (const char* spec : {"pop", "itemknn", "ials:factors=8,iterations=3"}) {
    const auto model = train_model(data, spec);
    const ItemSkipPenalty zero = item_skip_penalty(skips, data, model->item_ids(), context, 0.0f);
    std::vector<std::int32_t> users(static_cast<std::size_t>(model->n_users()));
    for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<std::int32_t>(u);
    const BatchLists batch = recommend_batch_with_skip_penalty(*model, users, 10, true, zero);
    for (const std::int32_t u : users) {
      const auto expected = model->recommend(u, 10);
      float shift = -1.0f;
      EXPECT_EQ(recommend_with_skip_penalty(*model, u, 10, true, zero, &shift), expected) << spec << " user " << u;
      EXPECT_EQ(shift, 0.0f);
      const auto row = batch.row(static_cast<std::size_t>(u));
      EXPECT_EQ(std::vector<ScoredItem>(row.begin(), row.end()), expected) << spec << " user " << u;
    }
    const std::vector<std::int32_t> history{3, 1, 4};
    EXPECT_EQ(recommend_history_with_skip_penalty(*model, history, 10, zero),
              model->recommend_from_history(history, {}, 10))
        << spec;
  }
}

TEST(SkipRerank, BatchListsEqualSingleUserListsUnderAPenalty) {
  TempDir dir;
  const Dataset data = import_fixture(dir, make_fixture(200, 40, 21));
  const SkipModel skips = SkipModel::train(data, SkipModelOptions{});
  const auto model = train_model(data, "itemknn");
  const ItemSkipPenalty penalty =
      item_skip_penalty(skips, data, model->item_ids(), skip_context_for(skips, slot_at(12, 15)), 1.5f);
  std::vector<std::int32_t> users(static_cast<std::size_t>(model->n_users()));
  for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<std::int32_t>(u);
  const BatchLists batch = recommend_batch_with_skip_penalty(*model, users, 7, true, penalty);
  int changed = 0;
  for (const std::int32_t u : users) {
    const auto single = recommend_with_skip_penalty(*model, u, 7, true, penalty);
    const auto row = batch.row(static_cast<std::size_t>(u));
    EXPECT_EQ(std::vector<ScoredItem>(row.begin(), row.end()), single) << "user " << u;
    changed += single != model->recommend(u, 7);
  }
  EXPECT_GT(changed, 0);  // the penalty did something
}

TEST(SkipRerank, MapsItemsByIdAndLeavesItemsWithoutFeaturesUnpenalised) {
  TempDir dir;
  // Every 4th track has no feature row; the recommender also knows a track the store lacks.
  const Dataset data = import_fixture(dir, make_fixture(200, 40, 3, 4));
  const SkipModel skips = SkipModel::train(data, SkipModelOptions{});
  IdMap items;  // another order than the store's, plus an unknown id
  items.intern("ghost");
  for (std::int32_t row = data.n_items() - 1; row >= 0; --row) items.intern(data.items.name(row));
  const SkipContext context = skip_context_for(skips, slot_at(10, 20));
  const ItemSkipPenalty penalty = item_skip_penalty(skips, data, items, context, 1.0f);
  const std::vector<float> by_row = skips.item_probabilities(data, context);
  const NumericColumn* a = data.item_attributes.find_number("acousticness");
  std::int32_t expected_missing = 1;  // ghost
  for (std::int32_t i = 1; i < items.size(); ++i) {
    const std::int32_t row = data.items.find(items.name(i));
    const float p = penalty.probability[static_cast<std::size_t>(i)];
    if (std::isnan(a->values[static_cast<std::size_t>(row)])) {
      ++expected_missing;
      EXPECT_TRUE(std::isnan(p)) << items.name(i);
    } else {
      EXPECT_EQ(p, by_row[static_cast<std::size_t>(row)]) << items.name(i);
    }
  }
  EXPECT_TRUE(std::isnan(penalty.probability[0]));
  EXPECT_GT(expected_missing, 5);
  EXPECT_EQ(penalty.without_features, expected_missing);
  // Only items with a probability move, by penalty · sd · p.
  std::vector<float> scores(static_cast<std::size_t>(items.size()));
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i] = static_cast<float>(i % 7);
  const std::vector<float> before = scores;
  const float shift = penalise_row(scores, penalty);
  EXPECT_GT(shift, 0.0f);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const float p = penalty.probability[i];
    if (std::isnan(p)) {
      EXPECT_EQ(scores[i], before[i]);
    } else {
      EXPECT_FLOAT_EQ(scores[i], before[i] - shift * p);
    }
  }
}

TEST(SkipRerank, BadContextAndPenaltyAreUsageErrorsNamingTheFlag) {
  TempDir dir;
  const Dataset data = import_fixture(dir, make_fixture(150, 30, 4));
  const SkipModel skips = SkipModel::train(data, SkipModelOptions{});
  const auto message = [&](const SessionSlot& slot) {
    try {
      skip_context_for(skips, slot);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(slot_at(0, 20)).find("--position: must be at least 1"), std::string::npos);
  EXPECT_NE(message(slot_at(21, 20)).find("--session-length"), std::string::npos);
  SessionSlot slot = slot_at(3, 20);
  slot.context_type = "party";
  const std::string unknown = message(slot);
  EXPECT_NE(unknown.find("unknown context type 'party'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("radio"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("editorial_playlist"), std::string::npos) << unknown;
  slot.context_type.reset();
  slot.previous_skip = 2;
  EXPECT_NE(message(slot).find("--previous-skip"), std::string::npos);
  slot.previous_skip.reset();
  slot.hour = 24;
  EXPECT_NE(message(slot).find("--hour"), std::string::npos);
  // No length given: it grows to the position.
  SessionSlot late;
  late.position = 30;
  EXPECT_EQ(skip_context_for(skips, late).session_length, 30.0f);
  EXPECT_EQ(describe(late), "position 30 of 30");
  // A model without previous_skip refuses it.
  SkipModelOptions without;
  without.previous_skip = false;
  slot.hour.reset();
  slot.previous_skip = 1;
  EXPECT_NO_THROW(skip_context_for(skips, slot));
  EXPECT_THROW(skip_context_for(SkipModel::train(data, without), slot), UsageError);
  const SkipContext context = skip_context_for(skips, slot_at(1, 20));
  EXPECT_THROW(item_skip_penalty(skips, data, data.items, context, -1.0f), UsageError);
  EXPECT_THROW(item_skip_penalty(skips, data, data.items, context, std::nanf("")), UsageError);
  EXPECT_THROW(item_skip_penalty(skips, data, data.items, context, INFINITY), UsageError);
}

// ---- the command line

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

// import -> skips train -> split -> train itemknn -> recommend --skip-model
// (--user, --history, --all) -> eval --recs, and the flags' errors.
TEST(RecommendSkipModel, EndToEndFromTheCommandLine) {
  TempDir dir;
  const std::string input = write_fixture(dir, make_fixture(300, 50, 8, 10));
  const std::string store = dir.file("store"), skip = dir.file("skip.json"), model = dir.file("knn.model");
  CommandResult r = run("import --format spotify-skips --input " + input + " --out " + store);
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ((r = run("skips train --data " + store + " --out " + skip)).code, 0) << r.out;
  ASSERT_EQ((r = run("split " + store + " --method random --seed 3 --out " + dir.file("split"))).code, 0) << r.out;
  const std::string train = dir.file("split/train.csv"), test = dir.file("split/test.csv");
  ASSERT_EQ((r = run("train --train " + train + " --model itemknn --out " + model)).code, 0) << r.out;
  const std::string base = "recommend --model " + model + " --data " + store + " --skip-model " + skip;

  // Text, with P(skip) next to each pick under --explain; 5 tracks have no features.
  r = run(base + " --user s7 --n 5 --position 15 --session-length 20 --context-type radio --previous-skip 1 "
                 "--hour 22 --skip-penalty 1.5 --explain");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("skip penalty 1.5 score sd x P(skip) at position 15 of 20, context_type radio, hour 22, "
                       "previous skip 1"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("5 of 50 items have no skip-model features (no penalty)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("P(skip) 0."), std::string::npos) << r.out;

  // --json: the context and each pick's probability; late picks skip more than early ones.
  const auto json_at = [&](int position) {
    const CommandResult j = run(base + " --user s7 --n 50 --json --context-type radio --position " +
                                std::to_string(position));
    EXPECT_EQ(j.code, 0) << j.out;
    return nlohmann::json::parse(j.out);
  };
  const auto late = json_at(20), early = json_at(1);
  EXPECT_EQ(late["context"]["position"], 20);
  EXPECT_EQ(late["context"]["session_length"], 20);
  EXPECT_EQ(late["context"]["context_type"], "radio");
  EXPECT_TRUE(late["context"]["hour"].is_null());
  EXPECT_EQ(late["items_without_skip_features"], 5);
  std::map<std::string, double> p_early;
  for (const auto& row : early["recommendations"])
    if (!row["skip_probability"].is_null()) p_early[row["item_id"]] = row["skip_probability"].get<double>();
  int with_p = 0;
  for (const auto& row : late["recommendations"]) {
    if (row["skip_probability"].is_null()) {
      EXPECT_DOUBLE_EQ(row["score"].get<double>(), row["model_score"].get<double>());
      continue;
    }
    ++with_p;
    EXPECT_GT(row["skip_probability"].get<double>(), p_early.at(row["item_id"]));
    EXPECT_LE(row["score"].get<double>(), row["model_score"].get<double>());
  }
  EXPECT_GT(with_p, 30);

  // Penalty 0: the plain list.
  const auto plain = nlohmann::json::parse(run("recommend --model " + model + " --user s7 --n 10 --json").out);
  const auto zero = nlohmann::json::parse(run(base + " --user s7 --n 10 --json --skip-penalty 0 --position 18").out);
  ASSERT_EQ(zero["recommendations"].size(), plain.size());
  for (std::size_t r2 = 0; r2 < plain.size(); ++r2)
    EXPECT_EQ(zero["recommendations"][r2]["item_id"], plain[r2]["item_id"]);

  // --history (a new user) and --all, whose file eval --recs measures.
  r = run(base + " --history t1,t2,t3 --n 5 --position 12 --explain");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("P(skip)"), std::string::npos) << r.out;
  r = run(base + " --all --n 10 --position 18 --context-type radio --out " + dir.file("all.csv"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("no skip-model features"), std::string::npos) << r.out;
  EXPECT_EQ(testing::read_file(dir.file("all.csv")).rfind("user_id,item_id,rank,score\n", 0), 0u);
  r = run("eval --recs " + dir.file("all.csv") + " --test " + test + " --train " + train);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ndcg@10"), std::string::npos) << r.out;

  // Errors.
  const auto fails_with = [&](const std::string& args, const std::string& text) {
    const CommandResult e = run(args);
    EXPECT_NE(e.code, 0) << args;
    EXPECT_NE(e.out.find(text), std::string::npos) << args << "\n" << e.out;
  };
  fails_with("recommend --model " + model + " --user s7 --skip-model " + skip, "--skip-model: needs --data");
  fails_with(base + " --user s7 --position 0", "--position: must be at least 1, got 0");
  fails_with(base + " --user s7 --context-type party", "unknown context type 'party' (known: ");
  fails_with(base + " --user s7 --skip-penalty -1", "--skip-penalty: must be a finite number >= 0");
  fails_with(base + " --user s7 --skip-penalty nan", "--skip-penalty");
  fails_with(base + " --user s7 --previous-skip 3", "--previous-skip: must be 0 or 1");
  fails_with("recommend --model " + model + " --user s7 --position 3", "go with --skip-model");
  fails_with(base + " --user s7 --mood calm", "one at a time");
}

}  // namespace
}  // namespace segue
