/* picture.c - lanes, marks, arrows and an axis as SVG: see picture.h. */
#include "picture.h"

#include "../util/grow.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LANE_H 56   /* a lane's height */
#define LABEL_W 190 /* the lanes' names */
#define MARK_H 30
#define LABEL_MIN 40 /* a mark narrower than this has no words in it */
#define WORD_MIN 76  /* nor a failing word under it, but a cross */

/* colours, each with at least 4.5:1 contrast for the text drawn on it */
#define INK "#1f1f1f"
#define MUTED "#4d4d4d"
#define MARK_FILL "#e8eef7"
#define MARK_LINE "#3f5f8a"
#define FAIL_FILL "#fde7e5"
#define FAIL_LINE "#a8201a"
#define FOLD_FILL "#f2f2f2"

/* the legend's tones: light fills, ink on each above 12:1 */
static const char *const tone_fill[] = {"#dbe7f5", "#fde3c8", "#dcefd6", "#eadcf0",
                                        "#d3eeec", "#f7efc2", "#eadfd6", "#e4e4e4",
                                        "#f5dce8", "#e0e9c6", "#d9dcf2", "#f0e0cc"};
#define NTONES (sizeof tone_fill / sizeof *tone_fill)

void pic_init(picture *p) {
    memset(p, 0, sizeof *p);
    p->unit = 1;
}

void pic_free(picture *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->nmarks; i++)
        free(p->marks[i].tip);
    free(p->lanes);
    free(p->marks);
    free(p->arrows);
    free(p->ticks);
    memset(p, 0, sizeof *p);
}

pic_lane *pic_add_lane(picture *p, const char *name, long id) {
    if (p->nlanes == p->cap_lanes) {
        pic_lane *more = rl__grow(p->lanes, &p->cap_lanes, sizeof *more, 16);
        if (!more)
            return NULL;
        p->lanes = more;
    }
    pic_lane *l = &p->lanes[p->nlanes++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->id = id;
    return l;
}

pic_mark *pic_add_mark(picture *p, size_t lane, double x0, double x1) {
    if (p->nmarks == p->cap_marks) {
        pic_mark *more = rl__grow(p->marks, &p->cap_marks, sizeof *more, 16);
        if (!more)
            return NULL;
        p->marks = more;
    }
    pic_mark *m = &p->marks[p->nmarks++];
    *m = (pic_mark){.lane = lane, .x0 = x0, .x1 = x1, .line = -1, .step = -1, .thread = -1};
    return m;
}

bool pic_add_arrow(picture *p, size_t from, size_t to, const char *label) {
    if (p->narrows == p->cap_arrows) {
        pic_arrow *more = rl__grow(p->arrows, &p->cap_arrows, sizeof *more, 16);
        if (!more)
            return false;
        p->arrows = more;
    }
    p->arrows[p->narrows++] = (pic_arrow){from, to, label};
    return true;
}

bool pic_add_tick(picture *p, double x, const char *text) {
    if (p->nticks == p->cap_ticks) {
        pic_tick *more = rl__grow(p->ticks, &p->cap_ticks, sizeof *more, 16);
        if (!more)
            return false;
        p->ticks = more;
    }
    pic_tick *t = &p->ticks[p->nticks++];
    t->x = x;
    snprintf(t->text, sizeof t->text, "%s", text);
    return true;
}

bool pic_tip(pic_mark *m, const char *s, size_t max) {
    size_t had = m->tip ? strlen(m->tip) : 0, len = strlen(s);
    bool cut = len > max;
    if (cut) /* not in the middle of a UTF-8 character */
        for (len = max; len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80;)
            len--;
    char *more = realloc(m->tip, had + len + (cut ? 3 : 0) + 1);
    if (!more)
        return false;
    memcpy(more + had, s, len);
    if (cut)
        memcpy(more + had + len, "\xE2\x80\xA6", 3); /* … */
    more[had + len + (cut ? 3 : 0)] = '\0';
    m->tip = more;
    return true;
}

bool pic_tipf(pic_mark *m, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    bool ok = pic_tip(m, s, (size_t)n);
    free(s);
    return ok;
}

/* ch escaped for XML and HTML; other control characters than (with
 * lines) a line's end or a tab left out */
static void put_escaped(FILE *f, char ch, bool lines) {
    switch (ch) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default:
        if ((unsigned char)ch >= 0x20 || (lines && (ch == '\n' || ch == '\t')))
            fputc(ch, f);
    }
}

