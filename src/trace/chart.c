/* chart.c - a benchmark's table (what racelab bench --csv writes) as one
 * self-contained HTML page: the table, and its measures as bar charts. See
 * rl_draw_csv_html in racelab/draw.h.
 *
 * What to chart is read off the table's header: each benchmark's header is
 * its schema, and a known one has a plan (which columns name a row, which
 * are charted and how, which says a row ended wrong). A header not known
 * is charted plainly: the first column names the rows, every numeric
 * column that is not a 0/1 flag gets a chart. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "picture.h"

#include "../util/grow.h"
#include "racelab/draw.h"

#define MAX_COLS 32
#define MAX_ROWS 4096
#define CHART_W 760
#define LABEL_W 280
#define BAR_W 380
#define ROW_H 22

typedef struct {
    char *cells[MAX_COLS]; /* into the table's own copy of the text */
} row;

typedef struct {
    char *text; /* the CSV, split in place */
    char *head[MAX_COLS];
    size_t ncols, nrows, cap_rows;
    row *rows;
} table;

typedef struct {
    const char *column;
    const char *title; /* the chart's heading */
    double scale;      /* the value drawn is the cell times this */
    const char *unit;  /* after the value drawn */
} chart_plan;

typedef struct {
    const char *header; /* the header line this plan is for (its start) */
    const char *what;   /* the benchmark, for the page's heading */
    const char *label[3];  /* the columns that name a row */
    const char *wrong;     /* a column that is 0 when the row ended wrong, or NULL */
    const char *group;     /* one chart per value of this column (a unit), or NULL */
    chart_plan charts[3];
} plan;

static const plan plans[] = {
    {"strategy,promises,correct,holds_lock,wall_ns,", "racelab bench makespan", {"strategy"},
     "correct", NULL,
     {{"wall_ns", "Time to bill every customer (lower is better)", 1e-6, "ms"},
      {"x_own_bound", "Times its bound: serial, lock held in the slow step, or none held "
                      "(1 is the best possible)", 1, "x"}}},
    {"name,threads,reference,promises,correct,", "racelab bench throughput (or db)",
     {"name", "threads"}, "correct", NULL,
     {{"per_second", "Bills per second (higher is better; a wrong row is no speed)", 1,
       "bills/s"},
      {"x_plain", "Against the unsynchronized update (the speed limit)", 1, "x"}}},
    {"case,jobs,schedules,seconds,schedules_per_second,ratio", "racelab bench explore --jobs",
     {"case", "jobs"}, NULL, NULL,
     {{"schedules_per_second", "Schedules per second by workers (higher is better)", 1,
       "schedules/s"},
      {"ratio", "Speed-up over one worker", 1, "x"}}},
    {"measure,value,unit", "racelab bench explore", {"measure"}, NULL, "unit",
     {{"value", "Measures in", 1, ""}}},
};

/* The units of a measure,value,unit table: each group's heading, and how
 * its values are drawn. */
static const struct {
    const char *unit, *heading;
    double scale;
    const char *shown;
} units[] = {
    {"1/s", "Rates", 1, "per s"},
    {"ns", "Times", 1e-6, "ms"},
    {"1", "Counts", 1, ""},
    {"lower bound", "Counts cut short by a cap (lower bounds)", 1, "or more"},
    {"not found", "Schedules run without finding the failure", 1, "(not found)"},
};

/* ---- the CSV ---- */

/* The next field of *p (quotes undone, in place), *p moved past it and its
 * comma; *end set at the end of the line. */
static char *field(char **p, bool *end) {
    char *s = *p, *out = s, *start = s;
    if (*s == '"') {
        s++;
        for (;;) {
            if (*s == '"' && s[1] == '"') {
                *out++ = '"';
                s += 2;
            } else if (*s == '"') {
                s++;
                break;
            } else if (*s == '\0') {
                break;
            } else {
                *out++ = *s++;
            }
        }
        while (*s && *s != ',' && *s != '\n')
            s++; /* after the closing quote: nothing but the separator */
    } else {
        while (*s && *s != ',' && *s != '\n' && *s != '\r')
            s++;
        out = s;
    }
    char sep = *s;
    if (sep == '\r')
        sep = *++s;
    *end = sep != ',';
    *out = '\0';
    *p = sep ? s + 1 : s;
    return start;
}

