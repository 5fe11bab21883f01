// AnnIndex over hnswlib 0.6.2 (Debian libhnswlib-dev). This is the only file
// that includes hnswlib: its hnswlib.h defines non-inline functions (cpuid,
// AVXCapable), so a second translation unit including it would not link.
#include "serve/ann_index.h"

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

// hnswlib 0.6.2's SSE prefetch hints in searchBaseLayer load the link id one
// past a full upper-level link list (4 bytes past its malloc'd size, inside
// glibc's chunk padding; only ever used as a prefetch address), which
// AddressSanitizer reports. Sanitizer builds compile hnswlib without its
// manual SIMD (prefetches and its own distances, which this file replaces).
#if defined(__SANITIZE_ADDRESS__)
#define NO_MANUAL_VECTORIZATION
#endif
#include <hnswlib/hnswlib.h>

#include "data/error.h"
#include "models/factorization/score_kernel.h"
#include "util/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SEGUE_ANN_X86 1
#endif

namespace segue {
namespace {

using Graph = hnswlib::HierarchicalNSW<float>;

// --- The distance -----------------------------------------------------------
// hnswlib picks its SIMD inner product at compile time (__AVX__), so a
// baseline x86-64 build gets the SSE one. This space gives the graph an
// AVX+FMA inner product chosen at run time (as score_kernel.cc does). The
// distance is 1 − a·b as in hnswlib's InnerProductSpace; only its order
// matters, since results are rescored by the model's own kernel.

float dot_portable(const float* a, const float* b, std::size_t dim) {
  float acc[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= dim; i += 4)
    for (int j = 0; j < 4; ++j) acc[j] += a[i + j] * b[i + j];
  float sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

float distance_portable(const void* a, const void* b, const void* param) {
  return 1.0f - dot_portable(static_cast<const float*>(a), static_cast<const float*>(b),
                             *static_cast<const std::size_t*>(param));
}

#if SEGUE_ANN_X86
__attribute__((target("avx,fma"))) float distance_avx_fma(const void* pa, const void* pb, const void* param) {
  const auto* a = static_cast<const float*>(pa);
  const auto* b = static_cast<const float*>(pb);
  const std::size_t dim = *static_cast<const std::size_t*>(param);
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= dim; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  const __m256 acc = _mm256_add_ps(acc0, acc1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  float sum = _mm_cvtss_f32(s);
  for (; i < dim; ++i) sum += a[i] * b[i];
  return 1.0f - sum;
}
#endif

class InnerProductSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit InnerProductSpace(std::size_t dim) : dim_(dim) {
#if SEGUE_ANN_X86
    if (__builtin_cpu_supports("avx") && __builtin_cpu_supports("fma")) distance_ = distance_avx_fma;
#endif
  }
  std::size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return distance_; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  std::size_t dim_;
  hnswlib::DISTFUNC<float> distance_ = distance_portable;
};

// --- Checks -----------------------------------------------------------------

std::uint32_t crc_of(std::uint32_t crc, const void* data, std::size_t bytes) {
  return static_cast<std::uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), bytes));
}

// What ties an index to its vectors: n, dim and every float, bit for bit.
std::uint32_t vectors_checksum(const ItemVectors& v) {
  const std::int64_t shape[2] = {v.n_items, v.dim};
  std::uint32_t crc = crc_of(crc_of(0, nullptr, 0), shape, sizeof(shape));
  const auto floats = static_cast<std::size_t>(v.n_items) * static_cast<std::size_t>(v.dim);
  return floats == 0 ? crc : crc_of(crc, v.data, floats * sizeof(float));
}

void check_vectors(const ItemVectors& v) {
  if (v.n_items < 0 || v.dim < 1)
    throw UsageError("vectors: " + std::to_string(v.n_items) + " items × " + std::to_string(v.dim) +
                     " dims (need >= 0 items and >= 1 dim)");
  if (v.n_items > 0 && v.data == nullptr) throw UsageError("vectors: no data for " + std::to_string(v.n_items) + " items");
  const auto floats = static_cast<std::size_t>(v.n_items) * static_cast<std::size_t>(v.dim);
  for (std::size_t i = 0; i < floats; ++i)
    if (!std::isfinite(v.data[i]))
      throw UsageError("vectors: item " + std::to_string(i / static_cast<std::size_t>(v.dim)) +
                       " has a non-finite value");
}