void pic_lines(FILE *f, const char *s) {
    for (; *s; s++)
        put_escaped(f, *s, true);
}

void pic_text(FILE *f, const char *s, size_t max) {
    size_t len = strlen(s), i = 0;
    for (; i < len && i < max; i++)
        put_escaped(f, s[i], false);
    /* a cut UTF-8 character is finished, then the cut said */
    for (; i < len && ((unsigned char)s[i] & 0xC0) == 0x80; i++)
        fputc(s[i], f);
    if (i < len)
        fputs("\xE2\x80\xA6", f);
}

/* ---- geometry ---- */

typedef struct {
    const picture *p;
    int top;    /* the first lane's top */
    int bottom; /* under the last lane */
} frame;

static double px(const frame *fr, double v) { return LABEL_W + (v - fr->p->lo) * fr->p->unit; }
static int lane_top(const frame *fr, size_t lane) { return fr->top + (int)lane * LANE_H; }
static int mark_top(const frame *fr, size_t lane) {
    return lane_top(fr, lane) + (LANE_H - MARK_H) / 2;
}

/* A mark's box: left edge and width, in pixels. */
static void box(const frame *fr, const pic_mark *m, double *x, double *w) {
    *x = px(fr, m->x0) + fr->p->pad;
    *w = (m->x1 - m->x0) * fr->p->unit - 2 * fr->p->pad;
    if (*w < 3)
        *w = 3;
}

/* ---- the parts ---- */

static void head(FILE *f, const frame *fr, int width, int height) {
    const picture *p = fr->p;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" role=\"img\">\n",
            width, height, width, height);
    fputs("<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
          "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\" "
          "fill=\"" FAIL_LINE "\"/></marker></defs>\n",
          f);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
    fputs("<title>", f);
    pic_text(f, p->title, 300);
    fputs("</title>\n", f);
    fprintf(f, "<text x=\"12\" y=\"24\" font-size=\"15\" font-weight=\"bold\" fill=\"%s\">", INK);
    pic_text(f, p->title, 200);
    fputs("</text>\n", f);
    fprintf(f, "<text x=\"12\" y=\"44\" font-size=\"12\" fill=\"%s\">", MUTED);
    pic_text(f, p->subtitle, 200);
    fputs("</text>\n", f);
    if (p->caption[0]) {
        fprintf(f, "<text x=\"12\" y=\"62\" font-size=\"12\" fill=\"%s\">", MUTED);
        pic_text(f, p->caption, 250);
        fputs("</text>\n", f);
    }
}

static void lanes(FILE *f, const frame *fr, int width) {
    const picture *p = fr->p;
    for (size_t l = 0; l < p->nlanes; l++) {
        int y = lane_top(fr, l);
        fputs("<g class=\"lane\"", f);
        if (p->lanes[l].id >= 0)
            fprintf(f, " data-thread=\"%ld\"", p->lanes[l].id);
        fprintf(f, "><rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", y, width,
                LANE_H, l % 2 ? "#ffffff" : "#f7f7f7");
        fprintf(f, "<text x=\"12\" y=\"%d\" font-size=\"13\" fill=\"%s\">", y + LANE_H / 2 + 4,
                INK);
        pic_text(f, p->lanes[l].name, 24);
        if (p->lanes[l].id >= 0)
            fprintf(f, " (%ld)", p->lanes[l].id);
        fputs("</text></g>\n", f);
    }
}

