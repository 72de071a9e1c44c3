"""This file implements what the `weft generate` CLI tests of every model share (tests/e2e/generate_cli_test.py for
GPT-2, tests/e2e/llama_generate_test.py for LLaMA): a case runner that runs `weft generate MODEL ...` and the Python
reference of Hugging Face's generate() (reference_generate.py) over a cache-free torch forward on the same prompts
and controls and compares the sequences, the beam scores (within 1e-3 relative) and, when asked, the processed scores
of every step (--scores-out against HF's output_scores, within 1e-4 absolute and relative; masked scores must be
-inf on both sides); the check that `weft launch -n 2 -- weft generate ... --mesh tp=2` gives one rank's tokens; and
the check that a `weft train --checkpoint DIR` directory decodes like the --save weights with their config.json.
"""
import os
import subprocess

import numpy as np

import reference_generate as ref


class GenerateCases:
    """Cases of `weft generate` on one model. `model_args`: the model and its files, e.g. ["llama", "--config", C,
    "--weights", W]; `model`: the reference's model (vocab, max_length, logits(history)); failures are appended to
    `failures`."""

    def __init__(self, weft, env, work, model_args, model, failures):
        self.weft, self.env, self.work = weft, env, work
        self.model_args, self.model, self.failures = model_args, model, failures

    def generate(self, args, launch=(), model_args=None):
        cmd = list(launch) + ([self.weft] if not launch else ["weft"]) + ["generate"] + \
            (self.model_args if model_args is None else model_args) + args
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, errors="replace")

    def prompt_args(self, name, prompts):
        """--tokens for one prompt, else a --prompts-file of byte strings (the byte tokenizer's ids)."""
        if len(prompts) == 1:
            return ["--tokens", ",".join(map(str, prompts[0]))]
        prompts_file = os.path.join(self.work, name + ".txt")
        with open(prompts_file, "wb") as f:
            f.write(b"\n".join(bytes(p) for p in prompts) + b"\n")
        return ["--prompts-file", prompts_file]

    def run(self, name, prompts, flags, config, check_scores=False, model_args=None, flipped=0.0, flip_atol=0.0):
        """Runs weft generate (on `model_args` when given, else the cases' model) and the reference; returns weft's
        sequences (None when it failed). With `flipped` > 0 (int8 activations: a value the two sides round to
        neighbouring int8 steps), that fraction of the scores may differ by up to `flip_atol`."""
        out = os.path.join(self.work, name + ".npy")
        scores_out = os.path.join(self.work, name + "-scores.npy")
        r = self.generate(["--quiet", "--tokens-out", out] + flags + (["--scores-out", scores_out] if check_scores
                                                                     else []) + self.prompt_args(name, prompts),
                          model_args=model_args)
        if r.returncode != 0:
            self.failures.append("%s: weft generate failed (%d): %s" % (name, r.returncode, r.stderr.strip()))
            return None
        got = np.load(out)
        want = ref.generate(self.model, prompts, dict(config))
        want_seq = np.array(want["sequences"], dtype=np.int64)
        if got.shape != want_seq.shape or not np.array_equal(got, want_seq):
            self.failures.append("%s: weft generated\n%s\nthe reference\n%s" % (name, got, want_seq))
            return got
        if want.get("sequence_scores"):
            scores = [float(x) for x in r.stdout.split("(score ")[1:] for x in [x.split(")")[0]]]
            if not np.allclose(scores, want["sequence_scores"], rtol=1e-3):
                self.failures.append("%s: beam scores %s, the reference %s" % (name, scores, want["sequence_scores"]))
        worst = ""
        if check_scores:
            got_scores = np.load(scores_out)
            want_scores = np.array([[[float(x) for x in row] for row in step] for step in want["scores"]],
                                   dtype=np.float64)
            finite = np.isfinite(want_scores)
            same = got_scores.shape == want_scores.shape and np.array_equal(finite, np.isfinite(got_scores))
            if same:
                diff = np.abs(got_scores[finite] - want_scores[finite])
                off = diff > 1e-4 + 1e-4 * np.abs(want_scores[finite])
                same = np.mean(off) <= flipped and (not off.any() or np.max(diff[off]) <= flip_atol)
            if not same:
                self.failures.append("%s: processed scores differ (shapes %s, %s; largest difference %s)" %
                                     (name, got_scores.shape, want_scores.shape,
                                      np.max(np.abs(got_scores[finite] - want_scores[finite]))
                                      if got_scores.shape == want_scores.shape else "-"))
                return got
            worst = ", scores within %.2g" % np.max(np.abs(got_scores[finite] - want_scores[finite]))
            if flipped > 0:
                worst += ", %.2f%% of them beyond 1e-4" % (100 * np.mean(off))
        print("%-22s %s: identical (%d sequences of %d tokens%s)" % (name, " ".join(flags), got.shape[0],
                                                                    got.shape[1], worst))
        return got

    def tp_equals_one_rank(self, name, prompt, flags):
        """Tensor parallelism over 2 ranks (the heads, the MLP and the caches split, the logits gathered) gives
        the tokens of one rank."""
        outs = []
        for launch in ((), (self.weft, "launch", "-n", "2", "--")):
            out = os.path.join(self.work, "tp-%s-%d.npy" % (name, len(launch)))
            r = self.generate(["--tokens", ",".join(map(str, prompt)), "--quiet", "--tokens-out", out] + flags +
                              (["--mesh", "tp=2"] if launch else []), launch)
            if r.returncode != 0:
                self.failures.append("tp=2 %s (%d ranks) failed (%d): %s" % (name, 2 if launch else 1, r.returncode,
                                                                             r.stderr.strip()[-600:]))
                return
            outs.append(np.load(out))
        if np.array_equal(outs[0], outs[1]):
            print("tp=2 %-17s equals one rank (%d sequences of %d tokens)" % (name, outs[0].shape[0],
                                                                              outs[0].shape[1]))
        else:
            self.failures.append("tp=2 %s: 2 ranks generated\n%s\none rank\n%s" % (name, outs[1], outs[0]))

    def checkpoint_matches_save(self, train_flags):
        """Trains `weft train MODEL train_flags --checkpoint DIR --save DIR/model.safetensors`; then weft generate
        from DIR (the config recorded in the checkpoint) and from the --save weights with the config.json written
        beside them must give the same tokens. Returns DIR, or None when training failed."""
        model = self.model_args[0]
        ck = os.path.join(self.work, "train")
        r = subprocess.run([self.weft, "train", model] + train_flags +
                           ["--checkpoint", ck, "--save", os.path.join(ck, "model.safetensors"), "--sample-tokens",
                            "0", "--eval-every", "0"], env=self.env, capture_output=True, text=True, errors="replace")
        if r.returncode != 0:
            self.failures.append("weft train %s for the checkpoint case failed: %s" % (model, r.stderr.strip()[-400:]))
            return None
        got = []
        for weights_flags in (["--weights", ck], ["--weights", os.path.join(ck, "model.safetensors"), "--config",
                                                  os.path.join(ck, "config.json")]):
            out = os.path.join(self.work, "ck-%d.npy" % len(got))
            r = self.generate(["--tokens", "84,104,101", "--max-new-tokens", "8", "--quiet", "--tokens-out", out] +
                              weights_flags, model_args=[model])
            if r.returncode != 0:
                self.failures.append("generate %s %s failed: %s" % (model, weights_flags, r.stderr.strip()[-400:]))
                return ck
            got.append(np.load(out))
        if np.array_equal(got[0], got[1]):
            print("checkpoint directory   equals the --save weights + config.json")
        else:
            self.failures.append("checkpoint: %s against --save: %s" % (got[0], got[1]))
        return ck
