/* cmd_bank.c - `racelab bank init|show|check` and `racelab merchant`:
 * billing cycles across processes, on one bank in a database (see
 * racelab/cycle.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "racelab/cycle.h"
#include "racelab/dbbank.h"
#include "../util/words.h"

static void print_bank_help(void) {
    printf("usage: racelab bank init --bank URL [--force] [--merchants N] [--customers N]\n"
           "       racelab bank show --bank URL [--merchants N] [--customers N]\n"
           "       racelab bank check --bank URL [--merchants N] [--customers N]\n"
           "\n"
           "A bank in a database that merchants bill as separate processes (racelab\n"
           "merchant), each bill applied exactly once through a ledger.\n"
           "\n"
           "  init   make racelab's tables and load the data set's accounts; refuses,\n"
           "         touching nothing, when any table named racelab_* is there (a bank, a\n"
           "         scratch bank of 'racelab bill', a table of your own), unless --force,\n"
           "         which drops every one of them\n"
           "  show   each balance against its start plus the ledger's bills, and against\n"
           "         what the finished billing cycles should have made it\n"
           "  check  the invariants; exit 1 naming each violation: a balance that is not\n"
           "         its start plus exactly the bills in the ledger (wrong balance), a\n"
           "         ledger row that is no bill of the data set (unexpected), a bill of a\n"
           "         finished cycle not in the ledger (missing), a balance that is not\n"
           "         what the finished cycles make it (wrong total), an account the data\n"
           "         set does not have (unknown account), a balance below zero (negative)\n"
           "\n"
           "  --bank URL        sqlite:PATH, postgresql://USER@HOST/DB or a libpq key=value\n"
           "                    string (merchants in separate processes need a shared bank)\n"
           "  --merchants N, --customers N\n"
           "                    the first N of the data set (default all): the same on\n"
           "                    every command for one bank\n"
           "  --generate MxC[xB] [--seed S]\n"
           "                    a generated data set instead: C customers c1, c2, ... and M\n"
           "                    merchants m1, m2, ... each billing B of them (default all),\n"
           "                    amounts from the seed\n"
           "\n"
           "Exit status: 0 done (check: no violation), 1 violations, 2 bad usage, 3 the\n"
           "bank could not be reached or read.\n");
}

static void print_merchant_help(void) {
    printf("usage: racelab merchant NAME --bank URL --cycle ID [--strategy S] [--no-ledger]\n"
           "                        [--delay D] [-v] [--json] [--meet N] [--reconnect-for D]\n"
           "                        [--die-at K] [--merchants N --customers N |\n"
           "                        --generate MxC[xB] [--seed S]]\n"
           "\n"
           "One merchant, as its own process, bills its customers for billing cycle ID on\n"
           "the bank 'racelab bank init' made, and exits 0 when the cycle is complete.\n"
           "Run several at once, from one shell or from machines that reach the server.\n"
           "Each bill goes into the ledger in the transaction that changes its balance:\n"
           "running the same merchant and cycle again (after a crash, say) applies nothing\n"
           "twice and says so.\n"
           "\n"
           "  --strategy S      how a balance is changed, each bill in a transaction:\n"
           "                    atomic (default; 'ledger' is its old name): balance + bill\n"
           "                    mutex: the row locked (FOR UPDATE) across read, slow step,\n"
           "                    write; global: the table locked; advisory: an advisory lock\n"
           "                    per customer; trylock: FOR UPDATE NOWAIT, busy customers\n"
           "                    later; cas: write if the version read is unchanged, else\n"
           "                    read again; repeatable-read, serializable: the engine\n"
           "                    aborts the loser, run again; racy: read, slow step, write\n"
           "                    the value read plus the bill (loses updates, ledger or not)\n"
           "  --no-ledger       balances only: a rerun applies every bill again (for\n"
           "                    measuring what the ledger costs, and for showing the loss)\n"
           "  --json            the summary as one JSON object (with the billing time)\n"
           "  --delay D         each bill's slow step (default 0; 10ms, 1s)\n"
           "  -v                one line per bill\n"
           "  --merchants N, --customers N, --generate MxC[xB] [--seed S]\n"
           "                    the data set, as given to 'racelab bank init'\n"
           "  --meet N          force the race: at each bill wait until N merchants are\n"
           "                    there, a barrier in the database: between reading and\n"
           "                    writing (racy, cas, repeatable-read, serializable; on\n"
           "                    PostgreSQL mutex, global and advisory too, a merchant\n"
           "                    waiting for the lock counting as there), else before the\n"
           "                    lock (trylock; SQLite), before the statement (atomic).\n"
           "                    Racy merchants then all read before any writes, and lose\n"
           "                    updates every run; the others conflict or wait, and lose\n"
           "                    nothing\n"
           "  --reconnect-for D when the server cannot be reached at the start, or the\n"
           "                    connection is lost (a server restarted), connect again for\n"
           "                    up to D (default 30s), backing off from 50ms to 1s, and\n"
           "                    send the bill again (the ledger skips it if it went\n"
           "                    through); past D, exit 3\n"
           "  --die-at K        for crash tests: SIGKILL itself in the middle of bill K\n"
           "                    (1-based), its ledger row and balance change sent, not\n"
           "                    committed (needs the ledger)\n"
           "\n"
           "Exit status: 0 the cycle is complete, 1 a bill was refused (the cycle is not\n"
           "finished), 2 bad usage, 3 the bank could not be reached or failed.\n");
}

typedef struct {
    const char *bank;
    uint64_t merchants, customers;
    bool force;
    uint64_t gen_merchants, gen_customers, gen_bills, seed; /* --generate MxC[xB] [--seed S] */
} bank_args;

