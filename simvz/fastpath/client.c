/*
 * simvz's node tool client: DIR/usr/sbin/{vzctl,vzlist,vzmigrate,ip,brctl}.
 *
 * It hands its argv, environment, umask, working directory and fds 0/1/2 (SCM_RIGHTS)
 * to the resident tool server of the simvz package the node was made with
 * (simvz/fastpath/server.py, docs/fastpath.md), then exits as the command did, or dies
 * of the signal it died of. When there is no server, a server of other code, or any
 * step fails before the server says it runs the command (a server whose package
 * changed says nothing), it execs the Python entry
 * (DIR/.simvz/tools/fallback), which runs the command as the tools always did: nothing
 * fails for lack of a server.
 *
 * Killing this process kills the command: the server's child gets SIGIO when this end
 * of the socket hangs up, and SIGIO's default action terminates it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAGIC 0x315a5653u /* "SVZ1" */
#define EXIT_NOT_A_HOST 2

extern char **environ;

static char root[PATH_MAX];
static const char *tool;

/* ---- fallback ------------------------------------------------------------------- */

static void put(const char *s)
{
    ssize_t n, len = (ssize_t)strlen(s);
    while (len > 0 && (n = write(2, s, (size_t)len)) > 0) {
        s += n;
        len -= n;
    }
}

static void die(const char *what, const char *detail)
{
    put("simvz: ");
    put(what);
    put(detail);
    put("\n");
    _exit(EXIT_NOT_A_HOST);
}

/* exec DIR/.simvz/tools/fallback TOOL EXECFN ARGS...: the Python entry */
static void fallback(int argc, char **argv, const char *execfn)
{
    static char path[PATH_MAX];
    char **args = calloc((size_t)argc + 3, sizeof(char *));
    int i;

    if (snprintf(path, sizeof path, "%s/.simvz/tools/fallback", root) >= (int)sizeof path || !args)
        die("path too long: ", root);
    args[0] = path;
    args[1] = (char *)tool;
    args[2] = (char *)execfn;
    for (i = 1; i < argc; i++)
        args[i + 2] = argv[i];
    execve(path, args, environ);
    if (errno == ENOENT) { /* what the Python entry says of a directory simvz init never made */
        put("simvz: ");
        put(root);
        put(" is not a simulated host (run `simvz init ");
        put(root);
        put("`)\n");
        _exit(EXIT_NOT_A_HOST);
    }
    die("cannot run the tool's Python entry ", path);
}

/* ---- the node and its package ------------------------------------------------------ */

/* DIR and TOOL from /proc/self/exe = DIR/usr/sbin/TOOL */
static int find_self(void)
{
    static char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;
    int i;

    if (n <= 0)
        return -1;
    exe[n] = 0;
    slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    tool = slash + 1;
    *slash = 0;
    strcpy(root, exe);
    for (i = 0; i < 2; i++) {
        slash = strrchr(root, '/');
        if (!slash)
            return -1;
        *slash = 0;
    }
    return 0;
}

/* DIR/.simvz/tools.conf: package=<simvz package dir>, sockdir=<server socket dir> */
static int read_conf(char *package, char *sockdir)
{
    char path[PATH_MAX], buf[2 * PATH_MAX + 64], *line, *save = NULL;
    ssize_t n;
    int fd;

    if (snprintf(path, sizeof path, "%s/.simvz/tools.conf", root) >= (int)sizeof path)
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    package[0] = sockdir[0] = 0;
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "package=", 8) == 0 && strlen(line + 8) < PATH_MAX)
            strcpy(package, line + 8);
        else if (strncmp(line, "sockdir=", 8) == 0 && strlen(line + 8) < PATH_MAX)
            strcpy(sockdir, line + 8);
    }
    return package[0] && sockdir[0] ? 0 : -1;
}

/* ---- the server's socket (simvz/fastpath/server.py:socket_name) ------------------- */

/* FNV-1a of the package's path: a server's socket is named by the package it runs. The
 * server itself makes sure it runs the package as it is on disk (it watches the
 * package's files, and refuses calls once one changed): no walk of the package here. */
