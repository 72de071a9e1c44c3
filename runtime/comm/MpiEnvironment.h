//===- MpiEnvironment.h - MPI initialized once per process -------*- C++ -*-===//
//
// This file implements the declaration of MpiEnvironment: MPI is initialized
// once per process (MPI_THREAD_FUNNELED: only the thread that initialized it
// makes MPI calls) unless the program already did, and finalized at exit if
// weft initialized it; whether this process was started by mpirun, and its
// index on its node (which GPU a rank takes).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_MPIENVIRONMENT_H
#define WEFT_RUNTIME_COMM_MPIENVIRONMENT_H

#include "runtime/Status.h"

namespace weft::rt {

/// Process-wide MPI state.
class MpiEnvironment {
public:
  /// Calls MPI_Init_thread(MPI_THREAD_FUNNELED) unless MPI is initialized
  /// already, and registers finalize() to run at exit. UNAVAILABLE when MPI
  /// cannot start or was finalized already.
  static Status initialize();
  /// MPI_Finalize, once, if initialize() started MPI (idempotent).
  static void finalize();
  /// True when the environment says mpirun (OpenMPI: OMPI_COMM_WORLD_SIZE)
  /// or a PMIx launcher (PMIX_RANK) started this process.
  static bool underMpirun();
  /// The number of processes mpirun started (OMPI_COMM_WORLD_SIZE or
  /// PMIX_SIZE), read without initializing MPI; 1 outside mpirun.
  static int64_t worldSizeFromEnvironment();
  /// This process's index among the processes the launcher started on its
  /// node (OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, SLURM_LOCALID), read
  /// without initializing MPI; -1 when the environment does not say.
  static int localRankFromEnvironment();
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_MPIENVIRONMENT_H
