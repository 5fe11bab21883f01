// segue synth: measure a real store, then generate a larger synthetic one
// user by user (docs/SCALE.md, "Synthetic data"). Nothing holds more than one
// block of users' rows; the CSV is written through a buffered writer.
#include "data/synth.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "data/error.h"
#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "util/alias_table.h"
#include "util/atomic_file.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

namespace fs = std::filesystem;

constexpr std::int32_t kBlockUsers = 1 << 16;
constexpr int kTries = 64;
__extension__ typedef __int128 Int128;  // exact cumulative rounding of rows × lengths

// ------------------------------------------------------------ alias tables

// ------------------------------------------------------------ measuring

// Spherical k-means (k-means++ seeding) of the rows of x (n × d, normalised in place).
std::vector<std::int32_t> cluster_rows(std::vector<float>& x, std::int64_t n, std::int32_t d, std::int32_t k,
                                       std::uint64_t seed) {
  for (std::int64_t i = 0; i < n; ++i) {
    float* row = x.data() + i * d;
    double norm = 0;
    for (std::int32_t j = 0; j < d; ++j) norm += static_cast<double>(row[j]) * row[j];
    const float scale = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
    for (std::int32_t j = 0; j < d; ++j) row[j] *= scale;
  }
  auto dot = [&](const float* a, const float* b) {
    float s = 0;
    for (std::int32_t j = 0; j < d; ++j) s += a[j] * b[j];
    return s;
  };
  Rng rng(seed ^ 0x6b6d65616e73ull);
  std::vector<float> centroids(static_cast<std::size_t>(k) * d);
  // k-means++: each next centre is drawn with probability ∝ its distance² to the nearest one (2 − 2·cos).
  std::vector<double> nearest(static_cast<std::size_t>(n), 4.0);
  std::int64_t pick = rng.below(static_cast<std::uint64_t>(n));
  for (std::int32_t c = 0; c < k; ++c) {
    std::copy_n(x.data() + pick * d, d, centroids.data() + static_cast<std::size_t>(c) * d);
    const float* centre = centroids.data() + static_cast<std::size_t>(c) * d;
    parallel_for(0, n, 8192, [&](std::int64_t begin, std::int64_t end, int) {
      for (std::int64_t i = begin; i < end; ++i)
        nearest[i] = std::min(nearest[i], std::max(0.0, 2.0 - 2.0 * dot(x.data() + i * d, centre)));
    });
    double total = 0;
    for (double v : nearest) total += v;
    if (total <= 0) {
      pick = rng.below(static_cast<std::uint64_t>(n));
      continue;
    }
    double target = (static_cast<double>(rng.next() >> 11) * 0x1.0p-53) * total;
    pick = n - 1;
    for (std::int64_t i = 0; i < n; ++i) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  std::vector<std::int32_t> assign(static_cast<std::size_t>(n), 0);
  for (int iteration = 0; iteration < 15; ++iteration) {
    parallel_for(0, n, 8192, [&](std::int64_t begin, std::int64_t end, int) {
      for (std::int64_t i = begin; i < end; ++i) {
        float best = -2.0f;
        std::int32_t arg = 0;
        for (std::int32_t c = 0; c < k; ++c) {
          const float s = dot(x.data() + i * d, centroids.data() + static_cast<std::size_t>(c) * d);
          if (s > best) {
            best = s;
            arg = c;
          }
        }
        assign[i] = arg;
      }
    });
    std::vector<double> sums(centroids.size(), 0.0);
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(k), 0);
    for (std::int64_t i = 0; i < n; ++i) {
      ++sizes[assign[i]];
      for (std::int32_t j = 0; j < d; ++j) sums[static_cast<std::size_t>(assign[i]) * d + j] += x[i * d + j];
    }
    for (std::int32_t c = 0; c < k; ++c) {
      if (sizes[c] == 0) continue;  // an empty cluster keeps its centre
      const double* sum = sums.data() + static_cast<std::size_t>(c) * d;
      double norm = 0;
      for (std::int32_t j = 0; j < d; ++j) norm += sum[j] * sum[j];
      if (norm <= 0) continue;
      for (std::int32_t j = 0; j < d; ++j)
        centroids[static_cast<std::size_t>(c) * d + j] = static_cast<float>(sum[j] / std::sqrt(norm));
    }
  }
  return assign;
}

