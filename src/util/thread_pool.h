// The process-wide worker pool (sized by --threads) and parallel_for, the one
// way segue runs a loop on several cores. Per-thread scratch is indexed by thread_index.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace segue {

class ThreadPool {
 public:
  // A loop body over the chunk [begin, end), run by thread `thread_index`
  // in [0, size()); a thread runs one chunk at a time, so scratch[thread_index]
  // needs no lock.
  using Body = std::function<void(std::int64_t begin, std::int64_t end, int thread_index)>;

  // threads <= 0 means std::thread::hardware_concurrency(). size() threads take
  // part in a loop: the caller plus size() - 1 workers.
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Runs body over [begin, end) in chunks of `grain` (>= 1) and returns when all
  // are done. The first exception thrown by a chunk is rethrown here (the other
  // chunks not yet started are skipped). A parallel_for called from inside a
  // body, or while another thread's loop holds the pool, runs inline on the
  // calling thread (thread_index 0..) — so nesting never deadlocks.
  void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, const Body& body);

 private:
  struct Loop;
  void worker(int thread_index);
  static void run_chunks(Loop& loop, int thread_index);

  int size_;
  std::vector<std::thread> workers_;
  std::mutex busy_;  // held by the one loop that owns the workers
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  Loop* loop_ = nullptr;
  std::uint64_t generation_ = 0;
  int running_ = 0;
  bool stop_ = false;
};

// The process-wide pool. Created on first use with set_default_threads's value
// (default: all cores). The CLI calls set_default_threads(--threads) once, early.
ThreadPool& default_thread_pool();
// Resizes the default pool (threads <= 0: all cores). Not to be called while a
// loop is running on it.
void set_default_threads(int threads);

// Shorthand for a loop on `pool`, or on the default pool when pool is null.
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, const ThreadPool::Body& body,
                  ThreadPool* pool = nullptr);

}  // namespace segue
