// Times the policies' decide() for one home page: the shelf order (8 shelves,
// 8 slots) and each shelf's cards (30 candidates, 10 slots), ~12 hashed
// features per arm, after 5,000 online updates; each page has a fresh
// listener and fresh candidates from a 100k-item catalogue.
//   bench_policy [pages] [spec ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.h"
#include "home/bandit.h"

namespace {

using namespace segue::home;

constexpr int kShelves = 8, kCandidates = 30, kCards = 10, kCatalogue = 100000;

Feature feature(std::string_view field, std::uint64_t value) {
  return Feature{feature_index(field, std::to_string(value)), 1.0f};
}

// One page's decisions: the shelves (arms = shelves) and each shelf's candidates.
struct PageInput {
  std::vector<Arm> shelves;
  std::vector<std::vector<Arm>> candidates;
};

// Listener and context: 4 features; a card adds 8 of its own (12 in all).
PageInput make_page(segue::Rng& rng) {
  const std::vector<Feature> context = {feature("user", rng.below(50000)), feature("hour", rng.below(24)),
                                        feature("weekday", rng.below(7)), feature("device", rng.below(3))};
  PageInput page;
  for (int s = 0; s < kShelves; ++s) {
    Arm shelf{context, static_cast<std::uint64_t>(s)};
    shelf.features.push_back(feature("shelf", s));
    page.shelves.push_back(std::move(shelf));
    std::vector<Arm> cards;
    for (int c = 0; c < kCandidates; ++c) {
      const std::uint64_t item = rng.below(kCatalogue);
      Arm card{context, item};
      for (const Feature& f : {feature("item", item), feature("artist", item / 10), feature("album", item / 3),
                               feature("genre", item % 40), feature("popularity", item % 10), feature("shelf", s),
                               feature("explanation", s * 3 + c % 3), feature("year", 1960 + item % 60)})
        card.features.push_back(f);
      cards.push_back(std::move(card));
    }
    page.candidates.push_back(std::move(cards));
  }
  return page;
}

void warm_up(Policy& policy, segue::Rng& rng) {
  for (int i = 0; i < 5000; ++i) {
    const PageInput page = make_page(rng);
    const Arm& card = page.candidates[0][rng.below(kCandidates)];
    policy.update(Outcome{card.features, card.key, 0, rng.below(4) == 0 ? 1.0 : 0.0, 0.5});
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int pages = argc > 1 ? std::atoi(argv[1]) : 2000;
  std::vector<std::string> specs;
  for (int i = 2; i < argc; ++i) specs.emplace_back(argv[i]);
  if (specs.empty())
    specs = {"uniform", "greedy", "egreedy:epsilon=0.1", "linucb:alpha=1", "thompson:draws=100", "thompson",
             "thompson:model=logistic,draws=100", "thompson:model=logistic"};

  std::string command = "bench_policy";
  for (int i = 1; i < argc; ++i) command.append(" ").append(argv[i]);
  std::printf("%s\n%d pages; %d shelves x %d candidates (%d cards each), 12 features per card\n", command.c_str(),
              pages, kShelves, kCandidates, kCards);
  std::printf("machine: %s\n\n", segue::bench::cpu_model().c_str());
  std::printf("%-40s %12s %12s\n", "policy", "us/page", "us/shelf");
  segue::Rng input_rng(1);
  std::vector<PageInput> inputs;
  for (int p = 0; p < std::min(pages, 500); ++p) inputs.push_back(make_page(input_rng));

  for (const std::string& spec : specs) {
    const auto policy = make_policy(spec);
    segue::Rng rng(7);
    warm_up(*policy, rng);
    std::vector<Pick> picks;
    double checksum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int p = 0; p < pages; ++p) {
      const PageInput& page = inputs[p % inputs.size()];
      policy->decide(Decision{page.shelves, kShelves, 0}, rng, picks);
      checksum += picks[0].propensity;
      for (const std::vector<Arm>& cards : page.candidates) {
        policy->decide(Decision{cards, kCards, 0}, rng, picks);
        checksum += picks[0].propensity;
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double per_page = seconds * 1e6 / pages;
    // The spec as given: the canonical one spells out every default.
    std::printf("%-40s %12.1f %12.1f   (checksum %.3f)\n", spec.c_str(), per_page, per_page / (kShelves + 1),
                checksum / pages);
  }
  return 0;
}