void check_options(const AnnOptions& o) {
  if (o.m < 2 || o.m > 2048) throw UsageError("m: must be in [2, 2048], got " + std::to_string(o.m));
  if (o.ef_construction < 1)
    throw UsageError("ef_construction: must be >= 1, got " + std::to_string(o.ef_construction));
  if (o.ef_search < 1) throw UsageError("ef_search: must be >= 1, got " + std::to_string(o.ef_search));
  if (!(o.exact_share >= 0 && o.exact_share <= 1))
    throw UsageError("exact_share: must be in [0, 1], got " + std::to_string(o.exact_share));
}

// Ids of `exclude` inside [0, n), each counted once; UsageError unless sorted.
std::int32_t count_excluded(std::span<const std::int32_t> exclude, std::int32_t n) {
  if (!std::is_sorted(exclude.begin(), exclude.end())) throw UsageError("exclude: item ids must be sorted ascending");
  std::int32_t count = 0;
  for (std::size_t j = 0; j < exclude.size(); ++j)
    if (exclude[j] >= 0 && exclude[j] < n && (j == 0 || exclude[j] != exclude[j - 1])) ++count;
  return count;
}

// --- The saved file ---------------------------------------------------------
// [header, kHeaderBytes][hnswlib's saveIndex bytes]. All integers little-endian.
constexpr char kMagic[8] = {'S', 'E', 'G', 'U', 'E', 'A', 'N', 'N'};
constexpr std::uint32_t kVersion = 1;

struct FileHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t vectors_crc;  // vectors_checksum() of the vectors it was built over
  std::int64_t n_items;
  std::int32_t dim;
  std::int32_t m;
  std::int32_t ef_construction;
  std::int32_t ef_search;
  std::uint64_t seed;
  std::uint64_t graph_bytes;  // what follows the header
  std::uint32_t graph_crc;
  float exact_share;
};
static_assert(sizeof(FileHeader) == 64);
constexpr std::size_t kHeaderBytes = sizeof(FileHeader);

[[noreturn]] void file_error(const std::string& path, const std::string& field, const std::string& what) {
  throw InputError(path, 0, field, what);
}

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

// --- The index --------------------------------------------------------------

struct AnnIndex::Impl {
  std::int32_t n = 0;
  std::int32_t dim = 0;
  AnnOptions options;
  std::atomic<std::int32_t> ef_search{64};
  std::uint32_t checksum = 0;
  PackedItems packed;  // the exact scan's panels
  std::unique_ptr<InnerProductSpace> space;  // declared before graph: the graph points into it
  std::unique_ptr<Graph> graph;              // null when n == 0
  // The graph's element of each item: its vector (row-major, just touched by
  // the search, so still in cache) is what rescoring reads.
  std::vector<hnswlib::tableint> element_of;

  void index_elements() {
    element_of.assign(static_cast<std::size_t>(n), 0);
    for (hnswlib::tableint e = 0; e < graph->cur_element_count; ++e)
      element_of[graph->getExternalLabel(e)] = e;
  }

  std::int32_t exact_limit() const { return static_cast<std::int32_t>(options.exact_share * n); }
  bool excluded(std::int32_t item, std::span<const std::int32_t> exclude) const {
    return std::binary_search(exclude.begin(), exclude.end(), item);
  }
  void check_query(std::span<const float> query, std::int32_t k) const {
    if (query.size() != static_cast<std::size_t>(dim))
      throw UsageError("query: " + std::to_string(query.size()) + " floats for an index of dim " +
                       std::to_string(dim));
    if (k < 0) throw UsageError("k: must be >= 0, got " + std::to_string(k));
  }
  // Scores `candidates` with the model's own kernel (bit for bit the scores
  // the exact scan and the model's recommend() give; the graph's distances
  // round differently) and keeps the k best.
  std::vector<ScoredItem> rescore(std::span<const float> query, const std::vector<std::int32_t>& candidates,
                                  std::int32_t k) const;
};

AnnIndex::AnnIndex() : impl_(std::make_unique<Impl>()) {}
AnnIndex::~AnnIndex() = default;