static void ticks(FILE *f, const frame *fr) {
    const picture *p = fr->p;
    for (size_t k = 0; k < p->nticks; k++) {
        double x = px(fr, p->ticks[k].x);
        if (p->ticks_below)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#cccccc\"/>",
                    x, fr->top, x, fr->bottom + 4);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"%s\" "
                   "text-anchor=\"middle\">",
                x, p->ticks_below ? fr->bottom + 16 : fr->top - 6, MUTED);
        pic_text(f, p->ticks[k].text, sizeof p->ticks[k].text);
        fputs("</text>\n", f);
    }
}

static void mark(FILE *f, const frame *fr, const pic_mark *m) {
    double x, w;
    box(fr, m, &x, &w);
    int y = mark_top(fr, m->lane);
    bool failing = m->flags & PIC_FAILING, folded = m->flags & PIC_FOLDED;
    fprintf(f, "<g class=\"mark%s%s%s\"", failing ? " failing" : "", folded ? " folded" : "",
            m->flags & PIC_END ? " end" : "");
    if (m->line >= 0)
        fprintf(f, " data-line=\"%ld\"", m->line);
    if (m->step >= 0)
        fprintf(f, " data-step=\"%ld\"", m->step);
    if (m->thread >= 0)
        fprintf(f, " data-thread=\"%ld\"", m->thread);
    fputs("><title>", f);
    pic_text(f, m->tip ? m->tip : m->label, 1000);
    fputs("</title>", f);
    const char *fill = folded    ? FOLD_FILL
                       : failing ? FAIL_FILL
                       : m->tone ? tone_fill[(m->tone - 1) % NTONES]
                                 : MARK_FILL;
    double cx = x + w / 2;
    if (m->flags & PIC_END) { /* a diamond where the run ended */
        fprintf(f, "<path d=\"M%.0f %d l%.0f %d l%.0f %d l%.0f %d z\" fill=\"%s\" stroke=\"%s\" "
                   "stroke-width=\"3\"/>",
                cx, y - 4, w / 2, MARK_H / 2 + 4, -w / 2, MARK_H / 2 + 4, -w / 2,
                -(MARK_H / 2 + 4), fill, FAIL_LINE);
        fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" fill=\"%s\" "
                   "text-anchor=\"middle\">",
                cx, y + MARK_H / 2 + 4, INK);
        pic_text(f, m->label, 12);
        fputs("</text>", f);
    } else {
        fprintf(f, "<rect x=\"%.0f\" y=\"%d\" width=\"%.0f\" height=\"%d\" rx=\"5\" fill=\"%s\" "
                   "stroke=\"%s\" stroke-width=\"%d\"%s/>",
                x, y, w, MARK_H, fill, failing ? FAIL_LINE : MARK_LINE, failing ? 3 : 1,
                folded ? " stroke-dasharray=\"4 3\"" : "");
        size_t room = w >= LABEL_MIN ? (size_t)((w - 6) / 7) : 0;
        if (room) {
            fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" fill=\"%s\" "
                       "text-anchor=\"middle\">",
                    cx, y + 13, INK);
            pic_text(f, m->label, room);
            fputs("</text>", f);
            fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"10\" fill=\"%s\" "
                       "text-anchor=\"middle\">",
                    cx, y + 25, MUTED);
            pic_text(f, m->sub, room + 1);
            fputs("</text>", f);
        }
    }
    if (m->flags & PIC_PREEMPT) /* a preemption: a flag on top */
        fprintf(f, "<path class=\"preempt\" d=\"M%.0f %d l8 -9 l8 9 z\" fill=\"%s\"/>"
                   "<text x=\"%.0f\" y=\"%d\" font-size=\"9\" fill=\"%s\">preempts</text>",
                x + 4, y, MARK_LINE, x + 22, y - 2, MARK_LINE);
    if (failing && m->why) /* its word; under a narrow mark a cross (the word is in its tooltip) */
        fprintf(f, "<text class=\"why\" x=\"%.0f\" y=\"%d\" font-size=\"10\" "
                   "font-weight=\"bold\" fill=\"%s\" text-anchor=\"middle\">%s</text>",
                cx, y + MARK_H + (m->flags & PIC_END ? 16 : 11), FAIL_LINE,
                w >= WORD_MIN || (m->flags & PIC_END) ? m->why : "\xE2\x9C\x97");
    fputs("</g>\n", f);
}

