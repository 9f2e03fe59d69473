/* pg.c - a fresh PostgreSQL database for a test, on the throwaway server
 * that CTest's fixture started (scripts/pg-server.sh). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testing.h"

char *rl_test_pg_base(void) {
    const char *dir = getenv("RACELAB_PG_DIR");
    if (!dir || !*dir)
        fail_msg("this test needs PostgreSQL: RACELAB_PG_DIR is not set (run it through ctest, "
                 "whose fixture starts a throwaway server with scripts/pg-server.sh)");
    char path[1024];
    snprintf(path, sizeof path, "%s/conninfo", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("this test needs PostgreSQL, but %s is missing: the server did not start "
                 "(see the pg_start test's output)",
                 path);
    char line[1024] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    return strdup(line);
}

char *rl_test_pg_fresh(const char *dbname) {
    char *base = rl_test_pg_base();
    PGconn *c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot reach the test server (%s): %s", base, PQerrorMessage(c));
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    size_t len = strlen(base) + strlen(dbname) + 16;
    char *out = malloc(len);
    snprintf(out, len, "%s dbname=%s", base, dbname);
    free(base);
    return out;
}

void rl_test_pg_sql(const char *conninfo, const char *sql) {
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot reach the test server: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}
