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
func.func @no_operands() -> tensor<4x4xi1> {
  %m = weft.fusion : () -> tensor<4x4xi1> {
    %r = weft.iota dim = 0 : tensor<4x4xi64>
    %c = weft.iota dim = 1 : tensor<4x4xi64>
    %k = weft.compare ge, %r, %c : tensor<4x4xi64>
    weft.yield %k : tensor<4x4xi1>
  }
  return %m : tensor<4x4xi1>
}
func.func @repeated_and_unused_operands(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %r = weft.fusion %x, %y, %x : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %unused: tensor<4xf32>, %b: tensor<4xf32>):
    %s = weft.mul %a, %b : tensor<4xf32>
    weft.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
func.func @repeated_passthrough_and_unused_results(%x: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %r:4 = weft.fusion %x : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: tensor<4xf32>):
    %e = weft.exp %a : tensor<4xf32>
    %n = weft.neg %a : tensor<4xf32>
    weft.yield %e, %e, %a, %n : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1, %r#2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
