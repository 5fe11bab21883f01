// Dense text embeddings of item text with fastText (libfasttext): a skipgram
// model with character n-grams is trained on the items' own words (one line per
// item), and an item's vector is the L2-normalised mean of its words' vectors.
// Used by the item-feature pipeline for group "text" (`--text-dim N`,
// docs/FEATURES.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace segue {

struct TextEmbeddingOptions {
  std::int32_t dim = 32;     // vector size, 1..1024
  std::int32_t epochs = 10;  // passes over the corpus, 1..1000
  // With one training thread (always) the vectors depend only on the corpus and
  // the seed. fastText takes an int: the seed is used modulo 2^31.
  std::uint64_t seed = 42;
  // Words seen fewer times than this get no vector of their own (their character
  // n-grams still give one). 1: an artist name that occurs once still learns
  // from its own item's tags, which is what a cold item has to go on.
  std::int32_t min_count = 1;
  std::int32_t window = 5;   // skipgram context: up to this many words on each side (within one item)
  // fastText -t: a word of corpus frequency f is kept with probability
  // sqrt(t/f) + t/f, so ubiquitous tags ("rock") do not dominate. 1e-3 (word2vec's
  // default) rather than fastText's 1e-4: item text is a small corpus, and on
  // the Last.fm validation carve 1e-4 dropped too much (NDCG@10 0.291 vs 0.301).
  double sampling = 1e-3;
  // Character n-grams (subwords) of min_ngram..max_ngram characters (UTF-8
  // aware), so unseen words and any script get a vector; max_ngram 0 = whole words only.
  std::int32_t min_ngram = 3;
  std::int32_t max_ngram = 6;
};

struct TextEmbeddings {
  std::int32_t dim = 0;
  // documents x dim, row-major; unit L2 norm, or all zero where has_vector is 0.
  std::vector<float> vectors;
  std::vector<std::uint8_t> has_vector;  // per document: 1 when it had at least one word
  std::int64_t documents_without_words = 0;
  std::int64_t tokens = 0;      // words in the corpus
  std::int64_t vocabulary = 0;  // distinct words fastText kept (min_count)
  std::int64_t buckets = 0;     // hash buckets for the character n-grams

  std::span<const float> row(std::size_t document) const {
    return {vectors.data() + document * static_cast<std::size_t>(dim), static_cast<std::size_t>(dim)};
  }
};

// Trains on `documents` (documents[i] = item i's words, already tokenised, e.g.
// by tokenize_words; bytes <= 0x20 inside a word are replaced by '_') and
// returns one vector per document. The corpus goes to a temporary file
// (mkstemp in $TMPDIR, else /tmp: fastText reads its input from a file), removed
// afterwards, errors included. Nothing is printed. With no word at all, fastText
// is not called: every has_vector is 0 and dim is 0. UsageError for bad
// options; InputError naming `source` (the items file) when fastText fails.
TextEmbeddings train_text_embeddings(const std::vector<std::vector<std::string>>& documents,
                                     const TextEmbeddingOptions& options, const std::string& source);

}  // namespace segue
