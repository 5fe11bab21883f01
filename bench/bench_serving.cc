// In-process latency of ServingModel::recommend, the call behind every
// recommendation request, by path: the HNSW index vs the exact kernel for
// known listeners, the fold-in a listener's received events cost, and the
// popularity fallback; plus recall@10 of the index against exact lists, for
// known listeners and for listeners with received events (fold-in).
// Usage: bench_serving MODEL STORE [USERS=2000] [EVENTS=10] [EF=64]
// bench_serving_deep (the same, linked with the deep models) serves lightgcn,
// sasrec, gru4rec and multvae model files.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "bench_util.h"
#include "data/store.h"
#include "models/recommender.h"
#include "serve/ann_index.h"
#include "serve/serving_model.h"
#ifdef SEGUE_WITH_TORCH
#include "deep/torch_model.h"
#endif

using namespace segue;

namespace {

struct Timing {
  std::vector<double> micros;
  void report(const char* label) {
    std::sort(micros.begin(), micros.end());
    const auto at = [&](double q) { return micros[std::min(micros.size() - 1, static_cast<std::size_t>(q * micros.size()))]; };
    double sum = 0;
    for (double m : micros) sum += m;
    std::printf("%-34s  n=%6zu  mean %8.1f us  p50 %8.1f  p99 %8.1f  p99.9 %8.1f\n", label, micros.size(),
                sum / micros.size(), at(0.5), at(0.99), at(0.999));
  }
};

template <class Body>
double time_micros(Body&& body) {
  const auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_serving MODEL STORE [USERS=2000] [EVENTS=10] [EF=64]\n");
    return 2;
  }
  const int users = argc > 3 ? std::stoi(argv[3]) : 2000;
  const int events = argc > 4 ? std::stoi(argv[4]) : 10;
  const int ef = argc > 5 ? std::stoi(argv[5]) : 64;
  std::printf("cpu: %s\n", bench::cpu_model().c_str());
#ifdef SEGUE_WITH_TORCH
  register_deep_models();
#endif
  auto store = std::make_shared<const Dataset>(load_dataset(argv[2]));
  ServingOptions options;
  options.build_ann = true;
  options.ann_ef_search = ef;
  double load_ms = 0;
  std::unique_ptr<ServingModel> served;
  load_ms = time_micros([&] { served = std::make_unique<ServingModel>(Recommender::load(argv[1]), store, options); }) / 1e3;
  const Recommender& model = served->model();
  std::printf("model %s: %d users, %d items; load + serving set-up %.0f ms (index %s in %.2f s)\n",
              model.params().to_short_string().c_str(), model.n_users(), model.n_items(), load_ms,
              served->ann() ? "built" : "none", served->ann_build_seconds());
  std::mt19937 rng(42);
  std::vector<std::int32_t> sample;
  for (int k = 0; k < users; ++k) sample.push_back(static_cast<std::int32_t>(rng() % model.n_users()));
  Timing ann, exact, fold_exact, fold_ann, popular;
  double hits = 0, total = 0, fold_hits = 0, fold_total = 0;
  int lists = 0, fold_lists = 0;
  const auto overlap = [](const RecommendResult& approx, const RecommendResult& truth, double& hits, double& total,
                          int& count) {
    ++count;
    for (const ScoredItem& t : truth.items)
      hits += std::any_of(approx.items.begin(), approx.items.end(), [&](const ScoredItem& a) { return a.item == t.item; });
    total += static_cast<double>(truth.items.size());
  };
  for (const std::int32_t user : sample) {
    RecommendRequest request;
    request.user = user;
    request.n = 10;
    RecommendResult approx, truth;
    if (served->ann()) ann.micros.push_back(time_micros([&] { approx = served->recommend(request); }));
    request.approximate = false;
    exact.micros.push_back(time_micros([&] { truth = served->recommend(request); }));
    if (served->ann() && approx.strategy == "ann") overlap(approx, truth, hits, total, lists);
    // The same listener after EVENTS new plays (the live state a request carries).
    for (int e = 0; e < events; ++e) request.history.push_back(static_cast<std::int32_t>(rng() % model.n_items()));
    fold_exact.micros.push_back(time_micros([&] { truth = served->recommend(request); }));
    request.approximate = true;
    if (served->ann()) {
      fold_ann.micros.push_back(time_micros([&] { approx = served->recommend(request); }));
      if (approx.strategy == "fold-in+ann") overlap(approx, truth, fold_hits, fold_total, fold_lists);
    }
    RecommendRequest cold;
    cold.n = 10;
    cold.exclude = request.history;
    std::sort(cold.exclude.begin(), cold.exclude.end());
    popular.micros.push_back(time_micros([&] { served->recommend(cold); }));
  }
  if (served->ann()) ann.report("known listener, hnsw");
  exact.report("known listener, exact");
  if (served->ann()) fold_ann.report(("+" + std::to_string(events) + " live events, fold-in + hnsw").c_str());
  fold_exact.report(("+" + std::to_string(events) + " live events, fold-in exact").c_str());
  popular.report("unknown listener, popularity");
  if (total > 0)
    std::printf("recall@10 of hnsw (ef %d) vs exact lists: known listeners %.4f (%d lists), with %d live events %.4f (%d lists)\n",
                ef, hits / total, lists, events, fold_total > 0 ? fold_hits / fold_total : 0.0, fold_lists);
  return 0;
}