bool has_key(const std::string& spec, const std::string& key) {
  const std::size_t colon = spec.find(':');
  if (colon == std::string::npos) return false;
  std::size_t at = colon + 1;
  while (at < spec.size()) {
    const std::size_t comma = std::min(spec.find(',', at), spec.size());
    if (spec.compare(at, key.size() + 1, key + "=") == 0) return true;
    at = comma + 1;
  }
  return false;
}

// Mean over users with >= 5 rows of the share of their rows in their most frequent cluster.
struct ShareAccumulator {
  double sum = 0;
  std::int64_t users = 0;
};

double top_cluster_share(std::span<const std::int32_t> clusters, std::vector<std::int32_t>& histogram) {
  std::int32_t best = 0;
  for (std::int32_t c : clusters) best = std::max(best, ++histogram[c]);
  for (std::int32_t c : clusters) histogram[c] = 0;
  return static_cast<double>(best) / static_cast<double>(clusters.size());
}

// ------------------------------------------------------------ writing

template <class T>
void append_number(std::string& out, T value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof(text), value);
  out.append(text, result.ptr);
}

void append_row(std::string& out, std::int32_t user, std::int32_t item, float weight) {
  out += 'u';
  append_number(out, user);
  out += ",i";
  append_number(out, item);
  out += ',';
  append_number(out, weight);
  out += '\n';
}

nlohmann::ordered_json popularity_json(const PopularityStats& p) {
  return {{"top1_percent_item_share", p.top1_share},
          {"top10_percent_item_share", p.top10_share},
          {"top50_percent_item_share", p.top50_share},
          {"power_law_slope", p.power_law_slope},
          {"items_with_rows", p.items_with_rows}};
}

}  // namespace

void validate(const SynthOptions& o) {
  if (o.users < 1) throw UsageError("--users: expected at least 1, got " + std::to_string(o.users));
  if (o.items < 1) throw UsageError("--items: expected at least 1, got " + std::to_string(o.items));
  if (o.rows < o.users)
    throw UsageError("--rows: expected at least --users (" + std::to_string(o.users) +
                     ": every user gets a row), got " + std::to_string(o.rows));
  if (static_cast<double>(o.rows) > static_cast<double>(o.users) * static_cast<double>(o.items))
    throw UsageError("--rows: " + std::to_string(o.rows) + " is more than --users × --items distinct pairs");
  if (o.clusters < 1 || o.clusters > 4096)
    throw UsageError("--clusters: expected 1..4096, got " + std::to_string(o.clusters));
  if (!(o.popularity_mix >= 0.0 && o.popularity_mix <= 1.0))
    throw UsageError("--popularity-mix: expected a share in [0, 1], got " + std::to_string(o.popularity_mix));
  if (!(o.test_fraction >= 0.0 && o.test_fraction < 1.0))
    throw UsageError("--test-fraction: expected a share in [0, 1), got " + std::to_string(o.test_fraction));
  if (o.model.empty()) throw UsageError("--model: expected a model spec with item vectors (e.g. ials)");
}

