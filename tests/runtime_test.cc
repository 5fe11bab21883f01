// The one inference set-up call (models/runtime.h) and the deep-model names
// (models/deep_module.h): settings are made once and no model construction,
// fit scope or concurrent caller changes them afterwards; deep models are
// known by name without libtorch, and a segue that cannot load them says why.
#include <cblas.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "data/error.h"
#include "models/deep_module.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "models/runtime.h"
#include "test_util.h"

namespace segue {
namespace {

TEST(Runtime, ConfiguringAgainWithTheSameOptionsIsANoOp) {
  const RuntimeOptions current = runtime_options();
  EXPECT_NO_THROW(configure_runtime(current));
  EXPECT_NO_THROW(ensure_runtime());
  EXPECT_EQ(runtime_options(), current);
  EXPECT_EQ(openblas_get_num_threads(), current.blas_threads);
}

TEST(Runtime, ChangingConfiguredOptionsIsRefusedAndChangesNothing) {
  const RuntimeOptions current = runtime_options();
  RuntimeOptions other = current;
  other.blas_threads = current.blas_threads + 1;
  EXPECT_THROW(configure_runtime(other), std::logic_error);
  other = current;
  other.passive_openmp = !current.passive_openmp;
  EXPECT_THROW(configure_runtime(other), std::logic_error);
  EXPECT_EQ(runtime_options(), current);
  EXPECT_EQ(openblas_get_num_threads(), current.blas_threads);
}

TEST(Runtime, InvalidOptionsAreRejected) {
  RuntimeOptions bad;
  bad.blas_threads = 0;
  EXPECT_THROW(configure_runtime(bad), std::invalid_argument);
  bad = RuntimeOptions{};
  bad.threads = -2;
  EXPECT_THROW(configure_runtime(bad), std::invalid_argument);
}

TEST(Runtime, DefaultScoringUsesOneBlasThread) {
  // Every test binary here runs with the defaults (nothing configures otherwise).
  EXPECT_EQ(runtime_options().blas_threads, 1);
  EXPECT_EQ(openblas_get_num_threads(), 1);
}

TEST(Runtime, ConcurrentSetUpCallsAgree) {
  const RuntimeOptions current = runtime_options();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        try {
          ensure_runtime();
          configure_runtime(current);
          if (!(runtime_options() == current)) ++failures;
        } catch (...) {
          ++failures;
        }
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(openblas_get_num_threads(), current.blas_threads);
}

TEST(Runtime, ConcurrentModelConstructionLeavesBlasThreadsAlone) {
  // Constructors of the BLAS-using models (ials, bpr, ease) once set the count
  // themselves; now they only ensure the runtime, so nothing moves.
  const int before = runtime_options().blas_threads;
  ASSERT_EQ(openblas_get_num_threads(), before);
  std::atomic<int> changed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto model = make_recommender(t % 2 == 0 ? "ease" : "ials:factors=8");
        if (openblas_get_num_threads() != before) ++changed;
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(changed.load(), 0);
  EXPECT_EQ(openblas_get_num_threads(), before);
}

TEST(BlasFitThreads, RaisesForTheScopeAndRestoresTheConfiguredCount) {
  const int configured = runtime_options().blas_threads;
  {
    BlasFitThreads scope(2);
    EXPECT_EQ(openblas_get_num_threads(), 2);
  }
  EXPECT_EQ(openblas_get_num_threads(), configured);
}

TEST(BlasFitThreads, ConcurrentScopesAreSerialisedAndNeverLeaveTheCountRaised) {
  // The old save-and-restore scope let two fits restore each other's raised
  // count; here each scope sees its own count for its whole life.
  const int configured = runtime_options().blas_threads;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const int wanted = 1 + t % 2;
      for (int i = 0; i < 20; ++i) {
        BlasFitThreads scope(wanted);
        if (openblas_get_num_threads() != wanted) ++wrong;
        std::this_thread::yield();
        if (openblas_get_num_threads() != wanted) ++wrong;
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(openblas_get_num_threads(), configured);
}

TEST(DeepModelNames, AreKnownWithoutLoadingTorch) {
  EXPECT_TRUE(is_deep_model_name("multvae"));
  EXPECT_TRUE(is_deep_model_name("sasrec"));
  EXPECT_FALSE(is_deep_model_name("ease"));
  EXPECT_EQ(deep_model_names().size(), 6u);
  const std::string help = describe_models();
  for (const DeepModelName& deep : deep_model_names()) {
    EXPECT_NE(help.find(std::string(deep.name) + "  " + std::string(deep.summary)), std::string::npos) << deep.name;
  }
}

TEST(DeepModelNames, UnknownModelErrorListsThem) {
  try {
    parse_spec("nosuchmodel");
    ADD_FAILURE() << "expected UsageError";
  } catch (const UsageError& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("unknown model 'nosuchmodel'"), std::string::npos) << text;
    EXPECT_NE(text.find("multvae"), std::string::npos) << text;
    EXPECT_NE(text.find("itemknn"), std::string::npos) << text;
  }
}

using testing::CommandResult;

CommandResult run_segue(const std::string& env, const std::string& args) {
  return testing::run_command(env + " " + std::string(SEGUE_BINARY) + " " + args);
}

TEST(DeepModule, ModelsListingNamesDeepModelsWithoutLibtorch) {
  const CommandResult r = run_segue("", "models");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("multvae  Mult-VAE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("itemknn  "), std::string::npos) << r.out;
}

TEST(DeepModule, AMissingModuleIsAOneLineErrorNamingThePath) {
  testing::TempDir dir;
  const std::string train = dir.write("train.csv", "user_id,item_id\nu1,a\nu1,b\nu2,a\nu2,c\n");
  const std::string missing = dir.file("no/libsegue_deep.so");
  const CommandResult r = run_segue("SEGUE_DEEP_MODULE=" + missing,
                                    "train --train " + train + " --model multvae --out " + dir.file("m.model"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("'multvae' is a deep model, and "), std::string::npos) << r.out;
  // A build with libtorch names the module it could not open; one without says so.
  EXPECT_TRUE(r.out.find(missing + " could not be loaded") != std::string::npos ||
              r.out.find("built without libtorch") != std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace segue
