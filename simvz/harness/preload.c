/*
 * simvz path-redirecting preload library.
 *
 * Makes a simulated OpenVZ node directory look like the machine's own OpenVZ host to
 * an unmodified program (libvirt's openvz driver inside libvirt.so, virsh, Python):
 * absolute paths under /proc/vz, /etc/vz, /vz, /usr/sbin/vz{ctl,list,migrate},
 * /usr/local/etc/conf and the node's network tools /usr/sbin/{ip,brctl} (how the
 * real-host backend observes bridges and routes) are served from $SIMVZ_ROOT, nothing
 * else. The idea is the one of
 * libvirt's own test suite (tests/virfilewrapper.c): wrap the libc entry points a
 * program uses on those paths and forward to the next definition (dlsym RTLD_NEXT).
 *
 * Paths are normalised lexically first ("." and ".." resolved, "//" collapsed) and only
 * then matched, by whole path components, so "/vz/../etc/passwd" is the real
 * /etc/passwd and "/etc/vzdump" is never captured; a mapped path can never leave the
 * node directory. Relative paths are left alone.
 *
 * libvirt.so (glibc 2.36) imports access, opendir, fopen64, open64, rename, unlink,
 * execv and execve on these paths; Python and tools also use open, openat, stat,
 * lstat, fstatat and friends: every name and its 64-bit twin is defined here.
 *
 * glibc calls itself internally without going through the symbol table: execvp and
 * friends reach the kernel through an internal execve, posix_spawnp searches PATH
 * itself, realpath and scandir use internal lstat/readlink/opendir. Those are
 * therefore reimplemented here on top of the wrapped calls rather than forwarded.
 * system() and popen() spawn /bin/sh internally; the shell inherits LD_PRELOAD and its
 * own exec goes through execve below. Static binaries, setuid programs (the loader
 * drops LD_PRELOAD) and direct system calls are out of reach (README, "The shim").
 */
#define _GNU_SOURCE
#define _LARGEFILE64_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#define BUF (PATH_MAX * 2)

/* Every path an OpenVZ node has: the kernel's files (/proc/vz, /proc/bc,
 * /proc/user_beancounters), vzctl's configuration, containers and quota files, and the
 * node's tools. */
static const char *const prefixes[] = {
    "/proc/vz", "/proc/bc", "/proc/user_beancounters", "/etc/vz", "/vz", "/var/lib/vz",
    "/var/vzquota", "/usr/sbin/vzctl", "/usr/sbin/vzlist", "/usr/sbin/vzmigrate",
    "/usr/sbin/ip", "/usr/sbin/brctl", "/usr/local/etc/conf", NULL,
};

