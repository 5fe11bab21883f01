// What re-ranking adds to serving one listener: a fitted rerank model's
// generators score the listener's row (stage one), then the candidates get
// their features and the LambdaMART margins (stage two). Times both for random
// known listeners, one thread, and reports the candidates per listener.
//
//   build/bench_rerank MODEL.segue [--calls 500]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "models/recommender.h"
#include "models/rerank/rerank.h"
#include "util/thread_pool.h"

using namespace segue;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_rerank MODEL.segue [--calls N]\n");
    return 2;
  }
  int calls = 500;
  for (int a = 2; a + 1 < argc; a += 2)
    if (std::strcmp(argv[a], "--calls") == 0) calls = std::atoi(argv[a + 1]);
  set_default_threads(1);
  const auto model = Recommender::load(argv[1]);
  const auto* rerank = dynamic_cast<const RerankModel*>(model.get());
  if (rerank == nullptr) {
    std::fprintf(stderr, "%s is a %s model, not rerank\n", argv[1], model->name().c_str());
    return 2;
  }
  const auto n = static_cast<std::size_t>(model->n_items());
  std::vector<float> row(n), generator_row(n);
  std::mt19937 rng(1);
  std::uniform_int_distribution<std::int32_t> pick(0, model->n_users() - 1);
  std::vector<double> total_ms, stage_one_ms, added_ms, features_ms, ranker_ms, xgboost_ms;
  double candidates = 0;
  for (int c = 0; c < calls + 20; ++c) {
    const std::int32_t user = pick(rng);
    const std::span<const std::int32_t> one(&user, 1);
    auto t0 = Clock::now();
    for (const auto& g : rerank->generators()) g->score_users(one, generator_row.data());
    auto t1 = Clock::now();
    model->score_users(one, row.data());
    auto t2 = Clock::now();
    if (c < 20) continue;  // warm-up
    const double one_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    const double all_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
    stage_one_ms.push_back(one_ms);
    total_ms.push_back(all_ms);
    added_ms.push_back(all_ms - one_ms);
    CandidateRows rows;
    auto t3 = Clock::now();
    rerank->candidate_rows(user, rows);
    auto t4 = Clock::now();
    std::vector<float> margins(rows.items.size());
    if (!rerank->ranker().empty()) rerank->ranker().predict(rows.x.data(), rows.items.size(), margins.data());
    auto t5 = Clock::now();
    if (!rerank->ranker().empty()) rerank->ranker().predict_xgboost(rows.x.data(), rows.items.size(), margins.data());
    auto t6 = Clock::now();
    xgboost_ms.push_back(std::chrono::duration<double, std::milli>(t6 - t5).count());
    features_ms.push_back(std::chrono::duration<double, std::milli>(t4 - t3).count() - one_ms);
    ranker_ms.push_back(std::chrono::duration<double, std::milli>(t5 - t4).count());
    candidates += static_cast<double>(rows.items.size());
  }
  std::printf("cpu: %s\nmodel: %s (%d users x %d items, %zu generators, %zu features)\n", bench::cpu_model().c_str(),
              argv[1], model->n_users(), model->n_items(), rerank->generators().size(), rerank->feature_names().size());
  std::printf("candidates per listener: %.1f (mean over %d calls)\n", candidates / calls, calls);
  std::printf("%-34s %8s %8s %8s\n", "one listener, one thread (ms)", "median", "p90", "p99");
  auto line = [](const char* what, const std::vector<double>& v) {
    std::printf("%-34s %8.3f %8.3f %8.3f\n", what, percentile(v, 0.5), percentile(v, 0.9), percentile(v, 0.99));
  };
  line("stage one: the generators' rows", stage_one_ms);
  line("whole rerank score row", total_ms);
  line("added by re-ranking", added_ms);
  line("  of which candidates + features", features_ms);
  line("  of which the ranker (flat trees)", ranker_ms);
  line("  (xgboost's own prediction)", xgboost_ms);
  return 0;
}
