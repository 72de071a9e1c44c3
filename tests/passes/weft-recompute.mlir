// RUN: weft-opt %s -split-input-file -weft-recompute | FileCheck %s

// Tests that a group's internal activation read by the backward pass (%t, read by the tanh gradient) is
// recomputed from the group's inputs just before the first backward op that reads it: the copies of the
// mul and the tanh carry weft.recomputed instead of weft.recompute and the backward reads the copy; the
// summary counts the two copies, their FLOPs and the 32 bytes of %t the backward no longer keeps.

// CHECK-LABEL: func.func @block
// CHECK-SAME: weft.recompute_summary = {added_flops = 16 : i64, groups = 1 : i64, kept_bytes_after = 0 : i64, kept_bytes_before = 32 : i64, ops = 2 : i64, step_flops = 48 : i64}
// CHECK: %[[H:.*]] = weft.mul %arg0, %arg1 {weft.recompute = 0 : i64}
// CHECK-NEXT: %[[T:.*]] = weft.tanh %[[H]] {weft.recompute = 0 : i64}
// CHECK-NEXT: %[[L:.*]] = weft.reduce sum %[[T]] dims = [0] {weft.recompute = 0 : i64}
// CHECK-NEXT: %[[ONE:.*]] = weft.constant
// CHECK-NEXT: %[[H2:.*]] = weft.mul %arg0, %arg1 {weft.recomputed = 0 : i64}
// CHECK-NEXT: %[[T2:.*]] = weft.tanh %[[H2]] {weft.recomputed = 0 : i64}
// CHECK-NEXT: %[[TT:.*]] = weft.mul %[[T2]], %[[T2]] : tensor<8xf32>
// CHECK-NEXT: %[[D:.*]] = weft.sub %[[ONE]], %[[TT]]
// CHECK-NEXT: %[[G:.*]] = weft.mul %[[D]], %arg0
// CHECK-NEXT: return %[[L]], %[[G]]
func.func @block(%x: tensor<8xf32> {weft.input = "x"}, %w: tensor<8xf32> {weft.param = "w"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<8xf32> {weft.output = "grad:w"}) {
  %h = weft.mul %x, %w {weft.recompute = 0 : i64} : tensor<8xf32>
  %t = weft.tanh %h {weft.recompute = 0 : i64} : tensor<8xf32>
  %l = weft.reduce sum %t dims = [0] {weft.recompute = 0 : i64} : tensor<8xf32>
  %one = weft.constant dense<1.0> : tensor<8xf32>
  %tt = weft.mul %t, %t : tensor<8xf32>
  %d = weft.sub %one, %tt : tensor<8xf32>
  %g = weft.mul %d, %x : tensor<8xf32>
  return %l, %g : tensor<f32>, tensor<8xf32>
}

// -----

// Tests that only what the backward reads is recomputed: %p (exp) feeds the loss but no backward op, so only
// the tanh is copied (one op, 8 FLOPs).

// CHECK-LABEL: func.func @unused_by_backward
// CHECK-SAME: added_flops = 8 : i64, groups = 1 : i64, kept_bytes_after = 0 : i64, kept_bytes_before = 32 : i64, ops = 1 : i64
// CHECK: weft.exp %arg0 {weft.recompute = 0 : i64}
// CHECK: weft.tanh %arg0 {weft.recompute = 0 : i64}
// CHECK-NOT: weft.exp
// CHECK: %[[Q2:.*]] = weft.tanh %arg0 {weft.recomputed = 0 : i64}
// CHECK-NOT: weft.exp
// CHECK: weft.mul %[[Q2]], %[[Q2]]
// CHECK-NOT: weft.recomputed
func.func @unused_by_backward(%x: tensor<8xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<8xf32> {weft.output = "grad:x"}) {
  %p = weft.exp %x {weft.recompute = 0 : i64} : tensor<8xf32>
  %q = weft.tanh %x {weft.recompute = 0 : i64} : tensor<8xf32>
  %s = weft.add %p, %q {weft.recompute = 0 : i64} : tensor<8xf32>
  %l = weft.reduce sum %s dims = [0] {weft.recompute = 0 : i64} : tensor<8xf32>
  %qq = weft.mul %q, %q : tensor<8xf32>
  %g = weft.mul %qq, %x : tensor<8xf32>
  return %l, %g : tensor<f32>, tensor<8xf32>
}

// -----

// Tests that a value computed outside the group (%u) is not copied: the copy of the group's mul reads the
// original %u, which the backward keeps reading.

// CHECK-LABEL: func.func @outside_value
// CHECK: %[[U:.*]] = weft.exp %arg0 : tensor<8xf32>
// CHECK: weft.reduce sum
// CHECK-NEXT: %[[V2:.*]] = weft.mul %[[U]], %arg1 {weft.recomputed = 0 : i64}
// CHECK-NEXT: %[[T2:.*]] = weft.tanh %[[V2]] {weft.recomputed = 0 : i64}
// CHECK-NEXT: %[[TT:.*]] = weft.mul %[[T2]], %[[T2]]
// CHECK-NEXT: weft.mul %[[TT]], %[[U]]
// CHECK-NOT: weft.exp
func.func @outside_value(%x: tensor<8xf32> {weft.input = "x"}, %w: tensor<8xf32> {weft.param = "w"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<8xf32> {weft.output = "grad:w"}) {
  %u = weft.exp %x : tensor<8xf32>
  %v = weft.mul %u, %w {weft.recompute = 0 : i64} : tensor<8xf32>
  %t = weft.tanh %v {weft.recompute = 0 : i64} : tensor<8xf32>
  %l = weft.reduce sum %t dims = [0] {weft.recompute = 0 : i64} : tensor<8xf32>
  %tt = weft.mul %t, %t : tensor<8xf32>
  %g = weft.mul %tt, %u : tensor<8xf32>
  return %l, %g : tensor<f32>, tensor<8xf32>
}

// -----

// Tests that a group's output (%a, the next group's input, read by a forward op of group 1) is kept rather
// than recomputed, and that group 1 recomputes its own value from it.

// CHECK-LABEL: func.func @chained_groups
// CHECK-SAME: groups = 1 : i64
// CHECK: %[[A:.*]] = weft.tanh %arg0 {weft.recompute = 0 : i64}
// CHECK: %[[B:.*]] = weft.tanh %[[A]] {weft.recompute = 1 : i64}
// CHECK: %[[B2:.*]] = weft.tanh %[[A]] {weft.recomputed = 1 : i64}
// CHECK-NEXT: weft.mul %[[B2]], %[[B2]]
// CHECK-NOT: weft.recomputed = 0
// CHECK: weft.mul %[[A]], %[[A]]
func.func @chained_groups(%x: tensor<8xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<8xf32> {weft.output = "grad:x"}) {
  %a = weft.tanh %x {weft.recompute = 0 : i64} : tensor<8xf32>
  %b = weft.tanh %a {weft.recompute = 1 : i64} : tensor<8xf32>
  %l = weft.reduce sum %b dims = [0] {weft.recompute = 1 : i64} : tensor<8xf32>
  %bb = weft.mul %b, %b : tensor<8xf32>
  %aa = weft.mul %a, %a : tensor<8xf32>
  %g = weft.mul %bb, %aa : tensor<8xf32>
  return %l, %g : tensor<f32>, tensor<8xf32>
}

// -----

// Tests that a function without recompute groups is left as it is (no summary).

// CHECK-LABEL: func.func @no_groups
// CHECK-NOT: weft.recompute
func.func @no_groups(%x: tensor<8xf32> {weft.input = "x"}) -> (tensor<f32> {weft.output = "loss"}) {
  %t = weft.tanh %x : tensor<8xf32>
  %l = weft.reduce sum %t dims = [0] : tensor<8xf32>
  return %l : tensor<f32>
}
