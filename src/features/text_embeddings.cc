// fastText skipgram on the items' own text (features/text_embeddings.h). The
// library reads its corpus from a file, so the documents go to a temporary file
// that a guard removes on every path; its exceptions become InputErrors.
#include "features/text_embeddings.h"

#include <fasttext/args.h>
#include <fasttext/densematrix.h>
#include <fasttext/dictionary.h>
#include <fasttext/fasttext.h>
#include <fasttext/model.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <unordered_set>

#include "data/error.h"

namespace segue {
namespace {

constexpr std::int32_t kMaxDim = 1024;
// Character n-gram buckets: about 16 per distinct word (a word of k characters
// has at most 4k n-grams of 3..6 characters, and most are shared), never more
// than fastText's own default, and at most 2^25 floats (128 MiB) in all.
constexpr std::int64_t kMinBuckets = 2048;
constexpr std::int64_t kMaxBuckets = 2000000;
constexpr std::int64_t kMaxBucketFloats = std::int64_t{1} << 25;

// The corpus file: created with mkstemp, removed when the guard goes.
class TempCorpus {
 public:
  explicit TempCorpus(const std::string& source) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/segue-text-XXXXXX";
    const int fd = ::mkstemp(path_.data());
    if (fd < 0) fail(source, "cannot create a temporary file " + path_, errno);
    file_ = ::fdopen(fd, "w");
    if (file_ == nullptr) {
      const int error = errno;
      ::close(fd);
      ::unlink(path_.c_str());
      fail(source, "cannot open the temporary file " + path_, error);
    }
  }
  ~TempCorpus() {
    if (file_ != nullptr) std::fclose(file_);
    ::unlink(path_.c_str());  // the constructor completed, so the file exists
  }
  TempCorpus(const TempCorpus&) = delete;
  TempCorpus& operator=(const TempCorpus&) = delete;

  std::FILE* file() { return file_; }
  const std::string& path() const { return path_; }
  void close(const std::string& source) {
    const bool bad = std::ferror(file_) != 0;
    const bool closed = std::fclose(file_) == 0;
    const int error = errno;
    file_ = nullptr;
    if (bad || !closed) fail(source, "cannot write the text corpus to " + path_, error);
  }

 private:
  [[noreturn]] static void fail(const std::string& source, const std::string& what, int error) {
    throw InputError(source, 0, "text", "fastText: " + what + ": " + std::strerror(error));
  }
  std::string path_;
  std::FILE* file_ = nullptr;
};

// FastText::train, except that every row of the input matrix (words and
// character n-grams) gets its uniform(-1/dim, 1/dim) start. libfasttext
// 0.9.2's DenseMatrix::uniform splits the matrix into ten blocks, one per
// thread, so with thread = 1 (which determinism needs) it fills only the first
// tenth and leaves the other rows at zero; a word that starts at zero and only
// meets such words never moves. The rest is the library's own code path
// (protected members of FastText, declared in its public header).
class SingleThreadFastText : public fasttext::FastText {
 public:
  void train_single_thread(const fasttext::Args& args) {
    args_ = std::make_shared<fasttext::Args>(args);
    args_->thread = 1;
    dict_ = std::make_shared<fasttext::Dictionary>(args_);
    std::ifstream in(args_->input);
    if (!in.is_open()) throw std::invalid_argument(args_->input + " cannot be opened for training");
    dict_->readFromFile(in);
    in.close();
    auto input = std::make_shared<fasttext::DenseMatrix>(dict_->nwords() + args_->bucket, args_->dim);
    std::minstd_rand rng(static_cast<std::minstd_rand::result_type>(args_->seed));
    std::uniform_real_distribution<> uniform(-1.0 / args_->dim, 1.0 / args_->dim);
    const std::int64_t n = input->size(0) * input->size(1);
    for (std::int64_t i = 0; i < n; ++i) input->data()[i] = static_cast<fasttext::real>(uniform(rng));
    input_ = input;
    output_ = createTrainOutputMatrix();
    quant_ = false;
    auto loss = createLoss(output_);
    model_ = std::make_shared<fasttext::Model>(input_, output_, loss, /*normalizeGradient=*/false);
    startThreads();
  }
};

// fastText splits on ' ', \t, \n, \v, \f, \r and \0: such bytes (and other
// control bytes) inside a word would split it, so they become '_'.
std::string clean_word(const std::string& word) {
  std::string out = word;
  for (char& c : out)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) c = '_';
  return out;
}

