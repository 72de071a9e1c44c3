func.func @dynamic(%a: tensor<?xf32>) {
  %0 = weft.neg %a : tensor<?xf32>
  return
}
