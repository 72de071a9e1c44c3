//===- Flags.cpp - the weft CLI's flag declarations and parser ------------===//
//
// This file implements FlagSet (see Flags.h): declaring flags, parsing argv
// into the variables they are bound to, strict number conversion and the
// generated help text.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Flags.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace weft::cli {
namespace {

/// Help lines wrap at this width; flag synopses take at most kSynopsisWidth.
constexpr size_t kHelpWidth = 100, kSynopsisWidth = 30;

/// "a, b or c".
std::string alternatives(const std::vector<std::string> &choices) {
  std::string s;
  for (size_t i = 0; i < choices.size(); ++i)
    s += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  return s;
}

/// `text` as a finite number, or nothing when it is not all one.
bool parseNumber(const std::string &text, double &out) {
  if (text.empty())
    return false;
  char *end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return *end == 0 && std::isfinite(out);
}

/// `text` as a whole number written in decimal digits (an optional sign),
/// or nothing (also when it overflows int64_t).
bool parseWhole(const std::string &text, int64_t &out) {
  size_t digits = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (text.size() <= digits || text.find_first_not_of("0123456789", digits) != std::string::npos)
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  out = v;
  return errno == 0 && *end == 0;
}

/// `text` as "%g" prints it.
std::string formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// Appends `text` word-wrapped to kHelpWidth, continuation lines indented
/// by `indent` (the first line starts at column `column`).
void appendWrapped(std::string &out, const std::string &text, size_t column, size_t indent) {
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t next = text.find(' ', pos);
    std::string word = text.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = next == std::string::npos ? text.size() : next + 1;
    if (!first && column + 1 + word.size() > kHelpWidth) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    } else if (!first) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    first = false;
  }
}

} // namespace

Flag &Flag::oneOf(std::vector<std::string> choices) {
  choices_ = std::move(choices);
  return *this;
}

Flag &Flag::showDefault(std::string text) {
  defaultText_ = std::move(text);
  return *this;
}

Flag &Flag::required(std::string missingMessage) {
  missingMessage_ = std::move(missingMessage);
  return *this;
}

std::string Flag::spelling() const { return (name_.size() == 1 ? "-" : "--") + name_; }

void Flag::set(const std::string &value) {
  const std::string flag = spelling();
  switch (kind_) {
  case FlagKind::Switch:
    *switch_ = true;
    return;
  case FlagKind::String:
    if (!choices_.empty() && std::find(choices_.begin(), choices_.end(), value) == choices_.end())
      throw FlagError(flag + " must be " + alternatives(choices_) + ", got '" + value + "'");
    *string_ = value;
    return;
  case FlagKind::Integer: {
    double asNumber;
    if (!parseNumber(value, asNumber))
      throw FlagError(flag + ": '" + value + "' is not a number");
    int64_t v;
    if (!parseWhole(value, v) || v < min_ || v > max_)
      throw FlagError(flag + " must be an integer " +
                      (max_ == kFlagIntegerMax
                           ? ">= " + std::to_string(min_)
                           : "from " + std::to_string(min_) + " to " + std::to_string(max_)) +
                      ", got '" + value + "'");
    *integer_ = v;
    return;
  }
  case FlagKind::Number:
    if (!parseNumber(value, *number_))
      throw FlagError(flag + ": '" + value + "' is not a number");
    return;
  }
}

std::string Flag::synopsis() const {
  if (positional_ || helpOnly_)
    return valueName_;
  return valueName_.empty() ? spelling() : spelling() + " " + valueName_;
}

FlagSet::FlagSet(std::string command, std::string usage, std::string description)
    : command_(std::move(command)), usage_(std::move(usage)),
      description_(std::move(description)), sections_{"Flags"} {}

FlagSet::~FlagSet() = default;

void FlagSet::section(const std::string &title) {
  auto it = std::find(sections_.begin(), sections_.end(), title);
  current_ = size_t(it - sections_.begin());
  if (it == sections_.end())
    sections_.push_back(title);
}

Flag &FlagSet::add(FlagKind kind, const std::string &name, const std::string &valueName,
                   const std::string &help) {
  if (!name.empty() && find(name))
    throw std::logic_error("weft " + command_ + ": flag --" + name + " declared twice");
  flags_.push_back(std::make_unique<Flag>());
  Flag &f = *flags_.back();
  f.kind_ = kind;
  f.name_ = name;
  f.valueName_ = valueName;
  f.help_ = help;
  f.section_ = current_;
  return f;
}

Flag &FlagSet::addSwitch(const std::string &name, const std::string &help, bool *out) {
  Flag &f = add(FlagKind::Switch, name, "", help);
  f.switch_ = out;
  return f;
}

Flag &FlagSet::addString(const std::string &name, const std::string &valueName,
                         const std::string &help, std::string *out) {
  Flag &f = add(FlagKind::String, name, valueName, help);
  f.string_ = out;
  f.defaultText_ = *out;
  return f;
}

Flag &FlagSet::addInteger(const std::string &name, const std::string &valueName,
                          const std::string &help, int64_t *out, int64_t min, int64_t max) {
  Flag &f = add(FlagKind::Integer, name, valueName, help);
  f.integer_ = out;
  f.min_ = min;
  f.max_ = max;
  f.defaultText_ = std::to_string(*out);
  return f;
}

