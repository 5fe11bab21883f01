#include "util/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace segue {
namespace {

// True on pool workers and on a caller while it runs its share of a loop:
// a parallel_for from there runs inline instead of waiting on busy workers.
thread_local bool inside_loop = false;

struct InsideLoop {
  bool previous = inside_loop;
  InsideLoop() { inside_loop = true; }
  ~InsideLoop() { inside_loop = previous; }
};

}  // namespace

struct ThreadPool::Loop {
  std::int64_t begin;
  std::int64_t end;
  std::int64_t grain;
  std::int64_t chunks;
  const Body* body;
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr error;
};

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_ = threads;
  workers_.reserve(static_cast<std::size_t>(threads - 1));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& thread : workers_) thread.join();
}

void ThreadPool::run_chunks(Loop& loop, int thread_index) {
  InsideLoop guard;
  while (!loop.failed.load(std::memory_order_relaxed)) {
    const std::int64_t chunk = loop.next.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= loop.chunks) break;
    const std::int64_t first = loop.begin + chunk * loop.grain;
    const std::int64_t last = std::min(first + loop.grain, loop.end);
    try {
      (*loop.body)(first, last, thread_index);
    } catch (...) {
      std::lock_guard<std::mutex> lock(loop.error_mutex);
      if (!loop.error) loop.error = std::current_exception();
      loop.failed.store(true);
    }
  }
}

void ThreadPool::worker(int thread_index) {
  std::uint64_t seen = 0;
  while (true) {
    Loop* loop = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      loop = loop_;
    }
    run_chunks(*loop, thread_index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--running_ == 0) done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, const Body& body) {
  if (end <= begin) return;
  grain = std::max<std::int64_t>(grain, 1);
  const std::int64_t chunks = (end - begin + grain - 1) / grain;
  std::unique_lock<std::mutex> owner(busy_, std::defer_lock);
  if (size_ == 1 || chunks == 1 || inside_loop || !owner.try_lock()) {
    InsideLoop guard;
    for (std::int64_t first = begin; first < end; first += grain) body(first, std::min(first + grain, end), 0);
    return;
  }
  Loop loop;
  loop.begin = begin;
  loop.end = end;
  loop.grain = grain;
  loop.chunks = chunks;
  loop.body = &body;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    loop_ = &loop;
    running_ = size_ - 1;
    ++generation_;
  }
  wake_.notify_all();
  run_chunks(loop, 0);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return running_ == 0; });
    loop_ = nullptr;
  }
  if (loop.error) std::rethrow_exception(loop.error);
}

namespace {

std::mutex default_mutex;
int default_threads = 0;
std::unique_ptr<ThreadPool> default_pool;

}  // namespace

ThreadPool& default_thread_pool() {
  std::lock_guard<std::mutex> lock(default_mutex);
  if (!default_pool) default_pool = std::make_unique<ThreadPool>(default_threads);
  return *default_pool;
}

void set_default_threads(int threads) {
  std::lock_guard<std::mutex> lock(default_mutex);
  default_threads = threads;
  const int wanted = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (default_pool && default_pool->size() != wanted) default_pool.reset();
}

void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, const ThreadPool::Body& body,
                  ThreadPool* pool) {
  (pool != nullptr ? *pool : default_thread_pool()).parallel_for(begin, end, grain, body);
}

}  // namespace segue
