// The TypeScript ↔ native contract. Its only definition is src/native/contract.ts, which documents every
// constant; scripts/gen-contract.ts generates the C++ constants from it during the build (CMakeLists.txt) into
// <build>/generated/contract.gen.h. test/native/contract.test.ts reads them back through tsrun-contract-dump.
#pragma once
#include "contract.gen.h"
