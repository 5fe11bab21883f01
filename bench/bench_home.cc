// In-process cost of a home page, by part: each shelf generator alone, the
// policies' arrangement, and the whole page (generate + arrange), over real
// listeners of a model. Usage: bench_home MODEL STORE [USERS=500] [POLICY=egreedy:epsilon=0.1]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "bench_util.h"
#include "data/store.h"
#include "home/page.h"
#include "home/shelves.h"
#include "serve/serving_model.h"

using namespace segue;

namespace {

double micros_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
}

void report(const char* label, std::vector<double>& micros) {
  std::sort(micros.begin(), micros.end());
  double sum = 0;
  for (const double m : micros) sum += m;
  const auto at = [&](double q) { return micros[std::min(micros.size() - 1, static_cast<std::size_t>(q * micros.size()))]; };
  std::printf("%-22s mean %8.1f us  p50 %8.1f  p99 %8.1f\n", label, sum / micros.size(), at(0.5), at(0.99));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_home MODEL STORE [USERS=500] [POLICY=egreedy:epsilon=0.1]\n");
    return 2;
  }
  const int n_users = argc > 3 ? std::stoi(argv[3]) : 500;
  const std::string policy_spec = argc > 4 ? argv[4] : "egreedy:epsilon=0.1";
  std::printf("cpu: %s\n", bench::cpu_model().c_str());
  auto store = std::make_shared<const Dataset>(load_dataset(argv[2]));
  ServingOptions options;
  options.build_ann = true;
  options.ann_path = std::string(argv[1]) + ".hnsw";
  const ServingModel served(Recommender::load(argv[1]), store, options);
  const home::HomeIndex index(served);
  const home::ShelfConfig config = home::default_shelf_config();
  const auto policy = home::make_policy(policy_spec);
  std::mt19937 rng(42);
  std::vector<home::Listener> listeners;
  for (int k = 0; k < n_users; ++k) {
    home::Listener l;
    l.user = static_cast<std::int32_t>(rng() % static_cast<unsigned>(served.model().n_users()));
    l.id = std::string(served.model().user_ids().name(l.user));
    l.recent = home::recent_items(served, l.user, {}, 20);
    l.hour = static_cast<int>(rng() % 24);
    listeners.push_back(std::move(l));
  }
  for (const home::ShelfSpec& spec : config.shelves) {
    home::ShelfConfig one;
    one.shelves = {spec};
    std::vector<double> micros;
    std::size_t offered = 0;
    for (const home::Listener& l : listeners) {
      const auto start = std::chrono::steady_clock::now();
      offered += home::generate_shelves(one, served, index, l).size();
      micros.push_back(micros_since(start));
    }
    report(spec.name.c_str(), micros);
    std::printf("%-22s offered for %zu of %d listeners\n", "", offered, n_users);
  }
  std::vector<double> generate, arrange;
  std::size_t cards = 0;
  Rng page_rng(7);
  for (const home::Listener& l : listeners) {
    auto start = std::chrono::steady_clock::now();
    const auto offered = home::generate_shelves(config, served, index, l);
    generate.push_back(micros_since(start));
    start = std::chrono::steady_clock::now();
    const home::Page page = home::arrange_page(offered, config, {l.id, l.hour}, {policy.get(), policy.get()},
                                               served.popularity(), served.model().item_ids(), page_rng);
    arrange.push_back(micros_since(start));
    cards += static_cast<std::size_t>(page.cards());
  }
  report("all shelves", generate);
  report(("arrange: " + policy->spec().substr(0, 12)).c_str(), arrange);
  std::printf("cards per page: %.1f\n", static_cast<double>(cards) / n_users);
  return 0;
}
