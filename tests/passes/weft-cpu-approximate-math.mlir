// RUN: weft-opt %s --split-input-file --weft-cpu-approximate-math | FileCheck %s

// Tests that f32 tanh, erf, exp and log become polynomials (no math call is
// left that LLVM would turn into a libm call) while sqrt stays.
// CHECK-LABEL: func.func @transcendental
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK: math.fma
// CHECK: math.sqrt
func.func @transcendental(%x: f32) -> (f32, f32, f32, f32, f32) {
  %0 = math.tanh %x : f32
  %1 = math.erf %x : f32
  %2 = math.exp %x : f32
  %3 = math.log %x : f32
  %4 = math.sqrt %x : f32
  return %0, %1, %2, %3, %4 : f32, f32, f32, f32, f32
}

// -----

// Tests that other element types are left alone (weft computes f16/bf16 in
// f32, so they never reach this pass).
// CHECK-LABEL: func.func @f64
// CHECK: math.tanh %{{.*}} : f64
func.func @f64(%x: f64) -> f64 {
  %0 = math.tanh %x : f64
  return %0 : f64
}