std::unique_ptr<AnnIndex> AnnIndex::build(const ItemVectors& vectors, const AnnOptions& options, ThreadPool* pool) {
  check_vectors(vectors);
  check_options(options);
  std::unique_ptr<AnnIndex> index(new AnnIndex());
  Impl& impl = *index->impl_;
  impl.n = vectors.n_items;
  impl.dim = vectors.dim;
  impl.options = options;
  impl.options.exact_share = static_cast<float>(options.exact_share);  // as the file keeps it
  impl.ef_search = options.ef_search;
  impl.checksum = vectors_checksum(vectors);
  impl.packed = pack_items(vectors.data, vectors.n_items, vectors.dim);
  impl.space = std::make_unique<InnerProductSpace>(static_cast<std::size_t>(vectors.dim));
  if (impl.n == 0) return index;
  impl.graph = std::make_unique<Graph>(impl.space.get(), static_cast<std::size_t>(impl.n),
                                       static_cast<std::size_t>(options.m),
                                       static_cast<std::size_t>(options.ef_construction),
                                       static_cast<std::size_t>(options.seed));
  const auto row = [&](std::int64_t i) { return vectors.data + i * vectors.dim; };
  // hnswlib's addPoint is thread-safe except for the very first element.
  impl.graph->addPoint(row(0), 0);
  parallel_for(
      1, impl.n, 256,
      [&](std::int64_t begin, std::int64_t end, int) {
        for (std::int64_t i = begin; i < end; ++i) impl.graph->addPoint(row(i), static_cast<hnswlib::labeltype>(i));
      },
      pool);
  // ef is hnswlib's one piece of search state, a plain field shared by every
  // search: fixed at 1 here and never changed again, so each search's ef is
  // max(1, fetch) = the fetch it asks for (searchKnn uses max(ef_, k)).
  impl.graph->setEf(1);
  impl.index_elements();
  return index;
}

std::vector<ScoredItem> AnnIndex::Impl::rescore(std::span<const float> query,
                                                const std::vector<std::int32_t>& candidates, std::int32_t k) const {
  constexpr std::int32_t lanes = PackedItems::kPanelItems;
  thread_local PackedItems gathered;
  thread_local std::vector<float> scores;
  const auto f = static_cast<std::size_t>(dim);
  gathered.n_items = static_cast<std::int32_t>(candidates.size());
  gathered.factors = dim;
  gathered.data.assign(static_cast<std::size_t>(gathered.n_panels()) * f * lanes, 0.0f);
  for (std::size_t j = 0; j < candidates.size(); ++j) {
    const auto* src = reinterpret_cast<const float*>(
        graph->getDataByInternalId(element_of[static_cast<std::size_t>(candidates[j])]));
    float* dst = gathered.data.data() + j / lanes * f * lanes + j % lanes;
    for (std::size_t c = 0; c < f; ++c) dst[c * lanes] = src[c];
  }
  scores.resize(candidates.size());
  score_rows(gathered, query.data(), 1, scores.data(), static_cast<std::int64_t>(scores.size()));
  std::vector<ScoredItem> out(candidates.size());
  for (std::size_t j = 0; j < candidates.size(); ++j) out[j] = {candidates[j], scores[j]};
  const auto keep = std::min<std::size_t>(static_cast<std::size_t>(k), out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), ranks_before);
  out.resize(keep);
  return out;
}

// Over-fetch and filter: ask the graph for max(ef, k) + excluded items (the
// fetch is the search's ef: a user's own items tend to sit at the top of their
// scores, so they get slots of their own and ef keeps its meaning for the
// eligible rest), drop the excluded ones, and when fewer than k
// remain (the graph missed some eligible items) double the fetch and search
// again. Past exact_share of the catalogue the exact scan is cheaper than a
// graph walk that wide, and it is always complete.
std::vector<ScoredItem> AnnIndex::search(std::span<const float> query, std::int32_t k,
                                         std::span<const std::int32_t> exclude) const {
  const Impl& impl = *impl_;
  impl.check_query(query, k);
  const std::int32_t excluded = count_excluded(exclude, impl.n);
  k = std::min(k, impl.n - excluded);
  if (k <= 0) return {};
  std::int64_t fetch = std::max<std::int64_t>(impl.ef_search.load(std::memory_order_relaxed), k) + excluded;
  std::vector<std::int32_t> candidates;
  while (impl.graph && fetch <= impl.exact_limit()) {
    auto found = impl.graph->searchKnn(query.data(), static_cast<std::size_t>(fetch));
    candidates.clear();
    for (; !found.empty(); found.pop()) {
      const auto item = static_cast<std::int32_t>(found.top().second);
      if (!impl.excluded(item, exclude)) candidates.push_back(item);
    }
    if (static_cast<std::int32_t>(candidates.size()) >= k) return impl.rescore(query, candidates, k);
    fetch *= 2;
  }
  return search_exact(query, k, exclude);
}

