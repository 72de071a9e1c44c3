// RUN: weft-opt %s -split-input-file -weft-fuse-elementwise | FileCheck %s

// Tests that a chain of elementwise ops becomes one weft.fusion reading its input once.

// CHECK-LABEL: func.func @chain
// CHECK-NEXT: %[[F:.*]] = weft.fusion %arg0 : (tensor<4x8xf32>) -> tensor<4x8xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x8xf32>):
// CHECK-NEXT:   %[[A:.*]] = weft.neg %[[X]]
// CHECK-NEXT:   %[[B:.*]] = weft.exp %[[A]]
// CHECK-NEXT:   %[[C:.*]] = weft.tanh %[[B]]
// CHECK-NEXT:   weft.yield %[[C]] : tensor<4x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = weft.neg %x : tensor<4x8xf32>
  %1 = weft.exp %0 : tensor<4x8xf32>
  %2 = weft.tanh %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// Tests that a tree (two branches joined) with a bias broadcast and a splat constant becomes one weft.fusion: the
// input read by both branches is one operand, the broadcast reads the [8] bias, the constant is region-local.

// CHECK-LABEL: func.func @tree
// CHECK-NEXT: %[[F:.*]] = weft.fusion %arg0, %arg1 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8xf32>):
// CHECK-DAG:    weft.exp %[[X]]
// CHECK-DAG:    weft.broadcast %[[B]] dims = [1]
// CHECK-DAG:    weft.constant dense<5.000000e-01>
// CHECK:        weft.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
// CHECK-NOT: weft.
func.func @tree(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %c = weft.constant dense<0.5> : tensor<4x8xf32>
  %0 = weft.exp %x : tensor<4x8xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %1 = weft.add %x, %bb : tensor<4x8xf32>
  %2 = weft.mul %1, %c : tensor<4x8xf32>
  %3 = weft.sub %0, %2 : tensor<4x8xf32>
  return %3 : tensor<4x8xf32>
}

// -----

// Tests that softmax (max-reduce, subtract, exp, sum-reduce, divide, with the row statistics broadcast) becomes
// one weft.fusion with the scores as its only operand and the probabilities as its only result.

// CHECK-LABEL: func.func @softmax
// CHECK-NEXT: %[[F:.*]] = weft.fusion %arg0 : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<2x4x8xf32>):
// CHECK-NEXT:   %[[M:.*]] = weft.reduce max %[[S]] dims = [2]
// CHECK-NEXT:   %[[MB:.*]] = weft.broadcast %[[M]] dims = [0, 1]
// CHECK-NEXT:   %[[D:.*]] = weft.sub %[[S]], %[[MB]]
// CHECK-NEXT:   %[[E:.*]] = weft.exp %[[D]]
// CHECK-NEXT:   %[[Z:.*]] = weft.reduce sum %[[E]] dims = [2]
// CHECK-NEXT:   %[[ZB:.*]] = weft.broadcast %[[Z]] dims = [0, 1]
// CHECK-NEXT:   %[[P:.*]] = weft.div %[[E]], %[[ZB]]
// CHECK-NEXT:   weft.yield %[[P]] : tensor<2x4x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @softmax(%s: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %m = weft.reduce max %s dims = [2] : tensor<2x4x8xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %d = weft.sub %s, %mb : tensor<2x4x8xf32>
  %e = weft.exp %d : tensor<2x4x8xf32>
  %z = weft.reduce sum %e dims = [2] : tensor<2x4x8xf32>
  %zb = weft.broadcast %z dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %p = weft.div %e, %zb : tensor<2x4x8xf32>
  return %p : tensor<2x4x8xf32>
}

// -----

// Tests that the leftovers of a layer norm that weft-fuse-layernorm cannot take (epsilon inside the mean) fuse into
// one kernel with two reductions, and that the row mean, also returned, is a second result (written once, not
// recomputed).

// CHECK-LABEL: func.func @layer_norm_like
// CHECK-NEXT: %[[F:.*]]:2 = weft.fusion %arg0 : (tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
// CHECK:        weft.reduce mean
// CHECK:        weft.reduce mean
// CHECK:        weft.rsqrt
// CHECK:        weft.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]#1, %[[F]]#0
func.func @layer_norm_like(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>) {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4x8xf32>
  %sqe = weft.add %sq, %eps : tensor<4x8xf32>
  %v = weft.reduce mean %sqe dims = [1] : tensor<4x8xf32>
  %r = weft.rsqrt %v : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %y = weft.mul %xc, %rb : tensor<4x8xf32>
  return %y, %m : tensor<4x8xf32>, tensor<4xf32>
}

