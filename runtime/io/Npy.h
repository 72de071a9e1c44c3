//===- Npy.h - NumPy .npy files ----------------------------------*- C++ -*-===//
//
// This file implements reading and writing single tensors in NumPy's .npy
// format (the format of numpy.save / numpy.load): a magic string, a version,
// a Python-literal header {'descr', 'fortran_order', 'shape'} and the raw
// little-endian data in C order. It is how weft hands logits and test tensors
// to Python and back.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_IO_NPY_H
#define WEFT_RUNTIME_IO_NPY_H

#include "runtime/HostTensor.h"
#include "runtime/Status.h"

#include <string>

namespace weft::rt {

/// Writes `tensor` to `path` as a .npy file (format 1.0, or 2.0 when the header
/// needs more than 65535 bytes), replacing the file atomically. Supported
/// dtypes: f32 ('<f4'), f16 ('<f2'), i32 ('<i4'), i64 ('<i8'), i1 ('|b1').
/// bf16 has no NumPy dtype and is rejected with INVALID_ARGUMENT (cast it to
/// f32 first). A tensor whose byte count does not match its shape is rejected.
Status writeNpy(const std::string &path, const HostTensor &tensor);

/// Reads a .npy file of format 1.0 or 2.0 in C order with one of the dtypes
/// writeNpy writes. Errors: NOT_FOUND for a missing file; DATA_LOSS naming the
/// path for a truncated or corrupt file (bad magic, malformed header, wrong
/// data size, bool bytes other than 0/1); INVALID_ARGUMENT for a well-formed
/// file weft cannot represent (Fortran order, big-endian or unsupported dtype,
/// another format version).
StatusOr<HostTensor> readNpy(const std::string &path);

} // namespace weft::rt

#endif // WEFT_RUNTIME_IO_NPY_H
