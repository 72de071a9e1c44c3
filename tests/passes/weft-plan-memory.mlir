// RUN: weft-opt %s -split-input-file -verify-diagnostics -weft-plan-memory | FileCheck %s
// RUN: weft-opt %s -split-input-file -verify-diagnostics -weft-plan-memory=alignment=256 | FileCheck %s --check-prefix=GPU
// RUN: not weft-opt %s -split-input-file -weft-plan-memory=alignment=48 2>&1 | FileCheck %s --check-prefix=BAD-ALIGN

// BAD-ALIGN: error: memory plan alignment must be a power of two, got 48; hint: use 64 for CPU or 256 for GPU

// Tests that a buffer reuses the memory of one that died: in a chain of transposes each result takes the
// offset of the buffer two steps before it, so the arena holds two buffers, not four.

// CHECK-LABEL: func.func @reuse_after_death
// CHECK-SAME: {weft.input = "x", weft.offset = 0 : i64}
// CHECK-SAME: attributes {weft.arena_alignment = 64 : i64, weft.arena_persistent_size = 0 : i64, weft.arena_size = 8192 : i64}
// CHECK-NEXT: weft.transpose %arg0 permutation = [1, 0] {weft.offset = 4096 : i64}
// CHECK-NEXT: weft.transpose %{{.*}} permutation = [1, 0] {weft.offset = 0 : i64}
// CHECK-NEXT: weft.transpose %{{.*}} permutation = [1, 0] {weft.offset = 4096 : i64}
func.func @reuse_after_death(%x: tensor<32x32xf32> {weft.input = "x"}) -> tensor<32x32xf32> {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.transpose %0 permutation = [1, 0] : tensor<32x32xf32>
  %2 = weft.transpose %1 permutation = [1, 0] : tensor<32x32xf32>
  return %2 : tensor<32x32xf32>
}

// -----

// Tests in-place elementwise results: exp writes over %x (which dies there), tanh does not write over %y (still
// used by the add), the add writes over the exp (its first dying operand), and the cast to bf16 (half the bytes)
// gets its own place.

// CHECK-LABEL: func.func @in_place
// CHECK-SAME: %arg0: tensor<1024xf32> {weft.input = "x", weft.offset = 0 : i64}
// CHECK-SAME: %arg1: tensor<1024xf32> {weft.input = "y", weft.offset = 4096 : i64}
// CHECK-SAME: weft.arena_size = 12288 : i64
// CHECK-NEXT: weft.exp %arg0 {weft.offset = 0 : i64}
// CHECK-NEXT: weft.tanh %arg1 {weft.offset = 8192 : i64}
// CHECK-NEXT: weft.add %{{.*}}, %arg1 {weft.offset = 0 : i64}
// CHECK-NEXT: weft.cast %{{.*}} {weft.offset = 4096 : i64}
func.func @in_place(%x: tensor<1024xf32> {weft.input = "x"}, %y: tensor<1024xf32> {weft.input = "y"})
    -> (tensor<1024xf32>, tensor<1024xbf16>) {
  %0 = weft.exp %x : tensor<1024xf32>
  %1 = weft.tanh %y : tensor<1024xf32>
  %2 = weft.add %0, %y : tensor<1024xf32>
  %3 = weft.cast %2 : tensor<1024xf32> -> tensor<1024xbf16>
  return %1, %3 : tensor<1024xf32>, tensor<1024xbf16>
}

// -----

// Tests that a reshape has no storage of its own and keeps its input alive until its last use: the first
// transpose (read through its reshape by the concat) cannot share memory with the second.

// CHECK-LABEL: func.func @reshape_alias_extends_life
// CHECK-SAME: weft.arena_size = 16384 : i64
// CHECK-NEXT: weft.transpose %arg0 permutation = [1, 0] {weft.offset = 8192 : i64}
// CHECK-NEXT: weft.reshape %{{.*}} : tensor<32x32xf32> -> tensor<1024xf32>{{$}}
// CHECK-NEXT: weft.transpose %arg0 permutation = [1, 0] {weft.offset = 12288 : i64}
// CHECK-NEXT: weft.reshape %{{.*}} : tensor<32x32xf32> -> tensor<1024xf32>{{$}}
// CHECK-NEXT: weft.concat %{{.*}}, %{{.*}} dim = 0 {weft.offset = 0 : i64}
func.func @reshape_alias_extends_life(%x: tensor<32x32xf32> {weft.input = "x"}) -> tensor<2048xf32> {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.reshape %0 : tensor<32x32xf32> -> tensor<1024xf32>
  %2 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %3 = weft.reshape %2 : tensor<32x32xf32> -> tensor<1024xf32>
  %4 = weft.concat %1, %3 dim = 0 : tensor<1024xf32>, tensor<1024xf32>
  return %4 : tensor<2048xf32>
}

