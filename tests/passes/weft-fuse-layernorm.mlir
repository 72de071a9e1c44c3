// RUN: weft-opt %s -split-input-file -weft-fuse-layernorm | FileCheck %s

// Tests that the LayerNorm the DSL emits (mean, sub, mul, mean, add eps, rsqrt, mul, scale, shift) becomes one
// weft.layer_norm with gamma and beta, and that every primitive of it is gone.

// CHECK-LABEL: func.func @dsl_form
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]], %{{.*}}, %{{.*}} = weft.layer_norm %[[X]], %[[G]], %[[B]] epsilon = 9.9999997473787516E-6 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @dsl_form(%x: tensor<2x4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %m = weft.reduce mean %x dims = [2] : tensor<2x4x8xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %xc = weft.sub %x, %mb : tensor<2x4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<2x4x8xf32>
  %v = weft.reduce mean %sq dims = [2] : tensor<2x4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<2x4xf32>
  %ve = weft.add %v, %eps : tensor<2x4xf32>
  %r = weft.rsqrt %ve : tensor<2x4xf32>
  %rb = weft.broadcast %r dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %n = weft.mul %xc, %rb : tensor<2x4x8xf32>
  %gb = weft.broadcast %gamma dims = [2] : tensor<8xf32> -> tensor<2x4x8xf32>
  %s = weft.mul %n, %gb : tensor<2x4x8xf32>
  %bb = weft.broadcast %beta dims = [2] : tensor<8xf32> -> tensor<2x4x8xf32>
  %y = weft.add %s, %bb : tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// Tests that the square as pow(x, 2), operands of add/mul in the other order and epsilon added after the broadcast
// (on full-shaped tensors) are recognized too.

// CHECK-LABEL: func.func @pow_swapped_operands
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]], %{{.*}}, %{{.*}} = weft.layer_norm %[[X]], %[[G]], %[[B]] epsilon = 9.765625E-4 :
// CHECK-NEXT: return %[[Y]]
func.func @pow_swapped_operands(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %two = weft.constant dense<2.0> : tensor<4x8xf32>
  %sq = weft.pow %xc, %two : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %vb = weft.broadcast %v dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %eps = weft.constant dense<0.0009765625> : tensor<4x8xf32>
  %ve = weft.add %eps, %vb : tensor<4x8xf32>
  %r = weft.rsqrt %ve : tensor<4x8xf32>
  %n = weft.mul %r, %xc : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %gb, %n : tensor<4x8xf32>
  %bb = weft.broadcast %beta dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.add %bb, %s : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Tests that a LayerNorm without the affine part fuses to weft.layer_norm without gamma and beta, and one with
// only a scale keeps gamma alone.

// CHECK-LABEL: func.func @no_affine
// CHECK-NEXT: %[[Y:.*]], %{{.*}}, %{{.*}} = weft.layer_norm %arg0 epsilon = 9.9999997473787516E-6 : tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @no_affine(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @gamma_only
// CHECK-NEXT: %[[Y:.*]], %{{.*}}, %{{.*}} = weft.layer_norm %arg0, %arg1 epsilon = 9.9999997473787516E-6 : tensor<4x8xf32>, tensor<8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gamma_only(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %n, %gb : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// Tests that the variance written as E[x^2] - E[x]^2 is recognized.

// CHECK-LABEL: func.func @variance_by_moments
// CHECK-NEXT: %[[Y:.*]], %{{.*}}, %{{.*}} = weft.layer_norm %arg0, %arg1, %arg2 epsilon = 9.9999997473787516E-6
// CHECK-NEXT: return %[[Y]]
func.func @variance_by_moments(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %x2 = weft.mul %x, %x : tensor<4x8xf32>
  %ex2 = weft.reduce mean %x2 dims = [1] : tensor<4x8xf32>
  %m2 = weft.mul %m, %m : tensor<4xf32>
  %v = weft.sub %ex2, %m2 : tensor<4xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %n, %gb : tensor<4x8xf32>
  %bb = weft.broadcast %beta dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.add %s, %bb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Tests that (x - mean) / sqrt(var + eps) is recognized.

// CHECK-LABEL: func.func @sqrt_div
// CHECK-NEXT: %[[Y:.*]], %{{.*}}, %{{.*}} = weft.layer_norm %arg0, %arg1, %arg2 epsilon = 9.9999997473787516E-6
// CHECK-NEXT: return %[[Y]]
func.func @sqrt_div(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %sd = weft.sqrt %ve : tensor<4xf32>
  %sdb = weft.broadcast %sd dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.div %xc, %sdb : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %n, %gb : tensor<4x8xf32>
  %bb = weft.broadcast %beta dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.add %s, %bb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Tests that other users of the row mean and of the row rstd are rewired to the fused op's statistics, and that
// the fused op is placed before the first of them.

// CHECK-LABEL: func.func @statistics_used
// CHECK-NEXT: %[[Y:.*]], %[[M:.*]], %[[R:.*]] = weft.layer_norm %arg0 epsilon
// CHECK-NEXT: %[[M2:.*]] = weft.neg %[[M]] : tensor<4xf32>
// CHECK-NEXT: return %[[Y]], %[[M2]], %[[R]]
func.func @statistics_used(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>) {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %neg = weft.neg %m : tensor<4xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n, %neg, %r : tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests that RMSNorm, x * rsqrt(mean(x^2) + eps) * gamma, becomes weft.rms_norm, also on a rank-1 input with the
// square written as pow(x, 2) and the gamma first.

// CHECK-LABEL: func.func @rms_norm
// CHECK-NEXT: %[[Y:.*]], %{{.*}} = weft.rms_norm %arg0, %arg1 epsilon = 9.9999999747524271E-7 : tensor<4x8xf32>, tensor<8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>) -> tensor<4x8xf32> {
  %sq = weft.mul %x, %x : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-06> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %x, %rb : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.mul %n, %gb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @rms_norm_rank1
// CHECK-NEXT: %[[Y:.*]], %{{.*}} = weft.rms_norm %arg0, %arg1 epsilon = 9.9999999747524271E-7 : tensor<8xf32>, tensor<8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm_rank1(%x: tensor<8xf32>, %gamma: tensor<8xf32>) -> tensor<8xf32> {
  %two = weft.constant dense<2.0> : tensor<8xf32>
  %sq = weft.pow %x, %two : tensor<8xf32>
  %v = weft.reduce mean %sq dims = [0] : tensor<8xf32>
  %eps = weft.constant dense<1.0e-06> : tensor<f32>
  %ve = weft.add %v, %eps : tensor<f32>
  %r = weft.rsqrt %ve : tensor<f32>
  %rb = weft.broadcast %r dims = [] : tensor<f32> -> tensor<8xf32>
  %n = weft.mul %x, %rb : tensor<8xf32>
  %y = weft.mul %gamma, %n : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Tests that a LayerNorm whose epsilon is inside the mean (mean(xc^2 + eps)) is not fused.

// CHECK-LABEL: func.func @epsilon_inside_mean
// CHECK-NOT: weft.layer_norm
// CHECK-NOT: weft.rms_norm
// CHECK: weft.rsqrt
func.func @epsilon_inside_mean(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4x8xf32>
  %sqe = weft.add %sq, %eps : tensor<4x8xf32>
  %v = weft.reduce mean %sqe dims = [1] : tensor<4x8xf32>
  %r = weft.rsqrt %v : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Tests that statistics reduced over another dimension than the normalized (last) one are not fused.

// CHECK-LABEL: func.func @reduce_other_dim
// CHECK-NOT: weft.layer_norm
// CHECK-NOT: weft.rms_norm
// CHECK: weft.rsqrt
func.func @reduce_other_dim(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [0] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [0] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<8xf32>
  %ve = weft.add %v, %eps : tensor<8xf32>
  %r = weft.rsqrt %ve : tensor<8xf32>
  %rb = weft.broadcast %r dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Tests that nothing is fused when the variance has another user (it would have to be kept or recomputed).

// CHECK-LABEL: func.func @variance_escapes
// CHECK-NOT: weft.layer_norm
// CHECK-NOT: weft.rms_norm
// CHECK: weft.rsqrt
func.func @variance_escapes(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>) {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n, %v : tensor<4x8xf32>, tensor<4xf32>
}

// -----

// Tests that when the centered x has another user it is kept, and only its normalization is fused, as the
// equivalent RMSNorm of the centered x (no LayerNorm that would recompute it).

// CHECK-LABEL: func.func @centered_escapes
// CHECK-NOT: weft.layer_norm
// CHECK: %[[XC:.*]] = weft.sub %arg0
// CHECK-NEXT: %[[Y:.*]], %{{.*}} = weft.rms_norm %[[XC]] epsilon = 9.9999997473787516E-6 : tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]], %[[XC]]
func.func @centered_escapes(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n, %xc : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Tests that a gamma that is not a [C] vector broadcast along the last dimension stays a separate multiply (and the
// beta after it a separate add) after a weft.layer_norm without affine part.

// CHECK-LABEL: func.func @gamma_wrong_shape
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = weft.layer_norm %arg0 epsilon = 9.9999997473787516E-6 : tensor<2x4x8xf32>
// CHECK-NEXT: %[[GB:.*]] = weft.broadcast %arg1 dims = [1, 2] : tensor<4x8xf32> -> tensor<2x4x8xf32>
// CHECK-NEXT: %[[S:.*]] = weft.mul %[[Y]], %[[GB]]
// CHECK: weft.add %[[S]]
func.func @gamma_wrong_shape(%x: tensor<2x4x8xf32>, %gamma: tensor<4x8xf32>, %beta: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %m = weft.reduce mean %x dims = [2] : tensor<2x4x8xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %xc = weft.sub %x, %mb : tensor<2x4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<2x4x8xf32>
  %v = weft.reduce mean %sq dims = [2] : tensor<2x4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<2x4xf32>
  %ve = weft.add %v, %eps : tensor<2x4xf32>
  %r = weft.rsqrt %ve : tensor<2x4xf32>
  %rb = weft.broadcast %r dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %n = weft.mul %xc, %rb : tensor<2x4x8xf32>
  %gb = weft.broadcast %gamma dims = [1, 2] : tensor<4x8xf32> -> tensor<2x4x8xf32>
  %s = weft.mul %n, %gb : tensor<2x4x8xf32>
  %bb = weft.broadcast %beta dims = [2] : tensor<8xf32> -> tensor<2x4x8xf32>
  %y = weft.add %s, %bb : tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// Tests that an epsilon that is not a constant, or a negative one, prevents the fusion.

// CHECK-LABEL: func.func @epsilon_not_constant
// CHECK-NOT: weft.layer_norm
// CHECK: weft.rsqrt
func.func @epsilon_not_constant(%x: tensor<4x8xf32>, %eps: tensor<4xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @epsilon_negative
// CHECK-NOT: weft.layer_norm
// CHECK: weft.rsqrt
func.func @epsilon_negative(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<-1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Tests that centering by the mean of another tensor is not taken for a LayerNorm of x (only the normalization of
// the difference, an RMSNorm of it, is fused).

// CHECK-LABEL: func.func @mean_of_other_tensor
// CHECK-NOT: weft.layer_norm
// CHECK: %[[D:.*]] = weft.sub %arg0
// CHECK-NEXT: %[[Y:.*]], %{{.*}} = weft.rms_norm %[[D]]
// CHECK-NEXT: return %[[Y]]
func.func @mean_of_other_tensor(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %z dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}
