/* bench_memory.c - racelab bench explore --memory: what it costs to see
 * every memory access of a program: checked for data races (the default,
 * where plain accesses are no steps), and made a scheduling point as well
 * (--every-access, and races ignored).
 *
 * One small program (two threads, each reading a 1,000-int array again and
 * again) is written to a temporary directory and built twice: by the
 * system's compiler as it is, and by racelab cc. Each build is explored in
 * rounds (a bounded search, 1 preemption, stopped at 50 schedules), the
 * builds in turn, for about the time given each; racelab cc's build with
 * data races looked for (the default), with every access a step too, and
 * with races ignored. Each build's rate is
 * its median round's: a spell of load on a shared machine shifts a few
 * rounds, not the figure. The cost of a scheduled access is the
 * difference in time per schedule between the two builds over the
 * difference in steps. Natively, the two builds run many more accesses,
 * timed (median of 5 runs): the
 * cost of racelab cc's build where nothing is explored. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "racelab/explore.h"
#include "racelab/platform.h"
#include "../util/order.h"


#define ARRAY 1000
#define PASSES_EXPLORED 50    /* 100,000 loads a schedule */
#define PASSES_NATIVE 5000    /* 10,000,000 loads a run */
#define NATIVE_RUNS 5
#define GOAL_PER_SECOND 200.0 /* issue 22: at 100,000 accesses a schedule */

static const char SOURCE[] =
    "/* written by racelab bench explore --memory */\n"
    "#include <pthread.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "static int data[1000];\n"
    "static long sums[2];\n"
    "static int passes;\n"
    "static void *scan(void *arg) {\n"
    "    long me = (long)arg, s = 0;\n"
    "    for (int p = 0; p < passes; p++)\n"
    "        for (int i = 0; i < 1000; i++)\n"
    "            s += data[i];\n"
    "    sums[me] = s;\n"
    "    return NULL;\n"
    "}\n"
    "int main(int argc, char **argv) {\n"
    "    passes = argc > 1 ? atoi(argv[1]) : 1;\n"
    "    for (int i = 0; i < 1000; i++)\n"
    "        data[i] = i;\n"
    "    pthread_t t;\n"
    "    pthread_create(&t, NULL, scan, (void *)1L);\n"
    "    scan(0);\n"
    "    pthread_join(t, NULL);\n"
    "    printf(\"%ld\\n\", sums[0] + sums[1]);\n"
    "    return 0;\n"
    "}\n";

/* The median time of NATIVE_RUNS runs of prog (PASSES_NATIVE passes). */
static uint64_t native_ns(const char *prog) {
    char passes[16];
    snprintf(passes, sizeof passes, "%d", PASSES_NATIVE);
    char *argv[] = {(char *)prog, passes, NULL};
    uint64_t t[NATIVE_RUNS];
    for (int i = 0; i < NATIVE_RUNS; i++) {
        uint64_t t0 = rl_now_ns();
        if (rl_cli_run(argv, true) != 0)
            return 0;
        t[i] = rl_now_ns() - t0;
    }
    qsort(t, NATIVE_RUNS, sizeof *t, rl__cmp_u64);
    return t[NATIVE_RUNS / 2];
}

#define ROUND_SCHEDULES 50 /* a bounded search (1 preemption) stopped there: a round */
#define MIN_ROUNDS 3
#define MAX_ROUNDS 200

/* One build explored: a round at a time, in turn with the others, so that
 * a spell of load on the machine falls on all of them alike. */
typedef struct {
    rl_target t;
    bool ready;
    uint64_t schedules, steps;
    unsigned rounds;
    double ns_per_schedule[MAX_ROUNDS]; /* each round's */
    double per_second, median_ns; /* the median round's */
} explored;

static bool prepare(const char *prog, bool races_ignored, bool every_access, explored *x) {
    char passes[16];
    snprintf(passes, sizeof passes, "%d", PASSES_EXPLORED);
    char *argv[] = {(char *)prog, passes, NULL};
    rl_program_opts po = {.races_ignored = races_ignored, .every_access = every_access,
                          .max_steps = 1000000};
    char why[512] = "";
    *x = (explored){0};
    rl_err e = rl_program_target(argv, &po, &x->t, why, sizeof why);
    if (e != RL_OK) {
        fprintf(stderr, "racelab bench explore: %s: %s\n", rl_strerror(e), why);
        return false;
    }
    x->ready = true;
    return true;
}

