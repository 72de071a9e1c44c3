// RUN: weft-opt %s -split-input-file -weft-mixed-precision="precision=bf16" | FileCheck %s
// RUN: weft-opt %s -split-input-file -weft-mixed-precision="precision=f16 loss-scaling=true" | FileCheck %s --check-prefix=F16
// RUN: weft-opt %s -split-input-file -weft-mixed-precision="precision=bf16 store-parameters=true" | FileCheck %s --check-prefix=STORE
// RUN: weft-opt %s -split-input-file -weft-mixed-precision="precision=bf16 store-frozen=true" | FileCheck %s --check-prefix=FROZEN
// RUN: weft-opt %s -split-input-file -weft-mixed-precision="precision=bf16 store-parameters=true store-states=true" | FileCheck %s --check-prefix=STATES
// RUN: not weft-opt %s -split-input-file -weft-mixed-precision="precision=fp8" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADTYPE
// RUN: not weft-opt %s -split-input-file -weft-mixed-precision="precision=f16 loss-scaling=true loss=cost" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOLOSS

// Tests the policy on an MLP with a softmax-style loss: the parameters stay f32 arguments and are cast once at
// their use (the bias at its own shape, then broadcast in bf16); both matmuls, the bias add (plain broadcast
// operand) and the GELU compute in bf16, the second
// matmul reads the GELU's bf16 result directly; the reduce max/sum, x - max (a statistic operand), exp and the
// loss stay f32, reading the matmul through one cast back. With f16 loss scaling the input
// "amp.loss_scale_log2" and the outputs loss_scale = 2^(16 + s) and scaled_loss = loss * loss_scale are added.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[W1:.*]]: tensor<4x8xf32> {weft.param = "w1"}, %[[B1:.*]]: tensor<8xf32> {weft.param = "b1"}, %[[W2:.*]]: tensor<8x3xf32> {weft.param = "w2"}, %[[X:.*]]: tensor<2x4xf32> {weft.input = "x"})
// CHECK-SAME: -> (tensor<f32> {weft.output = "loss"})
// CHECK-DAG: %[[XB:.*]] = weft.cast %[[X]] : tensor<2x4xf32> -> tensor<2x4xbf16>
// CHECK-DAG: %[[W1B:.*]] = weft.cast %[[W1]] : tensor<4x8xf32> -> tensor<4x8xbf16>
// CHECK-DAG: %[[W2B:.*]] = weft.cast %[[W2]] : tensor<8x3xf32> -> tensor<8x3xbf16>
// CHECK-DAG: %[[B1B:.*]] = weft.cast %[[B1]] : tensor<8xf32> -> tensor<8xbf16>
// CHECK: %[[M1:.*]] = weft.matmul %[[XB]], %[[W1B]] : tensor<2x4xbf16>, tensor<4x8xbf16>
// CHECK: %[[BBL:.*]] = weft.broadcast %[[B1B]] dims = [1] : tensor<8xbf16> -> tensor<2x8xbf16>
// CHECK-NOT: tensor<2x8xf32>
// CHECK: %[[A:.*]] = weft.add %[[M1]], %[[BBL]] : tensor<2x8xbf16>
// CHECK: %[[G:.*]] = weft.gelu %[[A]] : tensor<2x8xbf16>
// CHECK: %[[M2:.*]] = weft.matmul %[[G]], %[[W2B]] : tensor<2x8xbf16>, tensor<8x3xbf16>
// CHECK: %[[UP:.*]] = weft.cast %[[M2]] : tensor<2x3xbf16> -> tensor<2x3xf32>
// CHECK: %[[MAX:.*]] = weft.reduce max %[[UP]] dims = [1] : tensor<2x3xf32>
// CHECK: %[[MB:.*]] = weft.broadcast %[[MAX]] dims = [0] : tensor<2xf32> -> tensor<2x3xf32>
// CHECK: %[[D:.*]] = weft.sub %[[UP]], %[[MB]] : tensor<2x3xf32>
// CHECK: %[[E:.*]] = weft.exp %[[D]] : tensor<2x3xf32>
// CHECK: %[[L:.*]] = weft.reduce sum %[[E]] dims = [0, 1] : tensor<2x3xf32>
// CHECK-NOT: weft.cast
// CHECK: return %[[L]] : tensor<f32>