/* --generate MxC[xB]: M merchants m1.. each billing B (default all C) of
 * C customers c1.. */
static bool parse_generate(const char *verb, const char *text, bank_args *a) {
    unsigned long long v[3] = {0, 0, 0};
    const char *p = text;
    int n = 0;
    for (; n < 3; n++) {
        char *end;
        if (*p < '0' || *p > '9')
            break;
        v[n] = strtoull(p, &end, 10);
        p = end;
        if (*p != 'x' && *p != 'X') {
            n++;
            break;
        }
        p++;
    }
    if (*p == '\0' && n >= 2 && v[0] >= 1 && v[0] <= 1000 && v[1] >= 1 && v[1] <= 10000000 &&
        (n == 2 || (v[2] >= 1 && v[2] <= v[1]))) {
        a->gen_merchants = v[0];
        a->gen_customers = v[1];
        a->gen_bills = n == 3 ? v[2] : v[1];
        return true;
    }
    rl_cli_usage_error(verb, "--generate takes MERCHANTSxCUSTOMERS[xBILLS] such as 8x100000x1000 "
                             "(bills per merchant at most the customers), not '%s'",
                       text);
    return false;
}

/* The data set the options name: all of it, or its first N x M. */
static rl_err dataset_of(const bank_args *a, rl_dataset **owned, const rl_dataset **d) {
    const rl_dataset *base = rl_dataset_default();
    *owned = NULL;
    *d = base;
    if (a->gen_merchants) {
        rl_err e = rl_dataset_generate_some(a->gen_merchants, a->gen_customers, a->gen_bills,
                                            a->seed, owned);
        if (e == RL_OK)
            *d = *owned;
        return e;
    }
    if (!a->merchants && !a->customers)
        return RL_OK;
    rl_err e = rl_dataset_subset(base, a->merchants ? a->merchants : base->nmerchants,
                                 a->customers ? a->customers : base->ncustomers, owned);
    if (e == RL_OK)
        *d = *owned;
    return e;
}