// -----

// Tests that A -> matmul -> C is not fused into one group through the unfused matmul: exp (A) and the add (C)
// stay in different kernels, and the exp stays a lone op (a group of one is already one kernel).

// CHECK-LABEL: func.func @path_through_unfused_op
// CHECK-NEXT: %[[A:.*]] = weft.exp %arg0
// CHECK-NEXT: %[[B:.*]] = weft.matmul %[[A]], %arg1
// CHECK-NEXT: %[[C:.*]] = weft.fusion %[[A]], %[[B]] : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<8x8xf32>, %[[Y:.*]]: tensor<8x8xf32>):
// CHECK-NEXT:   %[[S:.*]] = weft.add %[[X]], %[[Y]]
// CHECK-NEXT:   %[[T:.*]] = weft.tanh %[[S]]
// CHECK-NEXT:   weft.yield %[[T]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[C]]
func.func @path_through_unfused_op(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %a = weft.exp %x : tensor<8x8xf32>
  %b = weft.matmul %a, %w : tensor<8x8xf32>, tensor<8x8xf32>
  %c = weft.add %a, %b : tensor<8x8xf32>
  %d = weft.tanh %c : tensor<8x8xf32>
  return %d : tensor<8x8xf32>
}

// -----

// Tests that a value with a consumer outside the group (here a matmul) is a result of the group and is not
// recomputed: the exp appears once, in the fusion, and the matmul reads the fusion's result.

// CHECK-LABEL: func.func @shared_value_stays_output
// CHECK-NEXT: %[[F:.*]]:2 = weft.fusion %arg0 : (tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<8x8xf32>):
// CHECK-NEXT:   %[[N:.*]] = weft.neg %[[X]]
// CHECK-NEXT:   %[[E:.*]] = weft.exp %[[N]]
// CHECK-NEXT:   %[[T:.*]] = weft.tanh %[[E]]
// CHECK-NEXT:   weft.yield %[[E]], %[[T]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[M:.*]] = weft.matmul %[[F]]#0, %arg1
// CHECK-NEXT: return %[[F]]#1, %[[M]]
// CHECK-NOT: weft.exp
func.func @shared_value_stays_output(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %n = weft.neg %x : tensor<8x8xf32>
  %e = weft.exp %n : tensor<8x8xf32>
  %t = weft.tanh %e : tensor<8x8xf32>
  %m = weft.matmul %e, %w : tensor<8x8xf32>, tensor<8x8xf32>
  return %t, %m : tensor<8x8xf32>, tensor<8x8xf32>
}

// -----

// Tests that a broadcast used by two groups separated by an unfused op is recomputed in each (cheaper than reading
// the broadcast tensor back), while the original broadcast, also used by the matmul, stays.

