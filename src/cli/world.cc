#include "cli/world.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "data/error.h"

#ifdef SEGUE_WITH_MPI
#include <mpi.h>

#include "distributed/mpi_collective.h"
#endif

namespace segue::cli {
namespace {

std::unique_ptr<Collective> g_world;

// The number of ranks mpirun announced to this process (0: not launched by mpirun).
int announced_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return std::getenv("PMIX_RANK") != nullptr ? 1 : 0;
}

}  // namespace

void start_world(int& argc, char**& argv) {
  const int ranks = announced_ranks();
  if (ranks == 0) return;
#ifdef SEGUE_WITH_MPI
  int threading = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &threading) != MPI_SUCCESS)
    throw UsageError("MPI_Init failed (launched by mpirun, but MPI could not start)");
  g_world = std::make_unique<MpiCollective>();
  if (g_world->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr)
    std::fprintf(stderr, "segue: rank %d: could not silence stdout\n", g_world->rank());
#else
  (void)argc;
  (void)argv;
  if (ranks > 1)
    throw UsageError("this segue was built without MPI, but mpirun started " + std::to_string(ranks) +
                     " copies: rebuild with -DSEGUE_MPI=ON (apt-get install libopenmpi-dev openmpi-bin)");
#endif
}

void end_world() {
#ifdef SEGUE_WITH_MPI
  if (g_world) {
    g_world.reset();
    MPI_Finalize();
  }
#endif
}

void abort_world(int code) {
#ifdef SEGUE_WITH_MPI
  if (g_world && g_world->size() > 1) {
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
  }
#else
  (void)code;
#endif
}

Collective* world() { return is_distributed(g_world.get()) ? g_world.get() : nullptr; }

bool is_root() { return g_world == nullptr || g_world->rank() == 0; }

void require_distributed(const char* command) {
  if (world() != nullptr) return;
#ifdef SEGUE_WITH_MPI
  throw UsageError(std::string(command) + " --distributed: start it with mpirun -np P (P >= 2), e.g. mpirun -np 2 segue " +
                   command + " ...");
#else
  throw UsageError(std::string(command) +
                   " --distributed: this segue was built without MPI; rebuild with -DSEGUE_MPI=ON "
                   "(apt-get install libopenmpi-dev openmpi-bin)");
#endif
}

}  // namespace segue::cli
