// CNN audio embeddings (issue 14) on real recordings: trains the short-chunk
// CNN on 70% of the tracks (split by track, seeded) and scores held-out
// same-track retrieval against an MFCC-statistics baseline on exactly the same
// queries and gallery, then measures embedding speed on one thread.
//
// Retrieval: from each held-out track, K excerpts of 3 s at evenly spaced
// places. Gallery: the clean excerpts. Query: each excerpt in turn, augmented
// (speed ±4%, gain, EQ, noise: the training augmentations, fresh draws), or
// clean; its own clean copy is left out of the gallery, so the relevant items
// are the K − 1 other excerpts of its track. Per query: top-1 (the nearest is
// of the same track), reciprocal rank of the first such, recall@10 (share of
// the K − 1 found in the top 10). Means with percentile-bootstrap 95% CIs over
// queries; a paired bootstrap p-value for CNN − MFCC. Same-track retrieval,
// not genre or taste: no labelled genre audio here.
//
// usage: bench_audio_embedding [--epochs 30] [--batch 16] [--excerpts 8] [--seed 42] [--threads 2] [--model-out F]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "audio/spectrum.h"
#include "audio/timbre.h"
#include "deep/audio_augment.h"
#include "deep/audio_cnn.h"
#include "deep/audio_embedding.h"
#include "deep/audio_tracks.h"
#include "data/error.h"
#include "eval/statistics.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace {

using namespace segue;
using namespace segue::audio;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

const char* const kMusicDirs[] = {"/usr/share/games/wesnoth/1.16/data/core/music", "/usr/share/hyperrogue/music",
                                  "/usr/share/games/warzone2100/music", "/usr/share/planetblupi/music"};

// MFCC statistics of an excerpt, as `segue audio analyze` computes them
// (audio/timbre.h: 40 Slaney mel bands, log, DCT-II, 13 coefficients) on a
// 1024-point STFT with hop 512 at 16 kHz: the 13 means and 13 standard deviations.
std::vector<float> mfcc_stats(std::span<const float> signal) {
  const Spectrogram spectrum = stft_magnitude(signal, 16000.0, 1024, 512);
  const Timbre timbre = analyze_timbre(spectrum, signal);
  std::vector<float> out(timbre.mfcc_mean.begin(), timbre.mfcc_mean.end());
  out.insert(out.end(), timbre.mfcc_std.begin(), timbre.mfcc_std.end());
  return out;
}

// Rows standardised by the gallery's mean and std per column, then unit length (cosine).
void standardise(std::vector<std::vector<float>>& gallery, std::vector<std::vector<float>>& queries) {
  const std::size_t d = gallery[0].size();
  for (std::size_t k = 0; k < d; ++k) {
    double m = 0, s = 0;
    for (const auto& g : gallery) m += g[k];
    m /= gallery.size();
    for (const auto& g : gallery) s += (g[k] - m) * (g[k] - m);
    s = std::sqrt(s / gallery.size()) + 1e-9;
    for (auto* rows : {&gallery, &queries})
      for (auto& r : *rows) r[k] = static_cast<float>((r[k] - m) / s);
  }
  for (auto* rows : {&gallery, &queries})
    for (auto& r : *rows) {
      const double norm = std::sqrt(std::inner_product(r.begin(), r.end(), r.begin(), 0.0)) + 1e-12;
      for (float& v : r) v = static_cast<float>(v / norm);
    }
}

struct PerQuery {
  std::vector<double> top1, rr, recall10;
};

PerQuery retrieval(const std::vector<std::vector<float>>& gallery, const std::vector<std::vector<float>>& queries,
                   const std::vector<int>& track) {
  PerQuery out;
  const std::size_t n = gallery.size();
  for (std::size_t q = 0; q < n; ++q) {
    std::vector<std::pair<double, std::size_t>> scored;
    for (std::size_t g = 0; g < n; ++g)
      if (g != q)
        scored.emplace_back(-std::inner_product(queries[q].begin(), queries[q].end(), gallery[g].begin(), 0.0), g);
    std::sort(scored.begin(), scored.end());
    const auto relevant = static_cast<double>(std::count(track.begin(), track.end(), track[q]) - 1);
    double first = 0, hits10 = 0;
    for (std::size_t r = 0; r < scored.size(); ++r) {
      if (track[scored[r].second] != track[q]) continue;
      if (first == 0) first = static_cast<double>(r + 1);
      if (r < 10) hits10 += 1;
    }
    out.top1.push_back(first == 1 ? 1.0 : 0.0);
    out.rr.push_back(first > 0 ? 1.0 / first : 0.0);
    out.recall10.push_back(relevant > 0 ? hits10 / relevant : 0.0);
  }
  return out;
}