// CHECK-LABEL: func.func @broadcast_recomputed
// CHECK-NEXT: %[[BB:.*]] = weft.broadcast %arg1
// CHECK-NEXT: %[[F1:.*]] = weft.fusion %arg1, %arg0 :
// CHECK:        weft.broadcast
// CHECK:        weft.add
// CHECK:      %[[M:.*]] = weft.matmul %[[F1]], %[[BB]]
// CHECK-NEXT: %[[F2:.*]] = weft.fusion %arg1, %[[M]] :
// CHECK:        weft.broadcast
// CHECK:        weft.mul
// CHECK:      return %[[F2]]
func.func @broadcast_recomputed(%x: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<8x8xf32> {
  %bb = weft.broadcast %b dims = [1] : tensor<8xf32> -> tensor<8x8xf32>
  %a = weft.add %x, %bb : tensor<8x8xf32>
  %m = weft.matmul %a, %bb : tensor<8x8xf32>, tensor<8x8xf32>
  %y = weft.mul %m, %bb : tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}

// -----

// Tests that ops that are never fused (gather, reshape, transpose, slice, contractions, the other fused ops) stay
// outside, and a lone elementwise op (one kernel already) is not wrapped.

// CHECK-LABEL: func.func @nothing_to_fuse
// CHECK-NOT: weft.fusion
// CHECK: return
func.func @nothing_to_fuse(%t: tensor<16x4xf32>, %i: tensor<3xi64>, %g: tensor<4xf32>) -> tensor<4x3xf32> {
  %e = weft.gather %t[%i] : tensor<16x4xf32>, tensor<3xi64>
  %n, %mean, %rstd = weft.layer_norm %e, %g epsilon = 1.000000e-05 : tensor<3x4xf32>, tensor<4xf32>
  %r = weft.transpose %n permutation = [1, 0] : tensor<3x4xf32>
  %x = weft.exp %r : tensor<4x3xf32>
  return %x : tensor<4x3xf32>
}

// -----

// Tests that a cast between a bf16 matmul and a reshape moves below the reshape and joins the consumers' group: the
// group reads the bf16 product and widens it itself (no cast kernel writing an f32 copy).

// CHECK-LABEL: func.func @cast_sinks_below_reshape
// CHECK-NEXT: %[[M:.*]] = weft.matmul %arg0, %arg1 : tensor<4x8xbf16>, tensor<8x6xbf16>
// CHECK-NEXT: %[[R:.*]] = weft.reshape %[[M]] : tensor<4x6xbf16> -> tensor<2x2x6xbf16>
// CHECK-NEXT: %[[F:.*]] = weft.fusion %[[R]] : (tensor<2x2x6xbf16>) -> tensor<2x2x6xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<2x2x6xbf16>):
// CHECK-NEXT:   %[[C:.*]] = weft.cast %[[X]] : tensor<2x2x6xbf16> -> tensor<2x2x6xf32>
// CHECK-NEXT:   %[[T:.*]] = weft.tanh %[[C]]
// CHECK-NEXT:   weft.yield %[[T]] : tensor<2x2x6xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @cast_sinks_below_reshape(%a: tensor<4x8xbf16>, %b: tensor<8x6xbf16>) -> tensor<2x2x6xf32> {
  %m = weft.matmul %a, %b : tensor<4x8xbf16>, tensor<8x6xbf16>
  %c = weft.cast %m : tensor<4x6xbf16> -> tensor<4x6xf32>
  %r = weft.reshape %c : tensor<4x6xf32> -> tensor<2x2x6xf32>
  %t = weft.tanh %r : tensor<2x2x6xf32>
  return %t : tensor<2x2x6xf32>
}

// -----

// Tests that a cast after a reshape of a fused value moves above the reshape into the producer's group: the group
// writes the bf16 matmul operand directly.

// CHECK-LABEL: func.func @cast_rises_above_reshape
// CHECK-NEXT: %[[F:.*]] = weft.fusion %arg0 : (tensor<2x2x8xf32>) -> tensor<2x2x8xbf16> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<2x2x8xf32>):
// CHECK-NEXT:   %[[T:.*]] = weft.tanh %[[X]]
// CHECK-NEXT:   %[[C:.*]] = weft.cast %[[T]] : tensor<2x2x8xf32> -> tensor<2x2x8xbf16>
// CHECK-NEXT:   weft.yield %[[C]] : tensor<2x2x8xbf16>
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.*]] = weft.reshape %[[F]] : tensor<2x2x8xbf16> -> tensor<4x8xbf16>
// CHECK-NEXT: %[[M:.*]] = weft.matmul %[[R]], %arg1
func.func @cast_rises_above_reshape(%x: tensor<2x2x8xf32>, %b: tensor<8x6xbf16>) -> tensor<4x6xbf16> {
  %t = weft.tanh %x : tensor<2x2x8xf32>
  %r = weft.reshape %t : tensor<2x2x8xf32> -> tensor<4x8xf32>
  %c = weft.cast %r : tensor<4x8xf32> -> tensor<4x8xbf16>
  %m = weft.matmul %c, %b : tensor<4x8xbf16>, tensor<8x6xbf16>
  return %m : tensor<4x6xbf16>
}

// -----

// Tests that a cast stays where it is when the reshape it would cross has another user (moving it would compute the
// value twice) or when no fusible op is on the other side.

// CHECK-LABEL: func.func @cast_stays
// CHECK-NEXT: %[[R:.*]] = weft.reshape %arg0 : tensor<2x2x8xf32> -> tensor<4x8xf32>
// CHECK-NEXT: %[[C:.*]] = weft.cast %[[R]] : tensor<4x8xf32> -> tensor<4x8xbf16>
// CHECK-NEXT: %[[M:.*]] = weft.matmul %[[C]], %arg1
// CHECK-NEXT: return %[[M]], %[[R]]
func.func @cast_stays(%x: tensor<2x2x8xf32>, %b: tensor<8x6xbf16>) -> (tensor<4x6xbf16>, tensor<4x8xf32>) {
  %r = weft.reshape %x : tensor<2x2x8xf32> -> tensor<4x8xf32>
  %c = weft.cast %r : tensor<4x8xf32> -> tensor<4x8xbf16>
  %m = weft.matmul %c, %b : tensor<4x8xbf16>, tensor<8x6xbf16>
  return %m, %r : tensor<4x6xbf16>, tensor<4x8xf32>
}

