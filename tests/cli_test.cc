// End-to-end tests of the segue binary: exit codes, one-line errors, and the
// import -> stats -> split -> eval -> train -> recommend chain on a fixture.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

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

// 6 users x up to 5 items, enough for every command to have something to do.
std::string listening_log() {
  std::string csv = "user_id,item_id,weight,timestamp\n";
  const char* items[] = {"rock", "pop", "jazz", "folk", "punk", "soul"};
  for (int u = 0; u < 6; ++u)
    for (int i = 0; i <= (u % 3) + 2; ++i)
      csv += "u" + std::to_string(u) + "," + items[(u + i) % 6] + "," + std::to_string(i + 1) + "," +
             std::to_string(1600000000 + u * 100 + i) + "\n";
  return csv;
}

TEST(Cli, ImportStatsSplitEvalTrainRecommendChain) {
  TempDir dir;
  const std::string log = dir.write("log.csv", listening_log());
  const std::string store = dir.file("store");
  CommandResult r = run("import --format csv --input " + log + " --out " + store + " --weight-col weight --time-col timestamp");
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("stats " + store + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto stats = nlohmann::json::parse(r.out);
  EXPECT_EQ(stats["users"], 6);
  EXPECT_EQ(stats["items"], 6);
  EXPECT_EQ(stats["interactions"], 24);
  EXPECT_NEAR(stats["density"].get<double>(), 24.0 / 36.0, 1e-9);

  r = run("split " + store + " --method leave-last --seed 3 --out " + dir.file("split"));
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string train = dir.file("split/train.csv"), test = dir.file("split/test.csv");
  EXPECT_EQ(testing::read_file(train).substr(0, 33), "user_id,item_id,weight,timestamp\n");

  r = run("eval --train " + train + " --test " + test + " --model pop --json " + dir.file("eval.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto eval = nlohmann::json::parse(testing::read_file(dir.file("eval.json")));
  EXPECT_EQ(eval["protocol"], "full");
  EXPECT_EQ(eval["results"][0]["model"], "pop");
  EXPECT_EQ(eval["results"][0]["users_evaluated"], 6);
  EXPECT_TRUE(eval["results"][0]["metrics"].contains("ndcg@10"));

  r = run("train --train " + train + " --model pop --out " + dir.file("pop.model"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("recommend --model " + dir.file("pop.model") + " --user u0 --n 2 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto recs = nlohmann::json::parse(r.out);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0]["rank"], 1);
}

TEST(Cli, ReimportingASplitKeepsItsWeightsAndTimes) {
  // A split's train.csv names its columns weight and timestamp: importing it again (to carve a validation split
  // from it) must keep them without flags; it once dropped every play count silently.
  TempDir dir;
  const std::string log = dir.write("log.csv", listening_log());
  ASSERT_EQ(run("import --format csv --input " + log + " --out " + dir.file("a") + " --weight-col weight --time-col timestamp").code, 0);
  ASSERT_EQ(run("split " + dir.file("a") + " --method random --seed 3 --out " + dir.file("s1")).code, 0);
  const CommandResult r = run("import --format csv --input " + dir.file("s1/train.csv") + " --out " + dir.file("b"));
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(run("split " + dir.file("b") + " --method random --seed 3 --out " + dir.file("s2")).code, 0);
  const std::string first = testing::read_file(dir.file("s1/train.csv"));
  const std::string second = testing::read_file(dir.file("s2/train.csv"));
  // Every (user, item, weight, timestamp) line of the re-split came from the first split's train.csv.
  std::size_t lines = 0;
  for (std::size_t at = second.find('\n') + 1; at < second.size();) {
    const std::size_t end = second.find('\n', at);
    const std::string line = second.substr(at, end - at);
    EXPECT_NE(first.find("\n" + line + "\n"), std::string::npos) << line;
    ++lines;
    at = end + 1;
  }
  EXPECT_GT(lines, 5u);
  EXPECT_EQ(second.find(",1,\n"), std::string::npos) << "weights or times were lost:\n" << second;
}

TEST(Cli, BadInputGivesOneLineNamingFileAndLine) {
  TempDir dir;
  const std::string log = dir.write("bad.csv", "user_id,item_id,weight\nu1,i1,2\nu2,i2,oops\n");
  const CommandResult r = run("import --format csv --input " + log + " --out " + dir.file("s") + " --weight-col weight");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("bad.csv:3: field 'weight'"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}

TEST(Cli, SkipModeReportsHowManyLinesWereSkipped) {
  TempDir dir;
  const std::string log = dir.write("bad.csv", "user_id,item_id,weight\nu1,i1,2\nu2,i2,oops\nu3,,1\n");
  const CommandResult r = run("import --format csv --input " + log + " --out " + dir.file("s") +
                    " --weight-col weight --on-error skip");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("skipped 2 bad lines"), std::string::npos) << r.out;
}

TEST(Cli, UnknownUserAndBadSpecAreClearErrors) {
  TempDir dir;
  const std::string log = dir.write("log.csv", listening_log());
  ASSERT_EQ(run("train --train " + log + " --model pop --out " + dir.file("m")).code, 0);
  CommandResult r = run("recommend --model " + dir.file("m") + " --user nobody");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("unknown user id 'nobody'"), std::string::npos) << r.out;
  r = run("train --train " + log + " --model pop:decay_dayz=3 --out " + dir.file("m2"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("decay_dayz"), std::string::npos) << r.out;
  r = run("recommend --model " + log + " --user u0");  // not a model file
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("log.csv"), std::string::npos) << r.out;
}

TEST(Cli, MissingSubcommandOrFileFails) {
  EXPECT_NE(run("").code, 0);
  const CommandResult r = run("stats /nonexistent/segue-store");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("/nonexistent/segue-store"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace segue

namespace segue {
namespace {

TEST(Cli, RecsFileAndModelGiveTheSameNumbersAndAReportIsWritten) {
  testing::TempDir dir;
  const std::string log = dir.write("log.csv", listening_log());
  const std::string store = dir.file("store");
  ASSERT_EQ(run("import --format csv --input " + log + " --out " + store + " --weight-col weight").code, 0);
  ASSERT_EQ(run("split " + store + " --method leave-last --seed 3 --out " + dir.file("split")).code, 0);
  const std::string train = dir.file("split/train.csv"), test = dir.file("split/test.csv");
  ASSERT_EQ(run("train --train " + train + " --model pop --out " + dir.file("pop.model")).code, 0);
  // pop's lists for every user, written as a recommendation file.
  std::string recs = "user_id,item_id,rank\n";
  for (int u = 0; u < 6; ++u) {
    const std::string user = "u" + std::to_string(u);
    const auto list = nlohmann::json::parse(run("recommend --model " + dir.file("pop.model") + " --user " + user + " --n 10 --json").out);
    for (const auto& row : list) recs += user + "," + row["item_id"].get<std::string>() + "," + std::to_string(row["rank"].get<int>()) + "\n";
  }
  const std::string recs_path = dir.write("recs.csv", recs);
  CommandResult r = run("eval --train " + train + " --test " + test + " --model pop --json " + dir.file("m.json") +
                        " --report " + dir.file("r.html"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("eval --train " + train + " --test " + test + " --recs " + recs_path + " --json " + dir.file("r.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto by_model = nlohmann::json::parse(testing::read_file(dir.file("m.json")))["results"][0]["metrics"];
  const auto by_recs = nlohmann::json::parse(testing::read_file(dir.file("r.json")))["results"][0]["metrics"];
  for (const auto& item : by_recs.items()) {
    if (item.key().rfind("coverage", 0) == 0) continue;
    EXPECT_DOUBLE_EQ(item.value().get<double>(), by_model[item.key()].get<double>()) << item.key();
  }
  const std::string html = testing::read_file(dir.file("r.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("ndcg@10"), std::string::npos);
}

TEST(Cli, RecommendAllWritesARecsFileThatEvalReadsLikeTheModel) {
  testing::TempDir dir;
  const std::string log = dir.write("log.csv", listening_log());
  const std::string store = dir.file("store");
  ASSERT_EQ(run("import --format csv --input " + log + " --out " + store + " --weight-col weight --time-col timestamp").code, 0);
  ASSERT_EQ(run("split " + store + " --method leave-last --seed 3 --out " + dir.file("split")).code, 0);
  const std::string train = dir.file("split/train.csv"), test = dir.file("split/test.csv");
  ASSERT_EQ(run("train --train " + train + " --model pop --out " + dir.file("pop.model")).code, 0);
  CommandResult r = run("recommend --model " + dir.file("pop.model") + " --all --n 10 --out " + dir.file("all.csv"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("for 6 users"), std::string::npos) << r.out;
  const std::string recs = testing::read_file(dir.file("all.csv"));
  EXPECT_EQ(recs.rfind("user_id,item_id,rank,score\n", 0), 0u);
  // A user's list: the same items in the same order as `recommend --user`.
  const auto single = nlohmann::json::parse(run("recommend --model " + dir.file("pop.model") + " --user u2 --n 10 --json").out);
  std::string expected;
  for (const auto& row : single)
    expected += "u2," + row["item_id"].get<std::string>() + "," + std::to_string(row["rank"].get<int>()) + ",";
  std::string got;
  for (std::size_t at = recs.find("\nu2,"); at != std::string::npos; at = recs.find("\nu2,", at + 1)) {
    const std::string line = recs.substr(at + 1, recs.find('\n', at + 1) - at - 1);
    got += line.substr(0, line.rfind(',') + 1);
  }
  EXPECT_EQ(got, expected);
  r = run("eval --train " + train + " --test " + test + " --recs " + dir.file("all.csv") + " --json " + dir.file("r.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("eval --train " + train + " --test " + test + " --model pop --json " + dir.file("m.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto by_model = nlohmann::json::parse(testing::read_file(dir.file("m.json")))["results"][0]["metrics"];
  const auto by_recs = nlohmann::json::parse(testing::read_file(dir.file("r.json")))["results"][0]["metrics"];
  for (const auto& item : by_recs.items())
    EXPECT_DOUBLE_EQ(item.value().get<double>(), by_model[item.key()].get<double>()) << item.key();
  // --mood needs --user and --data, and names the known moods when unknown.
  r = run("recommend --model " + dir.file("pop.model") + " --user u2 --mood calm");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--data"), std::string::npos) << r.out;
  r = run("recommend --model " + dir.file("pop.model") + " --user u2 --mood nosuch --data " + store);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("known: calm"), std::string::npos) << r.out;
  r = run("recommend --model " + dir.file("pop.model") + " --user u2 --mood calm --data " + store);
  EXPECT_NE(r.code, 0);  // the fixture store has no audio features: the mood says which is missing
  EXPECT_NE(r.out.find("energy"), std::string::npos) << r.out;
  // --hour: needs --data with timestamps (the fixture has them: every event in
  // one hour, so that hour's affinity is above 1 for every played item).
  r = run("recommend --model " + dir.file("pop.model") + " --user u2 --hour 25 --data " + store);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("0..23"), std::string::npos) << r.out;
  r = run("recommend --model " + dir.file("pop.model") + " --user u2 --hour 7");
  EXPECT_NE(r.code, 0);
  r = run("recommend --model " + dir.file("pop.model") + " --user u2 --hour 12 --n 3 --data " + store);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("timed events"), std::string::npos) << r.out;
  // --title needs a title model; a title model trains from --user-names.
  r = run("recommend --model " + dir.file("pop.model") + " --title rock");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--model title"), std::string::npos) << r.out;
  const std::string names = dir.write("names.csv", "user_id,name\nu0,Rock Mix\nu1,rock party\nu2,Jazz\nghost,x\n");
  r = run("train --train " + train + " --model title:min_df=1 --user-names " + names + " --out " + dir.file("t.model"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("1 ids not in the training data"), std::string::npos) << r.out;
  // eval and tune take the same titles, repeatable; without them a title model says what it needs.
  const std::string more = dir.write("more.csv", "user_id,name\nu3,Rock\n");
  r = run("eval --train " + train + " --test " + test + " --model title:min_df=1 --user-names " + names +
          " --user-names " + more + " --bootstrap 0");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("user names: 1 rows from " + more), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ndcg@10"), std::string::npos) << r.out;
  r = run("eval --train " + train + " --test " + test + " --model title:min_df=1 --bootstrap 0");
  EXPECT_NE(r.out.find("--user-names"), std::string::npos) << r.out;
  r = run("eval --test " + test + " --recs " + dir.file("all.csv") + " --user-names " + names);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--user-names needs --train"), std::string::npos) << r.out;
  r = run("recommend --model " + dir.file("t.model") + " --title 'rock' --n 2 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 2u) << r.out;
  // --title with --title-model: the title model's seeds, continued by another model.
  r = run("train --train " + train + " --model itemknn --out " + dir.file("knn.model"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("recommend --model " + dir.file("knn.model") + " --title rock --title-model " + dir.file("t.model") +
          " --title-seeds 2 --n 3");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("continued from 2 title seeds"), std::string::npos) << r.out;
  r = run("recommend --model " + dir.file("knn.model") + " --user u1 --title-model " + dir.file("t.model"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--title-model goes with --title"), std::string::npos) << r.out;
  // --all needs --out, and excludes --user.
  EXPECT_NE(run("recommend --model " + dir.file("pop.model") + " --all").code, 0);
  EXPECT_NE(run("recommend --model " + dir.file("pop.model") + " --all --user u1 --out " + dir.file("x.csv")).code, 0);
}

}  // namespace
}  // namespace segue
