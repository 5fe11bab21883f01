#include "distributed/mpi_collective.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "data/error.h"

namespace segue {
namespace {

// MPI counts are int: a message over 2^31 - 1 elements goes in a derived type
// of `chunk` elements (rows of a factor matrix) or is refused with the reason.
int checked_count(std::int64_t n, const char* what) {
  if (n > INT_MAX)
    throw UsageError(std::string("MPI: ") + what + " of " + std::to_string(n) +
                     " elements exceeds one message (2^31 - 1); use more ranks");
  return static_cast<int>(n);
}

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string("MPI: ") + call + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

class Timer {
 public:
  explicit Timer(double& total) : total_(total), start_(MPI_Wtime()) {}
  ~Timer() { total_ += MPI_Wtime() - start_; }

 private:
  double& total_;
  double start_;
};

template <class T>
std::vector<T> allgather_values(std::span<const T> mine, MPI_Datatype type, int size, double& seconds) {
  const Timer timer(seconds);
  const int count = checked_count(static_cast<std::int64_t>(mine.size()), "an allgather");
  std::vector<int> counts(static_cast<std::size_t>(size)), displacements(static_cast<std::size_t>(size));
  check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
  std::int64_t total = 0;
  for (int r = 0; r < size; ++r) {
    displacements[static_cast<std::size_t>(r)] = checked_count(total, "an allgather");
    total += counts[static_cast<std::size_t>(r)];
  }
  std::vector<T> out(static_cast<std::size_t>(checked_count(total, "an allgather")));
  check(MPI_Allgatherv(mine.data(), count, type, out.data(), counts.data(), displacements.data(), type,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
  return out;
}

}  // namespace

MpiCollective::MpiCollective() {
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  // Errors come back as codes (check() turns them into exceptions that end the job with MPI_Abort).
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

void MpiCollective::allgather_rows(float* data, std::span<const std::int64_t> offsets, std::int64_t width) {
  const Timer timer(seconds_);
  // One MPI element = one row of `width` floats, so counts stay small whatever the matrix.
  MPI_Datatype row;
  check(MPI_Type_contiguous(checked_count(width, "a row"), MPI_FLOAT, &row), "MPI_Type_contiguous");
  check(MPI_Type_commit(&row), "MPI_Type_commit");
  std::vector<int> counts(static_cast<std::size_t>(size_)), displacements(static_cast<std::size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    counts[static_cast<std::size_t>(r)] = checked_count(offsets[r + 1] - offsets[r], "a block of rows");
    displacements[static_cast<std::size_t>(r)] = checked_count(offsets[r], "a row offset");
  }
  const int code = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts.data(), displacements.data(), row,
                                  MPI_COMM_WORLD);
  MPI_Type_free(&row);
  check(code, "MPI_Allgatherv");
}

std::vector<std::int32_t> MpiCollective::allgather(std::span<const std::int32_t> mine) {
  return allgather_values(mine, MPI_INT32_T, size_, seconds_);
}

std::vector<float> MpiCollective::allgather(std::span<const float> mine) {
  return allgather_values(mine, MPI_FLOAT, size_, seconds_);
}

void MpiCollective::allreduce_sum(float* data, std::int64_t n) {
  const Timer timer(seconds_);
  constexpr std::int64_t kChunk = std::int64_t{1} << 30;  // MPI counts are int
  for (std::int64_t at = 0; at < n; at += kChunk)
    check(MPI_Allreduce(MPI_IN_PLACE, data + at, static_cast<int>(std::min(kChunk, n - at)), MPI_FLOAT, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
}

}  // namespace segue