static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- the server ----------------------------------------------------------------- */

static int connect_server(const char *sockdir, uint64_t id)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;
    int dir, s, rc;

    dir = open(sockdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    /* only a directory of our own user that nobody else can write: no one else's server */
    if (fstat(dir, &st) != 0 || st.st_uid != getuid() || (st.st_mode & 022)) {
        close(dir);
        return -1;
    }
    /* through /proc/self/fd, since a node's path can exceed sun_path's 108 bytes */
    snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/tools-%016llx.sock", dir,
             (unsigned long long)id);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    rc = s < 0 ? -1 : connect(s, (struct sockaddr *)&addr, sizeof addr);
    close(dir);
    if (rc != 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    return s;
}

struct buf {
    char *p;
    size_t len, cap;
};

static int add(struct buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = (b->cap + n) * 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

static int add_u32(struct buf *b, uint32_t v)
{
    return add(b, &v, sizeof v);
}

static int add_str(struct buf *b, const char *s)
{
    return add(b, s, strlen(s) + 1);
}

static int send_all(int s, const char *p, size_t n)
{
    ssize_t w;
    while (n > 0) {
        w = send(s, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* header (magic, length) with the fds attached, then the payload */
static int send_request(int s, int argc, char **argv, const char *execfn, int cwd)
{
    struct buf b = {0};
    int fds[4], nfd = 0, i, envc = 0;
    uint32_t mask = 0, head[2];
    mode_t mask_now = umask(0);
    char control[CMSG_SPACE(sizeof fds)];
    struct iovec iov = {head, sizeof head};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control};
    struct cmsghdr *c;

    umask(mask_now);
    fds[nfd++] = cwd;
    for (i = 0; i < 3; i++)
        if (fcntl(i, F_GETFD) != -1) {
            fds[nfd++] = i;
            mask |= 1u << i;
        }
    while (environ && environ[envc])
        envc++;
    if (add_u32(&b, mask) || add_u32(&b, (uint32_t)mask_now) || add_u32(&b, (uint32_t)(argc - 1)) ||
        add_u32(&b, (uint32_t)envc) || add_str(&b, tool) || add_str(&b, execfn))
        return -1;
    for (i = 1; i < argc; i++)
        if (add_str(&b, argv[i]))
            return -1;
    for (i = 0; i < envc; i++)
        if (add_str(&b, environ[i]))
            return -1;
    head[0] = MAGIC;
    head[1] = (uint32_t)b.len;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfd);
    memset(control, 0, sizeof control);
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfd);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfd);
    while (sendmsg(s, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof head)
        if (errno != EINTR)
            return -1;
    i = send_all(s, b.p, b.len);
    free(b.p);
    return i;
}

static ssize_t read_full(int s, void *p, size_t n)
{
    size_t got = 0;
    ssize_t r;
    while (got < n) {
        r = read(s, (char *)p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static void die_of(int sig)
{
    sigset_t set;
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

int main(int argc, char **argv)
{
    char package[PATH_MAX], sockdir[PATH_MAX], kind;
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    int32_t value;
    int s, cwd;

    if (!execfn)
        execfn = argv[0];
    if (find_self() != 0)
        die("cannot find the host from ", "/proc/self/exe: the tool must live in DIR/usr/sbin");
    if (read_conf(package, sockdir) != 0)
        fallback(argc, argv, execfn);
    s = connect_server(sockdir, fnv(package, strlen(package)));
    if (s < 0)
        fallback(argc, argv, execfn);
    cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0 || send_request(s, argc, argv, execfn, cwd) != 0 || read_full(s, &kind, 1) != 1 || kind != 'R') {
        /* the server ran nothing: the Python entry runs the command instead */
        close(s);
        if (cwd >= 0)
            close(cwd);
        fallback(argc, argv, execfn);
    }
    close(cwd);
    if (read_full(s, &kind, 1) != 1 || read_full(s, &value, sizeof value) != (ssize_t)sizeof value)
        die_of(SIGKILL); /* the command died without a word: killed from outside */
    if (kind == 'S')
        die_of(value);
    return value & 0xff;
}
