// AnnIndex: approximate maximum-inner-product search over a model's item
// vectors (hnswlib HNSW, inner-product space), for serving the models whose
// scores are inner products (factor and deep models) in well under a millisecond. Items a listener already has
// are excluded by over-fetching and filtering, growing the fetch when too many
// of the found items are excluded, so a list is never short while eligible
// items remain. The exact mode scans every item (the reference for recall).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/recommender.h"
#include "models/top_k.h"

namespace segue {

class ThreadPool;

// The item vectors of models whose scores are inner products
// (Recommender::inner_product_items: ials, bpr, hybrid, lightgcn, sasrec,
// gru4rec, multvae); nullopt for the others.
std::optional<ItemVectors> item_vectors(const Recommender& model);
// User u's query vector (dim floats) for such a model; empty when it has none
// or u's scores are not an inner product (a sequence model's user without a
// sequence). UsageError naming "user" when out of range.
std::vector<float> user_vector(const Recommender& model, std::int32_t user);
// The query vector of a history (weights empty = all 1): the very vector the
// model's own score_history scores with, so vector · V[i] == score_history's
// row (factor models fold in by their own objective; lightgcn propagates the
// history; sequence models encode it; multvae encodes and decodes to its last
// hidden layer). Empty for models without item vectors and for histories the
// model does not score by an inner product (empty ones). UsageError as
// score_history for a bad history.
std::vector<float> fold_in_vector(const Recommender& model, std::span<const std::int32_t> items,
                                  std::span<const float> weights = {});

struct AnnOptions {
  std::int32_t m = 16;                 // HNSW graph degree
  std::int32_t ef_construction = 200;
  std::int32_t ef_search = 64;         // the graph's search breadth: fetch max(ef, k) + |exclude|
  std::uint64_t seed = 42;
  // A search whose fetch (max(ef_search, k) + excluded items, doubled when the
  // graph missed too many eligible ones) would pass this share of the catalogue
  // scans exactly instead: past it the graph walk costs more than the scan
  // (about n / 180 on 144k ials vectors, bench/bench_ann.cc). 1 = never.
  double exact_share = 0.005;
};

class AnnIndex {
 public:
  // Builds over `vectors` (copied), in parallel on `pool` (null = the process pool).
  static std::unique_ptr<AnnIndex> build(const ItemVectors& vectors, const AnnOptions& options = {},
                                         ThreadPool* pool = nullptr);
  // A saved index; InputError naming the file when missing, corrupt, or built
  // for other vectors (n_items/dim/checksum of the vectors differ).
  static std::unique_ptr<AnnIndex> load(const std::string& path, const ItemVectors& vectors);
  void save(const std::string& path) const;  // atomic (temp + rename)

  // The k best items by inner product with `query` (dim floats), best first,
  // skipping `exclude` (sorted ascending). Thread-safe. Fewer than k only when
  // fewer items are eligible.
  std::vector<ScoredItem> search(std::span<const float> query, std::int32_t k,
                                 std::span<const std::int32_t> exclude = {}) const;
  // Exact scan of every item (same contract): the reference the ANN lists are measured against.
  std::vector<ScoredItem> search_exact(std::span<const float> query, std::int32_t k,
                                       std::span<const std::int32_t> exclude = {}) const;

  // Thread-safe (ef is per index, read once per search; UsageError for ef < 1).
  void set_ef_search(std::int32_t ef);
  std::int32_t ef_search() const;
  AnnOptions options() const;  // as built or loaded, with the current ef_search
  std::int32_t n_items() const;
  std::int32_t dim() const;
  std::size_t memory_bytes() const;  // the graph and the vectors it holds

  ~AnnIndex();

 private:
  AnnIndex();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace segue
