//===- CheckpointTest.cpp - checkpoints and --resume ----------------------===//
//
// This file implements the checkpoint tests: the framed file round-trips
// every tensor, the step, the data state and the configuration; a damaged
// byte is reported with the tensor it hit; a shape mismatch names the tensor
// and both shapes; and a run of N steps interrupted after N/2 and resumed from
// its checkpoint produces bitwise the same losses as the uninterrupted run.
//
//===----------------------------------------------------------------------===//

#include "TrainRunTestUtil.h"

#include "runtime/io/Checkpoint.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>

using namespace weft;
using namespace weft::train;
using namespace weft::rt;
using namespace weft::trainrun::test;

namespace {

uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

TEST(TrainRunCheckpoint, ResumedRunRepeatsTheUninterruptedLossesBitwise) {
  std::string dir = scratchDir(), data = dir + "/data.txt";
  writeFile(data, sampleText(400)); // 360 training bytes: 44 rows, 22 batches per epoch
  const int N = 30;                 // crosses an epoch boundary
  TrainConfig config = tinyTrainConfig(data, N);
  config.shuffle = true;
  config.seed = 11;

  std::vector<float> straight;
  {
    Trainer t(config);
    for (int i = 0; i < N; ++i)
      straight.push_back(t.trainStep());
  }
  EXPECT_LT(straight.back(), straight.front() - 0.5);

  config.checkpointDir = dir + "/ckpt";
  std::vector<float> resumed;
  {
    Trainer t(config);
    for (int i = 0; i < N / 2; ++i)
      resumed.push_back(t.trainStep());
    t.saveCheckpoint();
  }
  config.resume = true;
  {
    Trainer t(config);
    EXPECT_EQ(t.step(), N / 2);
    while (t.step() < N)
      resumed.push_back(t.trainStep());
  }
  ASSERT_EQ(resumed.size(), straight.size());
  for (int i = 0; i < N; ++i)
    EXPECT_EQ(bitsOf(resumed[size_t(i)]), bitsOf(straight[size_t(i)]))
        << "step " << i + 1 << ": " << resumed[size_t(i)] << " vs " << straight[size_t(i)];

  // The file holds what was asked for.
  auto ckpt = loadCheckpoint(config.checkpointDir);
  ASSERT_TRUE(ckpt.isOk()) << ckpt.status().toString();
  EXPECT_EQ(ckpt->step(), uint64_t(N / 2));
  EXPECT_TRUE(ckpt->data().shuffle());
  EXPECT_EQ(ckpt->data().seed(), 11u);
  EXPECT_EQ(ckpt->data().position(), uint64_t(N / 2));
  EXPECT_EQ(ckpt->model_config_json(), gpt2ConfigJson(tinyConfig()));
  EXPECT_NE(ckpt->train_options_json().find("\"optimizer\":\"adamw\""), std::string::npos);
  // wte, wpe, 1 block (12 tensors), ln_f (2): 16 parameters, two AdamW moments each.
  EXPECT_EQ(ckpt->parameters_size(), 16);
  EXPECT_EQ(ckpt->optimizer_state_size(), 32);

  // Resuming with another learning rate is refused.
  config.lr = 2e-2;
  try {
    Trainer t(config);
    ADD_FAILURE() << "resumed with different options";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("resume with the same flags"), std::string::npos) << e.what();
  }
}

/// A 4-step run of the tiny model on fresh text, checkpointing to its own
/// folder.
TrainConfig fourStepRunWithCheckpoints() {
  std::string dir = scratchDir(), data = dir + "/data.txt";
  writeFile(data, sampleText(400));
  TrainConfig config = tinyTrainConfig(data, 4);
  config.checkpointDir = dir + "/ckpt";
  return config;
}

