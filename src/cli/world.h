// The ranks this process belongs to: one process, or an mpirun job when the
// binary was built with MPI (SEGUE_MPI) and mpirun launched it (docs/SCALE.md).
#pragma once

#include "models/collective.h"

namespace segue::cli {

// Starts MPI when mpirun (Open MPI or PMIx) launched this process; then every
// rank but 0 writes nothing to stdout. Throws UsageError when mpirun started
// several ranks of a binary built without MPI (each would run the whole job).
void start_world(int& argc, char**& argv);
void end_world();
// Ends every rank of the job after an error on this one (MPI_Abort); returns
// when the process is alone.
void abort_world(int code);
// The job's ranks, or null for one process.
Collective* world();
// Rank 0 (or the only process): the one that writes files and tables.
bool is_root();
// `--distributed`: UsageError unless this process is one of several ranks.
void require_distributed(const char* command);

}  // namespace segue::cli
