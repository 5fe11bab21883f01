// Times loading a model file and its peak memory: each run forks a child that
// loads the file once (Recommender::load), then asks one recommendation, and
// reports wall time and the growth of its peak RSS (VmHWM). "cold" runs drop
// the file from the page cache first (posix_fadvise), so they include the disk.
// Usage: bench_model_load MODEL [runs] [cold|warm]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "models/recommender.h"

namespace {

// A /proc/self/status field in KiB (VmHWM, VmRSS).
long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + key.size(), nullptr, 10);
  return -1;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " " + five;
}

void drop_from_page_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// User + system CPU seconds of this process: on a busy shared machine the wall
// time mostly measures the queue, the CPU time what the load itself costs.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

struct Run {
  double load_s = 0, load_cpu_s = 0, first_rec_ms = 0;
  long hwm_growth_kib = 0, rss_after_load_kib = 0, rss_after_rec_kib = 0;
};

// In the child: one load, one recommendation, figures through `fd`.
[[noreturn]] void child(const std::string& path, int fd) {
  Run run;
  const long rss_before = status_kib("VmRSS");
  const long hwm_before = std::max(status_kib("VmHWM"), rss_before);
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto model = segue::Recommender::load(path);
  const auto t1 = std::chrono::steady_clock::now();
  run.load_cpu_s = cpu_seconds() - cpu0;
  run.rss_after_load_kib = status_kib("VmRSS") - rss_before;
  const auto recs = model->recommend(0, 10);
  const auto t2 = std::chrono::steady_clock::now();
  run.rss_after_rec_kib = status_kib("VmRSS") - rss_before;
  run.hwm_growth_kib = status_kib("VmHWM") - hwm_before;
  run.load_s = std::chrono::duration<double>(t1 - t0).count();
  run.first_rec_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  if (recs.empty()) std::fprintf(stderr, "note: no recommendation for user 0\n");
  if (::write(fd, &run, sizeof run) != sizeof run) std::_Exit(2);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_model_load MODEL [runs] [cold|warm]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  const bool cold = argc > 3 && std::string(argv[3]) == "cold";
  std::printf("# cpu: %s  load: %s  file: %s (%.1f MiB)  %s cache\n", segue::bench::cpu_model().c_str(),
              load_average().c_str(), path.c_str(), std::filesystem::file_size(path) / 1048576.0,
              cold ? "cold" : "warm");
  std::printf("run  load_s  load_cpu_s  first_rec_ms  peak_rss_growth_MiB  rss_after_load_MiB  rss_after_rec_MiB\n");
  std::vector<Run> all;
  for (int r = 0; r < runs; ++r) {
    if (cold) drop_from_page_cache(path);
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return 1;
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(pipe_fds[0]);
      child(path, pipe_fds[1]);
    }
    ::close(pipe_fds[1]);
    Run run;
    const bool ok = ::read(pipe_fds[0], &run, sizeof run) == sizeof run;
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "run %d: the load failed (see above)\n", r);
      return 1;
    }
    all.push_back(run);
    std::printf("%3d  %6.3f  %10.3f  %12.2f  %19.1f  %18.1f  %17.1f\n", r, run.load_s, run.load_cpu_s, run.first_rec_ms,
                run.hwm_growth_kib / 1024.0, run.rss_after_load_kib / 1024.0, run.rss_after_rec_kib / 1024.0);
  }
  std::sort(all.begin(), all.end(), [](const Run& a, const Run& b) { return a.load_s < b.load_s; });
  const Run& median = all[all.size() / 2];
  std::printf("median load %.3f s (cpu %.3f s), peak RSS growth %.1f MiB\n", median.load_s, median.load_cpu_s,
              median.hwm_growth_kib / 1024.0);
  return 0;
}
