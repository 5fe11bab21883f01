// The deep models as the CLI sees them: the static name list that help texts
// use without libtorch matches what the module registers, and the segue
// binary trains, saves and loads a deep model through the module it opens on
// demand — while a non-deep command never loads libtorch.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "../test_util.h"
#include "deep/torch_model.h"
#include "models/deep_module.h"

namespace segue {
namespace {

TEST(DeepModuleNames, MatchTheRegisteredDeepModels) {
  std::map<std::string, std::string> listed, registered;
  for (const DeepModelName& deep : deep_model_names()) listed[std::string(deep.name)] = std::string(deep.summary);
  for (const ModelInfo& info : deep_model_infos()) registered[info.name] = info.summary;
  EXPECT_EQ(listed, registered);
  for (const DeepModelName& deep : deep_model_names()) {
    const ModelInfo* info = find_model(deep.name);
    ASSERT_NE(info, nullptr) << deep.name;
    EXPECT_EQ(info->summary, deep.summary);
  }
}

using testing::CommandResult;

CommandResult run_segue(const std::string& env, const std::string& args) {
  return testing::run_command(env + " " + std::string(SEGUE_BINARY) + " " + args);
}

// 12 users in two taste groups over 12 items.
std::string listening_log() {
  std::string csv = "user_id,item_id\n";
  for (int u = 0; u < 12; ++u)
    for (int j = 0; j < 4; ++j) csv += "u" + std::to_string(u) + ",i" + std::to_string((u < 6 ? 0 : 6) + (u + j) % 6) + "\n";
  return csv;
}

bool loaded_libtorch(const std::string& loader_log) {
  return loader_log.find("libtorch_cpu.so") != std::string::npos;
}

TEST(DeepModule, TheCliTrainsAndLoadsADeepModelThroughTheModule) {
  testing::TempDir dir;
  const std::string train = dir.write("train.csv", listening_log());
  const std::string model = dir.file("multvae.model");
  CommandResult r = run_segue("LD_DEBUG=files", "train --train " + train +
                                                    " --model multvae:epochs=2,validation=0,embedding=8 --out " + model);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("libsegue_deep.so"), std::string::npos);
  EXPECT_TRUE(loaded_libtorch(r.out));
  r = run_segue("", "recommend --model " + model + " --user u0 --n 3 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto recs = nlohmann::json::parse(r.out);
  ASSERT_EQ(recs.size(), 3u) << r.out;
  EXPECT_EQ(recs[0]["rank"], 1);
}

TEST(DeepModule, NonDeepCommandsNeverLoadLibtorch) {
  testing::TempDir dir;
  const std::string train = dir.write("train.csv", listening_log());
  const std::string model = dir.file("itemknn.model");
  CommandResult r = run_segue("LD_DEBUG=files", "--help");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(loaded_libtorch(r.out));
  r = run_segue("LD_DEBUG=files", "models");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(loaded_libtorch(r.out));
  EXPECT_NE(r.out.find("multvae  Mult-VAE"), std::string::npos);
  r = run_segue("", "train --train " + train + " --model itemknn --out " + model);
  ASSERT_EQ(r.code, 0) << r.out;
  r = run_segue("LD_DEBUG=files", "recommend --model " + model + " --user u0 --n 3");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(loaded_libtorch(r.out));
}

}  // namespace
}  // namespace segue
