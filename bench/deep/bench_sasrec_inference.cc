// Top-10 latency of a sequence model (sasrec, gru4rec) for one listener with a
// given history length: score_history + top-k with the history excluded, the
// path `segue recommend --history` and the server take. Histories are real:
// the last `length` items of the model's training sequences that have at least
// that many (so the model and the data are the user's).
//
// usage: bench_sasrec_inference MODEL_FILE [--length 50] [--calls 500] [--threads 1,2]
// Prints one line per thread count: median, p90 and p99 milliseconds per call.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "../bench_util.h"
#include "deep/sequences.h"
#include "models/top_k.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_FILE [--length 50] [--calls 500] [--threads 1,2]\n", argv[0]);
    return 2;
  }
  std::size_t length = 50, calls = 500;
  std::vector<int> thread_counts{1, 2};
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--length") length = std::strtoul(argv[i + 1], nullptr, 10);
    else if (flag == "--calls") calls = std::strtoul(argv[i + 1], nullptr, 10);
    else if (flag == "--threads") {
      thread_counts.clear();
      std::stringstream list(argv[i + 1]);
      for (std::string t; std::getline(list, t, ',');) thread_counts.push_back(std::atoi(t.c_str()));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  segue::register_deep_models();
  const auto model = segue::Recommender::load(argv[1]);
  const auto* sequence_model = dynamic_cast<const segue::SequenceModel*>(model.get());
  if (sequence_model == nullptr) {
    std::fprintf(stderr, "%s: not a sequence model (sasrec, gru4rec)\n", argv[1]);
    return 2;
  }
  const segue::Sequences& sequences = sequence_model->sequences();
  std::vector<std::vector<std::int32_t>> histories;
  for (std::int32_t r = 0; r < sequences.n_rows() && histories.size() < calls; ++r) {
    const auto row = sequences.of(r);
    if (row.size() >= length) histories.emplace_back(row.end() - static_cast<std::ptrdiff_t>(length), row.end());
  }
  if (histories.empty()) {
    std::fprintf(stderr, "no training sequence has %zu items\n", length);
    return 2;
  }
  const std::int32_t n = model->n_items();
  std::vector<float> scores(static_cast<std::size_t>(n));
  std::vector<segue::ScoredItem> top;
  std::vector<std::int32_t> exclude;
  std::printf("# %s; model %s; %d items; %zu histories of %zu items\n", segue::bench::cpu_model().c_str(),
              model->params().to_string().c_str(), n, histories.size(), length);
  for (int threads : thread_counts) {
    torch::set_num_threads(threads);
    std::vector<double> ms;
    for (int pass = 0; pass < 2; ++pass) {  // the first pass warms caches and allocators
      ms.clear();
      for (const auto& history : histories) {
        const auto start = std::chrono::steady_clock::now();
        model->score_history(history, {}, scores.data());
        exclude.assign(history.begin(), history.end());
        std::sort(exclude.begin(), exclude.end());
        segue::top_k(scores, exclude, 10, top);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      }
    }
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1))]; };
    std::printf("threads %d: top-10 median %.2f ms, p90 %.2f ms, p99 %.2f ms (%zu calls)\n", threads, at(0.5), at(0.9),
                at(0.99), ms.size());
  }
  return 0;
}