/* Lexical normalisation of an absolute path into out; 0 on success. */
static int normalise(const char *path, char *out, size_t size)
{
    size_t len = 0;
    const char *p = path;

    while (*p) {
        const char *seg;
        size_t n;

        while (*p == '/')
            p++;
        seg = p;
        while (*p && *p != '/')
            p++;
        n = (size_t)(p - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
            continue;
        }
        if (len + 1 + n + 1 > size)
            return -1;
        out[len++] = '/';
        memcpy(out + len, seg, n);
        len += n;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return 0;
}

static int under_prefix(const char *path)
{
    int i;

    for (i = 0; prefixes[i]; i++) {
        size_t n = strlen(prefixes[i]);

        if (strncmp(path, prefixes[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

/* The path to use: buf holding the node path under $SIMVZ_ROOT, or path itself. A path
 * that only passes through a node directory ("/vz/private/../../etc/hostname") is the
 * machine's, resolved as the node's kernel would resolve it: lexically normalised. */
static const char *map(const char *path, char *buf)
{
    const char *root = getenv("SIMVZ_ROOT");
    char norm[BUF];

    if (path == NULL || path[0] != '/' || root == NULL || root[0] != '/')
        return path;
    if (normalise(path, norm, sizeof(norm)) < 0)
        return path;
    if (under_prefix(norm)) {
        if ((size_t)snprintf(buf, BUF, "%s%s", root, norm) >= BUF)
            return path;
        return buf;
    }
    if (under_prefix(path)) {
        strcpy(buf, norm);
        return buf;
    }
    return path;
}

#define REAL(ret, name, ...)                                          \
    static ret (*real_##name)(__VA_ARGS__);                           \
    if (!real_##name)                                                 \
        *(void **)(&real_##name) = dlsym(RTLD_NEXT, #name)

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_LIKE(name)                                               \
    int name(const char *path, int flags, ...)                        \
    {                                                                 \
        char b[BUF];                                                  \
        va_list ap;                                                   \
        mode_t mode;                                                  \
        REAL(int, name, const char *, int, ...);                      \
        va_start(ap, flags);                                          \
        mode = mode_arg(flags, ap);                                   \
        va_end(ap);                                                   \
        return real_##name(map(path, b), flags, mode);                \
    }
OPEN_LIKE(open)
OPEN_LIKE(open64)

#define OPENAT_LIKE(name)                                             \
    int name(int dirfd, const char *path, int flags, ...)             \
    {                                                                 \
        char b[BUF];                                                  \
        va_list ap;                                                   \
        mode_t mode;                                                  \
        REAL(int, name, int, const char *, int, ...);                 \
        va_start(ap, flags);                                          \
        mode = mode_arg(flags, ap);                                   \
        va_end(ap);                                                   \
        return real_##name(dirfd, map(path, b), flags, mode);         \
    }
OPENAT_LIKE(openat)
OPENAT_LIKE(openat64)

#define FORTIFIED_OPEN(name)                                          \
    int name(const char *path, int flags)                             \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, const char *, int);                           \
        return real_##name(map(path, b), flags);                      \
    }
FORTIFIED_OPEN(__open_2)
FORTIFIED_OPEN(__open64_2)

#define FORTIFIED_OPENAT(name)                                        \
    int name(int dirfd, const char *path, int flags)                  \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, int, const char *, int);                      \
        return real_##name(dirfd, map(path, b), flags);               \
    }
FORTIFIED_OPENAT(__openat_2)
FORTIFIED_OPENAT(__openat64_2)

#define PATH_MODE(name)                                               \
    int name(const char *path, mode_t mode)                           \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, const char *, mode_t);                        \
        return real_##name(map(path, b), mode);                       \
    }
PATH_MODE(creat)
PATH_MODE(creat64)
PATH_MODE(mkdir)
PATH_MODE(chmod)

#define PATH_ONLY(name)                                               \
    int name(const char *path)                                        \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, const char *);                                \
        return real_##name(map(path, b));                             \
    }
PATH_ONLY(rmdir)
PATH_ONLY(unlink)

#define PATH_INT(name)                                                \
    int name(const char *path, int arg)                               \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, const char *, int);                           \
        return real_##name(map(path, b), arg);                        \
    }
PATH_INT(access)
PATH_INT(euidaccess)
PATH_INT(eaccess)

/* Metadata calls: Python's tarfile (unpacking a private area) sets modes, owners and
 * times by path after creating each member. */
int chown(const char *path, uid_t uid, gid_t gid)
{
    char b[BUF];
    REAL(int, chown, const char *, uid_t, gid_t);
    return real_chown(map(path, b), uid, gid);
}

int lchown(const char *path, uid_t uid, gid_t gid)
{
    char b[BUF];
    REAL(int, lchown, const char *, uid_t, gid_t);
    return real_lchown(map(path, b), uid, gid);
}

int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
    char b[BUF];
    REAL(int, fchownat, int, const char *, uid_t, gid_t, int);
    return real_fchownat(dirfd, map(path, b), uid, gid, flags);
}

int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
    char b[BUF];
    REAL(int, fchmodat, int, const char *, mode_t, int);
    return real_fchmodat(dirfd, map(path, b), mode, flags);
}

int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
    char b[BUF];
    REAL(int, utimensat, int, const char *, const struct timespec *, int);
    return real_utimensat(dirfd, map(path, b), times, flags);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
    char b[BUF];
    REAL(int, faccessat, int, const char *, int, int);
    return real_faccessat(dirfd, map(path, b), mode, flags);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
    char b[BUF];
    REAL(int, mkdirat, int, const char *, mode_t);
    return real_mkdirat(dirfd, map(path, b), mode);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    char b[BUF];
    REAL(int, unlinkat, int, const char *, int);
    return real_unlinkat(dirfd, map(path, b), flags);
}

