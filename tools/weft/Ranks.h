//===- Ranks.h - the processes of a run over a device mesh -----*- C++ -*-===//
//
// This file declares how `weft train` and `weft run` join the other ranks of
// a mesh: with --mesh of more than one device they must run under mpirun
// (`weft launch -n N -- weft ...`), one process per rank, and the world's
// size must be the mesh's. Rank 0 prints and writes files; the others keep
// stderr (errors) and send their stdout to /dev/null.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_RANKS_H
#define WEFT_TOOLS_WEFT_RANKS_H

#include "frontend/Sharding.h"
#include "runtime/comm/Communicator.h"

#include <memory>
#include <string>

namespace weft::cli {

struct Ranks {
  std::shared_ptr<rt::Communicator> world; // null: one device
  int rank = 0;
  int size = 1;
  /// Rank 0: prints, writes checkpoints and weights.
  bool writes() const { return rank == 0; }
};

/// Joins the ranks of `mesh` (`command` names the subcommand in errors):
/// nothing for one device; otherwise the MPI world, which must have
/// mesh.size() ranks. Throws FlagError before anything is compiled when the
/// process is not under mpirun or the sizes differ.
Ranks joinRanks(const MeshSpec &mesh, const std::string &command);
/// As above for `size` ranks described as `what` in errors ("--mesh auto").
Ranks joinRanks(int64_t size, const std::string &what, const std::string &command);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_RANKS_H
