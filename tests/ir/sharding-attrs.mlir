// RUN: weft-opt %s --allow-unregistered-dialect | FileCheck %s
// RUN: weft-opt %s --allow-unregistered-dialect | weft-opt --allow-unregistered-dialect | FileCheck %s
// RUN: weft-opt %s --allow-unregistered-dialect -mlir-print-op-generic | weft-opt --allow-unregistered-dialect | FileCheck %s

// Tests that #weft.mesh and #weft.sharding print and parse back to the same
// text on the module, function arguments and results, and ops.

// CHECK: module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>}
module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  // CHECK-LABEL: func.func @shardings
  // CHECK-SAME: %{{.*}}: tensor<8x12xf32> {weft.sharding = #weft.sharding<[{dp}, {tp}]>}
  // CHECK-SAME: %{{.*}}: tensor<8x24xf32> {weft.param = "w", weft.sharding = #weft.sharding<[{}, {dp, tp} x 3]>}
  // CHECK-SAME: %{{.*}}: tensor<f32> {weft.sharding = #weft.sharding<[]>}
  // CHECK-SAME: -> (tensor<8x12xf32> {weft.output = "y", weft.sharding = #weft.sharding<[{}, {}] partial {tp}>})
  func.func @shardings(%x: tensor<8x12xf32> {weft.sharding = #weft.sharding<[{dp}, {tp}]>},
                       %w: tensor<8x24xf32> {weft.param = "w", weft.sharding = #weft.sharding<[{}, {dp, tp} x 3]>},
                       %s: tensor<f32> {weft.sharding = #weft.sharding<[]>})
      -> (tensor<8x12xf32> {weft.output = "y", weft.sharding = #weft.sharding<[{}, {}] partial {tp}>}) {
    // CHECK: weft.neg %{{.*}} {weft.shardings = [#weft.sharding<[{dp}, {tp}]>]} : tensor<8x12xf32>
    %0 = weft.neg %x {weft.shardings = [#weft.sharding<[{dp}, {tp}]>]} : tensor<8x12xf32>
    return %0 : tensor<8x12xf32>
  }

  // Padding: 50257 rows over 8 devices (the last piece is padded).
  // CHECK-LABEL: func.func @padded
  // CHECK-SAME: #weft.sharding<[{dp, tp}, {}]>
  func.func @padded(%t: tensor<50257x16xf32> {weft.sharding = #weft.sharding<[{dp, tp}, {}]>}) {
    return
  }

  // A blocks count of 1 is not printed; quoted axis names print bare when they can.
  // CHECK-LABEL: func.func @spelling
  // CHECK-SAME: #weft.sharding<[{tp}, {dp}]>
  func.func @spelling(%t: tensor<8x8xf32> {weft.sharding = #weft.sharding<[{"tp"} x 1, {dp}]>}) {
    return
  }
}

// CHECK: "test.attrs"() {dim = #weft.dim_sharding<{tp} x 3>, mesh = #weft.mesh<x = 1, "y-1" = 2>}
"test.attrs"() {dim = #weft.dim_sharding<{tp} x 3>, mesh = #weft.mesh<x = 1, "y-1" = 2>} : () -> ()