// -----

// Tests that a causal mask built from iotas, compare and select (it reads no tensor) is recomputed inside each group
// that uses it, even across an unfused op, instead of being written by one group and read back by the other.

// CHECK-LABEL: func.func @mask_recomputed
// CHECK: weft.fusion %arg0 : (tensor<4x4xf32>) -> tensor<4x4xf32> {
// CHECK: weft.iota
// CHECK: weft.compare
// CHECK: weft.select
// CHECK: weft.yield %{{.*}} : tensor<4x4xf32>
// CHECK: weft.matmul
// CHECK: weft.fusion %{{.*}} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
// CHECK: weft.iota
// CHECK: weft.compare
// CHECK: weft.select
// CHECK: weft.yield %{{.*}} : tensor<4x4xf32>
func.func @mask_recomputed(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = weft.iota dim = 0 : tensor<4x4xi64>
  %c = weft.iota dim = 1 : tensor<4x4xi64>
  %k = weft.compare ge, %r, %c : tensor<4x4xi64>
  %zero = weft.constant dense<0.0> : tensor<4x4xf32>
  %low = weft.constant dense<-1.0e9> : tensor<4x4xf32>
  %mask = weft.select %k, %zero, %low : tensor<4x4xi1>, tensor<4x4xf32>
  %a = weft.add %x, %mask : tensor<4x4xf32>
  %e = weft.exp %a : tensor<4x4xf32>
  %m = weft.matmul %e, %e : tensor<4x4xf32>, tensor<4x4xf32>
  %b = weft.add %m, %mask : tensor<4x4xf32>
  %t = weft.tanh %b : tensor<4x4xf32>
  return %t : tensor<4x4xf32>
}

// -----

// Tests that a broadcast of a row statistic used on both sides of an unfused op is broadcast inside each group: the
// first group yields the [4] row sum, not the broadcast [4, 8] tensor (what a softmax forward hands its backward).

// CHECK-LABEL: func.func @broadcast_joins_its_user
// CHECK: %[[F:.*]]:2 = weft.fusion %arg0 : (tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
// CHECK: weft.reduce  sum
// CHECK: weft.yield %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4x8xf32>
// CHECK: %[[M:.*]] = weft.matmul %[[F]]#1
// CHECK: weft.fusion %[[F]]#0, %[[M]] : (tensor<4xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: weft.broadcast
// CHECK-NEXT: weft.div
func.func @broadcast_joins_its_user(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %e = weft.exp %x : tensor<4x8xf32>
  %s = weft.reduce sum %e dims = [1] : tensor<4x8xf32>
  %sb = weft.broadcast %s dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %y = weft.div %e, %sb : tensor<4x8xf32>
  %m = weft.matmul %y, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %g = weft.div %m, %sb : tensor<4x8xf32>
  return %g : tensor<4x8xf32>
}

// -----

// Tests that two groups linked only by scalars stay apart (the gradient-norm clipping of a bf16 training step):
// each gradient is cast and squared by a kernel of its own, right where it is made, instead of one kernel at the
// end of the backward pass holding every bf16 gradient and its f32 copy at once. The scalar chain (add, sqrt)
// joins the group of one of its producers.

// CHECK-LABEL: func.func @sums_of_squares_apart
// CHECK-NEXT: %[[A:.*]]:2 = weft.fusion %arg1 : (tensor<8xbf16>) -> (tensor<8xf32>, tensor<f32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   weft.cast
// CHECK-NEXT:   weft.mul
// CHECK-NEXT:   weft.reduce  sum
// CHECK-NEXT:   weft.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[B:.*]]:2 = weft.fusion %arg0, %[[A]]#1 : (tensor<4x8xbf16>, tensor<f32>) -> (tensor<4x8xf32>, tensor<f32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   weft.cast
// CHECK-NEXT:   weft.mul
// CHECK-NEXT:   weft.reduce  sum
// CHECK-NEXT:   weft.add
// CHECK-NEXT:   weft.sqrt
// CHECK-NEXT:   weft.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[B]]#0, %[[A]]#0, %[[B]]#1
func.func @sums_of_squares_apart(%g1: tensor<4x8xbf16>, %g2: tensor<8xbf16>) -> (tensor<4x8xf32>, tensor<8xf32>, tensor<f32>) {
  %c1 = weft.cast %g1 : tensor<4x8xbf16> -> tensor<4x8xf32>
  %q1 = weft.mul %c1, %c1 : tensor<4x8xf32>
  %r1 = weft.reduce sum %q1 dims = [0, 1] : tensor<4x8xf32>
  %c2 = weft.cast %g2 : tensor<8xbf16> -> tensor<8xf32>
  %q2 = weft.mul %c2, %c2 : tensor<8xf32>
  %r2 = weft.reduce sum %q2 dims = [0] : tensor<8xf32>
  %s = weft.add %r1, %r2 : tensor<f32>
  %n = weft.sqrt %s : tensor<f32>
  return %c1, %c2, %n : tensor<4x8xf32>, tensor<8xf32>, tensor<f32>
}

