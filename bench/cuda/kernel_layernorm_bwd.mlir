// LayerNorm backward on GPT-2 124M training shapes (8 x 1024 tokens of 768, f32): dx, dgamma, dbeta from x, gamma and
// the upstream gradient dy. Produced by the compiler: `weft-opt --weft-autodiff -canonicalize -cse` on
// kernel_layernorm_fwd.mlir's LayerNorm with x a parameter and loss = sum(y * dy), then the loss output (and so the
// forward y) dropped and the seed product 1 * dy replaced by dy, as in a network where dy comes from the next op.
// The statistics (mean, rstd) are recomputed from x here; the fusion passes form what they form. Timed by
// bench/cuda/run_kernels.sh.
func.func @main(%arg0: tensor<8192x768xf32> {weft.param = "x"}, %arg1: tensor<768xf32> {weft.param = "gamma"}, %arg3: tensor<8192x768xf32> {weft.param = "dy"}) -> (tensor<8192x768xf32> {weft.output = "dx"}, tensor<768xf32> {weft.output = "dgamma"}, tensor<768xf32> {weft.output = "dbeta"}) {
    %1 = weft.constant dense<0.00130208337> : tensor<8192x768xf32>
    %2 = weft.constant dense<-5.000000e-01> : tensor<8192xf32>
    %3 = weft.constant dense<9.99999974E-6> : tensor<8192xf32>
    %4 = weft.reduce  mean %arg0 dims = [1] : tensor<8192x768xf32>
    %5 = weft.broadcast %4 dims = [0] : tensor<8192xf32> -> tensor<8192x768xf32>
    %6 = weft.sub %arg0, %5 : tensor<8192x768xf32>
    %7 = weft.mul %6, %6 : tensor<8192x768xf32>
    %8 = weft.reduce  mean %7 dims = [1] : tensor<8192x768xf32>
    %9 = weft.add %8, %3 : tensor<8192xf32>
    %10 = weft.rsqrt %9 : tensor<8192xf32>
    %11 = weft.broadcast %10 dims = [0] : tensor<8192xf32> -> tensor<8192x768xf32>
    %12 = weft.mul %6, %11 : tensor<8192x768xf32>
    %13 = weft.broadcast %arg1 dims = [1] : tensor<768xf32> -> tensor<8192x768xf32>
    %20 = weft.reduce  sum %arg3 dims = [0] : tensor<8192x768xf32>
    %21 = weft.mul %arg3, %13 : tensor<8192x768xf32>
    %22 = weft.mul %arg3, %12 : tensor<8192x768xf32>
    %23 = weft.reduce  sum %22 dims = [0] : tensor<8192x768xf32>
    %24 = weft.mul %21, %11 : tensor<8192x768xf32>
    %25 = weft.mul %21, %6 : tensor<8192x768xf32>
    %26 = weft.reduce  sum %25 dims = [1] : tensor<8192x768xf32>
    %27 = weft.mul %10, %10 : tensor<8192xf32>
    %28 = weft.mul %10, %27 : tensor<8192xf32>
    %29 = weft.mul %28, %2 : tensor<8192xf32>
    %30 = weft.mul %26, %29 : tensor<8192xf32>
    %31 = weft.broadcast %30 dims = [0] : tensor<8192xf32> -> tensor<8192x768xf32>
    %32 = weft.mul %31, %1 : tensor<8192x768xf32>
    %33 = weft.mul %32, %6 : tensor<8192x768xf32>
    %34 = weft.add %24, %33 : tensor<8192x768xf32>
    %35 = weft.add %34, %33 : tensor<8192x768xf32>
    %36 = weft.neg %35 : tensor<8192x768xf32>
    %37 = weft.reduce  sum %36 dims = [1] : tensor<8192x768xf32>
    %38 = weft.broadcast %37 dims = [0] : tensor<8192xf32> -> tensor<8192x768xf32>
    %39 = weft.mul %38, %1 : tensor<8192x768xf32>
    %40 = weft.add %35, %39 : tensor<8192x768xf32>
    return %40, %23, %20 : tensor<8192x768xf32>, tensor<768xf32>, tensor<768xf32>
}
