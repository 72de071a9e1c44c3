// RUN: weft-opt %s | FileCheck %s
// RUN: weft-opt %s | weft-opt | FileCheck %s
// RUN: weft-opt %s -mlir-print-op-generic | weft-opt | FileCheck %s
// RUN: weft-opt %s -canonicalize -cse | FileCheck %s --check-prefix=CANON

// Tests that the collective ops print and parse back to the same text, with
// result shapes that follow the group size on the module's mesh, and that a
// sharding_constraint survives canonicalization and CSE.

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  // CHECK-LABEL: func.func @collectives
  func.func @collectives(%x: tensor<8x16xf32>, %i: tensor<8x16xi32>) -> tensor<8x16xf32> {
    // CHECK: weft.all_reduce sum %{{.*}} axes = ["tp"] : tensor<8x16xf32>
    %0 = weft.all_reduce sum %x axes = ["tp"] : tensor<8x16xf32>
    // CHECK: weft.all_reduce max %{{.*}} axes = ["dp", "tp"] : tensor<8x16xi32>
    %1 = weft.all_reduce max %i axes = ["dp", "tp"] : tensor<8x16xi32>
    // CHECK: weft.all_reduce min %{{.*}} axes = [] : tensor<8x16xf32>
    %2 = weft.all_reduce min %0 axes = [] : tensor<8x16xf32>
    // CHECK: weft.all_gather %{{.*}} axes = ["dp"] dim = 0 : tensor<8x16xf32> -> tensor<16x16xf32>
    %3 = weft.all_gather %2 axes = ["dp"] dim = 0 : tensor<8x16xf32> -> tensor<16x16xf32>
    // CHECK: weft.all_gather %{{.*}} axes = ["tp", "dp"] dim = 1 : tensor<8x16xf32> -> tensor<8x128xf32>
    %4 = weft.all_gather %x axes = ["tp", "dp"] dim = 1 : tensor<8x16xf32> -> tensor<8x128xf32>
    // CHECK: weft.reduce_scatter sum %{{.*}} axes = ["tp"] dim = 1 : tensor<8x16xf32> -> tensor<8x4xf32>
    %5 = weft.reduce_scatter sum %x axes = ["tp"] dim = 1 : tensor<8x16xf32> -> tensor<8x4xf32>
    // CHECK: weft.reduce_scatter max %{{.*}} axes = ["dp", "tp"] dim = 0 : tensor<8x16xf32> -> tensor<1x16xf32>
    %6 = weft.reduce_scatter max %x axes = ["dp", "tp"] dim = 0 : tensor<8x16xf32> -> tensor<1x16xf32>
    // CHECK: weft.all_to_all %{{.*}} axes = ["tp"] split_dim = 1 concat_dim = 0 : tensor<8x16xf32> -> tensor<32x4xf32>
    %7 = weft.all_to_all %x axes = ["tp"] split_dim = 1 concat_dim = 0 : tensor<8x16xf32> -> tensor<32x4xf32>
    // CHECK: weft.all_to_all %{{.*}} axes = ["dp"] split_dim = 0 concat_dim = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
    %8 = weft.all_to_all %x axes = ["dp"] split_dim = 0 concat_dim = 0 : tensor<8x16xf32> -> tensor<8x16xf32>
    // CHECK: weft.collective_permute %{{.*}} axes = ["tp"] pairs = {{\[\[}}0, 1], [1, 2], [2, 3], [3, 0]] : tensor<8x16xf32>
    %9 = weft.collective_permute %x axes = ["tp"] pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<8x16xf32>
    // CHECK: weft.collective_permute %{{.*}} axes = ["dp"] pairs = {{\[\[}}1, 0]] : tensor<8x16xi32>
    %10 = weft.collective_permute %i axes = ["dp"] pairs = [[1, 0]] : tensor<8x16xi32>
    // CHECK: weft.axis_index axes = ["dp", "tp"] : tensor<i64>
    %11 = weft.axis_index axes = ["dp", "tp"] : tensor<i64>
    // CHECK: weft.sharding_constraint %{{.*}} {sharding = #weft.sharding<[{dp}, {tp}]>} : tensor<8x16xf32>
    %12 = weft.sharding_constraint %9 {sharding = #weft.sharding<[{dp}, {tp}]>} : tensor<8x16xf32>
    // CHECK: weft.sharding_constraint %{{.*}} {sharding = #weft.sharding<[{}, {}] partial {tp}>} : tensor<8x16xf32>
    %13 = weft.sharding_constraint %12 {sharding = #weft.sharding<[{}, {}] partial {tp}>} : tensor<8x16xf32>
    return %13 : tensor<8x16xf32>
  }

  // CANON-LABEL: func.func @constraint_survives
  // CANON: %[[C:.*]] = weft.sharding_constraint %{{.*}} {sharding = #weft.sharding<[{dp}, {}]>} : tensor<8x16xf32>
  // CANON: %[[S:.*]] = weft.add %[[C]], %[[C]]
  // CANON: weft.sharding_constraint %[[S]] {sharding = #weft.sharding<[{}, {tp}]>} : tensor<8x16xf32>
  func.func @constraint_survives(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
    %0 = weft.sharding_constraint %x {sharding = #weft.sharding<[{dp}, {}]>} : tensor<8x16xf32>
    %1 = weft.sharding_constraint %x {sharding = #weft.sharding<[{dp}, {}]>} : tensor<8x16xf32>
    %2 = weft.add %0, %1 : tensor<8x16xf32>
    %3 = weft.sharding_constraint %2 {sharding = #weft.sharding<[{}, {tp}]>} : tensor<8x16xf32>
    return %3 : tensor<8x16xf32>
  }
}