// -----

// Tests that ops reading one scalar through broadcasts stay apart from each other and from the group computing
// it when that group computes wide tensors (f16 updates reading one loss-scaling flag must not become one kernel
// of every update): three kernels, the scalar passed unbroadcast.

// CHECK-LABEL: func.func @scalar_readers_apart
// CHECK-NEXT: %[[S:.*]] = weft.fusion %arg0 : (tensor<16xf32>) -> tensor<f32> {
// CHECK:      %[[Y1:.*]] = weft.fusion %[[S]], %arg1 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   weft.broadcast
// CHECK-NEXT:   weft.mul
// CHECK-NEXT:   weft.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[Y2:.*]] = weft.fusion %[[S]], %arg2 : (tensor<f32>, tensor<8x4xf32>) -> tensor<8x4xf32> {
// CHECK:      return %[[Y1]], %[[Y2]]
func.func @scalar_readers_apart(%x: tensor<16xf32>, %p1: tensor<4x8xf32>, %p2: tensor<8x4xf32>) -> (tensor<4x8xf32>, tensor<8x4xf32>) {
  %q = weft.mul %x, %x : tensor<16xf32>
  %s = weft.reduce sum %q dims = [0] : tensor<16xf32>
  %b1 = weft.broadcast %s dims = [] : tensor<f32> -> tensor<4x8xf32>
  %y1 = weft.mul %p1, %b1 : tensor<4x8xf32>
  %b2 = weft.broadcast %s dims = [] : tensor<f32> -> tensor<8x4xf32>
  %y2 = weft.mul %p2, %b2 : tensor<8x4xf32>
  return %y1, %y2 : tensor<4x8xf32>, tensor<8x4xf32>
}

// -----

// Tests that cheap arithmetic over broadcasts and iotas is copied into each group that uses it: the vocabulary
// shard's mask `iota + offset < 8` is rebuilt by the kernel before the unfused matmul and by the one after it from
// the scalar offset, so no [4, 8] i1 mask is yielded by one kernel and read back by another.

// CHECK-LABEL: func.func @shard_mask
// CHECK:      weft.fusion %arg0, %arg1 : (tensor<i64>, tensor<4x8xf32>) -> tensor<4x8xf32> {
// CHECK:        weft.iota
// CHECK:        weft.compare lt
// CHECK:        weft.yield %{{.*}} : tensor<4x8xf32>
// CHECK:      weft.matmul
// CHECK:      weft.fusion %arg0, %{{.*}} : (tensor<i64>, tensor<4x8xf32>) -> tensor<4x8xf32> {
// CHECK:        weft.iota
// CHECK:        weft.compare lt
// CHECK:        weft.yield %{{.*}} : tensor<4x8xf32>
// CHECK-NOT: xi1>)
func.func @shard_mask(%offset: tensor<i64>, %x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %vocab = weft.constant dense<8> : tensor<4x8xi64>
  %zero = weft.constant dense<0.0> : tensor<4x8xf32>
  %iota = weft.iota dim = 1 : tensor<4x8xi64>
  %off = weft.broadcast %offset dims = [] : tensor<i64> -> tensor<4x8xi64>
  %column = weft.add %iota, %off : tensor<4x8xi64>
  %mask = weft.compare lt, %column, %vocab : tensor<4x8xi64>
  %kept = weft.select %mask, %x, %zero : tensor<4x8xi1>, tensor<4x8xf32>
  %p = weft.matmul %kept, %kept {transpose_rhs} : tensor<4x8xf32>, tensor<4x8xf32>
  %q = weft.matmul %p, %kept : tensor<4x4xf32>, tensor<4x8xf32>
  %r = weft.select %mask, %q, %zero : tensor<4x8xi1>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