TEST(TrainRunCheckpoint, CorruptAndMismatchedCheckpointsNameTheTensor) {
  TrainConfig config = fourStepRunWithCheckpoints();
  Trainer t(config);
  t.trainStep();
  t.saveCheckpoint();

  auto good = loadCheckpoint(config.checkpointDir);
  ASSERT_TRUE(good.isOk()) << good.status().toString();
  // Round trip through bytes.
  std::string bytes = checkpointToBytes(*good);
  auto again = checkpointFromBytes(bytes, "mem");
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->SerializeAsString(), good->SerializeAsString());

  // Flip one byte inside the data of "wpe.weight".
  const proto::CheckpointTensor *wpe = nullptr;
  for (const auto &p : good->parameters())
    if (p.name() == "wpe.weight")
      wpe = &p;
  ASSERT_NE(wpe, nullptr);
  size_t at = bytes.find(wpe->data());
  ASSERT_NE(at, std::string::npos);
  std::string damaged = bytes;
  damaged[at + 100] ^= 0x40;
  auto corrupt = checkpointFromBytes(damaged, "ck.pb");
  ASSERT_FALSE(corrupt.isOk());
  EXPECT_EQ(corrupt.status().code(), rt::StatusCode::kDataLoss);
  EXPECT_NE(corrupt.status().message().find("checksum mismatch in parameter 'wpe.weight'"),
            std::string::npos)
      << corrupt.status().message();

  auto truncated = checkpointFromBytes(bytes.substr(0, bytes.size() - 7), "ck.pb");
  ASSERT_FALSE(truncated.isOk());
  EXPECT_NE(truncated.status().message().find("ck.pb"), std::string::npos);
  auto notOne = checkpointFromBytes("hello, world, this is not a checkpoint", "x.pb");
  ASSERT_FALSE(notOne.isOk());
  EXPECT_NE(notOne.status().message().find("wrong magic"), std::string::npos);

  // A tensor of another shape.
  proto::Checkpoint other = *good;
  for (auto &p : *other.mutable_parameters())
    if (p.name() == "h.0.mlp.c_fc.weight") {
      p.set_shape(1, 32);
      p.set_data(std::string(size_t(16 * 32 * 4), '\0'));
    }
  rt::Status mismatch = restoreTensors(other, t.executor());
  ASSERT_FALSE(mismatch.isOk());
  EXPECT_NE(mismatch.message().find("'h.0.mlp.c_fc.weight'"), std::string::npos) << mismatch.message();
  EXPECT_NE(mismatch.message().find("[16, 32]"), std::string::npos) << mismatch.message();
  EXPECT_NE(mismatch.message().find("[16, 64]"), std::string::npos) << mismatch.message();

  // A missing optimizer state tensor.
  proto::Checkpoint missing = *good;
  missing.mutable_optimizer_state()->RemoveLast();
  rt::Status lacks = restoreTensors(missing, t.executor());
  ASSERT_FALSE(lacks.isOk());
  EXPECT_NE(lacks.message().find("has no optimizer state '"), std::string::npos) << lacks.message();

  // The intact checkpoint restores.
  EXPECT_TRUE(restoreTensors(*good, t.executor()).isOk());
}

/// A one-step run's checkpoint, edited by `edit` and written back framed
/// (so its file checksum matches, as a buggy writer or a re-framed file
/// would have it); returns the error resuming from it throws.
std::string resumeErrorAfterEdit(const std::function<void(proto::Checkpoint &)> &edit) {
  TrainConfig config = fourStepRunWithCheckpoints();
  {
    Trainer t(config);
    t.trainStep();
    t.saveCheckpoint();
  }
  auto ckpt = loadCheckpoint(config.checkpointDir);
  EXPECT_TRUE(ckpt.isOk()) << ckpt.status().toString();
  edit(*ckpt);
  writeFile(config.checkpointDir + "/checkpoint.pb", checkpointToBytes(*ckpt));
  config.resume = true;
  try {
    Trainer resumed(config);
  } catch (const std::exception &e) {
    return e.what();
  }
  return "";
}

TEST(TrainRunCheckpoint, HugeSamplerPositionIsRefused) {
  std::string error = resumeErrorAfterEdit([](proto::Checkpoint &c) {
    c.mutable_data()->set_position((uint64_t(1) << 62) + 10000000);
  });
  EXPECT_NE(error.find("does not match step 1; the checkpoint is corrupt"), std::string::npos)
      << error;
}

TEST(TrainRunCheckpoint, StepPastStepsIsRefused) {
  std::string error = resumeErrorAfterEdit([](proto::Checkpoint &c) { c.set_step(1000); });
  EXPECT_NE(error.find("the checkpoint is at step 1000, past this run's --steps 4"),
            std::string::npos)
      << error;
}

TEST(TrainRunCheckpoint, DuplicatedTensorIsRefused) {
  std::string error = resumeErrorAfterEdit([](proto::Checkpoint &c) {
    *c.add_parameters() = c.parameters(0);
  });
  EXPECT_NE(error.find("appears twice; the checkpoint is corrupt"), std::string::npos) << error;
}

TEST(TrainRunCheckpoint, TensorChecksumsAreChecked) {
  std::string error = resumeErrorAfterEdit([](proto::Checkpoint &c) {
    std::string data = c.parameters(1).data();
    data[3] ^= 0x10;
    c.mutable_parameters(1)->set_data(data); // checksum left as it was
  });
  EXPECT_NE(error.find("does not match its checksum; the checkpoint is corrupt"),
            std::string::npos)
      << error;
}

TEST(TrainRunCheckpoint, SaveRemovesTemporariesOfInterruptedSaves) {
  TrainConfig config = fourStepRunWithCheckpoints();
  Trainer t(config);
  t.trainStep();
  t.saveCheckpoint();
  for (const char *stale : {"checkpoint.pb.tmp.a1b2c3", "checkpoint.pb.tmp.XyZ789"})
    writeFile(config.checkpointDir + "/" + stale, std::string(4096, 'x'));
  writeFile(config.checkpointDir + "/notes.txt", "kept");
  t.trainStep();
  t.saveCheckpoint();
  std::vector<std::string> names;
  for (const auto &e : std::filesystem::directory_iterator(config.checkpointDir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"checkpoint.pb", "notes.txt"}));
}

} // namespace