PopularityStats popularity_stats(std::span<const std::int64_t> item_counts) {
  PopularityStats out;
  std::vector<std::int64_t> sorted(item_counts.begin(), item_counts.end());
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  const std::size_t n = sorted.size();
  if (n == 0) return out;
  const double total = static_cast<double>(std::accumulate(sorted.begin(), sorted.end(), std::int64_t{0}));
  if (total <= 0) return out;
  auto share = [&](double q) {
    const std::size_t top = std::min(n, static_cast<std::size_t>(std::ceil(q * static_cast<double>(n))));
    return static_cast<double>(std::accumulate(sorted.begin(), sorted.begin() + top, std::int64_t{0})) / total;
  };
  out.top1_share = share(0.01);
  out.top10_share = share(0.10);
  out.top50_share = share(0.50);
  for (std::int64_t c : sorted) out.items_with_rows += c > 0 ? 1 : 0;
  // Least squares of log(count) on log(rank) over ranks [0.1%, 10%] of the universe.
  const std::size_t lo = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(0.001 * n)));
  const std::size_t hi = std::max(lo + 1, static_cast<std::size_t>(0.1 * static_cast<double>(n)));
  double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (std::size_t r = lo; r <= std::min(hi, n); ++r) {
    if (sorted[r - 1] <= 0) break;
    const double x = std::log(static_cast<double>(r)), y = std::log(static_cast<double>(sorted[r - 1]));
    sx += x, sy += y, sxx += x * x, sxy += x * y, m += 1;
  }
  if (m >= 2 && m * sxx - sx * sx > 0) out.power_law_slope = -(m * sxy - sx * sy) / (m * sxx - sx * sx);
  return out;
}

SynthProfile measure_source(const Dataset& source, const SynthOptions& options) {
  const FeedbackMatrix feedback = build_feedback(source);
  if (feedback.nnz() == 0) throw UsageError("--like: the source store has no positive interactions to measure");
  SynthProfile p;
  p.source = source.source;
  p.source_rows = feedback.nnz();

  // Fit the model whose item vectors carry the co-occurrence structure.
  p.model = options.model;
  const std::string name = p.model.substr(0, p.model.find(':'));
  const ModelInfo* info = find_model(name);
  const bool takes_seed = info != nullptr && std::any_of(info->params.begin(), info->params.end(),
                                                         [](const ParamDecl& d) { return d.name == "seed"; });
  if (takes_seed && !has_key(p.model, "seed"))
    p.model += std::string(p.model.find(':') == std::string::npos ? ":" : ",") + "seed=" + std::to_string(options.seed);
  std::unique_ptr<Recommender> model = make_recommender(p.model);
  FitContext context;
  context.seed = options.seed;
  const auto start = std::chrono::steady_clock::now();
  model->fit(feedback, context);
  p.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::optional<ItemVectors> vectors = model->inner_product_items();
  if (!vectors || vectors->n_items != feedback.n_items)
    throw UsageError("--model: '" + p.model + "' has no item vectors to cluster (use ials or bpr)");

  // Items with at least one user, their counts, and their vectors.
  std::vector<std::int64_t> counts(static_cast<std::size_t>(feedback.n_items), 0);
  for (std::int32_t item : std::span<const std::int32_t>(feedback.indices.data(), feedback.indices.size()))
    ++counts[item];
  std::vector<std::int32_t> present;  // source item ids with rows
  for (std::int32_t i = 0; i < feedback.n_items; ++i)
    if (counts[i] > 0) present.push_back(i);
  const std::int64_t n = static_cast<std::int64_t>(present.size());
  const std::int32_t d = vectors->dim;
  std::vector<float> x(static_cast<std::size_t>(n) * d);
  for (std::int64_t k = 0; k < n; ++k)
    std::copy_n(vectors->data + static_cast<std::int64_t>(present[k]) * d, d, x.data() + k * d);
  p.clusters = static_cast<std::int32_t>(std::min<std::int64_t>(options.clusters, n));
  const std::vector<std::int32_t> assign = cluster_rows(x, n, d, p.clusters, options.seed);
  std::vector<std::int32_t> cluster_of(static_cast<std::size_t>(feedback.n_items), -1);
  for (std::int64_t k = 0; k < n; ++k) cluster_of[present[k]] = assign[k];

  // The rank-frequency curve (ties by id, so it is deterministic).
  std::vector<std::int32_t> order = present;
  std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) { return counts[a] > counts[b]; });
  p.source_items = static_cast<std::int32_t>(n);
  for (std::int32_t item : order) {
    p.item_counts.push_back(static_cast<double>(counts[item]));
    p.item_cluster.push_back(cluster_of[item]);
  }

  // Users: the clusters of their items (users without positives are left out).
  for (std::int32_t u = 0; u < feedback.n_users; ++u) {
    if (feedback.count(u) == 0) continue;
    for (std::int32_t item : feedback.items_of(u)) p.user_clusters.push_back(cluster_of[item]);
    p.user_indptr.push_back(static_cast<std::int64_t>(p.user_clusters.size()));
    ++p.source_users;
  }

  // Weights: the raw event weights (what `segue split` writes), a strided
  // sample of at most 1M, unless they are all 1 (or absent).
  const Buffer<float>& raw = source.interactions.weights;
  if (std::any_of(raw.begin(), raw.end(), [](float v) { return v != 1.0f; })) {
    const std::size_t step = std::max<std::size_t>(1, raw.size() / (1u << 20));
    for (std::size_t k = 0; k < raw.size(); k += step)
      if (raw[k] > 0) p.weights.push_back(raw[k]);
  }
  return p;
}

