//===- Trainer.h - the training loop of `weft train` ------------*- C++ -*-===//
//
// This file implements the declarations of the language-model trainer behind
// `weft train` (GPT-2, or LLaMA with TrainConfig::llama): it compiles the
// training step (models::buildGpt2TrainLoss / buildLlamaTrainLoss through
// compileTrainStep), initialises or loads the weights, draws batches
// from a TokenDataset, runs steps with the warmup + cosine learning rate,
// evaluates the held-out loss with a forward-only compile of the same loss
// program, saves and resumes checkpoints, exports Hugging Face safetensors
// and samples greedily from the trained model. Errors throw
// std::runtime_error with the cause (file, tensor, flag) in the message.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TRAIN_TRAINER_H
#define WEFT_TRAIN_TRAINER_H

#include "compiler/TrainStep.h"
#include "models/Gpt2.h"
#include "models/Llama.h"
#include "runtime/Executor.h"
#include "runtime/MemoryNeeds.h"
#include "train/TokenData.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::train {

/// Everything a training run is configured with.
struct TrainConfig {
  /// The model: GPT-2 with this configuration, unless `llama` is set.
  models::Gpt2Config model;
  /// When set, the run trains this LLaMA instead (`model` is ignored).
  std::optional<models::LlamaConfig> llama;
  /// The data file (text, byte-level; or .npy token rows).
  std::string dataPath;
  int batch = 8;
  int seq = 64;
  /// Total steps of the run (the learning-rate schedule's length).
  int steps = 100;
  /// Optimizer and its hyperparameters (weft::TrainOptions' defaults).
  /// optimizer.microBatches = K > 1 runs each step as K forward + backward
  /// passes over batch / K rows (gradient accumulation; `batch` stays the
  /// step's batch and must be a multiple of K): two compiled programs, the
  /// micro-step and the apply step (compileAccumulatedTrainStep).
  TrainOptions optimizer;
  /// The devices of the training step (empty: one) and how the model splits
  /// over them (models/catalog/Strategies.h).
  MeshSpec mesh;
  nn::ParallelPlan plan;
  /// Peak learning rate, linear warmup steps and the cosine floor ratio.
  double lr = 1e-3;
  int warmup = 0;
  double minLrRatio = 0.1;
  /// Shuffle the training rows each epoch, from `seed`.
  bool shuffle = false;
  uint64_t seed = 0;
  /// Seed of the random initial weights (unused with weightsPath).
  uint64_t initSeed = 0;
  /// Start from these Hugging Face safetensors weights (a file, a sharded
  /// checkpoint's index or a directory: models/catalog/HfWeights.h).
  std::string weightsPath;
  /// With lora(): start the adapters from this PEFT adapter directory
  /// (else lora_A from its initialiser and lora_B zeros).
  std::string loraAdapterPath;
  /// Checkpoint directory (DIR/checkpoint.pb, on a mesh plus the ranks'
  /// shard files); empty: no checkpoints.
  std::string checkpointDir;
  /// Continue from the checkpoint in checkpointDir.
  bool resume = false;
  /// Held-out batches averaged by heldOutLoss() (at most what the data has).
  int evalBatches = 4;
  /// Compile options of every program the trainer compiles.
  CompileOptions compile;
  /// How the compiled programs are loaded (the memory limit: `--memory`).
  rt::ExecutorOptions runtime;
  /// Write one-device checkpoints and exported weights (false on every rank
  /// of a mesh but rank 0: the others take part in gathering the values
  /// only). Sharded checkpoints are written by every rank.
  bool writeFiles = true;

  /// The LoRA adapters of the model trained (model.lora, or llama->lora).
  const LoraConfig &lora() const { return llama ? llama->lora : model.lora; }
  LoraConfig &lora() { return llama ? llama->lora : model.lora; }
  /// The catalog name of the model trained: "gpt2" or "llama".
  const char *modelName() const { return llama ? "llama" : "gpt2"; }
};

/// The JSON text of `config` with Hugging Face config.json keys.
std::string gpt2ConfigJson(const models::Gpt2Config &config);
/// The JSON text of `config` with Hugging Face LlamaForCausalLM config.json
/// keys (LlamaConfig::fromJsonText reads it back unchanged).
std::string llamaConfigJson(const models::LlamaConfig &config);

/// A training run in progress.
class Trainer {
public:
  /// Opens the data, compiles the training step, and sets the weights:
  /// from the checkpoint with config.resume, else from config.weightsPath,
  /// else drawn from the DSL initialisers with config.initSeed.
  explicit Trainer(TrainConfig config);
  ~Trainer();

  /// Steps completed (after resuming: the checkpoint's step).
  int step() const { return step_; }
  /// Runs step step() + 1 on the next batch and returns its loss (with
  /// micro-batches: the mean of their losses, the batch's mean loss).
  float trainStep();
  /// The mean loss of the current weights over the first evalBatches
  /// held-out batches (forward only).
  double heldOutLoss();
  /// Greedy decoding: extends `prompt` by `count` tokens, each the argmax of
  /// the model's next-token logits over the last `seq` tokens (the prompt
  /// must hold at least seq tokens).
  std::vector<int64_t> sample(const std::vector<int64_t> &prompt, int count);
  /// Writes DIR/checkpoint.pb (parameters, optimizer state, step, data
  /// position, configuration); on a mesh every rank calls it and the
  /// checkpoint is sharded: DIR/checkpoint.pb is then the manifest of the
  /// ranks' shard files (runtime/io/ShardedCheckpoint.h).
  void saveCheckpoint() const;
  /// Writes the parameters to `path` as safetensors with Hugging Face names
  /// (GPT-2's LM head is tied: only wte.weight is written; LLaMA's
  /// lm_head.weight unless tied).
  void exportWeights(const std::string &path) const;

