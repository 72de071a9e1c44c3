// RUN: weft-opt %s --split-input-file --weft-test-print-step-cost="cluster=%S/Inputs/search-cluster.json per-op=true" -o /dev/null | FileCheck %s
// RUN: not weft-opt %s --split-input-file --weft-test-print-step-cost="cluster=%S/Inputs/no-such-cluster.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// Costs from Inputs/search-cluster.json: 1 TFLOP/s, 100 GB/s, 1 us per launch; two devices per node linked at
// 10 GB/s with 1 us latency.

// One rank's program of Megatron's MLP over tp = 2 (as weft-spmd-partition
// writes it). Each local matmul (16 x 1024 by 1024 x 2048) moves 8,585,216
// bytes (85.85 us at 100 GB/s; its 67.1 MFLOP take 67.1 us) + 1 us launch:
// 86.85 us. tanh over 16 x 2048 reads and writes 262,144 bytes: 2.62 + 1 us.
// The all-reduce of 65,536 bytes over 2 devices: the ring's 2 (n - 1) steps
// of 1 us latency and 2 (n - 1) / n x 65,536 bytes at 10 GB/s: 2 + 6.55 us.
// CHECK-LABEL: step cost @main on mesh #weft.mesh<tp = 2>
// CHECK-NEXT: weft.matmul 8.68522e-05 s
// CHECK-NEXT: weft.tanh 3.62144e-06 s
// CHECK-NEXT: weft.matmul 8.68522e-05 s
// CHECK-NEXT: weft.all_reduce 8.5536e-06 s sends 65536 B
// CHECK-NEXT: weft.matmul count 2 seconds 0.000173704
// CHECK-NEXT: weft.tanh count 1 seconds 3.62144e-06
// CHECK-NEXT: weft.all_reduce count 1 seconds 8.5536e-06 bytes 65536
// CHECK-NEXT: compute 0.000177326 communication 8.5536e-06 total 0.000185879
module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  func.func @main(%x: tensor<16x1024xf32> {weft.input = "x"}, %w1: tensor<1024x2048xf32> {weft.param = "w1"},
                  %w2: tensor<2048x1024xf32> {weft.param = "w2"}) -> (tensor<16x1024xf32> {weft.output = "y"}) {
    %h = weft.matmul %x, %w1 : tensor<16x1024xf32>, tensor<1024x2048xf32>
    %g = weft.tanh %h : tensor<16x2048xf32>
    %p = weft.matmul %g, %w2 : tensor<16x2048xf32>, tensor<2048x1024xf32>
    %y = weft.all_reduce sum %p axes = ["tp"] : tensor<16x1024xf32>
    return %y : tensor<16x1024xf32>
  }
}

// -----

// A program without a mesh is one device's: compute only.
// CHECK-LABEL: step cost @main on one device
// CHECK-NEXT: weft.tanh 3.62144e-06 s
// CHECK-NEXT: weft.tanh count 1 seconds 3.62144e-06
// CHECK-NEXT: compute 3.62144e-06 communication 0 total 3.62144e-06
module {
  func.func @main(%x: tensor<16x2048xf32> {weft.input = "x"}) -> (tensor<16x2048xf32> {weft.output = "y"}) {
    %y = weft.tanh %x : tensor<16x2048xf32>
    return %y : tensor<16x2048xf32>
  }
}

// BAD: error: weft-test-print-step-cost: cluster '{{.*}}no-such-cluster.json':

// -----

// RUN: weft-opt %s --split-input-file --weft-test-print-step-cost="cluster=%S/Inputs/cached-cluster.json per-op=true" -o /dev/null | FileCheck %s --check-prefix=REUSE
// Reuse distance (Inputs/cached-cluster.json: 100 GB/s in 1 MiB of cache, DRAM at 10 GB/s): each neg over 256 x 256
// reads 262,144 bytes and writes as many (524,288 B, 100 GB/s on the curve). The first reads the argument %x,
// last touched a step ago: its 262,144 bytes come from DRAM, 26.21 us, + 2.62 us for the write + 1 us launch. The
// second reads %a, written by the op before: 5.24 + 1 us. The neg over the 1 MiB %y touches 2 MiB, so the third,
// reading %a again, finds it evicted (2.5 MiB touched since): cold again, like the first.
// REUSE: step cost @main on one device
// REUSE: weft.tanh count 1
// REUSE: step cost @main on one device
// REUSE-NEXT: weft.neg 2.98358e-05 s
// REUSE-NEXT: weft.neg 6.24288e-06 s
// REUSE-NEXT: weft.neg {{.*}} s
// REUSE-NEXT: weft.neg 2.98358e-05 s
module {
  func.func @main(%x: tensor<256x256xf32> {weft.input = "x"}, %y: tensor<512x512xf32> {weft.input = "y"})
      -> (tensor<256x256xf32> {weft.output = "b"}, tensor<256x256xf32> {weft.output = "c"},
          tensor<512x512xf32> {weft.output = "big"}) {
    %a = weft.neg %x : tensor<256x256xf32>
    %b = weft.neg %a : tensor<256x256xf32>
    %big = weft.neg %y : tensor<512x512xf32>
    %c = weft.neg %a : tensor<256x256xf32>
    return %b, %c, %big : tensor<256x256xf32>, tensor<256x256xf32>, tensor<512x512xf32>
  }
}
