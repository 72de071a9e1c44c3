// RUN: weft-opt %s -split-input-file -weft-propagate-sharding -weft-spmd-partition -canonicalize | FileCheck %s

// Tests the Megatron MLP on dp=2, tp=2: local shapes, no collective before the second matmul, and one all_reduce
// of the scalar loss over tp and dp at the end (the second matmul's partial sum flows through the mean, which
// divides by the global count).

// CHECK-LABEL: func.func @main
// CHECK-SAME: %arg0: tensor<2x6xf32> {weft.global_shape = array<i64: 4, 6>, weft.input = "x", weft.sharding = #weft.sharding<[{dp}, {}]>}
// CHECK-SAME: %arg1: tensor<6x4xf32> {weft.global_shape = array<i64: 6, 8>
// CHECK-SAME: %arg2: tensor<4x6xf32> {weft.global_shape = array<i64: 8, 6>
// CHECK-NEXT: %[[C:.*]] = weft.constant dense<0.0416666679> : tensor<f32>
// CHECK-NEXT: %[[H:.*]] = weft.matmul %arg0, %arg1 : tensor<2x6xf32>, tensor<6x4xf32>
// CHECK-NEXT: %[[A:.*]] = weft.tanh %[[H]] : tensor<2x4xf32>
// CHECK-NEXT: %[[Y:.*]] = weft.matmul %[[A]], %arg2 : tensor<2x4xf32>, tensor<4x6xf32>
// CHECK-NEXT: %[[S:.*]] = weft.reduce sum %[[Y]] dims = [0, 1] : tensor<2x6xf32>
// CHECK-NEXT: %[[M:.*]] = weft.mul %[[S]], %[[C]] : tensor<f32>
// CHECK-NEXT: %[[R:.*]] = weft.all_reduce sum %[[M]] axes = ["tp", "dp"] : tensor<f32>
// CHECK-NEXT: return %[[R]]
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

// Tests the vocabulary-parallel lookup and log-sum-exp over 11 rows on tp=4 (3 rows per rank, the last rank's
// last row padding): the lookup masks rows other ranks own and all-reduces the sum; the max is masked with -inf
// and all-reduced with max; the sum of exp is masked with 0 and all-reduced before the log.

