#pragma once
// Locking rules the compiler checks. Clang's thread-safety analysis
// (-Wthread-safety, on in every Clang build; the ThreadSanitizer build of
// scripts/test.sh is one) proves that a member marked PRISN_GUARDED_BY(mu)
// is only touched with mu held, and that a function marked
// PRISN_REQUIRES(mu) is only called with it held. GCC ignores them.
// docs/ARCHITECTURE.md, "Threads and locks", lists every lock.

#if defined(__clang__)
#define PRISN_TSA(x) __attribute__((x))
#else
#define PRISN_TSA(x)
#endif

#define PRISN_CAPABILITY(name) PRISN_TSA(capability(name))
#define PRISN_SCOPED_CAPABILITY PRISN_TSA(scoped_lockable)
#define PRISN_GUARDED_BY(mu) PRISN_TSA(guarded_by(mu))
#define PRISN_PT_GUARDED_BY(mu) PRISN_TSA(pt_guarded_by(mu))
#define PRISN_REQUIRES(...) PRISN_TSA(requires_capability(__VA_ARGS__))
#define PRISN_ACQUIRE(...) PRISN_TSA(acquire_capability(__VA_ARGS__))
#define PRISN_RELEASE(...) PRISN_TSA(release_capability(__VA_ARGS__))
#define PRISN_EXCLUDES(...) PRISN_TSA(locks_excluded(__VA_ARGS__))
#define PRISN_ACQUIRED_BEFORE(...) PRISN_TSA(acquired_before(__VA_ARGS__))
#define PRISN_RETURN_CAPABILITY(mu) PRISN_TSA(lock_returned(mu))
// For code the analysis cannot follow (a lock handed across a callback);
// say why next to each use.
#define PRISN_NO_THREAD_SAFETY_ANALYSIS PRISN_TSA(no_thread_safety_analysis)
