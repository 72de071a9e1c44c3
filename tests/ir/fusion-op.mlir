// RUN: weft-opt %s | FileCheck %s
// RUN: weft-opt %s | weft-opt | FileCheck %s
// RUN: weft-opt %s -mlir-print-op-generic | weft-opt | FileCheck %s

// Tests that weft.fusion (several operands and results, a reduce, a broadcast and a local constant in its body)
// and weft.yield print and parse back to the same text.

// CHECK-LABEL: func.func @fusion
// CHECK-NEXT: %[[F:.*]]:2 = weft.fusion %arg0, %arg1 : (tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8xf32>):
// CHECK-NEXT:   %[[BB:.*]] = weft.broadcast %[[B]] dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:   %[[S:.*]] = weft.add %[[X]], %[[BB]] : tensor<4x8xf32>
// CHECK-NEXT:   %[[C:.*]] = weft.constant dense<2.000000e+00> : tensor<4x8xf32>
// CHECK-NEXT:   %[[M:.*]] = weft.mul %[[S]], %[[C]] : tensor<4x8xf32>
// CHECK-NEXT:   %[[R:.*]] = weft.reduce sum %[[M]] dims = [1] : tensor<4x8xf32>
// CHECK-NEXT:   weft.yield %[[R]], %[[M]] : tensor<4xf32>, tensor<4x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]#0, %[[F]]#1
func.func @fusion(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %r, %m = weft.fusion %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  ^bb0(%a: tensor<4x8xf32>, %c: tensor<8xf32>):
    %bb = weft.broadcast %c dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
    %s = weft.add %a, %bb : tensor<4x8xf32>
    %two = weft.constant dense<2.0> : tensor<4x8xf32>
    %p = weft.mul %s, %two : tensor<4x8xf32>
    %q = weft.reduce sum %p dims = [1] : tensor<4x8xf32>
    weft.yield %q, %p : tensor<4xf32>, tensor<4x8xf32>
  }
  return %r, %m : tensor<4xf32>, tensor<4x8xf32>
}