// CHECK-LABEL: func.func @main
// CHECK-SAME: %arg0: tensor<3x8xf32> {weft.global_shape = array<i64: 11, 8>
// CHECK-DAG: %[[NEGINF:.*]] = weft.constant dense<0xFF800000> : tensor<6x3xf32>
// CHECK-DAG: %[[ELEVEN:.*]] = weft.constant dense<11> : tensor<6x3xi64>
// CHECK: %[[IDX:.*]] = weft.axis_index axes = ["tp"] : tensor<i64>
// CHECK: %[[LOCAL:.*]] = weft.sub %arg1, %{{.*}} : tensor<6xi64>
// CHECK: %[[OWNED:.*]] = weft.compare eq, %[[CLAMPED:.*]], %[[LOCAL]] : tensor<6xi64>
// CHECK: %[[ROWS:.*]] = weft.gather %arg0[%[[CLAMPED]]] : tensor<3x8xf32>, tensor<6xi64>
// CHECK: %[[EMB:.*]] = weft.all_reduce sum %{{.*}} axes = ["tp"] : tensor<6x8xf32>
// CHECK: %[[LOGITS:.*]] = weft.matmul %[[EMB]], %arg0 {transpose_rhs} : tensor<6x8xf32>, tensor<3x8xf32>
// CHECK: %[[VALID:.*]] = weft.compare lt, %{{.*}}, %[[ELEVEN]] : tensor<6x3xi64>
// CHECK: weft.select %[[VALID]], %[[LOGITS]], %[[NEGINF]]
// CHECK: weft.reduce max
// CHECK: weft.all_reduce max %{{.*}} axes = ["tp"] : tensor<6xf32>
// CHECK: weft.exp
// CHECK: weft.reduce sum
// CHECK: %[[SUM:.*]] = weft.all_reduce sum %{{.*}} axes = ["tp"] : tensor<6xf32>
// CHECK: weft.log %[[SUM]]
module attributes {weft.mesh = #weft.mesh<tp = 4>} {
  func.func @main(%wte: tensor<11x8xf32> {weft.param = "wte", weft.sharding = #weft.sharding<[{tp}, {}]>},
                  %ids: tensor<6xi64> {weft.input = "ids"})
      -> (tensor<6xf32> {weft.output = "lse"}, tensor<6x8xf32> {weft.output = "emb"}) {
    %e = weft.gather %wte[%ids] : tensor<11x8xf32>, tensor<6xi64>
    %l = weft.matmul %e, %wte {transpose_rhs} : tensor<6x8xf32>, tensor<11x8xf32>
    %m = weft.reduce max %l dims = [1] : tensor<6x11xf32>
    %mb = weft.broadcast %m dims = [0] : tensor<6xf32> -> tensor<6x11xf32>
    %s = weft.sub %l, %mb : tensor<6x11xf32>
    %x = weft.exp %s : tensor<6x11xf32>
    %t = weft.reduce sum %x dims = [1] : tensor<6x11xf32>
    %lg = weft.log %t : tensor<6xf32>
    return %lg, %e : tensor<6xf32>, tensor<6x8xf32>
  }
}

// -----

// Tests resharding at the return: a value split over dp is all-gathered for an output without a hint (outputs
// are whole by default), and a parameter's update keeps the parameter's split (no collective).

// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<8x3xf32> {weft.global_shape = array<i64: 8, 3>, weft.output = "y", weft.sharding = #weft.sharding<[{}, {}]>}, tensor<2x3xf32> {weft.global_shape = array<i64: 8, 3>, weft.sharding = #weft.sharding<[{dp}, {}]>, weft.update = "p"})
// CHECK: %[[E:.*]] = weft.exp %arg0 : tensor<2x3xf32>
// CHECK: %[[U:.*]] = weft.add %[[E]], %arg1 : tensor<2x3xf32>
// CHECK: %[[G:.*]] = weft.all_gather %[[E]] axes = ["dp"] dim = 0 : tensor<2x3xf32> -> tensor<8x3xf32>
// CHECK: return %[[G]], %[[U]]
module attributes {weft.mesh = #weft.mesh<dp = 4>} {
  func.func @main(%x: tensor<8x3xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{dp}, {}]>},
                  %p: tensor<8x3xf32> {weft.param = "p", weft.sharding = #weft.sharding<[{dp}, {}]>})
      -> (tensor<8x3xf32> {weft.output = "y"}, tensor<8x3xf32> {weft.update = "p"}) {
    %e = weft.exp %x : tensor<8x3xf32>
    %u = weft.add %e, %p : tensor<8x3xf32>
    return %e, %u : tensor<8x3xf32>, tensor<8x3xf32>
  }
}

// -----

// Tests a split moving from the sequence to the hidden dimension (sequence <-> heads): one all_to_all over the
// dimension's blocks (moved to the front, as the runtime exchanges contiguous blocks), the received pieces merged
// into the sequence; nothing is gathered.

// CHECK-LABEL: func.func @main
// CHECK-SAME: %arg0: tensor<2x4x6xf32>
// CHECK-SAME: -> (tensor<2x8x3xf32>
// CHECK-NOT: weft.all_gather
// CHECK: %[[V:.*]] = weft.reshape %{{.*}} : tensor<2x4x6xf32> -> tensor<2x4x2x3xf32>
// CHECK: %[[T:.*]] = weft.transpose %[[V]] permutation = [2, 0, 1, 3] : tensor<2x4x2x3xf32>
// CHECK: %[[A:.*]] = weft.all_to_all %[[T]] axes = ["tp"] split_dim = 0 concat_dim = 0 : tensor<2x2x4x3xf32> -> tensor<2x2x4x3xf32>
// CHECK: %[[B:.*]] = weft.transpose %[[A]] permutation = [1, 0, 2, 3] : tensor<2x2x4x3xf32>
// CHECK: %[[R:.*]] = weft.reshape %[[B]] : tensor<2x2x4x3xf32> -> tensor<2x8x3xf32>
// CHECK-NOT: weft.all_gather
// CHECK: return %[[R]]
module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  func.func @main(%x: tensor<2x8x6xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{}, {tp}, {}]>})
      -> (tensor<2x8x6xf32> {weft.output = "y", weft.sharding = #weft.sharding<[{}, {}, {tp}]>}) {
    %e = weft.exp %x : tensor<2x8x6xf32>
    return %e : tensor<2x8x6xf32>
  }
}

// -----

// Tests an all_to_all between uneven dimensions on tp=4: 6 rows (2 per rank) become whole and 5 columns become
// 2 per rank; the columns are padded with zeros to 8 before the exchange, the rows' padding is cut off after.

// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<6x2xf32>
// CHECK-NOT: weft.all_gather
// CHECK: %[[P:.*]] = weft.concat %{{.*}}, %{{.*}} dim = 1 : tensor<2x5xf32>, tensor<2x3xf32>
// CHECK: %[[V:.*]] = weft.reshape %[[P]] : tensor<2x8xf32> -> tensor<2x4x2xf32>
// CHECK: %[[T:.*]] = weft.transpose %[[V]] permutation = [1, 0, 2] : tensor<2x4x2xf32>
// CHECK: %[[A:.*]] = weft.all_to_all %[[T]] axes = ["tp"] split_dim = 0 concat_dim = 0 : tensor<4x2x2xf32> -> tensor<4x2x2xf32>
// CHECK: %[[R:.*]] = weft.reshape %[[A]] : tensor<4x2x2xf32> -> tensor<8x2xf32>
// CHECK: %[[S:.*]] = weft.slice %[[R]] start = [0, 0] limit = [6, 2]
// CHECK: return %[[S]]
module attributes {weft.mesh = #weft.mesh<tp = 4>} {
  func.func @main(%x: tensor<6x5xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{tp}, {}]>})
      -> (tensor<6x5xf32> {weft.output = "y", weft.sharding = #weft.sharding<[{}, {tp}]>}) {
    %e = weft.exp %x : tensor<6x5xf32>
    return %e : tensor<6x5xf32>
  }
}

