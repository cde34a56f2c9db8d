/* Preloaded into the libvirt driver's process (simvz.harness.crashtrace): when the
 * process dies of SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT, its C backtrace goes to
 * stderr first (glibc's backtrace_symbols_fd, which allocates nothing), so that a driver
 * crash names the frames it died in; then the signal's default action runs as before.
 * A handler someone else installed (AddressSanitizer's) is left alone. */
#define _GNU_SOURCE
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

static void on_crash(int sig)
{
    void *frames[64];
    static const char head[] = "simvz-crashtrace: backtrace of the driver's process:\n";
    int n = backtrace(frames, 64);
    if (write(2, head, sizeof(head) - 1) < 0) { /* nothing to do about it */ }
    backtrace_symbols_fd(frames, n, 2);
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void install(void)
{
    void *warm[1];
    backtrace(warm, 1); /* loads libgcc_s now, not inside the handler */
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        struct sigaction old;
        if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL
            && !(old.sa_flags & SA_SIGINFO)) {
            struct sigaction sa;
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_crash;
            sa.sa_flags = SA_RESETHAND;
            sigaction(signals[i], &sa, NULL);
        }
    }
}
