#include "models/knn/similarity.h"

#include "models/collective.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/error.h"
#include "util/thread_pool.h"

namespace segue::knn {
namespace {

struct Candidate {
  float sim;
  std::int32_t id;
};

// Higher similarity first, ties to the lower id (never depends on threads).
bool better(const Candidate& a, const Candidate& b) { return a.sim > b.sim || (a.sim == b.sim && a.id < b.id); }

// Keeps the k best candidates, sorted by id (CSR order), optionally scaled to sum 1.
void select(std::vector<Candidate>& candidates, std::int32_t k, bool normalize) {
  if (static_cast<std::int64_t>(candidates.size()) > k) {
    std::nth_element(candidates.begin(), candidates.begin() + (k - 1), candidates.end(), better);
    candidates.resize(static_cast<std::size_t>(k));
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
  if (normalize) {
    double sum = 0.0;
    for (const Candidate& c : candidates) sum += c.sim;
    if (sum > 0)
      for (Candidate& c : candidates) c.sim = static_cast<float>(c.sim / sum);
  }
}

// The denominator's per-row factors: cosine sqrt(n), asymmetric n^alpha (left,
// the row's own) and n^(1 - alpha) (right, the neighbour's).
double left_factor(const SimilarityParams& p, double norm) {
  switch (p.kind) {
    case Similarity::kCosine: return std::sqrt(norm);
    case Similarity::kAsymmetricCosine: return std::pow(norm, p.alpha);
    case Similarity::kJaccard: return norm;
  }
  return norm;
}
double right_factor(const SimilarityParams& p, double norm) {
  switch (p.kind) {
    case Similarity::kCosine: return std::sqrt(norm);
    case Similarity::kAsymmetricCosine: return std::pow(norm, 1.0 - p.alpha);
    case Similarity::kJaccard: return norm;
  }
  return norm;
}
float from_factors(const SimilarityParams& p, double dot, double left, double right) {
  const double denominator =
      p.kind == Similarity::kJaccard ? left + right - dot + p.shrink : left * right + p.shrink;
  if (!(denominator > 0)) return 0.0f;
  return static_cast<float>(dot / denominator);
}

std::string known_list(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

}  // namespace

Similarity parse_similarity(const std::string& text, const std::string& parameter) {
  if (text == "cosine") return Similarity::kCosine;
  if (text == "asymmetric" || text == "asymmetric_cosine") return Similarity::kAsymmetricCosine;
  if (text == "jaccard") return Similarity::kJaccard;
  throw UsageError(parameter + ": unknown similarity '" + text + "' (known: " +
                   known_list({"cosine", "asymmetric", "jaccard"}) + ")");
}

Weighting parse_weighting(const std::string& text, const std::string& parameter) {
  if (text == "none" || text == "binary") return Weighting::kNone;
  if (text == "log") return Weighting::kLog;
  if (text == "bm25") return Weighting::kBm25;
  if (text == "tfidf") return Weighting::kTfIdf;
  throw UsageError(parameter + ": unknown weighting '" + text + "' (known: " +
                   known_list({"none", "log", "bm25", "tfidf"}) + ")");
}

HistoryWeight parse_history_weight(const std::string& text, const std::string& parameter) {
  if (text == "binary" || text == "none") return HistoryWeight::kBinary;
  if (text == "log") return HistoryWeight::kLog;
  if (text == "raw") return HistoryWeight::kRaw;
  throw UsageError(parameter + ": unknown history weight '" + text + "' (known: " +
                   known_list({"binary", "log", "raw"}) + ")");
}

float history_weight(HistoryWeight kind, float value) {
  if (!(value > 0) || !std::isfinite(value)) return 0.0f;
  switch (kind) {
    case HistoryWeight::kBinary: return 1.0f;
    case HistoryWeight::kLog: return std::log1p(value);
    case HistoryWeight::kRaw: return value;
  }
  return value;
}

WeightingStats weighting_stats(const SparseRows& docs) {
  WeightingStats stats;
  std::vector<std::int64_t> df(static_cast<std::size_t>(docs.n_cols), 0);
  double total = 0.0;
  std::int64_t nonempty = 0;
  for (std::int32_t d = 0; d < docs.n_rows; ++d) {
    const auto values = docs.row_values(d);
    if (values.empty()) continue;
    ++nonempty;
    for (float v : values) total += v;
  }
  for (std::int32_t t : docs.indices) ++df[static_cast<std::size_t>(t)];
  stats.idf.assign(df.size(), 0.0f);
  const double n = std::max<double>(1.0, static_cast<double>(docs.n_rows));
  for (std::size_t t = 0; t < df.size(); ++t)
    if (df[t] > 0) stats.idf[t] = static_cast<float>(std::log(n / static_cast<double>(df[t])));
  stats.avg_length = nonempty > 0 && total > 0 ? total / static_cast<double>(nonempty) : 1.0;
  return stats;
}

void weight_document(const WeightingParams& params, const WeightingStats& stats, std::span<const std::int32_t> terms,
                     std::span<float> values) {
  switch (params.kind) {
    case Weighting::kNone:
      for (float& v : values) v = 1.0f;
      return;
    case Weighting::kLog:
      for (float& v : values) v = std::log1p(v);
      return;
    case Weighting::kTfIdf:
      for (std::size_t k = 0; k < values.size(); ++k)
        values[k] = std::log1p(values[k]) * stats.idf[static_cast<std::size_t>(terms[k])];
      return;
    case Weighting::kBm25: {
      double length = 0.0;
      for (float v : values) length += v;
      const double norm = params.k1 * (1.0 - params.b + params.b * length / stats.avg_length);
      for (std::size_t k = 0; k < values.size(); ++k) {
        const double v = values[k];
        values[k] = static_cast<float>(v * (params.k1 + 1.0) / (v + norm) * stats.idf[static_cast<std::size_t>(terms[k])]);
      }
      return;
    }
  }
}

SparseRows weight_documents(const SparseRows& docs, const WeightingParams& params, const WeightingStats& stats) {
  SparseRows out = docs;
  for (std::int32_t d = 0; d < out.n_rows; ++d)
    weight_document(params, stats, out.row_indices(d),
                    std::span<float>(out.values.data() + out.indptr[d], static_cast<std::size_t>(out.count(d))));
  return out;
}

std::vector<float> squared_norms(const SparseRows& rows) {
  std::vector<float> out(static_cast<std::size_t>(rows.n_rows), 0.0f);
  for (std::int32_t r = 0; r < rows.n_rows; ++r) {
    double sum = 0.0;
    for (float v : rows.row_values(r)) sum += static_cast<double>(v) * v;
    out[static_cast<std::size_t>(r)] = static_cast<float>(sum);
  }
  return out;
}

float similarity_value(const SimilarityParams& params, double dot, double norm_a, double norm_b) {
  return from_factors(params, dot, left_factor(params, norm_a), right_factor(params, norm_b));
}

SparseRows similarity_top_k(const SparseRows& docs, const SparseRows& by_term, const SimilarityParams& params,
                            ThreadPool* pool, Collective* ranks) {
  const std::int32_t n = docs.n_rows;
  // Distributed: this rank computes a contiguous block of rows, balanced on their cost (Σ over a row's terms of
  // the term's documents), and the blocks are gathered. A row's neighbours do not depend on who computes them.
  std::int64_t first_row = 0, last_row = n;
  if (is_distributed(ranks)) {
    std::vector<std::int64_t> cost(static_cast<std::size_t>(n) + 1, 0);
    for (std::int32_t r = 0; r < n; ++r) {
      std::int64_t c = 0;
      for (std::int32_t t : docs.row_indices(r)) c += by_term.count(t);
      cost[static_cast<std::size_t>(r) + 1] = cost[static_cast<std::size_t>(r)] + c;
    }
    const std::vector<std::int64_t> blocks = balanced_blocks(cost, ranks->size());
    first_row = blocks[static_cast<std::size_t>(ranks->rank())];
    last_row = blocks[static_cast<std::size_t>(ranks->rank()) + 1];
  }
  const std::vector<float> norms = squared_norms(docs);
  std::vector<double> left(norms.size()), right(norms.size());
  for (std::size_t r = 0; r < norms.size(); ++r) {
    left[r] = left_factor(params, norms[r]);
    right[r] = right_factor(params, norms[r]);
  }
  const std::int32_t k = std::max<std::int32_t>(1, std::min<std::int32_t>(params.k, std::max(1, n - 1)));

  struct Scratch {
    std::vector<float> accumulator;  // n floats, all 0 between rows
    std::vector<std::int32_t> touched;
    std::vector<Candidate> candidates;
  };
  struct Chunk {
    std::vector<std::int64_t> counts;
    std::vector<std::int32_t> ids;
    std::vector<float> sims;
  };
  ThreadPool& workers = pool != nullptr ? *pool : default_thread_pool();
  std::vector<Scratch> scratch(static_cast<std::size_t>(std::max(1, workers.size())));
  constexpr std::int64_t kRowsPerChunk = 64;
  const std::int64_t n_chunks = (last_row - first_row + kRowsPerChunk - 1) / kRowsPerChunk;
  std::vector<Chunk> chunks(static_cast<std::size_t>(n_chunks));

  workers.parallel_for(0, n_chunks, 1, [&](std::int64_t begin, std::int64_t end, int thread) {
    Scratch& s = scratch[static_cast<std::size_t>(thread)];
    if (s.accumulator.size() != static_cast<std::size_t>(n)) s.accumulator.assign(static_cast<std::size_t>(n), 0.0f);
    for (std::int64_t c = begin; c < end; ++c) {
      Chunk& chunk = chunks[static_cast<std::size_t>(c)];
      const std::int64_t first = first_row + c * kRowsPerChunk;
      const std::int64_t last = std::min<std::int64_t>(last_row, first + kRowsPerChunk);
      chunk.counts.reserve(static_cast<std::size_t>(last - first));
      for (std::int64_t row = first; row < last; ++row) {
        const auto r = static_cast<std::int32_t>(row);
        const auto terms = docs.row_indices(r);
        const auto weights = docs.row_values(r);
        for (std::size_t a = 0; a < terms.size(); ++a) {
          const float f = weights[a];
          if (f == 0.0f) continue;
          const auto others = by_term.row_indices(terms[a]);
          const auto others_w = by_term.row_values(terms[a]);
          for (std::size_t b = 0; b < others.size(); ++b) {
            const float p = f * others_w[b];
            if (p == 0.0f) continue;
            float& slot = s.accumulator[static_cast<std::size_t>(others[b])];
            if (slot == 0.0f) s.touched.push_back(others[b]);
            slot += p;
          }
        }
        s.candidates.clear();
        for (std::int32_t d : s.touched) {
          float& slot = s.accumulator[static_cast<std::size_t>(d)];
          if (d != r) {
            const float sim =
                params.reversed
                    ? from_factors(params, slot, left[static_cast<std::size_t>(d)], right[static_cast<std::size_t>(r)])
                    : from_factors(params, slot, left[static_cast<std::size_t>(r)], right[static_cast<std::size_t>(d)]);
            if (sim > 0) s.candidates.push_back({sim, d});
          }
          slot = 0.0f;
        }
        s.touched.clear();
        select(s.candidates, k, params.normalize);
        chunk.counts.push_back(static_cast<std::int64_t>(s.candidates.size()));
        for (const Candidate& cand : s.candidates) {
          chunk.ids.push_back(cand.id);
          chunk.sims.push_back(cand.sim);
        }
      }
    }
  });

  SparseRows out;
  out.n_rows = n;
  out.n_cols = n;
  out.indptr.assign(static_cast<std::size_t>(n) + 1, 0);
  std::int64_t nnz = 0;
  for (const Chunk& chunk : chunks) nnz += static_cast<std::int64_t>(chunk.ids.size());
  out.indices.reserve(static_cast<std::size_t>(nnz));
  out.values.reserve(static_cast<std::size_t>(nnz));
  std::vector<std::int32_t> counts;  // this rank's rows (first_row ..), for the gather
  counts.reserve(static_cast<std::size_t>(last_row - first_row));
  for (const Chunk& chunk : chunks) {
    for (std::int64_t count : chunk.counts) counts.push_back(static_cast<std::int32_t>(count));
    out.indices.insert(out.indices.end(), chunk.ids.begin(), chunk.ids.end());
    out.values.insert(out.values.end(), chunk.sims.begin(), chunk.sims.end());
  }
  if (is_distributed(ranks)) {  // every rank's block, in row order (the blocks are contiguous and in rank order)
    counts = ranks->allgather(counts);
    out.indices = ranks->allgather(out.indices);
    out.values = ranks->allgather(out.values);
  }
  for (std::int32_t r = 0; r < n; ++r)  // counts now holds every row (one process: first_row 0, last_row n)
    out.indptr[static_cast<std::size_t>(r) + 1] = out.indptr[static_cast<std::size_t>(r)] + counts[static_cast<std::size_t>(r)];
  return out;
}

void similarity_top_k_one(std::span<const std::int32_t> terms, std::span<const float> values,
                          const SparseRows& by_term, std::span<const float> doc_norms, const SimilarityParams& params,
                          std::vector<float>& accumulator, std::vector<std::int32_t>& touched,
                          std::vector<std::int32_t>& out_ids, std::vector<float>& out_values,
                          std::int32_t exclude) {
  double own = 0.0;
  for (float v : values) own += static_cast<double>(v) * v;
  const double left = left_factor(params, static_cast<float>(own));
  for (std::size_t a = 0; a < terms.size(); ++a) {
    const float f = values[a];
    if (f == 0.0f) continue;
    const auto others = by_term.row_indices(terms[a]);
    const auto others_w = by_term.row_values(terms[a]);
    for (std::size_t b = 0; b < others.size(); ++b) {
      const float p = f * others_w[b];
      if (p == 0.0f) continue;
      float& slot = accumulator[static_cast<std::size_t>(others[b])];
      if (slot == 0.0f) touched.push_back(others[b]);
      slot += p;
    }
  }
  std::vector<Candidate> candidates;
  candidates.reserve(touched.size());
  for (std::int32_t d : touched) {
    float& slot = accumulator[static_cast<std::size_t>(d)];
    const float sim = from_factors(params, slot, left, right_factor(params, doc_norms[static_cast<std::size_t>(d)]));
    if (sim > 0 && d != exclude) candidates.push_back({sim, d});
    slot = 0.0f;
  }
  touched.clear();
  select(candidates, std::max<std::int32_t>(1, params.k), params.normalize);
  for (const Candidate& c : candidates) {
    out_ids.push_back(c.id);
    out_values.push_back(c.sim);
  }
}

void merge_history(std::span<const std::int32_t> items, std::span<const float> weights,
                   std::vector<std::int32_t>& out_items, std::vector<float>& out_values) {
  out_items.clear();
  out_values.clear();
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return items[a] < items[b]; });
  for (std::size_t k = 0; k < order.size();) {
    const std::int32_t item = items[order[k]];
    double sum = 0.0;
    for (; k < order.size() && items[order[k]] == item; ++k) sum += weights.empty() ? 1.0 : weights[order[k]];
    if (sum > 0 && std::isfinite(sum)) {
      out_items.push_back(item);
      out_values.push_back(static_cast<float>(sum));
    }
  }
}

std::vector<ParamDecl> knn_params(const KnnDefaults& d, const std::string& rows) {
  return {
      int_param("k", d.k, 1, 100000, "neighbours kept per " + rows),
      string_param("similarity", d.similarity,
                   "cosine | asymmetric (cosine with exponent alpha) | jaccard (Tanimoto on weighted features)"),
      float_param("alpha", d.alpha, 0.0, 1.0,
                  "asymmetric cosine: dot / (|a|^(2 alpha) |b|^(2 (1 - alpha)) + shrink); 0.5 = cosine"),
      float_param("shrink", d.shrink, 0.0, 1e6, "added to the similarity's denominator (damps pairs with little support)"),
      string_param("weighting", d.weighting,
                   "features the similarity is computed on: none (binary) | log (log1p plays) | bm25 | tfidf"),
      float_param("bm25_k1", d.bm25_k1, 0.0, 100.0, "bm25 weighting: term saturation"),
      float_param("bm25_b", d.bm25_b, 0.0, 1.0, "bm25 weighting: length normalisation"),
      bool_param("normalize", d.normalize, "scale each " + rows + "'s kept similarities to sum 1"),
      string_param("history_weight", d.history_weight,
                   "weight of a history entry when scoring: binary | log (log1p plays) | raw (plays)"),
  };
}

void read_knn_params(const ModelSpec& spec, SimilarityParams& similarity, WeightingParams& weighting,
                     HistoryWeight& history) {
  const std::string prefix = "model '" + spec.name() + "': parameter ";
  similarity.k = static_cast<std::int32_t>(spec.get_int("k"));
  similarity.kind = parse_similarity(spec.get_string("similarity"), prefix + "'similarity'");
  similarity.alpha = spec.get_float("alpha");
  similarity.shrink = spec.get_float("shrink");
  similarity.normalize = spec.get_bool("normalize");
  weighting.kind = parse_weighting(spec.get_string("weighting"), prefix + "'weighting'");
  weighting.k1 = spec.get_float("bm25_k1");
  weighting.b = spec.get_float("bm25_b");
  history = parse_history_weight(spec.get_string("history_weight"), prefix + "'history_weight'");
  if (similarity.k <= 0) throw UsageError(prefix + "'k': must be >= 1");
  if (!(similarity.shrink >= 0)) throw UsageError(prefix + "'shrink': must be >= 0");
  if (!(similarity.alpha >= 0 && similarity.alpha <= 1)) throw UsageError(prefix + "'alpha': must be in [0, 1]");
}

}  // namespace segue::knn
