//===- FlagsTest.cpp - the weft CLI's flag library ------------------------===//
//
// This file implements the tests of FlagSet (tools/weft/Flags.h): each kind
// of flag, `--x=v` and `--x v`, the positional argument, a missing value, an
// unknown flag, integer bounds and strictness ("1e3", "1.5", "-5"), number
// and choice errors, required flags, forwarded `--mlir-*` arguments, and the
// generated help.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Flags.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

using namespace weft::cli;

namespace {

/// A FlagSet with one flag of each kind, bound to its fields.
struct Fixture {
  Fixture() : flags("demo", "weft demo MODEL [flags]", "Demonstrates the flag library.") {
    flags.section("Model");
    flags.addPositional("MODEL", "the model", &model);
    flags.addString("config", "FILE", "a config file", &config);
    flags.addInteger("batch", "B", "rows per batch", &batch, 1);
    flags.addInteger("seed", "S", "a seed", &seed, 0, 4294967295LL);
    flags.section("Run");
    flags.addNumber("lr", "X", "learning rate", &lr).showDefault("1e-3");
    flags.addString("precision", "P", "compute precision", &precision)
        .oneOf({"f32", "bf16", "f16"});
    flags.addSwitch("no-cache", "skip the cache", &noCache);
    flags.addString("o", "FILE", "output file", &output);
  }

  /// Parses `args` (after the command word).
  bool parse(std::initializer_list<const char *> args) {
    std::vector<const char *> argv = {"demo"};
    argv.insert(argv.end(), args);
    return flags.parse(int(argv.size()), argv.data());
  }

  /// The FlagError message of parsing `args` ("" when it parses).
  std::string error(std::initializer_list<const char *> args) {
    try {
      parse(args);
    } catch (const FlagError &e) {
      return e.what();
    }
    return "";
  }