SynthSummary generate_synthetic(const SynthProfile& p, const SynthOptions& o,
                                const std::function<void(const SynthBlock&)>& sink) {
  validate(o);
  if (p.source_users < 1 || p.item_counts.empty()) throw UsageError("--like: the source profile is empty");
  const std::int32_t M = o.items, N = o.users, I = static_cast<std::int32_t>(p.item_counts.size());
  const std::int32_t C = p.clusters;

  // Popularity of synthetic rank r: the source curve stretched over M ranks,
  // interpolated in log space (a power law keeps its exponent).
  std::vector<double> weight(static_cast<std::size_t>(M));
  std::vector<std::int32_t> cluster(static_cast<std::size_t>(M));
  for (std::int32_t r = 0; r < M; ++r) {
    const double at = std::clamp((r + 0.5) * static_cast<double>(I) / M - 0.5, 0.0, static_cast<double>(I - 1));
    const std::int32_t lo = static_cast<std::int32_t>(at);
    const std::int32_t hi = std::min(lo + 1, I - 1);
    const double f = at - lo;
    weight[r] = std::exp((1 - f) * std::log(p.item_counts[lo]) + f * std::log(p.item_counts[hi]));
    cluster[r] = p.item_cluster[static_cast<std::int32_t>(std::lround(at))];
  }
  AliasTable global;
  global.build(weight);
  // Ranks grouped by cluster, one alias table each.
  std::vector<std::int64_t> cluster_start(static_cast<std::size_t>(C) + 1, 0);
  for (std::int32_t r = 0; r < M; ++r) ++cluster_start[cluster[r] + 1];
  for (std::int32_t c = 0; c < C; ++c) cluster_start[c + 1] += cluster_start[c];
  std::vector<std::int32_t> cluster_ranks(static_cast<std::size_t>(M));
  {
    std::vector<std::int64_t> fill(cluster_start.begin(), cluster_start.end() - 1);
    for (std::int32_t r = 0; r < M; ++r) cluster_ranks[fill[cluster[r]]++] = r;
  }
  std::vector<AliasTable> per_cluster(static_cast<std::size_t>(C));
  {
    std::vector<double> w;
    for (std::int32_t c = 0; c < C; ++c) {
      w.clear();
      for (std::int64_t k = cluster_start[c]; k < cluster_start[c + 1]; ++k) w.push_back(weight[cluster_ranks[k]]);
      per_cluster[c].build(w);
    }
  }
  // Item ids are a seeded permutation of the ranks, so id order says nothing of popularity.
  std::vector<std::int32_t> id_of_rank(static_cast<std::size_t>(M));
  std::iota(id_of_rank.begin(), id_of_rank.end(), 0);
  {
    Rng rng(o.seed ^ 0x7065726d75746eull);
    for (std::int32_t r = M - 1; r > 0; --r) std::swap(id_of_rank[r], id_of_rank[rng.below(r + 1)]);
  }

  // Each user's prototype (a source user: taste and length) and length: 1 row
  // each, the other R − N shared in proportion to the prototypes' lengths by
  // cumulative rounding (exact total), capped at M with the excess carried on.
  const std::int32_t S = p.source_users;
  std::vector<std::int32_t> prototype(static_cast<std::size_t>(N));
  std::vector<std::int32_t> length(static_cast<std::size_t>(N));
  {
    Rng rng(o.seed ^ 0x70726f746full);
    for (auto& s : prototype) s = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(S)));
    Int128 total = 0;
    for (std::int32_t s : prototype) total += p.user_indptr[s + 1] - p.user_indptr[s];
    const Int128 extra = o.rows - N;
    Int128 cumulative = 0, given = 0;
    std::int64_t carry = 0;
    for (std::int32_t u = 0; u < N; ++u) {
      cumulative += p.user_indptr[prototype[u] + 1] - p.user_indptr[prototype[u]];
      const Int128 upto = cumulative * extra / total;
      std::int64_t want = 1 + static_cast<std::int64_t>(upto - given) + carry;
      given = upto;
      const std::int64_t take = std::min<std::int64_t>(want, M);
      carry = want - take;
      length[u] = static_cast<std::int32_t>(take);
    }
    // Whatever is still carried goes to the earlier users with room (only when nearly every pair is used).
    for (std::int32_t u = N - 1; carry > 0 && u >= 0; --u) {
      const std::int64_t room = M - length[u];
      const std::int64_t add = std::min(room, carry);
      length[u] += static_cast<std::int32_t>(add);
      carry -= add;
    }
  }

  SynthSummary summary;
  summary.users = N;
  std::vector<std::int64_t> output_counts(static_cast<std::size_t>(M), 0);
  ShareAccumulator output_share;
  ThreadPool& pool = default_thread_pool();
  std::vector<std::vector<std::uint32_t>> stamps(static_cast<std::size_t>(pool.size()));
  std::vector<std::vector<std::int32_t>> histograms(static_cast<std::size_t>(pool.size()));
  const float beta = static_cast<float>(o.popularity_mix);
  const std::uint64_t user_seed = splitmix64_mix(o.seed ^ 0x75736572ull);

  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> items;
  std::vector<float> weights;
  std::vector<double> user_share;
  for (std::int32_t first = 0; first < N; first += kBlockUsers) {
    const std::int32_t n = std::min(kBlockUsers, N - first);
    indptr.assign(static_cast<std::size_t>(n) + 1, 0);
    for (std::int32_t k = 0; k < n; ++k) indptr[k + 1] = indptr[k] + length[first + k];
    items.resize(static_cast<std::size_t>(indptr[n]));
    weights.resize(static_cast<std::size_t>(indptr[n]));
    user_share.assign(static_cast<std::size_t>(n), -1.0);
    pool.parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end, int thread) {
      std::vector<std::uint32_t>& stamp = stamps[thread];
      if (stamp.empty()) stamp.assign(static_cast<std::size_t>(M), 0);
      std::vector<std::int32_t>& histogram = histograms[thread];
      if (histogram.empty()) histogram.assign(static_cast<std::size_t>(C), 0);
      std::vector<std::int32_t> drawn_clusters;
      for (std::int64_t k = begin; k < end; ++k) {
        const std::int32_t u = first + static_cast<std::int32_t>(k);
        Rng rng(user_seed ^ splitmix64_mix(static_cast<std::uint64_t>(u) + 1));
        const std::uint32_t tag = static_cast<std::uint32_t>(u) + 1;
        const std::int64_t s_begin = p.user_indptr[prototype[u]];
        const std::uint64_t s_count = static_cast<std::uint64_t>(p.user_indptr[prototype[u] + 1] - s_begin);
        drawn_clusters.clear();
        for (std::int64_t e = indptr[k]; e < indptr[k + 1]; ++e) {
          std::int32_t rank = -1;
          for (int t = 0; t < kTries && rank < 0; ++t) {
            std::int32_t r;
            if (rng.unit() < beta) {
              r = global.draw(rng);
            } else {
              const std::int32_t c = p.user_clusters[s_begin + rng.below(s_count)];
              const AliasTable& table = per_cluster[c];
              r = table.size() == 0 ? global.draw(rng) : cluster_ranks[cluster_start[c] + table.draw(rng)];
            }
            if (stamp[r] != tag) rank = r;
          }
          for (int t = 0; t < kTries && rank < 0; ++t) {
            const std::int32_t r = global.draw(rng);
            if (stamp[r] != tag) rank = r;
          }
          if (rank < 0) {  // a user holding most of the catalogue: the next free rank
            std::int32_t r = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(M)));
            while (stamp[r] == tag) r = r + 1 == M ? 0 : r + 1;
            rank = r;
          }
          stamp[rank] = tag;
          drawn_clusters.push_back(cluster[rank]);
          items[e] = id_of_rank[rank];
          weights[e] = p.weights.empty() ? 1.0f : p.weights[rng.below(p.weights.size())];
        }
        if (drawn_clusters.size() >= 5) user_share[k] = top_cluster_share(drawn_clusters, histogram);
      }
    });
    for (std::int32_t item : items) ++output_counts[item];
    for (double share : user_share)
      if (share >= 0) output_share.sum += share, ++output_share.users;
    summary.rows += indptr[n];
    for (std::int32_t k = 0; k < n; ++k) summary.output_max_length = std::max(summary.output_max_length, length[first + k]);
    sink(SynthBlock{first, indptr, items, weights});
  }

  // Source side of the comparison.
  std::vector<std::int64_t> source_counts(p.item_counts.size());
  for (std::size_t i = 0; i < source_counts.size(); ++i) source_counts[i] = static_cast<std::int64_t>(p.item_counts[i]);
  summary.source_popularity = popularity_stats(source_counts);
  summary.output_popularity = popularity_stats(output_counts);
  ShareAccumulator source_share;
  std::vector<std::int32_t> histogram(static_cast<std::size_t>(C), 0);
  for (std::int32_t s = 0; s < S; ++s) {
    const std::span<const std::int32_t> clusters(p.user_clusters.data() + p.user_indptr[s],
                                                 static_cast<std::size_t>(p.user_indptr[s + 1] - p.user_indptr[s]));
    if (clusters.size() < 5) continue;
    source_share.sum += top_cluster_share(clusters, histogram);
    ++source_share.users;
  }
  summary.source_top_cluster_share = source_share.users > 0 ? source_share.sum / source_share.users : 0;
  summary.output_top_cluster_share = output_share.users > 0 ? output_share.sum / output_share.users : 0;
  summary.source_mean_length = static_cast<double>(p.source_rows) / S;
  summary.output_mean_length = static_cast<double>(summary.rows) / N;
  return summary;
}

