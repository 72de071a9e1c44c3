// RUN: weft-opt %s -split-input-file -weft-schedule | FileCheck %s
// RUN: not weft-opt %s -split-input-file -weft-schedule=alignment=3 2>&1 | FileCheck %s --check-prefix=BAD-ALIGN

// BAD-ALIGN: error: weft-schedule alignment must be a power of two, got 3; hint: use 64 for CPU or 256 for GPU

// Tests that weft-schedule reduces one large temporary before making the next: the input order keeps both
// 4 KiB temporaries and the input live together (12288 bytes), the new order at most two (8256 bytes).

// CHECK-LABEL: func.func @two_branches
// CHECK-NEXT: %[[E:.*]] = weft.exp %arg0
// CHECK-NEXT: %[[R0:.*]] = weft.reduce sum %[[E]]
// CHECK-NEXT: %[[T:.*]] = weft.tanh %arg0
// CHECK-NEXT: %[[R1:.*]] = weft.reduce sum %[[T]]
// CHECK-NEXT: weft.add %[[R0]], %[[R1]]
func.func @two_branches(%x: tensor<1024xf32> {weft.input = "x"}) -> tensor<f32> {
  %0 = weft.exp %x : tensor<1024xf32>
  %1 = weft.tanh %x : tensor<1024xf32>
  %2 = weft.reduce sum %0 dims = [0] : tensor<1024xf32>
  %3 = weft.reduce sum %1 dims = [0] : tensor<1024xf32>
  %4 = weft.add %2, %3 : tensor<f32>
  return %4 : tensor<f32>
}

// -----

// Tests that a transpose of a parameter, which only allocates, moves down to where its result is needed, after
// the 64 KiB temporary has been reduced.

// CHECK-LABEL: func.func @delay_allocation
// CHECK-NEXT: weft.exp
// CHECK-NEXT: weft.reduce
// CHECK-NEXT: weft.broadcast
// CHECK-NEXT: weft.transpose
// CHECK-NEXT: weft.add
func.func @delay_allocation(%x: tensor<64x256xf32> {weft.input = "x"},
                            %w: tensor<64x64xf32> {weft.param = "w"}) -> tensor<64x64xf32> {
  %0 = weft.transpose %w permutation = [1, 0] : tensor<64x64xf32>
  %1 = weft.exp %x : tensor<64x256xf32>
  %2 = weft.reduce sum %1 dims = [1] : tensor<64x256xf32>
  %3 = weft.broadcast %2 dims = [0] : tensor<64xf32> -> tensor<64x64xf32>
  %4 = weft.add %3, %0 : tensor<64x64xf32>
  return %4 : tensor<64x64xf32>
}

// -----

// Tests that an order whose peak cannot be lowered is kept as it is, including the position of ops that could
// move (the constant and the reshape).

// CHECK-LABEL: func.func @keep_order
// CHECK-NEXT: weft.constant
// CHECK-NEXT: weft.reshape
// CHECK-NEXT: weft.mul
// CHECK-NEXT: weft.neg
// CHECK-NEXT: return
func.func @keep_order(%x: tensor<4x8xf32> {weft.input = "x"}) -> tensor<32xf32> {
  %c = weft.constant dense<2.0> : tensor<32xf32>
  %0 = weft.reshape %x : tensor<4x8xf32> -> tensor<32xf32>
  %1 = weft.mul %0, %c : tensor<32xf32>
  %2 = weft.neg %1 : tensor<32xf32>
  return %2 : tensor<32xf32>
}

// -----

// Tests that an op with side effects (a call) is a barrier: the reduction of the first branch, which would
// otherwise move above the tanh as in @two_branches, stays below the call.

func.func private @observe(tensor<1024xf32>)

// CHECK-LABEL: func.func @side_effect_barrier
// CHECK-NEXT: weft.exp
// CHECK-NEXT: weft.tanh
// CHECK-NEXT: call @observe
// CHECK-NEXT: weft.reduce
// CHECK-NEXT: weft.reduce
// CHECK-NEXT: weft.add
func.func @side_effect_barrier(%x: tensor<1024xf32> {weft.input = "x"}) -> tensor<f32> {
  %0 = weft.exp %x : tensor<1024xf32>
  %1 = weft.tanh %x : tensor<1024xf32>
  func.call @observe(%x) : (tensor<1024xf32>) -> ()
  %2 = weft.reduce sum %0 dims = [0] : tensor<1024xf32>
  %3 = weft.reduce sum %1 dims = [0] : tensor<1024xf32>
  %4 = weft.add %2, %3 : tensor<f32>
  return %4 : tensor<f32>
}

// -----

// Tests that a copy made by weft-recompute (weft.recomputed) stays after the op that preceded it: run right
// after %y, it would let %y die early (peak 8256 bytes instead of 12288), but it belongs to the backward pass.

// CHECK-LABEL: func.func @recomputed_stays
// CHECK-NEXT: weft.exp %arg0
// CHECK-NEXT: weft.tanh
// CHECK-NEXT: weft.exp
// CHECK-NEXT: weft.reduce sum
// CHECK-NEXT: weft.reduce sum {{.*}}weft.recomputed = 0
// CHECK-NEXT: weft.add
func.func @recomputed_stays(%x: tensor<1024xf32> {weft.input = "x"}) -> tensor<f32> {
  %y = weft.exp %x : tensor<1024xf32>
  %z = weft.tanh %y : tensor<1024xf32>
  %w = weft.exp %z : tensor<1024xf32>
  %s = weft.reduce sum %w dims = [0] : tensor<1024xf32>
  %r = weft.reduce sum %y dims = [0] {weft.recomputed = 0 : i64} : tensor<1024xf32>
  %t = weft.add %s, %r : tensor<f32>
  return %t : tensor<f32>
}