Flag &FlagSet::addNumber(const std::string &name, const std::string &valueName,
                         const std::string &help, double *out) {
  Flag &f = add(FlagKind::Number, name, valueName, help);
  f.number_ = out;
  f.defaultText_ = formatNumber(*out);
  return f;
}

Flag &FlagSet::addPositional(const std::string &valueName, const std::string &help,
                             std::string *out) {
  Flag &f = add(FlagKind::String, "", valueName, help);
  f.positional_ = true;
  f.string_ = out;
  return f;
}

void FlagSet::describe(const std::string &synopsis, const std::string &help) {
  add(FlagKind::Switch, "", synopsis, help).helpOnly_ = true;
}

void FlagSet::forward(const std::string &prefix,
                      std::function<bool(const std::string &)> takesValue,
                      std::function<void(const std::vector<std::string> &)> handle) {
  forwardPrefix_ = prefix;
  forwardTakesValue_ = std::move(takesValue);
  forwardHandle_ = std::move(handle);
}

Flag *FlagSet::find(const std::string &name) const {
  for (auto &f : flags_)
    if (!f->positional_ && !f->helpOnly_ && f->name_ == name)
      return f.get();
  return nullptr;
}

bool FlagSet::forwards(const std::string &name) const {
  return forwardHandle_ && !forwardPrefix_.empty() && name.rfind(forwardPrefix_, 0) == 0;
}

bool FlagSet::parse(int argc, const char *const *argv) {
  Flag *positional = nullptr;
  for (auto &f : flags_) {
    f->seen_ = false;
    if (f->positional_)
      positional = f.get();
  }
  std::vector<std::string> forwarded;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h")
      return false;
    // "--name[=value]", or "-x[=value]" for a one-letter flag; anything else
    // not starting with '-' (and "-" itself) is the positional argument.
    bool dashes = arg.rfind("--", 0) == 0 && arg.size() > 2;
    bool dash = !dashes && arg.size() > 1 && arg[0] == '-';
    if (!dashes && !dash) {
      if (!positional || positional->seen_)
        throw FlagError("unexpected argument '" + arg + "'");
      *positional->string_ = arg;
      positional->seen_ = true;
      continue;
    }
    std::string name = arg.substr(dashes ? 2 : 1), value;
    size_t eq = name.find('=');
    bool inlineValue = eq != std::string::npos;
    if (inlineValue) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    std::string spelled = (dashes ? "--" : "-") + name;
    if (dashes && forwards(name)) {
      forwarded.push_back(arg);
      if (!inlineValue && forwardTakesValue_ && forwardTakesValue_(name) && i + 1 < argc)
        forwarded.push_back(argv[++i]);
      continue;
    }
    Flag *flag = find(name);
    if (!flag || (dash && name.size() != 1))
      throw FlagError("unknown flag '" + spelled + "'");
    if (flag->kind_ == FlagKind::Switch) {
      if (inlineValue)
        throw FlagError(spelled + " is a switch and takes no value");
    } else if (!inlineValue) {
      if (i + 1 >= argc)
        throw FlagError(spelled + " needs a value");
      value = argv[++i];
    }
    flag->set(value);
    flag->seen_ = true;
  }
  for (auto &f : flags_)
    if (!f->missingMessage_.empty() && (!f->seen_ || (f->string_ && f->string_->empty())))
      throw FlagError(f->missingMessage_);
  if (forwardHandle_)
    forwardHandle_(forwarded);
  return true;
}

bool FlagSet::parseOrHelp(int argc, const char *const *argv) {
  if (parse(argc, argv))
    return true;
  std::fputs(help().c_str(), stdout);
  return false;
}

bool FlagSet::given(const std::string &name) const {
  const Flag *flag = find(name);
  return flag && flag->seen_;
}

std::string FlagSet::help() const {
  std::string out = "usage: " + usage_ + "\n";
  appendWrapped(out, description_, 0, 0);
  if (!description_.empty())
    out += '\n';
  size_t width = 0;
  for (const auto &f : flags_)
    width = std::max(width, std::min(kSynopsisWidth, f->synopsis().size()));
  const size_t column = 2 + width + 2;
  for (size_t s = 0; s < sections_.size(); ++s) {
    bool header = false;
    for (const auto &f : flags_) {
      if (f->section_ != s)
        continue;
      if (!header)
        out += "\n" + sections_[s] + ":\n";
      header = true;
      std::string line = "  " + f->synopsis();
      if (line.size() + 2 > column)
        line += "\n" + std::string(column, ' ');
      else
        line += std::string(column - line.size(), ' ');
      std::string text = f->help_;
      if (!f->defaultText_.empty())
        text += " (default " + f->defaultText_ + ")";
      out += line;
      appendWrapped(out, text, column, column);
      out += '\n';
    }
  }
  return out;
}

std::vector<int64_t> parseIdList(const std::string &flag, const std::string &list) {
  std::vector<int64_t> ids;
  size_t start = 0;
  while (true) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    int64_t v;
    if (!parseWhole(item, v) || v < 0)
      throw FlagError("--" + flag + " must be comma-separated token ids (whole numbers >= 0), got '" + item +
                      "' in '" + list + "'");
    ids.push_back(v);
    if (comma == std::string::npos)
      return ids;
    start = comma + 1;
  }
}

} // namespace weft::cli
