/* A program that reaches node tools and node paths through one libc entry point each,
 * named by argv[1]: the shim tests run it under `simvz run` (tests/harness/test_shim_reach.py). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

extern char **environ;

static char *const tool[] = {"vzlist", "-H", "-o", "ctid", NULL};
#define TOOL "/usr/sbin/vzlist"
#define CONF "/etc/vz/vz.conf"
#define SCRATCH "/etc/vz/conf/shim-probe"

static int wait_for(pid_t pid)
{
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static int run_exec(const char *how)
{
    /* PATH without the node's tool directory: a bare name must be found through the
     * mapped /usr/sbin, as on a real host. */
    setenv("PATH", "/usr/sbin:/usr/bin:/bin", 1);
    if (!strcmp(how, "execve")) execve(TOOL, tool, environ);
    else if (!strcmp(how, "execv")) execv(TOOL, tool);
    else if (!strcmp(how, "execvp")) execvp("vzlist", tool);
    else if (!strcmp(how, "execvpe")) execvpe("vzlist", tool, environ);
    else if (!strcmp(how, "execl")) execl(TOOL, "vzlist", "-H", "-o", "ctid", (char *)NULL);
    else if (!strcmp(how, "execle")) execle(TOOL, "vzlist", "-H", "-o", "ctid", (char *)NULL, environ);
    else if (!strcmp(how, "execlp")) execlp("vzlist", "vzlist", "-H", "-o", "ctid", (char *)NULL);
    else if (!strcmp(how, "execveat")) execveat(AT_FDCWD, TOOL, tool, environ, 0);
    else if (!strcmp(how, "posix_spawn") || !strcmp(how, "posix_spawnp")) {
        pid_t pid;
        int r = how[11] == 'p' ? posix_spawnp(&pid, "vzlist", NULL, NULL, tool, environ)
                               : posix_spawn(&pid, TOOL, NULL, NULL, tool, environ);
        return r ? 98 : wait_for(pid);
    } else if (!strcmp(how, "system")) {
        return WEXITSTATUS(system(TOOL " -H -o ctid"));
    } else if (!strcmp(how, "popen")) {
        char line[256];
        FILE *f = popen(TOOL " -H -o ctid", "r");
        while (f && fgets(line, sizeof(line), f))
            fputs(line, stdout);
        return f ? WEXITSTATUS(pclose(f)) : 97;
    } else
        return 2;
    perror(how);
    return 127;
}

static int check(int ok, const char *what)
{
    printf("%s %s\n", what, ok ? "ok" : strerror(errno));
    return ok ? 0 : 1;
}

static int run_path(const char *how)
{
    struct stat st;
    struct statx stx;
    struct statvfs sv;
    char buf[4096];

    if (!strcmp(how, "stat")) return check(stat(CONF, &st) == 0, how);
    if (!strcmp(how, "lstat")) return check(lstat(CONF, &st) == 0, how);
    if (!strcmp(how, "fstatat")) return check(fstatat(AT_FDCWD, CONF, &st, 0) == 0, how);
    if (!strcmp(how, "statx")) return check(statx(AT_FDCWD, CONF, 0, STATX_SIZE, &stx) == 0, how);
    if (!strcmp(how, "statvfs")) return check(statvfs("/vz", &sv) == 0, how);
    if (!strcmp(how, "access")) return check(access("/proc/user_beancounters", R_OK) == 0, how);
    if (!strcmp(how, "open")) return check(open("/proc/bc/resources", O_RDONLY) >= 0, how);
    if (!strcmp(how, "fopen")) return check(fopen("/proc/vz/vestat", "r") != NULL, how);
    if (!strcmp(how, "opendir")) return check(opendir("/proc/bc") != NULL, how);
    if (!strcmp(how, "scandir")) {
        struct dirent **list;
        return check(scandir("/etc/vz/conf", &list, NULL, alphasort) > 0, how);
    }
    if (!strcmp(how, "readlink"))
        return check(symlink("/etc/vz/conf/0.conf", "/etc/vz/names/shim-probe") == 0 &&
                     readlink("/etc/vz/names/shim-probe", buf, sizeof(buf)) > 0 &&
                     unlink("/etc/vz/names/shim-probe") == 0, how);
    if (!strcmp(how, "realpath")) {
        char *r = realpath("/vz/private/../root", NULL);
        printf("%s\n", r ? r : "(null)");
        return check(r != NULL && !strcmp(r, "/vz/root"), how);
    }
    if (!strcmp(how, "getxattr")) return check(getxattr(CONF, "user.x", buf, 1) < 0 && errno != ENOENT, how);
    if (!strcmp(how, "lgetxattr")) return check(lgetxattr(CONF, "user.x", buf, 1) < 0 && errno != ENOENT, how);
    if (!strcmp(how, "listxattr")) return check(listxattr(CONF, buf, sizeof(buf)) >= 0, how);
    if (!strcmp(how, "llistxattr")) return check(llistxattr(CONF, buf, sizeof(buf)) >= 0, how);
    if (!strcmp(how, "chdir")) {
        int ok = chdir("/etc/vz/conf") == 0 && getcwd(buf, sizeof(buf)) && access("0.conf", R_OK) == 0;
        printf("%s\n", buf);
        return check(ok && !strcmp(buf, "/etc/vz/conf"), how);
    }
    if (!strcmp(how, "mkdir")) return check(mkdir(SCRATCH, 0755) == 0 && rmdir(SCRATCH) == 0, how);
    if (!strcmp(how, "write")) {
        int fd = open(SCRATCH, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int ok = fd >= 0 && write(fd, "x\n", 2) == 2 && close(fd) == 0 &&
                 chmod(SCRATCH, 0600) == 0 && chown(SCRATCH, getuid(), getgid()) == 0 &&
                 utimensat(AT_FDCWD, SCRATCH, NULL, 0) == 0 && truncate(SCRATCH, 1) == 0 &&
                 link(SCRATCH, SCRATCH ".link") == 0 && unlink(SCRATCH ".link") == 0 &&
                 rename(SCRATCH, SCRATCH ".kept") == 0;
        return check(ok, how);
    }
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    setvbuf(stdout, NULL, _IONBF, 0);
    return strcmp(argv[1], "exec") == 0 ? run_exec(argv[2]) : run_path(argv[2]);
}