#define STAT_LIKE(name, type)                                         \
    int name(const char *path, type *st)                              \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, const char *, type *);                        \
        return real_##name(map(path, b), st);                         \
    }
STAT_LIKE(stat, struct stat)
STAT_LIKE(stat64, struct stat64)
STAT_LIKE(lstat, struct stat)
STAT_LIKE(lstat64, struct stat64)

#define XSTAT_LIKE(name, type)                                        \
    int name(int ver, const char *path, type *st)                     \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, int, const char *, type *);                   \
        return real_##name(ver, map(path, b), st);                    \
    }
XSTAT_LIKE(__xstat, struct stat)
XSTAT_LIKE(__xstat64, struct stat64)
XSTAT_LIKE(__lxstat, struct stat)
XSTAT_LIKE(__lxstat64, struct stat64)

#define FSTATAT_LIKE(name, type)                                      \
    int name(int dirfd, const char *path, type *st, int flags)        \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, int, const char *, type *, int);              \
        return real_##name(dirfd, map(path, b), st, flags);           \
    }
FSTATAT_LIKE(fstatat, struct stat)
FSTATAT_LIKE(fstatat64, struct stat64)

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *st)
{
    char b[BUF];
    REAL(int, statx, int, const char *, int, unsigned int, struct statx *);
    return real_statx(dirfd, map(path, b), flags, mask, st);
}

#define FOPEN_LIKE(name)                                              \
    FILE *name(const char *path, const char *mode)                    \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(FILE *, name, const char *, const char *);               \
        return real_##name(map(path, b), mode);                       \
    }
FOPEN_LIKE(fopen)
FOPEN_LIKE(fopen64)

#define FREOPEN_LIKE(name)                                            \
    FILE *name(const char *path, const char *mode, FILE *f)           \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(FILE *, name, const char *, const char *, FILE *);       \
        return real_##name(map(path, b), mode, f);                    \
    }
FREOPEN_LIKE(freopen)
FREOPEN_LIKE(freopen64)

DIR *opendir(const char *path)
{
    char b[BUF];
    REAL(DIR *, opendir, const char *);
    return real_opendir(map(path, b));
}

int rename(const char *from, const char *to)
{
    char b1[BUF], b2[BUF];
    REAL(int, rename, const char *, const char *);
    return real_rename(map(from, b1), map(to, b2));
}

int renameat(int fd1, const char *from, int fd2, const char *to)
{
    char b1[BUF], b2[BUF];
    REAL(int, renameat, int, const char *, int, const char *);
    return real_renameat(fd1, map(from, b1), fd2, map(to, b2));
}

int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned int flags)
{
    char b1[BUF], b2[BUF];
    REAL(int, renameat2, int, const char *, int, const char *, unsigned int);
    return real_renameat2(fd1, map(from, b1), fd2, map(to, b2), flags);
}

int link(const char *from, const char *to)
{
    char b1[BUF], b2[BUF];
    REAL(int, link, const char *, const char *);
    return real_link(map(from, b1), map(to, b2));
}

int symlink(const char *target, const char *path)
{
    char b[BUF];
    REAL(int, symlink, const char *, const char *);
    return real_symlink(target, map(path, b)); /* the target is stored as written */
}

ssize_t readlink(const char *path, char *out, size_t size)
{
    char b[BUF];
    REAL(ssize_t, readlink, const char *, char *, size_t);
    return real_readlink(map(path, b), out, size);
}

int truncate(const char *path, off_t len)
{
    char b[BUF];
    REAL(int, truncate, const char *, off_t);
    return real_truncate(map(path, b), len);
}

int truncate64(const char *path, off64_t len)
{
    char b[BUF];
    REAL(int, truncate64, const char *, off64_t);
    return real_truncate64(map(path, b), len);
}

/* Exec of a node tool: the interpreter sees the script's path as argv[0], so the name
 * it was called by travels in SIMVZ_ARGV0 (getopt messages print it). */