// -----

// Tests which moves of a split are one all_to_all on dp=2, tp=2: over the same two axes, yes (one group of 4);
// from dp to tp, no: the other axes' ranks hold other pieces, so the split is gathered and sliced.

// CHECK-LABEL: func.func @main
// CHECK: weft.all_to_all %{{.*}} axes = ["dp", "tp"] split_dim = 0 concat_dim = 0 : tensor<4x2x2xf32> -> tensor<4x2x2xf32>
// CHECK-NOT: weft.all_to_all
// CHECK: weft.all_gather %{{.*}} axes = ["dp"] dim = 0 : tensor<4x8xf32> -> tensor<8x8xf32>
// CHECK: weft.axis_index axes = ["tp"]
module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 2>} {
  func.func @main(%x: tensor<8x8xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{dp, tp}, {}]>},
                  %z: tensor<8x8xf32> {weft.input = "z", weft.sharding = #weft.sharding<[{dp}, {}]>})
      -> (tensor<8x8xf32> {weft.output = "y", weft.sharding = #weft.sharding<[{}, {dp, tp}]>},
          tensor<8x8xf32> {weft.output = "w", weft.sharding = #weft.sharding<[{}, {tp}]>}) {
    return %x, %z : tensor<8x8xf32>, tensor<8x8xf32>
  }
}

// -----

// Tests a partial sum through a whole constraint read once (the gradient of an all-gathered activation): the
// sum is not all-reduced there but reduce-scattered into the split the next constraint asks for.

// CHECK-LABEL: func.func @main
// CHECK-NOT: weft.all_reduce
// CHECK: %[[M:.*]] = weft.matmul %arg0, %arg1 : tensor<4x4xf32>, tensor<4x6xf32>
// CHECK-NOT: weft.all_reduce
// CHECK: weft.reduce_scatter sum %[[M]] axes = ["tp"] dim = 0 : tensor<4x6xf32> -> tensor<2x6xf32>
// CHECK-NOT: weft.all_reduce
module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  func.func @main(%x: tensor<4x8xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{}, {tp}]>},
                  %w: tensor<8x6xf32> {weft.param = "w", weft.sharding = #weft.sharding<[{tp}, {}]>})
      -> (tensor<4x6xf32> {weft.output = "y", weft.sharding = #weft.sharding<[{tp}, {}]>}) {
    %m = weft.matmul %x, %w : tensor<4x8xf32>, tensor<8x6xf32>
    %whole = weft.sharding_constraint %m {sharding = #weft.sharding<[{}, {}]>} : tensor<4x6xf32>
    %rows = weft.sharding_constraint %whole {sharding = #weft.sharding<[{tp}, {}]>} : tensor<4x6xf32>
    %e = weft.exp %rows : tensor<4x6xf32>
    return %e : tensor<4x6xf32>
  }
}

// -----

// Tests a partial sum read by two ops, both of which want it split by rows: it is reduce-scattered once at the
// matmul, not all-reduced.

// CHECK-LABEL: func.func @main
// CHECK-NOT: weft.all_reduce
// CHECK: %[[M:.*]] = weft.matmul %arg0, %arg1 : tensor<4x4xf32>, tensor<4x6xf32>
// CHECK-NEXT: %[[S:.*]] = weft.reduce_scatter sum %[[M]] axes = ["tp"] dim = 0 : tensor<4x6xf32> -> tensor<2x6xf32>
// CHECK-DAG: weft.exp %[[S]] : tensor<2x6xf32>
// CHECK-DAG: weft.tanh %[[S]] : tensor<2x6xf32>
// CHECK-NOT: weft.all_reduce
module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  func.func @main(%x: tensor<4x8xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{}, {tp}]>},
                  %w: tensor<8x6xf32> {weft.param = "w", weft.sharding = #weft.sharding<[{tp}, {}]>})
      -> (tensor<4x6xf32> {weft.output = "e", weft.sharding = #weft.sharding<[{tp}, {}]>},
          tensor<4x6xf32> {weft.output = "t", weft.sharding = #weft.sharding<[{tp}, {}]>}) {
    %m = weft.matmul %x, %w : tensor<4x8xf32>, tensor<8x6xf32>
    %e = weft.exp %m : tensor<4x6xf32>
    %t = weft.tanh %m : tensor<4x6xf32>
    %ce = weft.sharding_constraint %e {sharding = #weft.sharding<[{tp}, {}]>} : tensor<4x6xf32>
    %ct = weft.sharding_constraint %t {sharding = #weft.sharding<[{tp}, {}]>} : tensor<4x6xf32>
    return %ce, %ct : tensor<4x6xf32>, tensor<4x6xf32>
  }
}