void check_options(const TextEmbeddingOptions& o) {
  if (o.dim < 1 || o.dim > kMaxDim)
    throw UsageError("text embeddings: dim must be in [1, " + std::to_string(kMaxDim) + "], got " + std::to_string(o.dim));
  if (o.epochs < 1 || o.epochs > 1000)
    throw UsageError("text embeddings: epochs must be in [1, 1000], got " + std::to_string(o.epochs));
  if (o.min_count < 1) throw UsageError("text embeddings: min_count must be >= 1");
  if (o.window < 1 || o.window > 100) throw UsageError("text embeddings: window must be in [1, 100]");
  if (!(o.sampling > 0.0 && o.sampling <= 1.0)) throw UsageError("text embeddings: sampling must be in (0, 1]");
  if (o.max_ngram != 0 && (o.min_ngram < 1 || o.max_ngram < o.min_ngram || o.max_ngram > 20))
    throw UsageError("text embeddings: character n-grams must satisfy 1 <= min_ngram <= max_ngram <= 20 (or max_ngram 0)");
}

}  // namespace

TextEmbeddings train_text_embeddings(const std::vector<std::vector<std::string>>& documents,
                                     const TextEmbeddingOptions& options, const std::string& source) {
  check_options(options);
  TextEmbeddings out;
  out.has_vector.assign(documents.size(), 0);

  std::vector<std::vector<std::string>> words(documents.size());
  std::unordered_set<std::string> distinct;
  for (std::size_t d = 0; d < documents.size(); ++d) {
    for (const std::string& w : documents[d]) {
      if (w.empty()) continue;
      words[d].push_back(clean_word(w));
      distinct.insert(words[d].back());
    }
    out.tokens += static_cast<std::int64_t>(words[d].size());
    if (words[d].empty()) ++out.documents_without_words;
  }
  if (out.tokens == 0) return out;  // nothing to learn from: no vectors, fastText not called

  const std::int64_t by_words = std::clamp(16 * static_cast<std::int64_t>(distinct.size()), kMinBuckets, kMaxBuckets);
  out.buckets = options.max_ngram == 0 ? 0 : std::max(kMinBuckets, std::min(by_words, kMaxBucketFloats / options.dim));

  fasttext::Args args;
  args.model = fasttext::model_name::sg;
  args.loss = fasttext::loss_name::ns;
  args.dim = options.dim;
  args.epoch = options.epochs;
  args.ws = options.window;
  args.minCount = options.min_count;
  args.t = options.sampling;
  args.minn = options.max_ngram == 0 ? 0 : options.min_ngram;
  args.maxn = options.max_ngram;
  args.bucket = static_cast<int>(out.buckets);
  args.thread = 1;  // one thread: deterministic
  args.seed = static_cast<int>(options.seed % (std::uint64_t{1} << 31));
  args.verbose = 0;
  args.label = "\x01";  // no cleaned word starts with it, so no word is read as a "__label__"

  SingleThreadFastText model;
  {
    TempCorpus corpus(source);
    for (const auto& doc : words) {
      if (doc.empty()) continue;
      for (std::size_t k = 0; k < doc.size(); ++k) {
        if (k > 0) std::fputc(' ', corpus.file());
        std::fwrite(doc[k].data(), 1, doc[k].size(), corpus.file());
      }
      std::fputc('\n', corpus.file());
    }
    corpus.close(source);
    args.input = corpus.path();
    try {
      model.train_single_thread(args);
    } catch (const std::exception& error) {
      throw InputError(source, 0, "text", std::string("fastText training failed: ") + error.what());
    } catch (...) {
      throw InputError(source, 0, "text", "fastText training failed (unknown error)");
    }
  }
  out.vocabulary = std::max(0, model.getDictionary()->nwords() - 1);  // less the end-of-line token "</s>"

  out.dim = options.dim;
  const auto dim = static_cast<std::size_t>(options.dim);
  out.vectors.assign(documents.size() * dim, 0.0f);
  fasttext::Vector word_vector(options.dim);
  std::vector<double> sum(dim);
  for (std::size_t d = 0; d < words.size(); ++d) {
    if (words[d].empty()) continue;
    std::fill(sum.begin(), sum.end(), 0.0);
    for (const std::string& w : words[d]) {
      model.getWordVector(word_vector, w);
      for (std::size_t j = 0; j < dim; ++j) sum[j] += word_vector[static_cast<std::int64_t>(j)];
    }
    // The mean's direction: the 1/n factor vanishes in the normalisation.
    double norm = 0.0;
    for (const double v : sum) norm += v * v;
    norm = std::sqrt(norm);
    if (!std::isfinite(norm))
      throw InputError(source, 0, "text", "fastText produced a non-finite vector (document " + std::to_string(d + 1) + ")");
    if (norm == 0.0) continue;  // only words without a vector (max_ngram 0 and below min_count)
    float* row = out.vectors.data() + d * dim;
    for (std::size_t j = 0; j < dim; ++j) row[j] = static_cast<float>(sum[j] / norm);
    out.has_vector[d] = 1;
  }
  return out;
}

}  // namespace segue
