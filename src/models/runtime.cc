#include "models/runtime.h"

#include <cblas.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>

#include "util/thread_pool.h"

namespace segue {
namespace {

struct RuntimeState {
  std::mutex mutex;
  bool configured = false;
  RuntimeOptions options;
};

RuntimeState& state() {
  static RuntimeState instance;
  return instance;
}

std::string describe(const RuntimeOptions& o) {
  return "threads=" + std::to_string(o.threads) + ", blas_threads=" + std::to_string(o.blas_threads) +
         ", passive_openmp=" + (o.passive_openmp ? "true" : "false") +
         ", keep_freed_memory_for_torch=" + (o.keep_freed_memory_for_torch ? "true" : "false");
}

// Held by a BlasFitThreads scope for its whole life.
std::mutex& blas_fit_mutex() {
  static std::mutex instance;
  return instance;
}

}  // namespace

void configure_runtime(const RuntimeOptions& options) {
  if (options.threads < 0 || options.blas_threads < 1)
    throw std::invalid_argument("configure_runtime: threads must be >= 0 and blas_threads >= 1 (" +
                                describe(options) + ")");
  RuntimeState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.configured) {
    if (s.options == options) return;
    throw std::logic_error("configure_runtime: already configured with " + describe(s.options) +
                           "; cannot change to " + describe(options) + " while models may be running");
  }
  set_default_threads(options.threads);
  openblas_set_num_threads(options.blas_threads);
  s.options = options;
  s.configured = true;
}

void ensure_runtime() {
  RuntimeState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.configured) return;
  // The default pool is left as it is: it may already be running a loop (a
  // model built inside a parallel tuner trial), and its default is all cores anyway.
  openblas_set_num_threads(s.options.blas_threads);
  s.configured = true;
}

RuntimeOptions runtime_options() {
  ensure_runtime();
  RuntimeState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.options;
}

BlasFitThreads::BlasFitThreads(int threads) {
  ensure_runtime();
  const int count = std::max(1, threads > 0 ? threads : default_thread_pool().size());
  blas_fit_mutex().lock();
  openblas_set_num_threads(count);
}

BlasFitThreads::~BlasFitThreads() {
  openblas_set_num_threads(runtime_options().blas_threads);
  blas_fit_mutex().unlock();
}

}  // namespace segue
