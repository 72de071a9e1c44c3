//===- FrontendTestUtil.h - helpers of the DSL's tests ----------*- C++ -*-===//
//
// This file implements what the tests of frontend/ and models/ share:
// errorOf, which runs code that must throw and returns the message, and
// EXPECT_HAS, a substring expectation that prints the whole text.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_FRONTEND_FRONTENDTESTUTIL_H
#define WEFT_TESTS_FRONTEND_FRONTENDTESTUTIL_H

#include "frontend/DslError.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace weft::test {

/// Runs `f`, which must throw E (DslError by default), and returns its message.
template <typename E = DslError>
std::string errorOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const E &e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

} // namespace weft::test

/// Expects `part` in `text`, printing `text` otherwise.
#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

#endif // WEFT_TESTS_FRONTEND_FRONTENDTESTUTIL_H
