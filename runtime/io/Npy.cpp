//===- Npy.cpp - NumPy .npy files -------------------------------------------===//
//
// This file implements writeNpy and readNpy. The header is a Python dict
// literal; it is parsed by a small recursive-descent parser that accepts
// exactly what numpy.save writes ({'descr': str, 'fortran_order': bool,
// 'shape': tuple of ints}, with optional trailing commas and spaces) and
// reports the character position of anything else.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Npy.h"

#include "runtime/FileUtil.h"

#include <bit>
#include <cstring>
#include <limits>
#include <string_view>

namespace weft::rt {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader and writer assume a little-endian host");

namespace {

constexpr std::string_view kMagic("\x93NUMPY", 6);
constexpr size_t kAlignment = 64; // numpy aligns the data to 64 bytes

/// The three fields of a .npy header.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// How a header failed to parse: corrupt, or valid but not representable.
enum class ParseFailure { kNone, kMalformed, kUnsupported };

/// Parses the Python dict literal of a .npy header.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  /// Parses the whole header into `header`; on failure sets error().
  ParseFailure parse(NpyHeader &header) {
    bool seenDescr = false, seenFortran = false, seenShape = false;
    if (!expect('{'))
      return failure_;
    while (true) {
      skipSpace();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      std::string key;
      if (!parseString(key) || !expect(':'))
        return failure_;
      skipSpace();
      if (key == "descr") {
        if (peek() == '[' || peek() == '(')
          return unsupported("structured dtypes are not supported (descr is a list)");
        if (!parseString(header.descr))
          return failure_;
        seenDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(header.fortranOrder))
          return failure_;
        seenFortran = true;
      } else if (key == "shape") {
        if (!parseShape(header.shape))
          return failure_;
        seenShape = true;
      } else {
        return malformed("unexpected key '" + key + "'");
      }
      skipSpace();
      if (peek() == ',')
        ++pos_;
      else if (peek() != '}')
        return malformed("expected ',' or '}'");
    }
    skipSpace();
    if (pos_ != text_.size())
      return malformed("unexpected text after the closing '}'");
    if (!seenDescr || !seenFortran || !seenShape)
      return malformed(std::string("missing key '") +
                       (!seenDescr ? "descr" : !seenFortran ? "fortran_order" : "shape") + "'");
    return ParseFailure::kNone;
  }

  /// What went wrong, with the character position.
  const std::string &error() const { return error_; }

private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  ParseFailure fail(ParseFailure kind, const std::string &what) {
    failure_ = kind;
    error_ = what + " at character " + std::to_string(pos_) + " of the header";
    return kind;
  }
  ParseFailure malformed(const std::string &what) { return fail(ParseFailure::kMalformed, what); }
  ParseFailure unsupported(const std::string &what) { return fail(ParseFailure::kUnsupported, what); }

  bool expect(char c) {
    skipSpace();
    if (peek() != c) {
      malformed(std::string("expected '") + c + "'");
      return false;
    }
    ++pos_;
    return true;
  }

