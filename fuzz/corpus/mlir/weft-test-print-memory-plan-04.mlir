func.func @stale(%x: tensor<16xf32> {weft.input = "x", weft.offset = 0 : i64}) -> tensor<16xf32>
    attributes {weft.arena_alignment = 64 : i64, weft.arena_persistent_size = 0 : i64, weft.arena_size = 128 : i64} {
  %0 = weft.exp %x : tensor<16xf32>
  return %0 : tensor<16xf32>
}
