// RUN: weft-opt %s -split-input-file -weft-auto-shard="cluster=%S/Inputs/search-cluster.json memory-gib=0.01" -verify-diagnostics

// Tests that a memory budget nothing fits is an error at the function that gives the least any plan needs:
// 48 MiB of weights split over 2 devices still hold 24 MiB (0.02344 GiB), more than 0.01 GiB allows.

module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  // expected-error @below {{no strategy fits the memory budget of 0.01 GiB per device; the parameters and state need at least 0.02344 GiB per device on #weft.mesh<tp = 2>}}
  func.func @main(%x: tensor<16x1024xf32> {weft.input = "x"}, %w1: tensor<1024x4096xf32> {weft.param = "w1"},
                  %w2: tensor<4096x2048xf32> {weft.param = "w2"}) -> (tensor<16x2048xf32> {weft.output = "y"}) {
    %h = weft.matmul %x, %w1 : tensor<16x1024xf32>, tensor<1024x4096xf32>
    %y = weft.matmul %h, %w2 : tensor<16x4096xf32>, tensor<4096x2048xf32>
    return %y : tensor<16x2048xf32>
  }
}

// -----

// Tests that a hint that cannot fit is kept and reported the same way: w1 pinned whole (16 MiB) alone exceeds
// the budget, whatever the rest does.

module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  // expected-error @below {{no strategy fits the memory budget of 0.01 GiB per device; the parameters and state need at least 0.01562 GiB per device}}
  func.func @main(%x: tensor<16x1024xf32> {weft.input = "x"},
                  %w1: tensor<1024x4096xf32> {weft.param = "w1", weft.sharding = #weft.sharding<[{}, {}]>})
      -> (tensor<16x4096xf32> {weft.output = "y"}) {
    %y = weft.matmul %x, %w1 : tensor<16x1024xf32>, tensor<1024x4096xf32>
    return %y : tensor<16x4096xf32>
  }
}

// -----

// Tests that the pass needs a mesh (or devices=N to choose one).

// expected-error @below {{the module has no weft.mesh; give one, or devices=N to choose it}}
module {
  func.func @main(%x: tensor<8xf32> {weft.input = "x"}) -> (tensor<8xf32> {weft.output = "y"}) {
    %y = weft.exp %x : tensor<8xf32>
    return %y : tensor<8xf32>
  }
}