std::vector<ScoredItem> AnnIndex::search_exact(std::span<const float> query, std::int32_t k,
                                               std::span<const std::int32_t> exclude) const {
  const Impl& impl = *impl_;
  impl.check_query(query, k);
  if (!std::is_sorted(exclude.begin(), exclude.end())) throw UsageError("exclude: item ids must be sorted ascending");
  k = std::min(k, impl.n);
  if (k <= 0) return {};
  std::vector<ScoredItem> out(static_cast<std::size_t>(k));
  std::int32_t count = 0;
  const std::span<const std::int32_t> rows[1] = {exclude};
  top_k_rows_fused(impl.packed, query.data(), 1, rows, k, out.data(), &count);
  out.resize(static_cast<std::size_t>(count));
  return out;
}

void AnnIndex::set_ef_search(std::int32_t ef) {
  if (ef < 1) throw UsageError("ef_search: must be >= 1, got " + std::to_string(ef));
  impl_->ef_search.store(ef, std::memory_order_relaxed);
}

std::int32_t AnnIndex::ef_search() const { return impl_->ef_search.load(std::memory_order_relaxed); }
std::int32_t AnnIndex::n_items() const { return impl_->n; }
std::int32_t AnnIndex::dim() const { return impl_->dim; }

AnnOptions AnnIndex::options() const {
  AnnOptions options = impl_->options;
  options.ef_search = ef_search();
  return options;
}

// hnswlib's allocations, counted from its fields: level 0 (links, vector and
// label per item), the upper levels' link lists, per-item locks and levels,
// the 65536 update locks, the label map and one visited list; plus our panels.
std::size_t AnnIndex::memory_bytes() const {
  const Impl& impl = *impl_;
  std::size_t bytes = impl.packed.data.size() * sizeof(float);
  if (!impl.graph) return bytes;
  const Graph& g = *impl.graph;
  bytes += g.max_elements_ * g.size_data_per_element_;
  for (std::size_t i = 0; i < g.cur_element_count; ++i)
    if (g.element_levels_[i] > 0) bytes += g.size_links_per_element_ * static_cast<std::size_t>(g.element_levels_[i]) + 1;
  bytes += g.max_elements_ * (sizeof(void*) + sizeof(int) + sizeof(std::mutex) + sizeof(hnswlib::vl_type));
  bytes += g.link_list_update_locks_.size() * sizeof(std::mutex);
  // An unordered_map node (next pointer + pair) plus its bucket pointer.
  bytes += g.label_lookup_.size() * (2 * sizeof(void*) + sizeof(std::pair<hnswlib::labeltype, hnswlib::tableint>)) +
           g.label_lookup_.bucket_count() * sizeof(void*);
  bytes += impl.element_of.size() * sizeof(hnswlib::tableint);
  return bytes;
}

// --- Save and load ----------------------------------------------------------

