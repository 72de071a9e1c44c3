// RUN: weft-opt %s -split-input-file -weft-scatter-add-into | FileCheck %s

// Tests that a tied embedding's gradient (the LM head's product plus the lookup's scatter_add into zeros) becomes one
// scatter_add into the product: no zero table, no sum.

// CHECK-LABEL: func.func @tied
// CHECK-NEXT: %[[H:.*]] = weft.matmul %arg0, %arg1 {transpose_lhs}
// CHECK-NEXT: %[[G:.*]] = weft.scatter_add %arg2[%arg3] into %[[H]] : tensor<8x16xf32>, tensor<8xi64> -> tensor<10x16xf32>
// CHECK-NEXT: return %[[G]]
// CHECK-NOT: weft.add
func.func @tied(%h: tensor<8x10xf32>, %dy: tensor<8x16xf32>, %de: tensor<8x16xf32>, %ids: tensor<8xi64>) -> tensor<10x16xf32> {
  %head = weft.matmul %h, %dy {transpose_lhs} : tensor<8x10xf32>, tensor<8x16xf32>
  %s = weft.scatter_add %de[%ids] : tensor<8x16xf32>, tensor<8xi64> -> tensor<10x16xf32>
  %g = weft.add %s, %head : tensor<10x16xf32>
  return %g : tensor<10x16xf32>
}

// -----

// Tests that two lookups of one table summed with a third gradient become a chain of scatter_adds into it.

// CHECK-LABEL: func.func @two_lookups
// CHECK-NEXT: %[[A:.*]] = weft.scatter_add %arg1[%arg2] into %arg0
// CHECK-NEXT: %[[B:.*]] = weft.scatter_add %arg1[%arg3] into %[[A]]
// CHECK-NEXT: return %[[B]]
func.func @two_lookups(%x: tensor<10x4xf32>, %u: tensor<6x4xf32>, %i: tensor<6xi64>, %j: tensor<6xi64>) -> tensor<10x4xf32> {
  %s = weft.scatter_add %u[%i] : tensor<6x4xf32>, tensor<6xi64> -> tensor<10x4xf32>
  %a = weft.add %x, %s : tensor<10x4xf32>
  %t = weft.scatter_add %u[%j] : tensor<6x4xf32>, tensor<6xi64> -> tensor<10x4xf32>
  %b = weft.add %a, %t : tensor<10x4xf32>
  return %b : tensor<10x4xf32>
}

// -----

// Tests that a scatter_add with another user stays (the zero table is still needed), and so does its sum.

// CHECK-LABEL: func.func @scatter_used_twice
// CHECK-NEXT: %[[S:.*]] = weft.scatter_add %arg1[%arg2] : tensor<6x4xf32>, tensor<6xi64> -> tensor<10x4xf32>
// CHECK-NEXT: %[[A:.*]] = weft.add %arg0, %[[S]]
// CHECK-NEXT: return %[[A]], %[[S]]
func.func @scatter_used_twice(%x: tensor<10x4xf32>, %u: tensor<6x4xf32>, %i: tensor<6xi64>) -> (tensor<10x4xf32>, tensor<10x4xf32>) {
  %s = weft.scatter_add %u[%i] : tensor<6x4xf32>, tensor<6xi64> -> tensor<10x4xf32>
  %a = weft.add %x, %s : tensor<10x4xf32>
  return %a, %s : tensor<10x4xf32>, tensor<10x4xf32>
}

// -----

// Tests that a scatter_add summed with itself is left alone (there is no other tensor to add into).

// CHECK-LABEL: func.func @doubled
// CHECK: weft.add
func.func @doubled(%u: tensor<6x4xf32>, %i: tensor<6xi64>) -> tensor<10x4xf32> {
  %s = weft.scatter_add %u[%i] : tensor<6x4xf32>, tensor<6xi64> -> tensor<10x4xf32>
  %a = weft.add %s, %s : tensor<10x4xf32>
  return %a : tensor<10x4xf32>
}
