// AdamW update of one GPT-2 124M MLP weight, [768, 3072] f32, with its moments m and v (weft.state, zero at load) and
// the gradient g: produced by the compiler, `weft-opt --weft-optimizer="clip-norm=0" -canonicalize -cse` (defaults:
// beta1 0.9, beta2 0.95, eps 1e-8, weight decay 0.1) on a function returning loss and grad:w = g, then g made a
// parameter (so no run restages it) and the loss output dropped. lr and step are run inputs (scalars packed into one
// vector by the pass). Timed by bench/cuda/run_kernels.sh.
func.func @main(%arg0: tensor<768x3072xf32> {weft.param = "w"}, %arg1: tensor<768x3072xf32> {weft.param = "g"}, %arg3: tensor<f32> {weft.input = "lr"}, %arg4: tensor<f32> {weft.input = "step"}, %arg5: tensor<768x3072xf32> {weft.state = "adamw.m:w"}, %arg6: tensor<768x3072xf32> {weft.state = "adamw.v:w"}) -> (tensor<768x3072xf32> {weft.update = "w"}, tensor<768x3072xf32> {weft.update = "adamw.m:w"}, tensor<768x3072xf32> {weft.update = "adamw.v:w"}) {
  %0 = weft.constant dense<9.99999993E-9> : tensor<1xf32>
  %1 = weft.constant dense<5.000000e-02> : tensor<1xf32>
  %2 = weft.constant dense<0.949999988> : tensor<1xf32>
  %3 = weft.constant dense<1.000000e-01> : tensor<1xf32>
  %4 = weft.constant dense<0.899999976> : tensor<1xf32>
  %5 = weft.constant dense<1.000000e-01> : tensor<f32>
  %6 = weft.constant dense<0.949999988> : tensor<f32>
  %7 = weft.constant dense<1.000000e+00> : tensor<f32>
  %8 = weft.constant dense<0.899999976> : tensor<f32>
  %9 = weft.pow %8, %arg4 : tensor<f32>
  %10 = weft.sub %7, %9 : tensor<f32>
  %11 = weft.pow %6, %arg4 : tensor<f32>
  %12 = weft.sub %7, %11 : tensor<f32>
  %13 = weft.div %arg3, %10 : tensor<f32>
  %14 = weft.rsqrt %12 : tensor<f32>
  %15 = weft.mul %arg3, %5 : tensor<f32>
  %16 = weft.sub %7, %15 : tensor<f32>
  %17 = weft.reshape %13 : tensor<f32> -> tensor<1xf32>
  %18 = weft.reshape %14 : tensor<f32> -> tensor<1xf32>
  %19 = weft.reshape %16 : tensor<f32> -> tensor<1xf32>
  %20 = weft.concat %17, %18, %19, %4, %3, %2, %1, %0 dim = 0 : tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>
  %21 = weft.slice %20 start = [4] limit = [5] strides = [1] : tensor<8xf32>
  %22 = weft.broadcast %21 dims = [0] : tensor<1xf32> -> tensor<768x3072xf32>
  %23 = weft.mul %22, %arg1 : tensor<768x3072xf32>
  %24 = weft.slice %20 start = [3] limit = [4] strides = [1] : tensor<8xf32>
  %25 = weft.broadcast %24 dims = [0] : tensor<1xf32> -> tensor<768x3072xf32>
  %26 = weft.mul %25, %arg5 : tensor<768x3072xf32>
  %27 = weft.add %26, %23 : tensor<768x3072xf32>
  %28 = weft.mul %arg1, %arg1 : tensor<768x3072xf32>
  %29 = weft.slice %20 start = [6] limit = [7] strides = [1] : tensor<8xf32>
  %30 = weft.broadcast %29 dims = [0] : tensor<1xf32> -> tensor<768x3072xf32>
  %31 = weft.mul %30, %28 : tensor<768x3072xf32>
  %32 = weft.slice %20 start = [5] limit = [6] strides = [1] : tensor<8xf32>
  %33 = weft.broadcast %32 dims = [0] : tensor<1xf32> -> tensor<768x3072xf32>
  %34 = weft.mul %33, %arg6 : tensor<768x3072xf32>
  %35 = weft.add %34, %31 : tensor<768x3072xf32>
  %36 = weft.slice %20 start = [7] limit = [8] strides = [1] : tensor<8xf32>
  %37 = weft.broadcast %36 dims = [0] : tensor<1xf32> -> tensor<768x3072xf32>
  %38 = weft.slice %20 start = [1] limit = [2] strides = [1] : tensor<8xf32>
  %39 = weft.broadcast %38 dims = [0] : tensor<1xf32> -> tensor<768x3072xf32>
  %40 = weft.sqrt %35 : tensor<768x3072xf32>
  %41 = weft.mul %40, %39 : tensor<768x3072xf32>
  %42 = weft.add %41, %37 : tensor<768x3072xf32>
  %43 = weft.slice %20 start = [0] limit = [1] strides = [1] : tensor<8xf32>
  %44 = weft.broadcast %43 dims = [0] : tensor<1xf32> -> tensor<768x3072xf32>
  %45 = weft.mul %44, %27 : tensor<768x3072xf32>
  %46 = weft.div %45, %42 : tensor<768x3072xf32>
  %47 = weft.slice %20 start = [2] limit = [3] strides = [1] : tensor<8xf32>
  %48 = weft.broadcast %47 dims = [0] : tensor<1xf32> -> tensor<768x3072xf32>
  %49 = weft.mul %arg0, %48 : tensor<768x3072xf32>
  %50 = weft.sub %49, %46 : tensor<768x3072xf32>
  return %50, %27, %35 : tensor<768x3072xf32>, tensor<768x3072xf32>, tensor<768x3072xf32>
}