void AnnIndex::save(const std::string& path) const {
  const Impl& impl = *impl_;
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const std::string graph_temp = temp + ".graph";
  const auto cleanup = [&] {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    std::filesystem::remove(graph_temp, ignored);
  };
  try {
    std::string graph;
    if (impl.graph) {
      // hnswlib writes to a path only; its bytes are then copied after our header. hnswlib does not check
      // its stream, so the path is tried here first for a clear reason (a read-only directory).
      if (std::FILE* probe = std::fopen(graph_temp.c_str(), "wb"); probe != nullptr) std::fclose(probe);
      else file_error(path, "", std::string("cannot create ") + graph_temp + ": " + std::strerror(errno));
      impl.graph->saveIndex(graph_temp);
      std::ifstream in(graph_temp, std::ios::binary);
      if (!in) file_error(path, "", "cannot read back the graph written to " + graph_temp);
      graph.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      std::filesystem::remove(graph_temp);
    }
    FileHeader header{};
    std::memcpy(header.magic, kMagic, sizeof(kMagic));
    header.version = kVersion;
    header.vectors_crc = impl.checksum;
    header.n_items = impl.n;
    header.dim = impl.dim;
    header.m = impl.options.m;
    header.ef_construction = impl.options.ef_construction;
    header.ef_search = ef_search();
    header.seed = impl.options.seed;
    header.exact_share = static_cast<float>(impl.options.exact_share);
    header.graph_bytes = graph.size();
    header.graph_crc = crc_of(crc_of(0, nullptr, 0), graph.data(), graph.size());
    std::FILE* out = std::fopen(temp.c_str(), "wb");
    if (out == nullptr) file_error(path, "", std::string("cannot create ") + temp + ": " + std::strerror(errno));
    const bool written = std::fwrite(&header, 1, kHeaderBytes, out) == kHeaderBytes &&
                         std::fwrite(graph.data(), 1, graph.size(), out) == graph.size() && std::fflush(out) == 0 &&
                         ::fsync(::fileno(out)) == 0;
    const bool closed = std::fclose(out) == 0;
    if (!written || !closed) file_error(path, "", std::string("cannot write ") + temp + ": " + std::strerror(errno));
    std::filesystem::rename(temp, path);
  } catch (const InputError&) {
    cleanup();
    throw;
  } catch (const std::exception& e) {
    cleanup();
    file_error(path, "", std::string("cannot save the index: ") + e.what());
  }
}

namespace {

// The graph hnswlib loaded, checked so that a search can never step outside
// it: the sizes match `vectors`, every label 0..n-1 appears once with its very
// vector, and every link points at an element.
void check_graph(const Graph& g, const ItemVectors& vectors, const std::string& path) {
  const auto n = static_cast<std::size_t>(vectors.n_items);
  const std::size_t data_bytes = static_cast<std::size_t>(vectors.dim) * sizeof(float);
  if (g.cur_element_count != n) file_error(path, "graph", "holds " + std::to_string(g.cur_element_count) + " items, expected " + std::to_string(n));
  if (g.offsetLevel0_ != 0 || g.offsetData_ != g.size_links_level0_ || g.label_offset_ != g.offsetData_ + data_bytes ||
      g.size_data_per_element_ != g.label_offset_ + sizeof(hnswlib::labeltype) || g.maxM0_ < 1 || g.maxM_ < 1)
    file_error(path, "graph", "its element layout does not fit " + std::to_string(vectors.dim) + " dims");
  if (g.enterpoint_node_ >= n || g.maxlevel_ < 0 || g.maxlevel_ != g.element_levels_[g.enterpoint_node_])
    file_error(path, "graph", "bad entry point");
  std::vector<bool> seen(n, false);
  for (hnswlib::tableint i = 0; i < n; ++i) {
    const hnswlib::labeltype label = g.getExternalLabel(i);
    if (label >= n || seen[label]) file_error(path, "graph", "bad or repeated label " + std::to_string(label));
    seen[label] = true;
    if (std::memcmp(g.getDataByInternalId(i), vectors.data + label * static_cast<std::size_t>(vectors.dim), data_bytes) != 0)
      file_error(path, "graph", "the vector of item " + std::to_string(label) + " differs from the model's");
    if (g.element_levels_[i] < 0 || g.element_levels_[i] > g.maxlevel_) file_error(path, "graph", "bad level");
    for (int level = 0; level <= g.element_levels_[i]; ++level) {
      hnswlib::linklistsizeint* list = g.get_linklist_at_level(i, level);
      const std::size_t size = g.getListCount(list);
      if (size > (level == 0 ? g.maxM0_ : g.maxM_)) file_error(path, "graph", "a link list is too long");
      const auto* links = reinterpret_cast<const hnswlib::tableint*>(list + 1);
      for (std::size_t j = 0; j < size; ++j)
        if (links[j] >= n) file_error(path, "graph", "a link points outside the graph");
    }
  }
}

}  // namespace

