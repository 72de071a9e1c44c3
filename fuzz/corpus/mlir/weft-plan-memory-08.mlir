func.func @dynamic_shape(%x: tensor<?xf32> {weft.input = "x"}) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