  std::string model, config, precision = "f32", output;
  int64_t batch = 8, seed = 0;
  double lr = 1e-3;
  bool noCache = false;
  FlagSet flags;
};

TEST(Flags, DefaultsStayWithoutFlags) {
  Fixture f;
  EXPECT_TRUE(f.parse({}));
  EXPECT_EQ(f.batch, 8);
  EXPECT_EQ(f.lr, 1e-3);
  EXPECT_EQ(f.precision, "f32");
  EXPECT_FALSE(f.noCache);
  EXPECT_TRUE(f.model.empty());
  EXPECT_FALSE(f.flags.given("batch"));
}

TEST(Flags, EachKindParsesWithSpaceAndEquals) {
  Fixture f;
  EXPECT_TRUE(
      f.parse({"gpt2", "--config", "c.json", "--batch=4", "--lr", "2.5e-4", "--precision=bf16",
               "--no-cache", "--seed", "4294967295", "-o", "out.wexe"}));
  EXPECT_EQ(f.model, "gpt2");
  EXPECT_EQ(f.config, "c.json");
  EXPECT_EQ(f.batch, 4);
  EXPECT_DOUBLE_EQ(f.lr, 2.5e-4);
  EXPECT_EQ(f.precision, "bf16");
  EXPECT_TRUE(f.noCache);
  EXPECT_EQ(f.seed, 4294967295LL);
  EXPECT_EQ(f.output, "out.wexe");
  EXPECT_TRUE(f.flags.given("batch"));
  EXPECT_TRUE(f.flags.given("no-cache"));
  EXPECT_FALSE(f.flags.given("model"));

  Fixture g;
  EXPECT_TRUE(g.parse({"--config=a=b.json", "--batch", "16", "--lr=3", "-o=x", "mlp"}));
  EXPECT_EQ(g.config, "a=b.json"); // only the first '=' splits
  EXPECT_EQ(g.batch, 16);
  EXPECT_EQ(g.lr, 3.0);
  EXPECT_EQ(g.output, "x");
  EXPECT_EQ(g.model, "mlp");
}

TEST(Flags, ValuesMayStartWithADashAndTheLastOccurrenceWins) {
  Fixture f;
  EXPECT_TRUE(f.parse({"--lr", "-0.5", "--config", "-", "--batch", "2", "--batch", "3"}));
  EXPECT_EQ(f.lr, -0.5);
  EXPECT_EQ(f.config, "-");
  EXPECT_EQ(f.batch, 3);
}

TEST(Flags, HelpStopsParsing) {
  Fixture f;
  EXPECT_FALSE(f.parse({"--batch", "2", "--help", "--bogus"}));
  EXPECT_EQ(f.batch, 2);
  Fixture g;
  EXPECT_FALSE(g.parse({"-h"}));
}

/// A command line and the FlagError message it gives ("" when it parses).
struct Case {
  std::initializer_list<const char *> args;
  const char *message;
};

/// Parses each case into one Fixture, in order.
void expectMessages(Fixture &f, std::initializer_list<Case> cases) {
  for (const Case &c : cases) {
    std::string line;
    for (const char *a : c.args)
      line += std::string(" ") + a;
    EXPECT_EQ(f.error(c.args), c.message) << "demo" << line;
  }
}

TEST(Flags, MissingValueUnknownFlagAndExtraArgument) {
  Fixture f;
  expectMessages(f, {
                        {{"--batch"}, "--batch needs a value"},
                        {{"-o"}, "-o needs a value"},
                        {{"--bogus", "1"}, "unknown flag '--bogus'"},
                        {{"--bogus=1"}, "unknown flag '--bogus'"},
                        {{"-batch", "1"}, "unknown flag '-batch'"}, // long names need "--"
                        {{"-x"}, "unknown flag '-x'"},
                        {{"--no-cache=1"}, "--no-cache is a switch and takes no value"},
                        {{"gpt2", "mlp"}, "unexpected argument 'mlp'"},
                    });
}

TEST(Flags, IntegersAreWholeNumbersWithinBounds) {
  Fixture f;
  expectMessages(
      f, {
             {{"--batch", "many"}, "--batch: 'many' is not a number"},
             {{"--batch", ""}, "--batch: '' is not a number"},
             {{"--batch", "1e3"}, "--batch must be an integer >= 1, got '1e3'"},
             {{"--batch", "1.5"}, "--batch must be an integer >= 1, got '1.5'"},
             {{"--batch", "2.0"}, "--batch must be an integer >= 1, got '2.0'"},
             {{"--batch", "-5"}, "--batch must be an integer >= 1, got '-5'"},
             {{"--batch", "0"}, "--batch must be an integer >= 1, got '0'"},
             {{"--batch", "1000000001"}, "--batch must be an integer >= 1, got '1000000001'"},
             {{"--batch", "99999999999999999999"},
              "--batch must be an integer >= 1, got '99999999999999999999'"},
             {{"--seed", "4294967296"},
              "--seed must be an integer from 0 to 4294967295, got '4294967296'"},
         });
  EXPECT_EQ(f.batch, 8) << "a rejected value leaves the variable as it was";
  EXPECT_EQ(f.error({"--batch", "1000000000"}), "");
  EXPECT_EQ(f.batch, 1000000000);
  EXPECT_EQ(f.error({"--batch", "+7"}), "");
  EXPECT_EQ(f.batch, 7);
}

TEST(Flags, NumbersAndChoices) {
  Fixture f;
  for (const char *notANumber : {"fast", "1e-3x", "inf", "nan", ""})
    EXPECT_EQ(f.error({"--lr", notANumber}),
              "--lr: '" + std::string(notANumber) + "' is not a number");
  EXPECT_EQ(f.error({"--precision", "fp8"}), "--precision must be f32, bf16 or f16, got 'fp8'");
  EXPECT_EQ(f.precision, "f32");
  EXPECT_EQ(f.error({"--lr", "1e3"}), "");
  EXPECT_EQ(f.lr, 1000.0);
}

TEST(Flags, ForwardedArgumentsAreHandedOnAsWritten) {
  Fixture f;
  std::vector<std::string> forwarded;
  int calls = 0;
  f.flags.forward(
      "mlir-", [](const std::string &name) { return name == "mlir-elide-if-larger"; },
      [&](const std::vector<std::string> &args) {
        forwarded = args;
        ++calls;
      });
  EXPECT_TRUE(f.parse({"gpt2", "--mlir-timing", "--batch", "2", "--mlir-print-ir-after=cse",
                       "--mlir-elide-if-larger", "16", "--mlir-print-debuginfo"}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(forwarded,
            (std::vector<std::string>{"--mlir-timing", "--mlir-print-ir-after=cse",
                                      "--mlir-elide-if-larger", "16", "--mlir-print-debuginfo"}));
  EXPECT_EQ(f.batch, 2);
  EXPECT_EQ(f.model, "gpt2");
  // The handler runs after every parse, also with nothing to forward; only
  // "--" arguments with the prefix are forwarded.
  EXPECT_TRUE(f.parse({"gpt2"}));
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(forwarded.empty());
  EXPECT_EQ(f.error({"-mlir-timing"}), "unknown flag '-mlir-timing'");
  // The handler's FlagError is the parse's.
  FlagSet g("demo", "weft demo", "");
  g.forward(
      "mlir-", [](const std::string &) { return false; },
      [](const std::vector<std::string> &args) {
        if (!args.empty())
          throw FlagError("unknown flag '" + args.front() + "'");
      });
  const char *argv[] = {"demo", "--mlir-bogus"};
  EXPECT_THROW(g.parse(2, argv), FlagError);
}

TEST(Flags, RequiredFlagsAndPositionals) {
  std::string model, data;
  FlagSet flags("demo", "weft demo MODEL --data FILE", "");
  flags.addPositional("MODEL", "the model", &model).required("name the model");
  flags.addString("data", "FILE", "the data", &data).required("--data FILE is required");
  auto error = [&](std::vector<const char *> argv) {
    argv.insert(argv.begin(), "demo");
    try {
      flags.parse(int(argv.size()), argv.data());
    } catch (const FlagError &e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({"--data", "x"}), "name the model");
  EXPECT_EQ(error({"gpt2"}), "--data FILE is required");
  EXPECT_EQ(error({"gpt2", "--data="}), "--data FILE is required");
  EXPECT_EQ(error({"gpt2", "--data=x"}), "");
  EXPECT_EQ(model, "gpt2");
  EXPECT_EQ(data, "x");
  EXPECT_EQ(error({"--help"}), "") << "--help needs no required flag";
}

TEST(Flags, HelpListsSectionsFlagsAndDefaults) {
  Fixture f;
  f.flags.section("Debugging");
  f.flags.describe("--mlir-timing", "display execution times");
  std::string help = f.flags.help();
  EXPECT_EQ(help.rfind("usage: weft demo MODEL [flags]\nDemonstrates the flag library.\n", 0), 0u)
      << help;
  size_t model = help.find("\nModel:\n"), run = help.find("\nRun:\n"),
         debugging = help.find("\nDebugging:\n");
  ASSERT_NE(model, std::string::npos) << help;
  ASSERT_NE(run, std::string::npos) << help;
  ASSERT_NE(debugging, std::string::npos) << help;
  EXPECT_LT(model, run);
  EXPECT_LT(run, debugging);
  EXPECT_EQ(help.find("\nFlags:\n"), std::string::npos) << "empty sections are left out";

  auto line = [&](const std::string &start) {
    size_t at = help.find("\n  " + start);
    if (at == std::string::npos)
      return std::string();
    return help.substr(at + 1, help.find('\n', at + 1) - at - 1);
  };
  EXPECT_NE(line("MODEL ").find("the model"), std::string::npos) << help;
  EXPECT_NE(line("--batch B ").find("rows per batch (default 8)"), std::string::npos) << help;
  EXPECT_NE(line("--lr X ").find("learning rate (default 1e-3)"), std::string::npos) << help;
  EXPECT_NE(line("--precision P ").find("(default f32)"), std::string::npos) << help;
  EXPECT_NE(line("-o FILE ").find("output file"), std::string::npos) << help;
  EXPECT_EQ(line("-o FILE ").find("default"), std::string::npos) << "no default for empty text";
  EXPECT_EQ(line("--no-cache ").find("default"), std::string::npos) << help;
  EXPECT_NE(line("--mlir-timing ").find("display execution times"), std::string::npos) << help;
  // Flags of a section follow its header, in declaration order.
  EXPECT_LT(help.find("--config FILE"), help.find("--batch B"));
  EXPECT_LT(run, help.find("--lr X"));
  EXPECT_GT(run, help.find("--seed S"));
  // Help texts align in one column.
  EXPECT_EQ(line("--batch B ").find("rows"), line("--lr X ").find("learning"));
}

TEST(Flags, LongHelpWraps) {
  std::string out;
  FlagSet flags("demo", "weft demo", "");
  flags.addString("text", "T",
                  std::string(30, 'a') + " " + std::string(30, 'b') + " " + std::string(30, 'c'),
                  &out);
  std::string help = flags.help();
  size_t at = help.find("  --text T");
  ASSERT_NE(at, std::string::npos) << help;
  std::string rest = help.substr(at);
  size_t newline = rest.find('\n');
  EXPECT_LE(newline, 100u) << help;
  EXPECT_NE(rest.find('c', newline), std::string::npos) << "the last word moved to the next line";
}

TEST(Flags, DeclaringAFlagTwiceIsAProgrammingError) {
  bool a = false, b = false;
  FlagSet flags("demo", "weft demo", "");
  flags.addSwitch("x", "first", &a);
  EXPECT_THROW(flags.addSwitch("x", "second", &b), std::logic_error);
}

} // namespace