static bool read_table(const char *csv, table *t, char *why, size_t why_len) {
    memset(t, 0, sizeof *t);
    t->text = strdup(csv);
    if (!t->text) {
        snprintf(why, why_len, "out of memory");
        return false;
    }
    char *p = t->text;
    bool end = false;
    while (!end && *p)
        if (t->ncols < MAX_COLS)
            t->head[t->ncols++] = field(&p, &end);
        else
            field(&p, &end);
    if (t->ncols < 2) {
        snprintf(why, why_len, "not a table: its first line has fewer than two columns");
        return false;
    }
    for (size_t line = 2; *p; line++) {
        if (*p == '\n') { /* a blank line */
            p++;
            continue;
        }
        if (t->nrows == MAX_ROWS) {
            snprintf(why, why_len, "more than %d rows", MAX_ROWS);
            return false;
        }
        if (t->nrows == t->cap_rows) {
            row *more = rl__grow(t->rows, &t->cap_rows, sizeof *more, 64);
            if (!more) {
                snprintf(why, why_len, "out of memory");
                return false;
            }
            t->rows = more;
        }
        row *r = &t->rows[t->nrows++];
        memset(r, 0, sizeof *r);
        size_t n = 0;
        end = false;
        while (!end && *p) {
            char *cell = field(&p, &end);
            if (n < MAX_COLS)
                r->cells[n] = cell;
            n++;
        }
        if (n != t->ncols) {
            snprintf(why, why_len, "line %zu has %zu fields, the header %zu", line, n, t->ncols);
            return false;
        }
    }
    if (t->nrows == 0) {
        snprintf(why, why_len, "a header and no rows");
        return false;
    }
    return true;
}

static void free_table(table *t) {
    free(t->text);
    free(t->rows);
}

static long column(const table *t, const char *name) {
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->head[c], name) == 0)
            return (long)c;
    return -1;
}

static bool number(const char *s, double *v) {
    char *end;
    if (!*s)
        return false;
    *v = strtod(s, &end);
    return *end == '\0' && isfinite(*v);
}

/* ---- the page ---- */

/* v for people: whole numbers of four digits or more grouped by
 * thousands (12,569,528), others to four significant digits. */
static void value(FILE *f, double v) {
    if (fabs(v) >= 1000 && fabs(v) < 1e18) {
        char digits[32];
        snprintf(digits, sizeof digits, "%.0f", fabs(v));
        size_t len = strlen(digits);
        if (v < 0)
            fputc('-', f);
        for (size_t i = 0; i < len; i++) {
            if (i && (len - i) % 3 == 0)
                fputc(',', f);
            fputc(digits[i], f);
        }
        return;
    }
    fprintf(f, "%.4g", v);
}

static void esc(FILE *f, const char *s) { pic_text(f, s, strlen(s)); }

static bool row_wrong(const table *t, size_t r, long wrong) {
    return wrong >= 0 && strcmp(t->rows[r].cells[wrong], "0") == 0;
}

static void row_label(FILE *f, const table *t, size_t r, const long *label, size_t nlabel) {
    for (size_t k = 0; k < nlabel; k++) {
        if (k)
            fputs(", ", f);
        if (k && strcmp(t->head[label[k]], "threads") == 0)
            fputs("threads ", f);
        else if (k && strcmp(t->head[label[k]], "jobs") == 0)
            fputs("-j ", f);
        pic_text(f, t->rows[r].cells[label[k]], 60);
    }
}

/* One chart: a bar per row (of the group, when there is one), as long as
 * its share of the largest; wrong rows hatched and saying so. */
