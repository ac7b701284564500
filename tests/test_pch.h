// Shared precompiled header of the tests: LibTorch first, then Qt (Qt's `slots` macro breaks torch).
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <QtTest>
