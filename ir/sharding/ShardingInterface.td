//===- ShardingInterface.td - how an op may be split across devices -------===//
//
// This file defines Weft_ShardingRuleOpInterface, through which every weft op
// states its sharding rule (ir/sharding/ShardingRule.h): the factors of its
// iteration space, and which of them make up each dimension of its operands
// and results. weft-propagate-sharding and weft-spmd-partition
// (passes/parallel/) read it; the models are attached from outside the op
// definitions (ir/sharding/ShardingRules*.cpp, registered by
// weft::registerShardingInterfaces), as the gradients are.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_INTERFACE_TD
#define WEFT_SHARDING_INTERFACE_TD

include "mlir/IR/OpBase.td"

def Weft_ShardingRuleOpInterface : OpInterface<"ShardingRuleOpInterface"> {
  let cppNamespace = "::weft";
  let description = [{
    An op that knows how its work splits over a device mesh: its sharding
    rule lists the op's factors (pass-through, reduction, need-replication)
    and, for each dimension of each operand and result, the factors it holds
    major to minor, plus which operands a pending partial sum may flow
    through. An op without the interface is never split: the partitioner
    replicates its operands and results.
  }];
  let methods = [
    InterfaceMethod<[{
        The op's sharding rule for its current operand and result types.
      }],
      "::weft::sharding::OpShardingRule", "getShardingRule", (ins)>
  ];
}

#endif // WEFT_SHARDING_INTERFACE_TD