static void chart(FILE *f, const table *t, const chart_plan *cp, long col, const long *label,
                  size_t nlabel, long wrong, long group, const char *group_value, unsigned *id) {
    double most = 0;
    size_t n = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        double v;
        if (group >= 0 && strcmp(t->rows[r].cells[group], group_value) != 0)
            continue;
        if (number(t->rows[r].cells[col], &v)) {
            most = fabs(v * cp->scale) > most ? fabs(v * cp->scale) : most;
            n++;
        }
    }
    if (n == 0)
        return;
    chart_plan named = *cp; /* a group's own heading and unit, when it is known */
    bool known = false;
    for (size_t u = 0; group >= 0 && u < sizeof units / sizeof *units; u++)
        if (strcmp(units[u].unit, group_value) == 0) {
            named = (chart_plan){cp->column, units[u].heading, units[u].scale, units[u].shown};
            known = true;
        }
    most *= named.scale / cp->scale;
    cp = &named;
    fputs("<h3>", f);
    esc(f, cp->title);
    if (group >= 0 && !known) { /* "Measures in" the unit */
        fputc(' ', f);
        esc(f, group_value);
    }
    fputs("</h3>\n", f);
    int height = (int)n * ROW_H + 6;
    fprintf(f, "<svg class=\"chart\" data-column=\"");
    esc(f, cp->column);
    fprintf(f, "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n"
               "<defs><pattern id=\"hatch-%u\" width=\"8\" height=\"8\" "
               "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
               "<rect width=\"8\" height=\"8\" fill=\"#a8201a\"/>"
               "<rect width=\"3\" height=\"8\" fill=\"#fde7e5\"/></pattern></defs>\n",
            CHART_W, height, CHART_W, height, ++*id);
    size_t k = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        double v;
        if (group >= 0 && strcmp(t->rows[r].cells[group], group_value) != 0)
            continue;
        if (!number(t->rows[r].cells[col], &v))
            continue;
        bool bad = row_wrong(t, r, wrong);
        double x = v * cp->scale, w = most > 0 ? BAR_W * fabs(x) / most : 0;
        int y = (int)k++ * ROW_H + 3;
        fprintf(f, "<g class=\"bar%s\" data-row=\"%zu\"><title>", bad ? " wrong" : "", r + 1);
        row_label(f, t, r, label, nlabel);
        fputs(": ", f);
        value(f, x);
        fprintf(f, " %s%s</title>", cp->unit, bad ? " (WRONG: it lost updates)" : "");
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#1f1f1f\">",
                LABEL_W - 8, y + 13);
        row_label(f, t, r, label, nlabel);
        fputs("</text>", f);
        char fill[32];
        snprintf(fill, sizeof fill, bad ? "url(#hatch-%u)" : "#3f5f8a", *id);
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\" "
                   "stroke=\"%s\"/>",
                LABEL_W, y, w < 1 ? 1 : w, fill, bad ? "#a8201a" : "#2f4a6e");
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\"%s>", LABEL_W + (w < 1 ? 1 : w) + 6,
                y + 13, bad ? "#a8201a" : "#1f1f1f", bad ? " font-weight=\"bold\"" : "");
        value(f, x);
        fprintf(f, " %s%s</text></g>\n", cp->unit, bad ? " WRONG" : "");
    }
    fputs("</svg>\n", f);
}

