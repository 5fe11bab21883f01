// Models that hold another registry model (blend's CF model, mmr's base model):
// making it from a parameter, and saving it inside the outer model file as one
// byte section holding the inner model's complete model file (its own magic,
// version and crc), so the outer file stays one atomic, self-checked file and
// the inner model's section names never collide with the outer ones.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/recommender.h"

namespace segue {

// The inner model's spec: `spec` with ';' read as ',' when non-empty (so it can
// sit inside the outer spec: "ials:factors=64;reg=0.1"), else `name` (a model
// name, default parameters). UsageError names the outer model and key.
std::unique_ptr<Recommender> make_nested_model(const std::string& outer, const std::string& name_key,
                                               const std::string& name, const std::string& spec);

// A '+'-separated list of specs ("ials:alpha=1;reg=0.6+itemknn"; a '+' before a
// letter splits), each trimmed and with ';' read as ','. UsageError naming the
// outer model and key for an empty piece; the pieces are not parsed here.
std::vector<std::string> split_model_list(const std::string& text, const std::string& outer, const std::string& key);

// Writes `model`'s model file into section `section` (as bytes), built in
// memory (no temp file).
void save_nested_model(ModelWriter& out, const std::string& section, const Recommender& model);
// Reads it back from the outer file's bytes in place (no copy, no temp file);
// InputError through in.fail naming the section on any defect.
std::unique_ptr<Recommender> load_nested_model(const ModelReader& in, const std::string& section);

}  // namespace segue
