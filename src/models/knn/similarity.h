// Shared machinery of the neighbourhood models (itemknn, userknn): feature
// weighting of the play counts, sparse top-K similarity between the rows of a
// weighted matrix (cosine, asymmetric cosine, Jaccard, with shrinkage),
// computed multi-threaded on segue's ThreadPool, and the weight a history
// entry gets when scoring.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/feedback.h"
#include "models/spec.h"

namespace segue {

class Collective;
class ThreadPool;
}

namespace segue::knn {

// Similarity of two weighted rows a, b with dot product d and squared norms
// na = Σ a², nb = Σ b² (rows of the document × term matrix):
//   cosine:      d / (sqrt(na) · sqrt(nb) + shrink)
//   asymmetric:  d / (na^alpha · nb^(1 − alpha) + shrink)   (alpha = 0.5 is cosine)
//   jaccard:     d / (na + nb − d + shrink)                   (Tanimoto; binary: |A∩B| / |A∪B|)
enum class Similarity { kCosine, kAsymmetricCosine, kJaccard };

// How play counts become features (documents are the rows whose similarity is
// computed, terms their columns; N = number of documents, df(t) = documents
// holding term t, idf(t) = log(N / df(t)) >= 0):
//   none:  1 (binary)
//   log:   log1p(value)
//   bm25:  value · (k1 + 1) / (value + k1 · (1 − b + b · len / avg_len)) · idf(t),
//          len = Σ of the document's values, avg_len over the training documents
//   tfidf: log1p(value) · idf(t)
enum class Weighting { kNone, kLog, kBm25, kTfIdf };

// The weight w_uj of the user's history entry j when scoring (from the summed
// signal v > 0; v <= 0 gives 0): binary 1, log log1p(v), raw v.
enum class HistoryWeight { kBinary, kLog, kRaw };

// Parse the spec strings; UsageError naming `parameter` and the known names.
Similarity parse_similarity(const std::string& text, const std::string& parameter = "similarity");
Weighting parse_weighting(const std::string& text, const std::string& parameter = "weighting");
HistoryWeight parse_history_weight(const std::string& text, const std::string& parameter = "history_weight");

float history_weight(HistoryWeight kind, float value);

struct WeightingParams {
  Weighting kind = Weighting::kNone;
  double k1 = 1.2;
  double b = 0.75;
};

// What weighting needs from the training documents: idf per term and the mean
// document length (for bm25), so that a new document (fold-in) is weighted
// exactly like the training ones.
struct WeightingStats {
  std::vector<float> idf;  // one per term
  double avg_length = 1.0;
};

WeightingStats weighting_stats(const SparseRows& docs);
// Weights one document's raw values in place (terms: its term ids).
void weight_document(const WeightingParams& params, const WeightingStats& stats, std::span<const std::int32_t> terms,
                     std::span<float> values);
// All documents of `docs` (a copy with weighted values).
SparseRows weight_documents(const SparseRows& docs, const WeightingParams& params, const WeightingStats& stats);

// Σ value² per row.
std::vector<float> squared_norms(const SparseRows& rows);

struct SimilarityParams {
  Similarity kind = Similarity::kCosine;
  double alpha = 0.5;   // asymmetric cosine
  double shrink = 0.0;  // added to the denominator
  std::int32_t k = 100; // neighbours kept per row
  bool normalize = false;  // divide each kept row by its sum
  // false: row r holds sim(r, other) (r's own neighbours); true: row r holds
  // sim(other, r), the rows r is most similar *to* (differs only for asymmetric).
  bool reversed = false;
};

// sim(a, b) from the dot product and the squared norms (0 when the denominator is 0).
float similarity_value(const SimilarityParams& params, double dot, double norm_a, double norm_b);

// For each row r of `docs` (weighted documents × terms), the k rows most similar
// to it (itself excluded, similarity > 0 only) with their similarity
// sim(r, other) — norm_a is r's — as a CSR matrix docs × docs (columns sorted).
// Ties at the k-th place go to the lower id. `by_term` is docs transposed.
// Sparse: each row accumulates its dot products through the term lists into a
// dense per-thread accumulator, then partial-selects the top k. Runs on `pool`
// (null = the default pool); the result does not depend on the thread count.
// With several `ranks` (a distributed fit), each computes a block of rows balanced on cost and the
// blocks are gathered: every rank gets the whole matrix, equal to one process's.
SparseRows similarity_top_k(const SparseRows& docs, const SparseRows& by_term, const SimilarityParams& params,
                            ThreadPool* pool = nullptr, Collective* ranks = nullptr);

// The same for one outside document (fold-in): its similarity to every row of
// the training documents, top k, appended to out (sorted by id). `accumulator`
// (n_docs floats, all 0) and `touched` are the caller's scratch, left clean.
// `exclude` (>= 0): a training row left out (the document itself, when a
// training row is recomputed: then the result equals similarity_top_k's row).
void similarity_top_k_one(std::span<const std::int32_t> terms, std::span<const float> values,
                          const SparseRows& by_term, std::span<const float> doc_norms, const SimilarityParams& params,
                          std::vector<float>& accumulator, std::vector<std::int32_t>& touched,
                          std::vector<std::int32_t>& out_ids, std::vector<float>& out_values,
                          std::int32_t exclude = -1);

// Sums duplicate ids of a history (any order) into sorted unique (id, value)
// pairs; entries whose sum is <= 0 or not finite are dropped.
void merge_history(std::span<const std::int32_t> items, std::span<const float> weights,
                   std::vector<std::int32_t>& out_items, std::vector<float>& out_values);

// The parameters both models declare, with per-model defaults.
struct KnnDefaults {
  std::int64_t k = 100;
  std::string similarity = "cosine";
  double alpha = 0.5;
  double shrink = 10.0;
  std::string weighting = "none";
  double bm25_k1 = 1.2;
  double bm25_b = 0.75;
  bool normalize = false;
  std::string history_weight = "binary";
};
std::vector<ParamDecl> knn_params(const KnnDefaults& defaults, const std::string& rows);
// Reads them back (UsageError "model 'NAME': parameter 'KEY': ..." for an
// unknown similarity, weighting or history weight name).
void read_knn_params(const ModelSpec& spec, SimilarityParams& similarity, WeightingParams& weighting,
                     HistoryWeight& history);

}  // namespace segue::knn
