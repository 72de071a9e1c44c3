//===- Flags.h - the weft CLI's flag declarations and parser ----*- C++ -*-===//
//
// This file declares the one flag mechanism of the `weft` subcommands: a
// FlagSet holds flag declarations (name, value name, help text, kind, bounds,
// default), each bound to a variable of the command; parse() fills the
// variables from argv (`--name value` or `--name=value`), and help() writes
// the subcommand's usage from the same declarations, grouped in sections.
// Arguments with a forwarded prefix (`--mlir-*`) are collected untouched for
// another parser. A bad command line throws FlagError.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_FLAGS_H
#define WEFT_TOOLS_WEFT_FLAGS_H

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft::cli {

/// A command line a subcommand cannot run with: an unknown flag, a missing or
/// malformed value, a value out of bounds, flags that do not go together.
/// `weft` prints "weft CMD: error: MESSAGE" and a usage hint and exits 2.
struct FlagError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What a flag holds.
enum class FlagKind {
  Switch,  ///< no value: present or not (bool)
  String,  ///< any text, or one of a fixed list (std::string)
  Integer, ///< a whole number in decimal digits, within bounds (int64_t)
  Number,  ///< a finite floating-point number (double)
};

/// The largest integer a flag takes unless its declaration says otherwise.
inline constexpr int64_t kFlagIntegerMax = 1000000000;

/// One declaration of a FlagSet. The FlagSet::add* calls return it so that
/// the declaration can be refined: flags.addString(...).oneOf({...}).
class Flag {
public:
  /// Restricts a String flag to `choices`; another value is an error
  /// "--NAME must be A, B or C, got 'X'".
  Flag &oneOf(std::vector<std::string> choices);
  /// The default the help shows, in place of the bound variable's value at
  /// declaration; "" shows none (e.g. when the help text explains it).
  Flag &showDefault(std::string text);
  /// Makes the flag (or positional argument) required: parsing a command
  /// line without it, or with an empty text for it, throws
  /// FlagError(`missingMessage`).
  Flag &required(std::string missingMessage);

  const std::string &name() const { return name_; }
  FlagKind kind() const { return kind_; }

private:
  friend class FlagSet;

  /// Converts `value` (given as `--NAME value`) and stores it.
  void set(const std::string &value);
  /// "--name", or "-x" for a one-letter name.
  std::string spelling() const;
  /// The left column of the help line ("--name VALUE", "MODEL").
  std::string synopsis() const;

  std::string name_, valueName_, help_, defaultText_, missingMessage_;
  FlagKind kind_ = FlagKind::Switch;
  size_t section_ = 0;
  /// A positional argument (name_ is empty) or a help-only line.
  bool positional_ = false, helpOnly_ = false;
  /// Given on the command line parsed last.
  bool seen_ = false;
  int64_t min_ = 0, max_ = kFlagIntegerMax;
  std::vector<std::string> choices_;
  bool *switch_ = nullptr;
  std::string *string_ = nullptr;
  int64_t *integer_ = nullptr;
  double *number_ = nullptr;
};

/// The flags of one subcommand.
class FlagSet {
public:
  /// `command` is the subcommand's name ("compile"), `usage` its usage line
  /// without "usage: ", `description` one paragraph after it in the help.
  FlagSet(std::string command, std::string usage, std::string description);
  ~FlagSet();

  /// Starts a help section: the flags declared next are listed under
  /// "TITLE:". Naming an existing section continues it.
  void section(const std::string &title);

  /// Declares `--NAME`, a switch that sets `*out` to true.
  Flag &addSwitch(const std::string &name, const std::string &help, bool *out);
  /// Declares `--NAME VALUE`, stored as given; the default is `*out`'s value.
  Flag &addString(const std::string &name, const std::string &valueName, const std::string &help,
                  std::string *out);
  /// Declares `--NAME VALUE`, a whole number in [min, max] ("1e3", "1.0" and
  /// "-5" where min >= 0 are errors); the default is `*out`'s value.
  Flag &addInteger(const std::string &name, const std::string &valueName, const std::string &help,
                   int64_t *out, int64_t min, int64_t max = kFlagIntegerMax);
  /// Declares `--NAME VALUE`, a finite number as strtod reads it ("1e-3");
  /// the default is `*out`'s value.
  Flag &addNumber(const std::string &name, const std::string &valueName, const std::string &help,
                  double *out);
  /// Declares the one positional argument, stored in `*out`; a second one is
  /// an error. Whether it is required is the command's check.
  Flag &addPositional(const std::string &valueName, const std::string &help, std::string *out);
  /// Adds a help line for a flag another parser handles (see forward()).
  void describe(const std::string &synopsis, const std::string &help);
  /// Arguments `--PREFIX...` are not parsed here but collected as written
  /// (without `=VALUE`, with the next argument when `takesValue(NAME)`, NAME
  /// without the dashes) and handed to `handle` at the end of parse(), also
  /// when there are none.
  void forward(const std::string &prefix, std::function<bool(const std::string &)> takesValue,
               std::function<void(const std::vector<std::string> &)> handle);

  /// Parses argv[1..argc) (argv[0] is the command word) into the bound
  /// variables. Returns false when `--help` (or `-h`) was given: the caller
  /// prints help() and stops. Throws FlagError for a bad command line.
  bool parse(int argc, const char *const *argv);
  /// parse(), printing help() to stdout on `--help`.
  bool parseOrHelp(int argc, const char *const *argv);
  /// Whether `--NAME` was given on the parsed command line.
  bool given(const std::string &name) const;
  /// The usage, description and flags by section, as `--help` prints them.
  std::string help() const;
  /// The subcommand's name.
  const std::string &command() const { return command_; }

private:
  Flag &add(FlagKind kind, const std::string &name, const std::string &valueName,
            const std::string &help);
  Flag *find(const std::string &name) const;
  bool forwards(const std::string &name) const;

  std::string command_, usage_, description_;
  std::vector<std::string> sections_;
  size_t current_ = 0;
  std::vector<std::unique_ptr<Flag>> flags_;
  std::string forwardPrefix_;
  std::function<bool(const std::string &)> forwardTakesValue_;
  std::function<void(const std::vector<std::string> &)> forwardHandle_;
};

/// The token ids of a flag's value, "1,2, 3" (whole numbers >= 0); throws
/// FlagError naming `--flag` and the entry that is not one.
std::vector<int64_t> parseIdList(const std::string &flag, const std::string &list);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_FLAGS_H