// -----

// Tests that a returned buffer lives until the end: the third transpose cannot take the first one's offset
// although nothing reads the first one after the second transpose.

// CHECK-LABEL: func.func @outputs_live_to_end
// CHECK-SAME: weft.arena_size = 12288 : i64
// CHECK-NEXT: weft.transpose %arg0 permutation = [1, 0] {weft.offset = 4096 : i64}
// CHECK-NEXT: weft.transpose %{{.*}} permutation = [1, 0] {weft.offset = 0 : i64}
// CHECK-NEXT: weft.transpose %{{.*}} permutation = [1, 0] {weft.offset = 8192 : i64}
// CHECK-NEXT: weft.reduce sum %{{.*}} dims = [0, 1] {weft.offset = 0 : i64}
func.func @outputs_live_to_end(%x: tensor<32x32xf32> {weft.input = "x"}) -> (tensor<32x32xf32>, tensor<f32>) {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.transpose %0 permutation = [1, 0] : tensor<32x32xf32>
  %2 = weft.transpose %1 permutation = [1, 0] : tensor<32x32xf32>
  %3 = weft.reduce sum %2 dims = [0, 1] : tensor<32x32xf32>
  return %0, %3 : tensor<32x32xf32>, tensor<f32>
}

// -----

// Tests that an input is live from the entry: %y, read only by the last op, keeps its own memory from the start,
// so the first transpose cannot use it.

// CHECK-LABEL: func.func @inputs_live_from_start
// CHECK-SAME: %arg0: tensor<32x32xf32> {weft.input = "x", weft.offset = 0 : i64}
// CHECK-SAME: %arg1: tensor<32x32xf32> {weft.input = "y", weft.offset = 4096 : i64}
// CHECK-SAME: weft.arena_size = 12288 : i64
// CHECK-NEXT: weft.transpose %arg0 permutation = [1, 0] {weft.offset = 8192 : i64}
// CHECK-NEXT: weft.transpose %{{.*}} permutation = [1, 0] {weft.offset = 0 : i64}
// CHECK-NEXT: weft.add %{{.*}}, %arg1 {weft.offset = 0 : i64}
func.func @inputs_live_from_start(%x: tensor<32x32xf32> {weft.input = "x"}, %y: tensor<32x32xf32> {weft.input = "y"})
    -> tensor<32x32xf32> {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.transpose %0 permutation = [1, 0] : tensor<32x32xf32>
  %2 = weft.add %1, %y : tensor<32x32xf32>
  return %2 : tensor<32x32xf32>
}

// -----

// Tests that constants sit in the persistent region at the start of the arena, which is never reused: after
// the constant's last use the transpose still goes above it, and the mul writes over %x, not the constant.

// CHECK-LABEL: func.func @constants_persistent
// CHECK-SAME: {weft.input = "x", weft.offset = 4096 : i64}
// CHECK-SAME: weft.arena_persistent_size = 4096 : i64, weft.arena_size = 12288 : i64
// CHECK-NEXT: weft.constant {weft.offset = 0 : i64}
// CHECK-NEXT: weft.mul %arg0, %{{.*}} {weft.offset = 4096 : i64}
// CHECK-NEXT: weft.transpose %{{.*}} permutation = [1, 0] {weft.offset = 8192 : i64}
func.func @constants_persistent(%x: tensor<32x32xf32> {weft.input = "x"}) -> tensor<32x32xf32> {
  %c = weft.constant dense<2.0> : tensor<32x32xf32>
  %0 = weft.mul %x, %c : tensor<32x32xf32>
  %1 = weft.transpose %0 permutation = [1, 0] : tensor<32x32xf32>
  return %1 : tensor<32x32xf32>
}

// -----

// Tests that parameters and reshapes of them stay outside the arena (no offset).