std::string ci(const std::vector<double>& values) {
  const MeanCI m = bootstrap_mean_ci(values);
  char text[64];
  std::snprintf(text, sizeof text, "%.3f [%.3f, %.3f]", m.mean, m.lo, m.hi);
  return text;
}

void print_rows(const char* queries, const PerQuery& cnn, const PerQuery& mfcc, const char* name = "CNN") {
  std::printf("| %s | %s | %s | %s | %s |\n", queries, name, ci(cnn.top1).c_str(), ci(cnn.rr).c_str(), ci(cnn.recall10).c_str());
  std::printf("| %s | MFCC stats | %s | %s | %s |\n", queries, ci(mfcc.top1).c_str(), ci(mfcc.rr).c_str(),
              ci(mfcc.recall10).c_str());
  const PairedTest t = paired_test(mfcc.recall10, cnn.recall10);
  std::printf("|   | %s − MFCC recall@10 | %+.3f, paired bootstrap p = %.4f |  |  |\n", name, t.mean_diff, t.bootstrap_p);
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 30, batch = 16, excerpts = 8, threads = 2;
  std::uint64_t seed = 42;
  std::string model_out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--epochs") epochs = std::atoi(argv[i + 1]);
    else if (flag == "--batch") batch = std::atoi(argv[i + 1]);
    else if (flag == "--excerpts") excerpts = std::atoi(argv[i + 1]);
    else if (flag == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    else if (flag == "--model-out") model_out = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  set_default_threads(threads);
  torch::set_num_threads(threads);

  std::vector<std::string> dirs;
  for (const char* dir : kMusicDirs)
    if (std::filesystem::is_directory(dir)) dirs.emplace_back(dir);
  std::vector<std::string> files = list_audio_files(dirs);
  Rng split_rng(seed);
  for (std::size_t i = files.size(); i > 1; --i) std::swap(files[i - 1], files[split_rng.below(i)]);
  const std::size_t n_train = files.size() * 7 / 10;
  const std::vector<std::string> train_files(files.begin(), files.begin() + static_cast<std::ptrdiff_t>(n_train));
  const std::vector<std::string> test_files(files.begin() + static_cast<std::ptrdiff_t>(n_train), files.end());
  std::printf("%zu recordings: %zu train tracks, %zu held-out tracks (seed %llu)\n", files.size(), train_files.size(),
              test_files.size(), static_cast<unsigned long long>(seed));

  AudioCnnTraining training;
  training.epochs = epochs;
  training.batch_tracks = batch;
  training.seed = seed;
  training.report = [](const std::string& line) { std::printf("  %s\n", line.c_str()); std::fflush(stdout); };
  auto t0 = Clock::now();
  std::vector<std::string> skipped;
  const auto train_tracks = load_tracks(train_files, static_cast<int>(training.config.sample_rate), 120.0, &skipped);
  for (const std::string& error : skipped) std::printf("skipped: %s\n", error.c_str());
  double train_audio = 0;
  for (const auto& t : train_tracks) train_audio += static_cast<double>(t.size()) / training.config.sample_rate;
  std::printf("decoded train tracks: %.0f s of audio (≤ 120 s from the middle of each) in %.1f s\n", train_audio, since(t0));
  t0 = Clock::now();
  TrainedAudioCnn trained = train_audio_cnn(train_tracks, training);
  const double train_seconds = since(t0);
  std::printf("trained: %d epochs, batch %d tracks, %d threads, %.1f s; loss %.4f -> %.4f\n", epochs, batch, threads,
              train_seconds, trained.epoch_loss.front(), trained.epoch_loss.back());
  if (!model_out.empty()) save_audio_cnn(model_out, trained.net);

  // Held-out excerpts, one track at a time (the whole track is also the speed test's input).
  torch::set_num_threads(1);
  AudioCnn& net = trained.net;
  const AudioCnnConfig& c = net->config;
  const LogMel log_mel(c);
  std::vector<std::vector<float>> cnn_gallery, cnn_aug, cnn_clean, mfcc_gallery, mfcc_aug, mfcc_clean;
  std::vector<std::vector<float>> pooled_gallery, pooled_aug;  // the layer under the projection head
  std::vector<int> track_of;
  double audio_seconds = 0, embed_seconds = 0, decode_seconds = 0;
  Rng query_rng(seed + 1);
  for (std::size_t t = 0; t < test_files.size(); ++t) {
    auto d0 = Clock::now();
    std::vector<float> track;
    try {
      track = load_mono(test_files[t], static_cast<int>(c.sample_rate));
    } catch (const InputError& error) {
      std::printf("skipped: %s\n", error.what());
      continue;
    }
    decode_seconds += since(d0);
    const auto e0 = Clock::now();
    (void)embed_signal(net, log_mel, track);  // speed: the whole track, one thread
    embed_seconds += since(e0);
    audio_seconds += static_cast<double>(track.size()) / c.sample_rate;
    const auto length = static_cast<std::int64_t>(track.size());
    const std::int64_t usable = length - 2 * c.chunk_samples;
    if (usable < excerpts) continue;  // too short for K excerpts
    for (int k = 0; k < excerpts; ++k) {
      const std::int64_t start = length / 20 + usable * 9 / 10 * k / (excerpts - 1);
      const std::vector<float> clean = plain_excerpt(track, start, static_cast<int>(c.chunk_samples));
      const std::vector<float> augmented =
          augmented_excerpt(track, start, static_cast<int>(c.chunk_samples), static_cast<int>(c.sample_rate), query_rng);
      cnn_gallery.push_back(embed_signal(net, log_mel, clean));
      cnn_clean.push_back(cnn_gallery.back());
      cnn_aug.push_back(embed_signal(net, log_mel, augmented));
      pooled_gallery.push_back(embed_signal(net, log_mel, clean, EmbeddingLayer::kPooled));
      pooled_aug.push_back(embed_signal(net, log_mel, augmented, EmbeddingLayer::kPooled));
      mfcc_gallery.push_back(mfcc_stats(clean));
      mfcc_clean.push_back(mfcc_gallery.back());
      mfcc_aug.push_back(mfcc_stats(augmented));
      track_of.push_back(static_cast<int>(t));
    }
  }
  std::vector<std::vector<float>> mfcc_gallery_copy = mfcc_gallery;
  standardise(mfcc_gallery, mfcc_aug);
  standardise(mfcc_gallery_copy, mfcc_clean);
  std::printf("\nheld-out retrieval: %zu excerpts of 3 s from %zu tracks (%d each); chance recall@10 ≈ %.3f\n\n",
              track_of.size(), test_files.size(), excerpts, 10.0 / static_cast<double>(track_of.size() - 1));
  std::printf("| queries | embedding | top-1 | MRR | recall@10 |\n|---|---|---|---|---|\n");
  print_rows("augmented", retrieval(cnn_gallery, cnn_aug, track_of), retrieval(mfcc_gallery, mfcc_aug, track_of));
  print_rows("clean", retrieval(cnn_gallery, cnn_clean, track_of), retrieval(mfcc_gallery_copy, mfcc_clean, track_of));
  print_rows("augmented", retrieval(pooled_gallery, pooled_aug, track_of), retrieval(mfcc_gallery, mfcc_aug, track_of),
             "CNN pooled (under the head)");
  std::printf("\nspeed (1 thread): %.0f s of held-out audio embedded in %.2f s (log-mel + CNN) = %.0fx real time; "
              "decoding + resampling to 16 kHz %.2f s (%.0fx)\n",
              audio_seconds, embed_seconds, audio_seconds / embed_seconds, decode_seconds, audio_seconds / decode_seconds);
  return 0;
}