std::unique_ptr<AnnIndex> AnnIndex::load(const std::string& path, const ItemVectors& vectors) {
  check_vectors(vectors);
  std::ifstream in(path, std::ios::binary);
  if (!in) file_error(path, "", "cannot open the index file");
  FileHeader header{};
  if (!in.read(reinterpret_cast<char*>(&header), kHeaderBytes) || std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0)
    file_error(path, "magic", "not a segue ANN index");
  if (header.version != kVersion)
    file_error(path, "version", "version " + std::to_string(header.version) + ", this build reads " + std::to_string(kVersion));
  if (header.n_items != vectors.n_items || header.dim != vectors.dim)
    file_error(path, "n_items", "built for " + std::to_string(header.n_items) + " items × " + std::to_string(header.dim) +
                                    " dims, the model has " + std::to_string(vectors.n_items) + " × " +
                                    std::to_string(vectors.dim) + ": rebuild the index");
  const std::uint32_t checksum = vectors_checksum(vectors);
  if (header.vectors_crc != checksum)
    file_error(path, "vectors", "built for other item vectors (a retrained model?): rebuild the index");
  AnnOptions options;
  options.m = header.m;
  options.ef_construction = header.ef_construction;
  options.ef_search = header.ef_search;
  options.seed = header.seed;
  options.exact_share = header.exact_share;
  try {
    check_options(options);
  } catch (const UsageError& e) {
    file_error(path, "options", e.what());
  }
  const auto file_bytes = std::filesystem::file_size(path);
  if (file_bytes != kHeaderBytes + header.graph_bytes)
    file_error(path, "graph_bytes", "the file holds " + std::to_string(file_bytes) + " bytes, the header says " +
                                        std::to_string(kHeaderBytes + header.graph_bytes) + " (truncated?)");
  if (vectors.n_items > 0 && header.graph_bytes == 0) file_error(path, "graph", "missing");
  // hnswlib's loadIndex reads only from a path: the graph bytes are copied, in
  // chunks and checked on the way, into an anonymous in-memory file.
  Fd memory{::memfd_create("segue-ann", MFD_CLOEXEC)};
  if (memory.fd < 0) file_error(path, "", std::string("memfd_create: ") + std::strerror(errno));
  std::uint32_t graph_crc = crc_of(0, nullptr, 0);
  std::vector<char> chunk(std::size_t{1} << 20);
  for (std::uint64_t left = header.graph_bytes; left > 0;) {
    const auto size = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
    if (!in.read(chunk.data(), static_cast<std::streamsize>(size))) file_error(path, "graph", "cannot read");
    graph_crc = crc_of(graph_crc, chunk.data(), size);
    for (std::size_t done = 0; done < size;) {
      const ssize_t wrote = ::write(memory.fd, chunk.data() + done, size - done);
      if (wrote <= 0) file_error(path, "", std::string("cannot stage the graph: ") + std::strerror(errno));
      done += static_cast<std::size_t>(wrote);
    }
    left -= size;
  }
  if (graph_crc != header.graph_crc) file_error(path, "graph", "checksum mismatch (the file is corrupt)");

  std::unique_ptr<AnnIndex> index(new AnnIndex());
  Impl& impl = *index->impl_;
  impl.n = vectors.n_items;
  impl.dim = vectors.dim;
  impl.options = options;
  impl.ef_search = options.ef_search;
  impl.checksum = checksum;
  impl.packed = pack_items(vectors.data, vectors.n_items, vectors.dim);
  impl.space = std::make_unique<InnerProductSpace>(static_cast<std::size_t>(vectors.dim));
  if (impl.n == 0) return index;
  try {
    // The loading constructor: hnswlib's bare one leaves the pointers its
    // destructor frees uninitialised, should loadIndex throw.
    impl.graph = std::make_unique<Graph>(impl.space.get(), "/proc/self/fd/" + std::to_string(memory.fd), false,
                                         static_cast<std::size_t>(impl.n));
  } catch (const std::exception& e) {
    file_error(path, "graph", std::string("hnswlib cannot load it: ") + e.what());
  }
  check_graph(*impl.graph, vectors, path);
  impl.graph->setEf(1);  // as in build()
  impl.index_elements();
  return index;
}

}  // namespace segue