rl_err rl_draw_csv_html(FILE *f, const char *title, const char *csv, char *why,
                        size_t why_len) {
    if (!f || !title || !csv)
        return RL_EINVAL;
    char scratch[1];
    if (!why) {
        why = scratch;
        why_len = sizeof scratch;
    }
    table t;
    if (!read_table(csv, &t, why, why_len)) {
        free_table(&t);
        return RL_EINVAL;
    }
    char line[1024] = ""; /* the header again, to be known by its start */
    for (size_t c = 0; c < t.ncols; c++) {
        size_t have = strlen(line);
        snprintf(line + have, sizeof line - have, "%s%s", c ? "," : "", t.head[c]);
    }
    const plan *p = NULL;
    for (size_t i = 0; i < sizeof plans / sizeof *plans && !p; i++)
        if (strncmp(line, plans[i].header, strlen(plans[i].header)) == 0)
            p = &plans[i];
    long label[3] = {0};
    size_t nlabel = 1;
    long wrong = -1, group = -1;
    if (p) {
        nlabel = 0;
        for (size_t k = 0; k < 3 && p->label[k]; k++)
            label[nlabel++] = column(&t, p->label[k]);
        wrong = p->wrong ? column(&t, p->wrong) : -1;
        group = p->group ? column(&t, p->group) : -1;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    esc(f, title);
    fputs("</title>\n<style>body{font-family:system-ui,sans-serif;color:#1f1f1f;"
          "background:#fff;margin:0 auto;max-width:1100px;padding:0 20px 40px}"
          "h1{font-size:1.4rem}h2{font-size:1.15rem;border-bottom:1px solid #d0d0d0}"
          "h3{font-size:1rem;margin:20px 0 6px}"
          "table{border-collapse:collapse;font-size:.85rem}"
          "th,td{border:1px solid #d0d0d0;padding:2px 6px;text-align:right}"
          "th{background:#f0f0f0}tr.wrong td{color:#a8201a;font-weight:bold}"
          ".note{color:#4d4d4d}</style>\n</head>\n<body>\n<h1>",
          f);
    esc(f, title);
    fputs("</h1>\n", f);
    fprintf(f, "<p class=\"note\">%zu row%s%s%s.", t.nrows, t.nrows == 1 ? "" : "s",
            p ? " from " : "", p ? p->what : "");
    if (wrong >= 0)
        fputs(" A row that ended wrong (it lost updates) is hatched and says WRONG: its "
              "speed is not a result.",
              f);
    fputs("</p>\n<h2 id=\"charts\">Charts</h2>\n", f);
    unsigned id = 0; /* the charts' patterns, numbered in the page */
    if (p) {
        for (size_t k = 0; k < 3 && p->charts[k].column; k++) {
            long col = column(&t, p->charts[k].column);
            if (col < 0)
                continue;
            if (group < 0) {
                chart(f, &t, &p->charts[k], col, label, nlabel, wrong, -1, "", &id);
                continue;
            }
            for (size_t r = 0; r < t.nrows; r++) { /* each group once, in order of first use */
                bool seen = false;
                for (size_t q = 0; q < r && !seen; q++)
                    seen = strcmp(t.rows[q].cells[group], t.rows[r].cells[group]) == 0;
                if (!seen)
                    chart(f, &t, &p->charts[k], col, label, nlabel, wrong, group,
                          t.rows[r].cells[group], &id);
            }
        }
    } else {
        for (size_t c = 1; c < t.ncols; c++) { /* each numeric column not a flag */
            bool numeric = true, flag = true;
            for (size_t r = 0; r < t.nrows && numeric; r++) {
                double v;
                numeric = number(t.rows[r].cells[c], &v);
                flag &= numeric && (v == 0 || v == 1);
            }
            if (numeric && !flag) {
                chart_plan cp = {t.head[c], t.head[c], 1, ""};
                chart(f, &t, &cp, (long)c, label, nlabel, -1, -1, "", &id);
            }
        }
    }
    fputs("<h2 id=\"table\">The table</h2>\n<div style=\"overflow-x:auto\"><table>\n<tr>", f);
    for (size_t c = 0; c < t.ncols; c++) {
        fputs("<th scope=\"col\">", f);
        esc(f, t.head[c]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t r = 0; r < t.nrows; r++) {
        fputs(row_wrong(&t, r, wrong) ? "<tr class=\"wrong\">" : "<tr>", f);
        for (size_t c = 0; c < t.ncols; c++) {
            fputs("<td>", f);
            esc(f, t.rows[r].cells[c]);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n<p class=\"note\">Written by racelab: one file, nothing fetched, no "
          "script.</p>\n</body>\n</html>\n",
          f);
    free_table(&t);
    return ferror(f) ? RL_ESYS : RL_OK;
}