// CHECK-LABEL: func.func @parameters_outside
// CHECK-SAME: %arg1: tensor<16x4xf32> {weft.param = "w"})
// CHECK-SAME: weft.arena_size = 640 : i64
// CHECK-NEXT: weft.reshape %arg1 : tensor<16x4xf32> -> tensor<4x16xf32>{{$}}
// CHECK-NEXT: weft.matmul %arg0, %{{.*}} {transpose_rhs, weft.offset = 512 : i64}
func.func @parameters_outside(%x: tensor<8x16xf32> {weft.input = "x"}, %w: tensor<16x4xf32> {weft.param = "w"})
    -> tensor<8x4xf32> {
  %r = weft.reshape %w : tensor<16x4xf32> -> tensor<4x16xf32>
  %0 = weft.matmul %x, %r {transpose_rhs} : tensor<8x16xf32>, tensor<4x16xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// Tests that offsets are multiples of the alignment and sizes are rounded up to it when packing: three buffers
// of 12, 60 and 12 bytes take 64-byte slots on CPU and 256-byte slots with alignment=256.

// CHECK-LABEL: func.func @alignment
// CHECK-SAME: weft.arena_alignment = 64 : i64, weft.arena_persistent_size = 0 : i64, weft.arena_size = 128 : i64
// CHECK-NEXT: weft.broadcast %arg0 dims = [1] {weft.offset = 64 : i64}
// CHECK-NEXT: weft.reduce sum %{{.*}} dims = [0] {weft.offset = 0 : i64}
// GPU-LABEL: func.func @alignment
// GPU-SAME: weft.arena_alignment = 256 : i64, weft.arena_persistent_size = 0 : i64, weft.arena_size = 512 : i64
// GPU-NEXT: weft.broadcast %arg0 dims = [1] {weft.offset = 256 : i64}
// GPU-NEXT: weft.reduce sum %{{.*}} dims = [0] {weft.offset = 0 : i64}
func.func @alignment(%x: tensor<3xf32> {weft.input = "x"}) -> tensor<3xf32> {
  %0 = weft.broadcast %x dims = [1] : tensor<3xf32> -> tensor<5x3xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<5x3xf32>
  return %1 : tensor<3xf32>
}

// -----

// Tests that a value without a known byte size is reported at its function with a hint.

// expected-error @+1 {{argument #0 of type 'tensor<?xf32>' has no known byte size; hint: memory planning needs statically shaped tensors}}
func.func @dynamic_shape(%x: tensor<?xf32> {weft.input = "x"}) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}

// -----

// Tests that an op with several results records one offset per result, as an array.

// CHECK-LABEL: func.func @multiple_results
// CHECK-SAME: weft.arena_size = 640 : i64
// CHECK-NEXT: weft.layer_norm %arg0, %arg1 epsilon = {{.*}} {weft.offset = array<i64: 256, 512, 576>}
func.func @multiple_results(%x: tensor<4x16xf32> {weft.input = "x"}, %g: tensor<16xf32> {weft.param = "g"})
    -> (tensor<4x16xf32>, tensor<4xf32>) {
  %y, %mean, %rstd = weft.layer_norm %x, %g epsilon = 1.0e-05 : tensor<4x16xf32>, tensor<16xf32>
  return %y, %rstd : tensor<4x16xf32>, tensor<4xf32>
}

// -----

// Tests that buffers whose sizes add up to more than 2^62 bytes are refused instead of giving wrapped offsets
// (each is 2^62 bytes, the largest tensor; the arena used to print as 7.46e18 for far more).

// expected-error @+1 {{the buffers of '@too_large' add up to more than 2^62 bytes (3 buffers)}}
func.func @too_large(%a: tensor<1073741824x1073741824xf32> {weft.input = "a"}) -> tensor<1073741824x1073741824xf32> {
  %0 = weft.neg %a : tensor<1073741824x1073741824xf32>
  %1 = weft.neg %0 : tensor<1073741824x1073741824xf32>
  return %1 : tensor<1073741824x1073741824xf32>
}

// -----

// Tests that a scatter_add into an init that dies there writes over the init (the exp's place), while one into an
// init read later (the tanh, read by the add) gets a place of its own.

// CHECK-LABEL: func.func @scatter_into_dying_init
// CHECK-NEXT: weft.exp %arg0 {weft.offset = 4096 : i64}
// CHECK-NEXT: weft.tanh %arg0 {weft.offset = 0 : i64}
// CHECK-NEXT: weft.scatter_add %arg1[%arg2] into %{{.*}} {weft.offset = 4096 : i64}
// CHECK-NEXT: weft.scatter_add %arg1[%arg2] into %{{.*}} {weft.offset = 8192 : i64}
func.func @scatter_into_dying_init(%x: tensor<64x16xf32> {weft.input = "x"}, %u: tensor<8x16xf32> {weft.input = "u"},
                                   %i: tensor<8xi64> {weft.input = "i"}) -> (tensor<64x16xf32>, tensor<64x16xf32>) {
  %t = weft.exp %x : tensor<64x16xf32>
  %keep = weft.tanh %x : tensor<64x16xf32>
  %s = weft.scatter_add %u[%i] into %t : tensor<8x16xf32>, tensor<8xi64> -> tensor<64x16xf32>
  %k = weft.scatter_add %u[%i] into %keep : tensor<8x16xf32>, tensor<8xi64> -> tensor<64x16xf32>
  %y = weft.add %s, %keep : tensor<64x16xf32>
  return %y, %k : tensor<64x16xf32>, tensor<64x16xf32>
}
