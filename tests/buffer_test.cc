// Buffer<T> (util/buffer.h): FeedbackMatrix's arrays, owned or borrowed from
// the caller (the Python module's zero-copy fit). Borrowing must never write
// through, and a copy must never outlive the borrowed storage.
#include "util/buffer.h"

#include <gtest/gtest.h>

#include <vector>

#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {
namespace {

TEST(Buffer, BorrowReadsTheCallersArrayInPlace) {
  std::vector<float> source{1.0f, 2.0f, 3.0f};
  const Buffer<float> view = Buffer<float>::borrow(source.data(), source.size());
  EXPECT_TRUE(view.borrowed());
  EXPECT_EQ(view.data(), source.data());
  EXPECT_EQ(view.size(), 3u);
  source[1] = 7.0f;  // the view sees the caller's storage, not a snapshot
  EXPECT_EQ(view[1], 7.0f);
}

TEST(Buffer, WritesCopyFirstAndNeverTouchTheBorrowedArray) {
  std::vector<int> source{4, 5, 6};
  Buffer<int> b = Buffer<int>::borrow(source.data(), source.size());
  b.push_back(9);
  EXPECT_FALSE(b.borrowed());
  EXPECT_EQ(b, (std::vector<int>{4, 5, 6, 9}));
  EXPECT_EQ(source, (std::vector<int>{4, 5, 6}));

  Buffer<int> c = Buffer<int>::borrow(source.data(), source.size());
  c.at_mut(0) = -1;
  EXPECT_EQ(c, (std::vector<int>{-1, 5, 6}));
  EXPECT_EQ(source[0], 4);
}

TEST(Buffer, CopiesOwnTheirElementsMovesKeepBorrowing) {
  std::vector<int> source{1, 2};
  Buffer<int> b = Buffer<int>::borrow(source.data(), source.size());
  const Buffer<int> copy = b;
  EXPECT_FALSE(copy.borrowed());
  EXPECT_NE(copy.data(), source.data());
  Buffer<int> assigned;
  assigned = b;
  EXPECT_FALSE(assigned.borrowed());
  EXPECT_EQ(assigned, copy);

  const Buffer<int> moved = std::move(b);
  EXPECT_TRUE(moved.borrowed());
  EXPECT_EQ(moved.data(), source.data());
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): a moved-from buffer is empty
  source.assign({8, 9});   // the copies made earlier do not change
  EXPECT_EQ(copy, (std::vector<int>{1, 2}));
}

TEST(Buffer, AssignFromItsOwnElementsIsSafe) {
  Buffer<int> b{1, 2, 3, 4};
  b.assign(b.begin() + 1, b.end());
  EXPECT_EQ(b, (std::vector<int>{2, 3, 4}));
}

// A FeedbackMatrix over borrowed arrays trains the same model as one that owns
// copies, and validation reads it without copying it.
TEST(Buffer, FeedbackOverBorrowedArraysFitsLikeAnOwnedOne) {
  const std::vector<std::int64_t> indptr{0, 2, 3, 5};
  const std::vector<std::int32_t> indices{0, 2, 1, 0, 3};
  const std::vector<float> values{1.0f, 2.0f, 1.0f, 3.0f, 1.0f};
  FeedbackMatrix owned;
  owned.n_users = 3;
  owned.n_items = 4;
  owned.indptr = indptr;
  owned.indices = indices;
  owned.values = values;
  owned.negatives = SparseRows::empty(3, 4);
  FeedbackMatrix borrowed = owned;
  borrowed.indptr = Buffer<std::int64_t>::borrow(indptr.data(), indptr.size());
  borrowed.indices = Buffer<std::int32_t>::borrow(indices.data(), indices.size());
  borrowed.values = Buffer<float>::borrow(values.data(), values.size());
  borrowed.validate();
  EXPECT_TRUE(borrowed.indices.borrowed());
  EXPECT_EQ(borrowed.items_of(2).data(), indices.data() + 3);

  auto a = make_recommender("itemknn:k=3");
  auto b = make_recommender("itemknn:k=3");
  a->fit(owned, FitContext{});
  b->fit(borrowed, FitContext{});
  for (std::int32_t u = 0; u < 3; ++u) {
    const auto la = a->recommend(u, 4, true);
    const auto lb = b->recommend(u, 4, true);
    ASSERT_EQ(la.size(), lb.size());
    for (std::size_t i = 0; i < la.size(); ++i) {
      EXPECT_EQ(la[i].item, lb[i].item);
      EXPECT_FLOAT_EQ(la[i].score, lb[i].score);
    }
  }
}

}  // namespace
}  // namespace segue