/* One round of x: a bounded search (1 preemption) stopped at
 * ROUND_SCHEDULES schedules (a whole search has one schedule per step of
 * the first); its time. */
static bool round_of(explored *x, uint64_t *elapsed_ns) {
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = 1;
    o.max_schedules = ROUND_SCHEDULES;
    o.keep_going = true;
    o.minimize = false;
    o.max_steps = 1000000;
    rl_explore_result r;
    char why[512] = "";
    rl_err e = rl_explore(&x->t, &o, &r, why, sizeof why);
    if (e == RL_OK && r.failed) {
        snprintf(why, sizeof why, "the benchmark's program failed: %.400s", r.first.message);
        e = RL_EINVAL;
    }
    if (e == RL_OK && r.schedules) {
        x->ns_per_schedule[x->rounds++] = (double)r.elapsed_ns / (double)r.schedules;
        x->schedules += r.schedules;
        x->steps = r.longest;
        *elapsed_ns += r.elapsed_ns;
    }
    if (e == RL_OK)
        rl_explore_result_free(&r);
    else
        fprintf(stderr, "racelab bench explore: %s: %s\n", rl_strerror(e), why);
    return e == RL_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Rounds of every build in turn, until each has had about duration_ns
 * (at least MIN_ROUNDS rounds each); then each one's median round. */
static bool explore_all(explored *x, size_t n, uint64_t duration_ns) {
    uint64_t spent = 0;
    while (x[0].rounds < MAX_ROUNDS && (x[0].rounds < MIN_ROUNDS || spent < n * duration_ns))
        for (size_t i = 0; i < n; i++)
            if (!round_of(&x[i], &spent))
                return false;
    for (size_t i = 0; i < n; i++) {
        qsort(x[i].ns_per_schedule, x[i].rounds, sizeof(double), cmp_double);
        x[i].median_ns = x[i].ns_per_schedule[x[i].rounds / 2];
        x[i].per_second = 1e9 / x[i].median_ns;
    }
    return true;
}

/* Build the program both ways into dir. */
static bool build(const char *dir, char *plain, char *instr, size_t len) {
    char src[PATH_MAX], self[PATH_MAX];
    snprintf(src, sizeof src, "%s/scan.c", dir);
    FILE *f = fopen(src, "w");
    if (!f || fputs(SOURCE, f) == EOF || fclose(f) != 0) {
        fprintf(stderr, "racelab bench explore: cannot write %s: %s\n", src, strerror(errno));
        return false;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "racelab bench explore: cannot find this program (/proc/self/exe)\n");
        return false;
    }
    self[n] = '\0';
    snprintf(plain, len, "%s/scan_cc", dir);
    snprintf(instr, len, "%s/scan_racelab_cc", dir);
    const char *cc = rl_cli_compiler(false);
    char *plain_argv[] = {(char *)cc, "-O1", "-g", "-pthread", "-o", plain, src, NULL};
    char *instr_argv[] = {self, "cc", "-O1", "-g", "-pthread", "-o", instr, src, NULL};
    if (rl_cli_run(plain_argv, false) != 0 || rl_cli_run(instr_argv, false) != 0) {
        fprintf(stderr, "racelab bench explore: could not build the benchmark's program with "
                        "%s and racelab cc\n",
                cc);
        return false;
    }
    return true;
}

