// The deep models of segue_torch join the registry here: the CLI and the
// torch tests call register_deep_models() once at start-up (a static library's
// self-registering objects would be dropped by the linker). A new deep model
// adds one line.
#include <mutex>

#include "deep/lightgcn.h"
#include "deep/multvae.h"
#include "deep/neumf.h"
#include "deep/sasrec.h"
#include "deep/gru4rec.h"
#include "deep/torch_model.h"

namespace segue {

void register_deep_models() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_model(multvae_info());
    register_model(multdae_info());
    register_model(lightgcn_info());
    register_model(neumf_info());
    register_model(sasrec_info());
    register_model(gru4rec_info());
  });
}

}  // namespace segue