static void print_report(const rl_cycle_report *r, bool show_violations) {
    printf("%-10s %10s %10s %12s %14s\n", "account", "start", "balance", "by ledger",
           "by cycles");
    for (size_t i = 0; i < r->naccounts; i++) {
        const rl_cycle_account *a = &r->accounts[i];
        bool right = a->balance == a->by_ledger;
        printf("%-10s %10" PRId64 " %s%10" PRId64 "%s %12" PRId64 " %14" PRId64 "%s\n", a->name,
               a->start, right ? "" : rl_cli_red(), a->balance, right ? "" : rl_cli_reset(),
               a->by_ledger, a->by_cycles,
               a->by_cycles != a->by_ledger ? "  (the ledger and the finished cycles differ)" : "");
    }
    printf("%zu ledger row%s, %zu finished cycle%s\n", r->ledger_rows, rl__plural(r->ledger_rows),
           r->finished_cycles, rl__plural(r->finished_cycles));
    if (!show_violations)
        return;
    if (r->nviolations == 0) {
        printf("%scheck passed%s: every balance is its start plus exactly the bills in the "
               "ledger, and every finished cycle is complete\n",
               rl_cli_green(), rl_cli_reset());
        return;
    }
    printf("%s%zu violation%s%s:\n", rl_cli_red(), r->nviolations,
           rl__plural(r->nviolations), rl_cli_reset());
    for (size_t i = 0; i < r->nviolations; i++)
        printf("  %s\n", r->violations[i]);
}

/* The options both verbs share: the bank and the data set. 1 when c was
 * one of them and its value parsed, -1 when the value was bad (said), 0
 * when c is another option. */
static int bank_option(const char *verb, int c, const char *arg, bank_args *a) {
    const rl_dataset *d = rl_dataset_default();
    switch (c) {
    case 'b': return rl_cli_parse_bank(verb, arg, &a->bank) ? 1 : -1;
    case 'M':
        return rl_cli_parse_u64(verb, "--merchants", arg, 1, d->nmerchants, &a->merchants) ? 1 : -1;
    case 'C':
        return rl_cli_parse_u64(verb, "--customers", arg, 1, d->ncustomers, &a->customers) ? 1 : -1;
    case 'g': return parse_generate(verb, arg, a) ? 1 : -1;
    case 'S': return rl_cli_parse_u64(verb, "--seed", arg, 0, UINT64_MAX, &a->seed) ? 1 : -1;
    default: return 0;
    }
}

#define BANK_OPTIONS                                                                     \
    {"bank", required_argument, NULL, 'b'}, {"merchants", required_argument, NULL, 'M'}, \
        {"customers", required_argument, NULL, 'C'},                                     \
        {"generate", required_argument, NULL, 'g'}, {"seed", required_argument, NULL, 'S'}

static int parse_common(const char *verb, int argc, char **argv, bank_args *a, int *first_free) {
    static const struct option longopts[] = {BANK_OPTIONS, {"force", no_argument, NULL, 'f'}, {0}};
    opterr = 0;
    optind = 2; /* argv[0] "bank", argv[1] the sub-verb */
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        int done = bank_option(verb, c, optarg, a);
        if (done < 0)
            return EXIT_USAGE;
        if (done)
            continue;
        if (c != 'f')
            return rl_cli_usage_error(verb, "unknown or incomplete option '%s'", argv[optind - 1]);
        a->force = true;
    }
    *first_free = optind;
    if (!a->bank)
        return rl_cli_usage_error(verb, "which bank? --bank sqlite:PATH or a PostgreSQL URL");
    return EXIT_HELD;
}