static char **env_with_argv0(char *const envp[], const char *argv0, char ***owned)
{
    size_t n = 0, i;
    char **env;
    char *entry;

    while (envp && envp[n])
        n++;
    env = calloc(n + 2, sizeof(char *));
    entry = malloc(strlen(argv0) + sizeof("SIMVZ_ARGV0="));
    if (env == NULL || entry == NULL) {
        free(env);
        free(entry);
        return NULL;
    }
    sprintf(entry, "SIMVZ_ARGV0=%s", argv0);
    for (i = 0; i < n; i++)
        env[i] = envp[i];
    env[n] = entry;
    *owned = env;
    return env;
}

/* Whether path is a tool of the node (DIR/usr/sbin/...), reached through /usr/sbin or
 * the node's PATH. */
static int is_node_tool(const char *path)
{
    const char *root = getenv("SIMVZ_ROOT");
    size_t n;

    if (root == NULL)
        return 0;
    n = strlen(root);
    return strncmp(path, root, n) == 0 && strncmp(path + n, "/usr/sbin/", 10) == 0;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    char b[BUF];
    const char *mapped = map(path, b);
    char **owned = NULL;
    char *const *env = envp;
    REAL(int, execve, const char *, char *const[], char *const[]);

    if (argv[0] != NULL && is_node_tool(mapped)) {
        char **e = env_with_argv0(envp, argv[0], &owned);
        if (e)
            env = e;
    }
    return real_execve(mapped, argv, env);
}

extern char **environ;

int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    char b[BUF];
    REAL(int, execveat, int, const char *, char *const[], char *const[], int);

    if (path[0] == '/' && !(flags & AT_EMPTY_PATH))
        return execve(path, argv, envp); /* an absolute path ignores dirfd */
    return real_execveat(dirfd, map(path, b), argv, envp, flags);
}

/* A script without #! is run by /bin/sh, as glibc's execvp does (posix/execvpe.c). */
static int exec_script(const char *path, char *const argv[], char *const envp[])
{
    size_t n = 0;
    char **sh;

    while (argv[n])
        n++;
    sh = calloc(n + 2, sizeof(char *));
    if (sh == NULL)
        return -1;
    sh[0] = (char *)"/bin/sh";
    sh[1] = (char *)path;
    memcpy(sh + 2, argv + 1, (n > 0 ? n - 1 : 0) * sizeof(char *));
    execve("/bin/sh", sh, envp);
    free(sh);
    return -1;
}

/* execvpe's PATH search (glibc posix/execvpe.c), each candidate through execve above so
 * that /usr/sbin/vzctl on PATH is the node's. */
int execvpe(const char *file, char *const argv[], char *const envp[])
{
    const char *path = getenv("PATH");
    const char *p;
    int eacces = 0;

    if (*file == '\0') {
        errno = ENOENT;
        return -1;
    }
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        if (errno == ENOEXEC)
            exec_script(file, argv, envp);
        return -1;
    }
    if (path == NULL)
        path = "/bin:/usr/bin";
    for (p = path;; p++) {
        const char *end = strchrnul(p, ':');
        char cand[BUF];
        int len = (int)(end - p);

        if (snprintf(cand, sizeof(cand), "%.*s%s%s", len, p, len ? "/" : "", file) < (int)sizeof(cand)) {
            execve(cand, argv, envp);
            if (errno == ENOEXEC) {
                exec_script(cand, argv, envp);
                return -1;
            }
            if (errno == EACCES)
                eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV &&
                     errno != ETIMEDOUT)
                return -1;
        }
        if (*end == '\0')
            break;
        p = end;
    }
    errno = eacces ? EACCES : ENOENT;
    return -1;
}

int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

/* execl, execle, execlp: the argument list as an array (at most 4096 arguments). */
#define MAX_LIST_ARGS 4096
static int collect(const char *arg0, va_list ap, char **argv, char ***envp)
{
    int n = 0;

    argv[n] = (char *)arg0;
    while (argv[n] != NULL) {
        if (++n >= MAX_LIST_ARGS) {
            errno = E2BIG;
            return -1;
        }
        argv[n] = va_arg(ap, char *);
    }
    if (envp)
        *envp = va_arg(ap, char **);
    return 0;
}

