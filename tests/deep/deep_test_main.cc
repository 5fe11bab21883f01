// main() of segue_torch_tests: the deep models join the registry first.
#include <gtest/gtest.h>

#include "deep/torch_model.h"

int main(int argc, char** argv) {
  segue::register_deep_models();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