// With store-parameters (inference), the three parameters, read only through their casts, become bf16
// arguments and the casts go; the input stays f32 and is cast.
// STORE-LABEL: func.func @main(
// STORE-SAME: %[[W1:.*]]: tensor<4x8xbf16> {weft.param = "w1"}, %[[B1:.*]]: tensor<8xbf16> {weft.param = "b1"}, %[[W2:.*]]: tensor<8x3xbf16> {weft.param = "w2"}, %[[X:.*]]: tensor<2x4xf32> {weft.input = "x"})
// STORE: %[[XB:.*]] = weft.cast %[[X]] : tensor<2x4xf32> -> tensor<2x4xbf16>
// STORE-NOT: weft.cast %[[W1]]
// STORE: weft.matmul %[[XB]], %[[W1]] : tensor<2x4xbf16>, tensor<4x8xbf16>

// F16-LABEL: func.func @main(
// F16-SAME: %[[S:[^ ]*]]: tensor<f32> {weft.input = "amp.loss_scale_log2"})
// F16-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<f32> {weft.output = "loss_scale"}, tensor<f32> {weft.output = "scaled_loss"})
// F16: weft.matmul %{{.*}}, %{{.*}} : tensor<2x4xf16>, tensor<4x8xf16>
// F16: %[[L:.*]] = weft.reduce sum %{{.*}} dims = [0, 1] : tensor<2x3xf32>
// F16: %[[INIT:.*]] = weft.constant dense<1.600000e+01> : tensor<f32>
// F16: %[[EXP:.*]] = weft.add %[[INIT]], %[[S]] : tensor<f32>
// F16: %[[TWO:.*]] = weft.constant dense<2.000000e+00> : tensor<f32>
// F16: %[[SCALE:.*]] = weft.pow %[[TWO]], %[[EXP]] : tensor<f32>
// F16: %[[SL:.*]] = weft.mul %[[L]], %[[SCALE]] : tensor<f32>
// F16: return %[[L]], %[[SCALE]], %[[SL]]
func.func @main(%w1: tensor<4x8xf32> {weft.param = "w1"}, %b1: tensor<8xf32> {weft.param = "b1"},
                %w2: tensor<8x3xf32> {weft.param = "w2"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w1 : tensor<2x4xf32>, tensor<4x8xf32>
  %1 = weft.broadcast %b1 dims = [1] : tensor<8xf32> -> tensor<2x8xf32>
  %2 = weft.add %0, %1 : tensor<2x8xf32>
  %3 = weft.gelu %2 : tensor<2x8xf32>
  %4 = weft.matmul %3, %w2 : tensor<2x8xf32>, tensor<8x3xf32>
  %5 = weft.reduce max %4 dims = [1] : tensor<2x3xf32>
  %6 = weft.broadcast %5 dims = [0] : tensor<2xf32> -> tensor<2x3xf32>
  %7 = weft.sub %4, %6 : tensor<2x3xf32>
  %8 = weft.exp %7 : tensor<2x3xf32>
  %9 = weft.reduce sum %8 dims = [0, 1] : tensor<2x3xf32>
  return %9 : tensor<f32>
}

// Negative cases (every split): an unknown precision, and loss scaling without an f32 scalar output of the
// given name, are errors at the function with a hint.
// BADTYPE: error: weft-mixed-precision: unknown precision 'fp8'; use precision=bf16 or precision=f16
// NOLOSS: error: 'func.func' op has no f32 scalar output named 'cost' to scale; name the loss output or pass loss=<name>

// -----

// Tests that a LayerNorm without a contraction is left entirely f32 (no casts): nothing is low, so the
// statistics, x - mean and the scaling by the f32 gain stay as they are; with f16 only the loss scale is added.

// CHECK-LABEL: func.func @main(
// CHECK-NOT: weft.cast
// CHECK-NOT: bf16
// CHECK: return
// The gain is read in f32, so it stays an f32 parameter even with store-parameters.
// STORE-LABEL: func.func @main(
// STORE-SAME: %{{.*}}: tensor<4xf32> {weft.param = "g"}
// F16-LABEL: func.func @main(
// F16-NOT: f16>
// F16: weft.pow
func.func @main(%g: tensor<4xf32> {weft.param = "g"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.reduce mean %x dims = [1] : tensor<2x4xf32>
  %1 = weft.broadcast %0 dims = [0] : tensor<2xf32> -> tensor<2x4xf32>
  %2 = weft.sub %x, %1 : tensor<2x4xf32>
  %3 = weft.mul %2, %2 : tensor<2x4xf32>
  %4 = weft.reduce mean %3 dims = [1] : tensor<2x4xf32>
  %5 = weft.broadcast %4 dims = [0] : tensor<2xf32> -> tensor<2x4xf32>
  %6 = weft.rsqrt %5 : tensor<2x4xf32>
  %7 = weft.mul %2, %6 : tensor<2x4xf32>
  %8 = weft.broadcast %g dims = [1] : tensor<4xf32> -> tensor<2x4xf32>
  %9 = weft.mul %7, %8 : tensor<2x4xf32>
  %10 = weft.reduce sum %9 dims = [0, 1] : tensor<2x4xf32>
  return %10 : tensor<f32>
}

// -----

// Tests that an integer gather and a residual add whose other operand is an f32 computed value (not plain) stay
// f32, while the batch_matmul computes in bf16 and is read through one cast back.

// CHECK-LABEL: func.func @main(
// CHECK: %[[E:.*]] = weft.gather
// CHECK: %[[BM:.*]] = weft.batch_matmul %{{.*}}, %{{.*}} : tensor<2x3x3xbf16>, tensor<2x3x3xbf16>
// CHECK: %[[UP:.*]] = weft.cast %[[BM]] : tensor<2x3x3xbf16> -> tensor<2x3x3xf32>
// CHECK: %[[R:.*]] = weft.add %[[E]], %[[UP]] : tensor<2x3x3xf32>
// CHECK: weft.reduce sum %[[R]]
// With store-parameters the table, read only by the gather, is stored bf16: the gather reads bf16 rows, which
// the batch_matmul reads directly (the cast to bf16 goes) and the f32 add reads through one cast back.
// STORE-LABEL: func.func @main(
// STORE-SAME: %[[T:.*]]: tensor<5x3x3xbf16> {weft.param = "table"}
// STORE: %[[E:.*]] = weft.gather %[[T]][%{{.*}}] : tensor<5x3x3xbf16>, tensor<2xi64>
// STORE: %[[EF:.*]] = weft.cast %[[E]] : tensor<2x3x3xbf16> -> tensor<2x3x3xf32>
// STORE: %[[BM:.*]] = weft.batch_matmul %[[E]], %[[E]] : tensor<2x3x3xbf16>, tensor<2x3x3xbf16>
// STORE: %[[UP:.*]] = weft.cast %[[BM]] : tensor<2x3x3xbf16> -> tensor<2x3x3xf32>
// STORE: weft.add %[[EF]], %[[UP]] : tensor<2x3x3xf32>
func.func @main(%t: tensor<5x3x3xf32> {weft.param = "table"}, %i: tensor<2xi64> {weft.input = "ids"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.gather %t[%i] : tensor<5x3x3xf32>, tensor<2xi64>
  %1 = weft.batch_matmul %0, %0 : tensor<2x3x3xf32>, tensor<2x3x3xf32>
  %2 = weft.add %0, %1 : tensor<2x3x3xf32>
  %3 = weft.reduce sum %2 dims = [0, 1, 2] : tensor<2x3x3xf32>
  return %3 : tensor<f32>
}


// -----

// Tests a tied embedding (GPT-2's wte, LLaMA's tied embed_tokens): the table is gathered (f32 rows for the
// residual stream) and read by the LM head's matmul through its transpose. Without store-parameters it stays an
// f32 parameter cast whole to bf16 for the head; with store-parameters it is held once, in bf16: the gather reads
// bf16 rows and casts only them back to f32, the head's transpose reads the bf16 table, and no cast of the whole
// table remains. A parameter with another f32 reader (the gain "g", read by a mul) stays f32.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[W:.*]]: tensor<6x4xf32> {weft.param = "wte"}
// CHECK: weft.cast %[[W]] : tensor<6x4xf32> -> tensor<6x4xbf16>
// CHECK: weft.gather %[[W]][%{{.*}}] : tensor<6x4xf32>, tensor<3xi64>
// STORE-LABEL: func.func @main(
// STORE-SAME: %[[W:.*]]: tensor<6x4xbf16> {weft.param = "wte"}, %[[G:.*]]: tensor<4xf32> {weft.param = "g"}
// STORE-NOT: weft.cast %[[W]]
// STORE: %[[E:.*]] = weft.gather %[[W]][%{{.*}}] : tensor<6x4xbf16>, tensor<3xi64>
// STORE-NEXT: %[[EF:.*]] = weft.cast %[[E]] : tensor<3x4xbf16> -> tensor<3x4xf32>
// STORE-NOT: weft.cast %[[W]]
// STORE: %[[WT:.*]] = weft.transpose %[[W]] permutation = [1, 0] : tensor<6x4xbf16>
// STORE: weft.matmul %{{.*}}, %[[WT]] : tensor<3x4xbf16>, tensor<4x6xbf16>
func.func @main(%w: tensor<6x4xf32> {weft.param = "wte"}, %g: tensor<4xf32> {weft.param = "g"},
                %ids: tensor<3xi64> {weft.input = "ids"}) -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.gather %w[%ids] : tensor<6x4xf32>, tensor<3xi64>
  %1 = weft.broadcast %g dims = [1] : tensor<4xf32> -> tensor<3x4xf32>
  %2 = weft.mul %0, %1 : tensor<3x4xf32>
  %3 = weft.transpose %w permutation = [1, 0] : tensor<6x4xf32>
  %4 = weft.matmul %2, %3 : tensor<3x4xf32>, tensor<4x6xf32>
  %5 = weft.reduce sum %4 dims = [0, 1] : tensor<3x6xf32>
  return %5 : tensor<f32>
}

// -----

// Tests store-frozen (a training program: LoRA's frozen base under trainable adapters): the frozen weight, read
// only through its cast, is held in bf16 and the cast goes; the trainable adapter keeps its f32 master weight and
// its cast; store-parameters (inference) holds both low.

// FROZEN: func.func @main(%[[W:.*]]: tensor<4x3xbf16> {weft.frozen, weft.param = "w"}, %[[A:.*]]: tensor<4x3xf32> {weft.param = "lora"}
// FROZEN-NOT: weft.cast %[[W]]
// FROZEN: weft.cast %[[A]] : tensor<4x3xf32> -> tensor<4x3xbf16>
// FROZEN: weft.matmul %{{.*}}, %[[W]] : tensor<2x4xbf16>, tensor<4x3xbf16>
// STORE-LABEL: func.func @main(
// STORE-SAME: tensor<4x3xbf16> {weft.frozen, weft.param = "w"}, %{{.*}}: tensor<4x3xbf16> {weft.param = "lora"}
func.func @main(%w: tensor<4x3xf32> {weft.param = "w", weft.frozen}, %a: tensor<4x3xf32> {weft.param = "lora"},
                %x: tensor<2x4xf32> {weft.input = "x"}) -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.matmul %x, %a : tensor<2x4xf32>, tensor<4x3xf32>
  %2 = weft.add %0, %1 : tensor<2x3xf32>
  %3 = weft.reduce sum %2 dims = [0, 1] : tensor<2x3xf32>
  return %3 : tensor<f32>
}

// -----

// Tests a decode step's attention over its key cache (an f32 weft.state written in place by
// weft.dynamic_update_slice): the product that reads the cache stays f32, so no step casts the whole cache to the
// low type; the new key row is computed low (a projection) and widened before it is written.

// STORE-LABEL: func.func @main(
// STORE-SAME: %[[CACHE:[^:]*]]: tensor<2x8x4xf32> {weft.state = "cache.k"}
// STORE-NOT: weft.cast %[[CACHE]]
// STORE: %[[K:.*]] = weft.matmul %{{.*}}, %{{.*}} : tensor<2x4xbf16>, tensor<4x4xbf16>
// STORE: %[[UPD:.*]] = weft.dynamic_update_slice %[[CACHE]][%{{.*}}], %{{.*}} dim = 1 : tensor<2x8x4xf32>, tensor<2x1x4xf32>, tensor<i64>
// STORE-NOT: weft.cast %[[UPD]]
// STORE: weft.batch_matmul %{{.*}}, %[[UPD]] {transpose_rhs} : tensor<2x1x4xf32>, tensor<2x8x4xf32>
// With store-states the cache becomes a bf16 argument, the new key row is written as computed (low: no cast of
// the row, none of the cache), the product reads the written bf16 cache directly and the update is returned in
// bf16: a bf16 state read by a bf16 product.
// STATES-LABEL: func.func @main(%{{[^:]*}}: tensor<4x4xbf16> {weft.param = "wk"}
// STATES-SAME: %[[CACHE:[^:]*]]: tensor<2x8x4xbf16> {weft.state = "cache.k"}
// STATES-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<2x8x4xbf16> {weft.update = "cache.k"})
// STATES-NOT: weft.cast %[[CACHE]]
// STATES: %[[K:.*]] = weft.matmul %{{.*}}, %{{.*}} : tensor<2x4xbf16>, tensor<4x4xbf16>
// STATES: %[[K3:.*]] = weft.reshape %[[K]] : tensor<2x4xbf16> -> tensor<2x1x4xbf16>
// STATES: %[[UPD:.*]] = weft.dynamic_update_slice %[[CACHE]][%{{.*}}], %[[K3]] dim = 1 : tensor<2x8x4xbf16>, tensor<2x1x4xbf16>, tensor<i64>
// STATES-NOT: weft.cast %[[UPD]]
// STATES: %[[S:.*]] = weft.batch_matmul %[[K3]], %[[UPD]] {transpose_rhs} : tensor<2x1x4xbf16>, tensor<2x8x4xbf16>
// STATES: weft.cast %[[S]] : tensor<2x1x8xbf16> -> tensor<2x1x8xf32>
// STATES: return %{{.*}}, %[[UPD]] : tensor<f32>, tensor<2x8x4xbf16>
func.func @main(%w: tensor<4x4xf32> {weft.param = "wk"}, %cache: tensor<2x8x4xf32> {weft.state = "cache.k"},
                %x: tensor<2x4xf32> {weft.input = "x"}, %pos: tensor<i64> {weft.input = "start"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<2x8x4xf32> {weft.update = "cache.k"}) {
  %k = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x4xf32>
  %k3 = weft.reshape %k : tensor<2x4xf32> -> tensor<2x1x4xf32>
  %upd = weft.dynamic_update_slice %cache[%pos], %k3 dim = 1 : tensor<2x8x4xf32>, tensor<2x1x4xf32>, tensor<i64>
  %s = weft.batch_matmul %k3, %upd {transpose_rhs} : tensor<2x1x4xf32>, tensor<2x8x4xf32>
  %l = weft.reduce sum %s dims = [0, 1, 2] : tensor<2x1x8xf32>
  return %l, %upd : tensor<f32>, tensor<2x8x4xf32>
}

// -----

// Tests store-states on a prefill's write and a beam reorder: a value computed in f32 (not low: a rotary sum of
// f32 products) is cast once as it is written into the bf16 cache; the reorder's gather of cache rows reads and
// returns bf16.
// STATES-LABEL: func.func @main(%arg0: tensor<2x8x4xbf16> {weft.state = "cache.k"}, %arg1: tensor<2x8x4xbf16> {weft.state = "cache.v"}
// STATES: %[[ROT:.*]] = weft.add %{{.*}}, %{{.*}} : tensor<2x3x4xf32>
// STATES: %[[ROTB:.*]] = weft.cast %[[ROT]] : tensor<2x3x4xf32> -> tensor<2x3x4xbf16>
// STATES: %[[W:.*]] = weft.dynamic_update_slice %arg0[%{{.*}}], %[[ROTB]] dim = 1 : tensor<2x8x4xbf16>, tensor<2x3x4xbf16>
// STATES: %[[G:.*]] = weft.gather %arg1[%{{.*}}] : tensor<2x8x4xbf16>, tensor<2xi64>
// STATES: return %{{.*}}, %[[W]], %[[G]] : tensor<f32>, tensor<2x8x4xbf16>, tensor<2x8x4xbf16>
func.func @main(%kc: tensor<2x8x4xf32> {weft.state = "cache.k"}, %vc: tensor<2x8x4xf32> {weft.state = "cache.v"},
                %a: tensor<2x3x4xf32> {weft.input = "a"}, %c: tensor<2x3x4xf32> {weft.input = "c"},
                %pos: tensor<i64> {weft.input = "start"}, %src: tensor<2xi64> {weft.input = "source"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<2x8x4xf32> {weft.update = "cache.k"},
        tensor<2x8x4xf32> {weft.update = "cache.v"}) {
  %l = weft.reduce sum %a dims = [0, 1, 2] : tensor<2x3x4xf32>
  %m = weft.mul %a, %c : tensor<2x3x4xf32>
  %e = weft.exp %a : tensor<2x3x4xf32>
  %r = weft.add %m, %e : tensor<2x3x4xf32>
  %w = weft.dynamic_update_slice %kc[%pos], %r dim = 1 : tensor<2x8x4xf32>, tensor<2x3x4xf32>, tensor<i64>
  %g = weft.gather %vc[%src] : tensor<2x8x4xf32>, tensor<2xi64>
  return %l, %w, %g : tensor<f32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>
}

// -----

// Tests that store-states keeps a state f32 when something else than a write, movement, gather or product reads
// it (a running sum updated by elementwise math): no cast, the state and its update stay f32.
// STATES-LABEL: func.func @main(%arg0: tensor<2x4xf32> {weft.state = "acc"}
// STATES-SAME: tensor<2x4xf32> {weft.update = "acc"})
// STATES-NOT: weft.cast %arg0
// STATES: weft.add %arg0, %{{.*}} : tensor<2x4xf32>
func.func @main(%acc: tensor<2x4xf32> {weft.state = "acc"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<2x4xf32> {weft.update = "acc"}) {
  %s = weft.add %acc, %x : tensor<2x4xf32>
  %l = weft.reduce sum %x dims = [0, 1] : tensor<2x4xf32>
  return %l, %s : tensor<f32>, tensor<2x4xf32>
}
