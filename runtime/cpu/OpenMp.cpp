//===- OpenMp.cpp - how the runtime's one OpenMP pool waits ---------------===//
//
// This file implements stopOpenMpSpinning (see the header).
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/OpenMp.h"

#include <cstdlib>

namespace weft::rt {

void stopOpenMpSpinning() { ::setenv("KMP_BLOCKTIME", "0", /*overwrite=*/0); }

} // namespace weft::rt
