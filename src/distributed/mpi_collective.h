// Collective over MPI_COMM_WORLD (Open MPI): the segue binary's ranks when it
// is launched by mpirun. Only the CLI sees this header; the core knows
// models/collective.h alone.
#pragma once

#include "models/collective.h"

namespace segue {

class MpiCollective final : public Collective {
 public:
  MpiCollective();  // after MPI_Init
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allgather_rows(float* data, std::span<const std::int64_t> offsets, std::int64_t width) override;
  std::vector<std::int32_t> allgather(std::span<const std::int32_t> mine) override;
  std::vector<float> allgather(std::span<const float> mine) override;
  void allreduce_sum(float* data, std::int64_t n) override;
  double communication_seconds() const override { return seconds_; }
  void reset_communication_seconds() override { seconds_ = 0; }

 private:
  int rank_ = 0;
  int size_ = 1;
  double seconds_ = 0;
};

}  // namespace segue
