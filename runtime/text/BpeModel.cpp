//===- BpeModel.cpp - byte-pair encoding of one word ------------------------===//
//
// This file implements BpeModel. Merging one word:
//   1. the word's characters become symbols: a character in the vocabulary is
//      its id; else, with byte fallback, its bytes' <0xNN> ids when all exist;
//      else the unknown token (one for a run of them when fused); else it is
//      dropped (Hugging Face's rule);
//   2. every adjacent pair that has a merge goes into a min-heap keyed by
//      (rank, position);
//   3. the top entry is merged unless it is stale (its left symbol was merged
//      away, or the pair there now is another one); the merged symbol forms
//      new pairs with its neighbours, which enter the heap;
//   4. the ids of the symbols left, in order.
// This is O(n log n) in the word's length, so a LLaMA-style tokenizer without
// a pre-tokenizer, whose word is the whole text, stays fast. Words shorter
// than 256 bytes are cached (the cache is emptied when it reaches 16384
// entries).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/BpeModel.h"

#include "runtime/text/Utf8.h"

#include <array>
#include <cstdio>
#include <mutex>
#include <queue>
#include <unordered_map>

namespace weft::text {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

constexpr int64_t kIdLimit = int64_t(1) << 31;
constexpr size_t kCachedWordBytes = 256;
constexpr size_t kCacheEntries = 16384;

uint64_t pairKey(int64_t a, int64_t b) { return (uint64_t(a) << 32) | uint64_t(b); }

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

/// The merge of one pair: its rank and the id of the token it makes.
struct Merge {
  uint32_t rank;
  int64_t result;
};

/// One symbol of a word being merged; a doubly linked list over positions.
struct Symbol {
  int64_t id;
  int64_t prev, next; // -1 at the ends
  bool alive;
};

/// A pair waiting in the heap: the merge at symbol `pos` and its right neighbour.
struct Candidate {
  uint32_t rank;
  int64_t pos;
  int64_t result;
  bool operator>(const Candidate &o) const {
    return rank != o.rank ? rank > o.rank : pos > o.pos;
  }
};

} // namespace

struct BpeModel::Impl {
  BpeOptions options;
  TokenMap vocab;
  std::vector<std::string> tokens; // by id
  std::vector<bool> present;
  std::unordered_map<uint64_t, Merge> merges;
  std::optional<int64_t> unkId;
  std::array<int64_t, 256> byteIds; // the id of <0xNN>, or -1
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int64_t>, StringHash, std::equal_to<>> cache;

  const Merge *findMerge(int64_t a, int64_t b) const {
    auto it = merges.find(pairKey(a, b));
    return it == merges.end() ? nullptr : &it->second;
  }
  void initialSymbols(std::string_view word, std::vector<int64_t> &ids) const;
  void merge(std::vector<int64_t> &ids) const;
  void encode(std::string_view word, std::vector<int64_t> &out) const;
};

std::string byteFallbackToken(uint8_t b) {
  char name[8];
  std::snprintf(name, sizeof name, "<0x%02X>", b);
  return name;
}

BpeModel::BpeModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BpeModel::~BpeModel() = default;

rt::StatusOr<std::unique_ptr<BpeModel>>
BpeModel::create(std::vector<std::pair<std::string, int64_t>> vocab,
                 const std::vector<std::pair<std::string, std::string>> &merges, BpeOptions options,
                 const BpeSource &source) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->vocab.reserve(vocab.size());
  for (auto &[token, id] : vocab) {
    if (id < 0 || id >= kIdLimit)
      return rt::invalidArgument(source.vocab + ": the id " + std::to_string(id) + " of " +
                                 quoted(token) + " is outside [0, 2^31)");
    if (size_t(id) >= impl->tokens.size()) {
      impl->tokens.resize(id + 1);
      impl->present.resize(id + 1, false);
    }
    if (impl->present[id])
      return rt::invalidArgument(source.vocab + ": the id " + std::to_string(id) +
                                 " is given to both " + quoted(impl->tokens[id]) + " and " +
                                 quoted(token));
    if (!impl->vocab.emplace(token, id).second)
      return rt::invalidArgument(source.vocab + ": the token " + quoted(token) + " appears twice");
    impl->present[id] = true;
    impl->tokens[id] = std::move(token);
  }
  impl->merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto &[a, b] = merges[i];
    auto ia = impl->vocab.find(a), ib = impl->vocab.find(b);
    for (auto [it, name] : {std::pair{ia, &a}, std::pair{ib, &b}})
      if (it == impl->vocab.end())
        return rt::invalidArgument(source.merge(i) + ": the token " + quoted(*name) +
                                   " is not in the vocabulary");
    auto result = impl->vocab.find(a + b);
    if (result == impl->vocab.end())
      return rt::invalidArgument(source.merge(i) + ": the merged token " + quoted(a + b) +
                                 " is not in the vocabulary");
    impl->merges[pairKey(ia->second, ib->second)] = Merge{uint32_t(i), result->second};
  }
  if (impl->options.unkToken) {
    auto it = impl->vocab.find(*impl->options.unkToken);
    if (it == impl->vocab.end())
      return rt::invalidArgument(source.unkToken + " " + quoted(*impl->options.unkToken) +
                                 " is not in the vocabulary");
    impl->unkId = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    auto it = impl->vocab.find(byteFallbackToken(uint8_t(b)));
    impl->byteIds[b] = it == impl->vocab.end() ? -1 : it->second;
  }
  return std::unique_ptr<BpeModel>(new BpeModel(std::move(impl)));
}