int execl(const char *path, const char *arg, ...)
{
    char *argv[MAX_LIST_ARGS];
    va_list ap;
    int r;

    va_start(ap, arg);
    r = collect(arg, ap, argv, NULL);
    va_end(ap);
    return r < 0 ? -1 : execve(path, argv, environ);
}

int execle(const char *path, const char *arg, ...)
{
    char *argv[MAX_LIST_ARGS];
    char **envp = NULL;
    va_list ap;
    int r;

    va_start(ap, arg);
    r = collect(arg, ap, argv, &envp);
    va_end(ap);
    return r < 0 ? -1 : execve(path, argv, envp);
}

int execlp(const char *file, const char *arg, ...)
{
    char *argv[MAX_LIST_ARGS];
    va_list ap;
    int r;

    va_start(ap, arg);
    r = collect(arg, ap, argv, NULL);
    va_end(ap);
    return r < 0 ? -1 : execvpe(file, argv, environ);
}

/* posix_spawn: the path mapped and, for a node tool, SIMVZ_ARGV0 added as execve does.
 * Python's os.posix_spawn and many daemons use it directly. */
int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    char b[BUF];
    const char *mapped = map(path, b);
    char **owned = NULL;
    char *const *env = envp;
    int r;
    REAL(int, posix_spawn, pid_t *, const char *, const posix_spawn_file_actions_t *,
         const posix_spawnattr_t *, char *const[], char *const[]);

    if (argv[0] != NULL && is_node_tool(mapped)) {
        char **e = env_with_argv0(envp, argv[0], &owned);
        if (e)
            env = e;
    }
    r = real_posix_spawn(pid, mapped, fa, attr, argv, env);
    if (owned) {
        size_t n = 0;

        while (owned[n])
            n++;
        free(owned[n - 1]); /* the SIMVZ_ARGV0 entry; the rest belongs to envp */
        free(owned);
    }
    return r;
}

/* posix_spawnp: glibc searches PATH with an internal exec; search it here instead, by
 * the mapped path of each candidate, and spawn the first executable one. */
int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    const char *path = getenv("PATH");
    const char *p;
    REAL(int, posix_spawnp, pid_t *, const char *, const posix_spawn_file_actions_t *,
         const posix_spawnattr_t *, char *const[], char *const[]);
    REAL(int, access, const char *, int);

    if (*file == '\0' || strchr(file, '/'))
        return posix_spawn(pid, file, fa, attr, argv, envp);
    if (path == NULL)
        path = "/bin:/usr/bin";
    for (p = path;; p++) {
        const char *end = strchrnul(p, ':');
        char cand[BUF], b[BUF];
        int len = (int)(end - p);

        if (snprintf(cand, sizeof(cand), "%.*s%s%s", len, p, len ? "/" : "", file) < (int)sizeof(cand) &&
            real_access(map(cand, b), X_OK) == 0)
            return posix_spawn(pid, cand, fa, attr, argv, envp);
        if (*end == '\0')
            break;
        p = end;
    }
    return real_posix_spawnp(pid, file, fa, attr, argv, envp);
}

/* -- more path calls ------------------------------------------------------------------ */

/* A real path under $SIMVZ_ROOT that is a node path, back in the node's terms, in place
 * (realpath, getcwd): the program must never learn where the node lives. */
static char *unmap_inplace(char *p)
{
    const char *root = getenv("SIMVZ_ROOT");
    size_t n;

    if (p == NULL || root == NULL || root[0] != '/')
        return p;
    n = strlen(root);
    if (strncmp(p, root, n) == 0 && p[n] == '/' && under_prefix(p + n))
        memmove(p, p + n, strlen(p + n) + 1);
    return p;
}

char *realpath(const char *path, char *resolved)
{
    char b[BUF];
    REAL(char *, realpath, const char *, char *);
    return unmap_inplace(real_realpath(map(path, b), resolved));
}

char *canonicalize_file_name(const char *path)
{
    char b[BUF];
    REAL(char *, canonicalize_file_name, const char *);
    return unmap_inplace(real_canonicalize_file_name(map(path, b)));
}

char *getcwd(char *buf, size_t size)
{
    REAL(char *, getcwd, char *, size_t);
    return unmap_inplace(real_getcwd(buf, size));
}

