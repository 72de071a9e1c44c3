//===- Trainer.cpp - the training loop of `weft train` --------------------===//
//
// This file implements the Trainer (see Trainer.h): compiling the training
// step and the forward-only programs, setting the weights (initialiser,
// safetensors or checkpoint), one step, the held-out loss, greedy sampling,
// checkpoints and the safetensors export.
//
//===----------------------------------------------------------------------===//

#include "train/Trainer.h"

#include "frontend/Program.h"
#include "models/catalog/HfWeights.h"
#include "models/catalog/ParamInit.h"
#include "runtime/HostMemory.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/comm/Broadcast.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/QuantizedWeights.h"
#include "runtime/io/Safetensors.h"
#include "runtime/io/ShardedCheckpoint.h"
#include "train/StatusCheck.h"

#include "mlir/IR/BuiltinOps.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace weft::train {
namespace {

rt::HostTensor scalar(float v) {
  rt::HostTensor t(weft::proto::F32, {});
  t.data<float>()[0] = v;
  return t;
}

/// A model configuration for the evaluation and sampling programs: LoRA
/// dropout off.
template <typename ModelConfig> ModelConfig withoutDropout(ModelConfig config) {
  config.lora.dropout = 0;
  return config;
}

const char *activationName(nn::Activation a) {
  switch (a) {
  case nn::Activation::Relu: return "relu";
  case nn::Activation::Gelu: return "gelu";
  case nn::Activation::GeluTanh: return "gelu_new";
  case nn::Activation::FastGelu: return "quick_gelu";
  case nn::Activation::Silu: return "silu";
  }
  return "gelu_new";
}

} // namespace

std::string gpt2ConfigJson(const models::Gpt2Config &c) {
  nlohmann::ordered_json j;
  j["model_type"] = "gpt2";
  j["n_layer"] = c.n_layer;
  j["n_head"] = c.n_head;
  j["n_embd"] = c.n_embd;
  j["vocab_size"] = c.vocab_size;
  j["n_positions"] = c.n_positions;
  j["n_inner"] = c.n_inner ? nlohmann::ordered_json(c.n_inner) : nlohmann::ordered_json();
  j["layer_norm_epsilon"] = c.layer_norm_epsilon;
  j["activation_function"] = activationName(c.activation);
  return j.dump();
}

std::string llamaConfigJson(const models::LlamaConfig &c) {
  nlohmann::ordered_json j;
  j["architectures"] = {"LlamaForCausalLM"};
  j["model_type"] = "llama";
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.kvHeads();
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["rope_scaling"] = nullptr;
  j["hidden_act"] = "silu";
  j["initializer_range"] = c.initializer_range;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["attention_bias"] = false;
  return j.dump();
}

int Trainer::vocabSize() const {
  return config_.llama ? config_.llama->vocab_size : config_.model.vocab_size;
}

int Trainer::contextLength() const {
  return config_.llama ? config_.llama->max_position_embeddings : config_.model.n_positions;
}

std::string Trainer::modelConfigJson() const {
  return config_.llama ? llamaConfigJson(*config_.llama) : gpt2ConfigJson(config_.model);
}

Program Trainer::lossProgram(int batch, const nn::ParallelPlan &plan, const MeshSpec &mesh,
                             bool evaluation) const {
  const TrainConfig &c = config_;
  // Recompute marks every block as a group (the math, and so the checkpoint's model, is the same).
  bool recompute = c.optimizer.recompute != "none";
  if (c.llama) {
    models::LlamaConfig model = evaluation ? withoutDropout(*c.llama) : *c.llama;
    model.gradient_checkpointing = model.gradient_checkpointing || recompute;
    return models::buildLlamaTrainLoss(model, batch, c.seq, plan, mesh);
  }
  models::Gpt2Config model = evaluation ? withoutDropout(c.model) : c.model;
  model.gradient_checkpointing = model.gradient_checkpointing || recompute;
  return models::buildGpt2TrainLoss(model, batch, c.seq, plan, mesh);
}

