/* pgbench.c - the reference of the database benchmark (see bench_impl.h). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_impl.h"
#include "racelab/bench.h"

extern char **environ;

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

rl_err rl__pgbench(const char *program, const char *conninfo, unsigned clients,
                   uint64_t duration_ns, size_t accounts, double *tps, uint64_t *elapsed_ns,
                   char *why, size_t why_len) {
    char script[] = "/tmp/racelab-pgbench-XXXXXX", output[] = "/tmp/racelab-pgbench-out-XXXXXX";
    int sfd = mkstemp(script);
    if (sfd < 0) {
        WHY("cannot make pgbench's script file: %s", strerror(errno));
        return RL_ESYS;
    }
    int ofd = mkstemp(output);
    if (ofd < 0) {
        WHY("cannot make pgbench's output file: %s", strerror(errno));
        close(sfd);
        unlink(script);
        return RL_ESYS;
    }
    FILE *f = fdopen(sfd, "w");
    fprintf(f,
            "\\set aid random(0, %zu)\n"
            "\\set delta random(-1000, 1000)\n"
            "UPDATE racelab_accounts SET balance = balance + :delta, version = version + 1 "
            "WHERE id = :aid RETURNING balance, version;\n",
            accounts - 1);
    fclose(f);
    char c[16], secs[32];
    snprintf(c, sizeof c, "%u", clients);
    /* pgbench counts whole seconds */
    unsigned long s = (unsigned long)((duration_ns + 999999999u) / 1000000000u);
    snprintf(secs, sizeof secs, "%lu", s ? s : 1);
    char *argv[] = {(char *)program, "-n", "-M", "prepared", "-c", c, "-j", c, "-T", secs,
                    "-f", script, (char *)conninfo, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, ofd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, ofd, STDERR_FILENO);
    pid_t pid;
    uint64_t t0 = now_ns();
    int rc = posix_spawnp(&pid, program, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    rl_err e = RL_OK;
    int status = 0;
    if (rc != 0) {
        WHY("cannot run %s: %s", program, strerror(rc));
        e = RL_ESYS;
    } else {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        *elapsed_ns = now_ns() - t0;
    }
    char text[8192] = "";
    if (e == RL_OK) {
        ssize_t n = pread(ofd, text, sizeof text - 1, 0);
        text[n > 0 ? n : 0] = '\0';
        const char *at = strstr(text, "tps = ");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !at) {
            /* its first error line, else its last line (the first is its
             * version banner) */
            char *line = strstr(text, "error");
            if (line)
                while (line > text && line[-1] != '\n')
                    line--;
            else
                for (char *p = text; *p; p++)
                    if (*p != '\n' && (p == text || p[-1] == '\n'))
                        line = p;
            char *nl = line ? strchr(line, '\n') : NULL;
            if (nl)
                *nl = '\0';
            WHY("pgbench failed (%s %d): %s", WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                line && *line ? line : "no output");
            e = RL_ESYS;
        } else {
            *tps = strtod(at + strlen("tps = "), NULL);
            /* pgbench's own duration: its transactions over its tps */
            const char *done = strstr(text, "number of transactions actually processed: ");
            if (done && *tps > 0) {
                double tx = strtod(done + strlen("number of transactions actually processed: "),
                                   NULL);
                *elapsed_ns = (uint64_t)(tx / *tps * 1e9);
            }
        }
    }
    close(ofd);
    unlink(script);
    unlink(output);
    return e;
}

rl_err rl_bench_pgbench(const char *program, const char *conninfo, unsigned clients,
                        uint64_t duration_ns, size_t accounts, double *tps, char *why,
                        size_t why_len) {
    if (!program || !conninfo || !clients || !accounts || !tps)
        return RL_EINVAL;
    uint64_t elapsed;
    return rl__pgbench(program, conninfo, clients, duration_ns, accounts, tps, &elapsed, why,
                       why_len);
}
