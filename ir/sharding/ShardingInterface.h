//===- ShardingInterface.h - the sharding-rule op interface ------*- C++ -*-===//
//
// This file declares ShardingRuleOpInterface (generated from
// ShardingInterface.td) and registerShardingInterfaces, which attaches the
// rules of ir/sharding/ShardingRules*.cpp to the weft ops.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_SHARDING_SHARDINGINTERFACE_H
#define WEFT_IR_SHARDING_SHARDINGINTERFACE_H

#include "ir/sharding/ShardingRule.h"

#include "mlir/IR/OpDefinition.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

#include "ir/sharding/ShardingInterface.h.inc"

namespace weft {

/// Adds an extension to `registry` that attaches a ShardingRuleOpInterface
/// model to every weft op that can be split when the weft dialect is loaded.
void registerShardingInterfaces(mlir::DialectRegistry &registry);

} // namespace weft

#endif // WEFT_IR_SHARDING_SHARDINGINTERFACE_H