SynthSummary write_synthetic(const SynthProfile& p, const SynthOptions& o, const std::string& dir,
                             const std::string& source_path) {
  validate(o);
  const fs::path root(dir);
  std::error_code error;
  fs::create_directories(root, error);
  if (error) throw std::runtime_error(dir + ": cannot create the output directory (" + error.message() + ")");
  const bool split = o.test_fraction > 0;
  const std::vector<std::string> names =
      split ? std::vector<std::string>{"synthetic_train.csv", "synthetic_test.csv"}
            : std::vector<std::string>{"synthetic.csv"};
  AtomicFile main_file(root / names[0]);
  std::unique_ptr<AtomicFile> test_file;
  if (split) test_file = std::make_unique<AtomicFile>(root / names[1]);
  const char* header = "user_id,item_id,weight\n";
  main_file.buffer() += header;
  if (test_file) test_file->buffer() += header;
  std::int64_t train_rows = 0, test_rows = 0;
  const std::uint64_t split_seed = splitmix64_mix(o.seed ^ 0x73706c6974ull);
  const auto start = std::chrono::steady_clock::now();

  const SynthSummary summary = generate_synthetic(p, o, [&](const SynthBlock& block) {
    const std::int32_t n = static_cast<std::int32_t>(block.indptr.size()) - 1;
    for (std::int32_t k = 0; k < n; ++k) {
      const std::int32_t user = block.first_user + k;
      const std::int64_t begin = block.indptr[k], end = block.indptr[k + 1];
      if (!split) {
        std::string& out = main_file.buffer();
        for (std::int64_t e = begin; e < end; ++e) append_row(out, user, block.items[e], block.weights[e]);
        main_file.maybe_flush();
        continue;
      }
      // Each row goes to test with probability f; a user keeps at least one training row.
      Rng rng(split_seed ^ splitmix64_mix(static_cast<std::uint64_t>(user) + 1));
      bool has_train = false;
      for (std::int64_t e = begin; e < end; ++e) {
        const bool test = rng.unit() < o.test_fraction && (has_train || e + 1 < end);
        has_train |= !test;
        append_row(test ? test_file->buffer() : main_file.buffer(), user, block.items[e], block.weights[e]);
        ++(test ? test_rows : train_rows);
      }
      main_file.maybe_flush();
      test_file->maybe_flush();
    }
  });
  main_file.commit();
  if (test_file) test_file->commit();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  using nlohmann::ordered_json;
  ordered_json files = ordered_json::array();
  files.push_back({{"file", names[0]}, {"rows", split ? train_rows : summary.rows}});
  if (split) files.push_back({{"file", names[1]}, {"rows", test_rows}});
  ordered_json meta = {
      {"synthetic", true},
      {"purpose", "scale and speed measurements only; never quality claims (see SYNTHETIC.md)"},
      {"generator", "segue synth"},
      {"parameters",
       {{"like", source_path},
        {"users", o.users},
        {"items", o.items},
        {"rows", o.rows},
        {"seed", o.seed},
        {"clusters", o.clusters},
        {"model", p.model},
        {"popularity_mix", o.popularity_mix},
        {"test_fraction", o.test_fraction}}},
      {"source",
       {{"store", source_path},
        {"provenance", p.source},
        {"users", p.source_users},
        {"items", p.source_items},
        {"rows", p.source_rows},
        {"model_fit_seconds", p.fit_seconds},
        {"clusters", p.clusters}}},
      {"files", files},
      {"generate_seconds", seconds},
      {"statistics",
       {{"rows", summary.rows},
        {"users", summary.users},
        {"mean_length", {{"source", summary.source_mean_length}, {"output", summary.output_mean_length}}},
        {"max_length_output", summary.output_max_length},
        {"popularity",
         {{"source", popularity_json(summary.source_popularity)},
          {"output", popularity_json(summary.output_popularity)}}},
        {"top_cluster_share",
         {{"what", "mean over users with >= 5 rows of the share of their rows in their most frequent item cluster"},
          {"source", summary.source_top_cluster_share},
          {"output", summary.output_top_cluster_share}}}}},
      {"import", "segue import --format csv --input " + (root / names[0]).string() +
                     " --weight-col weight --out STORE"}};
  AtomicFile json_file(root / "synth.json");
  json_file.buffer() = meta.dump(2) + "\n";
  json_file.commit();

  AtomicFile readme(root / "SYNTHETIC.md");
  std::string& text = readme.buffer();
  text += "# SYNTHETIC DATA — generated by `segue synth`, not real listening data\n\n";
  text += "Generated from the measured statistics of the store `" + source_path + "` (" +
          std::to_string(p.source_users) + " users, " + std::to_string(p.source_items) + " items, " +
          std::to_string(p.source_rows) + " rows): " + std::to_string(o.users) + " users, " +
          std::to_string(o.items) + " items, " + std::to_string(summary.rows) + " rows, seed " +
          std::to_string(o.seed) + ".\n\n";
  text += "Use it for **scale and speed only** (import rates, store load, training and evaluation time, memory). "
          "Its users are resampled prototypes of the source's users over item clusters of a fitted model, so "
          "accuracy figures measured on it say nothing about recommendation quality and must never be reported "
          "as such.\n\n";
  text += "Parameters, the fitted model and the compared statistics (popularity shares, power-law slope, "
          "length, cluster concentration, source vs output): synth.json. Method: docs/SCALE.md, "
          "\"Synthetic data (segue synth)\".\n";
  readme.commit();
  return summary;
}

}  // namespace segue
