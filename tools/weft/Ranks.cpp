//===- Ranks.cpp - the processes of a run over a device mesh --------------===//
//
// This file implements joinRanks (Ranks.h).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Ranks.h"

#include "runtime/comm/MpiCommunicator.h"
#include "runtime/comm/MpiEnvironment.h"
#include "tools/weft/Flags.h"

#include <cstdio>

namespace weft::cli {

Ranks joinRanks(const MeshSpec &mesh, const std::string &command) {
  return joinRanks(mesh.size(), "--mesh " + mesh.str(), command);
}

Ranks joinRanks(int64_t size, const std::string &what, const std::string &command) {
  Ranks ranks;
  if (size <= 1)
    return ranks;
  const std::string n = std::to_string(size);
  if (!rt::MpiEnvironment::underMpirun())
    throw FlagError(what + " has " + n + " ranks: start one process per rank, e.g. "
                    "`weft launch -n " + n + " -- weft " + command + " ...` (or mpirun -n " + n +
                    " weft " + command + " ...)");
  auto world = rt::MpiCommunicator::world();
  if (!world.isOk())
    throw std::runtime_error("cannot join the other ranks: " + world.status().message());
  ranks.world = std::move(world).value();
  ranks.rank = ranks.world->rank();
  ranks.size = ranks.world->size();
  if (ranks.size != size)
    throw FlagError(what + " has " + n + " ranks but mpirun started " +
                    std::to_string(ranks.size) + "; start " + n + " (weft launch -n " + n + ")");
  if (!ranks.writes() && !std::freopen("/dev/null", "w", stdout))
    throw std::runtime_error("rank " + std::to_string(ranks.rank) + ": cannot silence stdout");
  return ranks;
}

} // namespace weft::cli