/* An arrow from one mark to another, labelled: from the side that faces
 * the other lane (along the bottom when they share one). */
static void arrow(FILE *f, const frame *fr, const pic_arrow *a) {
    const pic_mark *from = &fr->p->marks[a->from], *to = &fr->p->marks[a->to];
    double xa, wa, xb, wb;
    box(fr, from, &xa, &wa);
    box(fr, to, &xb, &wb);
    size_t la = from->lane, lb = to->lane;
    double x1 = xa + wa / 2, x2 = xb + wb / 2;
    int y1 = mark_top(fr, la) + (lb > la ? MARK_H : 0);
    int y2 = mark_top(fr, lb) + (lb > la ? 0 : MARK_H);
    if (la == lb)
        y1 = y2 = mark_top(fr, la) + MARK_H;
    fprintf(f, "<g class=\"arrow\"><line x1=\"%.0f\" y1=\"%d\" x2=\"%.0f\" y2=\"%d\" stroke=\"%s\" "
               "stroke-width=\"2\" marker-end=\"url(#head)\"/>",
            x1, y1, x2, y2, FAIL_LINE);
    if (a->label) {
        fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" fill=\"%s\">",
                (x1 + x2) / 2 + 4, (y1 + y2) / 2 - 3, FAIL_LINE);
        pic_text(f, a->label, 40);
        fputs("</text>", f);
    }
    fputs("</g>\n", f);
}

/* What each tone stands for, and a failing mark's look, in a row. */
static void legend(FILE *f, const frame *fr, int y) {
    const picture *p = fr->p;
    double x = LABEL_W;
    fputs("<g class=\"legend\">", f);
    for (size_t t = 0; t < p->ntones; t++) {
        fprintf(f, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" "
                   "stroke=\"%s\"/><text x=\"%.0f\" y=\"%d\" font-size=\"12\" fill=\"%s\">",
                x, y - 10, tone_fill[t % NTONES], MARK_LINE, x + 16, y, INK);
        pic_text(f, p->tones[t], 32);
        fputs("</text>", f);
        x += 28 + 7 * (double)(strlen(p->tones[t]) < 32 ? strlen(p->tones[t]) : 32);
    }
    if (p->legend_failing)
        fprintf(f, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" "
                   "stroke=\"%s\" stroke-width=\"3\"/><text x=\"%.0f\" y=\"%d\" font-size=\"12\" "
                   "font-weight=\"bold\" fill=\"%s\">%s</text>",
                x, y - 10, FAIL_FILL, FAIL_LINE, x + 16, y, FAIL_LINE,
                p->failing_name ? p->failing_name : "failing");
    fputs("</g>\n", f);
}

rl_err pic_svg(const picture *p, FILE *f) {
    if (!p || !f)
        return RL_EINVAL;
    frame fr = {.p = p, .top = p->caption[0] ? 84 : 64};
    fr.bottom = fr.top + (int)p->nlanes * LANE_H;
    double right = p->lo;
    for (size_t i = 0; i < p->nmarks; i++)
        right = p->marks[i].x1 > right ? p->marks[i].x1 : right;
    for (size_t k = 0; k < p->nticks; k++)
        right = p->ticks[k].x > right ? p->ticks[k].x : right;
    int width = (int)(px(&fr, right) + 0.5) + 28;
    int below = (p->ticks_below ? 24 : 0) + (p->ntones || p->legend_failing ? 30 : 0);
    int height = fr.bottom + 48 + below;
    head(f, &fr, width, height);
    lanes(f, &fr, width);
    ticks(f, &fr);
    for (size_t i = 0; i < p->nmarks; i++)
        mark(f, &fr, &p->marks[i]);
    for (size_t i = 0; i < p->narrows; i++)
        arrow(f, &fr, &p->arrows[i]);
    if (p->ntones || p->legend_failing)
        legend(f, &fr, fr.bottom + 48 + (p->ticks_below ? 24 : 0) - 10);
    fputs("</svg>\n", f);
    return ferror(f) ? RL_ESYS : RL_OK;
}