int rl_cmd_bank(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv) || argc < 2) {
        if (argc < 2)
            return rl_cli_usage_error("bank", "init, show or check?");
        print_bank_help();
        return EXIT_HELD;
    }
    const char *sub = argv[1];
    bool init = !strcmp(sub, "init"), show = !strcmp(sub, "show"), check = !strcmp(sub, "check");
    if (!init && !show && !check)
        return rl_cli_usage_error("bank", "unknown sub-command '%s': init, show or check", sub);
    char verb[32];
    snprintf(verb, sizeof verb, "bank %s", sub);
    bank_args a = {0};
    int rest = argc;
    int rc = parse_common(verb, argc, argv, &a, &rest);
    if (rc != EXIT_HELD)
        return rc;
    if (rest < argc)
        return rl_cli_usage_error(verb, "unexpected argument '%s'", argv[rest]);
    if (a.force && !init)
        return rl_cli_usage_error(verb, "--force belongs to 'bank init'");
    rl_dataset *owned;
    const rl_dataset *d;
    if (dataset_of(&a, &owned, &d) != RL_OK)
        return rl_cli_usage_error(verb, "that many merchants and customers leave no bill");
    char why[512] = "", shown[512];
    rl_bank_url_redact(a.bank, shown, sizeof shown);
    rl_bank *b = NULL;
    rl_err e = init ? rl_cycle_init(a.bank, d, a.force, &b, why, sizeof why)
                    : rl_cycle_attach(a.bank, d, &b, why, sizeof why);
    if (e == RL_EEXIST) {
        rl_dataset_free(owned);
        return rl_cli_bank_exists(verb, a.bank, why, "--force");
    }
    if (e != RL_OK) {
        fprintf(stderr, "racelab %s: %s: %s\n", verb, shown, why[0] ? why : rl_strerror(e));
        rl_dataset_free(owned);
        return e == RL_EINVAL ? EXIT_USAGE : EXIT_ERROR;
    }
    if (init) {
        printf("bank %s made: %zu account%s, %zu merchant%s; bill with 'racelab merchant NAME "
               "--bank URL --cycle 1'\n",
               shown, d->ncustomers, rl__plural(d->ncustomers), d->nmerchants, rl__plural(d->nmerchants));
        rl_bank_destroy(b);
        rl_dataset_free(owned);
        return EXIT_HELD;
    }
    rl_cycle_report r;
    e = rl_cycle_check(b, d, &r);
    if (e != RL_OK) {
        fprintf(stderr, "racelab %s: %s: %s\n", verb, shown,
                *rl_bank_errmsg(b) ? rl_bank_errmsg(b) : rl_strerror(e));
        rl_bank_destroy(b);
        rl_dataset_free(owned);
        return EXIT_ERROR;
    }
    print_report(&r, check);
    rc = check && r.nviolations ? EXIT_BROKEN : EXIT_HELD;
    rl_cycle_report_free(&r);
    rl_bank_destroy(b);
    rl_dataset_free(owned);
    return rc;
}

typedef struct {
    bool verbose;
    bool progress; /* a progress line: stdout is a terminal and not -v */
    const char *merchant;
    uint64_t cycle;
    size_t nbills;
} merchant_ctx;

static void bill_line(void *ctx, size_t bill, const char *customer, rl_money amount,
                      rl_bill_outcome outcome) {
    const merchant_ctx *m = ctx;
    if (m->progress) {
        printf("\r%s cycle %" PRIu64 ": bill %zu of %zu", m->merchant, m->cycle, bill + 1,
               m->nbills);
        fflush(stdout);
        return;
    }
    if (!m->verbose)
        return;
    printf("%s cycle %" PRIu64 " bill %zu: %s %+" PRId64 " %s\n", m->merchant, m->cycle,
           bill + 1, customer, amount,
           outcome == RL_BILL_APPLIED   ? "applied"
           : outcome == RL_BILL_ALREADY ? "already applied, skipped"
                                        : "REFUSED");
    fflush(stdout);
}

static void note_line(void *ctx, const char *text) {
    const merchant_ctx *m = ctx;
    fprintf(stderr, "racelab merchant %s: %s\n", m->merchant, text);
}

typedef struct {
    bank_args bank;
    rl_cycle_opts o;
    merchant_ctx mc;
    bool json;
} merchant_args;