  /// With LoRA (config.lora()): writes the adapters to `dir` in PEFT's
  /// format (models/catalog/LoraAdapter.h); `baseModel` goes into
  /// adapter_config.json.
  void saveAdapter(const std::string &dir, const std::string &baseModel) const;
  /// With LoRA: writes the base parameters with every adapter merged
  /// (W0 + B A * alpha / r in the stored layout) to `path` as safetensors
  /// with Hugging Face names, as exportWeights does without LoRA.
  void exportMergedWeights(const std::string &path) const;
  /// The training step's device memory split: "parameters 474.70 MiB
  /// (trainable 1.13 MiB, frozen 473.57 MiB), gradients 1.13 MiB, optimizer
  /// state 2.25 MiB, arena ...". Gradients: one per trainable parameter, its
  /// size (in the arena); optimizer state: the Executable's state buffers.
  std::string memoryReport() const;

  /// With micro-batches: "K micro-batches of B rows: micro-step arena ...
  /// (activations of one micro-batch), apply-step arena ..., gradient
  /// accumulators ..."; empty for one.
  std::string accumulationReport() const;
  /// What the training step takes on its device: the step's Executable's
  /// needs; with micro-batches both programs' arenas (each allocates its
  /// own) and the apply step's parameters and state (the micro-step shares
  /// them).
  rt::MemoryNeeds stepMemory() const;
  /// The training-step executor (parameters and optimizer state; with
  /// micro-batches the apply step's, which also holds the accumulators).
  rt::Executor &executor() { return *train_; }
  /// With micro-batches: the micro-step's executor (sharing the
  /// parameters and accumulators of executor()); else null.
  rt::Executor *microStepExecutor() { return micro_.get(); }
  const TokenDataset &data() const { return *data_; }
  const TrainConfig &config() const { return config_; }
  /// Seconds spent compiling the training step.
  double compileSeconds() const { return compileSeconds_; }

private:
  std::string optionsJson() const;
  /// The trained model's vocabulary, context length and config.json text.
  int vocabSize() const;
  int contextLength() const;
  std::string modelConfigJson() const;
  /// The model's training loss of `batch` rows (on `mesh`, split by `plan`;
  /// with `evaluation`, LoRA dropout off) and forward (dropout off).
  Program lossProgram(int batch, const nn::ParallelPlan &plan, const MeshSpec &mesh,
                      bool evaluation = false) const;
  /// Rows per micro-batch (the batch without micro-batches).
  int microBatchRows() const { return config_.batch / std::max(1, config_.optimizer.microBatches); }
  /// Binds the per-step inputs `exe` has: "lr", "step" (step t) and the
  /// LoRA dropout seed of micro-batch `micro` of step t.
  void setStepInputs(rt::Executor &exe, int t, int micro);
  Program forwardProgram(int batch, int seq) const;
  /// Throws, before anything is compiled, when the parameters and optimizer
  /// state of `loss` alone exceed the memory budget.
  void checkParametersFit(const Program &loss) const;
  /// Throws when `ckpt` cannot be where this run resumes: a step past
  /// --steps, or a data position that does not follow from its step.
  void checkResumePoint(const proto::Checkpoint &ckpt) const;
  std::unique_ptr<rt::Executor> compileForwardOnly(Program program);
  /// The training step's Executables (the whole step; with micro-batches
  /// the apply step, then the micro-step): compiled here, or on a mesh
  /// compiled by rank 0 and received by the other ranks.
  std::vector<rt::Executable> compileStep(Program &loss);
  void copyParameters(rt::Executor &to) const;
  /// Parameter `name` of the training step, in f32 when the step holds it in
  /// bf16/f16 (a frozen base under --precision: weft-mixed-precision's
  /// store-frozen); other dtypes (an int8 base's NAME.q8) as held.
  rt::HostTensor parameterWide(const std::string &name) const;
  /// Sets the initial weights: config.weightsPath for the base parameters
  /// (the LoRA ones from config.loraAdapterPath or their initialisers),
  /// else every parameter from its initialiser. (TrainerLora.cpp)
  void setInitialWeights(const Program &loss);
  /// The LoRA dropout seed of step `t` (from config.initSeed and t).
  static rt::HostTensor loraSeedFor(uint64_t initSeed, int t);
  rt::HostTensor loraSeed(int t) const { return loraSeedFor(config_.initSeed, t); }
  /// The f32 bytes of the trainable and of the frozen parameters of `loss`.
  static std::pair<uint64_t, uint64_t> parameterBytes(const Program &loss);

  TrainConfig config_;
  std::unique_ptr<TokenDataset> data_;
  std::unique_ptr<BatchSampler> sampler_;
  std::unique_ptr<rt::Executor> train_, eval_, forward_;
  /// With micro-batches: the micro-step, sharing train_'s storage (declared
  /// after it: destroyed first).
  std::unique_ptr<rt::Executor> micro_;
  int step_ = 0;
  double compileSeconds_ = 0;
  /// parameterBytes of the training program.
  std::pair<uint64_t, uint64_t> paramBytes_;
};

} // namespace weft::train

#endif // WEFT_TRAIN_TRAINER_H
