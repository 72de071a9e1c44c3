// RUN: weft-opt %s -split-input-file -weft-propagate-sharding -weft-test-print-shardings -o /dev/null | FileCheck %s
// RUN: weft-opt %s -split-input-file -weft-propagate-sharding | FileCheck %s --check-prefix=IR

// Tests that a Megatron MLP's hints (x split over dp, w1 by columns and w2 by rows over tp) reach every value:
// the hidden layer is split over dp and tp, the second matmul's K is split (its result is whole per rank:
// the partial sum is the partitioner's business), the mean is a scalar.

// CHECK-LABEL: arg0: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: arg1: #weft.sharding<[{}, {tp}]>
// CHECK-NEXT: arg2: #weft.sharding<[{tp}, {}]>
// CHECK-NEXT: weft.matmul#0: #weft.sharding<[{dp}, {tp}]>
// CHECK-NEXT: weft.tanh#0: #weft.sharding<[{dp}, {tp}]>
// CHECK-NEXT: weft.matmul#0: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: weft.reduce#0: #weft.sharding<[]>
// CHECK-NEXT: result0: #weft.sharding<[]>

// IR-LABEL: func.func @main
// IR: weft.matmul %arg0, %arg1 {weft.shardings = [#weft.sharding<[{dp}, {tp}]>]}
module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 2>} {
  func.func @main(%x: tensor<4x6xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{dp}, {}]>},
                  %w: tensor<6x8xf32> {weft.param = "w1", weft.sharding = #weft.sharding<[{}, {tp}]>},
                  %v: tensor<8x6xf32> {weft.param = "w2", weft.sharding = #weft.sharding<[{tp}, {}]>})
      -> (tensor<f32> {weft.output = "loss"}) {
    %h = weft.matmul %x, %w : tensor<4x6xf32>, tensor<6x8xf32>
    %a = weft.tanh %h : tensor<4x8xf32>
    %y = weft.matmul %a, %v : tensor<4x8xf32>, tensor<8x6xf32>
    %l = weft.reduce mean %y dims = [0, 1] : tensor<4x6xf32>
    return %l : tensor<f32>
  }
}

// -----

// Tests backward propagation: a sharding_constraint on a late value splits the producers before it, and an
// unhinted parameter's update result takes the parameter's (propagated) sharding.

// CHECK-LABEL: arg0: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: arg1: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: weft.exp#0: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: weft.sharding_constraint#0: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: weft.add#0: #weft.sharding<[{dp}, {}]>
// CHECK-NEXT: result0: #weft.sharding<[{dp}, {}]>
module attributes {weft.mesh = #weft.mesh<dp = 4>} {
  func.func @main(%x: tensor<8x3xf32> {weft.input = "x"}, %p: tensor<8x3xf32> {weft.param = "p"})
      -> (tensor<8x3xf32> {weft.update = "p"}) {
    %e = weft.exp %x : tensor<8x3xf32>
    %c = weft.sharding_constraint %e {sharding = #weft.sharding<[{dp}, {}]>} : tensor<8x3xf32>
    %u = weft.add %c, %p : tensor<8x3xf32>
    return %u : tensor<8x3xf32>
  }
}

// -----

// Tests the fused-QKV pattern: a weight split in 3 blocks over tp gives each of q, k and v (whole blocks sliced
// out of the projection) a plain split over tp, and the reshape to heads keeps it on the head dimension.

// CHECK-LABEL: arg0: #weft.sharding<[{}, {}]>
// CHECK-NEXT: arg1: #weft.sharding<[{}, {tp} x 3]>
// CHECK-NEXT: weft.matmul#0: #weft.sharding<[{}, {tp} x 3]>
// CHECK-NEXT: weft.slice#0: #weft.sharding<[{}, {tp}]>
// CHECK-NEXT: weft.reshape#0: #weft.sharding<[{}, {tp}, {}]>
module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  func.func @main(%x: tensor<4x8xf32> {weft.input = "x"},
                  %w: tensor<8x24xf32> {weft.param = "c_attn", weft.sharding = #weft.sharding<[{}, {tp} x 3]>})
      -> (tensor<4x2x4xf32> {weft.output = "k"}) {
    %qkv = weft.matmul %x, %w : tensor<4x8xf32>, tensor<8x24xf32>
    %k = weft.slice %qkv start = [0, 8] limit = [4, 16] strides = [1, 1] : tensor<4x24xf32>
    %h = weft.reshape %k : tensor<4x8xf32> -> tensor<4x2x4xf32>
    return %h : tensor<4x2x4xf32>
  }
}

// -----

// Tests the vocabulary split: 11 rows over 4 ways (padded) reach the logits' columns through the transposed
// LM-head matmul.

// CHECK-LABEL: arg0: #weft.sharding<[{tp}, {}]>
// CHECK-NEXT: arg1: #weft.sharding<[{}, {}]>
// CHECK-NEXT: weft.matmul#0: #weft.sharding<[{}, {tp}]>
module attributes {weft.mesh = #weft.mesh<tp = 4>} {
  func.func @main(%wte: tensor<11x8xf32> {weft.param = "wte", weft.sharding = #weft.sharding<[{tp}, {}]>},
                  %h: tensor<6x8xf32> {weft.input = "h"}) -> (tensor<6x11xf32> {weft.output = "logits"}) {
    %l = weft.matmul %h, %wte {transpose_rhs} : tensor<6x8xf32>, tensor<11x8xf32>
    return %l : tensor<6x11xf32>
  }
}

// -----

// Tests that a key/value cache write passes the heads' split (tp) from the new key to the cache and its update,
// and keeps the position dimension (addressed at run time) whole.

// CHECK-LABEL: arg0: #weft.sharding<[{}, {tp}, {}, {}]>
// CHECK-NEXT: arg1: #weft.sharding<[{}, {tp}, {}, {}]>
// CHECK-NEXT: arg2: #weft.sharding<[]>
// CHECK-NEXT: weft.dynamic_update_slice#0: #weft.sharding<[{}, {tp}, {}, {}]>
// CHECK-NEXT: result0: #weft.sharding<[{}, {tp}, {}, {}]>
module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  func.func @main(%cache: tensor<2x4x8x16xf32> {weft.state = "cache.k"},
                  %k: tensor<2x4x1x16xf32> {weft.input = "k", weft.sharding = #weft.sharding<[{}, {tp}, {}, {}]>},
                  %pos: tensor<i64> {weft.input = "pos"})
      -> (tensor<2x4x8x16xf32> {weft.update = "cache.k"}) {
    %0 = weft.dynamic_update_slice %cache[%pos], %k dim = 2 : tensor<2x4x8x16xf32>, tensor<2x4x1x16xf32>, tensor<i64>
    return %0 : tensor<2x4x8x16xf32>
  }
}
