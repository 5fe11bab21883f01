// Collective: what a distributed fit or evaluation needs from its ranks. The
// segue binary implements it over MPI when launched by mpirun
// (src/distributed/mpi_collective.cc, build option SEGUE_MPI); the core never
// links MPI, and a null Collective (or one of size 1) means one process.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace segue {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Rows [offsets[r], offsets[r + 1]) of the row-major matrix `data` (rows of
  // `width` floats) are rank r's; on return every rank holds every row.
  // offsets has size() + 1 entries and is the same on every rank.
  virtual void allgather_rows(float* data, std::span<const std::int64_t> offsets, std::int64_t width) = 0;
  // Every rank's `mine`, concatenated in rank order, on every rank.
  virtual std::vector<std::int32_t> allgather(std::span<const std::int32_t> mine) = 0;
  virtual std::vector<float> allgather(std::span<const float> mine) = 0;
  // data[0 .. n) = the element-wise sum of every rank's data, on every rank.
  virtual void allreduce_sum(float* data, std::int64_t n) = 0;
  // Seconds spent inside collective calls since the last reset (the
  // communication share of a distributed fit).
  virtual double communication_seconds() const = 0;
  virtual void reset_communication_seconds() = 0;
};

// True when `collective` spans more than one rank.
inline bool is_distributed(const Collective* collective) { return collective != nullptr && collective->size() > 1; }

// Contiguous blocks of rows [0, n) for `parts` ranks, balanced on the weight
// of a row = its entries + 1 (indptr: n + 1 row starts of a CSR matrix), so
// that a rank's solve time, which grows with its entries, is about even.
// Returns parts + 1 offsets, first 0, last n.
std::vector<std::int64_t> balanced_blocks(std::span<const std::int64_t> indptr, int parts);

// Data-parallel SGD's exchange (bpr, hybrid): rows = start + Σ over ranks of
// (that rank's rows − start), every rank's steps applied to the same start.
void sum_changes(Collective& ranks, std::span<float> rows, std::span<const float> start);

}  // namespace segue
