// Tests of spec strings: defaults, canonical printing, and errors that name the key.
#include <gtest/gtest.h>

#include "data/error.h"
#include "models/registry.h"
#include "models/spec.h"

namespace segue {
namespace {

std::vector<ParamDecl> decls() {
  return {int_param("factors", 64, 1, 4096, "latent dimensions"),
          float_param("reg", 0.01, 0.0, 1e6, "L2 regularisation", true),
          bool_param("bias", false, "learn item biases"),
          string_param("loss", "warp", "loss function")};
}

ModelSpec parse(std::string_view text) { return parse_params(split_spec(text), decls()); }

std::string error_of(std::string_view text) {
  try {
    parse(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Spec_Parse, FillsDefaultsForMissingKeys) {
  const ModelSpec spec = parse("mf");
  EXPECT_EQ(spec.name(), "mf");
  EXPECT_EQ(spec.get_int("factors"), 64);
  EXPECT_DOUBLE_EQ(spec.get_float("reg"), 0.01);
  EXPECT_FALSE(spec.get_bool("bias"));
  EXPECT_EQ(spec.get_string("loss"), "warp");
  EXPECT_EQ(parse("mf:").to_string(), spec.to_string());
}

TEST(Spec_Parse, ReadsTypedValuesAndTrimsSpaces) {
  const ModelSpec spec = parse("mf: factors = 128, reg=0.05 ,bias=true,loss=bpr");
  EXPECT_EQ(spec.get_int("factors"), 128);
  EXPECT_DOUBLE_EQ(spec.get_float("reg"), 0.05);
  EXPECT_TRUE(spec.get_bool("bias"));
  EXPECT_EQ(spec.get_string("loss"), "bpr");
}

TEST(Spec_Print, IsCanonicalAndRoundTrips) {
  const ModelSpec spec = parse("mf:reg=0.05,factors=128");
  EXPECT_EQ(spec.to_string(), "mf:factors=128,reg=0.05,bias=false,loss=warp");
  EXPECT_EQ(parse(spec.to_string()), spec);
  EXPECT_EQ(parse_spec("pop").to_string(), "pop:decay_days=0");
  EXPECT_EQ(parse_spec(parse_spec("pop:decay_days=2.5").to_string()).get_float("decay_days"), 2.5);
}

TEST(Spec_Errors, NameTheKey) {
  EXPECT_NE(error_of("mf:factorz=3").find("'factorz'"), std::string::npos);
  EXPECT_NE(error_of("mf:factorz=3").find("factors"), std::string::npos);  // lists the known keys
  EXPECT_NE(error_of("mf:factors=abc").find("'factors'"), std::string::npos);
  EXPECT_NE(error_of("mf:factors=1.5").find("'factors'"), std::string::npos);
  EXPECT_NE(error_of("mf:factors=0").find("'factors'"), std::string::npos);  // below 1
  EXPECT_NE(error_of("mf:factors=5000").find("[1, 4096]"), std::string::npos);
  EXPECT_NE(error_of("mf:reg=0").find("'reg'"), std::string::npos);  // exclusive minimum
  EXPECT_NE(error_of("mf:reg=nan").find("'reg'"), std::string::npos);
  EXPECT_NE(error_of("mf:reg=inf").find("'reg'"), std::string::npos);
  EXPECT_NE(error_of("mf:reg=").find("'reg'"), std::string::npos);
  EXPECT_NE(error_of("mf:bias=maybe").find("'bias'"), std::string::npos);
  EXPECT_NE(error_of("mf:reg=1,reg=2").find("'reg'"), std::string::npos);
  EXPECT_NE(error_of("mf:reg").find("key=value"), std::string::npos);
  EXPECT_NE(error_of(":reg=1").find("model name"), std::string::npos);
  EXPECT_THROW(parse_spec("pop:decay_days=-1"), UsageError);
  EXPECT_THROW(parse_spec("pop:decay_days=NaN"), UsageError);
}

TEST(Spec_Access, UndeclaredKeyIsAProgrammingError) {
  const ModelSpec spec = parse("mf");
  EXPECT_THROW(spec.get_int("nope"), std::logic_error);
  EXPECT_THROW(spec.get_float("factors"), std::logic_error);  // wrong type
}

}  // namespace
}  // namespace segue