static void remove_dir(const char *dir) {
    const char *files[] = {"scan.c", "scan_cc", "scan_racelab_cc"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

int rl_cli_bench_memory(bool csv, uint64_t duration_ns) {
    char dir[] = "/tmp/racelab-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "racelab bench explore: cannot make a directory in /tmp: %s\n",
                strerror(errno));
        return EXIT_ERROR;
    }
    char plain[PATH_MAX], instr[PATH_MAX];
    explored x[4]; /* races looked for; every access a step; races ignored; cc's build */
    memset(x, 0, sizeof x);
    uint64_t native_plain = 0, native_instr = 0;
    bool ok = build(dir, plain, instr, sizeof plain) && prepare(instr, false, false, &x[0]) &&
              prepare(instr, false, true, &x[1]) && prepare(instr, true, false, &x[2]) &&
              prepare(plain, false, false, &x[3]) && explore_all(x, 4, duration_ns) &&
              (native_plain = native_ns(plain)) && (native_instr = native_ns(instr));
    for (size_t i = 0; i < 4; i++)
        if (x[i].ready)
            rl_target_free(&x[i].t);
    remove_dir(dir);
    if (!ok)
        return EXIT_ERROR;
    const explored *seen = &x[0], *every = &x[1], *ignored = &x[2], *unseen = &x[3];
    double accesses = (double)(every->steps - unseen->steps);
    double per_checked = (seen->median_ns - unseen->median_ns) / accesses;
    double per_access = (every->median_ns - unseen->median_ns) / accesses;
    double per_access_ignored = (ignored->median_ns - unseen->median_ns) / accesses;
    double native_loads = 2.0 * PASSES_NATIVE * ARRAY;
    double native_per_access = ((double)native_instr - (double)native_plain) / native_loads;
    if (csv) {
        printf("measure,value,unit\n");
        printf("memory_schedules_per_second,%.0f,1/s\n", seen->per_second);
        printf("memory_every_access_schedules_per_second,%.0f,1/s\n", every->per_second);
        printf("memory_races_ignored_schedules_per_second,%.0f,1/s\n", ignored->per_second);
        printf("memory_unseen_schedules_per_second,%.0f,1/s\n", unseen->per_second);
        printf("memory_accesses_per_schedule,%.0f,1\n", accesses);
        printf("memory_steps_per_schedule,%" PRIu64 ",1\n", seen->steps);
        printf("memory_every_access_steps_per_schedule,%" PRIu64 ",1\n", every->steps);
        printf("memory_unseen_steps_per_schedule,%" PRIu64 ",1\n", unseen->steps);
        printf("memory_checked_access,%.1f,ns\n", per_checked);
        printf("memory_scheduled_access,%.1f,ns\n", per_access);
        printf("memory_scheduled_access_races_ignored,%.1f,ns\n", per_access_ignored);
        printf("memory_native_access,%.2f,ns\n", native_per_access);
        return EXIT_HELD;
    }
    printf("memory accesses seen: two threads each read a %d-int array %d times (%.0f loads), "
           "built by\nracelab cc and by cc; rounds of %d schedules (a bounded search, 1 "
           "preemption), the\nbuilds in turn, %u rounds each; the median round's rate\n",
           ARRAY, PASSES_EXPLORED, accesses, ROUND_SCHEDULES, seen->rounds);
    printf("  racelab cc's build, races looked for: %8.0f schedules/s (%" PRIu64
           " steps a schedule: loads checked, not steps; best round %.0f)\n",
           seen->per_second, seen->steps, 1e9 / seen->ns_per_schedule[0]);
    printf("  racelab cc's build, --every-access:   %8.0f schedules/s (%" PRIu64
           " steps a schedule)\n",
           every->per_second, every->steps);
    printf("  racelab cc's build, --races ignore:   %8.0f schedules/s\n", ignored->per_second);
    printf("  cc's build (memory not seen):         %8.0f schedules/s (%" PRIu64
           " steps a schedule)\n",
           unseen->per_second, unseen->steps);
    if (per_checked > 0 && per_access > 0 && per_access_ignored > 0)
        printf("  an access: %.1f ns checked; %.0f ns a step (%.0f ns with races ignored); the "
               "difference per\n  schedule from cc's build over %.0f accesses\n",
               per_checked, per_access, per_access_ignored, accesses);
    else /* a loaded machine: the short schedules took longer than the long ones */
        printf("  an access: not measurable here (%.1f ns checked, %.0f ns a step, %.0f ns "
               "with races ignored:\n  the machine's load is larger than the difference; "
               "more --seconds)\n",
               per_checked, per_access, per_access_ignored);
    printf("  natively: %.2f ns an access more than cc's build (%.0f loads a run, median of "
           "%d runs)\n",
           native_per_access, native_loads, NATIVE_RUNS);
    printf("  goal (%.0f schedules/s at %.0f accesses a schedule): %s; with every access a "
           "step: %s\n",
           GOAL_PER_SECOND, accesses, seen->per_second >= GOAL_PER_SECOND ? "met" : "not met",
           every->per_second >= GOAL_PER_SECOND ? "met" : "not met");
    return EXIT_HELD;
}