PATH_ONLY(chdir)

#define SCANDIR_LIKE(name, ent)                                                       \
    int name(const char *path, struct ent ***list, int (*sel)(const struct ent *),   \
             int (*cmp)(const struct ent **, const struct ent **))                    \
    {                                                                                 \
        char b[BUF];                                                                  \
        REAL(int, name, const char *, struct ent ***, int (*)(const struct ent *),    \
             int (*)(const struct ent **, const struct ent **));                      \
        return real_##name(map(path, b), list, sel, cmp);                             \
    }
SCANDIR_LIKE(scandir, dirent)
SCANDIR_LIKE(scandir64, dirent64)

ssize_t readlinkat(int dirfd, const char *path, char *out, size_t size)
{
    char b[BUF];
    REAL(ssize_t, readlinkat, int, const char *, char *, size_t);
    return real_readlinkat(dirfd, map(path, b), out, size);
}

int linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
    char b1[BUF], b2[BUF];
    REAL(int, linkat, int, const char *, int, const char *, int);
    return real_linkat(fd1, map(from, b1), fd2, map(to, b2), flags);
}

int symlinkat(const char *target, int dirfd, const char *path)
{
    char b[BUF];
    REAL(int, symlinkat, const char *, int, const char *);
    return real_symlinkat(target, dirfd, map(path, b));
}

int mkfifo(const char *path, mode_t mode)
{
    char b[BUF];
    REAL(int, mkfifo, const char *, mode_t);
    return real_mkfifo(map(path, b), mode);
}

int utime(const char *path, const struct utimbuf *times)
{
    char b[BUF];
    REAL(int, utime, const char *, const struct utimbuf *);
    return real_utime(map(path, b), times);
}

#define UTIMES_LIKE(name)                                             \
    int name(const char *path, const struct timeval tv[2])            \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, const char *, const struct timeval *);        \
        return real_##name(map(path, b), tv);                         \
    }
UTIMES_LIKE(utimes)
UTIMES_LIKE(lutimes)

#define STATFS_LIKE(name, type)                                       \
    int name(const char *path, struct type *st)                       \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, const char *, struct type *);                 \
        return real_##name(map(path, b), st);                         \
    }
STATFS_LIKE(statfs, statfs)
STATFS_LIKE(statfs64, statfs64)
STATFS_LIKE(statvfs, statvfs)
STATFS_LIKE(statvfs64, statvfs64)

/* Extended attributes: ls -l asks for ACLs and SELinux labels on every name it lists. */
#define GETXATTR_LIKE(name)                                                    \
    ssize_t name(const char *path, const char *attr, void *value, size_t size) \
    {                                                                          \
        char b[BUF];                                                           \
        REAL(ssize_t, name, const char *, const char *, void *, size_t);       \
        return real_##name(map(path, b), attr, value, size);                   \
    }
GETXATTR_LIKE(getxattr)
GETXATTR_LIKE(lgetxattr)

#define LISTXATTR_LIKE(name)                                          \
    ssize_t name(const char *path, char *list, size_t size)           \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(ssize_t, name, const char *, char *, size_t);            \
        return real_##name(map(path, b), list, size);                 \
    }
LISTXATTR_LIKE(listxattr)
LISTXATTR_LIKE(llistxattr)

#define SETXATTR_LIKE(name)                                                                 \
    int name(const char *path, const char *attr, const void *value, size_t size, int flags) \
    {                                                                                       \
        char b[BUF];                                                                        \
        REAL(int, name, const char *, const char *, const void *, size_t, int);             \
        return real_##name(map(path, b), attr, value, size, flags);                         \
    }
SETXATTR_LIKE(setxattr)
SETXATTR_LIKE(lsetxattr)

#define REMOVEXATTR_LIKE(name)                                        \
    int name(const char *path, const char *attr)                      \
    {                                                                 \
        char b[BUF];                                                  \
        REAL(int, name, const char *, const char *);                  \
        return real_##name(map(path, b), attr);                       \
    }
REMOVEXATTR_LIKE(removexattr)
REMOVEXATTR_LIKE(lremovexattr)