Program Trainer::forwardProgram(int batch, int seq) const {
  return config_.llama ? models::buildLlamaForward(withoutDropout(*config_.llama), batch, seq)
                       : models::buildGpt2Forward(withoutDropout(config_.model), batch, seq);
}

std::string Trainer::optionsJson() const {
  const TrainOptions &o = config_.optimizer;
  nlohmann::ordered_json j;
  j["optimizer"] = o.optimizer;
  j["lr"] = config_.lr;
  j["warmup"] = config_.warmup;
  j["min_lr_ratio"] = config_.minLrRatio;
  j["steps"] = config_.steps;
  j["batch"] = config_.batch;
  j["seq"] = config_.seq;
  j["beta1"] = o.beta1;
  j["beta2"] = o.beta2;
  j["eps"] = o.eps;
  j["weight_decay"] = o.weightDecay;
  j["momentum"] = o.momentum;
  j["clip_norm"] = o.clipNorm;
  j["decay_all"] = o.decayAll;
  j["precision"] = o.precision;
  if (config_.lora().enabled())
    j["lora"] = config_.lora().str();
  if (!config_.compile.quantize.empty()) // an int8 base: its checkpoints hold int8 weights
    j["quantize"] = config_.compile.quantize;
  // The accumulators are optimizer state of the apply step: a checkpoint of
  // K micro-batches resumes with K.
  if (o.microBatches > 1)
    j["micro_batches"] = o.microBatches;
  return j.dump();
}

Trainer::Trainer(TrainConfig config) : config_(std::move(config)) {
  const TrainConfig &c = config_;
  if (c.steps < 1)
    throw std::runtime_error("--steps must be at least 1, got " + std::to_string(c.steps));
  const int k = c.optimizer.microBatches;
  if (k < 1 || c.batch % k != 0)
    throw std::runtime_error("--micro-batches " + std::to_string(k) + " does not divide --batch " +
                             std::to_string(c.batch) + "; each micro-batch must have batch / micro-batches rows");
  if (c.seq > contextLength())
    throw std::runtime_error("--seq " + std::to_string(c.seq) + " exceeds the model's " +
                             (c.llama ? "max_position_embeddings " : "n_positions ") +
                             std::to_string(contextLength()));
  data_ = std::make_unique<TokenDataset>(
      check(TokenDataset::open(c.dataPath, vocabSize(), c.batch, c.seq), "cannot use the data"));
  sampler_ = std::make_unique<BatchSampler>(data_->trainRows(), c.batch, c.shuffle, c.seed);

  Program loss = lossProgram(microBatchRows(), c.plan, c.mesh);
  paramBytes_ = parameterBytes(loss);
  checkParametersFit(loss);
  std::vector<rt::Executable> step = compileStep(loss);
  train_ = check(rt::Executor::create(std::move(step[0]), c.runtime), "cannot load the training step");
  if (step.size() > 1) { // the micro-step reads and accumulates into the apply step's storage
    rt::ExecutorOptions shared = c.runtime;
    shared.shareStorageWith = train_.get();
    micro_ = check(rt::Executor::create(std::move(step[1]), shared), "cannot load the micro-step");
  }

  if (c.resume) {
    if (c.checkpointDir.empty())
      throw std::runtime_error("--resume needs --checkpoint DIR");
    proto::Checkpoint ckpt = check(rt::loadCheckpoint(c.checkpointDir), "cannot resume");
    if (ckpt.model_config_json() != modelConfigJson())
      throw std::runtime_error("cannot resume: the checkpoint in '" + c.checkpointDir +
                               "' is for model " + ckpt.model_config_json() + ", this run trains " +
                               modelConfigJson());
    if (ckpt.train_options_json() != optionsJson())
      throw std::runtime_error("cannot resume: the checkpoint in '" + c.checkpointDir +
                               "' was written with options " + ckpt.train_options_json() +
                               ", this run has " + optionsJson() + "; resume with the same flags");
    checkResumePoint(ckpt);
    check(rt::restoreCheckpoint(c.checkpointDir, ckpt, *train_),
          "cannot resume from '" + c.checkpointDir + "'");
    check(sampler_->restore(ckpt.data()), "cannot resume from '" + c.checkpointDir + "'");
    step_ = int(ckpt.step());
    return;
  }
  setInitialWeights(loss);
}