void BpeModel::Impl::initialSymbols(std::string_view word, std::vector<int64_t> &ids) const {
  bool pendingUnk = false;
  for (size_t pos = 0; pos < word.size();) {
    size_t length = readUtf8(word, pos).length;
    std::string_view ch = word.substr(pos, length);
    pos += length;
    if (auto it = vocab.find(ch); it != vocab.end()) {
      if (pendingUnk)
        ids.push_back(*unkId);
      pendingUnk = false;
      ids.push_back(it->second);
      continue;
    }
    if (options.byteFallback) {
      bool all = true;
      for (char c : ch)
        all = all && byteIds[uint8_t(c)] >= 0;
      if (all) {
        if (pendingUnk)
          ids.push_back(*unkId);
        pendingUnk = false;
        for (char c : ch)
          ids.push_back(byteIds[uint8_t(c)]);
        continue;
      }
    }
    if (!unkId)
      continue; // dropped, as Hugging Face does without an unknown token
    if (pendingUnk && !options.fuseUnk)
      ids.push_back(*unkId);
    pendingUnk = true;
  }
  if (pendingUnk)
    ids.push_back(*unkId);
}

void BpeModel::Impl::merge(std::vector<int64_t> &ids) const {
  int64_t n = int64_t(ids.size());
  if (n < 2)
    return;
  std::vector<Symbol> symbols(n);
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  for (int64_t i = 0; i < n; ++i) {
    symbols[i] = {ids[i], i - 1, i + 1 < n ? i + 1 : -1, true};
    if (i + 1 < n)
      if (const Merge *m = findMerge(ids[i], ids[i + 1]))
        heap.push({m->rank, i, m->result});
  }
  while (!heap.empty()) {
    Candidate top = heap.top();
    heap.pop();
    Symbol &left = symbols[top.pos];
    if (!left.alive || left.next < 0)
      continue;
    Symbol &right = symbols[left.next];
    const Merge *m = findMerge(left.id, right.id);
    if (!m || m->rank != top.rank)
      continue; // stale: the pair at this position has changed
    left.id = m->result;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].prev = top.pos;
    if (left.prev >= 0)
      if (const Merge *p = findMerge(symbols[left.prev].id, left.id))
        heap.push({p->rank, left.prev, p->result});
    if (left.next >= 0)
      if (const Merge *q = findMerge(left.id, symbols[left.next].id))
        heap.push({q->rank, top.pos, q->result});
  }
  ids.clear();
  for (int64_t i = 0; i >= 0; i = symbols[i].next)
    ids.push_back(symbols[i].id);
}

void BpeModel::Impl::encode(std::string_view word, std::vector<int64_t> &out) const {
  if (options.ignoreMerges)
    if (auto it = vocab.find(word); it != vocab.end()) {
      out.push_back(it->second);
      return;
    }
  std::vector<int64_t> ids;
  initialSymbols(word, ids);
  merge(ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

void BpeModel::encodeWord(std::string_view word, std::vector<int64_t> &out) const {
  if (word.empty())
    return;
  if (word.size() >= kCachedWordBytes) {
    impl_->encode(word, out);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(impl_->cacheMutex);
    if (auto it = impl_->cache.find(word); it != impl_->cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int64_t> ids;
  impl_->encode(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(impl_->cacheMutex);
  if (impl_->cache.size() >= kCacheEntries)
    impl_->cache.clear();
  impl_->cache.emplace(std::string(word), std::move(ids));
}

std::optional<int64_t> BpeModel::tokenToId(std::string_view token) const {
  auto it = impl_->vocab.find(token);
  if (it == impl_->vocab.end())
    return std::nullopt;
  return it->second;
}

const std::string *BpeModel::idToToken(int64_t id) const {
  if (id < 0 || id >= idLimit() || !impl_->present[id])
    return nullptr;
  return &impl_->tokens[id];
}

int64_t BpeModel::idLimit() const { return int64_t(impl_->tokens.size()); }
size_t BpeModel::mergeCount() const { return impl_->merges.size(); }
const BpeOptions &BpeModel::options() const { return impl_->options; }

} // namespace weft::text
