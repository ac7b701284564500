// A protection scheme as one self-contained unit: its name, its keys (with defaults, ranges and
// papers), the reader of its parameters, and the transformation it applies to a network. Each
// scheme lives in its own scheme_<name>.cpp and is listed once in scheme_registry.cpp.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/field_schema.h"
#include "common/json_reader.h"
#include "models/network.h"
#include "protect/protection_spec.h"

namespace faultscape {

// What a scheme may profile on: training images (their first spec.profile_images are used) and
// their labels (undefined unless a scheme measures accuracy).
// Inside a residual block (protect/block_paths.h), images are the path's inputs, and `whole` is
// the network the path is part of with `whole_images` its inputs (for effects on the logits).
struct ProfileData {
  torch::Tensor images;
  torch::Tensor labels;
  Network whole{nullptr};
  torch::Tensor whole_images;
};

// How a scheme reaches the layers of residual blocks (models/path_block.h): applied to each
// block's main path and shortcut like to a network of their own (Inside), or to the block stage
// as a whole (Whole: tmr triplicates it, qbound shrinks every quantizer in it), by the scheme
// itself (Own: replicate ranks the layers inside blocks with the others), or not (None).
enum class BlockReach { Inside, Whole, Own, None };

class Scheme {
 public:
  virtual ~Scheme() = default;
  virtual const SchemeInfo& info() const = 0;
  // Reads the scheme's own keys ("scheme" and "layers" are read by the caller) into spec.params
  // (and spec.profile_images); problems are recorded on the reader.
  virtual void read(Reader& r, ProtectionSpec& spec) const = 0;
  // Writes the scheme's own keys of a parsed spec (every default explicit, as the reader would take it).
  virtual void write(const ProtectionSpec& spec, nlohmann::json& out) const = 0;
  // The protected network (its own copy of every tensor); details receives what was done.
  virtual Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData& profile,
                        nlohmann::json& details) const = 0;
  virtual BlockReach block_reach() const { return BlockReach::Inside; }
};

// The scheme called `name`, or nullptr.
const Scheme* find_scheme(const std::string& name);

// Typed parameters of a scheme, held by ProtectionSpec::params.
template <class Params>
const Params& params_of(const ProtectionSpec& spec) {
  return dynamic_cast<const Params&>(*spec.params);
}
template <class Params>
Params& new_params(ProtectionSpec& spec) {
  auto p = std::make_shared<Params>();
  Params& ref = *p;
  spec.params = std::move(p);
  return ref;
}

// Keys several schemes share, with `paper` in their descriptions.
FieldSchema layers_field(const std::string& all, const std::string& paper);
FieldSchema percentile_field(const std::string& paper);
FieldSchema profile_images_field(const std::string& label, const std::string& tooltip);
void read_percentile(Reader& r, double& out);

}  // namespace faultscape