Trainer::~Trainer() = default;

std::vector<rt::Executable> Trainer::compileStep(Program &loss) {
  const std::shared_ptr<rt::Communicator> &world = config_.runtime.communicator;
  auto start = std::chrono::steady_clock::now();
  const bool accumulate = config_.optimizer.microBatches > 1;
  std::vector<std::string> bytes(accumulate ? 2 : 1);
  // One Executable (pair) serves every rank: rank 0 compiles, the others receive.
  if (!world || world->rank() == 0) {
    std::vector<CompileResult> compiled;
    if (accumulate) {
      AccumulatedTrainStep s = compileAccumulatedTrainStep(loss.module(), config_.optimizer, config_.compile);
      compiled.push_back(std::move(s.applyStep));
      compiled.push_back(std::move(s.microStep));
    } else {
      compiled.push_back(compileTrainStep(loss.module(), config_.optimizer, config_.compile));
    }
    std::vector<rt::Executable> exes;
    for (CompileResult &r : compiled) {
      if (!r.executable)
        throw std::runtime_error("compiling the training step produced no executable");
      exes.push_back(std::move(*r.executable));
    }
    if (!world || world->size() == 1) {
      compileSeconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return exes;
    }
    for (size_t i = 0; i < exes.size(); ++i)
      bytes[i] = exes[i].toBytes();
  }
  std::vector<rt::Executable> exes;
  for (std::string &b : bytes) {
    b = check(rt::broadcastBytes(*world, b, 0, "the compiled training step"),
              "cannot share the compiled training step");
    exes.push_back(check(rt::Executable::fromBytes(b, "the training step compiled by rank 0"),
                         "cannot load the training step"));
  }
  compileSeconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return exes;
}

void Trainer::checkParametersFit(const Program &loss) const {
  // Before compiling (which can take minutes for a large model): the f32
  // parameters and the optimizer's state alone must fit; the arena is
  // checked when the compiled step is loaded. Gpt2Config's bounds keep these
  // sums far below 2^63 (at most ~2^58 bytes of parameters).
  rt::MemoryNeeds needs;
  auto [trainable, frozen] = parameterBytes(loss);
  needs.parameters = trainable + frozen;
  const TrainOptions &o = config_.optimizer;
  int stateCopies = o.optimizer == "adamw" ? 2 : o.momentum != 0 ? 1 : 0;
  // Frozen parameters (LoRA's base weights) have no optimizer state.
  needs.state = trainable * stateCopies;
  check(rt::checkMemoryBudget(needs,
                              rt::memoryBudget(config_.runtime.memoryLimit, rt::hostAvailableMemory()),
                              "the model (before compiling; without activations)"),
        "cannot train");
}

void Trainer::checkResumePoint(const proto::Checkpoint &ckpt) const {
  const std::string where = "cannot resume from '" + config_.checkpointDir + "': ";
  if (ckpt.step() > uint64_t(config_.steps))
    throw std::runtime_error(where + "the checkpoint is at step " + std::to_string(ckpt.step()) +
                             ", past this run's --steps " + std::to_string(config_.steps));
  // The training sampler draws one batch per step, so its epoch and position
  // follow from the step: a mismatch means an edited or corrupt checkpoint.
  const uint64_t perEpoch = uint64_t(data_->trainRows() / config_.batch);
  const proto::DataState &d = ckpt.data();
  bool consistent = d.epoch() <= ckpt.step() && d.position() <= perEpoch &&
                    d.epoch() * perEpoch + d.position() == ckpt.step();
  if (!consistent)
    throw std::runtime_error(where + "the data position (epoch " + std::to_string(d.epoch()) +
                             ", batch " + std::to_string(d.position()) + " of " +
                             std::to_string(perEpoch) + ") does not match step " +
                             std::to_string(ckpt.step()) + "; the checkpoint is corrupt");
}

