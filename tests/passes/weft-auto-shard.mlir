// RUN: weft-opt %s --split-input-file --weft-auto-shard="cluster=%S/Inputs/search-cluster.json" --weft-test-print-strategy -o /dev/null | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-auto-shard="cluster=%S/Inputs/search-cluster.json solver=enumerate" --weft-test-print-strategy -o /dev/null | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-auto-shard="cluster=%S/Inputs/search-cluster.json" --weft-propagate-sharding --weft-spmd-partition | FileCheck %s --check-prefix=SPMD

// Costs from Inputs/search-cluster.json: 1 TFLOP/s, 100 GB/s, 1 us per launch, a 10 GB/s link with 1 us latency.

// Tests that two large weights and a small batch get Megatron's tensor
// parallelism: the first matmul split by columns, the second by rows, one
// all_reduce of the [16, 1024] output; streaming half of each weight saves
// more than the all_reduce costs.
// CHECK: plan: {{ilp \(CBC\)|enumeration}}, 0.000185879 s, bound 0.000185879 s
// CHECK-NEXT: arg0: #weft.sharding<[{}, {}]>
// CHECK-NEXT: arg1: #weft.sharding<[{}, {tp}]>
// CHECK-NEXT: arg2: #weft.sharding<[{tp}, {}]>
// CHECK-NEXT: weft.matmul: #weft.sharding<[{}, {tp}]>
// CHECK-NEXT: weft.tanh: #weft.sharding<[{}, {tp}]>
// CHECK-NEXT: weft.matmul: #weft.sharding<[{}, {}]>
// SPMD-LABEL: func.func @main
// SPMD-COUNT-1: weft.all_reduce
// SPMD-NOT: weft.all_gather
// SPMD: return
module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  func.func @main(%x: tensor<16x1024xf32> {weft.input = "x"}, %w1: tensor<1024x4096xf32> {weft.param = "w1"},
                  %w2: tensor<4096x1024xf32> {weft.param = "w2"}) -> (tensor<16x1024xf32> {weft.output = "y"}) {
    %h = weft.matmul %x, %w1 : tensor<16x1024xf32>, tensor<1024x4096xf32>
    %g = weft.tanh %h : tensor<16x4096xf32>
    %y = weft.matmul %g, %w2 : tensor<16x4096xf32>, tensor<4096x1024xf32>
    return %y : tensor<16x1024xf32>
  }
}

// -----

// Tests that a large batch and small weights are split by rows (data
// parallelism): the batch is cut locally, the weights stay whole, and only
// the output is gathered.
// CHECK: plan:
// CHECK-NEXT: arg0: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: arg1: #weft.sharding<[{}, {}]>
// CHECK-NEXT: arg2: #weft.sharding<[{}, {}]>
// CHECK-NEXT: weft.matmul: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: weft.tanh: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: weft.matmul: #weft.sharding<[{dp}, {}]>
// SPMD-LABEL: func.func @main
// SPMD-NOT: weft.all_reduce
// SPMD: return
module attributes {weft.mesh = #weft.mesh<dp = 2>} {
  func.func @main(%x: tensor<8192x256xf32> {weft.input = "x"}, %w1: tensor<256x256xf32> {weft.param = "w1"},
                  %w2: tensor<256x256xf32> {weft.param = "w2"}) -> (tensor<8192x256xf32> {weft.output = "y"}) {
    %h = weft.matmul %x, %w1 : tensor<8192x256xf32>, tensor<256x256xf32>
    %g = weft.tanh %h : tensor<8192x256xf32>
    %y = weft.matmul %g, %w2 : tensor<8192x256xf32>, tensor<256x256xf32>
    return %y : tensor<8192x256xf32>
  }
}

// -----

// Tests that a tiny program stays whole: a launch and a collective's latency
// cost more than splitting saves.
// CHECK: plan:
// CHECK-NEXT: arg0: #weft.sharding<[{}]>
// CHECK-NEXT: weft.exp: #weft.sharding<[{}]>
module attributes {weft.mesh = #weft.mesh<dp = 2>} {
  func.func @main(%x: tensor<8xf32> {weft.input = "x"}) -> (tensor<8xf32> {weft.output = "y"}) {
    %y = weft.exp %x : tensor<8xf32>
    return %y : tensor<8xf32>
  }
}

// -----

// Tests that hints are kept: x is pinned whole and y split over dp, so the
// search cuts x before the tanh (half the work) rather than after it.
// CHECK: plan:
// CHECK-NEXT: arg0: #weft.sharding<[{}, {}]>
// CHECK-NEXT: weft.sharding_constraint: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: weft.tanh: #weft.sharding<[{dp}, {}]>
module attributes {weft.mesh = #weft.mesh<dp = 2>} {
  func.func @main(%x: tensor<8192x256xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{}, {}]>})
      -> (tensor<8192x256xf32> {weft.output = "y", weft.sharding = #weft.sharding<[{dp}, {}]>}) {
    %y = weft.tanh %x : tensor<8192x256xf32>
    return %y : tensor<8192x256xf32>
  }
}