/* The arguments into m; -1 when they are good, else the exit status. */
static int parse_merchant(int argc, char **argv, merchant_args *m) {
    static const struct option longopts[] = {BANK_OPTIONS,
                                             {"cycle", required_argument, NULL, 'c'},
                                             {"strategy", required_argument, NULL, 's'},
                                             {"delay", required_argument, NULL, 'd'},
                                             {"die-at", required_argument, NULL, 'K'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"reconnect-for", required_argument, NULL, 'R'},
                                             {"meet", required_argument, NULL, 'm'},
                                             {"json", no_argument, NULL, 'J'},
                                             {"no-ledger", no_argument, NULL, 'L'},
                                             {0}};
    *m = (merchant_args){.o = {.strategy = RL_CYCLE_ATOMIC, .die_at = -1}};
    rl_cycle_opts *o = &m->o;
    bool cycle_given = false;
    uint64_t v;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "v", longopts, NULL)) != -1;) {
        int done = bank_option("merchant", c, optarg, &m->bank);
        if (done < 0)
            return EXIT_USAGE;
        if (done)
            continue;
        switch (c) {
        case 'c':
            if (!rl_cli_parse_u64("merchant", "--cycle", optarg, 1, INT64_MAX, &m->mc.cycle))
                return EXIT_USAGE;
            cycle_given = true;
            break;
        case 's':
            if (!rl_cycle_strategy_find(optarg, &o->strategy))
                return rl_cli_usage_error("merchant",
                                          "--strategy is atomic, mutex, global, advisory, "
                                          "trylock, cas, repeatable-read, serializable or racy, "
                                          "not '%s'",
                                          optarg);
            break;
        case 'L': o->no_ledger = true; break;
        case 'd':
            if (!rl_cli_parse_duration("merchant", "--delay", optarg, 60000000000ull,
                                       &o->delay_ns))
                return EXIT_USAGE;
            break;
        case 'K':
            if (!rl_cli_parse_u64("merchant", "--die-at", optarg, 1, 1000000, &v))
                return EXIT_USAGE;
            o->die_at = (long)v - 1;
            break;
        case 'v': m->mc.verbose = true; break;
        case 'J': m->json = true; break;
        case 'm':
            if (!rl_cli_parse_u64("merchant", "--meet", optarg, 1, 1000, &v))
                return EXIT_USAGE;
            o->meet = (size_t)v;
            break;
        case 'R':
            if (!rl_cli_parse_duration("merchant", "--reconnect-for", optarg, 3600000000000ull,
                                       &o->reconnect_ns))
                return EXIT_USAGE;
            if (o->reconnect_ns == 0)
                return rl_cli_usage_error("merchant", "--reconnect-for must be positive");
            break;
        default:
            return rl_cli_usage_error("merchant", "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return rl_cli_usage_error("merchant", "which merchant? (Costco, Target, ...)");
    if (optind + 1 < argc)
        return rl_cli_usage_error("merchant", "unexpected argument '%s'", argv[optind + 1]);
    m->mc.merchant = argv[optind];
    if (!m->bank.bank)
        return rl_cli_usage_error("merchant", "which bank? --bank sqlite:PATH or a PostgreSQL URL");
    if (!cycle_given)
        return rl_cli_usage_error("merchant", "which billing cycle? --cycle ID (1, 2, ...)");
    if (o->die_at >= 0 && o->no_ledger)
        return rl_cli_usage_error("merchant", "--die-at needs the ledger (drop --no-ledger)");
    return -1;
}

/* Attach to the bank (waiting for it within --reconnect-for) and bill the
 * merchant's cycle into *s. -1, or the exit status after saying why. */
static int bill_cycle(merchant_args *m, rl_cycle_summary *s) {
    rl_dataset *owned;
    const rl_dataset *d;
    if (dataset_of(&m->bank, &owned, &d) != RL_OK)
        return rl_cli_usage_error("merchant", "that many merchants and customers leave no bill");
    merchant_ctx *mc = &m->mc;
    rl_cycle_opts *o = &m->o;
    char why[512] = "", shown[512];
    rl_bank_url_redact(m->bank.bank, shown, sizeof shown);
    for (size_t i = 0; i < d->nmerchants; i++) {
        const rl_merchant_spec *ms = &d->merchants[i];
        if (!strcmp(ms->name, mc->merchant) && o->die_at >= 0 && (size_t)o->die_at >= ms->nbills) {
            rl_cli_usage_error("merchant", "--die-at %ld: merchant %s has %zu bill%s (1 to %zu), "
                                           "so it would never die",
                               o->die_at + 1, ms->name, ms->nbills, rl__plural(ms->nbills),
                               ms->nbills);
            rl_dataset_free(owned);
            return EXIT_USAGE;
        }
    }
    rl_bank *b = NULL;
    rl_err e = rl_cycle_attach_wait(m->bank.bank, d, o->reconnect_ns, note_line, mc, &b, why,
                                    sizeof why);
    if (e != RL_OK) {
        fprintf(stderr, "racelab merchant: %s: %s\n", shown, why[0] ? why : rl_strerror(e));
        rl_dataset_free(owned);
        return e == RL_EINVAL ? EXIT_USAGE : EXIT_ERROR;
    }
    o->each = bill_line;
    o->note = note_line;
    mc->progress = !mc->verbose && !m->json && isatty(STDOUT_FILENO);
    for (size_t i = 0; i < d->nmerchants; i++)
        if (!strcmp(d->merchants[i].name, mc->merchant))
            mc->nbills = d->merchants[i].nbills;
    o->ctx = mc;
    o->url = m->bank.bank;
    e = rl_cycle_bill(&b, d, mc->merchant, mc->cycle, o, s, why, sizeof why);
    rl_bank_destroy(b);
    rl_dataset_free(owned);
    if (mc->progress)
        printf("\r\033[K"); /* the progress line goes */
    if (e == RL_ENOENT)
        return rl_cli_usage_error("merchant", "%s", why);
    if (e != RL_OK) {
        fprintf(stderr, "racelab merchant %s: cycle %" PRIu64 " stopped: %s%s\n", mc->merchant,
                mc->cycle, why[0] ? why : rl_strerror(e),
                o->no_ledger ? " (without the ledger, running it again applies its bills again)"
                             : " (run it again to finish it: nothing is applied twice)");
        return EXIT_ERROR;
    }
    return -1;
}

static void print_merchant_json(const merchant_args *m, const rl_cycle_summary *s) {
    printf("{\"merchant\": \"%s\", \"cycle\": %" PRIu64 ", \"strategy\": \"%s\", "
           "\"ledger\": %s, \"bills\": %zu, \"applied\": %zu, \"already_applied\": %zu, "
           "\"refused\": %zu, \"conflicts\": %zu, \"retries\": %zu, "
           "\"reconnections\": %zu, \"finished\": %s, \"elapsed_ns\": %" PRIu64 "}\n",
           m->mc.merchant, m->mc.cycle, rl_cycle_strategy_name(m->o.strategy),
           m->o.no_ledger ? "false" : "true", s->bills, s->applied, s->already, s->refused,
           s->conflicts, s->retries, s->reconnects, s->finished ? "true" : "false",
           s->elapsed_ns);
}

static void print_merchant_text(const merchant_args *m, const rl_cycle_summary *s) {
    printf("%s cycle %" PRIu64 ": %zu bill%s, %zu applied, %zu already applied (skipped), %zu "
           "refused, %zu conflict%s, %zu retr%s, %zu reconnection%s%s\n",
           m->mc.merchant, m->mc.cycle, s->bills, rl__plural(s->bills), s->applied, s->already,
           s->refused,
           s->conflicts, rl__plural(s->conflicts), s->retries,
           s->retries == 1 ? "y" : "ies", s->reconnects, rl__plural(s->reconnects),
           s->finished ? "; the cycle is complete" : "; the cycle is NOT complete");
}

int rl_cmd_merchant(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_merchant_help();
        return EXIT_HELD;
    }
    merchant_args m;
    int rc = parse_merchant(argc, argv, &m);
    if (rc >= 0)
        return rc;
    rl_cycle_summary s;
    if ((rc = bill_cycle(&m, &s)) >= 0)
        return rc;
    if (m.json)
        print_merchant_json(&m, &s);
    else
        print_merchant_text(&m, &s);
    return s.finished ? EXIT_HELD : EXIT_BROKEN;
}