void Trainer::setStepInputs(rt::Executor &exe, int t, int micro) {
  const std::string where = "step " + std::to_string(t);
  for (const std::string &name : exe.inputNames()) {
    if (name == "lr")
      check(exe.setInput("lr", scalar(float(learningRate(t, config_.lr, config_.warmup,
                                                         std::max(config_.steps, config_.warmup),
                                                         config_.minLrRatio)))),
            where);
    if (name == "step")
      check(exe.setInput("step", scalar(float(t))), where);
    if (name == kLoraSeedInput) // fresh dropout masks every step (and micro-batch)
      check(exe.setInput(name, micro == 0 ? loraSeed(t) : loraSeedFor(config_.initSeed + uint64_t(micro), t)),
            where);
  }
}

namespace {

/// Rows [first, first + count) of a [rows, ...] tensor.
rt::HostTensor rowsOf(const rt::HostTensor &t, int64_t first, int64_t count) {
  std::vector<int64_t> shape = t.shape;
  const size_t rowBytes = t.bytes.size() / size_t(shape[0]);
  shape[0] = count;
  rt::HostTensor out(t.dtype, shape);
  std::copy_n(t.bytes.begin() + ptrdiff_t(size_t(first) * rowBytes), out.bytes.size(), out.bytes.begin());
  return out;
}

} // namespace

float Trainer::trainStep() {
  const int t = step_ + 1;
  const std::string where = "step " + std::to_string(t);
  Batch b = data_->trainBatch(sampler_->next());
  if (!micro_) {
    check(train_->setInput("tokens", b.tokens), where);
    check(train_->setInput("targets", b.targets), where);
    setStepInputs(*train_, t, 0);
    check(train_->run(), where);
    rt::HostTensor loss = check(train_->output("loss"), where);
    step_ = t;
    return loss.data<float>()[0];
  }
  // K forward + backward passes over consecutive rows of the batch (the
  // rows the whole step would read), then one update.
  const int k = config_.optimizer.microBatches, rows = microBatchRows();
  double sum = 0;
  for (int i = 0; i < k; ++i) {
    const std::string at = where + ", micro-batch " + std::to_string(i + 1) + " of " + std::to_string(k);
    check(micro_->setInput("tokens", rowsOf(b.tokens, int64_t(i) * rows, rows)), at);
    check(micro_->setInput("targets", rowsOf(b.targets, int64_t(i) * rows, rows)), at);
    setStepInputs(*micro_, t, i);
    check(micro_->run(), at);
    sum += check(micro_->output("loss"), at).data<float>()[0];
  }
  setStepInputs(*train_, t, 0);
  check(train_->run(), where + " (the update)");
  step_ = t;
  return float(sum / k);
}

rt::MemoryNeeds Trainer::stepMemory() const {
  rt::MemoryNeeds needs = rt::memoryNeeds(train_->executable().proto());
  if (micro_)
    needs.arena += rt::memoryNeeds(micro_->executable().proto()).arena;
  return needs;
}

std::string Trainer::accumulationReport() const {
  if (!micro_)
    return "";
  rt::MemoryNeeds micro = rt::memoryNeeds(micro_->executable().proto());
  rt::MemoryNeeds apply = rt::memoryNeeds(train_->executable().proto());
  return std::to_string(config_.optimizer.microBatches) + " micro-batches of " + std::to_string(microBatchRows()) +
         " rows: micro-step arena " + rt::formatBytes(micro.arena) + " (activations of one micro-batch), " +
         "apply-step arena " + rt::formatBytes(apply.arena) + ", gradient accumulators " +
         rt::formatBytes(micro.state) + " (in the optimizer state above)";
}

std::unique_ptr<rt::Executor> Trainer::compileForwardOnly(Program program) {
  CompileOptions options = config_.compile;
  options.autoShard.reset(); // these programs run whole on every rank
  options.plan.reset();
  if (!options.quantize.empty()) // the step's int8 base keeps its LM head f32: these programs read its weights
    options.lmHead = "f32";
  CompileResult r = compile(program.module(), options);
  if (!r.executable)
    throw std::runtime_error("compiling the forward program produced no executable");
  // The evaluation and sampling programs run whole on every rank.
  rt::ExecutorOptions oneDevice = config_.runtime;
  oneDevice.communicator = nullptr;
  return check(rt::Executor::create(std::move(*r.executable), oneDevice),
               "cannot load the forward program");
}