  bool parseString(std::string &out) {
    skipSpace();
    char quote = peek();
    if (quote != '\'' && quote != '"') {
      malformed("expected a quoted string");
      return false;
    }
    ++pos_;
    out.clear();
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') {
        malformed("escape sequences are not expected in a .npy header");
        return false;
      }
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) {
      malformed("unterminated string");
      return false;
    }
    ++pos_;
    return true;
  }

  bool parseBool(bool &out) {
    if (text_.substr(pos_, 4) == "True") {
      out = true;
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      out = false;
      pos_ += 5;
      return true;
    }
    malformed("expected True or False");
    return false;
  }

  bool parseDimension(int64_t &out) {
    skipSpace();
    if (peek() < '0' || peek() > '9') {
      malformed(peek() == '-' ? "negative dimension" : "expected a non-negative integer");
      return false;
    }
    out = 0;
    while (peek() >= '0' && peek() <= '9') {
      int digit = peek() - '0';
      if (out > (std::numeric_limits<int64_t>::max() - digit) / 10) {
        malformed("dimension too large");
        return false;
      }
      out = out * 10 + digit;
      ++pos_;
    }
    if (peek() == 'L') // Python 2 long literal
      ++pos_;
    return true;
  }

  bool parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!expect('('))
      return false;
    while (true) {
      skipSpace();
      if (peek() == ')') {
        ++pos_;
        return true;
      }
      int64_t dim;
      if (!parseDimension(dim))
        return false;
      shape.push_back(dim);
      skipSpace();
      if (peek() == ',')
        ++pos_;
      else if (peek() != ')') {
        malformed("expected ',' or ')' in the shape");
        return false;
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  ParseFailure failure_ = ParseFailure::kMalformed;
  std::string error_;
};

/// The .npy descr of `dtype`, or nullptr when NumPy has none that weft writes.
const char *descrOf(DType dtype) {
  switch (dtype) {
  case weft::proto::F32: return "<f4";
  case weft::proto::F16: return "<f2";
  case weft::proto::I32: return "<i4";
  case weft::proto::I64: return "<i8";
  case weft::proto::I1: return "|b1";
  case weft::proto::I8: return "|i1";
  default: return nullptr;
  }
}

/// Maps a descr such as '<f4' to a DType; sets `error` when it cannot.
bool dtypeOfDescr(const std::string &descr, DType &dtype, std::string &error) {
  std::string_view body(descr);
  char order = '=';
  if (!body.empty() && (body[0] == '<' || body[0] == '>' || body[0] == '|' || body[0] == '='))
    order = body[0], body.remove_prefix(1);
  if (body == "f4") dtype = weft::proto::F32;
  else if (body == "f2") dtype = weft::proto::F16;
  else if (body == "i4") dtype = weft::proto::I32;
  else if (body == "i8") dtype = weft::proto::I64;
  else if (body == "b1" || body == "?") dtype = weft::proto::I1;
  else if (body == "i1") dtype = weft::proto::I8;
  else {
    error = "unsupported dtype '" + descr +
            "' (supported: '<f4', '<f2', '<i4', '<i8', '|b1', '|i1'; bf16 is stored as f32)";
    return false;
  }
  if (order == '>' && dtypeSize(dtype) > 1) {
    error = "big-endian dtype '" + descr + "' is not supported; save it little-endian "
            "(e.g. arr.astype(arr.dtype.newbyteorder('<')))";
    return false;
  }
  return true;
}

/// numpy's spelling of a shape: "()", "(3,)", "(2, 3)".
std::string pythonTuple(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

/// Little-endian bytes of `value`, `width` bytes long.
void appendLittleEndian(std::string &out, uint64_t value, int width) {
  for (int i = 0; i < width; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xff);
}

/// Product of `shape`, or -1 when it overflows int64.
int64_t checkedNumElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && n > std::numeric_limits<int64_t>::max() / d))
      return -1;
    n *= d;
  }
  return n;
}

} // namespace

Status writeNpy(const std::string &path, const HostTensor &tensor) {
  std::string where = "writeNpy '" + path + "': ";
  if (tensor.dtype == weft::proto::BF16)
    return invalidArgument(where + "bf16 has no NumPy dtype; cast the tensor to f32 first");
  const char *descr = descrOf(tensor.dtype);
  if (!descr)
    return invalidArgument(where + "unsupported dtype " + dtypeName(tensor.dtype));
  int64_t numel = checkedNumElements(tensor.shape);
  if (numel < 0)
    return invalidArgument(where + "invalid shape " + shapeString(tensor.shape));
  uint64_t expected = static_cast<uint64_t>(numel) * dtypeSize(tensor.dtype);
  if (tensor.bytes.size() != expected)
    return invalidArgument(where + "tensor of shape " + shapeString(tensor.shape) + " and dtype " +
                           dtypeName(tensor.dtype) + " needs " + std::to_string(expected) +
                           " bytes but holds " + std::to_string(tensor.bytes.size()));

  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                     pythonTuple(tensor.shape) + ", }";
  // Version 1.0 has a 2-byte header length; fall back to 2.0 (4 bytes) if needed.
  int major = 1;
  size_t prefix = kMagic.size() + 2 + 2;
  size_t total = (prefix + dict.size() + 1 + kAlignment - 1) / kAlignment * kAlignment;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = kMagic.size() + 2 + 4;
    total = (prefix + dict.size() + 1 + kAlignment - 1) / kAlignment * kAlignment;
  }
  size_t headerLen = total - prefix;
  std::string head(kMagic);
  head += static_cast<char>(major);
  head += static_cast<char>(0);
  appendLittleEndian(head, headerLen, major == 1 ? 2 : 4);
  head += dict;
  head.append(headerLen - dict.size() - 1, ' ');
  head += '\n';

  std::string_view data(reinterpret_cast<const char *>(tensor.bytes.data()), tensor.bytes.size());
  Status st = writeFileAtomically(path, {head, data});
  if (!st.isOk())
    return Status(st.code(), "writeNpy: " + st.message());
  return Status::ok();
}

