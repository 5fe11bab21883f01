// The process-wide settings that inference and training depend on — worker
// threads, OpenBLAS threads, libtorch's threads and allocator policy — made in
// one place, once, at start-up (the CLI in main, the server before it loads a
// model), instead of inside model constructors and fits where a second, nested
// or concurrent model could change them under another thread's feet.
#pragma once

namespace segue {

struct RuntimeOptions {
  // Threads of the default pool (set_default_threads) and of libtorch's CPU
  // kernels; 0 = all cores.
  int threads = 0;
  // OpenBLAS threads per call. 1: parallelism comes from segue's pool, one
  // block of users per thread, so a threaded BLAS inside each call would put
  // 2 × N threads on N cores (and OpenBLAS's pthread build serialises
  // concurrent callers). Fits raise it only inside a BlasFitThreads scope.
  int blas_threads = 1;
  // Set OMP_WAIT_POLICY=PASSIVE (when the environment does not choose) just
  // before the deep-model module loads libtorch's OpenMP: spinning OpenMP
  // threads beside OpenBLAS's made deep training many times slower on a busy
  // machine (docs/DEEP.md, "Timing note").
  bool passive_openmp = true;
  // When the deep models load, keep freed heap blocks up to 1 GiB (mallopt)
  // so libtorch's cache-less CPU allocator reuses pages instead of faulting in
  // fresh ones every step (NeuMF epoch 2.8 -> 0.8 s; the process keeps its peak heap).
  bool keep_freed_memory_for_torch = true;

  bool operator==(const RuntimeOptions&) const = default;
};

// Applies the options: the first call (or ensure_runtime) wins. A later call
// with equal options is a no-op; with different ones it is a std::logic_error,
// since models already running rely on the settings. Call it before anything
// runs on the default pool. Thread-safe.
void configure_runtime(const RuntimeOptions& options);

// Applies the default options unless configure_runtime already ran; never
// changes settings made before. Model constructors call it, so a program that
// never configures still scores with one BLAS thread. Thread-safe, cheap.
void ensure_runtime();

// The options in force (ensure_runtime first).
RuntimeOptions runtime_options();

// Raises OpenBLAS's thread count to `threads` (<= 0: the default pool's size)
// for one large factorisation in a fit — EASE's Cholesky, where the BLAS call
// is the whole parallel step — and puts back the configured blas_threads at
// the end. Scopes are serialised by a process-wide lock, so concurrent fits
// never leave the count raised or restore each other's value; scoring on other
// threads meanwhile may run threaded BLAS calls (slower, same results). Not
// nestable.
class BlasFitThreads {
 public:
  explicit BlasFitThreads(int threads);
  ~BlasFitThreads();
  BlasFitThreads(const BlasFitThreads&) = delete;
  BlasFitThreads& operator=(const BlasFitThreads&) = delete;
};

}  // namespace segue