rt::HostTensor Trainer::parameterWide(const std::string &name) const {
  rt::HostTensor t = check(train_->parameter(name), "parameter '" + name + "'");
  if (t.dtype == proto::BF16 || t.dtype == proto::F16)
    return rt::castFloats(t, proto::F32);
  return t;
}

void Trainer::copyParameters(rt::Executor &to) const {
  // The forward programs hold f32 where the step holds a frozen weight low:
  // widened, then rounded again (exactly) if the program holds it low too.
  for (const std::string &name : to.parameterNames())
    check(rt::setWeightFromF32(to, name, parameterWide(name)), "parameter '" + name + "'");
}

double Trainer::heldOutLoss() {
  if (!eval_)
    eval_ = compileForwardOnly(lossProgram(config_.batch, {}, {}, /*evaluation=*/true));
  copyParameters(*eval_);
  int64_t batches = std::min<int64_t>(std::max(1, config_.evalBatches),
                                      data_->heldOutRows() / config_.batch);
  double sum = 0;
  for (int64_t k = 0; k < batches; ++k) {
    Batch b = data_->heldOutBatch(k);
    check(eval_->setInput("tokens", b.tokens), "held-out loss");
    check(eval_->setInput("targets", b.targets), "held-out loss");
    check(eval_->run(), "held-out loss");
    sum += check(eval_->output("loss"), "held-out loss").data<float>()[0];
  }
  return sum / double(batches);
}

std::vector<int64_t> Trainer::sample(const std::vector<int64_t> &prompt, int count) {
  const int T = config_.seq;
  if (prompt.size() < size_t(T))
    throw std::runtime_error("sample: the prompt has " + std::to_string(prompt.size()) +
                             " tokens, the model reads windows of " + std::to_string(T));
  if (!forward_)
    forward_ = compileForwardOnly(forwardProgram(1, T));
  copyParameters(*forward_);
  std::vector<int64_t> out = prompt;
  const int64_t V = vocabSize();
  for (int i = 0; i < count; ++i) {
    rt::HostTensor window(weft::proto::I64, {1, T});
    std::copy(out.end() - T, out.end(), window.data<int64_t>());
    check(forward_->setInput("tokens", window), "sample");
    check(forward_->run(), "sample");
    rt::HostTensor logits = check(forward_->output("logits"), "sample");
    const float *last = logits.data<float>() + int64_t(T - 1) * V;
    out.push_back(int64_t(std::max_element(last, last + V) - last));
  }
  return out;
}

void Trainer::saveCheckpoint() const {
  if (config_.checkpointDir.empty())
    throw std::runtime_error("no --checkpoint DIR to save to");
  proto::Checkpoint ckpt;
  ckpt.set_step(uint64_t(step_));
  *ckpt.mutable_data() = sampler_->state();
  ckpt.set_model_config_json(modelConfigJson());
  ckpt.set_train_options_json(optionsJson());
  // On a mesh every rank writes its own pieces (a sharded checkpoint); one
  // device keeps the single-file checkpoint.
  const std::shared_ptr<rt::Communicator> &world = config_.runtime.communicator;
  if (world && train_->mesh().numRanks() > 1) {
    check(rt::saveShardedCheckpoint(config_.checkpointDir, ckpt, *train_, *world),
          "cannot save the checkpoint");
    return;
  }
  check(rt::captureTensors(*train_, ckpt), "cannot save the checkpoint");
  if (config_.writeFiles)
    check(rt::saveCheckpoint(config_.checkpointDir, ckpt), "cannot save the checkpoint");
}

void Trainer::exportWeights(const std::string &path) const {
  std::vector<std::pair<std::string, rt::HostTensor>> tensors;
  for (const std::string &name : train_->parameterNames())
    tensors.emplace_back(name, parameterWide(name));
  if (config_.writeFiles)
    check(rt::writeSafetensors(path, tensors, {{"format", "pt"}}), "cannot write --save '" + path + "'");
}

} // namespace weft::train