StatusOr<HostTensor> readNpy(const std::string &path) {
  std::vector<uint8_t> file;
  Status st = readWholeFile(path, file);
  if (!st.isOk())
    return Status(st.code(), "readNpy: " + st.message());
  std::string where = "readNpy '" + path + "': ";

  if (file.size() < kMagic.size() ||
      std::memcmp(file.data(), kMagic.data(), kMagic.size()) != 0)
    return dataLoss(where + "not a .npy file (bad magic; expected \\x93NUMPY, file is " +
                    std::to_string(file.size()) + " bytes)");
  if (file.size() < kMagic.size() + 2)
    return dataLoss(where + "truncated before the format version");
  int major = file[6], minor = file[7];
  if ((major != 1 && major != 2) || minor != 0)
    return invalidArgument(where + "format version " + std::to_string(major) + "." +
                           std::to_string(minor) + " is not supported (1.0 and 2.0 are)");
  size_t lenBytes = major == 1 ? 2 : 4;
  size_t prefix = kMagic.size() + 2 + lenBytes;
  if (file.size() < prefix)
    return dataLoss(where + "truncated before the header length");
  uint64_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= static_cast<uint64_t>(file[8 + i]) << (8 * i);
  if (headerLen > file.size() - prefix)
    return dataLoss(where + "truncated: header length " + std::to_string(headerLen) +
                    " runs past the end of the file (" + std::to_string(file.size()) + " bytes)");

  std::string_view text(reinterpret_cast<const char *>(file.data()) + prefix, headerLen);
  NpyHeader header;
  HeaderParser parser(text);
  ParseFailure failure = parser.parse(header);
  if (failure == ParseFailure::kMalformed)
    return dataLoss(where + "malformed header: " + parser.error());
  if (failure == ParseFailure::kUnsupported)
    return invalidArgument(where + parser.error());
  if (header.fortranOrder)
    return invalidArgument(where + "Fortran-order arrays are not supported; save a C-order "
                                   "array (numpy.ascontiguousarray) instead");
  DType dtype;
  std::string dtypeError;
  if (!dtypeOfDescr(header.descr, dtype, dtypeError))
    return invalidArgument(where + dtypeError);
  int64_t numel = checkedNumElements(header.shape);
  uint64_t itemSize = dtypeSize(dtype);
  if (numel < 0 || static_cast<uint64_t>(numel) > std::numeric_limits<uint64_t>::max() / itemSize)
    return dataLoss(where + "shape " + shapeString(header.shape) + " is too large");

  uint64_t expected = static_cast<uint64_t>(numel) * itemSize;
  uint64_t present = file.size() - prefix - headerLen;
  if (present < expected)
    return dataLoss(where + "truncated: shape " + shapeString(header.shape) + " of " +
                    dtypeName(dtype) + " needs " + std::to_string(expected) +
                    " data bytes but the file has " + std::to_string(present));
  if (present > expected)
    return dataLoss(where + "corrupt: " + std::to_string(present - expected) +
                    " unexpected bytes after the data of shape " + shapeString(header.shape));

  HostTensor tensor(dtype, header.shape);
  const uint8_t *data = file.data() + prefix + headerLen;
  if (expected)
    std::memcpy(tensor.bytes.data(), data, expected);
  if (dtype == weft::proto::I1) {
    for (uint64_t i = 0; i < expected; ++i)
      if (tensor.bytes[i] > 1)
        return dataLoss(where + "corrupt: bool element " + std::to_string(i) + " is " +
                        std::to_string(tensor.bytes[i]) + ", not 0 or 1");
  }
  return tensor;
}

} // namespace weft::rt
