/* child.c - run this test executable as a child and capture its output, so
 * tests can check aborts and sanitizer reports without dying themselves. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testing.h"

extern char **environ;

static char *slurp(FILE *f) {
    rewind(f);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (size_t n; buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
        }
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* Before a child starts: out cleared, two files for its stdout and
 * stderr, nothing of ours left in a buffer to be written twice. */
static void start(rl_child *out, FILE **fo, FILE **fe) {
    memset(out, 0, sizeof *out);
    *fo = tmpfile();
    *fe = tmpfile();
    if (!*fo || !*fe)
        fail_msg("tmpfile: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
}

/* Wait for pid and fill out from its status and the two files. */
static void reap(pid_t pid, FILE *fo, FILE *fe, rl_child *out) {
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    out->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    out->out = slurp(fo);
    out->err = slurp(fe);
    fclose(fo);
    fclose(fe);
}

void rl_test_child(const char *name, rl_child *out) {
    FILE *fo, *fe;
    start(out, &fo, &fe);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fileno(fo), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fileno(fe), STDERR_FILENO);
    char *argv[] = {"child", "--child", (char *)name, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fail_msg("posix_spawn: %s", strerror(rc));
    reap(pid, fo, fe, out);
}

void rl_test_fork(int (*fn)(void *arg), void *arg, rl_child *out) {
    FILE *fo, *fe;
    start(out, &fo, &fe);
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        if (dup2(fileno(fo), STDOUT_FILENO) < 0 || dup2(fileno(fe), STDERR_FILENO) < 0)
            _exit(125);
        int rc = fn(arg);
        fflush(NULL);
        _exit(rc);
    }
    reap(pid, fo, fe, out);
}

void rl_test_expect_fatal(const char *name, const char *message) {
    rl_child c;
    rl_test_child(name, &c);
    assert_int_equal(c.signal, SIGABRT);
    assert_contains(c.err, "racelab: fatal: ");
    assert_contains(c.err, message);
    rl_child_free(&c);
}

void rl_child_free(rl_child *c) {
    free(c->out);
    free(c->err);
}

void rl_test_dispatch_child(int argc, char **argv, const rl_child_case *cases, size_t n) {
    if (argc < 3 || strcmp(argv[1], "--child") != 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[2], cases[i].name) == 0)
            exit(cases[i].fn());
    fprintf(stderr, "no child called '%s'\n", argv[2]);
    exit(127);
}
