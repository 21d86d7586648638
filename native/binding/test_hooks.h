// The addon's test hooks: selectIsa, expForTesting and addressAlignmentForTesting.
//
// They stay in the normal (production) build on purpose: the jest suites run against the addon a
// user installs, and use selectIsa to run every kernel this CPU supports (test/support/isas.ts),
// expForTesting to measure each kernel's vector exp, and addressAlignmentForTesting to check
// alignedFloat32Array. None of them is part of the package's TypeScript API.
#ifndef NONLOCAL_BINDING_TEST_HOOKS_H_
#define NONLOCAL_BINDING_TEST_HOOKS_H_

#include <napi.h>

namespace nonlocal_binding {

// Adds the three hooks to `exports` (called once from addon.cc).
void RegisterTestHooks(Napi::Env env, Napi::Object exports);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_TEST_HOOKS_H_
